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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine.h"
#include "sim/rng.h"

extern const algo algo_leaky_bucket;

#define S(x) ((sim_time)((x) * 1e9 + 0.5)) /* test literals only */
#define MAXROWS 64

typedef struct feed {
    const sim_request *v;
    int n, i;
} feed;

typedef struct rows {
    sim_row v[MAXROWS];
    int n;
} rows;

static int
feed_next(void *ctx, sim_request *out, char *err, size_t errlen)
{
    feed *f = ctx;

    (void)err;
    (void)errlen;
    if (f->i == f->n)
        return 0;
    *out = f->v[f->i++];
    return 1;
}

static int
rows_add(void *ctx, const sim_row *row, char *err, size_t errlen)
{
    rows *r = ctx;

    (void)err;
    (void)errlen;
    assert_true(r->n < MAXROWS);
    r->v[r->n++] = *row;
    return 0;
}

static const sim_row *
row_of(const rows *r, int64_t id)
{
    for (int i = 0; i < r->n; i++)
        if (r->v[i].req_id == id)
            return &r->v[i];
    fail_msg("no row for request %lld", (long long)id);
    return NULL;
}

/* A request at `at` seconds with everything else defaulted. */
static sim_request
rq(int64_t id, double at)
{
    sim_request r = {
        .id = id, .at = S(at), .after = S(at), .deadline = SIM_NEVER,
        .service = SIM_NONE, .cost = 1, .priority = 0, .provider = -1,
    };
    return r;
}

static sim_provider_cfg
prov(const char *name, int order, int64_t n,
     double w, int64_t burst)
{
    sim_provider_cfg p = {.order = order, .enabled = 1, .nlimits = 1};

    snprintf(p.name, sizeof p.name, "%s", name);
    p.limits[0].algo = &algo_leaky_bucket;
    p.limits[0].p.count = n;
    p.limits[0].p.window = S(w);
    p.limits[0].p.burst = burst;
    assert_non_null(p.limits[0].algo);
    return p;
}

static void
run(sim_provider_cfg *pv, int np, int queue, const sim_request *reqs, int n,
    rows *out)
{
    sim_config cfg = {.seed = 1, .until = SIM_NEVER, .queue = queue,
                      .nproviders = np, .providers = pv};
    feed f = {reqs, n, 0};
    char err[256] = "";
    sim *s;

    out->n = 0;
    assert_int_equal(sim_new(&s, &cfg, err, sizeof err), 0);
    assert_int_equal(sim_run(s, feed_next, &f, rows_add, out, err, sizeof err),
                     0);
    sim_free(s);
}

/* Checks one row: provider index (-1 none), dispatch instant in ns
 * (SIM_NONE when it never went out) and outcome. */
static void
expect(const rows *r, int64_t id, int provider, sim_time t, int outcome)
{
    const sim_row *x = row_of(r, id);

    assert_int_equal(x->provider, provider);
    assert_int_equal(x->t_dispatch, t);
    assert_int_equal(x->outcome, outcome);
}

/* 2/s burst 2 (T = 0.5 s), five at 0. As each becomes ready: 1 finds the
 * outflow free and nothing queued (waits 0); 2 has 1 permit queued ahead
 * (waits T); 3 has 2 ahead (2T = burst*T, still allowed); 4 and 5 would
 * wait 3T and 4T > 2T: refused at once. nginx lets burst+1 through:
 * 0, 0.5, 1.0. */
static void
test_nginx_burst(void **state)
{
    sim_provider_cfg p = prov("P1", 1, 2, 1, 2);
    sim_request v[5];
    rows r;

    (void)state;
    for (int i = 0; i < 5; i++)
        v[i] = rq(i + 1, 0);
    run(&p, 1, SIM_QUEUE_FIFO, v, 5, &r);
    expect(&r, 1, 0, 0, SIM_OK);
    expect(&r, 2, 0, S(0.5), SIM_OK);
    expect(&r, 3, 0, S(1.0), SIM_OK);
    expect(&r, 4, 0, SIM_NONE, SIM_REJECTED);
    expect(&r, 5, 0, SIM_NONE, SIM_REJECTED);
}

/* Strict pacing with T = 1/3 s, which is no whole number of ns: four at 0
 * with burst 5 go at ceil(k/3 s): 0, 333333334, 666666667, and exactly 1 s
 * (the state keeps k*T exactly; only the instants are rounded up). */
static void
test_pacing_exact(void **state)
{
    sim_provider_cfg p = prov("P1", 1, 3, 1, 5);
    sim_request v[4];
    rows r;

    (void)state;
    for (int i = 0; i < 4; i++)
        v[i] = rq(i + 1, 0);
    run(&p, 1, SIM_QUEUE_FIFO, v, 4, &r);
    expect(&r, 1, 0, 0, SIM_OK);
    expect(&r, 2, 0, 333333334, SIM_OK);
    expect(&r, 3, 0, 666666667, SIM_OK);
    expect(&r, 4, 0, 1000000000, SIM_OK);
}

/* Unlike a token bucket there is no output burst: 1/s burst 3, a request
 * at 0, then three at 10 s (the bucket has long drained). A token bucket
 * of burst 3 would send all three at 10 s; the leaky bucket sends them at
 * 10, 11, 12. A cost-2 request occupies 2T of the outflow: one of cost 2
 * at 20 s, then one at 20 s goes at 22 s. */
static void
test_no_output_burst(void **state)
{
    sim_provider_cfg p = prov("P1", 1, 1, 1, 3);
    sim_request v[6] = {rq(1, 0), rq(2, 10), rq(3, 10), rq(4, 10),
                        rq(5, 20), rq(6, 20)};
    rows r;

    (void)state;
    v[4].cost = 2;
    run(&p, 1, SIM_QUEUE_FIFO, v, 6, &r);
    expect(&r, 1, 0, 0, SIM_OK);
    expect(&r, 2, 0, S(10), SIM_OK);
    expect(&r, 3, 0, S(11), SIM_OK);
    expect(&r, 4, 0, S(12), SIM_OK);
    expect(&r, 5, 0, S(20), SIM_OK);
    expect(&r, 6, 0, S(22), SIM_OK);
}

/* The vtable alone: capacity is the burst, a cost above it never goes,
 * overflow compares the wait with burst*T exactly, bad parameters fail. */
static void
test_vtable(void **state)
{
    const algo *a = &algo_leaky_bucket;
    algo_params p = {.count = 2, .window = S(1), .burst = 2};
    char st[256] = {0}, err[128];

    (void)state;
    assert_true(a->state_size <= sizeof st);
    assert_int_equal(a->init(st, &p, err, sizeof err), 0);
    assert_int_equal(a->capacity(st), 2);
    assert_int_equal(a->next_ok(st, 0, 3), SIM_NEVER);
    assert_int_equal(a->next_ok(st, 0, 1), 0);
    a->admit(st, 0, 1);                         /* next departure at 0.5 */
    assert_int_equal(a->next_ok(st, 0, 1), S(0.5));
    assert_false(a->overflow(st, 0, 1, 1));     /* waits 0.5 + 0.5 = 2T */
    assert_true(a->overflow(st, 0, 1, 2));      /* waits 1.5 s > 1 s */
    assert_false(a->overflow(st, S(0.5), 1, 2)); /* 0 + 2T */
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

typedef struct paced {
    rng r;
    int64_t n, i, gap;
    sim_time t;
    sim_time last;              /* previous dispatch */
    sim_time min_gap, max_wait;
    int64_t sent, refused;
} paced;

static int
paced_next(void *ctx, sim_request *out, char *err, size_t errlen)
{
    paced *g = ctx;

    (void)err;
    (void)errlen;
    if (g->i == g->n)
        return 0;
    g->t += rng_exp(&g->r, g->gap);
    *out = rq(++g->i, 0);
    out->at = out->after = g->t;
    return 1;
}

/* Rows of cost-1 requests on one FIFO provider come out in dispatch
 * order, so the gap to the previous row is the departure spacing. */
static int
paced_row(void *ctx, const sim_row *row, char *err, size_t errlen)
{
    paced *g = ctx;

    (void)err;
    (void)errlen;
    if (row->outcome == SIM_REJECTED) {
        g->refused++;
        return 0;
    }
    if (g->sent++ && row->t_dispatch - g->last < g->min_gap)
        g->min_gap = row->t_dispatch - g->last;
    if (row->t_dispatch - row->t_ready > g->max_wait)
        g->max_wait = row->t_dispatch - row->t_ready;
    g->last = row->t_dispatch;
    return 0;
}

/* 100/s (T = 10 ms) burst 10: departures are never closer than T, no
 * request that was let in waits more than burst*T = 100 ms, and at 1.5
 * times the rate about a third are refused. */
static void
test_paced_property(void **state)
{
    sim_provider_cfg p = prov("P", 1, 100, 1, 10);
    sim_config cfg = {.seed = 5, .until = SIM_NEVER,
                      .queue = SIM_QUEUE_FIFO, .nproviders = 1,
                      .providers = &p};
    paced g = {.n = 100000, .gap = S(1.0 / 150), .min_gap = SIM_NEVER};
    char err[256];
    sim *s;

    (void)state;
    rng_seed(&g.r, 11, 0);
    assert_int_equal(sim_new(&s, &cfg, err, sizeof err), 0);
    assert_int_equal(sim_run(s, paced_next, &g, paced_row, &g, err,
                             sizeof err), 0);
    sim_free(s);
    assert_int_equal(g.sent + g.refused, 100000);
    assert_true(g.min_gap >= S(0.01));
    assert_true(g.max_wait <= S(0.1));
    assert_true(g.max_wait > S(0.09));          /* the bound is reached */
    assert_true(g.refused > 30000 && g.refused < 37000);
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
