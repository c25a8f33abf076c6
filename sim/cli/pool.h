/* SPDX-License-Identifier: MIT
 *
 * A pool of worker processes for the jobs of a sweep. N children are
 * forked; the parent hands each a job number over its own pipe, and gives
 * it the next as soon as its result comes back on the pipe all of them
 * share, so a slow job holds up only its worker. Every worker sets itself
 * up once (the sweep opens its database shard there) and runs its jobs in
 * turn; no state is shared but what the pipes carry.
 *
 * The first failed job stops the handing out: the jobs under way finish,
 * the workers exit, and pool_run returns that job's code and message. So
 * does a stop flag set by a signal (the workers, in the terminal's process
 * group, get SIGINT themselves; a SIGTERM to the parent alone is passed on
 * to them). Only the parent sees the results, through a callback, so it
 * alone prints.
 */
#ifndef RS_SIM_CLI_POOL_H
#define RS_SIM_CLI_POOL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

/* What a job sends back. Small enough for one atomic pipe write. */
typedef struct pool_result {
    int64_t job;            /* -1: the worker could not start */
    int worker;
    int rc;                 /* 0, or the exit code to end with */
    int64_t id;             /* the job's own: a run id in the shard */
    char digest[33];
    char err[400];
} pool_result;

typedef struct pool_ops {
    /* In a child, once: its setup. Returns 0, or an exit code with a
     * message in res->err. */
    int (*start)(void *ctx, int worker, pool_result *res);
    /* In a child, per job: fills res (job and worker are set). */
    void (*job)(void *ctx, int64_t job, pool_result *res);
    /* In a child, at the end. */
    void (*finish)(void *ctx);
    /* In the parent, per result that came back (failures included). */
    void (*done)(void *ctx, const pool_result *res);
} pool_ops;

/* Runs jobs 0..njobs-1 on nworkers children. stop, when it becomes
 * non-zero (the caller's signal handlers set it to the signal's number),
 * ends the handing out. Returns 0 when every job succeeded; else the
 * first failure's rc with its message in err (a worker that died is 3,
 * a stop 128 + the signal). */
int pool_run(int nworkers, int64_t njobs, const pool_ops *ops, void *ctx,
             volatile sig_atomic_t *stop, char *err, size_t errlen);

#endif
