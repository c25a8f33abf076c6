/* SPDX-License-Identifier: MIT
 *
 * Plot data: what the comparison figures and tables show, read back from a
 * ratesim database (SPEC §7) on a read-only connection of its own, a run's
 * rows in primary-key order and aggregated here. Nothing returned holds
 * one value per request: a run comes back as a summary (outcome counts,
 * exact wait quantiles, Jain fairness), a fixed set of wait-CDF points,
 * per-client and per-provider totals, and counts in time bins; the writers
 * turn those into the small whitespace-separated .dat files the gnuplot
 * templates in plots/ read.
 *
 * Definitions (the report and its tests rely on them):
 *   - sent: an attempt that went out (t_dispatch not NULL: ok or failed);
 *   - wait: t_dispatch - t_ready of a sent attempt, as `run` reports it;
 *   - quantile q of n sorted waits: the value at 1-based rank ceil(q·n)
 *     (rank 1 for q = 0), with q in parts per million so no float decides;
 *   - achieved rate: sent attempts ÷ the instant of the last dispatch;
 *   - worst window of a provider: the most permits (sum of cost) it sent in
 *     any half-open interval of the length W of its first rate limit N/W;
 *   - Jain fairness: J = (Σx)² / (n·Σx²) over the n clients that offered
 *     requests, x = requests served (ok) ÷ the client's max-min fair share
 *     of all requests served (water-filling over what each offered). 1
 *     when every client got its fair share.
 *
 * A pd can also hold its runs in memory instead (pd_open_memory): each is
 * fed row by row as it is simulated (pd_feed_*), through the same
 * aggregation a database scan goes through, so the figures of a run not
 * recorded are those it would have had recorded. Only the aggregates are
 * kept, never the rows.
 *
 * Functions return 0, 2 (bad input: a missing database, an unknown run) or
 * 3 (a database or file failure) with one line in the caller's buffer, and
 * never print.
 */
#ifndef RS_SIM_IO_PLOTDATA_H
#define RS_SIM_IO_PLOTDATA_H

#include <stddef.h>
#include <stdint.h>

#include "sim/engine.h"

/* Points of a wait CDF: 0, 0.5%, ..., 99%, then finer up to the max. */
#define PD_CDF_MAX 256
#define PD_PPM 1000000

typedef struct pd pd;

/* Opens the database at path read-only. Returns 0, 2 when there is no
 * such file, or 3. */
int pd_open(pd **out, const char *path, char *err, size_t errlen);
void pd_close(pd *p);

/* The id of the latest run. Returns 0, or 2 when there is none. */
int pd_latest_run(pd *p, int64_t *run_id, char *err, size_t errlen);

/* An empty pd without a database, for runs fed to it; name stands for the
 * database in messages. Returns 0 or 3 (out of memory). */
int pd_open_memory(pd **out, const char *name, char *err, size_t errlen);

/* ---------------------------------------------------------------- runs */

/* A rate limit N/W of a provider, read from its params text. */
typedef struct pd_rate {
    int64_t count;
    sim_time window;
} pd_rate;

typedef struct pd_provider {
    int id;                     /* provider_id */
    int ord;
    char *name, *algo, *params;
    int nrates;                 /* rate limits, in the order they were given */
    pd_rate rates[SIM_MAX_LIMITS];
    int64_t sent, sent_cost;    /* attempts it sent, their permits */
    int64_t worst;              /* worst window over rates[0]; 0 without */
} pd_provider;

/* A run's row of the runs table and its providers. Strings are owned (NULL
 * where the database has NULL). */
typedef struct pd_run {
    int64_t run_id, seed, requests, events;
    char *label, *algo, *workload, *workload_sha256, *scenario,
        *scenario_sha256, *version, *created, *digest;
    double wall_ms;
    int nproviders;
    pd_provider *providers;     /* by ord */
} pd_run;

/* Reads run_id. Returns 0, 2 when there is no such run, or 3. Clear *out
 * with pd_run_clear (also after a failure). Its one pass over the run's
 * rows also makes the run's summary, kept in p until the next pd_run_get
 * for a pd_summary_get of the same run: ask for both in that order. */
int pd_run_get(pd *p, int64_t run_id, pd_run *out, char *err, size_t errlen);
void pd_run_clear(pd_run *r);

/* Parses a provider's params text ("token_bucket 10/1s burst=5;
 * fixed_window 500/3600s") into its rate limits. Returns how many (at most
 * max); parts without N/W (a concurrency limit) are skipped. */
int pd_parse_rates(const char *params, pd_rate *out, int max);

/* ---------------------------------------------------------------- summary */

typedef struct pd_cdf {
    int n;                      /* points */
    int64_t count;              /* waits behind them (sent attempts) */
    int32_t ppm[PD_CDF_MAX];    /* quantile, parts per million, ascending */
    sim_time wait[PD_CDF_MAX];  /* the wait at that quantile */
} pd_cdf;

/* One client's rows. */
typedef struct pd_client {
    char *name;
    int64_t offered;            /* requests (first attempts) */
    int64_t ok, sent, rejected, expired, dropped, failed;
    double wait_mean;           /* seconds, over sent attempts; 0 if none */
    sim_time wait_max;
} pd_client;

typedef struct pd_summary {
    int64_t requests;           /* first attempts */
    int64_t attempts;           /* rows */
    int64_t outcomes[SIM_DROPPED + 1];
    int64_t sent, sent_cost;
    int64_t max_cost;
    sim_time first_arrival;     /* SIM_NONE for an empty run */
    sim_time last_dispatch;     /* SIM_NONE when nothing went out */
    sim_time end;               /* the latest instant in any row, or 0 */
    double rate;                /* sent per second of [0, last_dispatch] */
    sim_time wait_p50, wait_p95, wait_p99, wait_max;
    pd_cdf cdf;
    int64_t nclients;
    pd_client *clients;         /* most requests offered first, ties by
                                   name; owned */
    double jain;                /* -1 when nothing was served */
} pd_summary;

/* Fills *out for run_id (which pd_run_get found). Returns 0 or 3. Clear
 * *out with pd_summary_clear (also after a failure). */
int pd_summary_get(pd *p, int64_t run_id, pd_summary *out, char *err,
                   size_t errlen);
void pd_summary_clear(pd_summary *s);

/* The wait at quantile ppm of the cdf's points (which must hold it). */
sim_time pd_cdf_at(const pd_cdf *c, int32_t ppm);

/* Jain's index of served[i] relative to each client's max-min fair share
 * of Σ served given what it offered (see the top of this file); clients
 * that offered nothing are left out. -1 when nothing was served. */
double pd_jain(const int64_t *offered, const int64_t *served, int64_t n);

/* ---------------------------------------------------------------- feed */

/* A run being fed to a memory pd, one at a time. The feed is one
 * thread's: rows may come from another thread than the one that began
 * it, one at a time. */
typedef struct pd_feed pd_feed;

/* Begins run *meta in p (a memory pd), which takes over what *meta owns
 * and clears it: its label, algorithm, workload and scenario texts, seed,
 * and providers (id, ord, name, algo, params; their rates are parsed
 * here). The run's id is the next one, from 1, unless pd_feed_keep_as
 * gives another. Returns 0, or 3 (also when another run is being fed, or
 * p has a database). */
int pd_feed_begin(pd *p, pd_run *meta, pd_feed **out, char *err,
                  size_t errlen);

/* One finished attempt, as the recorder would have written it, with its
 * client's name (NULL as a NULL client). Returns 0 or -1 (out of memory: end the feed with
 * pd_feed_abort). */
int pd_feed_row(pd_feed *f, const sim_row *row, const char *client);

/* Ends the run with the totals a recorder stores at commit and keeps it in
 * the pd for pd_run_get, pd_summary_get and pd_bins_get (whose width must
 * then be one plot picks: a memory run has no rows to count again). Frees
 * f. Returns 0 or 3 (the run is then not kept). */
int pd_feed_end(pd_feed *f, int64_t requests, int64_t events,
                const char *digest, const char *workload_sha256,
                double wall_ms, char *err, size_t errlen);

/* Keeps the run under run_id instead: the id a database gave the same
 * run, which compare records and draws from memory. The caller keeps ids
 * unique; call before pd_feed_end. */
void pd_feed_keep_as(pd_feed *f, int64_t run_id);

/* Drops a run being fed, and frees f. */
void pd_feed_abort(pd_feed *f);

/* ---------------------------------------------------------------- bins */

/* Counts in bins [i·width, (i+1)·width), i < n; later instants count in
 * the last bin. */
typedef struct pd_bins {
    sim_time width;
    int64_t n;
    int64_t *arrivals;          /* requests, by t_arrive of attempt 1 */
    int64_t *ready;             /* sent attempts, by t_ready */
    int64_t *sent;              /* sent attempts, by t_dispatch */
    int64_t *sent_cost;         /* their permits */
} pd_bins;

/* The bin width for a span: the smallest 1, 2 or 5 × 10^k ns that cuts
 * [0, span] into at most target bins (at least 1 ns). */
sim_time pd_pick_width(sim_time span, int64_t target);

/* Counts run_id's rows into n bins of the given width. Returns 0 or 3;
 * clear *out with pd_bins_clear (also after a failure). After pd_run_get
 * or pd_summary_get of the run, from counts its scan kept in p (when the
 * width is a multiple of theirs: plot's always are), without reading the
 * rows again. */
int pd_bins_get(pd *p, int64_t run_id, sim_time width, int64_t n,
                pd_bins *out, char *err, size_t errlen);
void pd_bins_clear(pd_bins *b);

/* ---------------------------------------------------------------- files */

/* Writes DIR/bins-S.dat: per bin, its start and end (s), sent per second
 * and permits sent per second in it; at its end, cumulative arrivals,
 * cumulative sent and the attempts waiting (ready, later sent, not yet
 * sent); then sent and permits per second over the `window` bins ending
 * with it (a trailing window the length of a limit's W, window >= 1).
 * Returns 0 or 3 ("path: reason"). */
int pd_write_bins(const pd_bins *b, const char *dir, int series,
                  int64_t window, char *err, size_t errlen);

/* Writes DIR/cdf-S.dat: per point, the wait (s) and the fraction of sent
 * attempts that waited at most that long. Returns 0 or 3. */
int pd_write_cdf(const pd_cdf *c, const char *dir, int series, char *err,
                 size_t errlen);

/* Writes DIR/share.dat: a header row ("series" and every provider name
 * met, in order of first appearance), then per run names[i] and the
 * percentage of its sent attempts each provider took (0 for a provider
 * it does not have). Returns 0 or 3. */
int pd_write_share(const pd_run *runs, const char *const *names, int n,
                   const char *dir, char *err, size_t errlen);

#endif
