/* SPDX-License-Identifier: MIT
 *
 * `ratesim sweep`: run a workload over a grid of scenario settings (the
 * cross product of --grid axes, --algos and --seeds; sim/cli/grid.h),
 * every run recorded and labelled with its grid point.
 *
 * The order of things. Every point's scenario is read first, so a bad
 * value is reported (against its --grid flag, exit 2) before anything
 * runs. Then either the runs are written out as jobs (--emit-jobs,
 * --emit-slurm: sweep_emit.c) or run here on -j worker processes
 * (sim/cli/pool.h). Each worker records into its own database shard, in
 * a temporary folder beside --db, so workers never wait for each other's
 * commits; when all are done the shards are merged into --db in one
 * transaction (sim/io/merge.h: a run the database already holds is not
 * copied again) and removed. A failed run or an interrupt stops the
 * sweep: the shards are removed and --db is left as it was.
 *
 * Output: one line per run (its id in --db, label, seed, digest), or with
 * --summary / --json one row per point, the runs of all its seeds pooled
 * (sim/io/tally.h), best first by --best.
 */
#include "sim/cli/cli.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sim/cli/pool.h"
#include "sim/cli/recrun.h"
#include "sim/cli/runner.h"
#include "sim/cli/sweep.h"
#include "sim/io/merge.h"
#include "sim/io/recorder.h"
#include "sim/io/scenario.h"
#include "sim/io/tally.h"
#include "sim/io/units.h"

#define DEFAULT_DB "results/ratesim.db"
#define SWEEP_LABEL 1024

static const char sweep_usage[] =
    "usage: ratesim sweep -w WORKLOAD [-c SCENARIO] [scenario flags]\n"
    "                     --grid SECTION.KEY=V1,V2,... [--grid ...]\n"
    "                     [--seeds 1..10] [--algos A,B,...] [-j N]\n"
    "                     [--db FILE] [--label PREFIX]\n"
    "                     [--summary] [--json] [--best METRIC]\n"
    "                     [--emit-jobs FILE] [--emit-slurm FILE]\n"
    "                     [--shards DIR] [--ratesim PATH]\n";

static const char sweep_help[] =
    "\nRun WORKLOAD once per point of a grid and seed, every run recorded in\n"
    "--db and labelled with its point (\"P1.rate=5/s P1.burst=1\").\n\n"
    "  -w, --workload FILE  requests to simulate\n"
    "  -c, --scenario FILE  the scenario the grid changes\n"
    SCNOPT_HELP
    "                       (these apply to every point)\n"
    "      --grid KEY=LIST  an axis: a scenario key as --set names it and\n"
    "                       its values, split at commas (at \"|\" when the\n"
    "                       list has one); A..B is every integer from A\n"
    "                       to B; the first axis varies slowest\n"
    "      --seeds LIST     seeds (1..10, 1,2,5); each point runs once per\n"
    "                       seed (default: the scenario's seed, once)\n"
    "      --algos LIST     algorithms in place of the scenario's rate\n"
    "                       limits, as run --algo ('scenario': its own); an\n"
    "                       axis of its own, in the label as algo=NAME\n"
    "  -j, --jobs N         processes at once (default: one per core)\n"
    "      --db FILE        where the runs go (default " DEFAULT_DB ")\n"
    "      --label PREFIX   labels are PREFIX/POINT\n"
    "      --summary        one row per point instead of one per run:\n"
    "                       runs, dispatched, rejected, expired, p50 and\n"
    "                       p99 wait (every seed's waits pooled), over\n"
    "                       limit (permits in a provider's worst window\n"
    "                       beyond N of its first N/W, summed)\n"
    "      --json           the summary as one JSON object\n"
    "      --best METRIC    order the summary best first by p99_wait (the\n"
    "                       default), p50_wait, max_wait, dispatched,\n"
    "                       rejected, expired or over_limit\n"
    "      --emit-jobs FILE write the runs as `ratesim run` commands, one a\n"
    "                       line, each with its own database in --shards,\n"
    "                       and run nothing (for GNU parallel: parallel <\n"
    "                       FILE; then ratesim merge DB SHARDS/*.db)\n"
    "      --emit-slurm FILE write them as an sbatch job-array script\n"
    "      --shards DIR     the emitted jobs' databases (default: --db\n"
    "                       without .db, plus .shards)\n"
    "      --ratesim PATH   the program the jobs run (default: this one)\n"
    "  -h, --help           this help\n\n"
    "Exit codes: 0 ok, 2 bad usage or input, 3 database or output\n"
    "failure, 130/143 interrupted (--db is then as it was).\n";

static volatile sig_atomic_t stop_signal;

static void
on_signal(int sig)
{
    stop_signal = sig;
}

/* What one run became: filled in by the workers' results and the merge. */
typedef struct sweep_run {
    int worker;
    int64_t shard_id, out_id;
    int copied;
    char digest[33];
} sweep_run;

/* The state a sweep shares with the pool's callbacks. In a worker, rec
 * is its shard and flag its flags' room; in the parent, runs fills up. */
typedef struct sweep_ctx {
    const sweep_opts *o;
    char *dir;                  /* the shards' folder */
    rec *rec;
    ovl_flag *flag;             /* o->flags then one per axis */
    sweep_run *runs;
    int64_t nruns, ndone;
    int nworkers;
    struct timespec t0;
    int progress;               /* a progress line is showing */
    struct sweep_key *order;    /* runs by (worker, shard id): the merge */
    int64_t cursor;
} sweep_ctx;

/* Where a run is in the shards, and which it is. */
typedef struct sweep_key {
    int worker;
    int64_t shard_id, run;
} sweep_key;

/* ================================================================ options */

static int
misuse(const char *fmt, const char *arg)
{
    fputs("ratesim: ", stderr);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    fputs(sweep_usage, stderr);
    return CLI_USAGE;
}

static int
grid_opt(sweep_opts *o, int c, const char *arg)
{
    char err[1024] = "";
    int rc = c == 'g' ? grid_add_axis(&o->g, arg, err, sizeof err)
           : c == 'A' ? grid_set_algos(&o->g, arg, err, sizeof err)
                      : grid_set_seeds(&o->g, arg, err, sizeof err);

    if (rc == 0)
        return 0;
    cli_error("%s", err);
    return rc == SIM_EINPUT ? CLI_USAGE : CLI_IO;
}

static int
jobs_opt(sweep_opts *o, const char *arg)
{
    int64_t v;

    if (units_parse_int(arg, 1, 4096, &v))
        return misuse("-j: expected a number of processes from 1 to 4096, "
                      "got \"%s\"", arg);
    o->jobs = (int)v;
    return 0;
}

/* One option; -1 after --help. */
static int
take_opt(sweep_opts *o, int c, char **argv)
{
    switch (c) {
    case 'w': o->workload = optarg; return 0;
    case 'c': o->scenario = optarg; return 0;
    case 'd': o->db = optarg; return 0;
    case 'l': o->label = optarg; return 0;
    case 'b': o->best = optarg; return 0;
    case 'e': o->emit_jobs = optarg; return 0;
    case 'E': o->emit_slurm = optarg; return 0;
    case 'D': o->shards = optarg; return 0;
    case 'R': o->ratesim = optarg; return 0;
    case 'S': o->summary = 1; return 0;
    case 'J': o->json = 1; return 0;
    case 'j': return jobs_opt(o, optarg);
    case 'g': case 'A': case 's': return grid_opt(o, c, optarg);
    case 'h':
        fputs(sweep_usage, stdout);
        fputs(sweep_help, stdout);
        return -1;
    case ':': return misuse("%s: needs a value", argv[optind - 1]);
    default: return misuse("unknown option \"%s\"", argv[optind - 1]);
    }
}

static int
check_opts(const sweep_opts *o, int argc, char **argv)
{
    static const char *const metrics[] = {
        "p99_wait", "p50_wait", "max_wait", "dispatched", "rejected",
        "expired", "over_limit", NULL };
    int known = !o->best;

    if (optind < argc)
        return misuse("unexpected argument \"%s\"", argv[optind]);
    if (!o->workload || (!o->scenario && !o->flags.n))
        return misuse("%s", "sweep: -w WORKLOAD and -c SCENARIO (or "
                      "--provider flags) are required");
    if (!strcmp(o->db, "none"))
        return misuse("%s", "sweep: --db none: a sweep needs a database");
    for (int i = 0; !known && metrics[i]; i++)
        known = !strcmp(o->best, metrics[i]);
    if (!known)
        return misuse("--best: unknown metric \"%s\" (p99_wait, p50_wait, "
                      "max_wait, dispatched, rejected, expired, "
                      "over_limit)", o->best);
    if (grid_runs(&o->g) == 0) {
        cli_error("sweep: more than %d runs", GRID_MAX_RUNS);
        return CLI_USAGE;
    }
    return 0;
}

static int
parse_opts(int argc, char **argv, sweep_opts *o)
{
    static const struct option longs[] = {
        {"workload", required_argument, NULL, 'w'},
        {"scenario", required_argument, NULL, 'c'},
        {"grid", required_argument, NULL, 'g'},
        {"seeds", required_argument, NULL, 's'},
        {"algos", required_argument, NULL, 'A'},
        {"jobs", required_argument, NULL, 'j'},
        {"db", required_argument, NULL, 'd'},
        {"label", required_argument, NULL, 'l'},
        {"summary", no_argument, NULL, 'S'},
        {"json", no_argument, NULL, 'J'},
        {"best", required_argument, NULL, 'b'},
        {"emit-jobs", required_argument, NULL, 'e'},
        {"emit-slurm", required_argument, NULL, 'E'},
        {"shards", required_argument, NULL, 'D'},
        {"ratesim", required_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'h'},
        SCNOPT_LONGS,
        {NULL, 0, NULL, 0},
    };
    int c, rc;

    o->db = DEFAULT_DB;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":w:c:j:h", longs, NULL)) != -1)
        if (!scnopt_take(&o->flags, c, optarg) &&
            (rc = take_opt(o, c, argv)) != 0)
            return rc;
    return check_opts(o, argc, argv);
}

/* ================================================================ points */

/* The runner input of run i; flags must have room for the sweep's flags
 * and one per axis. */
static void
run_input(const sweep_opts *o, int64_t i, ovl_flag *flags, runner_in *in,
          grid_run *r)
{
    grid_run_at(&o->g, i, r);
    memcpy(flags, o->flags.flag, (size_t)o->flags.n * sizeof *flags);
    grid_flags(&o->g, r, flags + o->flags.n);
    *in = (runner_in){ .workload = o->workload, .scenario = o->scenario,
                       .algo = r->algo, .seed = r->seed,
                       .has_seed = r->has_seed, .flags = flags,
                       .nflags = o->flags.n + o->g.naxes };
}

/* Reads every point's scenario, so that a bad value fails the sweep
 * before any run. */
static int
check_points(const sweep_opts *o, ovl_flag *flags)
{
    int64_t ns = o->g.nseeds ? o->g.nseeds : 1, np = grid_points(&o->g);
    char err[1024], sha[65];
    sim_config cfg;
    runner_in in;
    grid_run r;
    FILE *f;

    if (strcmp(o->workload, "-") == 0)
        return misuse("%s", "sweep: -w -: every run reads the workload, "
                      "so it must be a file");
    if (!(f = fopen(o->workload, "r"))) {
        cli_error("%s: %s", o->workload, strerror(errno));
        return CLI_USAGE;
    }
    fclose(f);
    for (int64_t p = 0; p < np; p++) {
        int rc;

        run_input(o, p * ns, flags, &in, &r);
        if ((rc = runner_scenario(&in, &cfg, sha, err, sizeof err)) != 0) {
            cli_error("%s", err);
            return rc == SIM_EINPUT ? CLI_USAGE : CLI_IO;
        }
        scn_clear(&cfg);
    }
    return 0;
}

/* ================================================================ a worker */

/* Each row into the worker's shard. */
static int
sink(void *ctx, const sim_row *row, const char *client, const char *provider,
     char *err, size_t errlen)
{
    (void)provider;
    return rec_row(ctx, row, client, err, errlen);
}

static int
exit_code(int rc)
{
    if (rc == SIM_EINTR)
        return 128 + (stop_signal ? stop_signal : SIGINT);
    return rc == SIM_EINPUT ? CLI_USAGE : CLI_IO;
}

/* Runs in and commits it to r with label: res gets its id in the shard
 * and its digest, or the message. Returns 0 or the error class. */
static int
record(rec *r, const runner_in *in, const char *label, pool_result *res)
{
    char wl_sha[65], *err = res->err;
    size_t n = sizeof res->err;
    struct timespec t0;
    runner *rn = NULL;
    int rc;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    if ((rc = runner_open(&rn, in, err, n)) != 0)
        return rc;
    rec_run meta = {
        .label = label, .algo = in->algo, .workload = in->workload,
        .scenario = in->scenario,
        .scenario_sha256 = runner_scenario_sha256(rn),
        .version = RATESIM_VERSION, .seed = (int64_t)runner_config(rn)->seed,
    };
    sim_set_stop(runner_sim(rn), &stop_signal);
    if ((rc = recrun_begin(r, &meta, runner_config(rn), err, n)) == 0 &&
        (rc = runner_go(rn, sink, r, err, n)) == 0 &&
        (rc = recrun_stats(r, runner_sim(rn), runner_config(rn)->nproviders,
                           err, n)) == 0) {
        runner_workload_sha256(rn, wl_sha);
        runner_digest(rn, res->digest);
        rc = rec_commit(r, (int64_t)sim_requests(runner_sim(rn)),
                        (int64_t)sim_events(runner_sim(rn)), res->digest,
                        wl_sha, recrun_wall_ms(&t0), &res->id, err, n);
    }
    if (rc != 0)
        rec_rollback(r);
    runner_close(rn);
    return rc;
}

static void
shard_path(const sweep_ctx *c, int k, char *buf, size_t n)
{
    snprintf(buf, n, "%s/shard-%d.db", c->dir, k);
}

static int
worker_start(void *ctx, int k, pool_result *res)
{
    sweep_ctx *c = ctx;
    char path[PATH_MAX];

    shard_path(c, k, path, sizeof path);
    if (rec_open(&c->rec, path, res->err, sizeof res->err) != 0)
        return CLI_IO;
    rec_set_stop(c->rec, &stop_signal);
    return 0;
}

static void
worker_job(void *ctx, int64_t i, pool_result *res)
{
    sweep_ctx *c = ctx;
    char label[SWEEP_LABEL];
    runner_in in;
    grid_run r;
    int rc;

    run_input(c->o, i, c->flag, &in, &r);
    grid_label(&c->o->g, &r, c->o->label, label, sizeof label);
    if ((rc = record(c->rec, &in, label, res)) != 0)
        res->rc = exit_code(rc);
}

static void
worker_finish(void *ctx)
{
    sweep_ctx *c = ctx;

    rec_close(c->rec);
    c->rec = NULL;
}

/* ================================================================ the parent */

static double
elapsed_s(const struct timespec *t0)
{
    return recrun_wall_ms(t0) / 1e3;
}

static void
job_done(void *ctx, const pool_result *res)
{
    sweep_ctx *c = ctx;
    sweep_run *r;

    if (res->job < 0 || res->rc != 0)
        return;
    r = &c->runs[res->job];
    r->worker = res->worker;
    r->shard_id = res->id;
    memcpy(r->digest, res->digest, sizeof r->digest);
    c->ndone++;
    if (!isatty(STDERR_FILENO))
        return;
    fprintf(stderr, "\rratesim: sweep %lld/%lld runs, %d processes, "
            "%.1f s   ", (long long)c->ndone, (long long)c->nruns,
            c->nworkers, elapsed_s(&c->t0));
    c->progress = 1;
}

/* Runs by (worker, shard id): the order the merge reports in. */
static int
by_shard(const void *a, const void *b)
{
    const sweep_key *x = a, *y = b;

    if (x->worker != y->worker)
        return x->worker < y->worker ? -1 : 1;
    return (x->shard_id > y->shard_id) - (x->shard_id < y->shard_id);
}

/* The run index of a shard's run: its place in --db (grid order). */
static int64_t
rank(void *ctx, int input, int64_t old_id)
{
    sweep_ctx *c = ctx;
    int64_t lo = 0, hi = c->nruns;

    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        const sweep_key *k = &c->order[mid];

        if (k->worker < input || (k->worker == input && k->shard_id < old_id))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < c->nruns && c->order[lo].worker == input &&
        c->order[lo].shard_id == old_id)
        return c->order[lo].run;
    return c->nruns;    /* not ours (the shard is ours alone): last */
}

static void
merged(void *ctx, int input, int64_t old_id, int64_t out_id, int copied)
{
    sweep_ctx *c = ctx;
    sweep_run *r;

    if (c->cursor >= c->nruns)
        return;
    r = &c->runs[c->order[c->cursor].run];
    if (r->worker != input || r->shard_id != old_id)
        return;         /* not a run of ours: the shard is ours alone */
    r->out_id = out_id;
    r->copied = copied;
    c->cursor++;
}

/* Merges the shards into --db, mapping every run to its id there. */
static int
merge_shards(sweep_ctx *c, mrg_totals *t)
{
    char err[1024], **in = calloc((size_t)c->nworkers, sizeof *in);
    int rc = 0;

    c->order = malloc((size_t)c->nruns * sizeof *c->order);
    for (int k = 0; in && k < c->nworkers && rc == 0; k++)
        if (!(in[k] = malloc(PATH_MAX)))
            rc = -1;
        else
            shard_path(c, k, in[k], PATH_MAX);
    if (!in || !c->order || rc != 0) {
        cli_error("out of memory");
        rc = CLI_IO;
    } else {
        for (int64_t i = 0; i < c->nruns; i++)
            c->order[i] = (sweep_key){ c->runs[i].worker,
                                       c->runs[i].shard_id, i };
        qsort(c->order, (size_t)c->nruns, sizeof *c->order, by_shard);
        mrg_hooks h = { .run = merged, .rank = rank, .ctx = c };

        rc = mrg_merge(c->o->db, (const char *const *)in, c->nworkers, &h,
                       t, err, sizeof err);
        if (rc != 0)
            cli_error("%s", err);
        rc = rc == 0 ? 0 : rc == 2 ? CLI_USAGE : CLI_IO;
    }
    for (int k = 0; in && k < c->nworkers; k++)
        free(in[k]);
    free(in);
    return rc;
}

/* Removes the shards and their folder. */
static void
remove_shards(const sweep_ctx *c)
{
    static const char *const ext[] = { "", "-wal", "-shm", "-journal" };
    char path[PATH_MAX + 16];

    for (int k = 0; k < c->nworkers; k++)
        for (int e = 0; e < 4; e++) {
            shard_path(c, k, path, PATH_MAX);
            strcat(path, ext[e]);
            unlink(path);
        }
    rmdir(c->dir);
}

/* A temporary folder for the shards, beside --db. */
static char *
make_dir(const char *db)
{
    const char *slash = strrchr(db, '/');
    int n = slash ? (int)(slash - db) : 1;
    char *d = malloc((size_t)n + 32);

    if (!d)
        return NULL;
    snprintf(d, (size_t)n + 32, "%.*s/.ratesim-sweep-XXXXXX",
             n, slash ? db : ".");
    if (!mkdtemp(d)) {
        cli_error("%s: %s", d, strerror(errno));
        free(d);
        return NULL;
    }
    return d;
}

/* ================================================================ output */

/* s as a JSON string. */
static void
put_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;

        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

static void
print_runs(const sweep_ctx *c)
{
    const sweep_opts *o = c->o;
    char label[SWEEP_LABEL];
    grid_run r;

    for (int64_t i = 0; i < c->nruns; i++) {
        grid_run_at(&o->g, i, &r);
        grid_label(&o->g, &r, o->label, label, sizeof label);
        printf("run %-6lld %s", (long long)c->runs[i].out_id, label);
        if (r.has_seed)
            printf("  seed %llu", (unsigned long long)r.seed);
        printf("  digest %s%s\n", c->runs[i].digest,
               c->runs[i].copied ? "" : "  (already there)");
    }
}

/* ================================================================ summary */

/* One point of the summary. */
typedef struct sweep_point {
    int64_t point;
    int64_t key;            /* its figure by --best; lower is better */
    tly_figures f;
} sweep_point;

/* The point's figure by metric m, oriented so that lower is better; a
 * wait of a point that dispatched nothing sorts last. */
static int64_t
metric(const tly_figures *f, const char *m)
{
    sim_time w = !strcmp(m, "p50_wait") ? f->wait_p50
               : !strcmp(m, "max_wait") ? f->wait_max
                                        : f->wait_p99;

    if (!strcmp(m, "dispatched"))
        return -f->dispatched;
    if (!strcmp(m, "rejected"))
        return f->outcomes[SIM_REJECTED];
    if (!strcmp(m, "expired"))
        return f->outcomes[SIM_EXPIRED];
    if (!strcmp(m, "over_limit"))
        return f->over_limit;
    return w == SIM_NONE ? INT64_MAX : w;
}

static int
by_metric(const void *a, const void *b)
{
    const sweep_point *x = a, *y = b;

    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->point > y->point) - (x->point < y->point);
}

/* Tallies every point's runs in --db. Returns the points (sorted), or
 * NULL after printing why. */
static sweep_point *
tally_points(const sweep_ctx *c, int64_t *npoints)
{
    int64_t ns = c->o->g.nseeds ? c->o->g.nseeds : 1;
    int64_t np = grid_points(&c->o->g), *ids = malloc((size_t)ns * 8);
    sweep_point *pts = calloc((size_t)np, sizeof *pts);
    char err[1024];
    tly *t = NULL;
    int rc = !ids || !pts ? 3 : tly_open(&t, c->o->db, err, sizeof err);

    for (int64_t p = 0; rc == 0 && p < np; p++) {
        for (int64_t s = 0; s < ns; s++)
            ids[s] = c->runs[p * ns + s].out_id;
        pts[p].point = p;
        rc = tly_runs(t, ids, (int)ns, &pts[p].f, err, sizeof err);
        pts[p].key = metric(&pts[p].f, c->o->best ? c->o->best
                                                  : "p99_wait");
    }
    tly_close(t);
    free(ids);
    if (rc != 0) {
        cli_error("%s", !pts || !ids ? "out of memory" : err);
        free(pts);
        return NULL;
    }
    qsort(pts, (size_t)np, sizeof *pts, by_metric);
    *npoints = np;
    return pts;
}

static double
secs(sim_time t)
{
    return (double)t / 1e9;
}

static void
print_wait(FILE *f, sim_time w, int json)
{
    if (w == SIM_NONE)
        fprintf(f, json ? "null" : "%13s", "-");
    else
        fprintf(f, json ? "%.9g" : "%13.4g", secs(w));
}

/* The label of a point. */
static void
point_label(const sweep_ctx *c, int64_t point, char *buf, size_t n)
{
    int64_t ns = c->o->g.nseeds ? c->o->g.nseeds : 1;
    grid_run r;

    grid_run_at(&c->o->g, point * ns, &r);
    grid_label(&c->o->g, &r, c->o->label, buf, n);
}

static void
print_summary_text(const sweep_ctx *c, const sweep_point *pts, int64_t np)
{
    char label[SWEEP_LABEL];
    int w = 5;

    for (int64_t i = 0; i < np; i++) {
        point_label(c, pts[i].point, label, sizeof label);
        if ((int)strlen(label) > w)
            w = (int)strlen(label);
    }
    printf("%-*s %5s %11s %9s %8s %13s %13s %10s\n", w, "point", "runs",
           "dispatched", "rejected", "expired", "p50 wait (s)",
           "p99 wait (s)", "over limit");
    for (int64_t i = 0; i < np; i++) {
        const tly_figures *f = &pts[i].f;

        point_label(c, pts[i].point, label, sizeof label);
        printf("%-*s %5lld %11lld %9lld %8lld ", w, label,
               (long long)f->runs, (long long)f->dispatched,
               (long long)f->outcomes[SIM_REJECTED],
               (long long)f->outcomes[SIM_EXPIRED]);
        print_wait(stdout, f->wait_p50, 0);
        putchar(' ');
        print_wait(stdout, f->wait_p99, 0);
        printf(" %10lld\n", (long long)f->over_limit);
    }
    printf("(best first by %s)\n", c->o->best ? c->o->best : "p99_wait");
}

/* A point's runs, seeds and digests as JSON arrays. */
static void
print_point_runs(const sweep_ctx *c, int64_t point)
{
    int64_t ns = c->o->g.nseeds ? c->o->g.nseeds : 1;

    fputs(",\"run_ids\":[", stdout);
    for (int64_t s = 0; s < ns; s++)
        printf("%s%lld", s ? "," : "",
               (long long)c->runs[point * ns + s].out_id);
    fputs("],\"seeds\":[", stdout);
    for (int64_t s = 0; s < ns && c->o->g.nseeds; s++)
        printf("%s%llu", s ? "," : "", (unsigned long long)c->o->g.seeds[s]);
    fputs("],\"digests\":[", stdout);
    for (int64_t s = 0; s < ns; s++)
        printf("%s\"%s\"", s ? "," : "", c->runs[point * ns + s].digest);
    fputs("]", stdout);
}

static void
print_point_json(const sweep_ctx *c, const sweep_point *p)
{
    const tly_figures *f = &p->f;
    int64_t ns = c->o->g.nseeds ? c->o->g.nseeds : 1;
    char label[SWEEP_LABEL];
    grid_run r;

    grid_run_at(&c->o->g, p->point * ns, &r);
    point_label(c, p->point, label, sizeof label);
    fputs("{\"label\":", stdout);
    put_json_str(stdout, label);
    fputs(",\"algo\":", stdout);
    if (r.algo)
        put_json_str(stdout, r.algo);
    else
        fputs("null", stdout);
    printf(",\"runs\":%lld,\"requests\":%lld,\"dispatched\":%lld,"
           "\"ok\":%lld,\"failed\":%lld,\"rejected\":%lld,\"expired\":%lld,"
           "\"dropped\":%lld,\"over_limit\":%lld,\"p50_wait_s\":",
           (long long)f->runs, (long long)f->requests,
           (long long)f->dispatched, (long long)f->outcomes[SIM_OK],
           (long long)f->outcomes[SIM_FAILED],
           (long long)f->outcomes[SIM_REJECTED],
           (long long)f->outcomes[SIM_EXPIRED],
           (long long)f->outcomes[SIM_DROPPED], (long long)f->over_limit);
    print_wait(stdout, f->wait_p50, 1);
    fputs(",\"p99_wait_s\":", stdout);
    print_wait(stdout, f->wait_p99, 1);
    fputs(",\"max_wait_s\":", stdout);
    print_wait(stdout, f->wait_max, 1);
    print_point_runs(c, p->point);
    fputs("}", stdout);
}

static void
print_summary_json(const sweep_ctx *c, const sweep_point *pts, int64_t np,
                   const mrg_totals *t)
{
    fputs("{\"db\":", stdout);
    put_json_str(stdout, c->o->db);
    printf(",\"runs\":%lld,\"new\":%lld,\"already\":%lld,\"processes\":%d,"
           "\"wall_s\":%.3f,\"best\":\"%s\",\"points\":[",
           (long long)c->nruns, (long long)t->copied,
           (long long)t->duplicates, c->nworkers, elapsed_s(&c->t0),
           c->o->best ? c->o->best : "p99_wait");
    for (int64_t i = 0; i < np; i++) {
        if (i)
            putchar(',');
        print_point_json(c, &pts[i]);
    }
    fputs("]}\n", stdout);
}

/* What the sweep prints once its runs are in --db. */
static int
report(const sweep_ctx *c, const mrg_totals *t)
{
    const sweep_opts *o = c->o;
    sweep_point *pts = NULL;
    int64_t np = 0;

    if ((o->summary || o->json) && !(pts = tally_points(c, &np)))
        return CLI_IO;
    if (o->json)
        print_summary_json(c, pts, np, t);
    else if (o->summary)
        print_summary_text(c, pts, np);
    else
        print_runs(c);
    if (!o->json)
        printf("sweep: %lld run%s, %lld point%s, into %s: %lld new, %lld "
               "already there; %d process%s, %.2f s\n", (long long)c->nruns,
               c->nruns == 1 ? "" : "s", (long long)grid_points(&o->g),
               grid_points(&o->g) == 1 ? "" : "s", o->db,
               (long long)t->copied, (long long)t->duplicates, c->nworkers,
               c->nworkers == 1 ? "" : "es", elapsed_s(&c->t0));
    free(pts);
    if (fflush(stdout) != 0) {
        cli_error("stdout: %s", strerror(errno));
        return CLI_IO;
    }
    return CLI_OK;
}

/* ================================================================ running */

static void
catch_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;     /* no SA_RESTART: reads see EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static int
workers(const sweep_opts *o, int64_t nruns)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int64_t n = o->jobs ? o->jobs : cores > 0 ? cores : 1;

    return (int)(n < nruns ? n : nruns);
}

/* Runs the grid on the pool, merges, reports. */
static int
run_grid(sweep_ctx *c)
{
    static const pool_ops ops = { worker_start, worker_job, worker_finish,
                                  job_done };
    char err[sizeof ((pool_result *)0)->err];
    mrg_totals t;
    int rc;

    if (!strcmp(c->o->db, DEFAULT_DB) && mkdir("results", 0777) != 0 &&
        errno != EEXIST) {
        cli_error("results: %s", strerror(errno));
        return CLI_IO;
    }
    if (!(c->dir = make_dir(c->o->db)))
        return CLI_IO;
    clock_gettime(CLOCK_MONOTONIC, &c->t0);
    catch_signals();
    rc = pool_run(c->nworkers, c->nruns, &ops, c, &stop_signal, err,
                  sizeof err);
    if (c->progress)
        fputc('\n', stderr);
    if (rc != 0)
        cli_error("%s%s", err, rc > 128 ? "; nothing was merged" : "");
    if (rc == 0)
        rc = merge_shards(c, &t);
    remove_shards(c);
    return rc == 0 ? report(c, &t) : rc;
}

/* --emit-jobs, --emit-slurm, and what to do next. */
static int
emit(const sweep_opts *o, int64_t nruns)
{
    char err[1024], *dir = sweep_shard_dir(o);
    int rc = dir ? sweep_emit(o, err, sizeof err) : CLI_IO;

    if (rc != 0)
        cli_error("%s", dir ? err : "out of memory");
    else
        printf("sweep: %lld runs written as jobs (%s%s%s), each into its "
               "own database in %s/; once they have run:\n"
               "  ratesim merge %s %s/*.db\n", (long long)nruns,
               o->emit_jobs ? o->emit_jobs : "",
               o->emit_jobs && o->emit_slurm ? ", " : "",
               o->emit_slurm ? o->emit_slurm : "", dir, o->db, dir);
    free(dir);
    return rc;
}

static int
sweep(const sweep_opts *o)
{
    sweep_ctx c = { .o = o, .nruns = grid_runs(&o->g) };
    int rc;

    c.flag = calloc((size_t)(o->flags.n + o->g.naxes + 1), sizeof *c.flag);
    c.runs = calloc((size_t)c.nruns, sizeof *c.runs);
    c.nworkers = workers(o, c.nruns);
    if (!c.flag || !c.runs) {
        cli_error("out of memory");
        rc = CLI_IO;
    } else if ((rc = check_points(o, c.flag)) != 0) {
        /* reported */
    } else if (o->emit_jobs || o->emit_slurm) {
        rc = emit(o, c.nruns);
    } else {
        rc = run_grid(&c);
    }
    free(c.flag);
    free(c.runs);
    free(c.order);
    free(c.dir);
    return rc;
}

int
cmd_sweep(int argc, char **argv)
{
    sweep_opts o = {0};
    int rc;

    if (scnopt_init(&o.flags, argc) != 0) {
        cli_error("out of memory");
        return CLI_IO;
    }
    rc = parse_opts(argc, argv, &o);
    if (rc == 0)
        rc = sweep(&o);
    scnopt_clear(&o.flags);
    grid_clear(&o.g);
    return rc < 0 ? CLI_OK : rc;
}
