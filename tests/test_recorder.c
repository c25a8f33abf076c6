/* SPDX-License-Identifier: MIT
 *
 * Tests of the SQLite recorder (sim/io/recorder.c), each on a database in a
 * fresh temporary directory, read back through the sqlite3 API: the rows
 * and their NULLs, the run's totals and description, run ids of appended
 * runs, more rows than one insert batch, rollback (explicit, by a failing
 * row and by closing mid-run) leaving nothing of the run, paths that
 * cannot be a database failing at open with 3 and "path: reason"; and
 * writers side by side: a staged run holds no lock, a commit waits for
 * another process's lock, and the stop flag ends that wait.
 *
 * The two paths (recorder.c): a run that finds the write lock free is
 * direct (it holds the lock until it ends: another connection's
 * BEGIN IMMEDIATE is refused meanwhile), one that finds it taken stages.
 * Both commit whole runs, roll back to nothing, and report a repeated
 * (req_id, attempt) as 3; a direct run may report it from rec_row, once
 * the writer thread has met it. Runs of 10^5 rows and more go round the
 * writer's ring many times on either path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "sim/io/recorder.h"

typedef struct fixture {
    char dir[64];
    char path[96];
} fixture;

static int
setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    const char *tmp = getenv("TMPDIR");
    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof f->dir, "%s/rs-rec-XXXXXX",
             tmp != NULL && strlen(tmp) < 32 ? tmp : "/tmp");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture *f = *state;
    static const char *const suffix[] = {"", "-journal", "-wal", "-shm"};
    char p[128];
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        snprintf(p, sizeof p, "%s%s", f->path, suffix[i]);
        unlink(p);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

/* ---------------------------------------------------------------- helpers */

/* The one integer an SQL query returns (-1 for NULL). */
static int64_t
query_int(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    int64_t v = -2;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_type(st, 0) == SQLITE_NULL
                ? -1 : sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* The one text an SQL query returns, into out ("(null)" for NULL). */
static void
query_text(const char *path, const char *sql, char *out, size_t len)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    const unsigned char *t = sqlite3_column_text(st, 0);
    snprintf(out, len, "%s", t != NULL ? (const char *)t : "(null)");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static sim_row
ok_row(int64_t id, int32_t attempt)
{
    sim_row r = {.req_id = id, .attempt = attempt, .priority = 1,
                 .provider = 0, .cost = 1, .t_arrive = id * 1000,
                 .t_ready = id * 1000, .t_dispatch = id * 1000 + 5,
                 .t_done = id * 1000 + 20, .outcome = SIM_OK};
    return r;
}

static rec *
open_ok(const char *path)
{
    rec *r = NULL;
    char err[256] = "";
    int rc = rec_open(&r, path, err, sizeof err);
    if (rc != 0)
        fail_msg("rec_open: %s", err);
    return r;
}

/* Begins a run with one provider. */
static void
begin_ok(rec *r, const char *label)
{
    rec_run run = {.label = label, .algo = "token_bucket", .seed = 42,
                   .workload = "w.csv", .version = "0.1"};
    char err[256] = "";
    assert_int_equal(rec_begin(r, &run, err, sizeof err), 0);
    assert_int_equal(rec_provider(r, 0, "P1", 1, "token_bucket",
                                  "rate=5/s burst=10", err, sizeof err), 0);
}

static void
rows_ok(rec *r, int64_t first, int64_t n)
{
    char err[256] = "";
    for (int64_t i = first; i < first + n; i++) {
        sim_row row = ok_row(i, 1);
        assert_int_equal(rec_row(r, &row, "alice", err, sizeof err), 0);
    }
}

/* Commits the run; returns its id. */
static int64_t
commit_ok(rec *r, int64_t requests)
{
    char err[256] = "";
    int64_t id = -1;
    int rc = rec_commit(r, requests, 3 * requests,
                        "0123456789abcdef0123456789abcdef",
                        "ab" "cdef0123456789abcdef0123456789abcdef0123456789"
                        "abcdef0123456789", 1.5, &id, err,
                        sizeof err);
    if (rc != 0)
        fail_msg("rec_commit: %s", err);
    return id;
}

/* A connection of this process holding the write lock (BEGIN IMMEDIATE). */
static sqlite3 *
lock_hold(const char *path)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
                     SQLITE_OK);
    return db;
}

static void
lock_release(sqlite3 *db)
{
    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
}

/* Whether some connection holds the write lock: another one's
 * BEGIN IMMEDIATE (not waiting) is refused. */
static int
lock_taken(const char *path)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(db);
    assert_true(rc == SQLITE_OK || rc == SQLITE_BUSY);
    return rc == SQLITE_BUSY;
}

/* Nothing of any run is in the file. */
static void
assert_empty(const char *path)
{
    assert_int_equal(query_int(path, "SELECT count(*) FROM runs"), 0);
    assert_int_equal(query_int(path, "SELECT count(*) FROM dispatches"), 0);
    assert_int_equal(query_int(path, "SELECT count(*) FROM providers"), 0);
    assert_int_equal(query_int(path, "SELECT count(*) FROM provider_stats"),
                     0);
}

/* ---------------------------------------------------------------- tests */

static void
test_rows_and_nulls(void **state)
{
    fixture *f = *state;
    char err[256] = "", text[128];
    rec *r = open_ok(f->path);
    begin_ok(r, "first");
    sim_row ok = ok_row(1, 1);
    sim_row expired = {.req_id = 2, .attempt = 1, .priority = -3,
                       .provider = -1, .cost = 2, .t_arrive = 7,
                       .t_ready = 9, .t_dispatch = SIM_NONE,
                       .t_done = SIM_NONE, .outcome = SIM_EXPIRED};
    assert_int_equal(rec_row(r, &ok, "alice", err, sizeof err), 0);
    assert_int_equal(rec_row(r, &expired, "bob", err, sizeof err), 0);
    int64_t id = commit_ok(r, 2);
    rec_close(r);

    assert_int_equal(id, 1);
    assert_int_equal(query_int(f->path, "SELECT count(*) FROM dispatches"), 2);
    assert_int_equal(query_int(f->path, "SELECT t_dispatch FROM dispatches"
                                        " WHERE req_id = 1"), 1005);
    assert_int_equal(query_int(f->path, "SELECT t_done FROM dispatches"
                                        " WHERE req_id = 1"), 1020);
    assert_int_equal(query_int(f->path, "SELECT provider_id FROM dispatches"
                                        " WHERE req_id = 1"), 0);
    assert_int_equal(query_int(f->path, "SELECT count(*) FROM dispatches"
                                        " WHERE req_id = 2 AND run_id = 1"
                                        " AND attempt = 1 AND priority = -3"
                                        " AND cost = 2 AND t_arrive = 7"
                                        " AND t_ready = 9 AND client = 'bob'"
                                        " AND t_dispatch IS NULL"
                                        " AND t_done IS NULL"
                                        " AND provider_id IS NULL"), 1);
    query_text(f->path, "SELECT group_concat(outcome, ',') FROM"
                        " (SELECT outcome FROM dispatches ORDER BY req_id)",
               text, sizeof text);
    assert_string_equal(text, "ok,expired");
    query_text(f->path, "SELECT name || '|' || ord || '|' || algo || '|' ||"
                        " params FROM providers WHERE run_id = 1",
               text, sizeof text);
    assert_string_equal(text, "P1|1|token_bucket|rate=5/s burst=10");
}

static void
test_run_totals(void **state)
{
    fixture *f = *state;
    char text[128];
    rec *r = open_ok(f->path);
    begin_ok(r, "totals");
    rows_ok(r, 1, 3);
    commit_ok(r, 3);
    rec_close(r);

    assert_int_equal(query_int(f->path, "SELECT requests FROM runs"), 3);
    assert_int_equal(query_int(f->path, "SELECT events FROM runs"), 9);
    assert_int_equal(query_int(f->path, "SELECT seed FROM runs"), 42);
    assert_int_equal(query_int(f->path, "SELECT wall_ms = 1.5 FROM runs"), 1);
    /* The workload's hash is only known at the end: rec_commit stores it. */
    assert_int_equal(query_int(f->path, "SELECT workload_sha256 = 'abcdef01"
                                        "23456789abcdef0123456789abcdef0123"
                                        "456789abcdef0123456789' FROM runs"),
                     1);
    query_text(f->path, "SELECT digest FROM runs", text, sizeof text);
    assert_string_equal(text, "0123456789abcdef0123456789abcdef");
    query_text(f->path, "SELECT label || ' ' || algo || ' ' || workload"
                        " || ' ' || version FROM runs", text, sizeof text);
    assert_string_equal(text, "totals token_bucket w.csv 0.1");
    query_text(f->path, "SELECT scenario FROM runs", text, sizeof text);
    assert_string_equal(text, "(null)");
    /* created: UTC ISO 8601, e.g. 2026-11-23T15:04:05Z */
    query_text(f->path, "SELECT created FROM runs", text, sizeof text);
    assert_int_equal(strlen(text), 20);
    assert_true(text[4] == '-' && text[10] == 'T' && text[19] == 'Z');
    assert_int_equal(query_int(f->path, "SELECT strftime('%Y-%m-%dT%H:%M:%SZ',"
                                        " created) = created FROM runs"), 1);
}

/* Two runs, the second through a new connection, get distinct ids and keep
 * their own rows; more rows than one insert batch all arrive. */
static void
test_runs_append(void **state)
{
    fixture *f = *state;
    rec *r = open_ok(f->path);
    begin_ok(r, "a");
    rows_ok(r, 1, 1000);
    int64_t a = commit_ok(r, 1000);
    rec_close(r);
    r = open_ok(f->path);
    begin_ok(r, "b");
    rows_ok(r, 1, 130);
    int64_t b = commit_ok(r, 130);
    rec_close(r);

    assert_true(a != b);
    assert_int_equal(query_int(f->path, "SELECT count(*) FROM runs"), 2);
    assert_int_equal(query_int(f->path, "SELECT count(*) FROM dispatches"
                                        " WHERE run_id = (SELECT run_id FROM"
                                        " runs WHERE label = 'a')"), 1000);
    assert_int_equal(query_int(f->path, "SELECT count(*) FROM dispatches"
                                        " WHERE run_id = (SELECT run_id FROM"
                                        " runs WHERE label = 'b')"), 130);
    assert_int_equal(query_int(f->path, "SELECT sum(req_id) FROM dispatches"
                                        " WHERE run_id = (SELECT run_id FROM"
                                        " runs WHERE label = 'b')"),
                     130 * 131 / 2);
    assert_int_equal(query_int(f->path, "SELECT count(*) FROM providers"), 2);
}

/* Two runs on one connection. */
static void
test_runs_same_connection(void **state)
{
    fixture *f = *state;
    rec *r = open_ok(f->path);
    begin_ok(r, "a");
    rows_ok(r, 1, 5);
    int64_t a = commit_ok(r, 5);
    begin_ok(r, "b");
    rows_ok(r, 1, 7);
    int64_t b = commit_ok(r, 7);
    rec_close(r);
    assert_true(a != b);
    assert_int_equal(query_int(f->path, "SELECT count(*) FROM dispatches"), 12);
}

static void
test_rollback(void **state)
{
    fixture *f = *state;
    rec *r = open_ok(f->path);
    begin_ok(r, "kept");
    rows_ok(r, 1, 3);
    commit_ok(r, 3);
    begin_ok(r, "dropped");
    rows_ok(r, 1, 200);
    rec_rollback(r);
    rec_rollback(r); /* a second one does nothing */
    /* The connection is still good, and nothing leaks into the next run. */
    begin_ok(r, "next");
    rows_ok(r, 1, 2);
    commit_ok(r, 2);
    rec_close(r);

    assert_int_equal(query_int(f->path, "SELECT count(*) FROM runs"
                                        " WHERE label = 'dropped'"), 0);
    assert_int_equal(query_int(f->path, "SELECT count(*) FROM runs"), 2);
    assert_int_equal(query_int(f->path, "SELECT count(*) FROM dispatches"), 5);
    assert_int_equal(query_int(f->path, "SELECT count(*) FROM providers"), 2);
}

/* A bad row (the same req_id and attempt twice) fails with 3 and rolls the
 * run back; further calls fail until the next rec_begin. */
static void
test_failure_rolls_back(void **state)
{
    fixture *f = *state;
    char err[256] = "";
    rec *r = open_ok(f->path);
    begin_ok(r, "bad");
    rows_ok(r, 1, 10);
    sim_row dup = ok_row(5, 1);
    int rc = rec_row(r, &dup, "alice", err, sizeof err);
    if (rc == 0) /* the database's key judges rows at the commit */
        rc = rec_commit(r, 11, 0, NULL, NULL, 0.0, NULL, err, sizeof err);
    assert_int_equal(rc, 3);
    assert_non_null(strstr(err, f->path));
    assert_non_null(strstr(err, "UNIQUE"));
    assert_null(strchr(err, '\n'));
    sim_row row = ok_row(50, 1);
    assert_int_equal(rec_row(r, &row, "alice", err, sizeof err), 3);
    assert_int_equal(rec_commit(r, 0, 0, NULL, NULL, 0.0, NULL, err,
                                sizeof err), 3);
    rec_rollback(r);
    rec_close(r);
    assert_int_equal(query_int(f->path, "SELECT count(*) FROM runs"), 0);
    assert_int_equal(query_int(f->path, "SELECT count(*) FROM dispatches"), 0);
    assert_int_equal(query_int(f->path, "SELECT count(*) FROM providers"), 0);
}

/* Closing in the middle of a run (an interrupted run) keeps nothing. */
static void
test_close_mid_run(void **state)
{
    fixture *f = *state;
    rec *r = open_ok(f->path);
    begin_ok(r, "interrupted");
    rows_ok(r, 1, 100);
    rec_close(r);
    assert_int_equal(query_int(f->path, "SELECT count(*) FROM runs"), 0);
    assert_int_equal(query_int(f->path, "SELECT count(*) FROM dispatches"), 0);
}

/* A run that finds the lock taken stages, and its staged run holds no lock
 * on the file: another connection commits a whole (direct) run meanwhile,
 * and readers see neither run until each commits. Ids follow the order of
 * the commits. */
static void
test_staged_run_holds_no_lock(void **state)
{
    fixture *f = *state;
    rec *slow = open_ok(f->path);
    rec *fast = open_ok(f->path);
    sqlite3 *holder = lock_hold(f->path);
    begin_ok(slow, "slow");
    lock_release(holder);
    rows_ok(slow, 1, 500);
    assert_false(lock_taken(f->path));
    assert_int_equal(query_int(f->path, "SELECT count(*) FROM runs"), 0);
    begin_ok(fast, "fast");
    rows_ok(fast, 1, 10);
    assert_true(lock_taken(f->path));
    int64_t a = commit_ok(fast, 10);
    assert_int_equal(query_int(f->path, "SELECT count(*) FROM dispatches"),
                     10);
    int64_t b = commit_ok(slow, 500);
    rec_close(fast);
    rec_close(slow);
    assert_int_equal(a, 1);
    assert_int_equal(b, 2);
    assert_int_equal(query_int(f->path, "SELECT count(*) FROM dispatches"
                                        " WHERE run_id = 2"), 500);
    assert_int_equal(query_int(f->path, "SELECT count(*) FROM providers"), 2);
}

/* The file is in WAL mode once the recorder has opened it. */
static void
test_wal_mode(void **state)
{
    fixture *f = *state;
    char mode[16];
    rec_close(open_ok(f->path));
    query_text(f->path, "PRAGMA journal_mode", mode, sizeof mode);
    assert_string_equal(mode, "wal");
}

/* Holds the write lock from another process for ms milliseconds; returns
 * once the lock is taken. */
static pid_t
hold_lock(const char *path, int ms)
{
    int fd[2];
    char c;
    assert_int_equal(pipe(fd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        sqlite3 *db;
        struct timespec d = {ms / 1000, (long)(ms % 1000) * 1000000L};
        if (sqlite3_open(path, &db) != SQLITE_OK ||
            sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            _exit(1);
        if (write(fd[1], "x", 1) != 1)
            _exit(1);
        nanosleep(&d, NULL);
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        sqlite3_close(db);
        _exit(0);
    }
    close(fd[1]);
    assert_int_equal(read(fd[0], &c, 1), 1);
    close(fd[0]);
    return pid;
}

static void
wait_ok(pid_t pid)
{
    int status = -1;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A staged run's commit waits for another writer's lock (far longer than
 * the old 5 s timeout would matter here: the point is that it waits, then
 * succeeds). The lock is taken before the run begins, so it stages. */
static void
test_commit_waits_for_lock(void **state)
{
    fixture *f = *state;
    struct timespec t0, t1;
    rec *r = open_ok(f->path);
    pid_t pid = hold_lock(f->path, 400);
    begin_ok(r, "waits");
    rows_ok(r, 1, 100);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(commit_ok(r, 100), 1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    wait_ok(pid);
    rec_close(r);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
                (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    assert_true(ms >= 200);
    assert_int_equal(query_int(f->path, "SELECT count(*) FROM dispatches"),
                     100);
}

/* The stop flag ends the wait: the run is rolled back with SIM_EINTR and
 * the connection records the next run. */
static void
test_stop_flag_ends_wait(void **state)
{
    fixture *f = *state;
    static volatile sig_atomic_t stop;
    char err[256] = "";
    rec *r = open_ok(f->path);
    rec_set_stop(r, &stop);
    pid_t pid = hold_lock(f->path, 300);
    begin_ok(r, "stopped");
    rows_ok(r, 1, 100);
    stop = 1;
    assert_int_equal(rec_commit(r, 100, 0, NULL, NULL, 0.0, NULL, err,
                                sizeof err), SIM_EINTR);
    assert_non_null(strstr(err, "interrupted"));
    wait_ok(pid);
    stop = 0;
    begin_ok(r, "next");
    rows_ok(r, 1, 3);
    commit_ok(r, 3);
    rec_close(r);
    assert_int_equal(query_int(f->path, "SELECT count(*) FROM runs"), 1);
    assert_int_equal(query_int(f->path, "SELECT count(*) FROM dispatches"),
                     3);
}

/* ---------------------------------------------------------------- paths */

static void
stats_ok(rec *r, int provider_id, uint64_t dispatched)
{
    char err[256] = "";
    sim_provider_stats st = {.dispatched = dispatched, .rejected = 2,
                             .worst_window = 7, .window_limit = 10,
                             .window = 1000000000};
    assert_int_equal(rec_provider_stats(r, provider_id, &st, err,
                                        sizeof err), 0);
}

/* A run that finds the lock free writes straight into the database,
 * holding the lock until its commit: rows (full batches, a partial one,
 * more rows after the provider figures), its id, its totals. */
static void
test_direct_commit(void **state)
{
    fixture *f = *state;
    char text[128];
    rec *r = open_ok(f->path);
    begin_ok(r, "direct");
    assert_true(lock_taken(f->path));
    rows_ok(r, 1, 1000);
    stats_ok(r, 0, 1000);
    rows_ok(r, 1001, 30);
    assert_int_equal(query_int(f->path, "SELECT count(*) FROM runs"), 0);
    assert_int_equal(commit_ok(r, 1030), 1);
    assert_false(lock_taken(f->path));
    begin_ok(r, "second");
    rows_ok(r, 1, 5);
    assert_int_equal(commit_ok(r, 5), 2);
    rec_close(r);

    assert_int_equal(query_int(f->path, "SELECT count(*) FROM dispatches"
                                        " WHERE run_id = 1"), 1030);
    assert_int_equal(query_int(f->path, "SELECT sum(req_id) FROM dispatches"
                                        " WHERE run_id = 1"), 1030 * 1031 / 2);
    assert_int_equal(query_int(f->path, "SELECT count(*) FROM dispatches"
                                        " WHERE run_id = 2"), 5);
    assert_int_equal(query_int(f->path, "SELECT requests FROM runs"
                                        " WHERE run_id = 1"), 1030);
    assert_int_equal(query_int(f->path, "SELECT events FROM runs"
                                        " WHERE run_id = 1"), 3090);
    assert_int_equal(query_int(f->path, "SELECT wall_ms = 1.5 AND seed = 42"
                                        " FROM runs WHERE run_id = 1"), 1);
    query_text(f->path, "SELECT label || ' ' || digest || ' ' ||"
                        " substr(workload_sha256, 1, 8) FROM runs"
                        " WHERE run_id = 1", text, sizeof text);
    assert_string_equal(text, "direct 0123456789abcdef0123456789abcdef"
                              " abcdef01");
    assert_int_equal(query_int(f->path, "SELECT dispatched FROM"
                                        " provider_stats WHERE run_id = 1"),
                     1000);
    assert_int_equal(query_int(f->path, "SELECT count(*) FROM providers"
                                        " WHERE run_id IN (1, 2)"), 2);
}

/* Another connection holds the write lock when the run begins: rec_begin
 * does not wait for it but stages, the staged run holds no lock once the
 * other lets go, and its commit lands it whole, after the other's row. */
static void
test_fallback_when_locked(void **state)
{
    fixture *f = *state;
    struct timespec t0, t1;
    rec *r = open_ok(f->path);
    sqlite3 *holder = lock_hold(f->path);
    assert_int_equal(sqlite3_exec(holder, "INSERT INTO runs(label)"
                                          " VALUES('holder')", NULL, NULL,
                                  NULL), SQLITE_OK);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    begin_ok(r, "staged");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(t1.tv_sec - t0.tv_sec < 2);
    rows_ok(r, 1, 700);
    lock_release(holder);
    assert_false(lock_taken(f->path));
    rows_ok(r, 701, 300);
    stats_ok(r, 0, 1000);
    assert_false(lock_taken(f->path));
    assert_int_equal(commit_ok(r, 1000), 2);
    rec_close(r);

    assert_int_equal(query_int(f->path, "SELECT count(*) FROM dispatches"
                                        " WHERE run_id = 2"), 1000);
    assert_int_equal(query_int(f->path, "SELECT sum(req_id) FROM dispatches"
                                        " WHERE run_id = 2"), 1000 * 1001 / 2);
    assert_int_equal(query_int(f->path, "SELECT requests FROM runs"
                                        " WHERE label = 'staged'"), 1000);
    assert_int_equal(query_int(f->path, "SELECT count(*) FROM providers"
                                        " WHERE run_id = 2"), 1);
    assert_int_equal(query_int(f->path, "SELECT dispatched FROM"
                                        " provider_stats WHERE run_id = 2"),
                     1000);
}

/* The recorder's connection does not have SQLite evaluate the outcome's
 * CHECK (recorder.c: rec_row vouches for it). Rows of every outcome, on
 * both paths (a direct run, then a staged one), still pass it, as
 * PRAGMA integrity_check (which evaluates CHECKs) says; the schema keeps
 * the CHECK for every other connection; and rec_row refuses an outcome it
 * has no name for, rolling the run back. */
static void
test_outcomes_checked(void **state)
{
    fixture *f = *state;
    char err[256] = "", text[64];
    rec *r = open_ok(f->path);
    for (int staged = 0; staged <= 1; staged++) {
        sqlite3 *holder = staged ? lock_hold(f->path) : NULL;
        begin_ok(r, staged ? "staged" : "direct");
        for (int o = SIM_OK; o <= SIM_DROPPED; o++) {
            sim_row row = ok_row(1 + o, 1);
            row.outcome = o;
            assert_int_equal(rec_row(r, &row, "alice", err, sizeof err), 0);
        }
        if (holder)
            lock_release(holder);
        commit_ok(r, SIM_DROPPED + 1);
    }
    begin_ok(r, "bad");
    sim_row bad = ok_row(9, 1);
    bad.outcome = SIM_DROPPED + 1;
    assert_int_equal(rec_row(r, &bad, "alice", err, sizeof err), 3);
    assert_non_null(strstr(err, "unknown outcome"));
    rec_close(r);

    query_text(f->path, "SELECT group_concat(outcome, ',') FROM (SELECT"
                        " outcome FROM dispatches WHERE run_id = 2 ORDER BY"
                        " req_id)", text, sizeof text);
    assert_string_equal(text, "ok,failed,rejected,expired,dropped");
    assert_int_equal(query_int(f->path, "SELECT count(*) FROM dispatches"),
                     2 * (SIM_DROPPED + 1));
    assert_int_equal(query_int(f->path, "SELECT count(*) FROM runs"), 2);
    query_text(f->path, "PRAGMA integrity_check", text, sizeof text);
    assert_string_equal(text, "ok");
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "INSERT INTO dispatches(run_id, req_id,"
                                      " attempt, outcome) VALUES(1, 99, 1,"
                                      " 'lost')", NULL, NULL, NULL),
                     SQLITE_CONSTRAINT);
    sqlite3_close(db);
}

/* Rolling back a direct run (rows queued, some written) leaves nothing
 * and lets go of the lock; the connection records the next run. */
static void
test_direct_rollback(void **state)
{
    fixture *f = *state;
    rec *r = open_ok(f->path);
    begin_ok(r, "dropped");
    assert_true(lock_taken(f->path));
    rows_ok(r, 1, 5000);
    rec_rollback(r);
    assert_false(lock_taken(f->path));
    assert_empty(f->path);
    begin_ok(r, "next");
    rows_ok(r, 1, 3);
    assert_int_equal(commit_ok(r, 3), 1);
    rec_close(r);
    assert_int_equal(query_int(f->path, "SELECT count(*) FROM dispatches"), 3);
}

/* A repeated (req_id, attempt) in a direct run: the writer thread meets
 * it, and rec_row reports it (at the latest once the bounded ring is full)
 * with 3 and "path: reason", the run rolled back and the lock let go. */
static void
test_direct_duplicate(void **state)
{
    fixture *f = *state;
    char err[256] = "";
    rec *r = open_ok(f->path);
    begin_ok(r, "bad");
    assert_true(lock_taken(f->path));
    rows_ok(r, 1, 10);
    sim_row dup = ok_row(5, 1);
    int rc = rec_row(r, &dup, "alice", err, sizeof err);
    for (int64_t i = 11; rc == 0 && i < 20000; i++) {
        sim_row row = ok_row(i, 1);
        rc = rec_row(r, &row, "alice", err, sizeof err);
    }
    assert_int_equal(rc, 3);
    assert_int_equal(strncmp(err, f->path, strlen(f->path)), 0);
    assert_non_null(strstr(err, "UNIQUE"));
    assert_null(strchr(err, '\n'));
    assert_int_equal(rec_commit(r, 0, 0, NULL, NULL, 0.0, NULL, err,
                                sizeof err), 3);
    assert_non_null(strstr(err, "no run in progress"));
    assert_false(lock_taken(f->path));
    assert_empty(f->path);
    begin_ok(r, "next");
    rows_ok(r, 1, 3);
    assert_int_equal(commit_ok(r, 3), 1);
    rec_close(r);
    assert_int_equal(query_int(f->path, "SELECT count(*) FROM dispatches"), 3);
}

/* The same repeated row just before the commit: rec_commit reports it. */
static void
test_direct_duplicate_at_commit(void **state)
{
    fixture *f = *state;
    char err[256] = "";
    rec *r = open_ok(f->path);
    begin_ok(r, "bad");
    rows_ok(r, 1, 10);
    sim_row dup = ok_row(5, 1);
    assert_int_equal(rec_row(r, &dup, "alice", err, sizeof err), 0);
    assert_int_equal(rec_commit(r, 11, 0, NULL, NULL, 0.0, NULL, err,
                                sizeof err), 3);
    assert_non_null(strstr(err, "UNIQUE"));
    rec_close(r);
    assert_empty(f->path);
}

/* n rows with three clients in turn, checked by count and sums. */
static void
many_rows(rec *r, int64_t n)
{
    static const char *const clients[] = {"c0", "c1", "c2"};
    char err[256] = "";
    for (int64_t i = 1; i <= n; i++) {
        sim_row row = ok_row(i, 1 + (int32_t)(i % 2));
        row.provider = i % 5 == 0 ? -1 : 0;
        assert_int_equal(rec_row(r, &row, clients[i % 3], err, sizeof err),
                         0);
    }
}

static void
check_many(const char *path, int64_t id, int64_t n)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM dispatches"
             " WHERE run_id = %lld", (long long)id);
    assert_int_equal(query_int(path, sql), n);
    snprintf(sql, sizeof sql, "SELECT sum(req_id) - %lld + sum(attempt)"
             " FROM dispatches WHERE run_id = %lld",
             (long long)(n * (n + 1) / 2), (long long)id);
    assert_int_equal(query_int(path, sql), n + (n + 1) / 2);
    snprintf(sql, sizeof sql, "SELECT sum(t_done) FROM dispatches"
             " WHERE run_id = %lld", (long long)id);
    assert_int_equal(query_int(path, sql), n * (n + 1) / 2 * 1000 + 20 * n);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM dispatches WHERE"
             " run_id = %lld AND client = 'c1' AND req_id %% 3 = 1",
             (long long)id);
    assert_int_equal(query_int(path, sql), (n + 2) / 3);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM dispatches WHERE"
             " run_id = %lld AND provider_id IS NULL", (long long)id);
    assert_int_equal(query_int(path, sql), n / 5);
}

/* More than 10^5 rows, so the writer goes round its ring many times: all
 * arrive, on the direct path and on the staged one. */
static void
test_many_rows(void **state)
{
    fixture *f = *state;
    const int64_t n = 250001;
    rec *r = open_ok(f->path);
    begin_ok(r, "direct");
    many_rows(r, n);
    assert_int_equal(commit_ok(r, n), 1);
    sqlite3 *holder = lock_hold(f->path);
    begin_ok(r, "staged");
    lock_release(holder);
    many_rows(r, n);
    assert_int_equal(commit_ok(r, n), 2);
    rec_close(r);
    check_many(f->path, 1, n);
    check_many(f->path, 2, n);
}

static void
expect_open_fails(const char *path)
{
    rec *r = (rec *)1;
    char err[256] = "";
    assert_int_equal(rec_open(&r, path, err, sizeof err), 3);
    assert_null(r);
    /* "path: reason", one line */
    assert_int_equal(strncmp(err, path, strlen(path)), 0);
    assert_int_equal(strncmp(err + strlen(path), ": ", 2), 0);
    assert_true(strlen(err) > strlen(path) + 2);
    assert_null(strchr(err, '\n'));
}

static void
test_unwritable_paths(void **state)
{
    fixture *f = *state;
    expect_open_fails("/nonexistent-dir/x.db");
    expect_open_fails(f->dir); /* a directory */
    /* a file that is not a database */
    FILE *fp = fopen(f->path, "w");
    assert_non_null(fp);
    fputs("this is not a database, just some text long enough to be read\n"
          "by sqlite as a header and found wanting.............\n", fp);
    fclose(fp);
    expect_open_fails(f->path);
}

static void
test_close_null(void **state)
{
    (void)state;
    rec_close(NULL);
    rec_rollback(NULL);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_rows_and_nulls),
        T(test_run_totals),
        T(test_runs_append),
        T(test_runs_same_connection),
        T(test_rollback),
        T(test_failure_rolls_back),
        T(test_close_mid_run),
        T(test_staged_run_holds_no_lock),
        T(test_wal_mode),
        T(test_commit_waits_for_lock),
        T(test_stop_flag_ends_wait),
        T(test_direct_commit),
        T(test_fallback_when_locked),
        T(test_outcomes_checked),
        T(test_direct_rollback),
        T(test_direct_duplicate),
        T(test_direct_duplicate_at_commit),
        T(test_many_rows),
        T(test_unwritable_paths),
        cmocka_unit_test(test_close_null),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
