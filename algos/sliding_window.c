/* SPDX-License-Identifier: MIT
 *
 * sliding_window: the sliding-window-counter approximation many API gateways
 * use. Windows are aligned [kW, (k+1)W). The permits of the previous window
 * are assumed to have been spread evenly over it, and the share of them that
 * still lies within the last W ns is added to the current window's count.
 * With p the permits admitted in window k-1, q those admitted in window k,
 * and e = t - kW the offset of t into window k, a request of cost c is
 * admitted at t when
 *
 *     p*(W - e) + (q + c)*W <= N*W
 *
 * (the weighted count p*(W - e)/W + q + c <= N, multiplied through by W so
 * that it is all integers; the products are __int128, as N*W overflows
 * int64 for large rates).
 *
 * Representation: the window k of the last admission and the counts p and
 * q as of window k. Seen from a later window the counts shift: from k+1
 * they are (q, 0), from k+2 on (0, 0). Invariant: q <= N (every admission
 * checked q + c <= N at least).
 *
 * Earliest instant. The left side never grows with t between admissions,
 * and it is continuous across a boundary (at the end of window k it tends
 * to qW, and at the start of k+1 it is qW again), so it is enough to solve
 * in the current window and, failing that, in the next. In a window with
 * counts (p, q), when N - q - c >= 0 and p > 0 the earliest offset is
 * ceil(W - (N - q - c)*W / p) = W - floor((N - q - c)*W / p), clamped at 0;
 * with p = 0 it is 0. When N - q - c < 0 no offset in this window works;
 * in the next window the counts are (q, 0) and, c <= N, that has an
 * answer, at the latest the start of the window after (two empty windows:
 * nothing is left to weigh).
 *
 * No fractional record is needed: the state holds counts per window, not
 * instants, and the boundaries are whole nanoseconds fixed in advance (not
 * chained from the previous admission as a token bucket's are). Rounding
 * the instant up only makes the weighted count smaller, so the request
 * meets the inequality at the instant it goes out, and it is counted in
 * the window of that instant. Nothing is carried forward that could drift.
 * (The one case where the exact instant and the rounded one fall in
 * different windows -- exact in (kW - 1 ns, kW) -- needs more than W
 * permits in one window, N > W in ns; the request is then counted in
 * window k, where it went out, which only errs on the strict side.)
 */
#include "sim/limit.h"

#include <assert.h>

typedef struct sw {
    int64_t n, w;       /* N permits per window of w ns */
    int64_t k;          /* window of the last admission */
    int64_t p, q;       /* permits admitted in windows k-1 and k */
} sw;

static int
sw_init(void *st, const algo_params *p, char *err, size_t errlen)
{
    sw *s = st;

    if (algo_check_rate(p, "window", err, errlen) != 0)
        return 2;
    s->n = p->count;
    s->w = p->window;
    s->k = 0;
    s->p = s->q = 0;
    return 0;
}

static int64_t
sw_capacity(const void *st)
{
    return ((const sw *)st)->n;
}

/* The counts (previous, current) as seen from window j. Time never goes
 * back past the last admission, so j >= k. */
static void
sw_counts(const sw *s, int64_t j, int64_t *p, int64_t *q)
{
    assert(j >= s->k);
    *p = j == s->k ? s->p : j == s->k + 1 ? s->q : 0;
    *q = j == s->k ? s->q : 0;
}

/* The earliest offset in [0, W] into a window with counts (p, q) at which
 * cost is admitted, or -1 when no offset in that window will do. */
static algo_i128
sw_offset(const sw *s, int64_t p, int64_t q, int64_t cost)
{
    /* q <= N and cost <= N, so N - q - cost cannot overflow. */
    algo_i128 room = (algo_i128)(s->n - q - cost) * s->w;
    algo_i128 e;

    if (room < 0)
        return -1;
    if (p == 0)
        return 0;
    e = s->w - room / p;
    return e > 0 ? e : 0;
}

static sim_time
sw_next_ok(const void *st, sim_time now, int64_t cost)
{
    const sw *s = st;
    int64_t j = now / s->w, p, q;
    algo_i128 e, at;

    if (cost > s->n)
        return SIM_NEVER;
    sw_counts(s, j, &p, &q);
    e = sw_offset(s, p, q, cost);
    if (e < 0) {
        /* Too full at any offset of this window: in the next one the
         * current count becomes the previous, and cost <= N fits there. */
        j++;
        e = sw_offset(s, q, 0, cost);
    }
    at = (algo_i128)j * s->w + e;
    if (at <= now)
        return now;
    return at >= SIM_NEVER ? SIM_NEVER : (sim_time)at;
}

static void
sw_admit(void *st, sim_time now, int64_t cost)
{
    sw *s = st;
    int64_t j = now / s->w, p, q;

    sw_counts(s, j, &p, &q);
    s->k = j;
    s->p = p;
    s->q = q + cost;
}

const algo algo_sliding_window = {
    .name = "sliding_window",
    .takes = ALGO_TAKES_RATE,
    .needs = ALGO_TAKES_RATE,
    .state_size = sizeof(sw),
    .init = sw_init,
    .capacity = sw_capacity,
    .next_ok = sw_next_ok,
    .admit = sw_admit,
    .release = NULL,
};
