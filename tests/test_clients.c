/* SPDX-License-Identifier: MIT
 *
 * Clients and providers that behave like the real thing (SPEC §4): quotas
 * and the three reactions (drop, wait_reset, retry), provider schedules,
 * failures, routes and queue disciplines. Each small case states the
 * schedule it must produce, worked out in its comment; the large ones check
 * a property or a ratio over a random input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine.h"
#include "sim/rng.h"
#include "tests/harness.h"

/* A client with a fixed_window quota of n per w seconds. */
static sim_client_cfg
quota_client(int64_t n, double w, int react)
{
    sim_client_cfg c = {.react = react, .weight = 1, .has_quota = 1};

    snprintf(c.name, sizeof c.name, "alice");
    c.quota = th_limit("fixed_window", n, TH_S(w), 0);
    return c;
}

typedef struct setup {
    sim_config cfg;
    sim_provider_cfg p[4];
    sim_client_cfg c[4];
} setup;

static void
setup_init(setup *u, int queue, int route)
{
    memset(u, 0, sizeof *u);
    u->cfg = (sim_config){.seed = 1, .until = SIM_NEVER, .queue = queue,
                          .route = route, .providers = u->p,
                          .clients = u->c};
}

/* One provider that admits everything (1000/s, burst 1000), one quota
 * client (number 0), and 100 of its requests at 0. */
static void
quota_case(setup *u, sim_request *v, int react)
{
    setup_init(u, SIM_QUEUE_PRIORITY, SIM_ROUTE_ORDERED);
    u->p[0] = th_prov("api", 1, "token_bucket", 1000, TH_S(1), 1000);
    u->cfg.nproviders = 1;
    u->c[0] = quota_client(60, 60, react);
    u->cfg.nclients = 1;
    for (int i = 0; i < 100; i++)
        v[i] = th_rq(i + 1, 0);
}

/* ------------------------------------------------------------------ */
/* Quotas and reactions                                                */
/* ------------------------------------------------------------------ */

/* quota 60/1m, drop: the first 60 go at 0; 61..100 are refused by the
 * quota (no provider) and the client gives up: one row each, rejected. */
static void
test_quota_drop(void **state)
{
    setup u;
    sim_request v[100];
    th_rows r = {0};

    (void)state;
    quota_case(&u, v, SIM_REACT_DROP);
    th_run_cfg(&u.cfg, v, 100, &r);
    assert_int_equal(r.n, 100);
    for (int id = 1; id <= 60; id++)
        assert_int_equal(th_find(&r, id, 1)->t_dispatch, 0);
    for (int id = 61; id <= 100; id++) {
        const sim_row *x = th_find(&r, id, 1);
        assert_int_equal(x->outcome, SIM_REJECTED);
        assert_int_equal(x->provider, -1);
        assert_int_equal(x->t_dispatch, SIM_NONE);
        assert_int_equal(th_attempts(&r, id), 1);
    }
    th_rows_free(&r);
}

/* quota 60/1m, wait_reset: 60 go at 0; 61 is refused (retry-after 60 s, the
 * next window) and the client pauses, holding 61 and every later request;
 * at 60 s it sends them again, best first, and all 40 fit the new window.
 * 61 has two rows (rejected at 0, ok at 60 s); 62..100 one (ok at 60 s,
 * ready at 60 s). */
static void
test_quota_wait_reset(void **state)
{
    setup u;
    sim_request v[100];
    th_rows r = {0};

    (void)state;
    quota_case(&u, v, SIM_REACT_WAIT_RESET);
    th_run_cfg(&u.cfg, v, 100, &r);
    for (int id = 1; id <= 60; id++)
        assert_int_equal(th_find(&r, id, 1)->t_dispatch, 0);
    assert_int_equal(th_find(&r, 61, 1)->outcome, SIM_REJECTED);
    assert_int_equal(th_find(&r, 61, 2)->t_dispatch, TH_S(60));
    assert_int_equal(th_find(&r, 61, 2)->t_ready, TH_S(60));
    assert_int_equal(th_find(&r, 61, 2)->t_arrive, 0);
    for (int id = 62; id <= 100; id++) {
        assert_int_equal(th_attempts(&r, id), 1);
        assert_int_equal(th_find(&r, id, 1)->t_dispatch, TH_S(60));
        assert_int_equal(th_find(&r, id, 1)->outcome, SIM_OK);
    }
    th_rows_free(&r);
}

/* wait_reset resends in priority order: quota 2/10s; four at 0 with
 * priorities 0, 0, 0, 5 (id 4). 1 and 2 take the window; 3 is refused and
 * the client pauses, holding 3 and 4. At 10 s it sends 4 first (priority
 * 5), then 3: both fit. Then a fifth request at 10 s, priority 9, is
 * refused (the window is full again) and waits for 20 s. */
static void
test_wait_reset_priority_order(void **state)
{
    setup u;
    sim_request v[5] = {th_rq(1, 0), th_rq(2, 0), th_rq(3, 0), th_rq(4, 0),
                        th_rq(5, 10)};
    th_rows r = {0};

    (void)state;
    setup_init(&u, SIM_QUEUE_PRIORITY, SIM_ROUTE_ORDERED);
    u.p[0] = th_prov("api", 1, "token_bucket", 1000, TH_S(1), 1000);
    u.cfg.nproviders = 1;
    u.c[0] = quota_client(2, 10, SIM_REACT_WAIT_RESET);
    u.cfg.nclients = 1;
    v[3].priority = 5;
    v[4].priority = 9;
    th_run_cfg(&u.cfg, v, 5, &r);
    assert_int_equal(th_find(&r, 3, 1)->outcome, SIM_REJECTED);
    assert_int_equal(th_find(&r, 4, 1)->t_dispatch, TH_S(10));
    assert_int_equal(th_find(&r, 3, 2)->t_dispatch, TH_S(10));
    assert_int_equal(th_find(&r, 5, 1)->outcome, SIM_REJECTED);
    assert_int_equal(th_find(&r, 5, 2)->t_dispatch, TH_S(20));
    th_rows_free(&r);
}

/* retry:expo,base=4s,max=3,jitter=none against a quota of 60/10s, 100 at
 * 0. 61..100 are refused at 0; the k-th retry waits 4 * 2^(k-1) s after
 * the refusal: the first at 4 s (window [0,10) still full: refused), the
 * second 8 s after that, at 12 s, in the fresh window [10,20): all 40 go.
 * Rows: attempt 1 rejected (ready 0), 2 rejected (ready 4 s), 3 ok at
 * 12 s. */
static void
test_retry_expo(void **state)
{
    setup u;
    sim_request v[100];
    th_rows r = {0};

    (void)state;
    quota_case(&u, v, SIM_REACT_RETRY);
    u.c[0] = quota_client(60, 10, SIM_REACT_RETRY);
    u.c[0].retry_base = TH_S(4);
    u.c[0].retry_max = 3;
    th_run_cfg(&u.cfg, v, 100, &r);
    for (int id = 61; id <= 100; id++) {
        assert_int_equal(th_attempts(&r, id), 3);
        assert_int_equal(th_find(&r, id, 1)->outcome, SIM_REJECTED);
        assert_int_equal(th_find(&r, id, 2)->outcome, SIM_REJECTED);
        assert_int_equal(th_find(&r, id, 2)->t_ready, TH_S(4));
        assert_int_equal(th_find(&r, id, 3)->outcome, SIM_OK);
        assert_int_equal(th_find(&r, id, 3)->t_dispatch, TH_S(12));
        assert_int_equal(th_find(&r, id, 3)->t_arrive, 0);
    }
    th_rows_free(&r);
}

/* The retries run out: quota 1/100s, base 1s, max 2, two at 0. Request 2
 * is refused at 0, at 1 s and at 3 s (1 + 2); after the second retry its
 * last row stands: rejected, no extra row. */
static void
test_retry_exhausted(void **state)
{
    setup u;
    sim_request v[100];
    th_rows r = {0};

    (void)state;
    quota_case(&u, v, SIM_REACT_RETRY);
    v[0] = th_rq(1, 0);
    v[1] = th_rq(2, 0);
    u.c[0] = quota_client(1, 100, SIM_REACT_RETRY);
    u.c[0].retry_base = TH_S(1);
    u.c[0].retry_max = 2;
    th_run_cfg(&u.cfg, v, 2, &r);
    assert_int_equal(th_attempts(&r, 2), 3);
    assert_int_equal(th_find(&r, 2, 2)->t_ready, TH_S(1));
    assert_int_equal(th_find(&r, 2, 3)->t_ready, TH_S(3));
    assert_int_equal(th_find(&r, 2, 3)->outcome, SIM_REJECTED);
    th_rows_free(&r);
}

/* A deadline that passes while the client holds the request in a retry
 * back-off: the client drops it. Quota 1/100s, base 10s, max 5; request 2
 * (deadline 5 s) is refused at 0 and would be sent again at 10 s: at 5 s
 * it is dropped (a second row, attempt 2, outcome dropped). */
static void
test_dropped_in_backoff(void **state)
{
    setup u;
    sim_request v[100];
    th_rows r = {0};

    (void)state;
    quota_case(&u, v, SIM_REACT_RETRY);
    v[0] = th_rq(1, 0);
    v[1] = th_rq(2, 0);
    v[1].deadline = TH_S(5);
    u.c[0] = quota_client(1, 100, SIM_REACT_RETRY);
    u.c[0].retry_base = TH_S(10);
    u.c[0].retry_max = 5;
    th_run_cfg(&u.cfg, v, 2, &r);
    assert_int_equal(th_attempts(&r, 2), 2);
    assert_int_equal(th_find(&r, 2, 1)->outcome, SIM_REJECTED);
    assert_int_equal(th_find(&r, 2, 2)->outcome, SIM_DROPPED);
    th_rows_free(&r);
}

/* Full jitter: each back-off is uniform in [0, base * 2^(k-1)], drawn from
 * the client's own stream: the same on every run, within the bound. */
static void
test_retry_jitter(void **state)
{
    setup u;
    sim_request v[100];
    th_rows r1 = {0}, r2 = {0};

    (void)state;
    quota_case(&u, v, SIM_REACT_RETRY);
    u.c[0] = quota_client(60, 10, SIM_REACT_RETRY);
    u.c[0].retry_base = TH_S(4);
    u.c[0].retry_max = 1;
    u.c[0].jitter = SIM_JITTER_FULL;
    th_run_cfg(&u.cfg, v, 100, &r1);
    th_run_cfg(&u.cfg, v, 100, &r2);
    assert_int_equal(r1.n, r2.n);
    assert_memory_equal(r1.v, r2.v, (size_t)r1.n * sizeof r1.v[0]);
    for (int id = 61; id <= 100; id++) {
        sim_time t = th_find(&r1, id, 2)->t_ready;
        assert_true(t >= 0 && t <= TH_S(4));
    }
    assert_true(th_find(&r1, 61, 2)->t_ready != th_find(&r1, 62, 2)->t_ready);
    th_rows_free(&r1);
    th_rows_free(&r2);
}

/* ------------------------------------------------------------------ */
/* Provider schedules, failures                                        */
/* ------------------------------------------------------------------ */

/* P1 (1/s burst 1) is off from 10 s to 20 s. One request a second from 0
 * to 29 s. With P2 (same limit) behind it: nothing goes to P1 in
 * [10, 20), the requests of that time go to P2. Alone: those requests wait
 * and P1 takes them again from 20 s, one a second, in order. */
static void
test_schedule_outage(void **state)
{
    sim_switch sw[2] = {{TH_S(10), 0}, {TH_S(20), 1}};
    sim_request v[30];
    setup u;
    th_rows r = {0};

    (void)state;
    setup_init(&u, SIM_QUEUE_PRIORITY, SIM_ROUTE_ORDERED);
    u.p[0] = th_prov("P1", 1, "token_bucket", 1, TH_S(1), 1);
    u.p[0].schedule = sw;
    u.p[0].nswitch = 2;
    u.p[1] = th_prov("P2", 2, "token_bucket", 1, TH_S(1), 1);
    u.cfg.nproviders = 2;
    for (int i = 0; i < 30; i++)
        v[i] = th_rq(i + 1, i);
    th_run_cfg(&u.cfg, v, 30, &r);
    for (size_t i = 0; i < r.n; i++) {
        const sim_row *x = &r.v[i];
        if (x->t_dispatch >= TH_S(10) && x->t_dispatch < TH_S(20))
            assert_int_equal(x->provider, 1);
        else
            assert_int_equal(x->provider, 0);
        assert_int_equal(x->t_dispatch, x->t_ready);
    }
    u.cfg.nproviders = 1;
    th_run_cfg(&u.cfg, v, 30, &r);
    for (int id = 11; id <= 30; id++)
        assert_int_equal(th_find(&r, id, 1)->t_dispatch, TH_S(20 + (id - 11)));
    th_rows_free(&r);
}

/* While P1 is off, waiting requests go out at 20 s in priority order:
 * three at 12 s with priorities 0, 2, 1 on a 10/s burst 10 provider all go
 * at 20 s; the fixed window 1/1s one sends them at 20, 21, 22 s, best
 * first: ids 2, 3, 1. */
static void
test_schedule_priority_order(void **state)
{
    sim_switch sw[2] = {{TH_S(10), 0}, {TH_S(20), 1}};
    sim_request v[3] = {th_rq(1, 12), th_rq(2, 12), th_rq(3, 12)};
    setup u;
    th_rows r = {0};

    (void)state;
    setup_init(&u, SIM_QUEUE_PRIORITY, SIM_ROUTE_ORDERED);
    u.p[0] = th_prov("P1", 1, "fixed_window", 1, TH_S(1), 0);
    u.p[0].schedule = sw;
    u.p[0].nswitch = 2;
    u.cfg.nproviders = 1;
    v[1].priority = 2;
    v[2].priority = 1;
    th_run_cfg(&u.cfg, v, 3, &r);
    assert_int_equal(th_find(&r, 2, 1)->t_dispatch, TH_S(20));
    assert_int_equal(th_find(&r, 3, 1)->t_dispatch, TH_S(21));
    assert_int_equal(th_find(&r, 1, 1)->t_dispatch, TH_S(22));
    th_rows_free(&r);
}

/* Failures over a streamed workload: evenly spaced arrivals (th_gen with
 * fixed_gap), optionally spread over clients at random, counted into t. */
static void
run_stream(setup *u, th_gen *g, th_tally *t)
{
    memset(t, 0, sizeof *t);
    th_run(&u->cfg, th_gen_next, g, th_tally_add, t, NULL);
}

/* fail = 0.1 over 10^5 requests: the failed fraction is within 3 sigma of
 * 0.1 (sigma = sqrt(0.1 * 0.9 / 10^5) ~ 0.00095); the same seed fails the
 * same requests, another seed others. */
static void
test_failures(void **state)
{
    th_gen g = {.n = 100000, .gap = TH_S(0.01), .fixed_gap = 1};
    th_gen g2 = g, g3 = g;
    th_tally t1, t2, t3;
    setup u;
    double f;

    (void)state;
    setup_init(&u, SIM_QUEUE_PRIORITY, SIM_ROUTE_ORDERED);
    u.p[0] = th_prov("P", 1, "token_bucket", 1000, TH_S(1), 1000);
    u.p[0].fail = 0.1;
    u.cfg.nproviders = 1;
    run_stream(&u, &g, &t1);
    run_stream(&u, &g2, &t2);
    f = (double)t1.outcomes[SIM_FAILED] / (double)t1.n;
    assert_true(f > 0.1 - 0.00285 && f < 0.1 + 0.00285);
    assert_int_equal(t1.hash, t2.hash);
    u.cfg.seed = 2;
    run_stream(&u, &g3, &t3);
    assert_true(t1.hash != t3.hash);
}

/* A failed attempt goes through its client's reaction after it completes:
 * latency 1 s, fail = 1, retry base 2 s max 1: sent at 0, fails at 1 s,
 * sent again at 3 s (ready 3 s), fails again at 4 s; the last row stands. */
static void
test_failure_retried(void **state)
{
    sim_request v[1] = {th_rq(1, 0)};
    setup u;
    th_rows r = {0};

    (void)state;
    setup_init(&u, SIM_QUEUE_PRIORITY, SIM_ROUTE_ORDERED);
    u.p[0] = th_prov("P", 1, "token_bucket", 10, TH_S(1), 10);
    u.p[0].fail = 1;
    u.p[0].latency = (sim_latency){SIM_LAT_FIXED, TH_S(1), 0, 0};
    u.cfg.nproviders = 1;
    u.c[0] = (sim_client_cfg){.react = SIM_REACT_RETRY, .retry_base = TH_S(2),
                              .retry_max = 1, .weight = 1};
    u.cfg.nclients = 1;
    th_run_cfg(&u.cfg, v, 1, &r);
    assert_int_equal(r.n, 2);
    assert_int_equal(th_find(&r, 1, 1)->outcome, SIM_FAILED);
    assert_int_equal(th_find(&r, 1, 1)->t_done, TH_S(1));
    assert_int_equal(th_find(&r, 1, 2)->t_dispatch, TH_S(3));
    assert_int_equal(th_find(&r, 1, 2)->t_done, TH_S(4));
    assert_int_equal(th_find(&r, 1, 2)->outcome, SIM_FAILED);
    th_rows_free(&r);
}

/* Latency models: lognormal:20ms,0.5 has median 20 ms; over 10^4
 * requests the sample median of t_done - t_dispatch is within 3%, and
 * the spread is real (the 90th percentile is about e^(0.5*1.2816) = 1.90
 * times the median). */
static int
cmp_time(const void *a, const void *b)
{
    sim_time x = *(const sim_time *)a, y = *(const sim_time *)b;

    return (x > y) - (x < y);
}

typedef struct svc {
    sim_time *v;
    int n;
} svc;

static int
svc_add(void *ctx, const sim_row *row, char *err, size_t errlen)
{
    svc *c = ctx;

    (void)err;
    (void)errlen;
    c->v[c->n++] = row->t_done - row->t_dispatch;
    return 0;
}

static void
test_lognormal_latency(void **state)
{
    th_gen g = {.n = 10000, .gap = TH_S(0.001), .fixed_gap = 1};
    svc c = {calloc(10000, sizeof(sim_time)), 0};
    setup u;
    double med, p90;

    (void)state;
    setup_init(&u, SIM_QUEUE_PRIORITY, SIM_ROUTE_ORDERED);
    u.p[0] = th_prov("P", 1, "token_bucket", 10000, TH_S(1), 10000);
    u.p[0].latency = (sim_latency){SIM_LAT_LOGNORMAL, TH_S(0.02), 0, 0.5};
    u.cfg.nproviders = 1;
    th_run(&u.cfg, th_gen_next, &g, svc_add, &c, NULL);
    assert_int_equal(c.n, 10000);
    qsort(c.v, 10000, sizeof *c.v, cmp_time);
    med = (double)c.v[5000] / 1e9;
    p90 = (double)c.v[9000] / 1e9;
    assert_true(med > 0.02 * 0.97 && med < 0.02 * 1.03);
    assert_true(p90 / med > 1.75 && p90 / med < 2.05);
    free(c.v);
}

/* ------------------------------------------------------------------ */
/* Routes and queue disciplines                                        */
/* ------------------------------------------------------------------ */

/* round_robin over three equal providers (each 100/s): 3000 requests at
 * 150/s go 1000 to each; ordered gives A all it can take (over 2000: its
 * burst and then 100/s) and B the overflow. */
static void
test_round_robin(void **state)
{
    th_gen g = {.n = 3000, .gap = TH_S(1.0 / 150), .fixed_gap = 1};
    th_gen g2 = g;
    setup u;
    th_tally t;

    (void)state;
    setup_init(&u, SIM_QUEUE_PRIORITY, SIM_ROUTE_ROUND_ROBIN);
    for (int i = 0; i < 3; i++)
        u.p[i] = th_prov(i == 0 ? "A" : i == 1 ? "B" : "C", i + 1,
                         "token_bucket", 100, TH_S(1), 100);
    u.cfg.nproviders = 3;
    run_stream(&u, &g, &t);
    for (int i = 0; i < 3; i++)
        assert_int_equal(t.by_provider[i], 1000);
    u.cfg.route = SIM_ROUTE_ORDERED;
    run_stream(&u, &g2, &t);
    assert_true(t.by_provider[0] > 2000 && t.by_provider[1] < 1000);
}

/* least_loaded: latency 10 s on A (order 1) and 1 s on B, no rate limit to
 * speak of; one request a second. The first goes to A (both idle, ties by
 * order); from then on A has one in flight and B none, so B takes every
 * request while A is busy: of ten requests, A gets 1 and B 9. Ordered
 * would send all ten to A. */
static void
test_least_loaded(void **state)
{
    sim_request v[10];
    setup u;
    th_rows r = {0};

    (void)state;
    setup_init(&u, SIM_QUEUE_PRIORITY, SIM_ROUTE_LEAST_LOADED);
    u.p[0] = th_prov("A", 1, "token_bucket", 1000, TH_S(1), 1000);
    u.p[0].latency = (sim_latency){SIM_LAT_FIXED, TH_S(10), 0, 0};
    u.p[1] = th_prov("B", 2, "token_bucket", 1000, TH_S(1), 1000);
    u.p[1].latency = (sim_latency){SIM_LAT_FIXED, TH_S(1), 0, 0};
    u.cfg.nproviders = 2;
    for (int i = 0; i < 10; i++)
        v[i] = th_rq(i + 1, i);
    th_run_cfg(&u.cfg, v, 10, &r);
    assert_int_equal(th_find(&r, 1, 1)->provider, 0);
    for (int id = 2; id <= 10; id++)
        assert_int_equal(th_find(&r, id, 1)->provider, 1);
    u.cfg.route = SIM_ROUTE_ORDERED;
    th_run_cfg(&u.cfg, v, 10, &r);
    for (int id = 1; id <= 10; id++)
        assert_int_equal(th_find(&r, id, 1)->provider, 0);
    th_rows_free(&r);
}

/* wfq: two clients with weights 2 and 1, both always backlogged (arrivals
 * at 10 times the provider's 100/s, alternating clients at random); over
 * the 10^4 dispatches the ratio is 2:1 within 1%. */
static void
test_wfq_ratio(void **state)
{
    th_gen g = {.n = 100000, .gap = TH_S(0.001), .fixed_gap = 1,
                .nclients = 2};
    setup u;
    th_tally t;
    double ratio;

    (void)state;
    setup_init(&u, SIM_QUEUE_WFQ, SIM_ROUTE_ORDERED);
    u.p[0] = th_prov("P", 1, "token_bucket", 100, TH_S(1), 1);
    u.cfg.nproviders = 1;
    u.cfg.until = TH_S(100);
    u.c[0] = (sim_client_cfg){.name = "heavy", .weight = 2};
    u.c[1] = (sim_client_cfg){.name = "light", .weight = 1};
    u.cfg.nclients = 2;
    rng_seed(&g.r, 3, 0);
    run_stream(&u, &g, &t);
    assert_true(t.by_client[0] + t.by_client[1] >= 10000);
    ratio = (double)t.by_client[0] / (double)t.by_client[1];
    print_message("wfq dispatches %lld : %lld, ratio %.4f\n",
                  (long long)t.by_client[0], (long long)t.by_client[1], ratio);
    assert_true(ratio > 2 * 0.99 && ratio < 2 * 1.01);
}

/* edf beats fifo on missed deadlines. A 10/s provider (burst 1); a backlog
 * of 50 requests at 0 with a loose deadline (100 s) takes 5 s to serve;
 * meanwhile 25 urgent ones arrive, one every 0.2 s from 0.05 s, each due
 * 0.5 s later. fifo serves in arrival order: the backlog goes at 0, 0.1,
 * ..., 4.9 s, so an urgent request can only go from 5.0 s; only the last
 * two (at 4.65 and 4.85 s, due 5.15 and 5.35 s) are still alive then and go
 * at 5.0 and 5.1 s: 23 of 25 expire. edf serves each urgent one at the next
 * token (within 0.1 s), and the loose ones all go by 7.5 s, well in time. */
static void
test_edf_beats_fifo(void **state)
{
    sim_request v[75];
    setup u;
    th_rows r = {0};
    int expired[2];

    (void)state;
    setup_init(&u, SIM_QUEUE_EDF, SIM_ROUTE_ORDERED);
    u.p[0] = th_prov("P", 1, "token_bucket", 10, TH_S(1), 1);
    u.cfg.nproviders = 1;
    for (int i = 0; i < 50; i++) {
        v[i] = th_rq(i + 1, 0);
        v[i].deadline = TH_S(100);
    }
    for (int k = 0; k < 25; k++) {
        v[50 + k] = th_rq(51 + k, 0.05 + 0.2 * k);
        v[50 + k].deadline = v[50 + k].at + TH_S(0.5);
    }
    for (int q = 0; q < 2; q++) {
        u.cfg.queue = q == 0 ? SIM_QUEUE_EDF : SIM_QUEUE_FIFO;
        th_run_cfg(&u.cfg, v, 75, &r);
        expired[q] = 0;
        for (size_t i = 0; i < r.n; i++)
            expired[q] += r.v[i].outcome == SIM_EXPIRED;
    }
    assert_int_equal(expired[0], 0);
    assert_int_equal(expired[1], 23);
    th_rows_free(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quota_drop),
        cmocka_unit_test(test_quota_wait_reset),
        cmocka_unit_test(test_wait_reset_priority_order),
        cmocka_unit_test(test_retry_expo),
        cmocka_unit_test(test_retry_exhausted),
        cmocka_unit_test(test_dropped_in_backoff),
        cmocka_unit_test(test_retry_jitter),
        cmocka_unit_test(test_schedule_outage),
        cmocka_unit_test(test_schedule_priority_order),
        cmocka_unit_test(test_failures),
        cmocka_unit_test(test_failure_retried),
        cmocka_unit_test(test_lognormal_latency),
        cmocka_unit_test(test_round_robin),
        cmocka_unit_test(test_least_loaded),
        cmocka_unit_test(test_wfq_ratio),
        cmocka_unit_test(test_edf_beats_fifo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
