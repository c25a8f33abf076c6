/* SPDX-License-Identifier: MIT
 *
 * The SQLite recorder (SPEC §7). A rec is one connection to one database
 * file, the path (for messages), and statements prepared once at open and
 * reused for every run.
 *
 * Staging. A run's rows are not written into the database while the run
 * goes on: they go to three tables of the connection's private temporary
 * schema (temp.stage_run, temp.stage_providers, temp.stage_dispatches, in
 * a file SQLite deletes when the connection closes or the process dies),
 * inside one transaction on that schema alone. rec_commit then takes the
 * database's write lock (BEGIN IMMEDIATE), copies the run in with three
 * INSERT ... SELECT statements that give it its run_id, and commits. Why:
 * a run takes as long as the simulation, and holding the write lock that
 * long made every other process appending to the same file wait for the
 * whole simulation, then give up after the busy timeout. Staged, runs in
 * several processes simulate at once and only take turns to copy, which
 * is short (the copy runs at over a million rows a second), and a run's id
 * is simply the next one when it commits.
 *
 * Atomicity. The copy is one transaction of the database file, so a run is
 * all there or not at all, whatever stops the process: a failure or
 * rec_rollback rolls it back, a kill leaves the database as it was (SQLite
 * recovers the interrupted transaction on the next open) and the staged
 * rows vanish with their temporary file.
 *
 * The database is in WAL mode: readers (plots, comparisons) never wait for
 * a writer nor block one, and a commit writes only the new pages, once, to
 * the log. synchronous = NORMAL: a commit is durable at the next
 * checkpoint, and the file is never corrupted by a crash. Waiting for
 * another writer's lock is done by rec_busy: it backs off up to 100 ms at
 * a time for at most REC_BUSY_MS, and gives up at once when the stop flag
 * (rec_set_stop) is set, so a signal is not ignored for minutes.
 *
 * Staged dispatch rows are batched: the staging insert takes REC_BATCH
 * rows, INSERT INTO temp.stage_dispatches SELECT * FROM (VALUES (...),
 * ...) WHERE column1 IS NOT NULL; rec_row binds a row into the next free
 * tuple and runs the statement when all are bound; rec_commit runs it once
 * more for the rest. Tuples left unbound are NULL (sqlite3_clear_bindings
 * after every run of it) and the WHERE drops them, since a real row's
 * req_id is never NULL. Per-statement overhead otherwise costs more than
 * the insert itself. The staging tables have no keys or checks: the
 * database's own (the primary key, the outcome CHECK) judge the rows once,
 * at the copy, which is why a bad row is reported by rec_commit.
 *
 * Invariants: r->in_run is 1 exactly while a run is staged and neither
 * committed nor rolled back; r->pending tuples of the staging insert are
 * bound, the others are NULL; outside a run the staging tables are empty.
 *
 * Versions: the file's user_version holds REC_SCHEMA_VERSION, stamped at
 * open on a file that has none (0: new, or older than the stamp), so that
 * `merge` can refuse a database whose tables mean something else.
 *
 * Errors are returned as 3 with "path: reason" in the caller's buffer, the
 * reason being SQLite's message. Nothing here prints or exits.
 */
#include "sim/io/recorder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#define REC_EIO 3
/* How long rec_commit waits for other writers, in all. */
#define REC_BUSY_MS (10 * 60 * 1000)
/* Rows per run of the staging insert; 11 * 64 parameters stays under
 * SQLite's oldest default limit of 999. */
#define REC_BATCH 64
#define REC_ROW_PARAMS 11

struct rec {
    sqlite3 *db;
    sqlite3_stmt *ins_run, *ins_provider, *ins_rows;
    sqlite3_stmt *copy_run, *copy_providers, *copy_rows;
    sqlite3_stmt *ins_pstats, *copy_pstats;
    const volatile sig_atomic_t *stop;
    struct timespec busy_since;     /* when the current wait began */
    int stopped;                    /* rec_busy gave up on the flag */
    int in_run;
    int pending;        /* rows bound into ins_rows, not yet inserted */
    char path[];        /* for messages */
};

/* The schema of SPEC §7, column for column. */
static const char rec_schema[] =
    "CREATE TABLE IF NOT EXISTS runs("
    " run_id INTEGER PRIMARY KEY, label TEXT, algo TEXT, seed INTEGER,"
    " workload TEXT, workload_sha256 TEXT, scenario TEXT, scenario_sha256 TEXT,"
    " version TEXT, created TEXT, requests INTEGER, events INTEGER,"
    " digest TEXT, wall_ms REAL);"
    "CREATE TABLE IF NOT EXISTS providers("
    " run_id INTEGER, provider_id INTEGER, name TEXT, ord INTEGER,"
    " algo TEXT, params TEXT, PRIMARY KEY(run_id, provider_id));"
    "CREATE TABLE IF NOT EXISTS dispatches("
    " run_id INTEGER, req_id INTEGER, attempt INTEGER, client TEXT,"
    " priority INTEGER, cost INTEGER, t_arrive INTEGER, t_ready INTEGER,"
    " t_dispatch INTEGER, t_done INTEGER, provider_id INTEGER,"
    " outcome TEXT CHECK(outcome IN"
    " ('ok','failed','rejected','expired','dropped')),"
    " PRIMARY KEY(run_id, req_id, attempt));"
    /* Beyond SPEC §7: each provider's figures at the end of the run (over-
     * admission and the store's refusals and round trips matter for
     * distributed limiters). */
    "CREATE TABLE IF NOT EXISTS provider_stats("
    " run_id INTEGER, provider_id INTEGER, dispatched INTEGER,"
    " rejected INTEGER, worst_window INTEGER, window_limit INTEGER,"
    " window_ns INTEGER, over_admitted INTEGER, denials INTEGER,"
    " decisions INTEGER, decision_ns_sum INTEGER, decision_ns_max INTEGER,"
    " PRIMARY KEY(run_id, provider_id));";

/* The staging tables: the same columns without run_id (and, for the run,
 * without the totals, which rec_commit binds into the copy). */
static const char rec_stage_schema[] =
    "CREATE TEMP TABLE stage_run("
    " label, algo, seed, workload, workload_sha256, scenario,"
    " scenario_sha256, version, created);"
    "CREATE TEMP TABLE stage_providers("
    " provider_id, name, ord, algo, params);"
    "CREATE TEMP TABLE stage_provider_stats("
    " provider_id, dispatched, rejected, worst_window, window_limit,"
    " window_ns, over_admitted, denials, decisions, decision_ns_sum,"
    " decision_ns_max);"
    "CREATE TEMP TABLE stage_dispatches("
    " req_id, attempt, client, priority, cost, t_arrive, t_ready,"
    " t_dispatch, t_done, provider_id, outcome);";

static const char rec_stage_clear[] =
    "DELETE FROM temp.stage_run; DELETE FROM temp.stage_providers;"
    " DELETE FROM temp.stage_provider_stats;"
    " DELETE FROM temp.stage_dispatches";

static const char rec_sql_run[] =
    "INSERT INTO temp.stage_run VALUES(?,?,?,?,?,?,?,?,?)";
static const char rec_sql_provider[] =
    "INSERT INTO temp.stage_providers VALUES(?,?,?,?,?)";
static const char rec_sql_pstats[] =
    "INSERT INTO temp.stage_provider_stats VALUES(?,?,?,?,?,?,?,?,?,?,?)";
/* The staging insert is this, REC_BATCH tuples of REC_ROW_PARAMS '?', and
 * the tail: tuple k's j-th value is ?(1 + 11k + j). */
static const char rec_sql_rows_head[] =
    "INSERT INTO temp.stage_dispatches SELECT * FROM (VALUES";
static const char rec_sql_rows_tail[] = ") WHERE column1 IS NOT NULL";

/* The copy into the database: ?1..?4 the totals, ?5 the workload's hash
 * when it is known only now; then ?1 the new run's id. */
static const char rec_sql_copy_run[] =
    "INSERT INTO main.runs(label, algo, seed, workload, workload_sha256,"
    " scenario, scenario_sha256, version, created, requests, events, digest,"
    " wall_ms) SELECT label, algo, seed, workload,"
    " coalesce(?5, workload_sha256), scenario, scenario_sha256, version,"
    " created, ?1, ?2, ?3, ?4 FROM temp.stage_run";
static const char rec_sql_copy_providers[] =
    "INSERT INTO main.providers(run_id, provider_id, name, ord, algo, params)"
    " SELECT ?1, * FROM temp.stage_providers";
static const char rec_sql_copy_pstats[] =
    "INSERT INTO main.provider_stats SELECT ?1, * FROM "
    "temp.stage_provider_stats";
static const char rec_sql_copy_rows[] =
    "INSERT INTO main.dispatches(run_id, req_id, attempt, client, priority,"
    " cost, t_arrive, t_ready, t_dispatch, t_done, provider_id, outcome)"
    " SELECT ?1, * FROM temp.stage_dispatches";

/* ================================================================ errors */

/* Writes "path: reason" and returns 3. */
static int
rec_fail_msg(const char *path, char *err, size_t errlen, const char *reason)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s: %s", path, reason);
    return REC_EIO;
}

/* Fails with SQLite's message (or, when the stop flag ended a wait, says
 * so and returns SIM_EINTR), first rolling back the run in progress (the
 * message is taken before the rollback can replace it). */
static int
rec_fail(rec *r, char *err, size_t errlen)
{
    int rc = REC_EIO;

    if (r->stopped) {
        rec_fail_msg(r->path, err, errlen,
                     "interrupted while waiting for the database");
        rc = SIM_EINTR;
    } else {
        rec_fail_msg(r->path, err, errlen, sqlite3_errmsg(r->db));
    }
    rec_rollback(r);
    return rc;
}

/* ================================================================ waiting */

static int64_t
rec_ms_since(const struct timespec *t0)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)(t.tv_sec - t0->tv_sec) * 1000 +
           (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* SQLite's busy handler: called with n = 0, 1, ... while another
 * connection holds the lock we need. Returns 1 to try again (after a
 * sleep of 1, 2, 4 ... up to 100 ms), 0 to give up. */
static int
rec_busy(void *ctx, int n)
{
    rec *r = ctx;
    int ms = n < 7 ? 1 << n : 100;
    struct timespec d = {0, (long)ms * 1000000L};

    if (n == 0)
        clock_gettime(CLOCK_MONOTONIC, &r->busy_since);
    if (r->stop != NULL && *r->stop) {
        r->stopped = 1;
        return 0;
    }
    if (rec_ms_since(&r->busy_since) >= REC_BUSY_MS)
        return 0;
    nanosleep(&d, NULL);
    return 1;
}

void
rec_set_stop(rec *r, const volatile sig_atomic_t *flag)
{
    r->stop = flag;
}

/* ================================================================ statements */

/* Binds text, or NULL for a NULL pointer. Callers step and clear the
 * statement before their strings can go away, so SQLite need not copy. */
static int
rec_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* Binds a time, or NULL for SIM_NONE. */
static int
rec_bind_time(sqlite3_stmt *st, int i, sim_time t)
{
    if (t == SIM_NONE)
        return sqlite3_bind_null(st, i);
    return sqlite3_bind_int64(st, i, t);
}

/* Runs a prepared statement that returns no rows, then resets it and drops
 * its bindings. Returns an SQLite result code. */
static int
rec_step(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Prepares the batched staging insert. */
static int
rec_prepare_rows(rec *r)
{
    static const char tuple[] = "(?,?,?,?,?,?,?,?,?,?,?)";
    char sql[sizeof rec_sql_rows_head + REC_BATCH * sizeof tuple
             + sizeof rec_sql_rows_tail];
    size_t n = 0;
    memcpy(sql, rec_sql_rows_head, sizeof rec_sql_rows_head - 1);
    n += sizeof rec_sql_rows_head - 1;
    for (int k = 0; k < REC_BATCH; k++) {
        if (k > 0)
            sql[n++] = ',';
        memcpy(sql + n, tuple, sizeof tuple - 1);
        n += sizeof tuple - 1;
    }
    memcpy(sql + n, rec_sql_rows_tail, sizeof rec_sql_rows_tail);
    return sqlite3_prepare_v2(r->db, sql, -1, &r->ins_rows, NULL);
}

/* Stages the rows bound so far (none is fine). Returns an SQLite code. */
static int
rec_flush(rec *r)
{
    if (r->pending == 0)
        return SQLITE_OK;
    r->pending = 0;
    return rec_step(r->ins_rows);
}

/* ================================================================ open */

/* The statements, once the tables they name exist. */
static int
rec_prepare(rec *r)
{
    int rc = sqlite3_prepare_v2(r->db, rec_sql_run, -1, &r->ins_run, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(r->db, rec_sql_provider, -1,
                                &r->ins_provider, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(r->db, rec_sql_copy_run, -1, &r->copy_run,
                                NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(r->db, rec_sql_copy_providers, -1,
                                &r->copy_providers, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(r->db, rec_sql_copy_rows, -1, &r->copy_rows,
                                NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(r->db, rec_sql_pstats, -1, &r->ins_pstats,
                                NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(r->db, rec_sql_copy_pstats, -1,
                                &r->copy_pstats, NULL);
    if (rc == SQLITE_OK)
        rc = rec_prepare_rows(r);
    return rc;
}

/* Stamps a database without a schema version (new, or written before
 * versions were stamped: the same tables) with REC_SCHEMA_VERSION. */
static int
rec_stamp(rec *r)
{
    sqlite3_stmt *st;
    char sql[64];
    int v = -1, rc;

    rc = sqlite3_prepare_v2(r->db, "PRAGMA user_version", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (v != 0)
        return SQLITE_OK;
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", REC_SCHEMA_VERSION);
    return sqlite3_exec(r->db, sql, NULL, NULL, NULL);
}

/* Settings, schema and statements of a freshly opened connection. */
static int
rec_setup(rec *r)
{
    int rc = sqlite3_extended_result_codes(r->db, 1);
    if (rc == SQLITE_OK)
        rc = sqlite3_busy_handler(r->db, rec_busy, r);
    /* The schema is the first thing that reads the file, so an unopenable
     * path or a file that is not a database fails here, at open. */
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(r->db, rec_schema, NULL, NULL, NULL);
    /* SQLite quietly opens a file it may not write read-only; say so now
     * rather than at the first run. */
    if (rc == SQLITE_OK && sqlite3_db_readonly(r->db, "main") == 1)
        rc = SQLITE_READONLY;
    if (rc == SQLITE_OK)
        rc = rec_stamp(r);
    /* WAL is a property of the file: set once, it stays. (A file in use by
     * an older rollback-journal reader stays as it is; that works too.) */
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(r->db, "PRAGMA journal_mode = WAL", NULL, NULL,
                          NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(r->db, "PRAGMA synchronous = NORMAL", NULL, NULL,
                          NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(r->db, rec_stage_schema, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = rec_prepare(r);
    return rc;
}

int
rec_open(rec **out, const char *path, char *err, size_t errlen)
{
    *out = NULL;
    size_t len = strlen(path);
    rec *r = calloc(1, sizeof *r + len + 1);
    if (r == NULL)
        return rec_fail_msg(path, err, errlen, "out of memory");
    memcpy(r->path, path, len + 1);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path, &r->db, flags, NULL);
    if (rc == SQLITE_OK)
        rc = rec_setup(r);
    if (rc != SQLITE_OK)
        goto fail;
    *out = r;
    return 0;
fail:
    /* sqlite3_open_v2 leaves no handle when it runs out of memory; a
     * read-only file is our finding, not SQLite's last error. */
    rec_fail_msg(path, err, errlen,
                 r->db && rc != SQLITE_READONLY ? sqlite3_errmsg(r->db)
                                                : sqlite3_errstr(rc));
    rec_close(r);
    return REC_EIO;
}

void
rec_close(rec *r)
{
    if (r == NULL)
        return;
    rec_rollback(r);
    sqlite3_finalize(r->ins_run);
    sqlite3_finalize(r->ins_provider);
    sqlite3_finalize(r->ins_rows);
    sqlite3_finalize(r->copy_run);
    sqlite3_finalize(r->copy_providers);
    sqlite3_finalize(r->copy_rows);
    sqlite3_finalize(r->ins_pstats);
    sqlite3_finalize(r->copy_pstats);
    sqlite3_close(r->db);
    free(r);
}

/* ================================================================ runs */

/* The current wall-clock time as UTC ISO 8601, e.g. 2026-11-23T15:04:05Z;
 * an empty string when the clock cannot be read. */
static void
rec_now_utc(char out[32])
{
    struct tm tm;
    time_t now = time(NULL);
    out[0] = '\0';
    if (now == (time_t)-1 || gmtime_r(&now, &tm) == NULL)
        return;
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Stages the runs row of a new run. */
static int
rec_stage_run(rec *r, const rec_run *run)
{
    sqlite3_stmt *st = r->ins_run;
    char created[32];

    rec_now_utc(created);
    rec_bind_text(st, 1, run->label);
    rec_bind_text(st, 2, run->algo);
    sqlite3_bind_int64(st, 3, run->seed);
    rec_bind_text(st, 4, run->workload);
    rec_bind_text(st, 5, run->workload_sha256);
    rec_bind_text(st, 6, run->scenario);
    rec_bind_text(st, 7, run->scenario_sha256);
    rec_bind_text(st, 8, run->version);
    rec_bind_text(st, 9, created[0] ? created : NULL);
    return rec_step(st);
}

int
rec_begin(rec *r, const rec_run *run, char *err, size_t errlen)
{
    if (r->in_run)
        return rec_fail_msg(r->path, err, errlen, "a run is already open");
    r->stopped = 0;
    /* Touches only the temp schema: no lock on the database is taken. */
    if (sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return rec_fail_msg(r->path, err, errlen, sqlite3_errmsg(r->db));
    r->in_run = 1;
    if (rec_stage_run(r, run) != SQLITE_OK)
        return rec_fail(r, err, errlen);
    return 0;
}

int
rec_provider(rec *r, int provider_id, const char *name, int ord,
             const char *algo, const char *params, char *err, size_t errlen)
{
    if (!r->in_run)
        return rec_fail_msg(r->path, err, errlen, "no run in progress");
    sqlite3_stmt *st = r->ins_provider;
    sqlite3_bind_int(st, 1, provider_id);
    rec_bind_text(st, 2, name);
    sqlite3_bind_int(st, 3, ord);
    rec_bind_text(st, 4, algo);
    rec_bind_text(st, 5, params);
    if (rec_step(st) != SQLITE_OK)
        return rec_fail(r, err, errlen);
    return 0;
}

int
rec_provider_stats(rec *r, int provider_id, const sim_provider_stats *p,
                   char *err, size_t errlen)
{
    sqlite3_stmt *st = r->ins_pstats;
    const int64_t v[] = {
        provider_id, (int64_t)p->dispatched, (int64_t)p->rejected,
        p->worst_window, p->window_limit, p->window, p->over_admitted,
        (int64_t)p->denials, (int64_t)p->decisions, p->decision_sum,
        p->decision_max,
    };

    if (!r->in_run)
        return rec_fail_msg(r->path, err, errlen, "no run in progress");
    for (int i = 0; i < (int)(sizeof v / sizeof v[0]); i++)
        sqlite3_bind_int64(st, i + 1, v[i]);
    if (rec_step(st) != SQLITE_OK)
        return rec_fail(r, err, errlen);
    return 0;
}

/* Binds row into tuple k of the staging insert. The client is copied: the
 * row is inserted after the caller's string may be gone. Returns an SQLite
 * code (only that copy can fail). */
static int
rec_bind_row(sqlite3_stmt *st, int k, const sim_row *row, const char *client,
             const char *outcome)
{
    int i = 1 + k * REC_ROW_PARAMS;
    sqlite3_bind_int64(st, i, row->req_id);
    sqlite3_bind_int(st, i + 1, row->attempt);
    int rc = sqlite3_bind_text(st, i + 2, client, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, i + 3, row->priority);
    sqlite3_bind_int64(st, i + 4, row->cost);
    rec_bind_time(st, i + 5, row->t_arrive);
    rec_bind_time(st, i + 6, row->t_ready);
    rec_bind_time(st, i + 7, row->t_dispatch);
    rec_bind_time(st, i + 8, row->t_done);
    if (row->provider < 0)
        sqlite3_bind_null(st, i + 9);
    else
        sqlite3_bind_int(st, i + 9, row->provider);
    rec_bind_text(st, i + 10, outcome); /* a static string */
    return rc;
}

int
rec_row(rec *r, const sim_row *row, const char *client, char *err,
        size_t errlen)
{
    if (!r->in_run)
        return rec_fail_msg(r->path, err, errlen, "no run in progress");
    const char *outcome = sim_outcome_name(row->outcome);
    if (outcome == NULL) {
        rec_fail_msg(r->path, err, errlen, "row with an unknown outcome");
        rec_rollback(r);
        return REC_EIO;
    }
    if (rec_bind_row(r->ins_rows, r->pending++, row, client, outcome)
        != SQLITE_OK)
        return rec_fail(r, err, errlen);
    if (r->pending == REC_BATCH && rec_flush(r) != SQLITE_OK)
        return rec_fail(r, err, errlen);
    return 0;
}

/* Copies the staged run into the database (inside its transaction) and
 * gives it its id. Returns an SQLite code. */
static int
rec_copy(rec *r, int64_t requests, int64_t events, const char *digest,
         const char *workload_sha256, double wall_ms, int64_t *run_id)
{
    sqlite3_stmt *st = r->copy_run;
    int64_t id;
    int rc;

    sqlite3_bind_int64(st, 1, requests);
    sqlite3_bind_int64(st, 2, events);
    rec_bind_text(st, 3, digest);
    sqlite3_bind_double(st, 4, wall_ms);
    rec_bind_text(st, 5, workload_sha256);
    if ((rc = rec_step(st)) != SQLITE_OK)
        return rc;
    id = sqlite3_last_insert_rowid(r->db);
    sqlite3_bind_int64(r->copy_providers, 1, id);
    if ((rc = rec_step(r->copy_providers)) != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(r->copy_pstats, 1, id);
    if ((rc = rec_step(r->copy_pstats)) != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(r->copy_rows, 1, id);
    if ((rc = rec_step(r->copy_rows)) != SQLITE_OK)
        return rc;
    *run_id = id;
    return SQLITE_OK;
}

int
rec_commit(rec *r, int64_t requests, int64_t events, const char *digest,
           const char *workload_sha256, double wall_ms, int64_t *run_id,
           char *err, size_t errlen)
{
    int64_t id = 0;

    if (!r->in_run)
        return rec_fail_msg(r->path, err, errlen, "no run in progress");
    /* End the staging transaction, then wait for the write lock. */
    if (rec_flush(r) != SQLITE_OK ||
        sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(r->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
        rec_copy(r, requests, events, digest, workload_sha256, wall_ms, &id)
            != SQLITE_OK ||
        sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return rec_fail(r, err, errlen);
    r->in_run = 0;
    sqlite3_exec(r->db, rec_stage_clear, NULL, NULL, NULL);
    if (run_id != NULL)
        *run_id = id;
    return 0;
}

void
rec_rollback(rec *r)
{
    if (r == NULL || !r->in_run)
        return;
    r->in_run = 0;
    /* Rows bound but not inserted must not leak into the next run. */
    r->pending = 0;
    sqlite3_clear_bindings(r->ins_rows);
    /* Some errors (a full disk, out of memory) have already rolled the
     * transaction back; a second ROLLBACK would only fail. */
    if (!sqlite3_get_autocommit(r->db))
        sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
    /* The staging transaction may have been committed already (a failure
     * during the copy): empty the tables for the next run. */
    sqlite3_exec(r->db, rec_stage_clear, NULL, NULL, NULL);
}
