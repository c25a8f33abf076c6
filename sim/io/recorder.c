/* SPDX-License-Identifier: MIT
 *
 * The SQLite recorder (SPEC §7). A rec is one connection to one database
 * file, the path (for messages), statements prepared once at open and
 * reused for every run, and a writer thread with a bounded ring of rows.
 *
 * Two paths. Either way a run is one transaction of the database file.
 * rec_begin picks the path by trying the file's write lock once, without
 * waiting (BEGIN IMMEDIATE with the busy handler told not to wait):
 *
 *   - direct, when the lock is free (one process recording, the usual
 *     case): the run is written straight into the main tables inside that
 *     transaction. Its runs row goes in first, so its id is known and every
 *     later row carries it; the totals, the workload's hash and the digest,
 *     known only at the end, are filled in by an UPDATE at rec_commit,
 *     which then commits. Each row is written once.
 *   - staged, when another process holds the lock: the rows go to three
 *     tables of the connection's private temporary schema (temp.stage_run,
 *     temp.stage_providers, temp.stage_dispatches, in a file SQLite deletes
 *     when the connection closes or the process dies), inside a
 *     transaction on that schema alone, which takes no lock on the file.
 *     rec_commit then waits for the write lock (BEGIN IMMEDIATE), copies
 *     the run in with INSERT ... SELECT statements that give it its id (the
 *     next one when it commits), and commits.
 *
 * Why two. Staging every run wrote every row twice, and held recording to
 * a third of the bare SQLite insert rate (254k rows/s against 760k on a
 * 10^6-row run); writing directly avoids the second write. Staging exists
 * so that runs in several processes can simulate at once and take turns
 * only to copy: whoever finds the lock taken still stages. Measured on
 * that run with the writer thread (below), on 2 cores of which other work
 * held one: 279k -> 398k rows/s, the bare rate 510k (medians of 10). The
 * writer's own CPU time is about the bare insert's; the rest is the
 * commit's work in the WAL (checksums rewritten after spills, the
 * checkpoint, two syncs: some 0.4 s) and the simulation sharing the free
 * core with the writer.
 *
 * Concurrency, decided. A direct run holds the write lock for its whole
 * simulation. A process that begins a run meanwhile stages, simulates at
 * the same time, and its commit waits for the direct run to commit (up to
 * REC_BUSY_MS, ten minutes from when that wait begins), then copies. It
 * waits longer than it did when every run staged: for the rest of the
 * direct run, not just its copy. We accept that: the direct run is itself
 * faster by more than the copy it no longer makes, nothing is lost or
 * half-written, and the wait only runs out when the direct run still has
 * ten minutes to go, some 2 * 10^8 rows at this recorder's rate (a
 * database of tens of GB), recorded by several processes into one file
 * at once. Sweeps write one shard per worker and compare runs its series
 * one after another, so neither meets it; whoever does gets "database is
 * locked" (exit 3) after ten minutes, the file intact. Other writers of
 * the file (merge, an sqlite3 shell) also wait for a direct run; readers
 * never wait for anyone (WAL).
 *
 * Atomicity. A run is one transaction of the database file, so it is all
 * there or not at all, whatever stops the process: a failure or
 * rec_rollback rolls it back, a kill leaves the database as it was
 * (SQLite ignores the uncommitted part of the log when it next opens the
 * file) and staged rows vanish with their temporary file.
 *
 * The writer thread. rec_row makes no SQLite call: it copies the row and
 * the client's pointer into the batch being filled, one of REC_RING
 * batches of REC_BATCH rows in a ring. A full batch is queued; a thread,
 * started at a run's first row, binds each queued batch into a prepared
 * REC_BATCH-row INSERT (into the main table or the staging one) and steps
 * it, so the simulation and SQLite run on two cores at once. The caller
 * blocks while the ring is full, so memory stays bounded whichever side is
 * faster. One rule keeps the connection safe: while the thread runs, no
 * other thread makes an SQLite call on r->db (the connection is opened
 * NOMUTEX: SQLite's multi-thread mode, one thread at a time). Every other
 * entry point (rec_provider, rec_provider_stats, rec_commit, rec_rollback,
 * rec_close) first stops the thread, draining the queue (the last, partial
 * batch goes through a one-row INSERT) or, for a rollback, discarding it,
 * and joins it; the next rec_row starts it again. A failed insert in the
 * thread is kept ("path: reason" and a flag) and returned as 3, with the
 * run rolled back, by the next rec_row or whichever call stops the
 * thread; in a direct run that is where a repeated (req_id, attempt)
 * shows, possibly before rec_commit. The thread blocks every signal, so
 * SIGINT and SIGTERM reach the simulating thread. With an SQLite built
 * without threads (sqlite3_threadsafe() == 0) batches are written by the
 * calling thread as they fill.
 *
 * Batches bind one statement's parameters for REC_BATCH rows at a time:
 * per-statement overhead otherwise costs more than the insert itself.
 * ?1 is the run's id (not in the staging insert, whose table has no
 * run_id), and row k's j-th value is ?(2 + 11k + j).
 *
 * The database is in WAL mode: readers (plots, comparisons) never wait for
 * a writer nor block one, and a commit writes only the new pages, once, to
 * the log. synchronous = NORMAL: a commit is durable at the next
 * checkpoint, and the file is never corrupted by a crash. Waiting for
 * another writer's lock is done by rec_busy: it backs off up to 100 ms at
 * a time for at most REC_BUSY_MS, and gives up at once when the stop flag
 * (rec_set_stop) is set, so a signal is not ignored for minutes.
 *
 * Invariants: r->in_run is 1 exactly while a run is begun and neither
 * committed nor rolled back; r->direct says which path it took; r->running
 * implies r->in_run; outside a run the staging tables are empty, the ring
 * is empty and no thread runs.
 *
 * Versions: the file's user_version holds REC_SCHEMA_VERSION, stamped at
 * open on a file that has none (0: new, or older than the stamp), so that
 * `merge` can refuse a database whose tables mean something else.
 *
 * Errors are returned as 3 with "path: reason" in the caller's buffer, the
 * reason being SQLite's message. Nothing here prints or exits.
 */
#include "sim/io/recorder.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#define REC_EIO 3
/* How long rec_commit waits for other writers, in all. */
#define REC_BUSY_MS (10 * 60 * 1000)
/* Rows per run of the batched insert; 1 + 11 * 64 parameters stays under
 * SQLite's oldest default limit of 999. */
#define REC_BATCH 64
#define REC_ROW_PARAMS 11
/* Batches in the ring: 2048 rows, about 160 KiB. The writer is the slower
 * side, so more would only hold more rows, not go faster; fewer would
 * wake the producer more often (it waits for half the ring). */
#define REC_RING 32

/* Statements that exist for both paths, indexed by r->direct. */
enum { REC_STAGED = 0, REC_DIRECT = 1 };

/* What the writer thread is told: keep going, finish the queue, or drop
 * it. */
enum { REC_GO, REC_DRAIN, REC_DISCARD };

/* One attempt on its way to the database. The client text is the caller's,
 * valid until the run ends (recorder.h). */
typedef struct rec_item {
    sim_row row;
    const char *client;
} rec_item;

typedef struct rec_batch {
    int n;
    rec_item item[REC_BATCH];
} rec_batch;

struct rec {
    sqlite3 *db;
    /* [REC_STAGED] into temp.stage_*, [REC_DIRECT] into the main tables */
    sqlite3_stmt *ins_run[2], *ins_provider[2], *ins_pstats[2];
    sqlite3_stmt *ins_batch[2], *ins_one[2];
    sqlite3_stmt *copy_run, *copy_providers, *copy_rows, *copy_pstats;
    sqlite3_stmt *upd_run;
    const volatile sig_atomic_t *stop;
    struct timespec busy_since;     /* when the current wait began */
    int stopped;                    /* rec_busy gave up on the flag */
    int no_wait;                    /* rec_busy gives up at once */
    int in_run;
    int direct;                     /* the current run is direct */
    int64_t run_id;                 /* direct: from rec_begin; staged: the copy */

    /* The writer. The calling thread alone touches running and fill, and
     * ring[fill] while it fills it; the thread reads the queued batches,
     * ring[tail] to ring[tail + count - 1] (mod REC_RING). */
    int threads;                    /* SQLite allows a writer thread */
    int sync_made;                  /* mu, more and room are initialised */
    int running;                    /* the thread exists */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t more;            /* the ring is no longer empty, or quit */
    pthread_cond_t room;            /* the ring is half empty, or failed */
    unsigned fill;                  /* the batch rec_row fills */
    unsigned tail, count;           /* under mu */
    int quit;                       /* under mu: REC_GO, _DRAIN, _DISCARD */
    atomic_int failed;              /* a batch failed: werr says why */
    char werr[512];
    rec_batch ring[REC_RING];
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

/* The runs row as rec_begin knows it, ?1..?9; a direct run's totals come
 * at rec_commit (rec_sql_upd_run). */
static const char *const rec_sql_run[2] = {
    "INSERT INTO temp.stage_run VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)",
    "INSERT INTO main.runs(label, algo, seed, workload, workload_sha256,"
    " scenario, scenario_sha256, version, created)"
    " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)",
};
/* ?1..?5 the provider; ?6 a direct run's id. */
static const char *const rec_sql_provider[2] = {
    "INSERT INTO temp.stage_providers VALUES(?1,?2,?3,?4,?5)",
    "INSERT INTO main.providers(run_id, provider_id, name, ord, algo,"
    " params) VALUES(?6,?1,?2,?3,?4,?5)",
};
/* ?1..?11 the figures; ?12 a direct run's id. */
static const char *const rec_sql_pstats[2] = {
    "INSERT INTO temp.stage_provider_stats"
    " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
    "INSERT INTO main.provider_stats(run_id, provider_id, dispatched,"
    " rejected, worst_window, window_limit, window_ns, over_admitted,"
    " denials, decisions, decision_ns_sum, decision_ns_max)"
    " VALUES(?12,?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
};
/* The batched inserts are these heads and n tuples (rec_prepare_rows). */
static const char *const rec_sql_rows_head[2] = {
    "INSERT INTO temp.stage_dispatches VALUES",
    "INSERT INTO main.dispatches(run_id, req_id, attempt, client, priority,"
    " cost, t_arrive, t_ready, t_dispatch, t_done, provider_id, outcome)"
    " VALUES",
};

/* A direct run's totals: ?1..?4, ?5 the workload's hash when it is known
 * only now, ?6 the run's id. */
static const char rec_sql_upd_run[] =
    "UPDATE main.runs SET requests = ?1, events = ?2, digest = ?3,"
    " wall_ms = ?4, workload_sha256 = coalesce(?5, workload_sha256)"
    " WHERE run_id = ?6";

/* The copy of a staged run into the database: ?1..?4 the totals, ?5 the
 * workload's hash when it is known only now; then ?1 the new run's id. */
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

static void rec_writer_stop(rec *r, int how);

/* ================================================================ errors */

/* Writes "path: reason" and returns 3. */
static int
rec_fail_msg(const char *path, char *err, size_t errlen, const char *reason)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s: %s", path, reason);
    return REC_EIO;
}

/* Fails with the writer's message, or SQLite's (or, when the stop flag
 * ended a wait, says so and returns SIM_EINTR), after stopping the writer
 * and before rolling back the run in progress (the rollback could replace
 * SQLite's message). */
static int
rec_fail(rec *r, char *err, size_t errlen)
{
    int rc = REC_EIO;

    rec_writer_stop(r, REC_DISCARD);
    if (r->stopped) {
        rec_fail_msg(r->path, err, errlen,
                     "interrupted while waiting for the database");
        rc = SIM_EINTR;
    } else if (atomic_load(&r->failed)) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "%s", r->werr);
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

/* The n-th wait (n = 0, 1, ...) for a lock since `since`: sleeps 1, 2, 4
 * ... up to 100 ms and returns 1 to try again, or 0 to give up: after
 * REC_BUSY_MS, or at once when the stop flag is set. */
static int
rec_wait_more(rec *r, int n, const struct timespec *since)
{
    int ms = n < 7 ? 1 << n : 100;
    struct timespec d = {0, (long)ms * 1000000L};

    if (r->stop != NULL && *r->stop) {
        r->stopped = 1;
        return 0;
    }
    if (rec_ms_since(since) >= REC_BUSY_MS)
        return 0;
    nanosleep(&d, NULL);
    return 1;
}

/* SQLite's busy handler: called with n = 0, 1, ... while another
 * connection holds the lock we need. */
static int
rec_busy(void *ctx, int n)
{
    rec *r = ctx;

    if (r->no_wait)
        return 0;
    if (n == 0)
        clock_gettime(CLOCK_MONOTONIC, &r->busy_since);
    return rec_wait_more(r, n, &r->busy_since);
}

/* sqlite3_exec, again while SQLite answers busy without having asked
 * rec_busy: it does not ask where waiting could deadlock (a connection
 * promoting its read lock while another promotes its own, as four runs
 * creating one new file at once can), and such an answer would end a run
 * that merely came second. Waits as rec_busy does, counted from the first
 * try (a wait inside sqlite3_exec counts too). */
static int
rec_exec_waiting(rec *r, const char *sql)
{
    struct timespec t0;
    int rc;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int n = 0;; n++) {
        rc = sqlite3_exec(r->db, sql, NULL, NULL, NULL);
        if ((rc & 0xff) != SQLITE_BUSY || !rec_wait_more(r, n, &t0))
            return rc;
    }
}

void
rec_set_stop(rec *r, const volatile sig_atomic_t *flag)
{
    r->stop = flag;
}

/* ================================================================ statements */

/* Binds text, or NULL for a NULL pointer. Callers step the statement while
 * their strings are alive, so SQLite need not copy. */
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

/* Prepares the insert of n rows for a path: its head, then n tuples, row
 * k's j-th value ?(2 + 11k + j), led by ?1 (the run's id) when direct. */
static int
rec_prepare_rows(rec *r, int direct, int n, sqlite3_stmt **st)
{
    char sql[8192];
    size_t len = (size_t)snprintf(sql, sizeof sql, "%s",
                                  rec_sql_rows_head[direct]);

    /* 64 tuples take about 4 KiB; the checks keep a cut statement (a bug
     * here) from writing past sql. */
    for (int k = 0; k < n && len < sizeof sql; k++) {
        len += (size_t)snprintf(sql + len, sizeof sql - len, "%s(%s",
                                k ? "," : "", direct ? "?1," : "");
        for (int j = 0; j < REC_ROW_PARAMS && len < sizeof sql; j++)
            len += (size_t)snprintf(sql + len, sizeof sql - len, "?%d%s",
                                    2 + REC_ROW_PARAMS * k + j,
                                    j + 1 < REC_ROW_PARAMS ? "," : ")");
    }
    if (len >= sizeof sql)
        return SQLITE_TOOBIG;
    return sqlite3_prepare_v2(r->db, sql, -1, st, NULL);
}

/* Binds item into row k of a batched insert (?1, the run's id, is bound
 * by the caller). */
static void
rec_bind_item(sqlite3_stmt *st, int k, const rec_item *it)
{
    const sim_row *row = &it->row;
    int i = 2 + k * REC_ROW_PARAMS;

    sqlite3_bind_int64(st, i, row->req_id);
    sqlite3_bind_int(st, i + 1, row->attempt);
    rec_bind_text(st, i + 2, it->client);
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
    /* rec_row checked it: a static string */
    rec_bind_text(st, i + 10, sim_outcome_name(row->outcome));
}

/* Inserts a batch: a full one with one statement, a partial one (queued
 * by a drain: the run's last rows) row by row. Returns an SQLite code. */
static int
rec_write_batch(rec *r, const rec_batch *b)
{
    int full = b->n == REC_BATCH;
    sqlite3_stmt *st = full ? r->ins_batch[r->direct] : r->ins_one[r->direct];
    int per = full ? REC_BATCH : 1;

    for (int i = 0; i < b->n; i += per) {
        sqlite3_bind_int64(st, 1, r->run_id);
        for (int k = 0; k < per; k++)
            rec_bind_item(st, k, &b->item[i + k]);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return rc;
    }
    return SQLITE_OK;
}

/* ================================================================ the writer */

/* Keeps "path: reason" for a failed batch and raises the flag (the
 * message first: whoever sees the flag reads it). */
static void
rec_note_failure(rec *r, int rc)
{
    const char *why = sqlite3_errmsg(r->db);

    /* a failure that set no message of its own */
    if (sqlite3_errcode(r->db) == SQLITE_OK)
        why = sqlite3_errstr(rc);
    snprintf(r->werr, sizeof r->werr, "%s: %s", r->path, why);
    atomic_store(&r->failed, 1);
}

/* The writer's next batch: waits for one; NULL when told to stop (after
 * the queue is empty when draining, at once when discarding). */
static const rec_batch *
rec_take(rec *r)
{
    const rec_batch *b = NULL;

    pthread_mutex_lock(&r->mu);
    while (r->count == 0 && r->quit == REC_GO)
        pthread_cond_wait(&r->more, &r->mu);
    if (r->count > 0 && r->quit != REC_DISCARD)
        b = &r->ring[r->tail];
    pthread_mutex_unlock(&r->mu);
    return b;
}

/* The writer has finished with the batch at the tail: its slot is free.
 * A producer waiting for room waits for half the ring (rec_queue), so it
 * is woken once per REC_RING / 2 batches, not for each. */
static void
rec_release(rec *r)
{
    pthread_mutex_lock(&r->mu);
    r->tail = (r->tail + 1) % REC_RING;
    r->count--;
    if (r->count == REC_RING / 2 || atomic_load(&r->failed))
        pthread_cond_signal(&r->room);
    pthread_mutex_unlock(&r->mu);
}

/* The thread: writes queued batches until told to stop or one fails. */
static void *
rec_writer(void *arg)
{
    rec *r = arg;
    const rec_batch *b;

    while ((b = rec_take(r)) != NULL) {
        int rc = rec_write_batch(r, b);
        if (rc != SQLITE_OK)
            rec_note_failure(r, rc);
        rec_release(r);
        if (rc != SQLITE_OK)
            break;
    }
    return NULL;
}

/* Starts the thread, with every signal blocked in it so that they go to
 * the simulating thread. Returns 0 or an errno value. */
static int
rec_writer_start(rec *r)
{
    sigset_t all, old;
    int rc;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&r->thread, NULL, rec_writer, r);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc == 0)
        r->running = 1;
    return rc;
}

/* Queues the batch being filled and moves on to the next slot, waiting
 * while the ring is full (or, with no thread, writes it now). */
static void
rec_queue(rec *r)
{
    int rc;

    if (!r->running) {
        if ((rc = rec_write_batch(r, &r->ring[r->fill])) != SQLITE_OK)
            rec_note_failure(r, rc);
        r->ring[r->fill].n = 0;
        return;
    }
    pthread_mutex_lock(&r->mu);
    /* The writer waits only on an empty ring. */
    if (++r->count == 1)
        pthread_cond_signal(&r->more);
    /* Full: wait until half is free (rec_release). A failed writer takes
     * no more; the caller sees the flag instead. */
    if (r->count == REC_RING)
        while (r->count > REC_RING / 2 && !atomic_load(&r->failed))
            pthread_cond_wait(&r->room, &r->mu);
    pthread_mutex_unlock(&r->mu);
    r->fill = (r->fill + 1) % REC_RING;
    r->ring[r->fill].n = 0;
}

/* Stops the thread and joins it, the queue written first (REC_DRAIN, the
 * batch being filled included) or dropped (REC_DISCARD); the ring is then
 * empty. Afterwards the connection is the calling thread's alone. */
static void
rec_writer_stop(rec *r, int how)
{
    if (how == REC_DRAIN && r->ring[r->fill].n > 0 &&
        !atomic_load(&r->failed))
        rec_queue(r);
    if (r->running) {
        pthread_mutex_lock(&r->mu);
        r->quit = how;
        pthread_cond_signal(&r->more);
        pthread_mutex_unlock(&r->mu);
        pthread_join(r->thread, NULL);
        r->running = 0;
        r->quit = REC_GO;
    }
    r->tail = r->count = r->fill = 0;
    r->ring[0].n = 0;
}

/* Before a call on the connection: stops the writer, the queue written,
 * and fails (rolled back) if a batch failed. Returns 0 or 3. */
static int
rec_quiesce(rec *r, char *err, size_t errlen)
{
    rec_writer_stop(r, REC_DRAIN);
    if (atomic_load(&r->failed))
        return rec_fail(r, err, errlen);
    return 0;
}

/* ================================================================ open */

/* The statements, once the tables they name exist. */
static int
rec_prepare(rec *r)
{
    int rc = SQLITE_OK;

    for (int d = REC_STAGED; d <= REC_DIRECT && rc == SQLITE_OK; d++) {
        rc = sqlite3_prepare_v2(r->db, rec_sql_run[d], -1, &r->ins_run[d],
                                NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_prepare_v2(r->db, rec_sql_provider[d], -1,
                                    &r->ins_provider[d], NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_prepare_v2(r->db, rec_sql_pstats[d], -1,
                                    &r->ins_pstats[d], NULL);
        if (rc == SQLITE_OK)
            rc = rec_prepare_rows(r, d, REC_BATCH, &r->ins_batch[d]);
        if (rc == SQLITE_OK)
            rc = rec_prepare_rows(r, d, 1, &r->ins_one[d]);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(r->db, rec_sql_upd_run, -1, &r->upd_run,
                                NULL);
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
        rc = sqlite3_prepare_v2(r->db, rec_sql_copy_pstats, -1,
                                &r->copy_pstats, NULL);
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
    return rec_exec_waiting(r, sql);
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
        rc = rec_exec_waiting(r, rec_schema);
    /* SQLite quietly opens a file it may not write read-only; say so now
     * rather than at the first run. */
    if (rc == SQLITE_OK && sqlite3_db_readonly(r->db, "main") == 1)
        rc = SQLITE_READONLY;
    if (rc == SQLITE_OK)
        rc = rec_stamp(r);
    /* WAL is a property of the file: set once, it stays. (A file in use by
     * an older rollback-journal reader stays as it is; that works too.) */
    if (rc == SQLITE_OK)
        rc = rec_exec_waiting(r, "PRAGMA journal_mode = WAL");
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(r->db, "PRAGMA synchronous = NORMAL", NULL, NULL,
                          NULL);
    /* The only CHECK is the dispatches' outcome IN (...), and this
     * connection writes only the names sim_outcome_name gives, which
     * rec_row makes sure of. SQLite evaluating it again for every row
     * halved the insert rate (0.69 against 1.31 s for 10^6 rows in the
     * sqlite3 shell). Other connections, merge's and the user's, still
     * have it checked. */
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(r->db, "PRAGMA ignore_check_constraints = ON",
                          NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(r->db, rec_stage_schema, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = rec_prepare(r);
    return rc;
}

/* The writer's lock and conditions. Returns 0 or an errno value. */
static int
rec_sync_init(rec *r)
{
    int rc = pthread_mutex_init(&r->mu, NULL);

    if (rc != 0)
        return rc;
    if ((rc = pthread_cond_init(&r->more, NULL)) != 0) {
        pthread_mutex_destroy(&r->mu);
        return rc;
    }
    if ((rc = pthread_cond_init(&r->room, NULL)) != 0) {
        pthread_cond_destroy(&r->more);
        pthread_mutex_destroy(&r->mu);
        return rc;
    }
    r->sync_made = 1;
    return 0;
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
    atomic_init(&r->failed, 0);
    if (rec_sync_init(r) != 0) {
        free(r);
        return rec_fail_msg(path, err, errlen, "out of memory");
    }
    /* A library built without mutexes must not be entered by two threads,
     * even on two connections: then batches are written in line. */
    r->threads = sqlite3_threadsafe() != 0;
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
    for (int d = REC_STAGED; d <= REC_DIRECT; d++) {
        sqlite3_finalize(r->ins_run[d]);
        sqlite3_finalize(r->ins_provider[d]);
        sqlite3_finalize(r->ins_pstats[d]);
        sqlite3_finalize(r->ins_batch[d]);
        sqlite3_finalize(r->ins_one[d]);
    }
    sqlite3_finalize(r->upd_run);
    sqlite3_finalize(r->copy_run);
    sqlite3_finalize(r->copy_providers);
    sqlite3_finalize(r->copy_rows);
    sqlite3_finalize(r->copy_pstats);
    sqlite3_close(r->db);
    if (r->sync_made) {
        pthread_cond_destroy(&r->room);
        pthread_cond_destroy(&r->more);
        pthread_mutex_destroy(&r->mu);
    }
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

/* Inserts the runs row of a new run (staged, or straight into runs). */
static int
rec_insert_run(rec *r, const rec_run *run)
{
    sqlite3_stmt *st = r->ins_run[r->direct];
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

/* Takes the database's write lock if it is free at this instant, without
 * waiting for it. Returns an SQLite code (SQLITE_OK: a write transaction
 * is open). */
static int
rec_try_lock(rec *r)
{
    int rc;

    r->no_wait = 1;
    rc = sqlite3_exec(r->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    r->no_wait = 0;
    /* A refused BEGIN IMMEDIATE opens nothing; make sure of it. */
    if (rc != SQLITE_OK && !sqlite3_get_autocommit(r->db))
        sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int
rec_begin(rec *r, const rec_run *run, char *err, size_t errlen)
{
    if (r->in_run)
        return rec_fail_msg(r->path, err, errlen, "a run is already open");
    r->stopped = 0;
    atomic_store(&r->failed, 0);
    /* Any refusal, busy or not, leaves today's staged path, which touches
     * only the temp schema until rec_commit (and reports there whatever
     * stops the file being written). */
    r->direct = rec_try_lock(r) == SQLITE_OK;
    if (!r->direct &&
        sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return rec_fail_msg(r->path, err, errlen, sqlite3_errmsg(r->db));
    r->in_run = 1;
    if (rec_insert_run(r, run) != SQLITE_OK)
        return rec_fail(r, err, errlen);
    r->run_id = r->direct ? sqlite3_last_insert_rowid(r->db) : 0;
    return 0;
}

int
rec_provider(rec *r, int provider_id, const char *name, int ord,
             const char *algo, const char *params, char *err, size_t errlen)
{
    if (!r->in_run)
        return rec_fail_msg(r->path, err, errlen, "no run in progress");
    if (rec_quiesce(r, err, errlen) != 0)
        return REC_EIO;
    sqlite3_stmt *st = r->ins_provider[r->direct];
    sqlite3_bind_int(st, 1, provider_id);
    rec_bind_text(st, 2, name);
    sqlite3_bind_int(st, 3, ord);
    rec_bind_text(st, 4, algo);
    rec_bind_text(st, 5, params);
    if (r->direct)
        sqlite3_bind_int64(st, 6, r->run_id);
    if (rec_step(st) != SQLITE_OK)
        return rec_fail(r, err, errlen);
    return 0;
}

int
rec_provider_stats(rec *r, int provider_id, const sim_provider_stats *p,
                   char *err, size_t errlen)
{
    const int64_t v[] = {
        provider_id, (int64_t)p->dispatched, (int64_t)p->rejected,
        p->worst_window, p->window_limit, p->window, p->over_admitted,
        (int64_t)p->denials, (int64_t)p->decisions, p->decision_sum,
        p->decision_max,
    };
    const int nv = (int)(sizeof v / sizeof v[0]);

    if (!r->in_run)
        return rec_fail_msg(r->path, err, errlen, "no run in progress");
    if (rec_quiesce(r, err, errlen) != 0)
        return REC_EIO;
    sqlite3_stmt *st = r->ins_pstats[r->direct];
    for (int i = 0; i < nv; i++)
        sqlite3_bind_int64(st, i + 1, v[i]);
    if (r->direct)
        sqlite3_bind_int64(st, nv + 1, r->run_id);
    if (rec_step(st) != SQLITE_OK)
        return rec_fail(r, err, errlen);
    return 0;
}

int
rec_row(rec *r, const sim_row *row, const char *client, char *err,
        size_t errlen)
{
    if (!r->in_run)
        return rec_fail_msg(r->path, err, errlen, "no run in progress");
    if (sim_outcome_name(row->outcome) == NULL) {
        rec_fail_msg(r->path, err, errlen, "row with an unknown outcome");
        rec_rollback(r);
        return REC_EIO;
    }
    if (!r->running && r->threads && rec_writer_start(r) != 0) {
        rec_fail_msg(r->path, err, errlen, "cannot start a writer thread");
        rec_rollback(r);
        return REC_EIO;
    }
    rec_batch *b = &r->ring[r->fill];
    b->item[b->n].row = *row;
    b->item[b->n].client = client;
    if (++b->n == REC_BATCH)
        rec_queue(r);
    /* A batch written earlier may have failed (a repeated key in a direct
     * run, a full disk). */
    if (atomic_load_explicit(&r->failed, memory_order_relaxed))
        return rec_fail(r, err, errlen);
    return 0;
}

/* A direct run: its totals, then the commit. Returns an SQLite code. */
static int
rec_finish_direct(rec *r, int64_t requests, int64_t events,
                  const char *digest, const char *workload_sha256,
                  double wall_ms)
{
    sqlite3_stmt *st = r->upd_run;
    int rc;

    sqlite3_bind_int64(st, 1, requests);
    sqlite3_bind_int64(st, 2, events);
    rec_bind_text(st, 3, digest);
    sqlite3_bind_double(st, 4, wall_ms);
    rec_bind_text(st, 5, workload_sha256);
    sqlite3_bind_int64(st, 6, r->run_id);
    if ((rc = rec_step(st)) != SQLITE_OK)
        return rc;
    return rec_exec_waiting(r, "COMMIT");
}

/* Copies the staged run into the database (inside its transaction) and
 * gives it its id. Returns an SQLite code. */
static int
rec_copy(rec *r, int64_t requests, int64_t events, const char *digest,
         const char *workload_sha256, double wall_ms)
{
    sqlite3_stmt *st = r->copy_run;
    int rc;

    sqlite3_bind_int64(st, 1, requests);
    sqlite3_bind_int64(st, 2, events);
    rec_bind_text(st, 3, digest);
    sqlite3_bind_double(st, 4, wall_ms);
    rec_bind_text(st, 5, workload_sha256);
    if ((rc = rec_step(st)) != SQLITE_OK)
        return rc;
    r->run_id = sqlite3_last_insert_rowid(r->db);
    sqlite3_bind_int64(r->copy_providers, 1, r->run_id);
    if ((rc = rec_step(r->copy_providers)) != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(r->copy_pstats, 1, r->run_id);
    if ((rc = rec_step(r->copy_pstats)) != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(r->copy_rows, 1, r->run_id);
    return rec_step(r->copy_rows);
}

/* A staged run: ends the staging transaction, waits for the write lock,
 * copies and commits. Returns an SQLite code. */
static int
rec_finish_staged(rec *r, int64_t requests, int64_t events,
                  const char *digest, const char *workload_sha256,
                  double wall_ms)
{
    int rc = sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);

    if (rc == SQLITE_OK)
        rc = rec_exec_waiting(r, "BEGIN IMMEDIATE");
    if (rc == SQLITE_OK)
        rc = rec_copy(r, requests, events, digest, workload_sha256, wall_ms);
    if (rc == SQLITE_OK)
        rc = rec_exec_waiting(r, "COMMIT");
    return rc;
}

int
rec_commit(rec *r, int64_t requests, int64_t events, const char *digest,
           const char *workload_sha256, double wall_ms, int64_t *run_id,
           char *err, size_t errlen)
{
    int rc;

    if (!r->in_run)
        return rec_fail_msg(r->path, err, errlen, "no run in progress");
    if (rec_quiesce(r, err, errlen) != 0)
        return REC_EIO;
    rc = r->direct ? rec_finish_direct(r, requests, events, digest,
                                       workload_sha256, wall_ms)
                   : rec_finish_staged(r, requests, events, digest,
                                       workload_sha256, wall_ms);
    if (rc != SQLITE_OK)
        return rec_fail(r, err, errlen);
    r->in_run = 0;
    if (!r->direct)
        sqlite3_exec(r->db, rec_stage_clear, NULL, NULL, NULL);
    if (run_id != NULL)
        *run_id = r->run_id;
    return 0;
}

void
rec_rollback(rec *r)
{
    if (r == NULL || !r->in_run)
        return;
    /* The thread goes first: the connection is then ours alone. */
    rec_writer_stop(r, REC_DISCARD);
    r->in_run = 0;
    /* Some errors (a full disk, out of memory) have already rolled the
     * transaction back; a second ROLLBACK would only fail. */
    if (!sqlite3_get_autocommit(r->db))
        sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
    /* A staging transaction may have been committed already (a failure
     * during the copy): empty the tables for the next run. */
    if (!r->direct)
        sqlite3_exec(r->db, rec_stage_clear, NULL, NULL, NULL);
}
