/* SPDX-License-Identifier: MIT
 *
 * Rowpipe: the engine's finished rows handed to their sink on a thread of
 * its own, in batches, so that what the sink does with each row (the
 * digest, the summary's histograms, the recorder) overlaps the simulation
 * on a second core. The mirror of sim/io/prefetch.
 *
 * The sink sees the same rows in the same order as if the engine called it
 * itself. An error it returns stops it taking rows; the engine learns of it
 * at its next hand-over (rowpipe_put returns it, with the sink's message)
 * or at rowpipe_finish, so a run that fails in its sink fails a batch
 * later, with the same error. The sink must not touch what the engine's
 * thread uses; the runner's sinks (digest, report, recorder, collectors)
 * only use their own state and the workload reader's client names, which
 * may be read from another thread.
 */
#ifndef RS_SIM_IO_ROWPIPE_H
#define RS_SIM_IO_ROWPIPE_H

#include <stddef.h>

#include "sim/engine.h"

/* 4096 rows a batch; see PREFETCH_BATCH. */
#define ROWPIPE_BATCH 4096
#define ROWPIPE_SLOTS 4

typedef struct rowpipe rowpipe;

/* Starts the sink's thread. Returns 0, or 3 with a message. */
int rowpipe_start(rowpipe **out, sim_sink_fn sink, void *ctx, char *err,
                  size_t errlen);

/* Queues one row (a sim_sink_fn; ctx is the rowpipe). Returns 0, or the
 * error the sink returned for an earlier row, with its message. */
int rowpipe_put(void *ctx, const sim_row *row, char *err, size_t errlen);

/* Hands over the rows queued, waits until the sink has taken them all,
 * then stops the thread and frees everything. Returns 0 or the sink's
 * error, with its message. */
int rowpipe_finish(rowpipe *p, char *err, size_t errlen);

/* Stops the thread once it has done the row it is on, dropping the rest
 * (a run that failed or was stopped). NULL is fine. */
void rowpipe_stop(rowpipe *p);

#endif
