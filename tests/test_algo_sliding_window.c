/* SPDX-License-Identifier: MIT
 *
 * sliding_window tests: hand-worked schedules through the vtable (the
 * reasoning is in each test's comment), costs above 1 and above N, bad
 * parameters, 128-bit arithmetic, and a property over Poisson input run
 * through the engine: recomputing the weighted count from the dispatch log
 * alone, every dispatch keeps it <= N, no request that waited could have
 * gone 1 ns earlier, and no interval of length W holds more than 2N.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sim/engine.h"
#include "sim/limit.h"
#include "sim/rng.h"
#include "tests/harness.h"

extern const algo algo_sliding_window;

#define SEC SIM_NS_PER_S

/* ------------------------------------------------------------------ */
/* Vtable harness                                                      */
/* ------------------------------------------------------------------ */

/* A zeroed state block set up for N per w ns (burst N); the caller frees
 * it. */
static void *
sw_new(int64_t n, int64_t w)
{
    th_lim l;

    th_lim_new(&l, &algo_sliding_window, n, w, n);
    return l.st;
}

/* Requests issued back to back, in order, none before `from`: each goes at
 * the earliest instant the limit admits it, no earlier than the one before
 * (what `ratesim schedule` does). Their instants go to out[]. */
static void
schedule(void *st, sim_time from, const int64_t *cost, int k, sim_time *out)
{
    th_lim l = {&algo_sliding_window, st};

    th_lim_drive(&l, from, cost, k, out);
}

/* ------------------------------------------------------------------ */
/* Hand-worked schedules                                               */
/* ------------------------------------------------------------------ */

/* 2/1s, seven at 0 (N = 2, W = 1 s; the inequality is
 * p*(W - e) + (q + 1)*W <= 2W).
 *  1, 2: window 0, p = q = 0: 1W <= 2W, then 2W <= 2W: both at 0.
 *  3: window 0 now has q = 2, and 3W > 2W at any offset; window 1 has
 *     p = 2, q = 0: 2(W - e) + W <= 2W  ->  e >= W/2: 1.5 s.
 *  4: window 1, p = 2, q = 1: 2(W - e) + 2W <= 2W  ->  e >= W, the start
 *     of window 2, where p = 1, q = 0: 1*W + 1*W <= 2W holds: 2 s.
 *  5: window 2, p = 1, q = 1: 1(W - e) + 2W <= 2W  ->  e >= W: 3 s
 *     (window 3: p = 1, q = 0 again).
 *  6, 7: the same state each time: 4 s, 5 s.
 * Saturated, it settles at N - 1 = 1 per window: the N-th permit of a
 * window would only fit at its very end, which is the next one's start. */
static void
test_two_per_second_seven_at_0(void **state)
{
    void *st = sw_new(2, SEC);
    int64_t c[7] = {1, 1, 1, 1, 1, 1, 1};
    sim_time want[7] = {0, 0, TH_S(1.5), TH_S(2), TH_S(3), TH_S(4), TH_S(5)};
    sim_time got[7];

    (void)state;
    schedule(st, 0, c, 7, got);
    th_expect_times(got, want, 7);
    free(st);
}

/* 4/1s, costs 3, 2, 2, 1 at 0.
 *  3 @ 0: 0 + 3W <= 4W: 0. (q = 3)
 *  2: window 0 needs 5W > 4W; window 1 (p = 3, q = 0): 3(W - e) + 2W <= 4W
 *     -> e >= W/3 = 333333333.33 ns, rounded up: 1.333333334 s. At
 *     333333333 the left side is 3*666666667 + 2e9 = 4000000001 > 4e9; at
 *     333333334 it is 3999999998 <= 4e9. (window 1: p = 3, q = 2)
 *  2: 3(W - e) + 4W <= 4W  ->  e >= W: window 2 (p = 2, q = 0):
 *     2W + 2W <= 4W: 2 s. (window 2: p = 2, q = 2)
 *  1: 2(W - e) + 3W <= 4W  ->  e >= W/2: 2.5 s. */
static void
test_costs_above_one(void **state)
{
    void *st = sw_new(4, SEC);
    int64_t c[4] = {3, 2, 2, 1};
    sim_time want[4] = {0, 1333333334, TH_S(2), TH_S(2.5)}, got[4];

    (void)state;
    schedule(st, 0, c, 4, got);
    th_expect_times(got, want, 4);
    free(st);
}

/* The rounding is exact to the nanosecond and next_ok is monotone: with
 * 4/1s and 3 taken at 0, cost 2 asked at 1.333333333 s is told
 * 1.333333334 s, and asked at any later instant is told that instant. */
static void
test_exact_nanosecond(void **state)
{
    void *st = sw_new(4, SEC);
    const algo *a = &algo_sliding_window;

    (void)state;
    a->admit(st, 0, 3);
    assert_int_equal(a->next_ok(st, 0, 2), 1333333334);
    assert_int_equal(a->next_ok(st, 1333333333, 2), 1333333334);
    assert_int_equal(a->next_ok(st, 1333333334, 2), 1333333334);
    assert_int_equal(a->next_ok(st, 1333333335, 2), 1333333335);
    assert_int_equal(a->next_ok(st, TH_S(1.9), 2), TH_S(1.9));
    free(st);
}

/* Moving on across windows, 2/1s with 2 taken at 0.
 *  cost 2 at 0.3 s: window 0 is full (2 + 2 > 2 at any offset); window 1
 *    (p = 2, q = 0): 2(W - e) + 2W <= 2W -> e >= W, so window 2's start,
 *    where p = 0 (nothing in window 1) and q = 0: 2 s.
 *  cost 1 at 1.2 s: window 1, p = 2, q = 0: 2(W - e) + W <= 2W -> e >= W/2,
 *    later than the offset 0.2 s: 1.5 s (and at 1.7 s, past it: 1.7 s).
 *  anything at 5.2 s: two empty windows lie between, nothing to weigh:
 *    5.2 s even for cost N. */
static void
test_across_windows(void **state)
{
    void *st = sw_new(2, SEC);
    const algo *a = &algo_sliding_window;

    (void)state;
    a->admit(st, 0, 2);
    assert_int_equal(a->next_ok(st, TH_S(0.3), 2), TH_S(2));
    assert_int_equal(a->next_ok(st, TH_S(1.2), 1), TH_S(1.5));
    assert_int_equal(a->next_ok(st, TH_S(1.7), 1), TH_S(1.7));
    assert_int_equal(a->next_ok(st, TH_S(5.2), 2), TH_S(5.2));
    a->admit(st, TH_S(5.2), 2);
    /* window 5 has q = 2: cost 1 must wait for window 6 (p = 2, q = 0),
     * e >= W/2: 6.5 s. */
    assert_int_equal(a->next_ok(st, TH_S(5.2), 1), TH_S(6.5));
    free(st);
}

/* A light previous window weighs little: 10/1s with 2 taken in window 0.
 * At 1 s (p = 2, q = 0), cost 8: 2(W - e) + 8W <= 10W holds at e = 0. A
 * further cost 1: 2(W - e) + 9W <= 10W -> e >= W/2: 1.5 s. */
static void
test_light_previous_window(void **state)
{
    void *st = sw_new(10, SEC);
    const algo *a = &algo_sliding_window;

    (void)state;
    a->admit(st, TH_S(0.9), 2);
    assert_int_equal(a->next_ok(st, TH_S(1), 8), TH_S(1));
    a->admit(st, TH_S(1), 8);
    assert_int_equal(a->next_ok(st, TH_S(1), 1), TH_S(1.5));
    free(st);
}

/* 7/2s, seven at 0: all at 0 (7W <= 7W). The eighth: window 0 is full;
 * window 1 (p = 7, q = 0): 7(W - e) + W <= 7W -> e >= W/7 = 285714285.71
 * ns, rounded up: 2.285714286 s. The ninth: 7(W - e) + 2W <= 7W -> e >=
 * 2W/7 = 571428571.43: 2.571428572 s. Each rounding leaves no trace: the
 * k-th in window 1 goes at 2 s + ceil(k * 2 s / 7), k = 1..6, and the
 * seventh of window 1 would need e >= W, the start of window 2. */
static void
test_fractional_no_drift(void **state)
{
    void *st = sw_new(7, 2 * SEC);
    int64_t c[14];
    sim_time got[14];

    (void)state;
    for (int i = 0; i < 14; i++)
        c[i] = 1;
    schedule(st, 0, c, 14, got);
    for (int i = 0; i < 7; i++)
        assert_int_equal(got[i], 0);
    for (int k = 1; k <= 6; k++)
        assert_int_equal(got[6 + k], 2 * SEC + (k * 2 * SEC + 6) / 7);
    assert_int_equal(got[13], 4 * SEC);
    free(st);
}

/* cost > N is never admitted; cost = N is; capacity is N. */
static void
test_cost_over_capacity(void **state)
{
    void *st = sw_new(3, SEC);
    const algo *a = &algo_sliding_window;

    (void)state;
    assert_int_equal(a->capacity(st), 3);
    assert_int_equal(a->next_ok(st, 0, 4), SIM_NEVER);
    assert_int_equal(a->next_ok(st, 0, 3), 0);
    a->admit(st, 0, 3);
    assert_int_equal(a->next_ok(st, TH_S(10), 4), SIM_NEVER);
    /* Window 0 full, window 1 has p = 3: 3(W - e) + 3W <= 3W -> e >= W:
     * cost N waits for the window after next, 2 s. */
    assert_int_equal(a->next_ok(st, 0, 3), TH_S(2));
    free(st);
}

/* Zero or negative count or window: init returns 2 and names the key. */
static void
test_bad_params(void **state)
{
    const algo_params bad[] = {
        {.count = 0, .window = SEC},
        {.count = -1, .window = SEC},
        {.count = 5, .window = 0},
        {.count = 5, .window = -3},
    };
    void *st = calloc(1, algo_sliding_window.state_size);
    char err[128];

    (void)state;
    assert_non_null(st);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(algo_sliding_window.init(st, &bad[i], err, sizeof err),
                         2);
        assert_true(strncmp(err, "rate:", 5) == 0);
    }
    assert_string_equal(algo_sliding_window.name, "sliding_window");
    assert_int_equal(algo_sliding_window.takes, ALGO_TAKES_RATE);
    assert_int_equal(algo_sliding_window.needs, ALGO_TAKES_RATE);
    assert_null(algo_sliding_window.release);
    free(st);
}

/* N = W = 2^62 (one permit per ns, windows of ~146 years): N*W needs 124
 * bits. N taken at 0; cost N/2 goes in window 1 (p = N, q = 0) when
 * N(W - e) + (N/2)W <= NW, e >= W/2: at 1.5 * 2^62 ns. Cost N asked
 * in window 1 after that would need window 3's start, 3 * 2^62 ns, past
 * int64: SIM_NEVER. */
static void
test_large_numbers(void **state)
{
    const int64_t big = INT64_C(1) << 62;
    void *st = sw_new(big, big);
    const algo *a = &algo_sliding_window;

    (void)state;
    a->admit(st, 0, big);
    assert_int_equal(a->next_ok(st, 0, big / 2), big + big / 2);
    a->admit(st, big + big / 2, big / 2);
    assert_int_equal(a->next_ok(st, big + big / 2, big), SIM_NEVER);
    free(st);
}

/* ------------------------------------------------------------------ */
/* Through the engine                                                  */
/* ------------------------------------------------------------------ */

/* The dispatch log, in the order the sink sees the rows. Without permits
 * to return, the engine hands each row over as it dispatches, so this is
 * dispatch order. */
typedef struct ent {
    int64_t id, cost;
    sim_time ready, at;
} ent;

typedef struct dlog {
    ent *v;
    size_t n, cap;
} dlog;

static int
dlog_add(void *ctx, const sim_row *row, char *err, size_t errlen)
{
    dlog *d = ctx;

    (void)err;
    (void)errlen;
    assert_int_equal(row->outcome, SIM_OK);
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 1024;
        d->v = realloc(d->v, d->cap * sizeof *d->v);
        assert_non_null(d->v);
    }
    d->v[d->n++] = (ent){row->req_id, row->cost, row->t_ready,
                         row->t_dispatch};
    return 0;
}

/* Runs one sliding_window provider (N per w ns, queue mode, fifo, seed 5)
 * over the source; the log goes to d, the engine's worst window to
 * *worst. */
static void
run_sw(int64_t n, int64_t w, sim_source_fn src, void *ctx, dlog *d,
       int64_t *worst)
{
    sim_provider_cfg p = th_prov("P", 1, "sliding_window", n, w, n);
    sim_config cfg = th_cfg(&p, 1, SIM_QUEUE_FIFO, 5);
    sim_provider_stats ps;

    memset(d, 0, sizeof *d);
    th_run(&cfg, src, ctx, dlog_add, d, &ps);
    *worst = ps.worst_window;
}

/* The five-at-0 hand check again, end to end: 0, 0, 1.5, 2, 3. */
static void
test_engine_five_at_0(void **state)
{
    sim_request v[5];
    sim_time want[5] = {0, 0, TH_S(1.5), TH_S(2), TH_S(3)};
    th_feed f = {v, 5, 0};
    dlog d;
    int64_t worst;

    (void)state;
    for (int i = 0; i < 5; i++)
        v[i] = th_rq(i + 1, 0);
    run_sw(2, SEC, th_feed_next, &f, &d, &worst);
    assert_int_equal(d.n, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(d.v[i].id, i + 1);
        assert_int_equal(d.v[i].at, want[i]);
    }
    /* [1.5, 2.5) holds the dispatches at 1.5 and 2: 2 = N. */
    assert_int_equal(worst, 2);
    free(d.v);
}

/* The weighted count N*W-scaled, p*(W - e) + q*W, at instant t, from
 * per-window totals cnt[] of what went out before (or at) t. */
static algo_i128
weighted(const int64_t *cnt, sim_time t, int64_t w)
{
    int64_t j = t / w;
    int64_t p = j > 0 ? cnt[j - 1] : 0;

    return (algo_i128)p * (w - (t - j * w)) + (algo_i128)cnt[j] * w;
}

/* Replays the log in dispatch order, one instant at a time, keeping
 * per-window totals: (a) after everything sent at t, the weighted count at
 * t is <= N; (b) the first request sent at t, when it was ready before t,
 * would not have been admitted at t - 1 (the state then is everything sent
 * before t) -- in a fifo queue with one provider it was the head, so only
 * the limit held it. */
static void
check_weighted(const dlog *d, int64_t n, int64_t w)
{
    size_t nwin = (size_t)(d->v[d->n - 1].at / w) + 1;
    int64_t *cnt = calloc(nwin, sizeof *cnt);
    size_t i = 0, tight = 0;

    assert_non_null(cnt);
    while (i < d->n) {
        sim_time t = d->v[i].at;
        const ent *first = &d->v[i];
        if (first->ready < t) {
            assert_true(weighted(cnt, t - 1, w) + (algo_i128)first->cost * w >
                        (algo_i128)n * w);
            tight++;
        }
        for (; i < d->n && d->v[i].at == t; i++)
            cnt[t / w] += d->v[i].cost;
        assert_true(i == d->n || d->v[i].at > t);
        assert_true(weighted(cnt, t, w) <= (algo_i128)n * w);
    }
    assert_true(tight > 0);
    free(cnt);
}

/* The largest cost sent in any half-open interval [t, t + w); an interval
 * holding the most can always start at a dispatch. */
static int64_t
max_in_window(const dlog *d, int64_t w)
{
    int64_t sum = 0, best = 0;
    size_t j = 0;

    for (size_t i = 0; i < d->n; i++) {
        while (j < d->n && d->v[j].at < d->v[i].at + w)
            sum += d->v[j++].cost;
        if (sum > best)
            best = sum;
        sum -= d->v[i].cost;
    }
    return best;
}

/* One property run: 10^5 Poisson requests (th_gen) of costs 1..maxcost
 * offering `load` times the nominal N/W in permits. */
static void
property(int64_t n, int64_t w, int64_t maxcost, double load, uint64_t seed)
{
    double mean_cost = (1.0 + (double)maxcost) / 2.0;
    th_gen g = {.n = 100000, .maxcost = maxcost,
                .gap = (int64_t)((double)w * mean_cost / ((double)n * load))};
    dlog d;
    int64_t worst, most;

    rng_seed(&g.r, seed, 0);
    run_sw(n, w, th_gen_next, &g, &d, &worst);
    assert_int_equal(d.n, 100000);
    check_weighted(&d, n, w);
    most = max_in_window(&d, w);
    print_message("sliding_window %lld/%lld ns, costs 1..%lld, load %.2f: "
                  "most in any window %lld (N = %lld)\n", (long long)n,
                  (long long)w, (long long)maxcost, load, (long long)most,
                  (long long)n);
    assert_true(most <= 2 * n);
    assert_int_equal(most, worst);
    free(d.v);
}

static void
test_property_overloaded(void **state)
{
    (void)state;
    property(7, 2 * SEC, 3, 1.1, 11);
}

static void
test_property_underloaded(void **state)
{
    (void)state;
    property(100, SEC, 5, 0.7, 12);
}

static void
test_property_unit_cost(void **state)
{
    (void)state;
    property(3, TH_S(0.25), 1, 0.95, 13);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_per_second_seven_at_0),
        cmocka_unit_test(test_costs_above_one),
        cmocka_unit_test(test_exact_nanosecond),
        cmocka_unit_test(test_across_windows),
        cmocka_unit_test(test_light_previous_window),
        cmocka_unit_test(test_fractional_no_drift),
        cmocka_unit_test(test_cost_over_capacity),
        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_large_numbers),
        cmocka_unit_test(test_engine_five_at_0),
        cmocka_unit_test(test_property_overloaded),
        cmocka_unit_test(test_property_underloaded),
        cmocka_unit_test(test_property_unit_cost),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
