/* SPDX-License-Identifier: MIT
 *
 * gcra: the generic cell rate algorithm (virtual scheduling form) for a rate
 * of N per W with burst b. It keeps one number, the theoretical arrival
 * time TAT: the instant at which the limit would be back to "no debt" if
 * nothing more came. A request of cost c conforms at t when
 * t >= TAT - (b - c)·T, T = W/N the emission interval; on admission TAT
 * moves to max(TAT, t) + c·T.
 *
 * Exact representation: time is scaled by N (one unit = 1/N ns), so T is
 * exactly W units and TAT is an integer, kept in 128 bits because scaled
 * instants outgrow int64 over long runs. TAT starts at 0, which is a full
 * allowance of b at t = 0. Invariant: TAT never decreases. The earliest
 * conforming instant e = TAT - (b - c)·W is rounded up to a whole ns only
 * for the answer; the admission is recorded at e when rounding brought it
 * to now (algo_record_at), so the rounding never feeds back into TAT and a
 * saturated limit never drifts.
 *
 * Why this equals token_bucket: a bucket with credit C at scaled instant L
 * is the GCRA with TAT = L + b·W - C, and both update rules come to
 * TAT' = max(TAT, t_rec) + c·W. They could only differ in t_rec, since the
 * bucket's earliest instant is max(L, e) where this file's is e. But a
 * fractional L only comes from a waiting admission, which leaves C = 0 and
 * so e > L; and a whole-ns L <= now gives the same max(TAT, t_rec) either
 * way. The tests check this row by row through the engine.
 */
#include "sim/limit.h"

typedef struct gcra {
    int64_t n, w, b;    /* rate n per w ns, burst b; T = w scaled units */
    algo_i128 tat;      /* theoretical arrival time, scaled by n */
} gcra;

static int
gcra_init(void *st, const algo_params *p, char *err, size_t errlen)
{
    gcra *g = st;

    if (algo_check_rate(p, "period", err, errlen) != 0 ||
        algo_check_burst(p, err, errlen) != 0)
        return 2;
    g->n = p->count;
    g->w = p->window;
    g->b = p->burst;
    g->tat = 0;
    return 0;
}

static int64_t
gcra_capacity(const void *st)
{
    return ((const gcra *)st)->b;
}

/* The exact scaled instant from which cost conforms; may lie in the past
 * (even before 0) when the limit has room to spare. */
static algo_i128
gcra_conforms_at(const gcra *g, int64_t cost)
{
    return g->tat - (algo_i128)(g->b - cost) * g->w;
}

static sim_time
gcra_next_ok(const void *st, sim_time now, int64_t cost)
{
    const gcra *g = st;

    /* The formula alone would let a cost above b through once t passes
     * TAT + (c - b)·T, overdrawing the allowance; b is the largest cost
     * (SPEC §5), as for token_bucket. */
    if (cost > g->b)
        return SIM_NEVER;
    return algo_next_at(gcra_conforms_at(g, cost), g->n, now);
}

static void
gcra_admit(void *st, sim_time now, int64_t cost)
{
    gcra *g = st;
    algo_i128 at = algo_record_at(gcra_conforms_at(g, cost), now, g->n);

    /* The max: time idle past TAT earns nothing, which is what caps the
     * allowance at b. */
    g->tat = (g->tat > at ? g->tat : at) + (algo_i128)cost * g->w;
}

const algo algo_gcra = {
    .name = "gcra",
    .takes = ALGO_TAKES_RATE | ALGO_TAKES_BURST,
    .needs = ALGO_TAKES_RATE,
    .state_size = sizeof(gcra),
    .init = gcra_init,
    .capacity = gcra_capacity,
    .next_ok = gcra_next_ok,
    .admit = gcra_admit,
    .release = NULL,
};
