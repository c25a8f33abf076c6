/* SPDX-License-Identifier: MIT
 *
 * Prefetch: a request source read on a thread of its own, a few thousand
 * requests ahead of the engine, so that parsing the workload (a third of a
 * plain run's time) overlaps the simulation on a second core.
 *
 * The engine pulls requests exactly as it would from the source itself
 * (prefetch_next is a sim_source_fn): the same requests in the same order,
 * then the same end or the same error, with its message. Memory is bounded
 * by PREFETCH_SLOTS batches of PREFETCH_BATCH requests.
 *
 * The wrapped source is called only from the prefetch thread between
 * prefetch_start and prefetch_stop; whatever else the caller reads from the
 * source's owner meanwhile must be safe against that (the workload
 * reader's client names are). Use it for inputs that never block for long:
 * prefetch_stop waits for the batch being read to be finished.
 */
#ifndef RS_SIM_IO_PREFETCH_H
#define RS_SIM_IO_PREFETCH_H

#include <stddef.h>

#include "sim/engine.h"

/* 8192 requests a batch: with 2048, the hand-overs and their
 * wake-ups cost a tenth of a run's wall time on two cores. */
#define PREFETCH_BATCH 8192
#define PREFETCH_SLOTS 4

typedef struct prefetch prefetch;

/* Starts reading src(ctx) on a new thread. Returns 0, or 3 with a message
 * when the thread or its memory cannot be had. */
int prefetch_start(prefetch **out, sim_source_fn src, void *ctx, char *err,
                   size_t errlen);

/* The next request (1), the end (0) or the source's error, as src would
 * have returned them; ctx is the prefetch. */
int prefetch_next(void *ctx, sim_request *out, char *err, size_t errlen);

/* Stops the thread (at the end of the batch it is reading), joins it and
 * frees everything. NULL is fine. */
void prefetch_stop(prefetch *p);

#endif
