/* SPDX-License-Identifier: MIT
 *
 * concurrency tests, through the engine (a concurrency limit only means
 * something with completions): hand-worked schedules with fixed latency and
 * per-request service times (the reasoning is in each test's comment); a
 * property over Poisson input with exponential service, sweeping the rows'
 * [t_dispatch, t_done) intervals: never more than n permits in flight, and
 * a request that waited went out at an instant where permits came back;
 * and theory: in reject mode with Poisson arrivals and exponential service
 * the limit is an M/M/n/n loss system, whose refused fraction is Erlang B.
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

extern const algo algo_concurrency;

/* ------------------------------------------------------------------ */
/* Harness: a concurrency provider, runs (the rest is in harness.h)   */
/* ------------------------------------------------------------------ */

/* One provider whose only limit is concurrency n, with latency of the
 * given kind and parameter 1 s (fixed 1 s, or exponential of mean 1 s). */
static sim_provider_cfg
conc_prov(int64_t n, int mode, int latency)
{
    sim_latency lat = {latency, TH_S(1), 0, 0};
    sim_provider_cfg p = {.name = "P", .order = 1, .enabled = 1,
                          .nlimits = 1, .mode = mode, .latency = lat};

    p.limits[0].algo = &algo_concurrency;
    p.limits[0].p.concurrency = n;
    return p;
}

/* Runs p alone (fifo queue, the given seed) from src into sink. */
static void
run(sim_provider_cfg *p, uint64_t seed, sim_source_fn src, void *src_ctx,
    sim_sink_fn sink, void *sink_ctx)
{
    sim_config cfg = th_cfg(p, 1, SIM_QUEUE_FIFO, seed);

    th_run(&cfg, src, src_ctx, sink, sink_ctx, NULL);
}

static void
run_array(sim_provider_cfg *p, const sim_request *v, int n, th_rows *out)
{
    th_run_rows(p, 1, SIM_QUEUE_FIFO, v, n, out);
    assert_int_equal(out->n, n);
}

/* Checks one row: outcome, dispatch and completion instants in ns
 * (SIM_NONE when it never went out), and that it was on provider 0. */
static void
expect(const th_rows *r, int64_t id, int outcome, sim_time t, sim_time done)
{
    th_expect(r, id, 0, t, outcome);
    assert_int_equal(th_row(r, id)->t_done, done);
}

/* ------------------------------------------------------------------ */
/* Hand-worked schedules                                               */
/* ------------------------------------------------------------------ */

/* The descriptor, capacity, refusal beyond n, and bad parameters. */
static void
test_vtable(void **state)
{
    const algo *a = &algo_concurrency;
    algo_params p = {.concurrency = 3};
    void *st = calloc(1, a->state_size);
    char err[128] = "";

    (void)state;
    assert_non_null(st);
    assert_string_equal(a->name, "concurrency");
    assert_non_null(a->release);
    assert_int_equal(a->init(st, &p, err, sizeof err), 0);
    assert_int_equal(a->capacity(st), 3);
    assert_int_equal(a->next_ok(st, 5, 3), 5);
    assert_int_equal(a->next_ok(st, 5, 4), SIM_NEVER);
    a->admit(st, 5, 2);
    assert_int_equal(a->next_ok(st, 6, 1), 6);
    assert_int_equal(a->next_ok(st, 6, 2), SIM_NEVER);
    a->release(st, 7, 2);
    assert_int_equal(a->next_ok(st, 7, 3), 7);
    p.concurrency = 0;
    assert_int_equal(a->init(st, &p, err, sizeof err), 2);
    assert_true(strncmp(err, "concurrency:", 12) == 0);
    free(st);
}

/* Concurrency 2, fixed latency 1 s, five at 0, queue mode.
 *  t = 0: 1 and 2 take both permits (done at 1 s); 3, 4, 5 wait: nothing
 *         but a completion can make room, so the engine sleeps.
 *  t = 1: completions run before dispatch decisions (SPEC §2), so 1 and 2
 *         give their permits back first, and 3 and 4 go at 1 s (done 2 s).
 *  t = 2: likewise 5 goes at 2 s (done 3 s).
 * So 0, 0, 1, 1, 2, each done 1 s after it went out. */
static void
test_two_permits_five_at_0(void **state)
{
    sim_provider_cfg p = conc_prov(2, SIM_MODE_QUEUE, SIM_LAT_FIXED);
    sim_request v[5];
    sim_time want[5] = {0, 0, TH_S(1), TH_S(1), TH_S(2)};
    th_rows r = {0};

    (void)state;
    for (int i = 0; i < 5; i++)
        v[i] = th_rq(i + 1, 0);
    run_array(&p, v, 5, &r);
    for (int i = 0; i < 5; i++)
        expect(&r, i + 1, SIM_OK, want[i], want[i] + TH_S(1));
    th_rows_free(&r);
}

/* The service column overrides the latency. Concurrency 1, fixed latency
 * 1 s, four at 0; request 1 takes 0.25 s, 3 takes 0 s, 2 and 4 the
 * provider's 1 s.
 *  1 goes at 0, done 0.25 s; 2 goes at 0.25 s, done 1.25 s;
 *  3 goes at 1.25 s and is done at once (its completion, at the same
 *  instant, runs in the next round of that instant and frees the permit);
 *  4 then goes at 1.25 s too, done 2.25 s. */
static void
test_service_overrides_latency(void **state)
{
    sim_provider_cfg p = conc_prov(1, SIM_MODE_QUEUE, SIM_LAT_FIXED);
    sim_request v[4] = {th_rq(1, 0), th_rq(2, 0), th_rq(3, 0), th_rq(4, 0)};
    th_rows r = {0};

    (void)state;
    v[0].service = TH_S(0.25);
    v[2].service = 0;
    run_array(&p, v, 4, &r);
    expect(&r, 1, SIM_OK, 0, TH_S(0.25));
    expect(&r, 2, SIM_OK, TH_S(0.25), TH_S(1.25));
    expect(&r, 3, SIM_OK, TH_S(1.25), TH_S(1.25));
    expect(&r, 4, SIM_OK, TH_S(1.25), TH_S(2.25));
    th_rows_free(&r);
}

/* Costs take that many permits. Concurrency 3, fixed 1 s; costs 2, 2, 1 at
 * 0: 1 takes 2 of 3; 2 needs 2, only 1 is free, so it waits and (head of
 * line) 3 waits behind it though 1 permit would do. At 1 s, 1 is done: 2
 * and 3 go together (2 + 1 = 3). A cost of 4 can never go: refused. */
static void
test_costs(void **state)
{
    sim_provider_cfg p = conc_prov(3, SIM_MODE_QUEUE, SIM_LAT_FIXED);
    sim_request v[4] = {th_rq(1, 0), th_rq(2, 0), th_rq(3, 0), th_rq(4, 0)};
    th_rows r = {0};

    (void)state;
    v[0].cost = v[1].cost = 2;
    v[3].cost = 4;
    run_array(&p, v, 4, &r);
    expect(&r, 1, SIM_OK, 0, TH_S(1));
    expect(&r, 2, SIM_OK, TH_S(1), TH_S(2));
    expect(&r, 3, SIM_OK, TH_S(1), TH_S(2));
    expect(&r, 4, SIM_REJECTED, SIM_NONE, SIM_NONE);
    th_rows_free(&r);
}

/* Reject mode, concurrency 2, fixed 1 s: five at 0: two go, three are
 * refused at once. A sixth arriving at exactly 1 s finds the permits back
 * (completions run before arrivals at one instant) and goes. */
static void
test_reject_mode(void **state)
{
    sim_provider_cfg p = conc_prov(2, SIM_MODE_REJECT, SIM_LAT_FIXED);
    sim_request v[6];
    th_rows r = {0};

    (void)state;
    for (int i = 0; i < 5; i++)
        v[i] = th_rq(i + 1, 0);
    v[5] = th_rq(6, 1);
    run_array(&p, v, 6, &r);
    expect(&r, 1, SIM_OK, 0, TH_S(1));
    expect(&r, 2, SIM_OK, 0, TH_S(1));
    for (int id = 3; id <= 5; id++)
        expect(&r, id, SIM_REJECTED, SIM_NONE, SIM_NONE);
    expect(&r, 6, SIM_OK, TH_S(1), TH_S(2));
    th_rows_free(&r);
}

/* ------------------------------------------------------------------ */
/* Poisson input                                                       */
/* ------------------------------------------------------------------ */

/* A change in permits in flight at an instant. */
typedef struct step {
    sim_time t;
    int64_t delta;
} step;

/* Time order; at one instant returns (negative) before takes, as
 * completions run before dispatch decisions (SPEC §2). */
static int
step_cmp(const void *a, const void *b)
{
    const step *x = a, *y = b;

    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return (x->delta > y->delta) - (x->delta < y->delta);
}

static int
time_cmp(const void *a, const void *b)
{
    sim_time x = *(const sim_time *)a, y = *(const sim_time *)b;

    return (x > y) - (x < y);
}

/* Sweeps the rows' [t_dispatch, t_done) intervals: permits in flight never
 * exceed n, and every one is back at the end. Returns the most seen. */
static int64_t
sweep(const th_rows *d, int64_t n)
{
    step *s = malloc(2 * d->n * sizeof *s);
    int64_t busy = 0, most = 0;

    assert_non_null(s);
    for (size_t i = 0; i < d->n; i++) {
        s[2 * i] = (step){d->v[i].t_dispatch, d->v[i].cost};
        s[2 * i + 1] = (step){d->v[i].t_done, -d->v[i].cost};
    }
    qsort(s, 2 * d->n, sizeof *s, step_cmp);
    for (size_t i = 0; i < 2 * d->n; i++) {
        busy += s[i].delta;
        assert_true(busy >= 0 && busy <= n);
        if (busy > most)
            most = busy;
    }
    assert_int_equal(busy, 0);
    free(s);
    return most;
}

/* Only a completion makes room, so a request that waited must have gone
 * out at an instant at which some request completed. */
static void
check_woken_by_completion(const th_rows *d)
{
    sim_time *done = malloc(d->n * sizeof *done);
    size_t waited = 0;

    assert_non_null(done);
    for (size_t i = 0; i < d->n; i++)
        done[i] = d->v[i].t_done;
    qsort(done, d->n, sizeof *done, time_cmp);
    for (size_t i = 0; i < d->n; i++) {
        if (d->v[i].t_dispatch == d->v[i].t_ready)
            continue;
        assert_true(d->v[i].t_dispatch > d->v[i].t_ready);
        assert_non_null(bsearch(&d->v[i].t_dispatch, done, d->n, sizeof *done,
                                time_cmp));
        waited++;
    }
    assert_true(waited > 0);
    free(done);
}

/* Concurrency 5, exponential service of mean 1 s, costs 1..2, 10^5
 * Poisson arrivals at 2.5/s (3.75 permits busy on average of 5). */
static void
test_property_in_flight(void **state)
{
    sim_provider_cfg p = conc_prov(5, SIM_MODE_QUEUE, SIM_LAT_EXP);
    th_gen g = {.n = 100000, .gap = TH_S(0.4), .maxcost = 2};
    th_rows d = {0};
    double svc = 0;
    int64_t most;

    (void)state;
    rng_seed(&g.r, 31, 0);
    run(&p, 17, th_gen_next, &g, th_rows_add, &d);
    assert_int_equal(d.n, 100000);
    for (size_t i = 0; i < d.n; i++) {
        assert_int_equal(d.v[i].outcome, SIM_OK);
        assert_true(d.v[i].t_done >= d.v[i].t_dispatch);
        svc += (double)(d.v[i].t_done - d.v[i].t_dispatch);
    }
    /* The latency model is used: mean service 1 s within 2% (the standard
     * error over 10^5 draws is 0.3%). */
    svc /= (double)d.n * 1e9;
    assert_true(svc > 0.98 && svc < 1.02);
    most = sweep(&d, 5);
    assert_int_equal(most, 5);
    check_woken_by_completion(&d);
    th_rows_free(&d);
}

/* Erlang B by the stable recursion B(0) = 1,
 * B(k) = a B(k-1) / (k + a B(k-1)). */
static double
erlang_b(int n, double a)
{
    double b = 1.0;

    for (int k = 1; k <= n; k++)
        b = a * b / (k + a * b);
    return b;
}

/* M/M/n/n: concurrency 10 in reject mode, Poisson arrivals at lambda = 8/s,
 * exponential service of mean 1/mu = 1 s, so offered load a = lambda/mu =
 * 8 Erlang. A request finding all 10 permits taken is refused, which is
 * the Erlang loss system: the refused fraction tends to B(10, 8) ~ 0.1217.
 * Over 10^6 requests it must be within 2% (relative). */
static void
test_erlang_b(void **state)
{
    sim_provider_cfg p = conc_prov(10, SIM_MODE_REJECT, SIM_LAT_EXP);
    th_gen g = {.n = 1000000, .gap = TH_S(0.125), .maxcost = 1};
    th_tally t = {0};
    double b = erlang_b(10, 8.0), got;
    int64_t ok, rejected;

    (void)state;
    rng_seed(&g.r, 2026, 0);
    run(&p, 42, th_gen_next, &g, th_tally_add, &t);
    ok = t.outcomes[SIM_OK];
    rejected = t.outcomes[SIM_REJECTED];
    assert_int_equal(ok + rejected, 1000000);
    assert_int_equal(t.n - ok - rejected, 0);   /* no other outcome */
    got = (double)rejected / 1e6;
    print_message("M/M/10/10 a = 8: refused %.5f, Erlang B %.5f (%+.2f%%)\n",
                  got, b, 100.0 * (got - b) / b);
    assert_true(b > 0.1216 && b < 0.1218);
    assert_true(got > b * 0.98 && got < b * 1.02);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vtable),
        cmocka_unit_test(test_two_permits_five_at_0),
        cmocka_unit_test(test_service_overrides_latency),
        cmocka_unit_test(test_costs),
        cmocka_unit_test(test_reject_mode),
        cmocka_unit_test(test_property_in_flight),
        cmocka_unit_test(test_erlang_b),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
