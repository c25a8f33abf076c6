/* SPDX-License-Identifier: MIT
 *
 * fixed_window: at most N permits in each aligned window [kW, (k+1)W).
 *
 * State is the index k of the window the last admission fell in and the
 * permits taken in it. Window boundaries are whole nanoseconds, so the
 * earliest admit time is always exact: now, or the start of the next
 * window. Known weakness, on purpose: up to 2N can pass in an interval of
 * length W that straddles a boundary.
 */
#include "sim/limit.h"

typedef struct fw {
    int64_t n, w;       /* N permits per window of w ns */
    int64_t k;          /* window of the last admission */
    int64_t used;       /* permits taken in window k */
} fw;

static int
fw_init(void *st, const algo_params *p, char *err, size_t errlen)
{
    fw *f = st;

    if (algo_check_rate(p, "window", err, errlen) != 0)
        return 2;
    f->n = p->count;
    f->w = p->window;
    f->k = -1;
    return 0;
}

static int64_t
fw_capacity(const void *st)
{
    return ((const fw *)st)->n;
}

static sim_time
fw_next_ok(const void *st, sim_time now, int64_t cost)
{
    const fw *f = st;
    int64_t k = now / f->w;

    if (cost > f->n)
        return SIM_NEVER;
    /* used <= n, so n - used cannot overflow where used + cost could. */
    if (k != f->k || cost <= f->n - f->used)
        return now;
    /* The next window may start past the end of time. */
    return k < INT64_MAX / f->w ? (k + 1) * f->w : SIM_NEVER;
}

static void
fw_admit(void *st, sim_time now, int64_t cost)
{
    fw *f = st;
    int64_t k = now / f->w;

    if (k != f->k) {
        f->k = k;
        f->used = 0;
    }
    f->used += cost;
}

const algo algo_fixed_window = {
    .name = "fixed_window",
    .takes = ALGO_TAKES_RATE,
    .needs = ALGO_TAKES_RATE,
    .state_size = sizeof(fw),
    .init = fw_init,
    .capacity = fw_capacity,
    .next_ok = fw_next_ok,
    .admit = fw_admit,
    .release = NULL,
};
