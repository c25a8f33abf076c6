/* SPDX-License-Identifier: MIT
 *
 * The test harness: what the engine and algorithm tests share to build
 * inputs, run the engine and look at what it produced. Requests come from
 * an array (th_feed) or from a streaming generator (th_gen: Poisson or
 * evenly spaced arrivals, optionally with random costs, priorities,
 * clients, valid-after times and deadlines, nothing stored); rows go into
 * a growable array (th_rows) that the caller frees with th_rows_free, or
 * are only counted (th_tally). A limit can also be driven alone through
 * its vtable (th_lim).
 *
 * The helpers check what they do with cmocka's assert_* macros, so they are
 * for tests only: a failing sim_new or sim_run, a missing row or an unknown
 * algorithm name fails the calling test. Times are int64_t nanoseconds as
 * everywhere; TH_S turns a literal in seconds into them.
 */
#ifndef RS_TESTS_HARNESS_H
#define RS_TESTS_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "sim/engine.h"
#include "sim/limit.h"
#include "sim/rng.h"

/* Seconds to ns, rounded to nearest: for test literals only. */
#define TH_S(x) ((sim_time)((x) * 1e9 + 0.5))

/* ------------------------------------------------------------------ */
/* Requests                                                            */
/* ------------------------------------------------------------------ */

/* Request id at `at` seconds, ready then, cost 1, priority 0, client 0,
 * no deadline, the provider's latency, not pinned. */
sim_request th_rq(int64_t id, double at);

/* A source over v[0..n), in order; i is the next to hand out. */
typedef struct th_feed {
    const sim_request *v;
    int n, i;
} th_feed;

/* The sim_source_fn of a th_feed: the next request, or 0 at the end. */
int th_feed_next(void *ctx, sim_request *out, char *err, size_t errlen);

/* A source of n requests, ids 1..n, made as they are asked for. Fill in
 * the parameters (zero is "off"), seed r, and pass it to th_gen_next.
 *
 * Arrival gaps are exponential with mean `gap` ns, or exactly `gap` with
 * fixed_gap. Each request then draws, in this order and only when asked
 * for: a cost in 1..maxcost (maxcost > 0), a priority in 0..nprio-1
 * (nprio > 0), a client in 0..nclients-1 (nclients > 0); with `odd`, one
 * in eight gets a valid-after time after its arrival (mean 4 gaps later)
 * and one in eight a deadline (1 ns plus a mean of 10 gaps later). A draw
 * is made even when it has one outcome (maxcost or nprio 1), so a stream's
 * arrival times do not depend on how many costs or priorities it offers. */
typedef struct th_gen {
    rng r;
    int64_t n;
    sim_time gap;
    int fixed_gap;
    int64_t maxcost, nprio, nclients;
    int odd;
    int64_t i;                  /* requests made so far */
    sim_time t;                 /* the last arrival */
} th_gen;

/* The sim_source_fn of a th_gen: the next request, or 0 after n. */
int th_gen_next(void *ctx, sim_request *out, char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* Rows                                                                */
/* ------------------------------------------------------------------ */

/* Every row the sink was handed, in that order. Start from {0}; the array
 * grows as needed; th_rows_free releases it (and leaves {0}). */
typedef struct th_rows {
    sim_row *v;
    size_t n, cap;
} th_rows;

/* The sim_sink_fn of a th_rows: appends a copy of row; returns 0 (running
 * out of memory fails the test). */
int th_rows_add(void *ctx, const sim_row *row, char *err, size_t errlen);
void th_rows_free(th_rows *r);

/* The first row of request id; fails the test when there is none. */
const sim_row *th_row(const th_rows *r, int64_t id);
/* The row of request id's attempt (1-based), or NULL. */
const sim_row *th_find(const th_rows *r, int64_t id, int attempt);
/* How many rows request id has. */
int th_attempts(const th_rows *r, int64_t id);

/* Checks request id's first row: provider index (-1 none), dispatch
 * instant in ns (SIM_NONE when it never went out) and outcome. */
void th_expect(const th_rows *r, int64_t id, int provider, sim_time t,
               int outcome);

/* A sink that only counts: rows, rows by outcome, rows that went out by
 * client and rows by provider (numbers 0..3; others are not counted
 * there), and an order-sensitive fingerprint of (req_id, outcome) for
 * determinism checks. Start from {0}. */
typedef struct th_tally {
    int64_t n, outcomes[SIM_DROPPED + 1], by_client[4], by_provider[4];
    uint64_t hash;
} th_tally;

/* The sim_sink_fn of a th_tally; returns 0. */
int th_tally_add(void *ctx, const sim_row *row, char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* Configurations and runs                                             */
/* ------------------------------------------------------------------ */

/* A limit of the algorithm called algo_name (which must exist) with rate
 * n per w ns and the given burst (0: not given). */
sim_limit_cfg th_limit(const char *algo_name, int64_t n, sim_time w,
                       int64_t burst);

/* An enabled, queueing provider with that one limit and nothing else set
 * (fixed zero latency, no failures, no schedule). */
sim_provider_cfg th_prov(const char *name, int order, const char *algo_name,
                         int64_t n, sim_time w, int64_t burst);

/* A configuration over pv[0..np) (which it points to, not copies) with the
 * given queue discipline and seed, routed in order, no clients, run until
 * all work is done. */
sim_config th_cfg(sim_provider_cfg *pv, int np, int queue, uint64_t seed);

/* Runs cfg from src into sink; both must succeed. When stats is not NULL
 * it receives the figures of each of cfg's providers. */
void th_run(const sim_config *cfg, sim_source_fn src, void *src_ctx,
            sim_sink_fn sink, void *sink_ctx, sim_provider_stats *stats);

/* Runs cfg over v[0..n) into out, which is emptied first (its array is
 * kept for reuse). */
void th_run_cfg(const sim_config *cfg, const sim_request *v, int n,
                th_rows *out);

/* The same with th_cfg(pv, np, queue, 1). */
void th_run_rows(sim_provider_cfg *pv, int np, int queue,
                 const sim_request *v, int n, th_rows *out);

/* ------------------------------------------------------------------ */
/* One limit through its vtable, without the engine                    */
/* ------------------------------------------------------------------ */

/* An instance of algorithm a: its descriptor and its state block. */
typedef struct th_lim {
    const algo *a;
    void *st;
} th_lim;

/* Allocates zeroed state for a and inits it with rate n per w ns and the
 * given burst (0: not given); init must succeed. Free with th_lim_free. */
void th_lim_new(th_lim *l, const algo *a, int64_t n, sim_time w,
                int64_t burst);
/* Clears the state (when the algorithm has clear) and frees it. */
void th_lim_free(th_lim *l);

/* Requests of the given costs issued back to back, none before `from`, as
 * the engine takes a blocked head: each goes at the earliest instant the
 * limit admits it (never SIM_NEVER), no earlier than the one before, and
 * is admitted there. Writes each instant to out[0..k). */
void th_lim_drive(const th_lim *l, sim_time from, const int64_t *cost, int k,
                  sim_time *out);

/* Checks got[i] == want[i] for i in 0..k-1. */
void th_expect_times(const sim_time *got, const sim_time *want, int k);

#endif
