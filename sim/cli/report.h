/* SPDX-License-Identifier: MIT
 *
 * The run summary: counts outcomes and waits as rows stream past (waits in
 * bounded-memory histograms, one per priority and one for each of the first
 * REPORT_CLIENT_HISTS clients), then prints the summary of SPEC §6 as text
 * or as one JSON object.
 */
#ifndef RS_SIM_CLI_REPORT_H
#define RS_SIM_CLI_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "sim/engine.h"

typedef struct report report;

/* What the summary says about the run beside the rows. */
typedef struct report_run {
    int64_t run_id;             /* 0 when not recorded */
    const char *label, *algo, *db, *digest;
    uint64_t seed, requests, events;
    sim_time end;
    double wall_ms;
} report_run;

report *report_new(const sim_config *cfg);  /* NULL when out of memory */
void report_free(report *r);
/* Counts one row; client is its client's key. 0, or -1 out of memory. */
int report_row(report *r, const sim_row *row, const char *client);
void report_print(const report *r, const sim *s, const report_run *run,
                  FILE *f, int json);

#endif
