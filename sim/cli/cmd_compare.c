/* SPDX-License-Identifier: MIT
 *
 * `ratesim compare`: run one workload against a scenario once per
 * algorithm (or against several scenarios), record each as a labelled run,
 * then draw them side by side through the plot driver: figures, report.html
 * and report.md in one folder, and the table on stdout.
 *
 * A series is one (scenario, algorithm) pair; "scenario" in --algos means
 * the scenario's own limits. Its name is the algorithm with one scenario,
 * the scenario's file stem with one algorithm, both ("stem/algo") else;
 * its run's label is "NAME/series", NAME being --name (default: the
 * scenario's stem, or the workload's with several scenarios), so `plot`
 * finds the same names again in the database. Each run is its own
 * transaction: an interrupted or failing run leaves nothing, the runs
 * before it stay. A missing gnuplot fails after the runs (exit 3), which
 * are then in the database for `plot`.
 *
 * The figures and reports are made from the runs in memory: each run's
 * rows are aggregated as they are simulated (plotdata's memory pd),
 * besides being recorded, and kept under the id the database gave the run.
 * The numbers are those `plot` reads back from the database (tests hold
 * the two to the byte); reading 10^6 rows a run back took longer than
 * recording them. With --db none nothing is recorded at all.
 */
#include "sim/cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "algos/algos.h"
#include "sim/cli/plot.h"
#include "sim/cli/recrun.h"
#include "sim/cli/runner.h"
#include "sim/io/recorder.h"
#include "sim/io/units.h"

#define DEFAULT_DB "results/ratesim.db"
#define CMP_MAX_SCENARIOS 8
#define CMP_MAX_ALGOS 16
#define CMP_MAX_SERIES (CMP_MAX_SCENARIOS * CMP_MAX_ALGOS)

static const char compare_usage[] =
    "usage: ratesim compare -w WORKLOAD -c SCENARIO [-c SCENARIO ...]\n"
    "                       [--algos A,B,...] [--seed N] [--db FILE|none]\n"
    "                       [--out DIR] [--name NAME]\n";

static const char compare_help[] =
    "\nRun WORKLOAD against SCENARIO once per algorithm in --algos, each a\n"
    "labelled run in the database, and draw them side by side: dispatch\n"
    "rate against the limit, cumulative arrivals and dispatches, the wait\n"
    "CDF, the queue length, the share per provider (with several). Writes\n"
    "DIR/report.html (one self-contained page, SVG inline), DIR/report.md\n"
    "(with the PNG figures beside it) and prints the table.\n\n"
    "  -w, --workload FILE  requests to simulate (SPEC section 3)\n"
    "  -c, --scenario FILE  providers and limits; give several to compare\n"
    "                       scenarios (each with every --algos entry)\n"
    "      --algos LIST     comma-separated algorithms to put in place of\n"
    "                       every provider's rate limit, as run --algo does;\n"
    "                       'scenario' is the scenario's own (the default)\n"
    "      --seed N         replace the scenarios' seeds\n"
    "      --db FILE|none   record into FILE (default " DEFAULT_DB "); none:\n"
    "                       record nothing, make the figures and reports\n"
    "                       from the runs in memory (faster)\n"
    "      --out DIR        write the report there (default plots/out/NAME)\n"
    "      --name NAME      the comparison's name, in labels and the title\n"
    "                       (default: the scenario's file name without\n"
    "                       extension; the workload's with several)\n"
    "  -h, --help           this help\n\n"
    "Runs are labelled NAME/SERIES; `ratesim plot --db FILE --run ID ...`\n"
    "draws them again. Needs gnuplot (Debian: gnuplot-nox).\n"
    "Exit codes: 0 ok, 2 bad usage or input, 3 database, output or gnuplot\n"
    "failure (the runs made are kept), 130/143 interrupted.\n";

typedef struct cmp_opts {
    const char *workload, *db, *out, *name;
    const char *scenarios[CMP_MAX_SCENARIOS];
    int nscenarios;
    char *algos_buf;                    /* owned copy of --algos */
    const char *algos[CMP_MAX_ALGOS];   /* NULL entry: the scenario's own */
    int nalgos;
    uint64_t seed;
    int has_seed;
} cmp_opts;

/* One series to run. */
typedef struct cmp_series {
    const char *scenario, *algo;
    char name[PLOT_NAME_MAX], label[2 * PLOT_NAME_MAX];
    int64_t run_id;
} cmp_series;

static volatile sig_atomic_t stop_signal;

static void
on_signal(int sig)
{
    stop_signal = sig;
}

/* ================================================================ options */

static int
misuse(const char *what, const char *arg)
{
    cli_error(what, arg);
    fputs(compare_usage, stderr);
    return CLI_USAGE;
}

/* Splits --algos into o->algos, checking each name. */
static int
parse_algos(cmp_opts *o, const char *arg)
{
    char names[256];

    free(o->algos_buf);
    if (!(o->algos_buf = strdup(arg))) {
        cli_error("out of memory");
        return CLI_IO;
    }
    o->nalgos = 0;
    for (char *save = NULL, *t = strtok_r(o->algos_buf, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        if (o->nalgos == CMP_MAX_ALGOS)
            return misuse("--algos: more than %s algorithms", "16");
        if (strcmp(t, "scenario") != 0 && !algo_find(t)) {
            algo_names(names, sizeof names);
            cli_error("--algos: unknown algorithm \"%s\" (known: %s, or "
                      "scenario)", t, names);
            return CLI_USAGE;
        }
        for (int i = 0; i < o->nalgos; i++)
            if (!strcmp(o->algos[i] ? o->algos[i] : "scenario", t))
                return misuse("--algos: \"%s\" is given twice", t);
        o->algos[o->nalgos++] = strcmp(t, "scenario") ? t : NULL;
    }
    return o->nalgos ? 0 : misuse("--algos: %s", "no algorithm given");
}

static int
parse_one(cmp_opts *o, int c, const char *arg, char **argv)
{
    int64_t v;

    switch (c) {
    case 'w': o->workload = arg; return 0;
    case 'c':
        if (o->nscenarios == CMP_MAX_SCENARIOS)
            return misuse("-c: more than %s scenarios", "8");
        o->scenarios[o->nscenarios++] = arg;
        return 0;
    case 'a': return parse_algos(o, arg);
    case 'd': o->db = arg; return 0;
    case 'o': o->out = arg; return 0;
    case 'n': o->name = arg; return 0;
    case 's':
        if (units_parse_int(arg, 0, INT64_MAX, &v))
            return misuse("--seed: expected a non-negative integer, got "
                          "\"%s\"", arg);
        o->seed = (uint64_t)v;
        o->has_seed = 1;
        return 0;
    case ':': return misuse("%s: needs a value", argv[optind - 1]);
    default: return misuse("unknown option \"%s\"", argv[optind - 1]);
    }
}

/* Returns 0, -1 after --help, or an exit code. */
static int
parse_opts(int argc, char **argv, cmp_opts *o)
{
    static const struct option longs[] = {
        {"workload", required_argument, NULL, 'w'},
        {"scenario", required_argument, NULL, 'c'},
        {"algos", required_argument, NULL, 'a'},
        {"seed", required_argument, NULL, 's'},
        {"db", required_argument, NULL, 'd'},
        {"out", required_argument, NULL, 'o'},
        {"name", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, rc;

    o->db = DEFAULT_DB;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":w:c:h", longs, NULL)) != -1) {
        if (c == 'h') {
            fputs(compare_usage, stdout);
            fputs(compare_help, stdout);
            return -1;
        }
        if ((rc = parse_one(o, c, optarg, argv)) != 0)
            return rc;
    }
    if (optind < argc)
        return misuse("unexpected argument \"%s\"", argv[optind]);
    if (!o->workload || !o->nscenarios)
        return misuse("compare: %s are required",
                      "-w WORKLOAD and -c SCENARIO");
    if (!o->nalgos)
        o->algos[o->nalgos++] = NULL;
    return 0;
}

/* ================================================================ names */

/* The file name of path without folder and extension. */
static void
stem(const char *path, char *buf, size_t n)
{
    const char *base = strrchr(path, '/');
    const char *dot;

    base = base ? base + 1 : path;
    dot = strrchr(base, '.');
    snprintf(buf, n, "%.*s", (int)(dot && dot != base ? dot - base
                                                      : (long)strlen(base)),
             base);
}

/* The length of the prefix ending in '-' or '_' that all of the stems
 * share and none is only ("storm-" of storm-sync and storm-jitter). */
static size_t
shared_prefix(char stems[][PLOT_NAME_MAX], int n)
{
    size_t best = 0;

    for (size_t k = 0; n > 1 && stems[0][k]; k++) {
        int all = 1;
        for (int i = 1; i < n && all; i++)
            all = stems[i][k] == stems[0][k] && stems[i][k + 1] != '\0';
        if (!all || stems[0][k + 1] == '\0')
            break;
        if (stems[0][k] == '-' || stems[0][k] == '_')
            best = k + 1;
    }
    return best;
}

/* The name of series (scenario i, algorithm a). */
static void
series_name(const cmp_opts *o, const char *st, const char *a, char *buf,
            size_t n)
{
    if (o->nscenarios == 1)
        snprintf(buf, n, "%s", a ? a : "scenario");
    else if (o->nalgos == 1)
        snprintf(buf, n, "%s", st);
    else
        snprintf(buf, n, "%.60s/%.60s", st, a ? a : "scenario");
}

/* The series, in order: every algorithm of the first scenario, then of
 * the next. Fails (2) when two scenarios share a stem. */
static int
plan_series(const cmp_opts *o, const char *name, cmp_series *sv)
{
    char stems[CMP_MAX_SCENARIOS][PLOT_NAME_MAX];
    size_t pre;
    int n = 0;

    for (int i = 0; i < o->nscenarios; i++)
        stem(o->scenarios[i], stems[i], sizeof stems[i]);
    pre = shared_prefix(stems, o->nscenarios);
    for (int i = 0; i < o->nscenarios; i++)
        for (int k = 0; k < o->nalgos; k++, n++) {
            cmp_series *s = &sv[n];
            s->scenario = o->scenarios[i];
            s->algo = o->algos[k];
            series_name(o, stems[i] + pre, s->algo, s->name, sizeof s->name);
            snprintf(s->label, sizeof s->label, "%s/%s", name, s->name);
            for (int j = 0; j < n; j++)
                if (!strcmp(sv[j].name, s->name))
                    return misuse("-c: two scenarios are called \"%s\"",
                                  stems[i]);
        }
    return 0;
}

/* ================================================================ runs */

/* Where a series' rows go: the run in memory, and the database unless
 * --db none. */
typedef struct cmp_sink {
    rec *r;                             /* NULL: --db none */
    pd_feed *feed;
} cmp_sink;

static int
sink(void *ctx, const sim_row *row, const char *client, const char *provider,
     char *err, size_t errlen)
{
    cmp_sink *k = ctx;
    int rc;

    (void)provider;
    if (k->r && (rc = rec_row(k->r, row, client, err, errlen)) != 0)
        return rc;
    if (pd_feed_row(k->feed, row, client) == 0)
        return 0;
    snprintf(err, errlen, "out of memory");
    return SIM_EIO;
}

static int
recording(const cmp_opts *o)
{
    return strcmp(o->db, "none") != 0;
}

static int
exit_code(int rc)
{
    if (rc == SIM_EINTR)
        return stop_signal == SIGTERM ? 143 : 130;
    return rc == SIM_EINPUT ? CLI_USAGE : CLI_IO;
}

/* Ends series s's simulated run: commits it into k->r unless that is
 * NULL, then keeps it in mem under the same id (k->feed then gone). Its
 * digest into dg. Returns 0, or a SIM_* error class with the message in
 * err. */
static int
end_series(cmp_sink *k, pd *mem, runner *rn, const struct timespec *t0,
           cmp_series *s, char dg[33], char *err, size_t errlen)
{
    int64_t requests = (int64_t)sim_requests(runner_sim(rn));
    int64_t events = (int64_t)sim_events(runner_sim(rn));
    double wall_ms = recrun_wall_ms(t0);
    char wl_sha[65];
    int rc;

    runner_workload_sha256(rn, wl_sha);
    runner_digest(rn, dg);
    /* The run gets its id as it is committed; an interrupted wait for the
     * database is an interrupted run (SIM_EINTR). */
    if (k->r) {
        if ((rc = recrun_stats(k->r, runner_sim(rn),
                               runner_config(rn)->nproviders, err,
                               errlen)) != 0 ||
            (rc = rec_commit(k->r, requests, events, dg, wl_sha, wall_ms,
                             &s->run_id, err, errlen)) != 0)
            return rc;
        pd_feed_keep_as(k->feed, s->run_id);
    }
    rc = pd_feed_end(k->feed, requests, events, dg, wl_sha, wall_ms, err,
                     errlen);
    k->feed = NULL;
    return rc ? SIM_EIO : pd_latest_run(mem, &s->run_id, err, errlen);
}

/* Simulates series s into mem, and into r (committed) unless r is NULL;
 * prints one line. Returns 0, or a SIM_* error class with the message in
 * err. */
static int
run_series(const cmp_opts *o, rec *r, pd *mem, cmp_series *s, char *err,
           size_t errlen)
{
    runner_in in = {.workload = o->workload, .scenario = s->scenario,
                    .algo = s->algo, .seed = o->seed, .has_seed = o->has_seed};
    rec_run meta = {.label = s->label, .algo = s->algo,
                    .workload = o->workload, .scenario = s->scenario,
                    .version = RATESIM_VERSION};
    runner *rn = NULL;
    cmp_sink k = {.r = r};
    recrun_progress prog;
    char dg[33];
    int rc;

    if ((rc = runner_open(&rn, &in, err, errlen)) != 0)
        goto out;
    meta.seed = (int64_t)runner_config(rn)->seed;
    meta.scenario_sha256 = runner_scenario_sha256(rn);
    if ((rc = recrun_feed_begin(mem, &meta, runner_config(rn), &k.feed, err,
                                errlen)) != 0 ||
        (r && (rc = recrun_begin(r, &meta, runner_config(rn), err,
                                 errlen)) != 0))
        goto out;
    recrun_progress_start(&prog, runner_sim(rn));
    sim_set_stop(runner_sim(rn), &stop_signal);
    rc = runner_go(rn, sink, &k, err, errlen);
    recrun_progress_end(&prog);
    if (rc != 0) {
        if (r)
            rec_rollback(r);
        goto out;
    }
    rc = end_series(&k, mem, rn, &prog.t0, s, dg, err, errlen);
    if (rc != 0)
        goto out;
    printf("run %-5lld %-24s %llu requests, %llu events, %.1f ms, digest "
           "%s\n", (long long)s->run_id, s->name,
           (unsigned long long)sim_requests(runner_sim(rn)),
           (unsigned long long)sim_events(runner_sim(rn)),
           recrun_wall_ms(&prog.t0), dg);
    fflush(stdout);
out:
    pd_feed_abort(k.feed);
    runner_close(rn);
    return rc;
}

/* Prints msg as the one line of a failure, saying which runs are kept
 * (the first `done` of sv). */
static void
fail_kept(const cmp_opts *o, const cmp_series *sv, int done, const char *msg)
{
    if (done == 0 || !recording(o))
        cli_error("%s", msg);
    else if (done == 1)
        cli_error("%s; run %lld is in %s", msg, (long long)sv[0].run_id,
                  o->db);
    else
        cli_error("%s; runs %lld to %lld are in %s", msg,
                  (long long)sv[0].run_id, (long long)sv[done - 1].run_id,
                  o->db);
}

/* Opens what the runs go into: a memory pd into *mem, and the database
 * into *r unless --db none. Returns 0 or 3 with a message. */
static int
open_target(const cmp_opts *o, rec **r, pd **mem, char *err, size_t errlen)
{
    if (pd_open_memory(mem, recording(o) ? o->db : "--db none", err, errlen))
        return CLI_IO;
    if (!recording(o))
        return 0;
    if (!strcmp(o->db, DEFAULT_DB) && mkdir("results", 0777) != 0 &&
        errno != EEXIST) {
        snprintf(err, errlen, "results: %s", strerror(errno));
        return CLI_IO;
    }
    if (rec_open(r, o->db, err, errlen) != 0)
        return CLI_IO;
    /* A signal while waiting for another process's commit ends the wait. */
    rec_set_stop(*r, &stop_signal);
    return 0;
}

/* Runs every series into *mem, and into the database unless --db none. */
static int
run_all(const cmp_opts *o, cmp_series *sv, int n, pd **mem)
{
    char err[1024] = "";
    rec *r = NULL;
    int rc = 0, done = 0;

    if (open_target(o, &r, mem, err, sizeof err) != 0) {
        cli_error("%s", err);
        return CLI_IO;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    for (; done < n && rc == 0; done += rc == 0)
        rc = run_series(o, r, *mem, &sv[done], err, sizeof err);
    rec_close(r);
    if (rc == 0)
        return 0;
    if (rc == SIM_EINTR && recording(o))
        snprintf(err, sizeof err, "interrupted; %s was rolled back",
                 sv[done].name);
    else if (rc == SIM_EINTR)
        snprintf(err, sizeof err, "interrupted; nothing was recorded");
    fail_kept(o, sv, done, err);
    return exit_code(rc);
}

/* ================================================================ plot */

static int
draw(const cmp_opts *o, pd *mem, const char *name, const cmp_series *sv,
     int n, double runs_ms)
{
    int64_t ids[CMP_MAX_SERIES];
    const char *names[CMP_MAX_SERIES];
    char title[512], out[4096], err[1024] = "";
    struct timespec t0;
    plot_in in = {.db = recording(o) ? o->db : NULL, .src = mem, .out = o->out,
                  .title = title, .runs = ids, .nruns = n, .names = names};
    int rc;

    for (int i = 0; i < n; i++) {
        ids[i] = sv[i].run_id;
        names[i] = sv[i].name;
    }
    snprintf(title, sizeof title, "%s: %s", name, o->workload);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    putchar('\n');
    if ((rc = plot_make(&in, stdout, out, sizeof out, err, sizeof err))) {
        fail_kept(o, sv, n, err);
        return rc;
    }
    printf("\n%d runs in %.2f s; figures and reports in %.2f s\n"
           "report: %s/report.html (and report.md, figures beside it)\n", n,
           runs_ms / 1e3, recrun_wall_ms(&t0) / 1e3, out);
    return 0;
}

int
cmd_compare(int argc, char **argv)
{
    cmp_opts o = {0};
    cmp_series sv[CMP_MAX_SERIES];
    pd *mem = NULL;
    char name[PLOT_NAME_MAX];
    struct timespec t0;
    int rc = parse_opts(argc, argv, &o), n = o.nscenarios * o.nalgos;

    if (rc != 0)
        goto out;
    memset(sv, 0, sizeof sv);
    stem(o.nscenarios == 1 ? o.scenarios[0] : o.workload, name, sizeof name);
    if (o.name)
        snprintf(name, sizeof name, "%s", o.name);
    if ((rc = plan_series(&o, name, sv)) != 0)
        goto out;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if ((rc = run_all(&o, sv, n, &mem)) == 0)
        rc = draw(&o, mem, name, sv, n, recrun_wall_ms(&t0));
out:
    pd_close(mem);
    free(o.algos_buf);
    return rc < 0 ? CLI_OK : rc;
}
