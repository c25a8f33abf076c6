/* SPDX-License-Identifier: MIT
 *
 * leaky_bucket tests: hand-worked schedules (nginx limit_req with burst, no
 * nodelay), the pacing and queue-bound properties over a large random
 * input, and the vtable on its own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sim/engine.h"
#include "sim/rng.h"
#include "tests/harness.h"

extern const algo algo_leaky_bucket;

/* 2/s burst 2 (T = 0.5 s), five at 0. As each becomes ready: 1 finds the
 * outflow free and nothing queued (waits 0); 2 has 1 permit queued ahead
 * (waits T); 3 has 2 ahead (2T = burst*T, still allowed); 4 and 5 would
 * wait 3T and 4T > 2T: refused at once. nginx lets burst+1 through:
 * 0, 0.5, 1.0. */
static void
test_nginx_burst(void **state)
{
    sim_provider_cfg p = th_prov("P1", 1, "leaky_bucket", 2, TH_S(1), 2);
    sim_request v[5];
    th_rows r = {0};

    (void)state;
    for (int i = 0; i < 5; i++)
        v[i] = th_rq(i + 1, 0);
    th_run_rows(&p, 1, SIM_QUEUE_FIFO, v, 5, &r);
    th_expect(&r, 1, 0, 0, SIM_OK);
    th_expect(&r, 2, 0, TH_S(0.5), SIM_OK);
    th_expect(&r, 3, 0, TH_S(1.0), SIM_OK);
    th_expect(&r, 4, 0, SIM_NONE, SIM_REJECTED);
    th_expect(&r, 5, 0, SIM_NONE, SIM_REJECTED);
    th_rows_free(&r);
}

/* Strict pacing with T = 1/3 s, which is no whole number of ns: four at 0
 * with burst 5 go at ceil(k/3 s): 0, 333333334, 666666667, and exactly 1 s
 * (the state keeps k*T exactly; only the instants are rounded up). */
static void
test_pacing_exact(void **state)
{
    sim_provider_cfg p = th_prov("P1", 1, "leaky_bucket", 3, TH_S(1), 5);
    sim_request v[4];
    th_rows r = {0};

    (void)state;
    for (int i = 0; i < 4; i++)
        v[i] = th_rq(i + 1, 0);
    th_run_rows(&p, 1, SIM_QUEUE_FIFO, v, 4, &r);
    th_expect(&r, 1, 0, 0, SIM_OK);
    th_expect(&r, 2, 0, 333333334, SIM_OK);
    th_expect(&r, 3, 0, 666666667, SIM_OK);
    th_expect(&r, 4, 0, 1000000000, SIM_OK);
    th_rows_free(&r);
}

/* Unlike a token bucket there is no output burst: 1/s burst 3, a request
 * at 0, then three at 10 s (the bucket has long drained). A token bucket
 * of burst 3 would send all three at 10 s; the leaky bucket sends them at
 * 10, 11, 12. A cost-2 request occupies 2T of the outflow: one of cost 2
 * at 20 s, then one at 20 s goes at 22 s. */
static void
test_no_output_burst(void **state)
{
    sim_provider_cfg p = th_prov("P1", 1, "leaky_bucket", 1, TH_S(1), 3);
    sim_request v[6] = {th_rq(1, 0), th_rq(2, 10), th_rq(3, 10), th_rq(4, 10),
                        th_rq(5, 20), th_rq(6, 20)};
    th_rows r = {0};

    (void)state;
    v[4].cost = 2;
    th_run_rows(&p, 1, SIM_QUEUE_FIFO, v, 6, &r);
    th_expect(&r, 1, 0, 0, SIM_OK);
    th_expect(&r, 2, 0, TH_S(10), SIM_OK);
    th_expect(&r, 3, 0, TH_S(11), SIM_OK);
    th_expect(&r, 4, 0, TH_S(12), SIM_OK);
    th_expect(&r, 5, 0, TH_S(20), SIM_OK);
    th_expect(&r, 6, 0, TH_S(22), SIM_OK);
    th_rows_free(&r);
}

/* The vtable alone: capacity is the burst, a cost above it never goes,
 * overflow compares the wait with burst*T exactly, bad parameters fail. */
static void
test_vtable(void **state)
{
    const algo *a = &algo_leaky_bucket;
    algo_params p = {.count = 2, .window = TH_S(1), .burst = 2};
    char st[256] = {0}, err[128];

    (void)state;
    assert_true(a->state_size <= sizeof st);
    assert_int_equal(a->init(st, &p, err, sizeof err), 0);
    assert_int_equal(a->capacity(st), 2);
    assert_int_equal(a->next_ok(st, 0, 3), SIM_NEVER);
    assert_int_equal(a->next_ok(st, 0, 1), 0);
    a->admit(st, 0, 1);                         /* next departure at 0.5 */
    assert_int_equal(a->next_ok(st, 0, 1), TH_S(0.5));
    assert_false(a->overflow(st, 0, 1, 1));     /* waits 0.5 + 0.5 = 2T */
    assert_true(a->overflow(st, 0, 1, 2));      /* waits 1.5 s > 1 s */
    assert_false(a->overflow(st, TH_S(0.5), 1, 2)); /* 0 + 2T */
    p.burst = 0;
    assert_int_equal(a->init(st, &p, err, sizeof err), 2);
    assert_string_equal(err, "burst: must be at least 1");
    p.burst = 1;
    p.window = 0;
    assert_int_equal(a->init(st, &p, err, sizeof err), 2);
}

/* ------------------------------------------------------------------ */
/* Property over 10^5 Poisson requests at 1.5 times the rate.          */
/* ------------------------------------------------------------------ */

/* What the rows show: the spacing of departures and the longest wait of
 * the requests let in. */
typedef struct paced {
    sim_time last;              /* previous dispatch */
    sim_time min_gap, max_wait;
    int64_t sent, refused;
} paced;

/* Rows of cost-1 requests on one FIFO provider come out in dispatch
 * order, so the gap to the previous row is the departure spacing. */
static int
paced_row(void *ctx, const sim_row *row, char *err, size_t errlen)
{
    paced *c = ctx;

    (void)err;
    (void)errlen;
    if (row->outcome == SIM_REJECTED) {
        c->refused++;
        return 0;
    }
    if (c->sent++ && row->t_dispatch - c->last < c->min_gap)
        c->min_gap = row->t_dispatch - c->last;
    if (row->t_dispatch - row->t_ready > c->max_wait)
        c->max_wait = row->t_dispatch - row->t_ready;
    c->last = row->t_dispatch;
    return 0;
}

/* 100/s (T = 10 ms) burst 10: departures are never closer than T, no
 * request that was let in waits more than burst*T = 100 ms, and at 1.5
 * times the rate about a third are refused. */
static void
test_paced_property(void **state)
{
    sim_provider_cfg p = th_prov("P", 1, "leaky_bucket", 100, TH_S(1), 10);
    sim_config cfg = th_cfg(&p, 1, SIM_QUEUE_FIFO, 5);
    th_gen g = {.n = 100000, .gap = TH_S(1.0 / 150)};
    paced pc = {.min_gap = SIM_NEVER};

    (void)state;
    rng_seed(&g.r, 11, 0);
    th_run(&cfg, th_gen_next, &g, paced_row, &pc, NULL);
    assert_int_equal(pc.sent + pc.refused, 100000);
    assert_true(pc.min_gap >= TH_S(0.01));
    assert_true(pc.max_wait <= TH_S(0.1));
    assert_true(pc.max_wait > TH_S(0.09));      /* the bound is reached */
    assert_true(pc.refused > 30000 && pc.refused < 37000);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nginx_burst),
        cmocka_unit_test(test_pacing_exact),
        cmocka_unit_test(test_no_output_burst),
        cmocka_unit_test(test_vtable),
        cmocka_unit_test(test_paced_property),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
