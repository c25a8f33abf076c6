/* SPDX-License-Identifier: MIT
 *
 * The recorder: writes runs to a SQLite database (SPEC §7). One file holds
 * many runs; each run is one transaction, so a run that fails or is
 * interrupted (or killed) leaves no rows behind. A run that finds the
 * file's write lock free at rec_begin takes it and writes its rows
 * straight into the database as it goes (direct); one that finds it taken
 * stages its rows outside the database and copies them in at rec_commit,
 * waiting for the lock then. So several processes can record into one
 * file at once: each waits for the others' commits, and a staged run for
 * the whole of a direct one (recorder.c says why that is acceptable).
 * Rows are written by a thread of the recorder's own while the caller
 * simulates. The recorder knows nothing of algorithms: it stores the text
 * it is given.
 *
 * Calls on one rec must not overlap. They may come from different threads
 * when each call happens after the one before (a join or a lock between
 * them), e.g. rows handed to rec_row by a thread the caller then joins.
 */
#ifndef RS_SIM_IO_RECORDER_H
#define RS_SIM_IO_RECORDER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/engine.h"

/* The version of the schema rec_open writes, kept in the database's
 * user_version. A file from before versions were stamped reads 0 and has
 * the same tables; rec_open stamps it. (`ratesim merge` refuses any other
 * version, so bump this when a table changes.) */
#define REC_SCHEMA_VERSION 1

typedef struct rec rec;

/* What describes a run in the runs table. Strings may be NULL. */
typedef struct rec_run {
    const char *label, *algo, *workload, *workload_sha256;
    const char *scenario, *scenario_sha256, *version;
    int64_t seed;
} rec_run;

/* Opens (creating if needed) the database at path and its tables. Returns
 * 0, or 3 with "path: reason". */
int rec_open(rec **out, const char *path, char *err, size_t errlen);

/* A flag that, once set non-zero (by a signal handler), makes a wait for
 * another process's lock on the database give up: rec_commit then rolls
 * the run back and returns SIM_EINTR. NULL (the default): wait it out. */
void rec_set_stop(rec *r, const volatile sig_atomic_t *flag);

/* Begins a run and writes (direct) or stages its runs row; it never waits
 * for another process's lock. The caller learns the run's id from
 * rec_commit (a staged run gets it then, since runs from other processes
 * may be committed first). Returns 0 or 3. */
int rec_begin(rec *r, const rec_run *run, char *err, size_t errlen);

/* Adds one provider of the current run. Returns 0 or 3 (also for an
 * earlier row that failed; rolled back). */
int rec_provider(rec *r, int provider_id, const char *name, int ord,
                 const char *algo, const char *params, char *err,
                 size_t errlen);

/* Adds one provider's figures at the end of the current run (the table
 * provider_stats, beyond SPEC §7). Returns 0 or 3 (also for an earlier
 * row that failed, such as a repeated (req_id, attempt) in a direct run;
 * rolled back). */
int rec_provider_stats(rec *r, int provider_id, const sim_provider_stats *p,
                       char *err, size_t errlen);

/* Adds one attempt of the current run; client is the client key's text and
 * the row's provider is stored as given (-1 as NULL). The row is copied,
 * but client is not: it must stay valid, unchanged, until rec_commit or
 * rec_rollback (or rec_close) returns. (The runner passes the workload
 * reader's client names, which live until wl_close, after the run ends.)
 * The row is written later, by the recorder's thread, so a row the
 * database refuses is reported by a later rec_row, rec_provider_stats or
 * rec_commit. Returns 0, or 3 with "path: reason" (this row or an earlier
 * one failed: the run is rolled back). Blocks while the recorder has
 * rows enough in hand. */
int rec_row(rec *r, const sim_row *row, const char *client, char *err,
            size_t errlen);

/* Writes the rows still in hand, fills in the run's totals and the
 * workload's hash (known only once the stream has been read) and commits
 * the run; a staged run waits for other writers' commits first (up to ten
 * minutes). *run_id (when not NULL) is the run's id. Returns 0, 3 (rolled
 * back: a bad row, such as a repeated (req_id, attempt), is reported here
 * if not before) or SIM_EINTR (the stop flag was set while waiting; rolled
 * back). */
int rec_commit(rec *r, int64_t requests, int64_t events, const char *digest,
               const char *workload_sha256, double wall_ms, int64_t *run_id,
               char *err, size_t errlen);

/* Abandons the current run, dropping the rows in hand: nothing of it
 * stays. Does nothing outside a run. */
void rec_rollback(rec *r);

void rec_close(rec *r);

#endif
