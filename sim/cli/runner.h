/* SPDX-License-Identifier: MIT
 *
 * The runner: one simulation as the commands run it. It reads the scenario
 * (with the --algo and --seed overrides), opens the workload stream, builds
 * the engine, and hands every finished attempt to the caller together with
 * its client's and provider's names, keeping the run's digest on the way.
 * `run`, `check` and the like differ only in what they do with the rows.
 */
#ifndef RS_SIM_CLI_RUNNER_H
#define RS_SIM_CLI_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#include "sim/engine.h"
#include "sim/io/overlay.h"

typedef struct runner_in {
    const char *workload;       /* path, or "-" for standard input */
    const char *scenario;
    const char *algo;           /* NULL: the scenario's algorithms */
    uint64_t seed;
    int has_seed;               /* replace the scenario's seed */
    const ovl_flag *flags;      /* --provider, --client, --sim, --set over */
    int nflags;                 /* the scenario (which may then be NULL) */
    int no_workload_sha;        /* runner_workload_sha256 will not be asked
                                   (it then gives "") */
} runner_in;

/* A row and the names it refers to (provider NULL when none). */
typedef int (*runner_row_fn)(void *ctx, const sim_row *row,
                             const char *client, const char *provider,
                             char *err, size_t errlen);

typedef struct runner runner;

/* Reads in's scenario into *cfg: the file, the flags over it (through
 * sim/io/overlay.h, so errors name the flag), then --seed and --algo.
 * sha gets the SHA-256 of the scenario's text: the file's when no flag
 * changed it, else that of the text ovl built (empty when unknown).
 * Returns 0, or 2/3 with a message; on failure *cfg holds nothing. */
int runner_scenario(const runner_in *in, sim_config *cfg, char sha[65],
                    char *err, size_t errlen);

/* Reads and checks the inputs. Returns 0, or 2/3 with a message. */
int runner_open(runner **out, const runner_in *in, char *err, size_t errlen);
void runner_close(runner *r);

const sim_config *runner_config(const runner *r);
sim *runner_sim(runner *r);
const char *runner_scenario_sha256(const runner *r);

/* Runs to the end, each row to fn. Returns 0 or the error class (SIM_*). */
int runner_go(runner *r, runner_row_fn fn, void *ctx, char *err,
              size_t errlen);

/* After runner_go: the digest (32 hex) and the workload's SHA-256 (64;
 * "" with no_workload_sha). */
void runner_digest(const runner *r, char hex[33]);
void runner_workload_sha256(runner *r, char hex[65]);

#endif
