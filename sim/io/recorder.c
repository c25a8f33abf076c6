/* SPDX-License-Identifier: MIT
 *
 * The SQLite recorder (SPEC §7). A rec is one connection to one database
 * file, the path (for messages) and three statements prepared once at open
 * and reused for every run: the provider insert, the dispatch insert and the
 * totals update. Each run is one transaction: rec_begin opens it (BEGIN
 * IMMEDIATE, so a second process waits for the write lock here rather than
 * failing half-way) and inserts the runs row; rec_commit fills in the totals
 * and commits. Any failure, rec_rollback and rec_close during a run roll the
 * whole run back, so a database never holds part of a run.
 *
 * Dispatch rows are batched: the one dispatch insert takes REC_BATCH rows,
 *
 *   INSERT INTO dispatches(...) SELECT ?1, * FROM (VALUES (...), ...)
 *   WHERE column1 IS NOT NULL
 *
 * rec_row binds a row into the next free tuple and runs the statement when
 * all are bound; rec_commit runs it once more for the rest. Tuples left
 * unbound are NULL (sqlite3_clear_bindings after every run of it) and the
 * WHERE drops them, since a real row's req_id is never NULL. Why: SQLite
 * rebuilds the CHECK's IN list as a temporary index on every execution of
 * a statement, and that and the per-execution overhead cost more than the
 * insert itself; batching makes inserts two to three times faster than
 * one row per statement. The price is that a bad row (a duplicate key) is
 * reported by the rec_row call that fills its batch, or by rec_commit.
 *
 * Invariants: r->in_run is 1 exactly while a transaction of ours is open;
 * r->pending tuples of the dispatch insert are bound, the others are NULL.
 *
 * Speed otherwise: synchronous = NORMAL (a commit is not fsynced twice) and
 * no connection mutex (a rec belongs to one thread). The journal stays the
 * default rollback journal: an appended run's new pages go to the database
 * once, where a WAL would write them twice (the WAL, then the checkpoint),
 * and measured no faster. A busy timeout lets two processes appending to one
 * file take turns instead of failing at once.
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
#define REC_BUSY_MS 5000
/* Rows per run of the dispatch insert; 1 + 11 * 64 parameters stays under
 * SQLite's oldest default limit of 999. */
#define REC_BATCH 64
#define REC_ROW_PARAMS 11

struct rec {
    sqlite3 *db;
    sqlite3_stmt *ins_provider, *ins_rows, *upd_run;
    int64_t run_id;
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
    " PRIMARY KEY(run_id, req_id, attempt));";

static const char rec_sql_provider[] =
    "INSERT INTO providers(run_id, provider_id, name, ord, algo, params)"
    " VALUES(?,?,?,?,?,?)";
/* The dispatch insert is this, REC_BATCH tuples of REC_ROW_PARAMS '?', and
 * the tail: ?1 is the run id, tuple k's j-th value is ?(2 + 11k + j). */
static const char rec_sql_rows_head[] =
    "INSERT INTO dispatches(run_id, req_id, attempt, client, priority, cost,"
    " t_arrive, t_ready, t_dispatch, t_done, provider_id, outcome)"
    " SELECT ?1, * FROM (VALUES";
static const char rec_sql_rows_tail[] = ") WHERE column1 IS NOT NULL";
static const char rec_sql_update[] =
    "UPDATE runs SET requests = ?, events = ?, digest = ?, wall_ms = ?, "
    "workload_sha256 = coalesce(?, workload_sha256)"
    " WHERE run_id = ?";
static const char rec_sql_run[] =
    "INSERT INTO runs(label, algo, seed, workload, workload_sha256, scenario,"
    " scenario_sha256, version, created) VALUES(?,?,?,?,?,?,?,?,?)";

/* ================================================================ errors */

/* Writes "path: reason" and returns 3. */
static int
rec_fail_msg(const char *path, char *err, size_t errlen, const char *reason)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s: %s", path, reason);
    return REC_EIO;
}

/* Fails with SQLite's message, first rolling back the run in progress (the
 * message is taken before the rollback can replace it). */
static int
rec_fail(rec *r, char *err, size_t errlen)
{
    rec_fail_msg(r->path, err, errlen, sqlite3_errmsg(r->db));
    rec_rollback(r);
    return REC_EIO;
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

/* Prepares the batched dispatch insert. */
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

/* Inserts the rows bound so far (none is fine). Returns an SQLite code. */
static int
rec_flush(rec *r)
{
    if (r->pending == 0)
        return SQLITE_OK;
    sqlite3_bind_int64(r->ins_rows, 1, r->run_id);
    r->pending = 0;
    return rec_step(r->ins_rows);
}

/* ================================================================ open */

/* Settings, schema and statements of a freshly opened connection. */
static int
rec_setup(rec *r)
{
    int rc = sqlite3_extended_result_codes(r->db, 1);
    if (rc == SQLITE_OK)
        rc = sqlite3_busy_timeout(r->db, REC_BUSY_MS);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(r->db, "PRAGMA synchronous = NORMAL", NULL, NULL,
                          NULL);
    /* The schema is the first thing that reads the file, so an unopenable
     * path or a file that is not a database fails here, at open. */
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(r->db, rec_schema, NULL, NULL, NULL);
    /* SQLite quietly opens a file it may not write read-only; say so now
     * rather than at the first run. */
    if (rc == SQLITE_OK && sqlite3_db_readonly(r->db, "main") == 1)
        rc = SQLITE_READONLY;
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(r->db, rec_sql_provider, -1,
                                &r->ins_provider, NULL);
    if (rc == SQLITE_OK)
        rc = rec_prepare_rows(r);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(r->db, rec_sql_update, -1, &r->upd_run, NULL);
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
    sqlite3_finalize(r->ins_provider);
    sqlite3_finalize(r->ins_rows);
    sqlite3_finalize(r->upd_run);
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

/* Inserts the runs row of a new run (inside its transaction). */
static int
rec_insert_run(rec *r, const rec_run *run)
{
    char created[32];
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(r->db, rec_sql_run, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
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
    rc = rec_step(st);
    sqlite3_finalize(st);
    return rc;
}

int
rec_begin(rec *r, const rec_run *run, int64_t *run_id, char *err,
          size_t errlen)
{
    if (r->in_run)
        return rec_fail_msg(r->path, err, errlen, "a run is already open");
    if (sqlite3_exec(r->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return rec_fail_msg(r->path, err, errlen, sqlite3_errmsg(r->db));
    r->in_run = 1;
    if (rec_insert_run(r, run) != SQLITE_OK)
        return rec_fail(r, err, errlen);
    r->run_id = sqlite3_last_insert_rowid(r->db);
    if (run_id != NULL)
        *run_id = r->run_id;
    return 0;
}

int
rec_provider(rec *r, int provider_id, const char *name, int ord,
             const char *algo, const char *params, char *err, size_t errlen)
{
    if (!r->in_run)
        return rec_fail_msg(r->path, err, errlen, "no run in progress");
    sqlite3_stmt *st = r->ins_provider;
    sqlite3_bind_int64(st, 1, r->run_id);
    sqlite3_bind_int(st, 2, provider_id);
    rec_bind_text(st, 3, name);
    sqlite3_bind_int(st, 4, ord);
    rec_bind_text(st, 5, algo);
    rec_bind_text(st, 6, params);
    if (rec_step(st) != SQLITE_OK)
        return rec_fail(r, err, errlen);
    return 0;
}

/* Binds row into tuple k of the dispatch insert. The client is copied: the
 * row is inserted after the caller's string may be gone. Returns an SQLite
 * code (only that copy can fail). */
static int
rec_bind_row(sqlite3_stmt *st, int k, const sim_row *row, const char *client,
             const char *outcome)
{
    int i = 2 + k * REC_ROW_PARAMS;
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

int
rec_commit(rec *r, int64_t requests, int64_t events, const char *digest,
           const char *workload_sha256, double wall_ms, char *err,
           size_t errlen)
{
    if (!r->in_run)
        return rec_fail_msg(r->path, err, errlen, "no run in progress");
    if (rec_flush(r) != SQLITE_OK)
        return rec_fail(r, err, errlen);
    sqlite3_stmt *st = r->upd_run;
    sqlite3_bind_int64(st, 1, requests);
    sqlite3_bind_int64(st, 2, events);
    rec_bind_text(st, 3, digest);
    sqlite3_bind_double(st, 4, wall_ms);
    rec_bind_text(st, 5, workload_sha256);
    sqlite3_bind_int64(st, 6, r->run_id);
    if (rec_step(st) != SQLITE_OK)
        return rec_fail(r, err, errlen);
    if (sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return rec_fail(r, err, errlen);
    r->in_run = 0;
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
}
