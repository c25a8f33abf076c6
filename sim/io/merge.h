/* SPDX-License-Identifier: MIT
 *
 * Merging result databases: the runs of several ratesim databases (SPEC
 * §7, the shards of a sweep, the outputs of jobs run elsewhere) copied
 * into one, each with a fresh run id, with its providers, its provider
 * figures and every dispatch. All of it is one transaction of the output:
 * it holds all the new runs or none. A run the output already holds (the
 * same digest, label, algorithm, seed and input hashes) is not copied
 * again, so merging the same shards twice changes nothing. An input of
 * another schema version (recorder.h's REC_SCHEMA_VERSION) is refused.
 */
#ifndef RS_SIM_IO_MERGE_H
#define RS_SIM_IO_MERGE_H

#include <stddef.h>
#include <stdint.h>

/* Told, after the commit, for every run of the inputs in order (input,
 * then run id): its id in the output, and whether this merge copied it
 * (1) or the output held it already (0). */
typedef void (*mrg_run_fn)(void *ctx, int input, int64_t old_id,
                           int64_t out_id, int copied);

/* The place of a run of the inputs among those copied: lowest first (the
 * output's ids follow it). */
typedef int64_t (*mrg_rank_fn)(void *ctx, int input, int64_t old_id);

/* What a caller may hook in; any member may be NULL. Without rank, runs
 * are copied by input, then run id. */
typedef struct mrg_hooks {
    mrg_run_fn run;
    mrg_rank_fn rank;
    void *ctx;
} mrg_hooks;

typedef struct mrg_totals {
    int64_t runs;           /* runs in the inputs */
    int64_t copied;         /* of which copied */
    int64_t duplicates;     /* of which already held */
} mrg_totals;

/* Merges in[0..nin) into out (created when missing). hooks may be NULL.
 * Returns 0; 2 with "path: reason" when an input is missing, is not a
 * ratesim database or has another schema version; 3 when the output
 * cannot be written. On failure out is as it was. */
int mrg_merge(const char *out, const char *const *in, int nin,
              const mrg_hooks *hooks, mrg_totals *tot, char *err,
              size_t errlen);

#endif
