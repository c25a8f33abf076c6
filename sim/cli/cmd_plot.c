/* SPDX-License-Identifier: MIT
 *
 * `ratesim plot`: the figures and reports of `compare` for runs already in
 * a database, by default its latest run. Everything comes from the
 * database; the plot driver (plot.c) does the work.
 */
#include "sim/cli/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cli/plot.h"
#include "sim/io/units.h"

#define PLOT_MAX_RUNS 64

static const char plot_usage[] =
    "usage: ratesim plot --db FILE [--run ID ...] [--out DIR] [--title T]\n";

static const char plot_help[] =
    "\nDraw runs of a ratesim database side by side, as compare does:\n"
    "figures (PNG and SVG), DIR/report.html and DIR/report.md, and the\n"
    "table on stdout.\n\n"
    "      --db FILE        the database (required)\n"
    "      --run ID         a run to draw; repeat it or give a list\n"
    "                       (--run 4,5,6); default: the latest run\n"
    "      --out DIR        where to write (default plots/out/ and the\n"
    "                       runs' common label prefix, or run-ID)\n"
    "      --title T        the reports' title\n"
    "  -h, --help           this help\n\n"
    "Needs gnuplot (Debian: gnuplot-nox). Exit codes: 0 ok, 2 bad usage,\n"
    "a missing database or run, 3 database, output or gnuplot failure.\n";

typedef struct plot_opts {
    const char *db, *out, *title;
    int64_t runs[PLOT_MAX_RUNS];
    int nruns;
} plot_opts;

static int
misuse(const char *fmt, const char *arg)
{
    cli_error(fmt, arg);
    fputs(plot_usage, stderr);
    return CLI_USAGE;
}

/* Adds the ids of a --run value ("4" or "4,5,6"). */
static int
add_runs(plot_opts *o, const char *arg)
{
    char buf[1024], *save = NULL;
    int64_t v;

    snprintf(buf, sizeof buf, "%s", arg);
    for (char *t = strtok_r(buf, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        if (units_parse_int(t, 1, INT64_MAX, &v))
            return misuse("--run: expected a run id, got \"%s\"", t);
        if (o->nruns == PLOT_MAX_RUNS)
            return misuse("--run: more than %s runs", "64");
        o->runs[o->nruns++] = v;
    }
    return 0;
}

/* Returns 0, -1 after --help, or an exit code. */
static int
parse_opts(int argc, char **argv, plot_opts *o)
{
    static const struct option longs[] = {
        {"db", required_argument, NULL, 'd'},
        {"run", required_argument, NULL, 'r'},
        {"out", required_argument, NULL, 'o'},
        {"title", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, rc;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longs, NULL)) != -1) {
        switch (c) {
        case 'd': o->db = optarg; break;
        case 'o': o->out = optarg; break;
        case 't': o->title = optarg; break;
        case 'r':
            if ((rc = add_runs(o, optarg)) != 0)
                return rc;
            break;
        case 'h':
            fputs(plot_usage, stdout);
            fputs(plot_help, stdout);
            return -1;
        case ':': return misuse("%s: needs a value", argv[optind - 1]);
        default: return misuse("unknown option \"%s\"", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return misuse("unexpected argument \"%s\"", argv[optind]);
    if (!o->db)
        return misuse("plot: %s is required", "--db FILE");
    return 0;
}

/* The latest run of the database, for a plot without --run. */
static int
latest(plot_opts *o)
{
    char err[1024];
    pd *p = NULL;
    int rc = pd_open(&p, o->db, err, sizeof err);

    if (rc == 0)
        rc = pd_latest_run(p, &o->runs[0], err, sizeof err);
    pd_close(p);
    if (rc != 0) {
        cli_error("%s", err);
        return rc;
    }
    o->nruns = 1;
    return 0;
}

int
cmd_plot(int argc, char **argv)
{
    plot_opts o = {0};
    char out[4096], err[1024] = "";
    plot_in in;
    int rc = parse_opts(argc, argv, &o);

    if (rc != 0)
        return rc < 0 ? CLI_OK : rc;
    if (o.nruns == 0 && (rc = latest(&o)) != 0)
        return rc;
    in = (plot_in){.db = o.db, .out = o.out, .title = o.title,
                   .runs = o.runs, .nruns = o.nruns, .names = NULL};
    if ((rc = plot_make(&in, stdout, out, sizeof out, err, sizeof err))) {
        cli_error("%s", err);
        return rc;
    }
    printf("\nreport: %s/report.html (and report.md, figures beside it)\n",
           out);
    return CLI_OK;
}
