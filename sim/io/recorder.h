/* SPDX-License-Identifier: MIT
 *
 * The recorder: writes runs to a SQLite database (SPEC §7). One file holds
 * many runs; each run is one transaction, so a run that fails or is
 * interrupted (or killed) leaves no rows behind. A run's rows are staged
 * outside the database while it runs and go in at rec_commit, so several
 * processes can record into one file at once: none holds the file's write
 * lock for longer than its own commit, and each waits for the others'.
 * The recorder knows nothing of algorithms: it stores the text it is given.
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

/* Begins a run and stages its runs row. The run gets its id when it is
 * committed (rec_commit), since runs from other processes may be committed
 * first. Returns 0 or 3. */
int rec_begin(rec *r, const rec_run *run, char *err, size_t errlen);

/* Adds one provider of the current run. Returns 0 or 3. */
int rec_provider(rec *r, int provider_id, const char *name, int ord,
                 const char *algo, const char *params, char *err,
                 size_t errlen);

/* Adds one provider's figures at the end of the current run (the table
 * provider_stats, beyond SPEC §7). Returns 0 or 3. */
int rec_provider_stats(rec *r, int provider_id, const sim_provider_stats *p,
                       char *err, size_t errlen);

/* Adds one attempt of the current run; client is the client key's text and
 * the row's provider is stored as given (-1 as NULL). Returns 0 or 3. */
int rec_row(rec *r, const sim_row *row, const char *client, char *err,
            size_t errlen);

/* Fills in the run's totals and the workload's hash (known only once the
 * stream has been read) and writes the run into the database, waiting for
 * other writers' commits (up to ten minutes). *run_id (when not NULL) is
 * the run's id. Returns 0, 3 (rolled back: a bad row, such as a repeated
 * (req_id, attempt), is reported here) or SIM_EINTR (the stop flag was set
 * while waiting; rolled back). */
int rec_commit(rec *r, int64_t requests, int64_t events, const char *digest,
               const char *workload_sha256, double wall_ms, int64_t *run_id,
               char *err, size_t errlen);

/* Abandons the current run: nothing of it stays. */
void rec_rollback(rec *r);

void rec_close(rec *r);

#endif
