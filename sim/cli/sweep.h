/* SPDX-License-Identifier: MIT
 *
 * `ratesim sweep`: what its two files share. cmd_sweep.c reads the
 * options, checks every point, and either runs the grid on a pool of
 * processes (sim/cli/pool.h), each with its own database shard, merged
 * at the end, or hands the jobs to sweep_emit.c, which writes them as
 * self-contained `ratesim run` commands for GNU parallel or a Slurm job
 * array. Both paths give run i the same scenario, seed, algorithm and
 * label, so the same grid gives the same runs either way, and `merge`
 * recognises them as the same.
 */
#ifndef RS_SIM_CLI_SWEEP_H
#define RS_SIM_CLI_SWEEP_H

#include <stddef.h>
#include <stdint.h>

#include "sim/cli/grid.h"
#include "sim/cli/scnopt.h"

typedef struct sweep_opts {
    const char *workload, *scenario, *db, *label;
    const char *best;               /* summary order; NULL: p99_wait */
    const char *emit_jobs, *emit_slurm, *shards, *ratesim;
    int jobs;                       /* -j; 0: one per core */
    int summary, json;
    scnopt flags;                   /* applied to every point */
    grid g;
} sweep_opts;

/* Writes --emit-jobs and/or --emit-slurm, creating the shard folder the
 * commands write into. Returns 0, or 2/3 with a message. */
int sweep_emit(const sweep_opts *o, char *err, size_t errlen);

/* The folder emitted jobs write their databases into: --shards, else the
 * --db path without ".db" and with ".shards". Owned by the caller. */
char *sweep_shard_dir(const sweep_opts *o);

#endif
