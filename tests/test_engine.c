/* SPDX-License-Identifier: MIT
 *
 * Engine tests: the dispatch rule on small hand-worked inputs (the reasoning
 * is in each test's comment), determinism, and queueing theory (a token
 * bucket of burst 1 fed Poisson arrivals is an M/D/1 queue).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "sim/engine.h"
#include "sim/rng.h"
#include "tests/harness.h"

/* ------------------------------------------------------------------ */
/* Hand-worked schedules                                               */
/* ------------------------------------------------------------------ */

/* token_bucket 2/s burst 2, five at 0: the two tokens go at once; then one
 * token refills every 0.5 s: 0, 0, 0.5, 1.0, 1.5. */
static void
test_token_bucket_five(void **state)
{
    sim_provider_cfg p = th_prov("P1", 1, "token_bucket", 2, TH_S(1), 2);
    sim_request v[5];
    th_rows r = {0};

    (void)state;
    for (int i = 0; i < 5; i++)
        v[i] = th_rq(i + 1, 0);
    th_run_rows(&p, 1, SIM_QUEUE_FIFO, v, 5, &r);
    th_expect(&r, 1, 0, 0, SIM_OK);
    th_expect(&r, 2, 0, 0, SIM_OK);
    th_expect(&r, 3, 0, TH_S(0.5), SIM_OK);
    th_expect(&r, 4, 0, TH_S(1.0), SIM_OK);
    th_expect(&r, 5, 0, TH_S(1.5), SIM_OK);
    th_rows_free(&r);
}

/* fixed_window 2/1s, five at 0: two per aligned second: 0, 0, 1, 1, 2. */
static void
test_fixed_window_five(void **state)
{
    sim_provider_cfg p = th_prov("P1", 1, "fixed_window", 2, TH_S(1), 0);
    sim_request v[5];
    th_rows r = {0};

    (void)state;
    for (int i = 0; i < 5; i++)
        v[i] = th_rq(i + 1, 0);
    th_run_rows(&p, 1, SIM_QUEUE_FIFO, v, 5, &r);
    th_expect(&r, 1, 0, 0, SIM_OK);
    th_expect(&r, 2, 0, 0, SIM_OK);
    th_expect(&r, 3, 0, TH_S(1), SIM_OK);
    th_expect(&r, 4, 0, TH_S(1), SIM_OK);
    th_expect(&r, 5, 0, TH_S(2), SIM_OK);
    th_rows_free(&r);
}

/* 3/s burst 1, four at 0: the exact instants are k/3 s; each goes at the
 * instant rounded up (333333334, 666666667) while the bucket keeps the
 * exact state, so the fourth is at exactly 1 s, not 1.000000001. */
static void
test_token_bucket_no_drift(void **state)
{
    sim_provider_cfg p = th_prov("P1", 1, "token_bucket", 3, TH_S(1), 1);
    sim_request v[4];
    th_rows r = {0};

    (void)state;
    for (int i = 0; i < 4; i++)
        v[i] = th_rq(i + 1, 0);
    th_run_rows(&p, 1, SIM_QUEUE_FIFO, v, 4, &r);
    th_expect(&r, 2, 0, 333333334, SIM_OK);
    th_expect(&r, 3, 0, 666666667, SIM_OK);
    th_expect(&r, 4, 0, 1000000000, SIM_OK);
    th_rows_free(&r);
}

/* P1 and P2 both 1/s burst 1, four at 0: request 1 takes P1's token, 2
 * finds P1 empty and takes P2's; 3 and 4 wait, holding both; at 1 s both
 * refill and they go in order: P1@0, P2@0, P1@1, P2@1. */
static void
test_ordered_failover(void **state)
{
    sim_provider_cfg p[2] = {th_prov("P1", 1, "token_bucket", 1, TH_S(1), 1),
                             th_prov("P2", 2, "token_bucket", 1, TH_S(1), 1)};
    sim_request v[4];
    th_rows r = {0};

    (void)state;
    for (int i = 0; i < 4; i++)
        v[i] = th_rq(i + 1, 0);
    th_run_rows(p, 2, SIM_QUEUE_PRIORITY, v, 4, &r);
    th_expect(&r, 1, 0, 0, SIM_OK);
    th_expect(&r, 2, 1, 0, SIM_OK);
    th_expect(&r, 3, 0, TH_S(1), SIM_OK);
    th_expect(&r, 4, 1, TH_S(1), SIM_OK);
    th_rows_free(&r);
}

/* 1/s burst 1; three of priority 0 at 0 and one of priority 5 at 0.1 s.
 * Request 1 goes at 0; at 1 s the waiting priority-5 request is first in
 * the queue, so it goes then, and 2 and 3 follow at 2 s and 3 s. With
 * queue = fifo, priority is ignored and 4 goes last, at 3 s. */
static void
test_priority_overtakes(void **state)
{
    sim_provider_cfg p = th_prov("P1", 1, "token_bucket", 1, TH_S(1), 1);
    sim_request v[4] = {th_rq(1, 0), th_rq(2, 0), th_rq(3, 0), th_rq(4, 0.1)};
    th_rows r = {0};

    (void)state;
    v[3].priority = 5;
    th_run_rows(&p, 1, SIM_QUEUE_PRIORITY, v, 4, &r);
    th_expect(&r, 1, 0, 0, SIM_OK);
    th_expect(&r, 4, 0, TH_S(1), SIM_OK);
    th_expect(&r, 2, 0, TH_S(2), SIM_OK);
    th_expect(&r, 3, 0, TH_S(3), SIM_OK);
    th_run_rows(&p, 1, SIM_QUEUE_FIFO, v, 4, &r);
    th_expect(&r, 4, 0, TH_S(3), SIM_OK);
    th_rows_free(&r);
}

/* Valid-after: request 1 (priority 1) may not go before 2.5 s, so it does
 * not block request 2, which takes the token at 0; 1 goes at 2.5 s (the
 * bucket has long refilled). */
static void
test_valid_after(void **state)
{
    sim_provider_cfg p = th_prov("P1", 1, "token_bucket", 1, TH_S(1), 1);
    sim_request v[2] = {th_rq(1, 0), th_rq(2, 0)};
    th_rows r = {0};

    (void)state;
    v[0].priority = 1;
    v[0].after = TH_S(2.5);
    th_run_rows(&p, 1, SIM_QUEUE_PRIORITY, v, 2, &r);
    th_expect(&r, 1, 0, TH_S(2.5), SIM_OK);
    th_expect(&r, 2, 0, 0, SIM_OK);
    assert_int_equal(th_row(&r, 1)->t_ready, TH_S(2.5));
    th_rows_free(&r);
}

/* Deadlines 1.5 s, 1/s burst 1, three at 0: 0 and 1 s are before the
 * deadline; the third could only go at 2 s, so it expires (at 1.5 s).
 * A deadline equal to the instant it could go also expires: it must go
 * strictly before (request 5 below, deadline 1 s, would go at 1 s). */
static void
test_deadline_expiry(void **state)
{
    sim_provider_cfg p = th_prov("P1", 1, "token_bucket", 1, TH_S(1), 1);
    sim_request v[3] = {th_rq(1, 0), th_rq(2, 0), th_rq(3, 0)};
    sim_request w[3] = {th_rq(4, 0), th_rq(5, 0), th_rq(6, 0)};
    th_rows r = {0};

    (void)state;
    for (int i = 0; i < 3; i++)
        v[i].deadline = TH_S(1.5);
    th_run_rows(&p, 1, SIM_QUEUE_PRIORITY, v, 3, &r);
    th_expect(&r, 1, 0, 0, SIM_OK);
    th_expect(&r, 2, 0, TH_S(1), SIM_OK);
    th_expect(&r, 3, -1, SIM_NONE, SIM_EXPIRED);
    w[1].deadline = TH_S(1);
    th_run_rows(&p, 1, SIM_QUEUE_PRIORITY, w, 3, &r);
    th_expect(&r, 5, -1, SIM_NONE, SIM_EXPIRED);
    th_expect(&r, 6, 0, TH_S(1), SIM_OK);
    th_rows_free(&r);
}

/* Pinned requests wait for their provider only. P1 1/s burst 1, P2 the
 * same; 1 and 2 pinned to P1, 3 and 4 free. 1 takes P1; 2 waits and holds
 * P1 alone, so 3 goes to P2 at 0 and 4 waits for P2 (P1 is held by the
 * better request 2): P1@0, P1@1, P2@0, P2@1. */
static void
test_pinned(void **state)
{
    sim_provider_cfg p[2] = {th_prov("P1", 1, "token_bucket", 1, TH_S(1), 1),
                             th_prov("P2", 2, "token_bucket", 1, TH_S(1), 1)};
    sim_request v[4] = {th_rq(1, 0), th_rq(2, 0), th_rq(3, 0), th_rq(4, 0)};
    th_rows r = {0};

    (void)state;
    v[0].provider = v[1].provider = 0;
    th_run_rows(p, 2, SIM_QUEUE_PRIORITY, v, 4, &r);
    th_expect(&r, 1, 0, 0, SIM_OK);
    th_expect(&r, 2, 0, TH_S(1), SIM_OK);
    th_expect(&r, 3, 1, 0, SIM_OK);
    th_expect(&r, 4, 1, TH_S(1), SIM_OK);
    th_rows_free(&r);
}

/* A waiting cost-2 request holds P1 (burst 2) but not P2 (burst 1, which
 * can never admit cost 2), so a worse request pinned to P2 still goes
 * there. P1 1/s burst 2; 1 and 2 cost 2 priority 1; 3 pinned to P2; 4
 * free. 1 takes both of P1's tokens; 2 waits for P1 (2 s); 3 takes P2 at
 * 0; 4 waits for P2 (1 s). */
static void
test_holding_by_cost(void **state)
{
    sim_provider_cfg p[2] = {th_prov("P1", 1, "token_bucket", 1, TH_S(1), 2),
                             th_prov("P2", 2, "token_bucket", 1, TH_S(1), 1)};
    sim_request v[4] = {th_rq(1, 0), th_rq(2, 0), th_rq(3, 0), th_rq(4, 0)};
    th_rows r = {0};

    (void)state;
    v[0].cost = v[1].cost = 2;
    v[0].priority = v[1].priority = 1;
    v[2].provider = 1;
    th_run_rows(p, 2, SIM_QUEUE_PRIORITY, v, 4, &r);
    th_expect(&r, 1, 0, 0, SIM_OK);
    th_expect(&r, 2, 0, TH_S(2), SIM_OK);
    th_expect(&r, 3, 1, 0, SIM_OK);
    th_expect(&r, 4, 1, TH_S(1), SIM_OK);
    th_rows_free(&r);
}

/* Head of line: 1/s burst 2; costs 2, 2, 1 at 0. 1 takes both tokens; 2
 * waits for two (2 s); 3 needs only one (1 s) but may not slip past the
 * blocked head: it goes at 3 s. */
static void
test_head_of_line(void **state)
{
    sim_provider_cfg p = th_prov("P1", 1, "token_bucket", 1, TH_S(1), 2);
    sim_request v[3] = {th_rq(1, 0), th_rq(2, 0), th_rq(3, 0)};
    th_rows r = {0};

    (void)state;
    v[0].cost = v[1].cost = 2;
    th_run_rows(&p, 1, SIM_QUEUE_PRIORITY, v, 3, &r);
    th_expect(&r, 2, 0, TH_S(2), SIM_OK);
    th_expect(&r, 3, 0, TH_S(3), SIM_OK);
    th_rows_free(&r);
}

/* Reject mode, 2/s burst 2: five at 0: two go, three are refused at once
 * (recorded against P1); one more at 0.5 s finds a refilled token. */
static void
test_reject_mode(void **state)
{
    sim_provider_cfg p = th_prov("P1", 1, "token_bucket", 2, TH_S(1), 2);
    sim_request v[6];
    th_rows r = {0};

    (void)state;
    p.mode = SIM_MODE_REJECT;
    for (int i = 0; i < 5; i++)
        v[i] = th_rq(i + 1, 0);
    v[5] = th_rq(6, 0.5);
    th_run_rows(&p, 1, SIM_QUEUE_FIFO, v, 6, &r);
    th_expect(&r, 1, 0, 0, SIM_OK);
    th_expect(&r, 2, 0, 0, SIM_OK);
    for (int id = 3; id <= 5; id++)
        th_expect(&r, id, 0, SIM_NONE, SIM_REJECTED);
    th_expect(&r, 6, 0, TH_S(0.5), SIM_OK);
    th_rows_free(&r);
}

/* Disabled P1: everything goes to P2 (1/s burst 1): 0, 1, 2. A request
 * pinned to the disabled P1, never switched on, is refused against P1. */
static void
test_disabled(void **state)
{
    sim_provider_cfg p[2] = {th_prov("P1", 1, "token_bucket", 9, TH_S(1), 9),
                             th_prov("P2", 2, "token_bucket", 1, TH_S(1), 1)};
    sim_request v[4] = {th_rq(1, 0), th_rq(2, 0), th_rq(3, 0), th_rq(4, 0)};
    th_rows r = {0};

    (void)state;
    p[0].enabled = 0;
    v[3].provider = 0;
    th_run_rows(p, 2, SIM_QUEUE_FIFO, v, 4, &r);
    th_expect(&r, 1, 1, 0, SIM_OK);
    th_expect(&r, 2, 1, TH_S(1), SIM_OK);
    th_expect(&r, 3, 1, TH_S(2), SIM_OK);
    th_expect(&r, 4, 0, SIM_NONE, SIM_REJECTED);
    th_rows_free(&r);
}

/* A cost above every provider's burst is refused at once; the others are
 * not held up by it. */
static void
test_cost_over_capacity(void **state)
{
    sim_provider_cfg p = th_prov("P1", 1, "token_bucket", 1, TH_S(1), 2);
    sim_request v[3] = {th_rq(1, 0), th_rq(2, 0), th_rq(3, 0)};
    th_rows r = {0};

    (void)state;
    v[1].cost = 3;
    th_run_rows(&p, 1, SIM_QUEUE_FIFO, v, 3, &r);
    th_expect(&r, 1, 0, 0, SIM_OK);
    th_expect(&r, 2, 0, SIM_NONE, SIM_REJECTED);
    th_expect(&r, 3, 0, 0, SIM_OK);
    th_rows_free(&r);
}

/* ------------------------------------------------------------------ */
/* Larger inputs: streamed from a generator                            */
/* ------------------------------------------------------------------ */

typedef struct waits {
    __int128 sum;
    int64_t n;
    uint64_t hash;
} waits;

static int
waits_add(void *ctx, const sim_row *row, char *err, size_t errlen)
{
    waits *w = ctx;

    (void)err;
    (void)errlen;
    w->sum += row->t_dispatch - row->t_ready;
    w->n++;
    /* An order-sensitive fingerprint of every row, for determinism. */
    w->hash = (w->hash ^ (uint64_t)row->req_id) * 0x100000001b3ULL;
    w->hash = (w->hash ^ (uint64_t)row->t_dispatch) * 0x100000001b3ULL;
    w->hash = (w->hash ^ (uint64_t)row->provider) * 0x100000001b3ULL;
    return 0;
}

/* Runs Poisson arrivals from g (th_gen: costs and priorities as its
 * fields say) through pv with a priority queue, seed 7. */
static void
run_gen(sim_provider_cfg *pv, int np, th_gen *g, waits *w)
{
    sim_config cfg = th_cfg(pv, np, SIM_QUEUE_PRIORITY, 7);

    memset(w, 0, sizeof *w);
    th_run(&cfg, th_gen_next, g, waits_add, w, NULL);
}

/* The same inputs give the same rows in the same order, every time. */
static void
test_deterministic(void **state)
{
    sim_provider_cfg p[2] = {th_prov("A", 1, "token_bucket", 7, TH_S(2), 3),
                             th_prov("B", 2, "fixed_window", 5, TH_S(1), 0)};
    th_gen g1 = {.n = 20000, .gap = TH_S(0.12), .maxcost = 3, .nprio = 3};
    th_gen g2 = g1;
    waits w1, w2;

    (void)state;
    rng_seed(&g1.r, 99, 0);
    rng_seed(&g2.r, 99, 0);
    run_gen(p, 2, &g1, &w1);
    run_gen(p, 2, &g2, &w2);
    assert_int_equal(w1.n, 20000);
    assert_int_equal(w1.hash, w2.hash);
    assert_true(w1.sum == w2.sum);
}

/* M/D/1: Poisson arrivals at 0.8 times the rate of a token bucket of burst
 * 1 (mu = 100/s). Each dispatch can follow the previous one no sooner than
 * 1/mu: Lindley's recursion of a deterministic server. Pollaczek-Khinchine
 * gives the mean wait in queue rho / (2 mu (1 - rho)) = 0.8 / (2*100*0.2)
 * = 20 ms. Over 10^6 requests the mean must be within 2%. */
static void
test_md1_wait(void **state)
{
    sim_provider_cfg p = th_prov("P", 1, "token_bucket", 100, TH_S(1), 1);
    th_gen g = {.n = 1000000, .gap = TH_S(0.0125), .maxcost = 1, .nprio = 1};
    waits w;
    double mean, theory = 0.8 / (2 * 100 * 0.2);

    (void)state;
    rng_seed(&g.r, 2026, 0);
    run_gen(&p, 1, &g, &w);
    assert_int_equal(w.n, 1000000);
    mean = (double)w.sum / (double)w.n / 1e9;
    print_message("M/D/1 mean wait %.6f s, theory %.6f s\n", mean, theory);
    assert_true(mean > theory * 0.98 && mean < theory * 1.02);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_bucket_five),
        cmocka_unit_test(test_fixed_window_five),
        cmocka_unit_test(test_token_bucket_no_drift),
        cmocka_unit_test(test_ordered_failover),
        cmocka_unit_test(test_priority_overtakes),
        cmocka_unit_test(test_valid_after),
        cmocka_unit_test(test_deadline_expiry),
        cmocka_unit_test(test_pinned),
        cmocka_unit_test(test_holding_by_cost),
        cmocka_unit_test(test_head_of_line),
        cmocka_unit_test(test_reject_mode),
        cmocka_unit_test(test_disabled),
        cmocka_unit_test(test_cost_over_capacity),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_md1_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
