/* SPDX-License-Identifier: MIT
 *
 * The test harness (see harness.h): array and generated request sources, a
 * growable row collector with lookups, short ways to configure and run the
 * engine, and a limit driven alone through its vtable. Every failure is a
 * cmocka assertion in the calling test.
 */
#include "tests/harness.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "algos/algos.h"

/* ------------------------------------------------------------------ */
/* Requests                                                            */
/* ------------------------------------------------------------------ */

sim_request
th_rq(int64_t id, double at)
{
    sim_request r = {
        .id = id, .at = TH_S(at), .after = TH_S(at), .deadline = SIM_NEVER,
        .service = SIM_NONE, .cost = 1, .priority = 0, .provider = -1,
    };
    return r;
}

int
th_feed_next(void *ctx, sim_request *out, char *err, size_t errlen)
{
    th_feed *f = ctx;

    (void)err;
    (void)errlen;
    if (f->i == f->n)
        return 0;
    *out = f->v[f->i++];
    return 1;
}

int
th_gen_next(void *ctx, sim_request *out, char *err, size_t errlen)
{
    th_gen *g = ctx;

    (void)err;
    (void)errlen;
    if (g->i == g->n)
        return 0;
    g->t += g->fixed_gap ? g->gap : rng_exp(&g->r, g->gap);
    *out = th_rq(++g->i, 0);
    out->at = out->after = g->t;
    /* The order of the draws is part of every stored expectation: a
     * change here changes the inputs of every generated test. */
    if (g->maxcost > 0)
        out->cost = 1 + (int64_t)rng_below(&g->r, (uint64_t)g->maxcost);
    if (g->nprio > 0)
        out->priority = (int32_t)rng_below(&g->r, (uint64_t)g->nprio);
    if (g->nclients > 0)
        out->client = (uint32_t)rng_below(&g->r, (uint64_t)g->nclients);
    if (g->odd && rng_below(&g->r, 8) == 0)
        out->after = g->t + rng_exp(&g->r, 4 * g->gap);
    if (g->odd && rng_below(&g->r, 8) == 0)
        out->deadline = g->t + 1 + rng_exp(&g->r, 10 * g->gap);
    return 1;
}

/* ------------------------------------------------------------------ */
/* Rows                                                                */
/* ------------------------------------------------------------------ */

int
th_rows_add(void *ctx, const sim_row *row, char *err, size_t errlen)
{
    th_rows *r = ctx;

    (void)err;
    (void)errlen;
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 1024;
        r->v = realloc(r->v, r->cap * sizeof *r->v);
        assert_non_null(r->v);
    }
    r->v[r->n++] = *row;
    return 0;
}

void
th_rows_free(th_rows *r)
{
    free(r->v);
    *r = (th_rows){0};
}

const sim_row *
th_row(const th_rows *r, int64_t id)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].req_id == id)
            return &r->v[i];
    fail_msg("no row for request %lld", (long long)id);
    return NULL;
}

const sim_row *
th_find(const th_rows *r, int64_t id, int attempt)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].req_id == id && r->v[i].attempt == attempt)
            return &r->v[i];
    return NULL;
}

int
th_attempts(const th_rows *r, int64_t id)
{
    int n = 0;

    for (size_t i = 0; i < r->n; i++)
        n += r->v[i].req_id == id;
    return n;
}

void
th_expect(const th_rows *r, int64_t id, int provider, sim_time t, int outcome)
{
    const sim_row *x = th_row(r, id);

    assert_int_equal(x->provider, provider);
    assert_int_equal(x->t_dispatch, t);
    assert_int_equal(x->outcome, outcome);
}

int
th_tally_add(void *ctx, const sim_row *row, char *err, size_t errlen)
{
    th_tally *t = ctx;

    (void)err;
    (void)errlen;
    t->n++;
    t->outcomes[row->outcome]++;
    if (row->client < 4 && row->t_dispatch != SIM_NONE)
        t->by_client[row->client]++;
    if (row->provider >= 0 && row->provider < 4)
        t->by_provider[row->provider]++;
    t->hash = (t->hash ^ (uint64_t)row->req_id) * 0x100000001b3ULL;
    t->hash = (t->hash ^ (uint64_t)row->outcome) * 0x100000001b3ULL;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Configurations and runs                                             */
/* ------------------------------------------------------------------ */

sim_limit_cfg
th_limit(const char *algo_name, int64_t n, sim_time w, int64_t burst)
{
    sim_limit_cfg l = {.algo = algo_find(algo_name)};

    l.p.count = n;
    l.p.window = w;
    l.p.burst = burst;
    assert_non_null(l.algo);
    return l;
}

sim_provider_cfg
th_prov(const char *name, int order, const char *algo_name, int64_t n,
        sim_time w, int64_t burst)
{
    sim_provider_cfg p = {.order = order, .enabled = 1, .nlimits = 1};

    snprintf(p.name, sizeof p.name, "%s", name);
    p.limits[0] = th_limit(algo_name, n, w, burst);
    return p;
}

sim_config
th_cfg(sim_provider_cfg *pv, int np, int queue, uint64_t seed)
{
    sim_config cfg = {.seed = seed, .until = SIM_NEVER, .queue = queue,
                      .nproviders = np, .providers = pv};

    return cfg;
}

void
th_run(const sim_config *cfg, sim_source_fn src, void *src_ctx,
       sim_sink_fn sink, void *sink_ctx, sim_provider_stats *stats)
{
    char err[256] = "";
    sim *s;

    assert_int_equal(sim_new(&s, cfg, err, sizeof err), 0);
    assert_int_equal(sim_run(s, src, src_ctx, sink, sink_ctx, err, sizeof err),
                     0);
    for (int i = 0; stats && i < cfg->nproviders; i++)
        sim_provider_stats_get(s, i, &stats[i]);
    sim_free(s);
}

void
th_run_cfg(const sim_config *cfg, const sim_request *v, int n, th_rows *out)
{
    th_feed f = {v, n, 0};

    out->n = 0;
    th_run(cfg, th_feed_next, &f, th_rows_add, out, NULL);
}

void
th_run_rows(sim_provider_cfg *pv, int np, int queue, const sim_request *v,
            int n, th_rows *out)
{
    sim_config cfg = th_cfg(pv, np, queue, 1);

    th_run_cfg(&cfg, v, n, out);
}

/* ------------------------------------------------------------------ */
/* One limit through its vtable                                        */
/* ------------------------------------------------------------------ */

void
th_lim_new(th_lim *l, const algo *a, int64_t n, sim_time w, int64_t burst)
{
    algo_params p = {.count = n, .window = w, .burst = burst};
    char err[128] = "";

    l->a = a;
    l->st = calloc(1, a->state_size);
    assert_non_null(l->st);
    assert_int_equal(a->init(l->st, &p, err, sizeof err), 0);
}

void
th_lim_free(th_lim *l)
{
    if (l->a->clear)
        l->a->clear(l->st);
    free(l->st);
}

void
th_lim_drive(const th_lim *l, sim_time from, const int64_t *cost, int k,
             sim_time *out)
{
    sim_time now = from;

    for (int i = 0; i < k; i++) {
        now = l->a->next_ok(l->st, now, cost[i]);
        assert_true(now != SIM_NEVER);
        l->a->admit(l->st, now, cost[i]);
        out[i] = now;
    }
}

void
th_expect_times(const sim_time *got, const sim_time *want, int k)
{
    for (int i = 0; i < k; i++)
        assert_int_equal(got[i], want[i]);
}
