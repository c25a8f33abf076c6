/* SPDX-License-Identifier: MIT
 *
 * sliding_log tests: the vtable on small hand-worked inputs (the reasoning
 * is in each test's comment), the vtable against a brute-force log over
 * random operations (never early, never late), and whole engine runs of
 * 10^5 Poisson requests whose recorded dispatches must never put more than
 * N permits in any half-open window [s, s+W), and must reach N under
 * overload.
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

extern const algo algo_sliding_log;
extern const algo algo_token_bucket;

/* ------------------------------------------------------------------ */
/* Harness: one limit driven through its vtable                        */
/* ------------------------------------------------------------------ */

/* A sliding_log of n per w ns (th_lim); free it with lim_free. */
static void
lim_new(th_lim *l, int64_t n, sim_time w)
{
    th_lim_new(l, &algo_sliding_log, n, w, 0);
}

/* The log lives outside the state, so clear must be there to free it. */
static void
lim_free(th_lim *l)
{
    assert_non_null(l->a->clear);
    th_lim_free(l);
}

static sim_time
ask(const th_lim *l, sim_time now, int64_t cost)
{
    return l->a->next_ok(l->st, now, cost);
}

/* Takes cost at now, which must be admissible there. */
static void
take(th_lim *l, sim_time now, int64_t cost)
{
    assert_int_equal(ask(l, now, cost), now);
    l->a->admit(l->st, now, cost);
}

/* ------------------------------------------------------------------ */
/* Hand-worked schedules                                               */
/* ------------------------------------------------------------------ */

/* 2/1s, five at 0: two at 0; the third must wait until both leave the
 * window, at 0 + 1 s; the fourth joins it (the log holds 1 at 1 s); the
 * fifth waits for the pair at 1 s to leave: 0, 0, 1, 1, 2. */
static void
test_two_per_s_five(void **state)
{
    const sim_time want[5] = {0, 0, TH_S(1), TH_S(1), TH_S(2)};
    sim_time now = 0;
    th_lim l;

    (void)state;
    lim_new(&l, 2, TH_S(1));
    for (int i = 0; i < 5; i++) {
        now = ask(&l, now, 1);
        assert_int_equal(now, want[i]);
        take(&l, now, 1);
    }
    lim_free(&l);
}

/* Half-open windows. 2/1s with admissions at 0 and 0.3 s: at 0.5 s the
 * next waits for the entry at 0 to leave, which it does at exactly 1 s
 * ([0, 1) and [1, 2) are different windows); then the next waits for
 * 0.3 + 1 = 1.3 s, and at 1.3 s - 1 ns it is still refused. */
static void
test_half_open(void **state)
{
    th_lim l;

    (void)state;
    lim_new(&l, 2, TH_S(1));
    take(&l, 0, 1);
    take(&l, TH_S(0.3), 1);
    assert_int_equal(ask(&l, TH_S(0.5), 1), TH_S(1));
    assert_int_equal(ask(&l, TH_S(1) - 1, 1), TH_S(1));
    take(&l, TH_S(1), 1);
    assert_int_equal(ask(&l, TH_S(1), 1), TH_S(1.3));
    assert_int_equal(ask(&l, TH_S(1.3) - 1, 1), TH_S(1.3));
    take(&l, TH_S(1.3), 1);
    lim_free(&l);
}

/* Costs. 5/1s: cost 3 at 0 and cost 2 at 0.2 s fill it. Cost 1 or 3 only
 * needs the 3 at 0 to leave: 1 s. Cost 4 needs 4 - 0 = 4 to leave, so the
 * 2 at 0.2 as well: 1.2 s; so does cost 5. Taking cost 3 at 1 s leaves
 * the 2 at 0.2 and 3 at 1 s: a cost 1 then waits until 1.2 s. */
static void
test_costs(void **state)
{
    th_lim l;

    (void)state;
    lim_new(&l, 5, TH_S(1));
    take(&l, 0, 3);
    take(&l, TH_S(0.2), 2);
    assert_int_equal(ask(&l, TH_S(0.2), 1), TH_S(1));
    assert_int_equal(ask(&l, TH_S(0.2), 3), TH_S(1));
    assert_int_equal(ask(&l, TH_S(0.2), 4), TH_S(1.2));
    assert_int_equal(ask(&l, TH_S(0.2), 5), TH_S(1.2));
    take(&l, TH_S(1), 3);
    assert_int_equal(ask(&l, TH_S(1), 1), TH_S(1.2));
    assert_int_equal(ask(&l, TH_S(1.2), 2), TH_S(1.2));
    lim_free(&l);
}

/* A cost above N can never go; capacity is N. A long idle spell empties
 * the log: every entry leaves at once. */
static void
test_capacity_and_idle(void **state)
{
    th_lim l;

    (void)state;
    lim_new(&l, 3, TH_S(2));
    assert_int_equal(l.a->capacity(l.st), 3);
    assert_int_equal(ask(&l, 0, 4), SIM_NEVER);
    for (int i = 0; i < 3; i++)
        take(&l, TH_S(0.1) * i, 1);
    assert_int_equal(ask(&l, TH_S(0.25), 1), TH_S(2));
    assert_int_equal(ask(&l, TH_S(100), 3), TH_S(100));
    take(&l, TH_S(100), 3);
    assert_int_equal(ask(&l, TH_S(100), 1), TH_S(102));
    lim_free(&l);
}

static void
expect_init_error(const algo_params *p)
{
    char err[128] = "";
    void *st = calloc(1, algo_sliding_log.state_size);

    assert_non_null(st);
    assert_int_equal(algo_sliding_log.init(st, p, err, sizeof err), 2);
    assert_true(strncmp(err, "rate: ", 6) == 0 && strlen(err) > 6);
    algo_sliding_log.clear(st);     /* on a failed init: must be safe */
    free(st);
}

/* Window 0, count 0: init refuses with "rate: ...". */
static void
test_bad_params(void **state)
{
    algo_params no_window = {.count = 2, .window = 0};
    algo_params no_count = {.count = 0, .window = TH_S(1)};

    (void)state;
    expect_init_error(&no_window);
    expect_init_error(&no_count);
    assert_string_equal(algo_sliding_log.name, "sliding_log");
    assert_int_equal(algo_sliding_log.takes, ALGO_TAKES_RATE);
    assert_int_equal(algo_sliding_log.needs, ALGO_TAKES_RATE);
    assert_null(algo_sliding_log.release);
}

/* A limit as large as 10^9 per second costs only what the traffic uses:
 * a million admissions in one window go through (the ring grows on
 * demand), and the limit still bites at N. */
static void
test_large_n(void **state)
{
    th_lim l;

    (void)state;
    lim_new(&l, 1000000, TH_S(1));
    for (int i = 0; i < 1000000; i++)
        take(&l, i, 1);
    assert_int_equal(ask(&l, 1000000, 1), TH_S(1));
    take(&l, TH_S(1), 1);
    lim_free(&l);
    lim_new(&l, 1000000000, TH_S(1));
    take(&l, 0, 1000000000);
    assert_int_equal(ask(&l, 5, 1), TH_S(1));
    lim_free(&l);
}

/* ------------------------------------------------------------------ */
/* The vtable against a brute-force log                                */
/* ------------------------------------------------------------------ */

/* Every admission ever made; `from` skips those that can no longer count
 * at or after the current instant. */
typedef struct ref {
    int64_t n;
    sim_time w, *t;
    int64_t *c;
    size_t len, from;
} ref;

/* The cost admitted in (at - W, at]. */
static int64_t
ref_load(const ref *r, sim_time at)
{
    int64_t sum = 0;

    for (size_t i = r->from; i < r->len; i++)
        if (r->t[i] > at - r->w && r->t[i] <= at)
            sum += r->c[i];
    return sum;
}

/* The load only drops, at instants a + W: the first of now and those
 * instants where cost fits is the earliest. */
static sim_time
ref_next_ok(const ref *r, sim_time now, int64_t cost)
{
    if (cost > r->n)
        return SIM_NEVER;
    if (ref_load(r, now) + cost <= r->n)
        return now;
    for (size_t i = r->from; i < r->len; i++)
        if (r->t[i] + r->w > now && ref_load(r, r->t[i] + r->w) + cost <= r->n)
            return r->t[i] + r->w;
    fail_msg("reference: no instant found");
    return SIM_NEVER;
}

static void
ref_admit(ref *r, sim_time now, int64_t cost)
{
    r->t[r->len] = now;
    r->c[r->len++] = cost;
    while (r->t[r->from] <= now - r->w)
        r->from++;
}

/* How long after the last admission the next request comes: mostly about
 * an interval W/N or less, so the log fills, wraps and grows; now and then
 * long enough to empty part or all of it. */
static sim_time
fuzz_step(rng *g, int64_t n, sim_time w)
{
    const sim_time d[4] = {0, 1, w / n / 2, w / n};
    uint64_t k = rng_below(g, 40);
    sim_time most = k == 0 ? 2 * w : k == 1 ? w / 3 : d[k % 4];

    return (sim_time)rng_below(g, (uint64_t)most + 1);
}

/* One random run of `steps` admissions: each request comes fuzz_step after
 * the last admission, with a random cost (half of them 1), and goes at the
 * answer, sometimes later (it waited for something else). Both must give
 * the same answer for every cost up to 6 and for N + 1, every time. */
static void
fuzz_one(rng *g, int64_t n, sim_time w, int steps)
{
    int64_t maxcost = n < 6 ? n : 6;
    ref r = {.n = n, .w = w};
    sim_time now = 0;
    th_lim l;

    r.t = malloc((size_t)steps * sizeof *r.t);
    r.c = malloc((size_t)steps * sizeof *r.c);
    assert_true(r.t && r.c);
    lim_new(&l, n, w);
    for (int i = 0; i < steps; i++) {
        sim_time at = now + fuzz_step(g, n, w);
        int64_t cost = 1 + (int64_t)rng_below(g, (uint64_t)maxcost);

        if (rng_below(g, 2) == 0)
            cost = 1;
        for (int64_t c = 1; c <= maxcost; c++)
            assert_int_equal(ask(&l, at, c), ref_next_ok(&r, at, c));
        assert_int_equal(ask(&l, at, n + 1), SIM_NEVER);
        at = ask(&l, at, cost);
        if (rng_below(g, 4) == 0)
            at += fuzz_step(g, n, w);
        take(&l, at, cost);
        ref_admit(&r, at, cost);
        now = at;
    }
    lim_free(&l);
    free(r.t);
    free(r.c);
}

static void
test_vtable_matches_brute_force(void **state)
{
    const int64_t ns[] = {1, 2, 3, 5, 10, 37, 100, 150};
    const sim_time ws[] = {1, 2, 7, 1000, TH_S(1), TH_S(3600)};
    rng g;

    (void)state;
    rng_seed(&g, 777, 0);
    for (int k = 0; k < 60; k++)
        fuzz_one(&g, ns[rng_below(&g, 8)], ws[rng_below(&g, 6)], 3000);
}

/* ------------------------------------------------------------------ */
/* Engine runs: a property of the recorded dispatches                  */
/* ------------------------------------------------------------------ */

/* The dispatches of one run: instant, cost, provider and ready time. */
typedef struct sent {
    sim_time t, ready;
    int64_t cost;
    int provider;
} sent;

typedef struct sentlog {
    sent *v;
    size_t n, cap, rows;
} sentlog;

static int
sentlog_add(void *ctx, const sim_row *row, char *err, size_t errlen)
{
    sentlog *l = ctx;

    (void)err;
    (void)errlen;
    l->rows++;
    if (row->t_dispatch == SIM_NONE)
        return 0;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 1024;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        assert_non_null(l->v);
    }
    l->v[l->n++] = (sent){row->t_dispatch, row->t_ready, row->cost,
                          row->provider};
    return 0;
}

static int
by_time(const void *a, const void *b)
{
    const sent *x = a, *y = b;

    return (x->t > y->t) - (x->t < y->t);
}

/* Runs the workload g (Poisson arrivals with costs and priorities and,
 * with odd, valid-after times and deadlines: th_gen, streamed) on pv with
 * a priority queue, seed 7; leaves the dispatches sorted by instant in out
 * and the engine's worst window of each provider in worst[]. */
static void
run_gen(sim_provider_cfg *pv, int np, th_gen g, sentlog *out, int64_t *worst)
{
    sim_config cfg = th_cfg(pv, np, SIM_QUEUE_PRIORITY, 7);
    sim_provider_stats *st = calloc((size_t)np, sizeof *st);

    assert_non_null(st);
    memset(out, 0, sizeof *out);
    th_run(&cfg, th_gen_next, &g, sentlog_add, out, st);
    for (int i = 0; i < np; i++)
        worst[i] = st[i].worst_window;
    free(st);
    assert_int_equal(out->rows, g.n);
    qsort(out->v, out->n, sizeof *out->v, by_time);
}

/* The largest cost provider p took in any [s, s+W): the window that
 * starts at each dispatch (the worst one starts at one), found with two
 * pointers over the dispatches in time order. */
static int64_t
worst_window(const sentlog *l, int p, sim_time w)
{
    int64_t sum = 0, worst = 0;
    size_t j = 0;

    for (size_t i = 0; i < l->n; i++) {
        if (l->v[i].provider != p)
            continue;
        for (; j < l->n && l->v[j].t < l->v[i].t + w; j++)
            if (l->v[j].provider == p)
                sum += l->v[j].cost;
        if (sum > worst)
            worst = sum;
        sum -= l->v[i].cost;
    }
    return worst;
}

/* Checks provider p's sliding_log (its first limit): never more than N in
 * a window, at least `least` in some window, and the engine's own worst
 * window agrees. */
static void
check_windows(const sentlog *l, const sim_provider_cfg *pv, int p,
              const int64_t *engine_worst, int64_t least)
{
    int64_t n = pv[p].limits[0].p.count;
    int64_t worst = worst_window(l, p, pv[p].limits[0].p.window);

    assert_true(worst <= n);
    assert_true(worst >= least);
    assert_int_equal(worst, engine_worst[p]);
}

/* Overload: 10/1s fed 20/s of cost 1. The limit is reached (some window
 * holds exactly 10) and never passed. It is also exact from the other
 * side: a request that waited went when an earlier dispatch left the
 * window, i.e. at that dispatch's instant + W. */
static void
test_engine_overload(void **state)
{
    sim_provider_cfg p = th_prov("P", 1, "sliding_log", 10, TH_S(1), 0);
    th_gen g = {.n = 100000, .gap = TH_S(0.05), .maxcost = 1, .nprio = 1};
    sentlog l;
    int64_t worst;
    size_t j = 0, waited = 0;

    (void)state;
    rng_seed(&g.r, 21, 0);
    run_gen(&p, 1, g, &l, &worst);
    check_windows(&l, &p, 0, &worst, 10);
    for (size_t i = 0; i < l.n; i++) {
        if (l.v[i].t == l.v[i].ready)
            continue;
        waited++;
        while (l.v[j].t < l.v[i].t - TH_S(1))
            j++;
        assert_int_equal(l.v[j].t, l.v[i].t - TH_S(1));
    }
    assert_true(waited > l.n / 2);
    free(l.v);
}

/* Two providers, costs 1..5, priorities, valid-after times and deadlines:
 * a queueing 7/2s and a reject-mode 20/3s behind it. Both hold their
 * limit; both come within a cost of it (some window holds N - 4 or more:
 * a request waiting for cost c sees more than N - c). */
static void
test_engine_two_providers(void **state)
{
    sim_provider_cfg p[2] = {th_prov("Q", 1, "sliding_log", 7, TH_S(2), 0),
                             th_prov("R", 2, "sliding_log", 20, TH_S(3), 0)};
    th_gen g = {.n = 120000, .gap = TH_S(0.25), .maxcost = 5, .nprio = 3,
                .odd = 1};
    sentlog l;
    int64_t worst[2];

    (void)state;
    p[1].mode = SIM_MODE_REJECT;
    rng_seed(&g.r, 22, 0);
    run_gen(p, 2, g, &l, worst);
    check_windows(&l, p, 0, worst, 7 - 4);
    check_windows(&l, p, 1, worst, 20 - 4);
    free(l.v);
}

/* Stacked with a token bucket on one provider (50/1s and 80/1s burst 40),
 * so the log often admits later than its own earliest instant, plus a
 * second provider with a short window of 3/7ms. Costs 1..3, overload. */
static void
test_engine_stacked(void **state)
{
    sim_provider_cfg p[2] = {
        th_prov("A", 1, "sliding_log", 50, TH_S(1), 0),
        th_prov("B", 2, "sliding_log", 3, TH_S(0.007), 0),
    };
    th_gen g = {.n = 150000, .gap = TH_S(0.003), .maxcost = 3, .nprio = 2,
                .odd = 1};
    sentlog l;
    int64_t worst[2];

    (void)state;
    p[0].nlimits = 2;
    p[0].limits[1].algo = &algo_token_bucket;
    p[0].limits[1].p = (algo_params){.count = 80, .window = TH_S(1),
                                     .burst = 40};
    rng_seed(&g.r, 23, 0);
    run_gen(p, 2, g, &l, worst);
    check_windows(&l, p, 0, worst, 50 - 2);
    check_windows(&l, p, 1, worst, 3 - 2);
    free(l.v);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_per_s_five),
        cmocka_unit_test(test_half_open),
        cmocka_unit_test(test_costs),
        cmocka_unit_test(test_capacity_and_idle),
        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_large_n),
        cmocka_unit_test(test_vtable_matches_brute_force),
        cmocka_unit_test(test_engine_overload),
        cmocka_unit_test(test_engine_two_providers),
        cmocka_unit_test(test_engine_stacked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
