/* SPDX-License-Identifier: MIT
 *
 * gcra tests: the vtable on small hand-worked inputs (the reasoning is in
 * each test's comment), the vtable against token_bucket's over random
 * operations and odd rates, and whole engine runs of 10^5 Poisson requests
 * whose dispatch sequence must equal token_bucket's row by row (SPEC §5:
 * "same schedule as token_bucket").
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

extern const algo algo_gcra;
extern const algo algo_token_bucket;

/* ------------------------------------------------------------------ */
/* Hand-worked schedules                                               */
/* ------------------------------------------------------------------ */

/* 3/s burst 1, four at 0. Scaled by N = 3, T = W = 10^9 units (1/3 s).
 * TAT starts at 0: the first conforms at 0 and TAT = 1e9 units. The second
 * conforms at TAT - 0 = 1e9 units = 333333333.33 ns, sent at 333333334 but
 * recorded at 1e9 units, so TAT = 2e9; then 666666667 and TAT = 3e9; the
 * fourth is at exactly 3e9 units = 1 s, with no drift. */
static void
test_three_per_s_no_drift(void **state)
{
    const int64_t c[4] = {1, 1, 1, 1};
    const sim_time want[4] = {0, 333333334, 666666667, 1000000000};
    sim_time got[4];
    th_lim l;

    (void)state;
    th_lim_new(&l, &algo_gcra, 3, TH_S(1), 1);
    th_lim_drive(&l, 0, c, 4, got);
    th_expect_times(got, want, 4);
    th_lim_free(&l);
}

/* 2/s burst 2, five at 0. T = 0.5 s. A cost-1 request conforms at
 * TAT - (2 - 1)T: TAT 0 -> 0 (TAT 0.5) -> 0 (TAT 1.0) -> 0.5 (TAT 1.5)
 * -> 1.0 (TAT 2.0) -> 1.5. */
static void
test_two_per_s_burst_two(void **state)
{
    const int64_t c[5] = {1, 1, 1, 1, 1};
    const sim_time want[5] = {0, 0, TH_S(0.5), TH_S(1), TH_S(1.5)};
    sim_time got[5];
    th_lim l;

    (void)state;
    th_lim_new(&l, &algo_gcra, 2, TH_S(1), 2);
    th_lim_drive(&l, 0, c, 5, got);
    th_expect_times(got, want, 5);
    th_lim_free(&l);
}

/* 1/s burst 3, costs 2, 2, 3, 1 at 0. T = 1 s; cost c conforms at
 * TAT - (3 - c)T. TAT 0: cost 2 at max(0, -1) = 0, TAT 2; cost 2 at
 * 2 - 1 = 1, TAT max(2, 1) + 2 = 4; cost 3 at 4 - 0 = 4, TAT 7; cost 1 at
 * 7 - 2 = 5. (As a bucket of 3: 1 left at 0; 2 at 1 s; 3 at 4 s; 1 at 5 s.) */
static void
test_costs(void **state)
{
    const int64_t c[4] = {2, 2, 3, 1};
    const sim_time want[4] = {0, TH_S(1), TH_S(4), TH_S(5)};
    sim_time got[4];
    th_lim l;

    (void)state;
    th_lim_new(&l, &algo_gcra, 1, TH_S(1), 3);
    th_lim_drive(&l, 0, c, 4, got);
    th_expect_times(got, want, 4);
    th_lim_free(&l);
}

/* Idling earns at most the burst. 1/s burst 2: one at 0 (TAT 1 s); then
 * nothing until 100 s. At 100 s TAT is long past: the first conforms at
 * 100 and TAT = max(1, 100) + 1 = 101; the second at 101 - 1 = 100 (TAT
 * 102); the third only at 102 - 1 = 101. */
static void
test_idle_caps_allowance(void **state)
{
    th_lim l;

    (void)state;
    th_lim_new(&l, &algo_gcra, 1, TH_S(1), 2);
    l.a->admit(l.st, 0, 1);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(l.a->next_ok(l.st, TH_S(100), 1), TH_S(100));
        l.a->admit(l.st, TH_S(100), 1);
    }
    assert_int_equal(l.a->next_ok(l.st, TH_S(100), 1), TH_S(101));
    th_lim_free(&l);
}

/* An admission later than its earliest instant (it waited for something
 * else) is recorded at now, not at the earlier exact instant. 3/s burst 1:
 * one at 0 (TAT 1e9 units). The next could go at 333333333.33 ns but is
 * admitted at 0.5 s = 1.5e9 units, so TAT = 2.5e9 units = 833333333.33 ns:
 * next at 833333334, recorded exactly (TAT 3.5e9), then 1166666667. */
static void
test_late_admission_recorded_at_now(void **state)
{
    th_lim l;

    (void)state;
    th_lim_new(&l, &algo_gcra, 3, TH_S(1), 1);
    l.a->admit(l.st, 0, 1);
    assert_int_equal(l.a->next_ok(l.st, TH_S(0.5), 1), TH_S(0.5));
    l.a->admit(l.st, TH_S(0.5), 1);
    assert_int_equal(l.a->next_ok(l.st, TH_S(0.5), 1), 833333334);
    l.a->admit(l.st, 833333334, 1);
    assert_int_equal(l.a->next_ok(l.st, 833333334, 1), 1166666667);
    th_lim_free(&l);
}

/* A cost above the burst can never conform; the capacity is the burst. */
static void
test_cost_over_burst(void **state)
{
    th_lim l;

    (void)state;
    th_lim_new(&l, &algo_gcra, 5, TH_S(1), 3);
    assert_int_equal(l.a->capacity(l.st), 3);
    assert_int_equal(l.a->next_ok(l.st, 0, 3), 0);
    assert_int_equal(l.a->next_ok(l.st, 0, 4), SIM_NEVER);
    assert_int_equal(l.a->next_ok(l.st, TH_S(1e6), 4), SIM_NEVER);
    th_lim_free(&l);
}

static void
expect_init_error(const algo_params *p, const char *key)
{
    char err[128] = "";
    void *st = calloc(1, algo_gcra.state_size);

    assert_non_null(st);
    assert_int_equal(algo_gcra.init(st, p, err, sizeof err), 2);
    assert_true(strncmp(err, key, strlen(key)) == 0);
    assert_true(strlen(err) > strlen(key));
    free(st);
}

/* Burst 0, window 0, count 0: init refuses with "key: ...". */
static void
test_bad_params(void **state)
{
    algo_params no_burst = {.count = 2, .window = TH_S(1), .burst = 0};
    algo_params no_window = {.count = 2, .window = 0, .burst = 2};
    algo_params no_count = {.count = 0, .window = TH_S(1), .burst = 2};

    (void)state;
    expect_init_error(&no_burst, "burst: ");
    expect_init_error(&no_window, "rate: ");
    expect_init_error(&no_count, "rate: ");
    assert_string_equal(algo_gcra.name, "gcra");
    assert_int_equal(algo_gcra.takes, ALGO_TAKES_RATE | ALGO_TAKES_BURST);
    assert_int_equal(algo_gcra.needs, ALGO_TAKES_RATE);
    assert_null(algo_gcra.release);
}

/* ------------------------------------------------------------------ */
/* The vtable against token_bucket's, random operations               */
/* ------------------------------------------------------------------ */

/* A uniform pick from v[0..k). */
static int64_t
pick(rng *r, const int64_t *v, int k)
{
    return v[rng_below(r, (uint64_t)k)];
}

/* Every cost 1..b+1 gets the same answer from both at now. */
static void
same_answers(const th_lim *g, const th_lim *t, sim_time now, int64_t b)
{
    for (int64_t c = 1; c <= b + 1; c++)
        assert_int_equal(g->a->next_ok(g->st, now, c),
                         t->a->next_ok(t->st, now, c));
}

/* One random run of `steps` requests against both limits: a request of a
 * random cost arrives a random time after the last admission, goes at the
 * limit's answer, sometimes later still (it waited for something else). */
static void
fuzz_one(rng *r, int64_t n, sim_time w, int64_t b, int steps)
{
    sim_time gap = w / n > 0 ? w / n : 1;   /* about one interval */
    sim_time now = 0;
    th_lim g, t;

    th_lim_new(&g, &algo_gcra, n, w, b);
    th_lim_new(&t, &algo_token_bucket, n, w, b);
    for (int i = 0; i < steps; i++) {
        const int64_t d[4] = {0, 1, gap, gap * b};
        int64_t cost = 1 + (int64_t)rng_below(r, (uint64_t)b);
        sim_time at = now + (int64_t)rng_below(r, (uint64_t)pick(r, d, 4) + 1);

        same_answers(&g, &t, at, b);
        at = g.a->next_ok(g.st, at, cost);
        if (rng_below(r, 4) == 0)
            at += (int64_t)rng_below(r, (uint64_t)gap + 1);
        assert_int_equal(g.a->next_ok(g.st, at, cost), at);
        g.a->admit(g.st, at, cost);
        t.a->admit(t.st, at, cost);
        now = at;
    }
    same_answers(&g, &t, now, b);
    th_lim_free(&g);
    th_lim_free(&t);
}

/* Rates with whole, fractional and sub-ns intervals (3 per ns), long
 * windows and huge counts: both must answer the same every time. */
static void
test_vtable_matches_token_bucket(void **state)
{
    const int64_t ns[] = {1, 2, 3, 7, 10, 999, 1000, 999999937};
    const int64_t ws[] = {1, 2, 3, TH_S(1), TH_S(2), TH_S(3), TH_S(3600),
                          7777777};
    rng r;

    (void)state;
    rng_seed(&r, 4242, 0);
    for (int k = 0; k < 80; k++) {
        int64_t n = pick(&r, ns, 8), w = pick(&r, ws, 8);
        int64_t b = 1 + (int64_t)rng_below(&r, 8);

        fuzz_one(&r, n, w, b, 5000);
    }
}

/* ------------------------------------------------------------------ */
/* Engine runs: the whole dispatch sequence against token_bucket's     */
/* ------------------------------------------------------------------ */

/* Runs the workload g (by value, so that the caller can run it again) on
 * pv with a priority queue, seed 7; every row the engine hands over goes
 * to out, in order. The workloads here are Poisson arrivals with costs,
 * priorities and, one in eight each, valid-after times and deadlines
 * (th_gen with odd): streamed, nothing stored. */
static void
run_gen(sim_provider_cfg *pv, int np, th_gen g, th_rows *out)
{
    sim_config cfg = th_cfg(pv, np, SIM_QUEUE_PRIORITY, 7);

    *out = (th_rows){0};
    th_run(&cfg, th_gen_next, &g, th_rows_add, out, NULL);
}

/* Replaces every gcra limit in pv by a token_bucket with the same
 * parameters. */
static void
to_token_bucket(sim_provider_cfg *pv, int np)
{
    for (int i = 0; i < np; i++)
        for (int j = 0; j < pv[i].nlimits; j++)
            if (pv[i].limits[j].algo == &algo_gcra)
                pv[i].limits[j].algo = &algo_token_bucket;
}

/* Runs the same generated workload on pv with gcra and with token_bucket
 * and compares every row; also checks the run was not trivial: requests
 * waited, and some went out, and some did not. */
static void
compare_with_token_bucket(sim_provider_cfg *pv, int np, const th_gen *g)
{
    th_rows a, b;
    size_t waited = 0, sent = 0;

    run_gen(pv, np, *g, &a);
    to_token_bucket(pv, np);
    run_gen(pv, np, *g, &b);
    assert_int_equal(a.n, b.n);
    assert_true(a.n >= (size_t)g->n);
    for (size_t i = 0; i < a.n; i++) {
        const sim_row *x = &a.v[i], *y = &b.v[i];
        if (x->req_id != y->req_id || x->t_dispatch != y->t_dispatch ||
            x->provider != y->provider || x->outcome != y->outcome ||
            x->attempt != y->attempt || x->t_done != y->t_done)
            fail_msg("row %zu: gcra req %lld at %lld on %d (%d), "
                     "token_bucket req %lld at %lld on %d (%d)", i,
                     (long long)x->req_id, (long long)x->t_dispatch,
                     x->provider, x->outcome, (long long)y->req_id,
                     (long long)y->t_dispatch, y->provider, y->outcome);
        sent += x->t_dispatch != SIM_NONE;
        waited += x->t_dispatch != SIM_NONE && x->t_dispatch > x->t_ready;
    }
    assert_true(waited > a.n / 10);
    assert_true(sent > a.n / 2 && sent < a.n);
    th_rows_free(&a);
    th_rows_free(&b);
}

/* 7/2s burst 5 (interval 285714285.71 ns), costs 1..5, three priorities,
 * valid-after times and deadlines, Poisson at about 0.9 of capacity. */
static void
test_engine_seven_per_two_s(void **state)
{
    sim_provider_cfg p = th_prov("P", 1, "gcra", 7, TH_S(2), 5);
    th_gen g = {.n = 100000, .gap = TH_S(0.9), .maxcost = 5, .nprio = 3,
                .odd = 1};

    (void)state;
    rng_seed(&g.r, 11, 0);
    compare_with_token_bucket(&p, 1, &g);
}

/* A reject-mode 3/1s burst 3 (costs 4 and 5 can never go there) in front
 * of a queueing 10/3s burst 5: failover, refusals and waits, costs 1..5. */
static void
test_engine_reject_then_queue(void **state)
{
    sim_provider_cfg p[2] = {th_prov("R", 1, "gcra", 3, TH_S(1), 3),
                             th_prov("Q", 2, "gcra", 10, TH_S(3), 5)};
    th_gen g = {.n = 120000, .gap = TH_S(0.42), .maxcost = 5, .nprio = 2,
                .odd = 1};

    (void)state;
    p[0].mode = SIM_MODE_REJECT;
    rng_seed(&g.r, 12, 0);
    compare_with_token_bucket(p, 2, &g);
}

/* Stacked limits: 999/1s burst 10 (interval 1001001.001 ns) and a fixed
 * window of 600/1s on one provider, so the gcra often admits long after
 * its earliest instant; a second provider 7/2s burst 1 takes cost 1 only. */
static void
test_engine_stacked(void **state)
{
    sim_provider_cfg p[2] = {th_prov("A", 1, "gcra", 999, TH_S(1), 10),
                             th_prov("B", 2, "gcra", 7, TH_S(2), 1)};
    th_gen g = {.n = 150000, .gap = TH_S(0.005), .maxcost = 5, .nprio = 3,
                .odd = 1};

    (void)state;
    p[0].nlimits = 2;
    p[0].limits[1] = th_limit("fixed_window", 600, TH_S(1), 0);
    rng_seed(&g.r, 13, 0);
    compare_with_token_bucket(p, 2, &g);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_three_per_s_no_drift),
        cmocka_unit_test(test_two_per_s_burst_two),
        cmocka_unit_test(test_costs),
        cmocka_unit_test(test_idle_caps_allowance),
        cmocka_unit_test(test_late_admission_recorded_at_now),
        cmocka_unit_test(test_cost_over_burst),
        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_vtable_matches_token_bucket),
        cmocka_unit_test(test_engine_seven_per_two_s),
        cmocka_unit_test(test_engine_reject_then_queue),
        cmocka_unit_test(test_engine_stacked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
