/* SPDX-License-Identifier: MIT
 *
 * The engine's view of a rate limit. The engine never includes an algorithm:
 * it holds a pointer to a `struct algo` (a small vtable) and an opaque block
 * of `state_size` bytes per limit instance, and asks two questions of it:
 * when is the earliest instant >= now at which a request of cost c would be
 * admitted (next_ok), and admit it (admit). Concurrency-like limits also get
 * their permits back on completion (release).
 *
 * Exactness contract (SPEC §2): an algorithm keeps its state exactly, in
 * integers (scaled by N for a rate N/W where it must). next_ok returns the
 * exact earliest instant rounded *up* to a whole nanosecond. admit(now) is
 * only called when next_ok(now) == now; if the exact earliest instant e was
 * fractional and lies in (now - 1ns, now], the algorithm records the
 * admission at e, not at now, so that rounding never feeds back into the
 * state; otherwise it records it at now.
 *
 * Monotonicity: without an admit or a release in between, a limit that
 * admits at t admits at every t' > t. The engine relies on this to compute
 * the earliest instant at which several stacked limits all admit.
 */
#ifndef RS_SIM_LIMIT_H
#define RS_SIM_LIMIT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/time.h"

/* The parameters a limit may be built from. Zero means "not given". */
typedef struct algo_params {
    int64_t count;       /* N of a rate N/W */
    int64_t window;      /* W of a rate N/W, in ns */
    int64_t burst;       /* bucket depth; 0 = not given */
    int64_t concurrency; /* max in flight; 0 = not given */
} algo_params;

/* Which parameters an algorithm takes (a bit set in algo.takes). A key the
 * algorithm does not take is a scenario error. */
enum {
    ALGO_TAKES_RATE = 1,
    ALGO_TAKES_BURST = 2,
    ALGO_TAKES_CONCURRENCY = 4
};

typedef struct algo {
    const char *name;
    unsigned takes;     /* ALGO_TAKES_* */
    unsigned needs;     /* ALGO_TAKES_* that must be given */
    size_t state_size;
    /* Set up `st` (state_size zeroed bytes) from `p`. Returns 0, or 2 with a
     * message "key: what is wrong" in err. Missing optional parameters have
     * already been defaulted by the caller (burst = N). */
    int (*init)(void *st, const algo_params *p, char *err, size_t errlen);
    /* The largest cost this limit can ever admit. */
    int64_t (*capacity)(const void *st);
    /* Earliest instant >= now at which cost would be admitted, rounded up to
     * a whole ns; SIM_NEVER when only a release could make room. */
    sim_time (*next_ok)(const void *st, sim_time now, int64_t cost);
    /* Take cost permits at now (next_ok(now, cost) == now holds). */
    void (*admit)(void *st, sim_time now, int64_t cost);
    /* Give cost permits back at now; NULL when permits never return. */
    void (*release)(void *st, sim_time now, int64_t cost);
    /* Would a request of cost c that becomes ready now, with `ahead`
     * permits already waiting for this limit's provider, be refused rather
     * than queued (a leaky bucket's full queue)? NULL: never. */
    int (*overflow)(const void *st, sim_time now, int64_t cost,
                    int64_t ahead);
    /* After an admit at now: the instant the request may go out (a
     * reservation's), >= now. NULL: at once. */
    sim_time (*go_at)(const void *st, sim_time now);
    /* Make dst (state_size zeroed bytes) a deep copy of src; 0, or -1
     * out of memory. NULL: a byte copy will do. */
    int (*copy)(void *dst, const void *src);
    /* Free what init allocated inside st; NULL when it allocates nothing.
     * Must accept a state that is all zero or whose init failed. */
    void (*clear)(void *st);
} algo;

/* Parameter checks for init, shared so that every algorithm words the same
 * fault the same way. Each returns 0, or 2 with the message in err. */

/* A rate N/W needs N >= 1 and W >= 1 ns: "rate: must be at least 1 per
 * <per> > 0", where `per` names W as the algorithm thinks of it ("period"
 * for a refill rate, "window" for a counting window). */
static inline int
algo_check_rate(const algo_params *p, const char *per, char *err,
                size_t errlen)
{
    if (p->count >= 1 && p->window >= 1)
        return 0;
    snprintf(err, errlen, "rate: must be at least 1 per %s > 0", per);
    return 2;
}

/* A burst (already defaulted to N by the caller) must be at least 1. */
static inline int
algo_check_burst(const algo_params *p, char *err, size_t errlen)
{
    if (p->burst >= 1)
        return 0;
    snprintf(err, errlen, "burst: must be at least 1");
    return 2;
}

/* Helpers for algorithms that keep time scaled by N for a rate N/W (one
 * scaled unit = 1/N ns, so the emission interval W/N ns is exactly W units).
 * Scaled instants can exceed int64 over long runs, hence 128 bits. */
__extension__ typedef __int128 algo_i128;

/* The scaled instant e as whole ns, rounded up (never early); SIM_NEVER
 * when it does not fit. */
static inline sim_time
algo_unscale_up(algo_i128 e, int64_t n)
{
    algo_i128 q;

    /* Most scaled instants fit 64 bits, where division is far cheaper. */
    if (e >= 0 && e <= INT64_MAX) {
        int64_t q64 = (int64_t)e / n;
        return (int64_t)e % n > 0 ? q64 + 1 : q64;
    }
    q = e / n;
    if (e % n > 0)
        q++;
    return q >= (algo_i128)SIM_NEVER ? SIM_NEVER : (sim_time)q;
}

/* What next_ok answers when the exact earliest instant is e (scaled): e
 * rounded up to a whole ns, or now when that is earlier; SIM_NEVER when e
 * does not fit. */
static inline sim_time
algo_next_at(algo_i128 e, int64_t n, sim_time now)
{
    sim_time at = algo_unscale_up(e, n);

    return at > now ? at : now;
}

/* Where an admission at now whose exact earliest instant was e (scaled)
 * is recorded: at e when rounding up brought it to now (e > now - 1 ns), so
 * the rounding never feeds back into the state; at now otherwise. */
static inline algo_i128
algo_record_at(algo_i128 e, sim_time now, int64_t n)
{
    algo_i128 t = (algo_i128)now * n;

    return e > t - n && e < t ? e : t;
}

#endif
