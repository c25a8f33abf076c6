/* SPDX-License-Identifier: MIT
 *
 * A plain array-backed binary heap (children of i at 2i+1, 2i+2) with the
 * total order (t, rank, seq). The array doubles as it fills and never
 * shrinks: its size is the largest number of pending events of the run.
 */
#include "sim/heap.h"

#include <stdlib.h>

static int
before(const heap_ev *a, const heap_ev *b)
{
    return heap_ev_before(a, b);
}

heap *
heap_new(void)
{
    return calloc(1, sizeof(heap));
}

void
heap_free(heap *h)
{
    if (!h)
        return;
    free(h->v);
    free(h);
}

int
heap_push(heap *h, const heap_ev *ev)
{
    size_t i;

    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 256;
        heap_ev *v = realloc(h->v, cap * sizeof *v);
        if (!v)
            return -1;
        h->v = v;
        h->cap = cap;
    }
    i = h->n++;
    h->v[i] = *ev;
    h->v[i].seq = h->seq++;
    while (i > 0) {
        size_t up = (i - 1) / 2;
        heap_ev tmp;
        if (!before(&h->v[i], &h->v[up]))
            break;
        tmp = h->v[i];
        h->v[i] = h->v[up];
        h->v[up] = tmp;
        i = up;
    }
    return 0;
}

int
heap_pop(heap *h, heap_ev *out)
{
    size_t i = 0;
    heap_ev last;

    if (h->n == 0)
        return 0;
    *out = h->v[0];
    last = h->v[--h->n];
    /* Sift the hole at the root down, then drop the last event into it. */
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && before(&h->v[c + 1], &h->v[c]))
            c++;
        if (!before(&h->v[c], &last))
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n > 0)
        h->v[i] = last;
    return 1;
}
