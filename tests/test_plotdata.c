/* SPDX-License-Identifier: MIT
 *
 * Tests of the plot data module (sim/io/plotdata.c). Each test writes
 * hand-made runs, as the recorder stores them (SPEC §7), into a database
 * in a fresh temporary folder, reads them back through pd_* and checks the figures against
 * values worked out by hand: outcome counts, nearest-rank wait quantiles,
 * the achieved rate, the worst window (a burst across a window edge), the
 * per-client totals and Jain's index, time bins and the .dat files. The
 * pure helpers (rates from params text, bin widths, Jain) are tested on
 * their own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "sim/io/plotdata.h"

#define S(x) ((sim_time)((x) * 1e9 + 0.5))

typedef struct fixture {
    char dir[64], path[96];
} fixture;

static int
setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    const char *tmp = getenv("TMPDIR");

    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "%s/rs-pd-XXXXXX",
             tmp && strlen(tmp) < 32 ? tmp : "/tmp");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture *f = *state;
    static const char *const files[] = {"t.db", "t.db-journal", "bins-1.dat",
                                        "cdf-1.dat", "share.dat"};
    char p[128];

    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", f->dir, files[i]);
        unlink(p);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Recording                                                           */
/* ------------------------------------------------------------------ */

/* A row: request id, attempt, client, arrival = ready, dispatch (SIM_NONE:
 * never went out), provider, outcome; cost 1, priority 0. */
typedef struct row {
    int64_t id;
    int attempt;
    const char *client;
    double ready, sent;         /* seconds; sent < 0: never went out */
    int provider, outcome;
} row;

/* The tables of SPEC §7, as a ratesim database holds them. */
static const char schema[] =
    "CREATE TABLE IF NOT EXISTS runs(run_id INTEGER PRIMARY KEY, label TEXT,"
    " algo TEXT, seed INTEGER, workload TEXT, workload_sha256 TEXT,"
    " scenario TEXT, scenario_sha256 TEXT, version TEXT, created TEXT,"
    " requests INTEGER, events INTEGER, digest TEXT, wall_ms REAL);"
    "CREATE TABLE IF NOT EXISTS providers(run_id INTEGER,"
    " provider_id INTEGER, name TEXT, ord INTEGER, algo TEXT, params TEXT,"
    " PRIMARY KEY(run_id, provider_id));"
    "CREATE TABLE IF NOT EXISTS dispatches(run_id INTEGER, req_id INTEGER,"
    " attempt INTEGER, client TEXT, priority INTEGER, cost INTEGER,"
    " t_arrive INTEGER, t_ready INTEGER, t_dispatch INTEGER,"
    " t_done INTEGER, provider_id INTEGER, outcome TEXT,"
    " PRIMARY KEY(run_id, req_id, attempt));";

static void
exec_ok(sqlite3 *db, const char *sql)
{
    char *msg = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
}

/* Binds a time in seconds, NULL when negative. */
static void
bind_time(sqlite3_stmt *st, int i, double t)
{
    if (t < 0)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_int64(st, i, S(t));
}

static void
insert_rows(sqlite3 *db, int64_t id, const row *v, int n)
{
    sqlite3_stmt *st;

    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO dispatches VALUES"
                                        "(?,?,?,?,0,1,?,?,?,?,?,?)", -1, &st,
                                        NULL), SQLITE_OK);
    for (int i = 0; i < n; i++) {
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, v[i].id);
        sqlite3_bind_int(st, 3, v[i].attempt);
        sqlite3_bind_text(st, 4, v[i].client, -1, SQLITE_STATIC);
        bind_time(st, 5, v[i].ready);
        bind_time(st, 6, v[i].ready);
        bind_time(st, 7, v[i].sent);
        bind_time(st, 8, v[i].sent);
        if (v[i].provider < 0)
            sqlite3_bind_null(st, 9);
        else
            sqlite3_bind_int(st, 9, v[i].provider);
        sqlite3_bind_text(st, 10, sim_outcome_name(v[i].outcome), -1,
                          SQLITE_STATIC);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
}

/* Records a run of one provider P with the given params text, as the
 * recorder would; its id into *run_id. */
static void
record(fixture *f, const char *label, const char *params, const row *v,
       int n, int64_t *run_id)
{
    sqlite3 *db;
    sqlite3_stmt *st;

    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    exec_ok(db, schema);
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO runs(label, algo,"
                                        " seed, workload, workload_sha256,"
                                        " scenario, version, requests,"
                                        " events, digest, wall_ms) VALUES"
                                        "(?, 'token_bucket', 7, 'w.csv',"
                                        " 'ab', 's.ini', 'test', ?, ?, '00',"
                                        " 1.0)", -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, label, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, n);
    sqlite3_bind_int(st, 3, 2 * n);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    *run_id = sqlite3_last_insert_rowid(db);
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO providers VALUES"
                                        "(?, 0, 'P', 1, 'token_bucket', ?)",
                                        -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_int64(st, 1, *run_id);
    sqlite3_bind_text(st, 2, params, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    insert_rows(db, *run_id, v, n);
    sqlite3_close(db);
}

/* Ten requests of client a (waits 0, 0.1, ..., 0.9 s, sent at 1..10 s),
 * two of client b (one sent after 2 s, one expired), one refused. */
static const row run_a[] = {
    {1, 1, "a", 1.0, 1.0, 0, SIM_OK},     {2, 1, "a", 1.9, 2.0, 0, SIM_OK},
    {3, 1, "a", 2.8, 3.0, 0, SIM_OK},     {4, 1, "a", 3.7, 4.0, 0, SIM_OK},
    {5, 1, "a", 4.6, 5.0, 0, SIM_OK},     {6, 1, "a", 5.5, 6.0, 0, SIM_OK},
    {7, 1, "a", 6.4, 7.0, 0, SIM_OK},     {8, 1, "a", 7.3, 8.0, 0, SIM_OK},
    {9, 1, "a", 8.2, 9.0, 0, SIM_OK},     {10, 1, "a", 9.1, 10.0, 0, SIM_OK},
    {11, 1, "b", 2.5, 4.5, 0, SIM_FAILED}, {12, 1, "b", 3.0, -1, -1,
                                            SIM_EXPIRED},
    {13, 1, "c", 3.0, -1, 0, SIM_REJECTED},
};
#define N_A ((int)(sizeof run_a / sizeof run_a[0]))

/* ------------------------------------------------------------------ */
/* Pure helpers                                                        */
/* ------------------------------------------------------------------ */

static void
test_parse_rates(void **state)
{
    pd_rate r[4];

    (void)state;
    assert_int_equal(pd_parse_rates("token_bucket 10/1s burst=5; "
                                    "fixed_window 500/3600s", r, 4), 2);
    assert_int_equal(r[0].count, 10);
    assert_int_equal(r[0].window, S(1));
    assert_int_equal(r[1].count, 500);
    assert_int_equal(r[1].window, S(3600));
    assert_int_equal(pd_parse_rates("concurrency 8", r, 4), 0);
    assert_int_equal(pd_parse_rates("sliding_log 3/0.5s; concurrency 2", r,
                                    4), 1);
    assert_int_equal(r[0].window, S(0.5));
    assert_int_equal(pd_parse_rates("", r, 4), 0);
    assert_int_equal(pd_parse_rates(NULL, r, 4), 0);
    /* At most max. */
    assert_int_equal(pd_parse_rates("a 1/1s; b 2/1s", r, 1), 1);
}

static void
test_pick_width(void **state)
{
    (void)state;
    assert_int_equal(pd_pick_width(S(37.27), 200), S(0.2));
    assert_int_equal(pd_pick_width(S(1111), 200), S(10));
    assert_int_equal(pd_pick_width(S(1000), 200), S(5));
    assert_int_equal(pd_pick_width(0, 200), 1);
    assert_int_equal(pd_pick_width(1000, 200), 5);
    assert_int_equal(pd_pick_width(S(1), 0), S(1));
}

static void
test_jain(void **state)
{
    int64_t off[4] = {100, 10, 10, 10}, fair[4] = {70, 10, 10, 10};
    int64_t fifo[4] = {50, 5, 5, 5}, none[4] = {0, 0, 0, 0};
    int64_t off2[3] = {10, 0, 10}, srv2[3] = {10, 0, 0};
    double j;

    (void)state;
    /* Served exactly the max-min fair shares: 1. */
    assert_true(fabs(pd_jain(off, fair, 4) - 1.0) < 1e-12);
    /* FIFO served every client the same fraction (half): 65 served, the
     * fair shares are 10, 10, 10 and 35; x = 0.5, 0.5, 0.5, 50/35. */
    j = pd_jain(off, fifo, 4);
    {
        double x = 50.0 / 35.0, s = 1.5 + x, s2 = 0.75 + x * x;
        assert_true(fabs(j - s * s / (4 * s2)) < 1e-12);
    }
    assert_true(j < 0.9);
    assert_true(pd_jain(off, none, 4) < 0);
    /* A client that offered nothing is left out: two clients, one got
     * all (its fair share is 5 of the 10 served): x = 2, 0 -> 0.5. */
    assert_true(fabs(pd_jain(off2, srv2, 3) - 0.5) < 1e-12);
    assert_true(pd_jain(NULL, NULL, 0) < 0);
}

/* ------------------------------------------------------------------ */
/* From a database                                                     */
/* ------------------------------------------------------------------ */

static void
test_open_errors(void **state)
{
    fixture *f = *state;
    char err[256], p[128];
    pd *d = NULL;
    FILE *x;

    snprintf(p, sizeof p, "%s/none.db", f->dir);
    assert_int_equal(pd_open(&d, p, err, sizeof err), 2);
    assert_null(d);
    assert_non_null(strstr(err, "none.db"));
    /* A file that is not a database. */
    snprintf(p, sizeof p, "%s/t.db", f->dir);
    x = fopen(p, "w");
    assert_non_null(x);
    fputs("not a database, really not at all; more than a header\n", x);
    fclose(x);
    assert_int_equal(pd_open(&d, p, err, sizeof err), 3);
    assert_null(d);
}

static void
test_runs(void **state)
{
    fixture *f = *state;
    char err[256];
    int64_t id1, id2, latest;
    pd *d;
    pd_run r;

    record(f, "x/one", "token_bucket 10/1s burst=5", run_a, 3, &id1);
    record(f, NULL, "concurrency 4", run_a, 2, &id2);
    assert_int_equal(pd_open(&d, f->path, err, sizeof err), 0);
    assert_int_equal(pd_latest_run(d, &latest, err, sizeof err), 0);
    assert_int_equal(latest, id2);
    assert_int_equal(pd_run_get(d, id1, &r, err, sizeof err), 0);
    assert_string_equal(r.label, "x/one");
    assert_string_equal(r.algo, "token_bucket");
    assert_string_equal(r.workload_sha256, "ab");
    assert_string_equal(r.digest, "00");
    assert_int_equal(r.seed, 7);
    assert_int_equal(r.requests, 3);
    assert_int_equal(r.nproviders, 1);
    assert_string_equal(r.providers[0].name, "P");
    assert_int_equal(r.providers[0].nrates, 1);
    assert_int_equal(r.providers[0].sent, 3);
    pd_run_clear(&r);
    assert_int_equal(pd_run_get(d, id2, &r, err, sizeof err), 0);
    assert_null(r.label);
    assert_int_equal(r.providers[0].nrates, 0);
    assert_int_equal(r.providers[0].worst, 0);
    pd_run_clear(&r);
    assert_int_equal(pd_run_get(d, id2 + 5, &r, err, sizeof err), 2);
    assert_non_null(strstr(err, "no run"));
    pd_run_clear(&r);
    pd_close(d);
}

static void
test_summary(void **state)
{
    fixture *f = *state;
    char err[256];
    int64_t id;
    pd *d;
    pd_summary s;

    record(f, "a", "token_bucket 2/1s", run_a, N_A, &id);
    assert_int_equal(pd_open(&d, f->path, err, sizeof err), 0);
    assert_int_equal(pd_summary_get(d, id, &s, err, sizeof err), 0);
    assert_int_equal(s.attempts, 13);
    assert_int_equal(s.requests, 13);
    assert_int_equal(s.outcomes[SIM_OK], 10);
    assert_int_equal(s.outcomes[SIM_FAILED], 1);
    assert_int_equal(s.outcomes[SIM_EXPIRED], 1);
    assert_int_equal(s.outcomes[SIM_REJECTED], 1);
    assert_int_equal(s.sent, 11);
    assert_int_equal(s.first_arrival, S(1));
    assert_int_equal(s.last_dispatch, S(10));
    assert_int_equal(s.end, S(10));
    assert_true(fabs(s.rate - 1.1) < 1e-12);
    /* Waits sorted: 0, .1, .2, ..., .9, 2 (eleven). Rank ceil(q * 11):
     * p50 -> 6th = 0.5, p95 -> 11th = 2, p99 -> 11th, max = 2. */
    assert_int_equal(s.wait_p50, S(0.5));
    assert_int_equal(s.wait_p95, S(2));
    assert_int_equal(s.wait_p99, S(2));
    assert_int_equal(s.wait_max, S(2));
    assert_int_equal(pd_cdf_at(&s.cdf, 0), 0);
    assert_int_equal(pd_cdf_at(&s.cdf, 900000), S(0.9));   /* 10th */
    assert_int_equal(s.cdf.count, 11);
    assert_int_equal(s.cdf.ppm[s.cdf.n - 1], PD_PPM);
    /* Clients a (10 offered, 10 ok), b (2, 0), c (1, 0): 10 served; fair
     * shares c 1, b 2, a 7: x = 10/7, 0, 0. J = 1/3. */
    assert_int_equal(s.nclients, 3);
    assert_true(fabs(s.jain - 1.0 / 3.0) < 1e-12);
    pd_summary_clear(&s);
    pd_close(d);
}

/* A run without rows: zeros, no instants, no CDF, no Jain. */
static void
test_empty(void **state)
{
    fixture *f = *state;
    char err[256];
    int64_t id;
    pd *d;
    pd_summary s;
    pd_run r;
    pd_bins b;

    record(f, "none", "token_bucket 2/1s", run_a, 0, &id);
    assert_int_equal(pd_open(&d, f->path, err, sizeof err), 0);
    assert_int_equal(pd_summary_get(d, id, &s, err, sizeof err), 0);
    assert_int_equal(s.attempts, 0);
    assert_int_equal(s.sent, 0);
    assert_int_equal(s.first_arrival, SIM_NONE);
    assert_int_equal(s.last_dispatch, SIM_NONE);
    assert_int_equal(s.cdf.n, 0);
    assert_int_equal(s.wait_max, 0);
    assert_true(s.rate == 0);
    assert_true(s.jain < 0);
    pd_summary_clear(&s);
    assert_int_equal(pd_run_get(d, id, &r, err, sizeof err), 0);
    assert_int_equal(r.providers[0].sent, 0);
    assert_int_equal(r.providers[0].worst, 0);
    pd_run_clear(&r);
    assert_int_equal(pd_bins_get(d, id, S(1), 3, &b, err, sizeof err), 0);
    assert_int_equal(b.sent[0] + b.arrivals[2], 0);
    pd_bins_clear(&b);
    pd_close(d);
}

static void
test_clients(void **state)
{
    fixture *f = *state;
    char err[256];
    int64_t id, n;
    pd *d;
    pd_summary s;
    const pd_client *c;

    record(f, "a", "token_bucket 2/1s", run_a, N_A, &id);
    assert_int_equal(pd_open(&d, f->path, err, sizeof err), 0);
    assert_int_equal(pd_summary_get(d, id, &s, err, sizeof err), 0);
    n = s.nclients;
    c = s.clients;
    assert_int_equal(n, 3);
    assert_string_equal(c[0].name, "a");
    assert_int_equal(c[0].offered, 10);
    assert_int_equal(c[0].ok, 10);
    assert_true(fabs(c[0].wait_mean - 0.45) < 1e-9);
    assert_int_equal(c[0].wait_max, S(0.9));
    assert_string_equal(c[1].name, "b");
    assert_int_equal(c[1].sent, 1);
    assert_int_equal(c[1].failed, 1);
    assert_int_equal(c[1].expired, 1);
    assert_string_equal(c[2].name, "c");
    assert_int_equal(c[2].rejected, 1);
    assert_int_equal(c[2].sent, 0);
    pd_summary_clear(&s);
    pd_close(d);
}

/* Fixed window 3/1s letting six through across an edge: three at 0.9 s,
 * three at 1.0 s; then one at 2.5 s. The worst window of 1 s holds six. */
static void
test_worst_window(void **state)
{
    static const row v[] = {
        {1, 1, "a", 0.9, 0.9, 0, SIM_OK}, {2, 1, "a", 0.9, 0.9, 0, SIM_OK},
        {3, 1, "a", 0.9, 0.9, 0, SIM_OK}, {4, 1, "a", 0.9, 1.0, 0, SIM_OK},
        {5, 1, "a", 0.9, 1.0, 0, SIM_OK}, {6, 1, "a", 0.9, 1.0, 0, SIM_OK},
        {7, 1, "a", 2.5, 2.5, 0, SIM_OK},
    };
    static const row edge[] = {
        /* Exactly W apart: never in one half-open window. */
        {1, 1, "a", 0, 0, 0, SIM_OK}, {2, 1, "a", 1, 1, 0, SIM_OK},
        {3, 1, "a", 2, 2, 0, SIM_OK},
    };
    fixture *f = *state;
    char err[256];
    int64_t id, id2;
    pd *d;
    pd_run r;

    record(f, "fw", "fixed_window 3/1s", v, 7, &id);
    record(f, "fw", "fixed_window 1/1s", edge, 3, &id2);
    assert_int_equal(pd_open(&d, f->path, err, sizeof err), 0);
    assert_int_equal(pd_run_get(d, id, &r, err, sizeof err), 0);
    assert_int_equal(r.providers[0].worst, 6);
    assert_int_equal(r.providers[0].sent, 7);
    assert_int_equal(r.providers[0].sent_cost, 7);
    assert_int_equal(r.providers[0].rates[0].count, 3);
    pd_run_clear(&r);
    assert_int_equal(pd_run_get(d, id2, &r, err, sizeof err), 0);
    assert_int_equal(r.providers[0].worst, 1);
    pd_run_clear(&r);
    pd_close(d);
}

/* Runs sql on the fixture's database (to make what record cannot). */
static void
exec_at(fixture *f, const char *sql)
{
    sqlite3 *db;

    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    exec_ok(db, sql);
    sqlite3_close(db);
}

/* Dispatches at equal instants, in rows out of time order: a window holds
 * all those at an instant or none. Window 1 s: two at 0 s and two at 1 s
 * (exactly W apart, never together); three at 1.5 s join the two at 1 s
 * (five); two at 2.5 s and one at 2.5 s later in the rows make three with
 * none of the earlier ones (1.5 is at 2.5 - W). */
static void
test_worst_ties(void **state)
{
    static const row v[] = {
        {1, 1, "a", 2.5, 2.5, 0, SIM_OK}, {2, 1, "a", 1.0, 1.0, 0, SIM_OK},
        {3, 1, "a", 0.0, 0.0, 0, SIM_OK}, {4, 1, "a", 1.5, 1.5, 0, SIM_OK},
        {5, 1, "a", 1.0, 1.0, 0, SIM_OK}, {6, 1, "a", 2.5, 2.5, 0, SIM_OK},
        {7, 1, "a", 1.5, 1.5, 0, SIM_OK}, {8, 1, "a", 0.0, 0.0, 0, SIM_OK},
        {9, 1, "a", 1.5, 1.5, 0, SIM_OK}, {10, 1, "a", 2.5, 2.5, 0, SIM_OK},
    };
    static const row edge[] = {
        {1, 1, "a", 1.0, 1.0, 0, SIM_OK}, {2, 1, "a", 0.0, 0.0, 0, SIM_OK},
        {3, 1, "a", 1.0, 1.0, 0, SIM_OK}, {4, 1, "a", 0.0, 0.0, 0, SIM_OK},
        {5, 1, "a", 0.0, 0.0, 0, SIM_OK},
    };
    fixture *f = *state;
    char err[256];
    int64_t id, id2;
    pd *d;
    pd_run r;

    record(f, "ties", "sliding_log 2/1s", v, 10, &id);
    record(f, "edge", "fixed_window 2/1s", edge, 5, &id2);
    assert_int_equal(pd_open(&d, f->path, err, sizeof err), 0);
    assert_int_equal(pd_run_get(d, id, &r, err, sizeof err), 0);
    assert_int_equal(r.providers[0].worst, 5);
    assert_int_equal(r.providers[0].sent, 10);
    pd_run_clear(&r);
    /* Three at 0 s, two at 1 s: (0, 1] holds the two only. */
    assert_int_equal(pd_run_get(d, id2, &r, err, sizeof err), 0);
    assert_int_equal(r.providers[0].worst, 3);
    pd_run_clear(&r);
    /* Costs count, not rows: the one at 1 s weighs 4. */
    exec_at(f, "UPDATE dispatches SET cost = 4 WHERE req_id = 3");
    assert_int_equal(pd_run_get(d, id2, &r, err, sizeof err), 0);
    assert_int_equal(r.providers[0].worst, 5);
    assert_int_equal(r.providers[0].sent_cost, 8);
    pd_run_clear(&r);
    pd_close(d);
}

/* More clients than the hash table starts with, recorded out of order:
 * most offered first, ties by name as bytes ("c10" before "c2"), with the
 * same totals whether the summary came with pd_run_get or on its own. */
static void
test_many_clients(void **state)
{
    enum { NC = 300 };
    static row v[NC * 3];
    static char names[NC][8];
    fixture *f = *state;
    char err[256];
    int64_t id, n = 0;
    pd *d;
    pd_summary s, s2;
    pd_run r;

    for (int i = 0; i < NC; i++)
        snprintf(names[i], sizeof names[i], "c%d", (i * 7) % NC);
    /* Client i offers 1 + i % 3 requests, the first of them sent. */
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < NC; i++)
            if (k <= i % 3) {
                v[n] = (row){n + 1, 1, names[i], 1.0 + 0.001 * (double)n,
                             k == 0 ? 2.0 : -1, k == 0 ? 0 : -1,
                             k == 0 ? SIM_OK : SIM_EXPIRED};
                n++;
            }
    record(f, "many", "token_bucket 1000/1s", v, (int)n, &id);
    assert_int_equal(pd_open(&d, f->path, err, sizeof err), 0);
    assert_int_equal(pd_summary_get(d, id, &s, err, sizeof err), 0);
    assert_int_equal(s.nclients, NC);
    assert_int_equal(s.requests, n);
    for (int64_t i = 0; i < s.nclients; i++) {
        const pd_client *c = &s.clients[i];
        assert_int_equal(c->ok, 1);
        assert_int_equal(c->expired, c->offered - 1);
        assert_int_equal(c->sent, 1);
        assert_true(c->wait_max > 0);
        assert_true(fabs(c->wait_mean * 1e9 - (double)c->wait_max) < 1);
        if (i == 0)
            continue;
        assert_true(s.clients[i - 1].offered >= c->offered);
        if (s.clients[i - 1].offered == c->offered)
            assert_true(strcmp(s.clients[i - 1].name, c->name) < 0);
    }
    assert_string_equal(s.clients[0].name, "c101");     /* 3 offered */
    assert_string_equal(s.clients[NC - 1].name, "c99");  /* 1 offered */
    /* Through pd_run_get's scan: the same. */
    assert_int_equal(pd_run_get(d, id, &r, err, sizeof err), 0);
    assert_int_equal(pd_summary_get(d, id, &s2, err, sizeof err), 0);
    assert_int_equal(s2.nclients, NC);
    for (int64_t i = 0; i < NC; i++) {
        assert_string_equal(s.clients[i].name, s2.clients[i].name);
        assert_int_equal(s.clients[i].offered, s2.clients[i].offered);
        assert_true(s.clients[i].wait_mean == s2.clients[i].wait_mean);
    }
    assert_true(s.jain == s2.jain);
    assert_int_equal(s.cdf.count, s2.cdf.count);
    pd_summary_clear(&s2);
    pd_run_clear(&r);
    pd_summary_clear(&s);
    pd_close(d);
}

/* A run whose rows all stayed in: no dispatch, no wait, no rate, no
 * Jain; the arrivals still count. */
static void
test_none_sent(void **state)
{
    static const row v[] = {
        {1, 1, "a", 0.5, -1, -1, SIM_EXPIRED},
        {2, 1, "b", 1.5, -1, 0, SIM_REJECTED},
        {2, 2, "b", 2.5, -1, -1, SIM_EXPIRED},
    };
    fixture *f = *state;
    char err[256];
    int64_t id;
    pd *d;
    pd_summary s;
    pd_run r;
    pd_bins b;

    record(f, "none", "token_bucket 2/1s", v, 3, &id);
    assert_int_equal(pd_open(&d, f->path, err, sizeof err), 0);
    assert_int_equal(pd_run_get(d, id, &r, err, sizeof err), 0);
    assert_int_equal(r.providers[0].sent, 0);
    assert_int_equal(r.providers[0].worst, 0);
    assert_int_equal(pd_summary_get(d, id, &s, err, sizeof err), 0);
    assert_int_equal(s.attempts, 3);
    assert_int_equal(s.requests, 2);
    assert_int_equal(s.sent, 0);
    assert_int_equal(s.outcomes[SIM_EXPIRED], 2);
    assert_int_equal(s.first_arrival, S(0.5));
    assert_int_equal(s.last_dispatch, SIM_NONE);
    assert_int_equal(s.end, S(2.5));
    assert_int_equal(s.cdf.n, 0);
    assert_int_equal(s.wait_max, 0);
    assert_true(s.rate == 0);
    assert_true(s.jain < 0);
    assert_int_equal(s.nclients, 2);
    assert_true(s.clients[0].wait_mean == 0);
    assert_int_equal(pd_bins_get(d, id, S(1), 3, &b, err, sizeof err), 0);
    assert_int_equal(b.arrivals[0] + b.arrivals[1] + b.arrivals[2], 2);
    assert_int_equal(b.sent[0] + b.sent[1] + b.sent[2], 0);
    pd_bins_clear(&b);
    pd_summary_clear(&s);
    pd_run_clear(&r);
    pd_close(d);
}

/* NULLs read as the SQL read them: a NULL client is a client of its own,
 * ahead of "" when they offered as many; a sent attempt without t_ready
 * has a NULL wait, lowest in the CDF and read as 0, left out of its
 * client's mean and max; a row without t_ready sets no end. */
static void
test_nulls(void **state)
{
    static const row v[] = {
        {1, 1, "x", 1.0, 1.5, 0, SIM_OK},
        {2, 1, "a", 5.0, 5.0, 0, SIM_OK},
        {3, 1, "a", 3.0, 3.2, 0, SIM_OK},
        {4, 1, "", 1.0, -1, -1, SIM_EXPIRED},
    };
    fixture *f = *state;
    char err[256];
    int64_t id;
    pd *d;
    pd_summary s;
    pd_bins b;

    record(f, "nulls", "token_bucket 2/1s", v, 4, &id);
    exec_at(f, "UPDATE dispatches SET client = NULL WHERE req_id = 1;"
               "UPDATE dispatches SET t_ready = NULL WHERE req_id = 2");
    assert_int_equal(pd_open(&d, f->path, err, sizeof err), 0);
    assert_int_equal(pd_summary_get(d, id, &s, err, sizeof err), 0);
    assert_int_equal(s.sent, 3);
    assert_int_equal(s.last_dispatch, S(5.0));
    assert_int_equal(s.end, S(3.2));
    /* Waits: NULL (0), 0.2, 0.5. */
    assert_int_equal(pd_cdf_at(&s.cdf, 0), 0);
    assert_int_equal(s.wait_p50, S(3.2) - S(3.0));
    assert_int_equal(s.wait_max, S(1.5) - S(1.0));
    assert_int_equal(s.nclients, 3);
    assert_string_equal(s.clients[0].name, "a");
    assert_int_equal(s.clients[0].sent, 2);
    assert_int_equal(s.clients[0].wait_max, S(3.2) - S(3.0));
    assert_true(fabs(s.clients[0].wait_mean - 0.2) < 1e-9);
    assert_null(s.clients[1].name);
    assert_string_equal(s.clients[2].name, "");
    pd_summary_clear(&s);
    /* The NULL t_ready lands in bin 0. */
    assert_int_equal(pd_bins_get(d, id, S(1), 6, &b, err, sizeof err), 0);
    assert_int_equal(b.ready[0], 1);
    assert_int_equal(b.ready[1], 1);
    assert_int_equal(b.ready[3], 1);
    assert_int_equal(b.sent[5], 1);
    pd_bins_clear(&b);
    pd_close(d);
}

/* Reads line k (0-based, after the comment) of a .dat file. */
static void
dat_line(const char *dir, const char *name, int k, char *buf, size_t n)
{
    char p[160];
    FILE *f;

    snprintf(p, sizeof p, "%s/%s", dir, name);
    f = fopen(p, "r");
    assert_non_null(f);
    buf[0] = '\0';
    for (int i = 0; i <= k + 1 && fgets(buf, (int)n, f); i++)
        ;
    fclose(f);
    buf[strcspn(buf, "\n")] = '\0';
}

static void
test_bins(void **state)
{
    fixture *f = *state;
    char err[256], line[256];
    int64_t id;
    pd *d;
    pd_bins b;

    record(f, "a", "token_bucket 2/1s", run_a, N_A, &id);
    assert_int_equal(pd_open(&d, f->path, err, sizeof err), 0);
    /* Bins of 2 s, six of them: [0,2) [2,4) ... [10,12). */
    assert_int_equal(pd_bins_get(d, id, S(2), 6, &b, err, sizeof err), 0);
    /* Arrivals (every request): 1.0 1.9 | 2.8 3.7 2.5 3.0 3.0 | 4.6 5.5 |
     * 6.4 7.3 | 8.2 9.1 | -. */
    assert_int_equal(b.arrivals[0], 2);
    assert_int_equal(b.arrivals[1], 5);
    assert_int_equal(b.arrivals[2], 2);
    assert_int_equal(b.arrivals[5], 0);
    /* Sent: 1 | 2 3 | 4 4.5 5 | 6 7 | 8 9 | 10. */
    assert_int_equal(b.sent[0], 1);
    assert_int_equal(b.sent[1], 2);
    assert_int_equal(b.sent[2], 3);
    assert_int_equal(b.sent[5], 1);
    assert_int_equal(b.ready[1], 3);            /* 2.8, 3.7, 2.5 */
    assert_int_equal(pd_write_bins(&b, f->dir, 1, 2, err, sizeof err), 0);
    /* Bin 1: [2,4), 2 sent = 1/s; at 4 s: 7 arrived, 3 sent, waiting
     * 5 ready - 3 sent = 2 (requests 4 and 11); over the trailing 4 s:
     * 3 sent = 0.75/s. */
    dat_line(f->dir, "bins-1.dat", 1, line, sizeof line);
    assert_string_equal(line, "2 4 1 1 7 3 2 0.75 0.75");
    pd_bins_clear(&b);
    /* Instants past the last bin count in it. */
    assert_int_equal(pd_bins_get(d, id, S(2), 2, &b, err, sizeof err), 0);
    assert_int_equal(b.sent[1], 10);
    pd_bins_clear(&b);
    pd_close(d);
}

/* After a summary, bins come from the counts its scan kept when their
 * width allows, and from a scan otherwise: the same either way. */
static void
test_bins_kept(void **state)
{
    static const sim_time widths[] = {S(2), S(0.5), S(1) / 3, 7, S(20)};
    fixture *f = *state;
    char err[256];
    int64_t id;
    pd *d;
    pd_summary s;
    pd_bins b, c;

    record(f, "a", "token_bucket 2/1s", run_a, N_A, &id);
    assert_int_equal(pd_open(&d, f->path, err, sizeof err), 0);
    for (size_t k = 0; k < sizeof widths / sizeof widths[0]; k++) {
        int64_t n = S(12) / widths[k] + 1;
        if (n > 100000)
            n = 100000;
        /* No scan before: this one scans. */
        assert_int_equal(pd_bins_get(d, id, widths[k], n, &b, err,
                                     sizeof err), 0);
        assert_int_equal(pd_summary_get(d, id, &s, err, sizeof err), 0);
        pd_summary_clear(&s);
        assert_int_equal(pd_bins_get(d, id, widths[k], n, &c, err,
                                     sizeof err), 0);
        for (int64_t i = 0; i < n; i++) {
            assert_int_equal(b.arrivals[i], c.arrivals[i]);
            assert_int_equal(b.ready[i], c.ready[i]);
            assert_int_equal(b.sent[i], c.sent[i]);
            assert_int_equal(b.sent_cost[i], c.sent_cost[i]);
        }
        pd_bins_clear(&b);
        pd_bins_clear(&c);
    }
    pd_close(d);
}

static void
test_files(void **state)
{
    fixture *f = *state;
    char err[256], line[256];
    int64_t id;
    pd *d;
    pd_summary s;
    pd_run r[2];
    const char *names[2] = {"first", "second \"q\""};

    record(f, "a", "token_bucket 2/1s", run_a, N_A, &id);
    assert_int_equal(pd_open(&d, f->path, err, sizeof err), 0);
    assert_int_equal(pd_summary_get(d, id, &s, err, sizeof err), 0);
    assert_int_equal(pd_write_cdf(&s.cdf, f->dir, 1, err, sizeof err), 0);
    dat_line(f->dir, "cdf-1.dat", 0, line, sizeof line);
    assert_string_equal(line, "0 0.000000");
    dat_line(f->dir, "cdf-1.dat", s.cdf.n - 1, line, sizeof line);
    assert_string_equal(line, "2 1.000000");
    /* Shares: two runs of the one provider P: 100 each. */
    assert_int_equal(pd_run_get(d, id, &r[0], err, sizeof err), 0);
    assert_int_equal(pd_run_get(d, id, &r[1], err, sizeof err), 0);
    assert_int_equal(pd_write_share(r, names, 2, f->dir, err, sizeof err),
                     0);
    dat_line(f->dir, "share.dat", -1, line, sizeof line);
    assert_string_equal(line, "series \"P\"");
    dat_line(f->dir, "share.dat", 1, line, sizeof line);
    assert_string_equal(line, "\"second 'q'\" 100.0000");
    pd_run_clear(&r[0]);
    pd_run_clear(&r[1]);
    /* A folder that does not exist: 3 and the path. */
    assert_int_equal(pd_write_cdf(&s.cdf, "/nonexistent/dir", 1, err,
                                  sizeof err), 3);
    assert_non_null(strstr(err, "/nonexistent/dir/cdf-1.dat"));
    pd_summary_clear(&s);
    pd_close(d);
}

/* ------------------------------------------------------------------ */
/* Runs fed in memory                                                  */
/* ------------------------------------------------------------------ */

/* Feeds v (in reverse: rows come in the order attempts finish, not the
 * key's) to a memory pd as run 1 of one provider P, params "token_bucket
 * 2/1s", as compare --db none does. */
static pd *
feed(const row *v, int n)
{
    char err[256];
    pd *d;
    pd_feed *fd;
    pd_run meta = {.seed = 7, .nproviders = 1};

    assert_int_equal(pd_open_memory(&d, "--db none", err, sizeof err), 0);
    meta.label = strdup("a");
    meta.algo = strdup("token_bucket");
    meta.providers = calloc(1, sizeof *meta.providers);
    assert_non_null(meta.providers);
    meta.providers[0] = (pd_provider){.id = 0, .ord = 1, .name = strdup("P"),
                                      .params = strdup("token_bucket 2/1s")};
    assert_int_equal(pd_feed_begin(d, &meta, &fd, err, sizeof err), 0);
    assert_null(meta.label);            /* taken over */
    for (int i = n - 1; i >= 0; i--) {
        sim_row r = {.req_id = v[i].id, .attempt = v[i].attempt, .cost = 1,
                     .provider = v[i].provider, .outcome = v[i].outcome,
                     .t_arrive = S(v[i].ready), .t_ready = S(v[i].ready),
                     .t_dispatch = v[i].sent < 0 ? SIM_NONE : S(v[i].sent)};
        r.t_done = r.t_dispatch;
        assert_int_equal(pd_feed_row(fd, &r, v[i].client), 0);
    }
    assert_int_equal(pd_feed_end(fd, n, 2 * n, "00", "ab", 1.0, err,
                                 sizeof err), 0);
    return d;
}

/* The run of test_summary and test_bins, fed instead of recorded: the
 * same figures, worked out there. */
static void
test_feed(void **state)
{
    char err[256];
    int64_t id;
    pd *d = feed(run_a, N_A);
    pd_run r;
    pd_summary s;
    pd_bins b;

    (void)state;
    assert_int_equal(pd_latest_run(d, &id, err, sizeof err), 0);
    assert_int_equal(id, 1);
    for (int twice = 0; twice < 2; twice++) {
        assert_int_equal(pd_run_get(d, 1, &r, err, sizeof err), 0);
        assert_string_equal(r.label, "a");
        assert_string_equal(r.digest, "00");
        assert_string_equal(r.workload_sha256, "ab");
        assert_non_null(r.created);
        assert_int_equal(r.requests, N_A);
        assert_int_equal(r.events, 2 * N_A);
        assert_string_equal(r.providers[0].name, "P");
        assert_int_equal(r.providers[0].nrates, 1);
        assert_int_equal(r.providers[0].sent, 11);
        /* Sent at 1..10 s and 4.5 s: three in [4, 5] but only two in
         * any half-open second. */
        assert_int_equal(r.providers[0].worst, 2);
        pd_run_clear(&r);
        assert_int_equal(pd_summary_get(d, 1, &s, err, sizeof err), 0);
        assert_int_equal(s.attempts, 13);
        assert_int_equal(s.outcomes[SIM_OK], 10);
        assert_int_equal(s.sent, 11);
        assert_int_equal(s.wait_p50, S(0.5));
        assert_int_equal(s.wait_max, S(2));
        assert_int_equal(pd_cdf_at(&s.cdf, 900000), S(0.9));
        assert_int_equal(s.nclients, 3);
        assert_string_equal(s.clients[0].name, "a");
        assert_true(fabs(s.jain - 1.0 / 3.0) < 1e-12);
        pd_summary_clear(&s);
        assert_int_equal(pd_bins_get(d, 1, S(2), 6, &b, err, sizeof err), 0);
        assert_int_equal(b.arrivals[1], 5);
        assert_int_equal(b.sent[2], 3);
        assert_int_equal(b.ready[1], 3);
        pd_bins_clear(&b);
    }
    /* No rows to count bins of another width, no run 2. */
    assert_int_equal(pd_bins_get(d, 1, 7, 10, &b, err, sizeof err), 3);
    assert_non_null(strstr(err, "--db none: "));
    pd_bins_clear(&b);
    assert_int_equal(pd_run_get(d, 2, &r, err, sizeof err), 2);
    assert_non_null(strstr(err, "no run 2"));
    pd_run_clear(&r);
    pd_close(d);
}

/* A feed dropped halfway leaves no run. */
static void
test_feed_abort(void **state)
{
    char err[256];
    int64_t id;
    pd *d;
    pd_feed *fd, *other;
    pd_run meta = {0};
    sim_row r = {.req_id = 1, .attempt = 1, .cost = 1, .t_ready = 0,
                 .t_dispatch = 0, .outcome = SIM_OK};

    (void)state;
    assert_int_equal(pd_open_memory(&d, "mem", err, sizeof err), 0);
    assert_int_equal(pd_latest_run(d, &id, err, sizeof err), 2);
    assert_int_equal(pd_feed_begin(d, &meta, &fd, err, sizeof err), 0);
    assert_int_equal(pd_feed_row(fd, &r, "x"), 0);
    assert_int_equal(pd_feed_row(fd, &r, NULL), 0);     /* a NULL client */
    /* One run at a time: both would take the same id. */
    assert_int_equal(pd_feed_begin(d, &meta, &other, err, sizeof err), 3);
    assert_non_null(strstr(err, "a run is being fed"));
    assert_null(other);
    pd_feed_abort(fd);
    assert_int_equal(pd_latest_run(d, &id, err, sizeof err), 2);
    /* Dropped, it no longer stands in the way. */
    assert_int_equal(pd_feed_begin(d, &meta, &fd, err, sizeof err), 0);
    pd_feed_abort(fd);
    pd_close(d);
}

/* Runs kept under the ids a database gave them (compare records and
 * draws from memory): found by those ids, in any order, the latest being
 * the last kept; the plain numbers 1, 2 mean nothing then. */
static void
test_feed_keep_as(void **state)
{
    static const int64_t ids[] = {7, 3};
    char err[256];
    int64_t id;
    pd *d;
    pd_feed *fd;
    pd_run r;
    sim_row row = {.req_id = 1, .attempt = 1, .cost = 1, .t_ready = 0,
                   .t_dispatch = 0, .outcome = SIM_OK};

    (void)state;
    assert_int_equal(pd_open_memory(&d, "mem", err, sizeof err), 0);
    for (int i = 0; i < 2; i++) {
        pd_run meta = {.label = strdup(i ? "second" : "first")};
        assert_int_equal(pd_feed_begin(d, &meta, &fd, err, sizeof err), 0);
        for (int k = 0; k <= i; k++)
            assert_int_equal(pd_feed_row(fd, &row, "c"), 0);
        pd_feed_keep_as(fd, ids[i]);
        assert_int_equal(pd_feed_end(fd, 1 + i, 2, "00", "ab", 1.0, err,
                                     sizeof err), 0);
        assert_int_equal(pd_latest_run(d, &id, err, sizeof err), 0);
        assert_int_equal(id, ids[i]);
    }
    for (int i = 1; i >= 0; i--) {
        assert_int_equal(pd_run_get(d, ids[i], &r, err, sizeof err), 0);
        assert_string_equal(r.label, i ? "second" : "first");
        assert_int_equal(r.run_id, ids[i]);
        assert_int_equal(r.requests, 1 + i);
        pd_run_clear(&r);
    }
    for (int64_t no = 1; no <= 2; no++) {
        assert_int_equal(pd_run_get(d, no, &r, err, sizeof err), 2);
        pd_run_clear(&r);
    }
    pd_close(d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_rates),
        cmocka_unit_test(test_pick_width),
        cmocka_unit_test(test_jain),
        cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_summary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clients, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_worst_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_worst_ties, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_clients, setup, teardown),
        cmocka_unit_test_setup_teardown(test_none_sent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nulls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bins_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_files, setup, teardown),
        cmocka_unit_test(test_feed),
        cmocka_unit_test(test_feed_abort),
        cmocka_unit_test(test_feed_keep_as),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
