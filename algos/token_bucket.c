/* SPDX-License-Identifier: MIT
 *
 * token_bucket: a bucket of b tokens refilled at N per W, starting full; a
 * request of cost c takes c tokens and waits until there are c.
 *
 * Exact representation: time is scaled by N (one unit = 1/N ns), so one
 * token refills in exactly W units. The state is the credit C (tokens times
 * W, capped at b*W) as of the scaled instant L. At a later scaled instant u
 * the credit is min(bW, C + (u - L)), and a request of cost c can go once
 * the credit reaches cW, at u = L + cW - C. That instant is rounded up to a
 * whole ns only for the answer; the admission is recorded at the exact
 * instant (algo_record_at), so a saturated bucket never drifts.
 */
#include "sim/limit.h"

typedef struct tb {
    int64_t n, w, b;    /* rate n per w ns, depth b tokens */
    algo_i128 credit;   /* tokens * w, at scaled instant last */
    algo_i128 last;
} tb;

static int
tb_init(void *st, const algo_params *p, char *err, size_t errlen)
{
    tb *t = st;

    if (algo_check_rate(p, "period", err, errlen) != 0 ||
        algo_check_burst(p, err, errlen) != 0)
        return 2;
    t->n = p->count;
    t->w = p->window;
    t->b = p->burst;
    t->credit = (algo_i128)t->b * t->w;
    t->last = 0;
    return 0;
}

static int64_t
tb_capacity(const void *st)
{
    return ((const tb *)st)->b;
}

/* The exact scaled instant at which cost tokens are there. */
static algo_i128
tb_ready_at(const tb *t, int64_t cost)
{
    algo_i128 need = (algo_i128)cost * t->w;

    return t->credit >= need ? t->last : t->last + (need - t->credit);
}

static sim_time
tb_next_ok(const void *st, sim_time now, int64_t cost)
{
    const tb *t = st;

    if (cost > t->b)
        return SIM_NEVER;
    return algo_next_at(tb_ready_at(t, cost), t->n, now);
}

static void
tb_admit(void *st, sim_time now, int64_t cost)
{
    tb *t = st;
    algo_i128 at = algo_record_at(tb_ready_at(t, cost), now, t->n);
    algo_i128 cap = (algo_i128)t->b * t->w;
    algo_i128 credit = t->credit + (at - t->last);

    t->credit = (credit > cap ? cap : credit) - (algo_i128)cost * t->w;
    t->last = at;
}

const algo algo_token_bucket = {
    .name = "token_bucket",
    .takes = ALGO_TAKES_RATE | ALGO_TAKES_BURST,
    .needs = ALGO_TAKES_RATE,
    .state_size = sizeof(tb),
    .init = tb_init,
    .capacity = tb_capacity,
    .next_ok = tb_next_ok,
    .admit = tb_admit,
    .release = NULL,
};
