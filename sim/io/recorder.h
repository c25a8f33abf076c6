/* SPDX-License-Identifier: MIT
 *
 * The recorder: writes runs to a SQLite database (SPEC §7). One file holds
 * many runs; each run is one transaction, so a run that fails or is
 * interrupted leaves no rows behind. Rows go through one prepared insert.
 * The recorder knows nothing of algorithms: it stores the text it is given.
 */
#ifndef RS_SIM_IO_RECORDER_H
#define RS_SIM_IO_RECORDER_H

#include <stddef.h>
#include <stdint.h>

#include "sim/engine.h"

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

/* Begins a run: opens the transaction and inserts its runs row. *run_id is
 * the new run's id. Returns 0 or 3. */
int rec_begin(rec *r, const rec_run *run, int64_t *run_id, char *err,
              size_t errlen);

/* Adds one provider of the current run. Returns 0 or 3. */
int rec_provider(rec *r, int provider_id, const char *name, int ord,
                 const char *algo, const char *params, char *err,
                 size_t errlen);

/* Adds one attempt of the current run; client is the client key's text and
 * the row's provider is stored as given (-1 as NULL). Returns 0 or 3. */
int rec_row(rec *r, const sim_row *row, const char *client, char *err,
            size_t errlen);

/* Fills in the run's totals and the workload's hash (known only once the
 * stream has been read) and commits. Returns 0 or 3 (rolled back). Because
 * rows are inserted in batches, a bad row may be reported here, or by the
 * rec_row call that fills its batch, rather than by its own rec_row. */
int rec_commit(rec *r, int64_t requests, int64_t events, const char *digest,
               const char *workload_sha256, double wall_ms, char *err,
               size_t errlen);

/* Abandons the current run: nothing of it stays. */
void rec_rollback(rec *r);

void rec_close(rec *r);

#endif
