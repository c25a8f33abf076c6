/* SPDX-License-Identifier: MIT
 *
 * The workload generator behind `ratesim gen`: a seeded arrival process
 * and per-request attributes, yielded one request at a time, so that ten
 * million rows take the same memory as ten. No I/O; the command writes the
 * CSV.
 *
 * Arrivals fall in [0, duration) with a mean rate of N per W:
 *
 *   constant  exactly every W/N: the k-th (from 0) at ceil(k*W/N)
 *   poisson   exponential gaps with mean W/N
 *   onoff     Poisson at N/W during `on`, nothing during `off`, repeating
 *             (on first, from 0); the rate is the rate inside a burst
 *   diurnal   Poisson with intensity (N/W)(1 - depth cos(2 pi t/period)),
 *             made by thinning: lowest at 0 ("midnight"), highest at half a
 *             period, N/W on average over a whole period
 *   pareto    Pareto (type I) gaps with shape a > 1 and mean W/N:
 *             heavy-tailed, bursty, the same long-run rate
 *
 * Times are integer nanoseconds; a random gap is rounded to the nearest
 * nanosecond and added to an integer clock, so nothing drifts. Every
 * random choice has its own stream of the seed (gaps, thinning, clients,
 * priorities, costs, valid-after), so changing one option never shifts
 * the draws of another: the same seed gives the same arrival times whether
 * or not priorities are asked for.
 */
#ifndef RS_SIM_GEN_H
#define RS_SIM_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "sim/engine.h"

#define GEN_MAX_CHOICES 64

enum gen_pattern {
    GEN_CONSTANT, GEN_POISSON, GEN_ONOFF, GEN_DIURNAL, GEN_PARETO,
    GEN_NPATTERNS
};

/* One weighted value: a priority or a cost and its relative weight. */
typedef struct gen_choice {
    int64_t value;
    uint64_t weight;
} gen_choice;

/* What to generate. gen_opts_init gives the defaults; the caller sets the
 * rest. Callers hold it on the stack, so it is not opaque. */
typedef struct gen_opts {
    int pattern;                /* GEN_* */
    int64_t count;              /* rate: count per window */
    sim_time window;
    sim_time duration;          /* arrivals in [0, duration) */
    uint64_t seed;
    uint32_t clients;           /* client numbers 0 .. clients-1 */
    int npriorities;            /* 0: every priority 0 */
    gen_choice priorities[GEN_MAX_CHOICES];
    int ncosts;                 /* 0: every cost 1 */
    gen_choice costs[GEN_MAX_CHOICES];
    int has_after;              /* after = at + uniform [after_min, after_max] */
    sim_time after_min, after_max;
    sim_time deadline;          /* SIM_NONE: none; else ready time + this */
    sim_time on, off;           /* onoff */
    sim_time period;            /* diurnal */
    double depth;               /* diurnal, in [0, 1] */
    double shape;               /* pareto, > 1 */
} gen_opts;

typedef struct gen gen;

/* Defaults: poisson, seed 1, one client, diurnal depth 0.5, pareto shape
 * 1.5; no rate or duration (gen_new refuses until they are set). */
void gen_opts_init(gen_opts *o);

/* The pattern named s, or -1. */
int gen_pattern_find(const char *s);
/* The name of a pattern ("constant", ...). */
const char *gen_pattern_name(int pattern);

/* Checks o and makes a generator (o is copied). Returns 0, 2 with a
 * message naming the option at fault, or 3 when out of memory. */
int gen_new(gen **out, const gen_opts *o, char *err, size_t errlen);
void gen_free(gen *g);

/* The next request (ids 1, 2, ...; at non-decreasing; provider -1,
 * service SIM_NONE). Returns 1, or 0 when the duration is over. */
int gen_next(gen *g, sim_request *out);

#endif
