/* SPDX-License-Identifier: MIT
 *
 * `ratesim run`: read a scenario and a workload, simulate, record every
 * attempt in SQLite inside one transaction, print the summary. On any
 * failure, or on SIGINT/SIGTERM, the transaction is rolled back so the
 * database holds nothing of the run. The scenario is a file (-c), flags
 * (--provider, --client, --sim, --set: sim/cli/scnopt.h), or a file with
 * flags over it.
 */
#include "sim/cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "algos/algos.h"
#include "sim/cli/recrun.h"
#include "sim/cli/report.h"
#include "sim/cli/runner.h"
#include "sim/cli/scnopt.h"
#include "sim/engine.h"
#include "sim/io/recorder.h"
#include "sim/io/units.h"

#define DEFAULT_DB "results/ratesim.db"

static const char run_usage[] =
    "usage: ratesim run -w WORKLOAD -c SCENARIO [--algo NAME] [--seed N]\n"
    "                   [--db FILE|none] [--label L] [--json]\n"
    "       ratesim run -w WORKLOAD [-c SCENARIO] --provider NAME:ALGO:RATE...\n"
    "                   [--client NAME:KEY=VALUE...] [--sim KEY=VALUE,...]\n"
    "                   [--set SECTION.KEY=VALUE ...] [options as above]\n";

static const char run_help[] =
    "\nSimulate WORKLOAD (CSV, '-' for standard input) against SCENARIO (INI)\n"
    "and print a summary: per provider the attempts sent, the achieved rate\n"
    "and the worst window against its limit; per priority the wait from\n"
    "ready to dispatch (p50/p95/p99/max); the outcome counts; and the run's\n"
    "digest, a fingerprint of every dispatch.\n\n"
    "  -w, --workload FILE  requests to simulate (SPEC section 3)\n"
    "  -c, --scenario FILE  providers, limits and options (SPEC section 4)\n"
    SCNOPT_HELP
    "                       (the scenario: -c, these flags, or both; flags\n"
    "                       are checked as the same keys in a file, and a\n"
    "                       bad one is reported against the flag)\n"
    "      --algo NAME      give every provider's rate limit this algorithm,\n"
    "                       keeping its rate N/W; a burst the new algorithm\n"
    "                       needs and the scenario did not give is N, so\n"
    "                       comparisons are like for like\n"
    "      --seed N         replace the scenario's seed\n"
    "      --db FILE|none   record into FILE (default " DEFAULT_DB ");\n"
    "                       runs are appended; 'none' records nothing\n"
    "      --label L        a label stored with the run\n"
    "      --json           print the summary as one JSON object\n"
    "  -h, --help           this help\n\n"
    "Exit codes: 0 ok, 2 bad usage or input, 3 database failure,\n"
    "130/143 interrupted (the run is rolled back).\n";

typedef struct run_opts {
    const char *workload, *scenario, *algo, *db, *label;
    uint64_t seed;
    int has_seed, json;
    scnopt flags;
} run_opts;

typedef struct run_ctx {
    rec *r;
    report *rep;
} run_ctx;

static volatile sig_atomic_t stop_signal;

static void
on_signal(int sig)
{
    stop_signal = sig;
}

/* ------------------------------------------------------------------ */

static int
parse_opts(int argc, char **argv, run_opts *o)
{
    static const struct option longs[] = {
        {"workload", required_argument, NULL, 'w'},
        {"scenario", required_argument, NULL, 'c'},
        {"algo", required_argument, NULL, 'a'},
        {"seed", required_argument, NULL, 's'},
        {"db", required_argument, NULL, 'd'},
        {"label", required_argument, NULL, 'l'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        SCNOPT_LONGS,
        {NULL, 0, NULL, 0},
    };
    int c;

    memset(o, 0, sizeof *o);
    o->db = DEFAULT_DB;
    if (scnopt_init(&o->flags, argc) != 0) {
        cli_error("out of memory");
        return CLI_IO;
    }
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":w:c:h", longs, NULL)) != -1) {
        int64_t v;
        if (scnopt_take(&o->flags, c, optarg))
            continue;
        switch (c) {
        case 'w': o->workload = optarg; break;
        case 'c': o->scenario = optarg; break;
        case 'a': o->algo = optarg; break;
        case 'd': o->db = optarg; break;
        case 'l': o->label = optarg; break;
        case 'j': o->json = 1; break;
        case 'h': {
            char names[256];
            algo_names(names, sizeof names);
            fputs(run_usage, stdout);
            fputs(run_help, stdout);
            printf("\nAlgorithms: %s.\n", names);
            return -1;
        }
        case 's':
            if (units_parse_int(optarg, 0, INT64_MAX, &v)) {
                cli_error("--seed: expected a non-negative integer, got "
                          "\"%s\"", optarg);
                return CLI_USAGE;
            }
            o->seed = (uint64_t)v;
            o->has_seed = 1;
            break;
        case ':':
            cli_error("%s: needs a value", argv[optind - 1]);
            fputs(run_usage, stderr);
            return CLI_USAGE;
        default:
            cli_error("unknown option \"%s\"", argv[optind - 1]);
            fputs(run_usage, stderr);
            return CLI_USAGE;
        }
    }
    if (optind < argc || !o->workload || (!o->scenario && !o->flags.n)) {
        if (optind < argc)
            cli_error("unexpected argument \"%s\"", argv[optind]);
        else
            cli_error("run: -w WORKLOAD and -c SCENARIO (or --provider "
                      "flags) are required");
        fputs(run_usage, stderr);
        return CLI_USAGE;
    }
    return 0;
}

/* ------------------------------------------------------------------ */

static int
sink(void *ctx, const sim_row *row, const char *client, const char *provider,
     char *err, size_t errlen)
{
    run_ctx *c = ctx;

    (void)provider;
    if (report_row(c->rep, row, client) != 0) {
        snprintf(err, errlen, "out of memory");
        return SIM_EIO;
    }
    return c->r ? rec_row(c->r, row, client, err, errlen) : 0;
}

/* ------------------------------------------------------------------ */

static int
open_db(const run_opts *o, const sim_config *cfg, const char *scn_sha,
        rec **out)
{
    char err[512];
    rec_run meta = {
        .label = o->label, .algo = o->algo, .workload = o->workload,
        .scenario = o->scenario, .scenario_sha256 = scn_sha,
        .version = RATESIM_VERSION, .seed = (int64_t)cfg->seed,
    };

    if (!strcmp(o->db, DEFAULT_DB) && mkdir("results", 0777) != 0 &&
        errno != EEXIST) {
        cli_error("results: %s", strerror(errno));
        return CLI_IO;
    }
    if (rec_open(out, o->db, err, sizeof err) != 0 ||
        recrun_begin(*out, &meta, cfg, err, sizeof err) != 0) {
        cli_error("%s", err);
        return CLI_IO;
    }
    /* A signal while waiting for another run's commit ends the wait. */
    rec_set_stop(*out, &stop_signal);
    return 0;
}

static int
exit_code(int rc)
{
    if (rc == SIM_EINTR)
        return stop_signal == SIGTERM ? 143 : 130;
    return rc == SIM_EINPUT ? CLI_USAGE : CLI_IO;
}

static int
simulate(const run_opts *o)
{
    char err[1024] = "", wl_sha[65], dg[33];
    runner_in in = {.workload = o->workload, .scenario = o->scenario,
                    .algo = o->algo, .seed = o->seed, .has_seed = o->has_seed,
                    .flags = o->flags.flag, .nflags = o->flags.n,
                    /* only the database keeps the workload's hash */
                    .no_workload_sha = strcmp(o->db, "none") == 0};
    runner *rn = NULL;
    run_ctx ctx = {0};
    int64_t run_id = 0;
    int rc;
    recrun_progress prog;
    report_run rr;

    if ((rc = runner_open(&rn, &in, err, sizeof err)) != 0)
        goto fail;
    if (!(ctx.rep = report_new(runner_config(rn)))) {
        snprintf(err, sizeof err, "out of memory");
        rc = SIM_EIO;
        goto fail;
    }
    if (strcmp(o->db, "none") != 0 &&
        (rc = open_db(o, runner_config(rn), runner_scenario_sha256(rn),
                      &ctx.r)) != 0)
        goto out;
    recrun_progress_start(&prog, runner_sim(rn));
    sim_set_stop(runner_sim(rn), &stop_signal);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    rc = runner_go(rn, sink, &ctx, err, sizeof err);
    recrun_progress_end(&prog);
    if (rc != 0)
        goto fail;
    runner_workload_sha256(rn, wl_sha);
    runner_digest(rn, dg);
    rr = (report_run){
        .label = o->label, .algo = o->algo, .db = o->db,
        .digest = dg, .seed = runner_config(rn)->seed,
        .requests = sim_requests(runner_sim(rn)),
        .events = sim_events(runner_sim(rn)),
        .end = sim_end_time(runner_sim(rn)), .wall_ms = recrun_wall_ms(&prog.t0),
    };
    /* The run gets its id as it is committed; an interrupted wait for the
     * database is an interrupted run (SIM_EINTR). */
    if (ctx.r && (rc = recrun_stats(ctx.r, runner_sim(rn),
                                    runner_config(rn)->nproviders, err,
                                    sizeof err)) != 0)
        goto fail;
    if (ctx.r && (rc = rec_commit(ctx.r, (int64_t)rr.requests,
                                  (int64_t)rr.events, dg, wl_sha, rr.wall_ms,
                                  &run_id, err, sizeof err)) != 0)
        goto fail;
    rr.run_id = run_id;
    report_print(ctx.rep, runner_sim(rn), &rr, stdout, o->json);
    if (fflush(stdout) != 0) {
        cli_error("stdout: %s", strerror(errno));
        rc = CLI_IO;
    }
    goto out;
fail:
    if (rc == SIM_EINTR)
        cli_error("interrupted; the run was rolled back");
    else
        cli_error("%s", err);
    rc = exit_code(rc);
    if (ctx.r)
        rec_rollback(ctx.r);
out:
    rec_close(ctx.r);
    report_free(ctx.rep);
    runner_close(rn);
    return rc;
}

int
cmd_run(int argc, char **argv)
{
    run_opts o;
    int rc = parse_opts(argc, argv, &o);

    if (rc == 0)
        rc = simulate(&o);
    scnopt_clear(&o.flags);
    return rc < 0 ? CLI_OK : rc;
}
