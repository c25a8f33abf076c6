/* SPDX-License-Identifier: MIT
 *
 * Ready queues: an indexed binary heap of requests waiting to go out. Unlike
 * the event heap, a waiting request can leave from the middle (it expires,
 * or goes out while not at the head), so each element carries its position
 * (an rq_node embedded in it) and removal sifts both up and down. The order
 * is the caller's `before` function, which must be a total order.
 */
#ifndef RS_SIM_RQUEUE_H
#define RS_SIM_RQUEUE_H

#include <stddef.h>
#include <stdint.h>

/* Embedded in each queued element; pos is -1 when not in a queue. */
typedef struct rq_node {
    int32_t pos;
} rq_node;

typedef int (*rq_before_fn)(const rq_node *a, const rq_node *b,
                            const void *ctx);

/* Public so that queues can sit in an array; touch only through rq_*. */
typedef struct rq {
    rq_node **v;
    int32_t n, cap;
    rq_before_fn before;
    const void *ctx;
} rq;

void rq_init(rq *q, rq_before_fn before, const void *ctx);
void rq_clear(rq *q);                       /* frees the array, not elements */
int rq_push(rq *q, rq_node *x);             /* 0, or -1 out of memory */
void rq_remove(rq *q, rq_node *x);          /* x must be in q */

/* Inline: the dispatch scan asks these of every queue at every instant. */
static inline rq_node *
rq_peek(const rq *q)                        /* NULL when empty */
{
    return q->n ? q->v[0] : NULL;
}

static inline int32_t
rq_len(const rq *q)
{
    return q->n;
}

#endif
