/* SPDX-License-Identifier: MIT
 *
 * Distributed limiters: several nodes sharing one provider's rate limit,
 * through a central store (a round trip per decision, atomic or
 * read-then-write) or split evenly between them (local).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/harness.h"

#include <stdio.h>
#include "algos/algos.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

static int
cmp_time(const void *a, const void *b)
{
    sim_time x = *(const sim_time *)a, y = *(const sim_time *)b;

    return (x > y) - (x < y);
}

/* A token bucket of 100/s burst 10 made distributed: nodes, sharing, rtt
 * (fixed), skew. */
static sim_provider_cfg
dist(int nodes, int shared, int atomic, sim_time rtt, sim_time skew)
{
    sim_provider_cfg p = th_prov("api", 1, "token_bucket", 100, TH_S(1), 10);

    p.nodes = nodes;
    p.shared = shared;
    p.atomic = atomic;
    p.rtt = (sim_latency){SIM_LAT_FIXED, rtt, 0, 0};
    p.skew = skew;
    return p;
}

/* Runs pv over a generated stream of n requests (mean gap `gap`, costs
 * 1..maxcost, 50 clients), into rows; the provider's figures in st. */
static void
run_gen(sim_provider_cfg *pv, int64_t n, sim_time gap, int64_t maxcost,
        th_rows *rows, sim_provider_stats *st)
{
    sim_config cfg = th_cfg(pv, 1, SIM_QUEUE_PRIORITY, 1);
    th_gen g = {.n = n, .gap = gap, .maxcost = maxcost, .nclients = 50};

    rng_seed(&g.r, 17, 0);
    rows->n = 0;
    th_run(&cfg, th_gen_next, &g, th_rows_add, rows, st);
}

/* One node asking a central store with no round trip is the plain
 * limiter: the same rows, request for request, with costs 1..3. */
static void
test_one_node_central_is_plain(void **state)
{
    sim_provider_cfg plain = th_prov("api", 1, "token_bucket", 100, TH_S(1),
                                     10);
    sim_provider_cfg one = dist(1, SIM_SHARED_CENTRAL, 1, 0, 0);
    th_rows a = {0}, b = {0};
    sim_provider_stats sa, sb;

    (void)state;
    run_gen(&plain, 20000, TH_S(0.008), 3, &a, &sa);
    run_gen(&one, 20000, TH_S(0.008), 3, &b, &sb);
    assert_int_equal(a.n, b.n);
    for (size_t i = 0; i < a.n; i++) {
        const sim_row *x = th_find(&b, a.v[i].req_id, a.v[i].attempt);
        assert_non_null(x);
        assert_int_equal(x->t_dispatch, a.v[i].t_dispatch);
        assert_int_equal(x->outcome, a.v[i].outcome);
    }
    assert_int_equal(sa.over_admitted, 0);
    assert_int_equal(sb.over_admitted, 0);
    th_rows_free(&a);
    th_rows_free(&b);
}

/* Central and atomic: whatever the round trip and the clocks' skew, the
 * provider never sees more than one limiter would let through, and every
 * request waits at least the round trip. 8 nodes, 1000/s offered against
 * 100/s. */
static void
test_atomic_never_over_admits(void **state)
{
    const sim_time rtts[] = {0, TH_S(0.002), TH_S(0.02)};
    th_rows rows = {0};
    sim_provider_stats st;

    (void)state;
    for (int k = 0; k < 3; k++) {
        sim_provider_cfg p = dist(8, SIM_SHARED_CENTRAL, 1, rtts[k],
                                  TH_S(0.02));
        run_gen(&p, 3000, TH_S(0.001), 1, &rows, &st);
        assert_int_equal(st.over_admitted, 0);
        assert_true(st.worst_window <= 10 + 100);
        for (size_t i = 0; i < rows.n; i++)
            assert_true(rows.v[i].t_dispatch - rows.v[i].t_ready >= rtts[k]);
        assert_true(st.denials > 0);
    }
    th_rows_free(&rows);
}

/* Whose clock stamps a decision: the store's (clock = store) keeps an
 * atomic store exact whatever the nodes' skew; the nodes' own (clock =
 * node, here up to 50 ms off) lets a node whose clock runs ahead take
 * permits early: a few over the limit. */
static void
test_clock_node_over_admits(void **state)
{
    th_rows rows = {0};
    sim_provider_stats st[2];

    (void)state;
    for (int k = 0; k < 2; k++) {
        sim_provider_cfg p = dist(8, SIM_SHARED_CENTRAL, 1, TH_S(0.002),
                                  TH_S(0.05));
        p.clock_node = k;
        run_gen(&p, 5000, TH_S(0.001), 1, &rows, &st[k]);
    }
    assert_int_equal(st[0].over_admitted, 0);
    assert_true(st[1].over_admitted > 0);
    th_rows_free(&rows);
}

/* Read-then-write (atomic = no): nodes that read before another's write
 * lands all admit on the same state. 8 nodes, clocks within 20 ms,
 * 1000/s offered against 100/s: over-admission is there, and it grows with
 * the round trip (the window in which writes race). */
static void
test_read_then_write_over_admits(void **state)
{
    const sim_time rtts[] = {TH_S(0.0005), TH_S(0.002), TH_S(0.008)};
    int64_t over[3];
    th_rows rows = {0};
    sim_provider_stats st;

    (void)state;
    for (int k = 0; k < 3; k++) {
        sim_provider_cfg p = dist(8, SIM_SHARED_CENTRAL, 0, rtts[k],
                                  TH_S(0.02));
        run_gen(&p, 5000, TH_S(0.001), 1, &rows, &st);
        over[k] = st.over_admitted;
        print_message("atomic = no, rtt %.1f ms: over-admitted %lld of %llu, "
                      "worst second %lld (limit 100, burst 10)\n",
                      (double)rtts[k] / 1e6, (long long)over[k],
                      (unsigned long long)st.dispatched,
                      (long long)st.worst_window);
    }
    assert_true(over[0] > 0);
    assert_true(over[0] < over[1] && over[1] < over[2]);
    th_rows_free(&rows);
}

/* Sets the stop flag once the run passes 3000 events. */
static void
stop_soon(void *ctx, sim_time now, uint64_t events)
{
    (void)now;
    if (events >= 3000)
        *(volatile sig_atomic_t *)ctx = 1;
}

/* A read-then-write run stopped midway (a signal, an error) has asks in
 * flight holding the state they read, and writes of it on their way
 * back: sim_free frees them (the sanitizer build and valgrind see a leak
 * otherwise; a run to its end frees them as it drains). */
static void
test_stopped_read_then_write_frees(void **state)
{
    static volatile sig_atomic_t stop;
    sim_provider_cfg p = dist(8, SIM_SHARED_CENTRAL, 0, TH_S(0.002), 0);
    sim_config cfg = th_cfg(&p, 1, SIM_QUEUE_PRIORITY, 1);
    th_gen g = {.n = 5000, .gap = TH_S(0.001), .maxcost = 1, .nclients = 50};
    th_rows rows = {0};
    char err[256] = "";
    sim *s;

    (void)state;
    rng_seed(&g.r, 17, 0);
    stop = 0;
    assert_int_equal(sim_new(&s, &cfg, err, sizeof err), 0);
    sim_set_progress(s, stop_soon, (void *)&stop, 1000);
    sim_set_stop(s, &stop);
    assert_int_equal(sim_run(s, th_gen_next, &g, th_rows_add, &rows, err,
                             sizeof err), SIM_EINTR);
    assert_true(rows.n > 0 && rows.n < 5000);
    sim_free(s);
    th_rows_free(&rows);
}

/* Local, split evenly: 4 nodes each hold 25/s of the 100/s. With all the
 * traffic from one client, it all goes through one node: 200/s offered
 * for 10 s, and only about 25/s goes out while work waits (the plain
 * limiter sends 100/s). Spread over the nodes in turn, the full 100/s. */
static void
test_local_split_under_admits(void **state)
{
    sim_provider_cfg p = th_prov("api", 1, "token_bucket", 100, TH_S(1), 4);
    sim_config cfg = th_cfg(&p, 1, SIM_QUEUE_PRIORITY, 1);
    th_gen g = {.n = 2000, .gap = TH_S(0.005), .fixed_gap = 1};
    th_rows rows = {0};
    int64_t early[3];

    (void)state;
    for (int k = 0; k < 3; k++) {
        p.nodes = k == 0 ? 0 : 4;
        p.shared = k == 0 ? SIM_SHARED_NONE : SIM_SHARED_LOCAL;
        p.node_by = k == 2 ? SIM_NODE_BY_ROUND_ROBIN : SIM_NODE_BY_CLIENT;
        g.i = 0;
        g.t = 0;
        rows.n = 0;
        th_run(&cfg, th_gen_next, &g, th_rows_add, &rows, NULL);
        early[k] = 0;
        for (size_t i = 0; i < rows.n; i++)
            early[k] += rows.v[i].t_dispatch < TH_S(10);
    }
    /* plain: burst 4 + 100/s; one node: burst 1 + 25/s; in turn: all 4 */
    assert_true(early[0] >= 1000 && early[0] <= 1004);
    assert_true(early[1] >= 245 && early[1] <= 251);
    assert_true(early[2] >= 990 && early[2] <= 1004);
    th_rows_free(&rows);
}

/* Local counters merged every `sync`: 4 nodes, each starting a period from
 * the merged state of a 100/s burst 10 bucket, admit on their own until
 * the next merge. The bound: in a sync period of length D the provider
 * sends at most K (b + r D) permits, each node b + r D from its copy, so
 * over-admission per period is at most (K - 1)(b + r D). With D = 1 s,
 * every aligned second holds at most 4 * 110 = 440; it goes over the
 * single limiter's 110; and merging ten times a second holds the worst
 * second much closer to the limit. 1000/s offered, round robin. */
static void
test_local_sync_bound(void **state)
{
    sim_provider_cfg p = th_prov("api", 1, "token_bucket", 100, TH_S(1), 10);
    sim_config cfg = th_cfg(&p, 1, SIM_QUEUE_PRIORITY, 1);
    th_rows rows = {0};
    sim_provider_stats st[2];
    const sim_time periods[2] = {TH_S(1), TH_S(0.1)};

    (void)state;
    p.nodes = 4;
    p.shared = SIM_SHARED_LOCAL;
    p.node_by = SIM_NODE_BY_ROUND_ROBIN;
    for (int k = 0; k < 2; k++) {
        th_gen g = {.n = 5000, .gap = TH_S(0.001)};
        int64_t per[64] = {0};
        rng_seed(&g.r, 23, 0);
        p.sync = periods[k];
        rows.n = 0;
        th_run(&cfg, th_gen_next, &g, th_rows_add, &rows, &st[k]);
        for (size_t i = 0; i < rows.n; i++) {
            sim_time t = rows.v[i].t_dispatch / TH_S(1);
            if (t < 64)
                per[t]++;
        }
        for (int i = 0; k == 0 && i < 64; i++)
            assert_true(per[i] <= 4 * (10 + 100));
        print_message("sync %.1f s: over-admitted %lld, worst second %lld\n",
                      (double)periods[k] / 1e9,
                      (long long)st[k].over_admitted,
                      (long long)st[k].worst_window);
    }
    assert_true(st[0].over_admitted > 0);
    assert_true(st[0].worst_window > 110);
    assert_true(st[1].worst_window * 2 < st[0].worst_window);
    th_rows_free(&rows);
}

/* Permits: 7 workers (clients, each its own node) share a store that
 * grants at most 2 outstanding permits, valid at least 3 s apart; a
 * refused worker polls again after 1 s; 10 ms round trips. Each worker
 * has 3 calls at 0: the 21 calls go out exactly 3 s apart (0, 3, ...,
 * 60 s, plus the round trip), and the store refused asks on the way. */
static void
test_permits(void **state)
{
    sim_provider_cfg p = {.order = 1, .enabled = 1, .nlimits = 1,
                          .nodes = 7, .shared = SIM_SHARED_CENTRAL,
                          .atomic = 1, .poll = TH_S(1)};
    sim_config cfg = th_cfg(&p, 1, SIM_QUEUE_PRIORITY, 1);
    sim_request v[21];
    th_rows rows = {0};
    sim_provider_stats st;
    sim_time *t = calloc(21, sizeof *t);

    (void)state;
    snprintf(p.name, sizeof p.name, "store");
    p.limits[0] = (sim_limit_cfg){.algo = algo_find("permits"),
                                  .p = {.count = 2, .window = TH_S(3)}};
    p.rtt = (sim_latency){SIM_LAT_FIXED, TH_S(0.01), 0, 0};
    for (int i = 0; i < 21; i++) {
        v[i] = th_rq(i + 1, 0);
        v[i].client = (uint32_t)(i % 7);
    }
    th_feed f = {v, 21, 0};
    th_run(&cfg, th_feed_next, &f, th_rows_add, &rows, &st);
    assert_int_equal(rows.n, 21);
    for (int i = 0; i < 21; i++)
        t[i] = rows.v[i].t_dispatch;
    qsort(t, 21, sizeof *t, cmp_time);
    for (int i = 1; i < 21; i++)
        assert_true(t[i] - t[i - 1] >= TH_S(3));
    assert_int_equal(t[20] - t[0], TH_S(60));
    assert_true(st.denials > 0);
    assert_int_equal(st.over_admitted, 0);
    print_message("permits: 21 calls from %.3f s to %.3f s, %llu asks "
                  "refused\n", (double)t[0] / 1e9, (double)t[20] / 1e9,
                  (unsigned long long)st.denials);
    free(t);
    th_rows_free(&rows);
}

/* The permits limit alone, driven at random: never more than M permits
 * outstanding (granted, instant not reached), never two closer than W. */
static void
test_permits_property(void **state)
{
    const algo *a = algo_find("permits");
    algo_params prm = {.count = 3, .window = TH_S(2)};
    char st[256] = {0}, err[128];
    sim_time now = 0, last = SIM_NONE, valid[4096];
    int nvalid = 0;
    rng g;

    (void)state;
    assert_true(a->state_size <= sizeof st);
    assert_int_equal(a->init(st, &prm, err, sizeof err), 0);
    rng_seed(&g, 5, 0);
    for (int k = 0; k < 4000; k++) {
        int out = 0;
        now += (sim_time)rng_below(&g, (uint64_t)TH_S(3));
        now = a->next_ok(st, now, 1);
        a->admit(st, now, 1);
        valid[nvalid++] = a->go_at(st, now);
        assert_true(last == SIM_NONE || valid[nvalid - 1] - last >= TH_S(2));
        last = valid[nvalid - 1];
        for (int i = 0; i < nvalid; i++)
            out += valid[i] > now;
        assert_true(out <= 3);
    }
    a->clear(st);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_node_central_is_plain),
        cmocka_unit_test(test_atomic_never_over_admits),
        cmocka_unit_test(test_read_then_write_over_admits),
        cmocka_unit_test(test_stopped_read_then_write_frees),
        cmocka_unit_test(test_clock_node_over_admits),
        cmocka_unit_test(test_local_split_under_admits),
        cmocka_unit_test(test_local_sync_bound),
        cmocka_unit_test(test_permits),
        cmocka_unit_test(test_permits_property),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
