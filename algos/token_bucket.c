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
 *
 * C and L are kept in 128 bits, since scaled instants can pass int64 over
 * long runs (and C goes below zero when admissions are merged whether the
 * bucket would have taken them or not: split = sync). While bW, |C| and |L|
 * are at most 2^61 (`narrow`: the common case), every sum and difference
 * the answer needs stays below 2^63 in magnitude, and the same formulas
 * are worked in 64 bits; an admission whose scaled instant would not fit
 * (now * N) takes the 128-bit way. Both ways compute the same integers.
 */
#include "sim/limit.h"

#define TB_NARROW ((int64_t)1 << 61)

typedef struct tb {
    int64_t n, w, b;    /* rate n per w ns, depth b tokens */
    algo_i128 credit;   /* tokens * w, at scaled instant last */
    algo_i128 last;
    int64_t cap;        /* b * w when below TB_NARROW, else 0 */
    int narrow;         /* cap != 0, |credit| and |last| <= TB_NARROW */
} tb;

/* Is the 64-bit way exact for this state (see the top of the file)? */
static void
tb_set_narrow(tb *t)
{
    t->narrow = t->cap != 0 && t->last >= -TB_NARROW &&
                t->last <= TB_NARROW && t->credit >= -TB_NARROW &&
                t->credit <= TB_NARROW;
}

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
    t->cap = t->credit <= TB_NARROW ? (int64_t)t->credit : 0;
    tb_set_narrow(t);
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

/* The same, narrow (cost <= b): need <= bW and |credit|, |last| are at
 * most 2^61, so the sum stays within 3 * 2^61. */
static inline int64_t
tb_ready_at64(const tb *t, int64_t cost)
{
    int64_t need = cost * t->w, credit = (int64_t)t->credit;
    int64_t last = (int64_t)t->last;

    return credit >= need ? last : last + (need - credit);
}

/* The 128-bit ways stay out of line, so that the 64-bit ones need not
 * save the registers they use. */
__attribute__((noinline)) static sim_time
tb_next_ok_wide(const tb *t, sim_time now, int64_t cost)
{
    return algo_next_at(tb_ready_at(t, cost), t->n, now);
}

static sim_time
tb_next_ok(const void *st, sim_time now, int64_t cost)
{
    const tb *t = st;
    int64_t e, at, tn;

    if (cost > t->b)
        return SIM_NEVER;
    if (!t->narrow)
        return tb_next_ok_wide(t, now, cost);
    e = tb_ready_at64(t, cost);
    /* Tokens there by now (most asks of a bucket that keeps up): the
     * answer is now, and the division below (some 40 cycles, a fifth of a
     * dispatch) is not needed. */
    if (!__builtin_mul_overflow(now, t->n, &tn) && e <= tn)
        return now;
    /* algo_next_at in 64 bits: e / n rounded up (C division truncates,
     * which is up already for a negative e) */
    at = e / t->n + (e % t->n > 0);
    return at > now ? at : now;
}

__attribute__((noinline)) static void
tb_admit_wide(tb *t, sim_time now, int64_t cost)
{
    algo_i128 at = algo_record_at(tb_ready_at(t, cost), now, t->n);
    algo_i128 cap = (algo_i128)t->b * t->w;
    algo_i128 credit = t->credit + (at - t->last);

    t->credit = (credit > cap ? cap : credit) - (algo_i128)cost * t->w;
    t->last = at;
    tb_set_narrow(t);
}

static void
tb_admit(void *st, sim_time now, int64_t cost)
{
    tb *t = st;
    int64_t e, tn, lo, at, gap, credit = (int64_t)t->credit;

    /* algo_record_at in 64 bits, when now * n (and that less n) fits,
     * then the credit grown by at - last, when that fits */
    if (!t->narrow || cost > t->b || __builtin_mul_overflow(now, t->n, &tn) ||
        __builtin_sub_overflow(tn, t->n, &lo))
        goto wide;
    e = tb_ready_at64(t, cost);
    at = e > lo && e < tn ? e : tn;
    if (__builtin_sub_overflow(at, (int64_t)t->last, &gap))
        goto wide;
    /* min(credit + gap, cap) without overflow; then credit >= -2^62 */
    credit = (gap >= t->cap - credit ? t->cap : credit + gap) - cost * t->w;
    t->credit = credit;
    t->last = at;
    t->narrow = at >= -TB_NARROW && at <= TB_NARROW &&
                credit >= -TB_NARROW;
    return;
wide:
    tb_admit_wide(t, now, cost);
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
