/* SPDX-License-Identifier: MIT
 *
 * The plot driver: from runs already in a database to a folder of figures
 * and reports, as `compare` and `plot` make them. It reads each run back
 * through sim/io/plotdata (so every number comes from the database),
 * writes the small .dat files and a series.gp of names and colours under
 * OUT/data/, runs gnuplot once as a program on the templates in plots/
 * (pngcairo and svg), and writes OUT/report.html (SVG inline) and
 * OUT/report.md (PNG beside it).
 *
 * Everything is made in a temporary folder inside OUT and moved into place
 * only when all of it succeeded, so a failure leaves OUT as it was. A
 * series is one run; the same algorithm gets the same colour in every
 * figure and every report, when the algorithms tell the series apart.
 */
#ifndef RS_SIM_CLI_PLOT_H
#define RS_SIM_CLI_PLOT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/io/plotdata.h"

#define PLOT_NAME_MAX 128
#define PLOT_FIGS 8

/* One run as the figures and the report show it. */
typedef struct plot_series {
    char name[PLOT_NAME_MAX];   /* in legends and table rows */
    const char *color;          /* "#rrggbb" */
    int same_as;                /* an earlier series with the same digest,
                                   or -1 */
    pd_run run;
    pd_summary sum;             /* with the clients */
} plot_series;

typedef struct plot_set {
    const char *db, *title;     /* db NULL: runs not recorded */
    int n;
    plot_series *s;
    sim_time width;             /* of the time bins */
    int64_t window;             /* bins in the rate's trailing window */
    int nfigures;
    const char *figures[PLOT_FIGS];     /* base names made, e.g. "rate" */
    const char *captions[PLOT_FIGS];
} plot_set;

/* What to plot: runs[0..nruns) of db, with these names (NULL: from the
 * runs' labels), into folder out (made when missing), under a title. With
 * src, the runs are read from that pd instead (the caller's, left open: a
 * memory pd of runs not recorded when db is NULL). */
typedef struct plot_in {
    const char *db, *out, *title;
    pd *src;
    const int64_t *runs;
    int nruns;
    const char *const *names;
} plot_in;

/* Makes the figures and reports into in->out, or when that is NULL into
 * the default folder under plots/out/: the runs' common label prefix
 * ("edge" of "edge/gcra"), else run-ID or runs-FIRST-LAST. The folder used
 * goes into used. When table is not NULL, the report's table is printed
 * there as text. Returns 0, 2 (a missing database or run) or 3 (gnuplot
 * missing or failing, a file that cannot be written), with one line in
 * err. */
int plot_make(const plot_in *in, FILE *table, char *used, size_t usedlen,
              char *err, size_t errlen);

/* The reports (plotreport.c), from a loaded set into folder dir, which
 * holds the figures. Return 0 or 3 with a message. */
int plot_write_md(const plot_set *ps, const char *dir, char *err,
                  size_t errlen);
int plot_write_html(const plot_set *ps, const char *dir, char *err,
                    size_t errlen);

/* Prints the report's table as aligned text. */
void plot_print_table(const plot_set *ps, FILE *f);

/* Formats a wait in seconds for a table (4 significant digits). */
void plot_fmt_wait(sim_time ns, char *buf, size_t n);

#endif
