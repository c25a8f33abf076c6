/* SPDX-License-Identifier: MIT
 *
 * Indexed binary heap. Every move of an element updates its rq_node.pos,
 * so removal from the middle is O(log n): the last element fills the hole
 * and is sifted up or down, whichever its key needs.
 */
#include "sim/rqueue.h"

#include <stdlib.h>

static void
place(rq *q, int32_t i, rq_node *x)
{
    q->v[i] = x;
    x->pos = i;
}

static void
sift_up(rq *q, int32_t i)
{
    rq_node *x = q->v[i];

    while (i > 0) {
        int32_t up = (i - 1) / 2;
        if (!q->before(x, q->v[up], q->ctx))
            break;
        place(q, i, q->v[up]);
        i = up;
    }
    place(q, i, x);
}

static void
sift_down(rq *q, int32_t i)
{
    rq_node *x = q->v[i];

    for (;;) {
        int32_t c = 2 * i + 1;
        if (c >= q->n)
            break;
        if (c + 1 < q->n && q->before(q->v[c + 1], q->v[c], q->ctx))
            c++;
        if (!q->before(q->v[c], x, q->ctx))
            break;
        place(q, i, q->v[c]);
        i = c;
    }
    place(q, i, x);
}

void
rq_init(rq *q, rq_before_fn before, const void *ctx)
{
    q->v = NULL;
    q->n = q->cap = 0;
    q->before = before;
    q->ctx = ctx;
}

void
rq_clear(rq *q)
{
    free(q->v);
    q->v = NULL;
    q->n = q->cap = 0;
}

int
rq_push(rq *q, rq_node *x)
{
    if (q->n == q->cap) {
        int32_t cap = q->cap ? q->cap * 2 : 64;
        rq_node **v = realloc(q->v, (size_t)cap * sizeof *v);
        if (!v)
            return -1;
        q->v = v;
        q->cap = cap;
    }
    place(q, q->n, x);
    sift_up(q, q->n++);
    return 0;
}

void
rq_remove(rq *q, rq_node *x)
{
    int32_t i = x->pos;
    rq_node *last = q->v[--q->n];

    x->pos = -1;
    if (i == q->n)
        return;
    place(q, i, last);
    sift_up(q, i);
    sift_down(q, last->pos);
}
