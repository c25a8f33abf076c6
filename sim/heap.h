/* SPDX-License-Identifier: MIT
 *
 * The event heap: a binary min-heap of events ordered by time, then rank
 * (the class of event: what must happen first at one instant), then an
 * insertion sequence number that is never reused. That order is total, so
 * ties never depend on the heap's layout. Four operations: push, pop, peek,
 * length. Events are never removed from the middle: their owner marks them
 * dead (a generation number that no longer matches) and the loop skips them.
 */
#ifndef RS_SIM_HEAP_H
#define RS_SIM_HEAP_H

#include <stddef.h>
#include <stdint.h>

#include "sim/time.h"

/* An event, held by value (callers build one on the stack). */
typedef struct heap_ev {
    sim_time t;
    uint32_t rank;
    uint32_t kind;
    uint64_t seq;       /* set by heap_push */
    void *ptr;
    uint32_t gen;
    int32_t arg;
} heap_ev;

/* Public only so that peek, length and stamp can be inline (the engine
 * asks them a few times an event); touch it only through heap_*. */
typedef struct heap {
    heap_ev *v;
    size_t n, cap;
    uint64_t seq;
} heap;

/* The heap's order: time, then rank, then sequence number. */
static inline int
heap_ev_before(const heap_ev *a, const heap_ev *b)
{
    if (a->t != b->t)
        return a->t < b->t;
    if (a->rank != b->rank)
        return a->rank < b->rank;
    return a->seq < b->seq;
}

heap *heap_new(void);                        /* NULL when out of memory */
void heap_free(heap *h);
/* Copies *ev in, stamping its sequence number. 0, or -1 out of memory. */
int heap_push(heap *h, const heap_ev *ev);
/* Removes the first event into *out; 0 when empty, else 1. */
int heap_pop(heap *h, heap_ev *out);
/* The first event, or NULL when empty. Valid until the next push or pop. */
static inline const heap_ev *
heap_peek(const heap *h)
{
    return h->n ? &h->v[0] : NULL;
}

static inline size_t
heap_len(const heap *h)
{
    return h->n;
}

/* The sequence number heap_push would stamp now, used up: an event its
 * owner keeps outside the heap, stamped with it, is ordered against the
 * heap's events (heap_ev_before) as if it had been pushed. */
static inline uint64_t
heap_stamp(heap *h)
{
    return h->seq++;
}

#endif
