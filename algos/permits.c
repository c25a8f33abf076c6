/* SPDX-License-Identifier: MIT
 *
 * permits: a throttle of reservations, as a distributed permit store hands
 * them out. A request is granted a permit valid at an instant at least
 * min_interval (W) after the previous permit's, as long as fewer than M
 * permits are outstanding (granted, their instant not reached); it goes out
 * at that instant (go_at), so calls are never closer than W. Configured
 * as `max_permits = M` and `min_interval = W` (or `limit = permits M/W`).
 *
 * State: the instant of the last permit and the instants of the
 * outstanding ones, oldest first, in a ring of M. All whole ns: exact.
 * A cost of c takes c permits, the last valid (c-1)W after the first.
 */
#include "sim/limit.h"

#include <stdlib.h>
#include <string.h>

typedef struct pm {
    int64_t m;          /* max outstanding */
    sim_time w;         /* min interval */
    sim_time last;      /* the last permit's instant; SIM_NONE: none yet */
    sim_time *ring;     /* outstanding instants, oldest first */
    int64_t head, len;
} pm;

static int
pm_init(void *st, const algo_params *p, char *err, size_t errlen)
{
    pm *s = st;

    if (p->count < 1 || p->window < 1) {
        snprintf(err, errlen, "max_permits: at least 1 permit, and a "
                 "min_interval > 0");
        return 2;
    }
    if (p->count > 1000000) {
        snprintf(err, errlen, "max_permits: at most 1000000");
        return 2;
    }
    s->m = p->count;
    s->w = p->window;
    s->last = SIM_NONE;
    if (!(s->ring = calloc((size_t)s->m, sizeof *s->ring))) {
        snprintf(err, errlen, "max_permits: out of memory");
        return 3;
    }
    return 0;
}

static void
pm_clear(void *st)
{
    pm *s = st;

    free(s->ring);
    s->ring = NULL;
}

static int
pm_copy(void *dst, const void *src)
{
    const pm *a = src;
    pm *b = dst;

    *b = *a;
    if (!(b->ring = malloc((size_t)a->m * sizeof *b->ring)))
        return -1;
    memcpy(b->ring, a->ring, (size_t)a->m * sizeof *b->ring);
    return 0;
}

static int64_t
pm_capacity(const void *st)
{
    return ((const pm *)st)->m;
}

/* Outstanding permits at now: those whose instant is still ahead. The
 * i-th oldest (0-based). */
static sim_time
pm_at(const pm *s, int64_t i)
{
    return s->ring[(s->head + i) % s->m];
}

static int64_t
pm_outstanding(const pm *s, sim_time now)
{
    int64_t k = 0;

    while (k < s->len && pm_at(s, k) <= now)
        k++;
    return s->len - k;
}

/* A grant of cost permits needs room for them: the (len-m+cost)-th oldest
 * outstanding permit must be used first. */
static sim_time
pm_next_ok(const void *st, sim_time now, int64_t cost)
{
    const pm *s = st;
    int64_t out = pm_outstanding(s, now), need = out + cost - s->m;

    if (cost > s->m)
        return SIM_NEVER;
    if (need <= 0)
        return now;
    return pm_at(s, s->len - out + need - 1);
}

static void
pm_admit(void *st, sim_time now, int64_t cost)
{
    pm *s = st;
    sim_time t = s->last == SIM_NONE || s->last + s->w <= now ? now
                                                              : s->last + s->w;

    while (s->len && pm_at(s, 0) <= now) {
        s->head = (s->head + 1) % s->m;
        s->len--;
    }
    for (int64_t i = 0; i < cost; i++, t += s->w) {
        s->ring[(s->head + s->len) % s->m] = t;
        s->len++;
        s->last = t;
    }
}

/* The request goes out when its (last) permit is valid. */
static sim_time
pm_go_at(const void *st, sim_time now)
{
    const pm *s = st;

    return s->last != SIM_NONE && s->last > now ? s->last : now;
}

const algo algo_permits = {
    .name = "permits",
    .takes = ALGO_TAKES_RATE,
    .needs = ALGO_TAKES_RATE,
    .state_size = sizeof(pm),
    .init = pm_init,
    .capacity = pm_capacity,
    .next_ok = pm_next_ok,
    .admit = pm_admit,
    .release = NULL,
    .go_at = pm_go_at,
    .copy = pm_copy,
    .clear = pm_clear,
};
