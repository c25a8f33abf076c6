/* SPDX-License-Identifier: MIT
 *
 * Tallies: the figures of a set of runs taken together, read back from a
 * ratesim database (SPEC §7) on a read-only connection of its own. A
 * sweep's grid point is a set of runs (one per seed), and its summary row
 * is their tally: the attempts of all of them pooled, so a quantile is
 * over every wait of every seed, not an average of averages.
 *
 * Definitions (plotdata.h's, which the comparison report uses too):
 *   - dispatched: attempts that went out (ok or failed);
 *   - rejected, expired, ...: attempts with that outcome;
 *   - wait: t_dispatch - t_ready of a dispatched attempt; the quantile q
 *     of n waits is the one at 1-based rank ceil(q·n);
 *   - over limit: for each provider of each run, the permits its worst
 *     window held beyond the N of its first rate limit N/W (0 when within
 *     it), summed.
 */
#ifndef RS_SIM_IO_TALLY_H
#define RS_SIM_IO_TALLY_H

#include <stddef.h>
#include <stdint.h>

#include "sim/engine.h"

typedef struct tly tly;

typedef struct tly_figures {
    int64_t runs;           /* run ids asked for */
    int64_t requests;       /* first attempts */
    int64_t attempts;       /* rows */
    int64_t dispatched;
    int64_t outcomes[SIM_DROPPED + 1];  /* rows by outcome (SIM_OK...) */
    int64_t over_limit;
    sim_time wait_p50, wait_p99, wait_max;  /* SIM_NONE: nothing went */
} tly_figures;

/* Opens path read-only. Returns 0, 2 when there is no such file, or 3;
 * "path: reason" in err. */
int tly_open(tly **out, const char *path, char *err, size_t errlen);
void tly_close(tly *t);

/* The figures of runs ids[0..n) together. Returns 0, or 3. */
int tly_runs(tly *t, const int64_t *ids, int n, tly_figures *out,
             char *err, size_t errlen);

#endif
