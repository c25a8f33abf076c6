/* SPDX-License-Identifier: MIT
 *
 * A sweep's grid: axes of scenario keys with lists of values (--grid
 * P1.rate=5/s,10/s), the algorithms (--algos) and the seeds (--seeds
 * 1..10). A *point* is one value of every axis and one algorithm; a *run*
 * is a point and a seed. Runs are numbered 0..nruns-1 with the first axis
 * slowest, then the algorithm, the seed fastest, so the runs of a point
 * are consecutive and a point is run / nseeds.
 *
 * A point's values reach the scenario as --set flags (sim/io/overlay.h),
 * named "--grid KEY=VALUE" in messages, after the sweep's own scenario
 * flags. Its label, stored with each of its runs, is "KEY=VALUE ..." with
 * " algo=NAME" when --algos was given, behind "PREFIX/" with --label.
 */
#ifndef RS_SIM_CLI_GRID_H
#define RS_SIM_CLI_GRID_H

#include <stddef.h>
#include <stdint.h>

#include "sim/io/overlay.h"

#define GRID_MAX_AXES 16
#define GRID_MAX_RUNS 1000000

typedef struct grid_axis {
    char *key;              /* "P1.rate" */
    int n;
    char **origin;          /* "--grid P1.rate=5/s", one per value; the
                               --set text is what follows "--grid " */
} grid_axis;

typedef struct grid {
    grid_axis axis[GRID_MAX_AXES];
    int naxes;
    char **algos;           /* NULL entry: the scenario's own */
    int nalgos;             /* 0: no --algos */
    uint64_t *seeds;
    int nseeds;             /* 0: no --seeds (the scenario's seed) */
} grid;

/* --grid KEY=V1,V2,... (split at "|" instead when there is one, for
 * values with commas; an integer range A..B stands for A, A+1, ..., B).
 * Returns 0, or 2 with a message. */
int grid_add_axis(grid *g, const char *arg, char *err, size_t errlen);

/* --algos A,B,... ("scenario": the scenario's own algorithms). */
int grid_set_algos(grid *g, const char *arg, char *err, size_t errlen);

/* --seeds 1..10 or 1,2,5 or 1..3,7. */
int grid_set_seeds(grid *g, const char *arg, char *err, size_t errlen);

void grid_clear(grid *g);

/* Points and runs; 0 when past GRID_MAX_RUNS. */
int64_t grid_points(const grid *g);
int64_t grid_runs(const grid *g);

/* What run i is: its point, its algorithm (NULL: the scenario's) and its
 * seed (has_seed 0: the scenario's). */
typedef struct grid_run {
    int64_t point;
    const char *algo;
    int has_seed;
    uint64_t seed;
    int value[GRID_MAX_AXES];   /* the index of each axis's value */
} grid_run;

void grid_run_at(const grid *g, int64_t i, grid_run *r);

/* The --set flags of run r into out (g->naxes of them). */
void grid_flags(const grid *g, const grid_run *r, ovl_flag *out);

/* The label of run r's point, with prefix (may be NULL). */
void grid_label(const grid *g, const grid_run *r, const char *prefix,
                char *buf, size_t n);

#endif
