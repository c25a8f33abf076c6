/* SPDX-License-Identifier: MIT
 *
 * sliding_log: exact — at most N permits in any half-open interval [s, s+W).
 *
 * Representation: a log of admissions, oldest first, in a ring of (instant,
 * cost) entries that lives outside the state (state_size is fixed, the log
 * is not): the state holds a pointer to it, and clear frees it. Entries at
 * the same instant are merged, and `sum` is the cost of every entry in the
 * ring. An entry at instant a still counts at t while a > t - W.
 *
 * Invariants: instants strictly increase from head to tail and never exceed
 * the last admission; after an admission every entry still counts, so their
 * cost is at most N and, each cost being >= 1, the ring holds at most N
 * entries. init allocates a small ring (at most 16 entries) and admit
 * doubles it on demand up to N, so memory follows the real traffic rather
 * than the limit (N can be 10^9). next_ok cannot prune (the state is
 * read-only to it), so it skips the entries that stopped counting since the
 * last admission.
 *
 * Instants and W are whole ns, so the earliest admit time is exact: now, or
 * a + W for the newest entry a that has to leave to make room. Nothing is
 * ever rounded.
 */
#include "sim/limit.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sl_entry {
    sim_time t;         /* instant of admission */
    int64_t cost;       /* permits taken at t */
} sl_entry;

typedef struct sl {
    int64_t n, w;       /* N permits in any W ns */
    sl_entry *ring;     /* malloc'd by init, cap entries; freed by clear */
    size_t cap, head, len;
    int64_t sum;        /* cost of all len entries */
} sl;

static const sl_entry *
sl_at(const sl *s, size_t i)
{
    return &s->ring[(s->head + i) % s->cap];
}

/* Doubles the ring (at most to N entries), keeping the order; returns 0,
 * or -1 when out of memory (the old ring is kept). */
static int
sl_grow(sl *s)
{
    size_t cap = s->cap ? s->cap * 2 : 16;
    sl_entry *v;

    if ((uint64_t)s->n < cap)
        cap = (size_t)s->n;
    if (cap > SIZE_MAX / sizeof *v || !(v = malloc(cap * sizeof *v)))
        return -1;
    for (size_t i = 0; i < s->len; i++)
        v[i] = *sl_at(s, i);
    free(s->ring);
    s->ring = v;
    s->cap = cap;
    s->head = 0;
    return 0;
}

static int
sl_init(void *st, const algo_params *p, char *err, size_t errlen)
{
    sl *s = st;

    if (algo_check_rate(p, "window", err, errlen) != 0)
        return 2;
    s->n = p->count;
    s->w = p->window;
    /* A first ring now, where running out of memory can still be told;
     * it grows on demand in admit. */
    if (sl_grow(s) != 0) {
        snprintf(err, errlen, "rate: out of memory for the log");
        return 3;
    }
    return 0;
}

/* Also safe on a zeroed state whose init failed, and twice. */
static void
sl_clear(void *st)
{
    sl *s = st;

    free(s->ring);
    s->ring = NULL;
    s->cap = s->head = s->len = 0;
    s->sum = 0;
}

/* A deep copy: the ring is the log, so it is copied, not shared. */
static int
sl_copy(void *dst, const void *src)
{
    const sl *a = src;
    sl *b = dst;

    *b = *a;
    b->ring = NULL;
    if (a->cap == 0)
        return 0;
    if (!(b->ring = malloc(a->cap * sizeof *b->ring)))
        return -1;
    memcpy(b->ring, a->ring, a->cap * sizeof *b->ring);
    return 0;
}

static int64_t
sl_capacity(const void *st)
{
    return ((const sl *)st)->n;
}

/* Entries are never later than now, so now - t cannot overflow. */
static int
sl_counts(const sl *s, const sl_entry *e, sim_time now)
{
    return now - e->t < s->w;
}

static sim_time
sl_next_ok(const void *st, sim_time now, int64_t cost)
{
    const sl *s = st;
    int64_t excess;     /* cost that has to leave before cost fits */
    size_t i = 0;

    if (cost > s->n)
        return SIM_NEVER;
    excess = s->sum - (s->n - cost);    /* not sum + cost - n: no overflow */
    for (; i < s->len && !sl_counts(s, sl_at(s, i), now); i++)
        excess -= sl_at(s, i)->cost;
    if (excess <= 0)
        return now;
    /* The oldest entries leave first; the counting ones hold at least
     * excess (cost <= N), so this stops inside the ring. */
    for (;; i++) {
        const sl_entry *e = sl_at(s, i);
        assert(i < s->len);
        excess -= e->cost;
        if (excess <= 0)
            return e->t > SIM_NEVER - s->w ? SIM_NEVER : e->t + s->w;
    }
}

/* Drops the entries that no longer count at now. */
static void
sl_prune(sl *s, sim_time now)
{
    while (s->len && !sl_counts(s, sl_at(s, 0), now)) {
        s->sum -= sl_at(s, 0)->cost;
        s->head = (s->head + 1) % s->cap;
        s->len--;
    }
}

static sl_entry *
sl_newest(sl *s)
{
    return s->len ? &s->ring[(s->head + s->len - 1) % s->cap] : NULL;
}

static void
sl_admit(void *st, sim_time now, int64_t cost)
{
    sl *s = st;
    sl_entry *last;

    sl_prune(s, now);
    s->sum += cost;
    last = sl_newest(s);
    if (last && last->t == now) {
        last->cost += cost;
        return;
    }
    /* After pruning the entries hold at most N - cost, so a full ring is
     * smaller than N and may grow. */
    if (s->len == s->cap && sl_grow(s) != 0) {
        /* No memory for one more entry, and admit cannot fail: move the
         * newest entry forward to now and fold this admission into it.
         * Its permits then count for longer than they should, so the
         * limit turns stricter, never looser. */
        assert(last);
        last->t = now;
        last->cost += cost;
        return;
    }
    s->ring[(s->head + s->len) % s->cap] = (sl_entry){now, cost};
    s->len++;
}

const algo algo_sliding_log = {
    .name = "sliding_log",
    .takes = ALGO_TAKES_RATE,
    .needs = ALGO_TAKES_RATE,
    .state_size = sizeof(sl),
    .init = sl_init,
    .capacity = sl_capacity,
    .next_ok = sl_next_ok,
    .admit = sl_admit,
    .release = NULL,
    .copy = sl_copy,
    .clear = sl_clear,
};
