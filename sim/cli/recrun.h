/* SPDX-License-Identifier: MIT
 *
 * Recording a run: what `run` and `compare` share around the runner. A run
 * is begun in a recorder with its runs row and one providers row per
 * provider, each provider's limits described as text ("token_bucket 10/1s
 * burst=5; fixed_window 500/3600s", which `plot` reads back); long runs
 * show their progress on stderr when it is a terminal.
 */
#ifndef RS_SIM_CLI_RECRUN_H
#define RS_SIM_CLI_RECRUN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sim/engine.h"
#include "sim/io/plotdata.h"
#include "sim/io/recorder.h"

/* Begins a run in r described by meta, and records cfg's providers (the
 * run gets its id at rec_commit). Returns 0, or 3 with a message (the run
 * rolled back). */
int recrun_begin(rec *r, const rec_run *meta, const sim_config *cfg,
                 char *err, size_t errlen);

/* Begins the same run in p, a memory pd that keeps only what the figures
 * need (compare --db none): meta and cfg's providers described as
 * recrun_begin records them. Returns 0, or 3 with a message. */
int recrun_feed_begin(pd *p, const rec_run *meta, const sim_config *cfg,
                      pd_feed **out, char *err, size_t errlen);

/* Milliseconds of wall time since t0 (CLOCK_MONOTONIC). */
double recrun_wall_ms(const struct timespec *t0);

/* Stages every provider's end-of-run figures (over-admission, refused
 * asks, round trips) for rec_commit. Returns 0 or 3 with a message. */
int recrun_stats(rec *r, const sim *s, int nproviders, char *err,
                 size_t errlen);

/* Progress of one run on stderr, a few updates a second once it passes a
 * second, only when stderr is a terminal. The caller holds it on the stack
 * while the run goes. */
typedef struct recrun_progress {
    struct timespec t0;
    double last_ms;
    int shown;
} recrun_progress;

/* Starts the clock (p->t0) and hooks progress into s. */
void recrun_progress_start(recrun_progress *p, sim *s);
/* Ends the progress line, if one was shown. */
void recrun_progress_end(recrun_progress *p);

#endif
