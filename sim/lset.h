/* SPDX-License-Identifier: MIT
 *
 * Limit sets: the limits a provider stacks (10/s *and* 500/1h), held as one
 * object. A request is admitted only when every limit admits it, and the
 * earliest instant they all do is found by iterating to a fixed point (each
 * limit's answer can only move the others' later). The engine keeps one set
 * per provider; a distributed provider keeps one at its store, or one per
 * node; and every provider keeps a reference set that replays what it sent,
 * to count what a single limiter would have refused (over-admission).
 */
#ifndef RS_SIM_LSET_H
#define RS_SIM_LSET_H

#include <stddef.h>
#include <stdint.h>

#include "sim/limit.h"

#define LSET_MAX 8

typedef struct lset_limit {
    const algo *a;
    algo_params p;
    void *st;
} lset_limit;

/* Public so that it can sit inside its owner; use through lset_*. */
typedef struct lset {
    lset_limit lim[LSET_MAX];
    int n;
} lset;

/* One limit's configuration (what sim_limit_cfg holds). */
typedef struct lset_cfg {
    const algo *algo;
    algo_params p;
} lset_cfg;

/* Builds set s from n configurations (n <= LSET_MAX); `what` names the
 * owner in messages ("provider P1"). Returns 0, or 2/3 with a message. On
 * failure s holds nothing to free beyond what lset_clear frees. */
int lset_init(lset *s, const lset_cfg *cfg, int n, const char *what,
              char *err, size_t errlen);
/* Frees the states; s can be initialised again. */
void lset_clear(lset *s);
/* A deep copy of src into dst (dst uninitialised). 0, or -1 out of memory. */
int lset_copy(lset *dst, const lset *src);

/* Does every limit admit cost at now? Inline, as is lset_admit: the
 * engine asks and takes once a dispatch. */
static inline int
lset_admits(const lset *s, sim_time now, int64_t cost)
{
    for (int i = 0; i < s->n; i++)
        if (s->lim[i].a->next_ok(s->lim[i].st, now, cost) != now)
            return 0;
    return 1;
}

/* The earliest instant >= now at which all admit cost; SIM_NEVER if none
 * will without a release. */
sim_time lset_next_ok(const lset *s, sim_time now, int64_t cost);

static inline void
lset_admit(lset *s, sim_time now, int64_t cost)
{
    for (int i = 0; i < s->n; i++)
        s->lim[i].a->admit(s->lim[i].st, now, cost);
}

void lset_release(lset *s, sim_time now, int64_t cost);
/* After an admit at now: when the request may go out (the latest of the
 * limits' reservations; now for most). */
sim_time lset_go_at(const lset *s, sim_time now);
/* Does some limit refuse, rather than queue, a request of cost that
 * becomes ready now with `ahead` permits waiting (algo.overflow)? */
int lset_overflows(const lset *s, sim_time now, int64_t cost, int64_t ahead);
/* The largest cost every limit could ever admit. */
int64_t lset_capacity(const lset *s);
/* Does some limit give permits back on completion? */
int lset_releases(const lset *s);
/* Does some limit reserve (algo.go_at), or may it refuse rather than
 * queue (algo.overflow)? When not, callers skip lset_go_at and
 * lset_overflows, which would only answer now and no. */
int lset_reserves(const lset *s);
int lset_may_overflow(const lset *s);

#endif
