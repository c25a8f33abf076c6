/* SPDX-License-Identifier: MIT
 *
 * `ratesim scenario`: check a scenario made of a file, flags or both, and
 * with --print write it out as INI, so that a run built from flags can be
 * saved and replayed with -c. What is printed is the very text the run
 * reads (the file's lines, with the keys the flags set replaced in place
 * and the sections they add at the end), checked before it is printed.
 */
#include "sim/cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sim/cli/scnopt.h"
#include "sim/io/overlay.h"
#include "sim/io/scenario.h"

static const char scenario_usage[] =
    "usage: ratesim scenario [--print] [-c SCENARIO] [--provider SPEC ...]\n"
    "                        [--client SPEC ...] [--sim KEY=VALUE,...]\n"
    "                        [--set SECTION.KEY=VALUE ...] [--seed N]\n";

static const char scenario_help[] =
    "\nCheck the scenario that -c and the flags make, as `run` would read\n"
    "it; with --print, write it to standard output as INI (the file's\n"
    "lines, each key a flag sets replaced in place, added sections at the\n"
    "end). `ratesim run -c` of that output is the same run.\n\n"
    "  -c, --scenario FILE  the scenario file the flags apply to\n"
    SCNOPT_HELP
    "      --seed N         as --set sim.seed=N\n"
    "      --print          write the scenario as INI\n"
    "  -h, --help           this help\n\n"
    "(run's --algo is not a scenario key: give it to run again.)\n"
    "Exit codes: 0 ok, 2 bad usage or input, 3 output failure.\n";

typedef struct scn_opts {
    const char *scenario;
    int print;
    char seed_arg[48], seed_origin[48];
    scnopt flags;
} scn_opts;

static int
misuse(const char *what)
{
    cli_error("%s", what);
    fputs(scenario_usage, stderr);
    return CLI_USAGE;
}

/* --seed N becomes --set sim.seed=N, checked by the scenario reader. */
static void
take_seed(scn_opts *o, const char *arg)
{
    snprintf(o->seed_arg, sizeof o->seed_arg, "sim.seed=%.32s", arg);
    snprintf(o->seed_origin, sizeof o->seed_origin, "--seed %.32s", arg);
    scnopt_add(&o->flags, OVL_SET, o->seed_arg, o->seed_origin);
}

static int
parse_opts(int argc, char **argv, scn_opts *o)
{
    static const struct option longs[] = {
        {"scenario", required_argument, NULL, 'c'},
        {"print", no_argument, NULL, 'p'},
        {"seed", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        SCNOPT_LONGS,
        {NULL, 0, NULL, 0},
    };
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":c:h", longs, NULL)) != -1) {
        if (scnopt_take(&o->flags, c, optarg))
            continue;
        switch (c) {
        case 'c': o->scenario = optarg; break;
        case 'p': o->print = 1; break;
        case 's': take_seed(o, optarg); break;
        case 'h':
            fputs(scenario_usage, stdout);
            fputs(scenario_help, stdout);
            return -1;
        case ':':
            cli_error("%s: needs a value", argv[optind - 1]);
            return misuse("see ratesim scenario --help");
        default:
            cli_error("unknown option \"%s\"", argv[optind - 1]);
            return misuse("see ratesim scenario --help");
        }
    }
    if (optind < argc) {
        cli_error("unexpected argument \"%s\"", argv[optind]);
        return misuse("see ratesim scenario --help");
    }
    if (!o->scenario && !o->flags.n)
        return misuse("scenario: -c SCENARIO or --provider flags are "
                      "required");
    return 0;
}

/* Builds, checks and (with --print) prints the scenario. */
static int
show(const scn_opts *o)
{
    char err[1024];
    sim_config cfg;
    const char *const *where;
    const char *text;
    ovl *ov = NULL;
    size_t len;
    int n, rc;

    if ((rc = ovl_build(&ov, o->scenario, o->flags.flag, o->flags.n, err,
                        sizeof err)) != 0) {
        cli_error("%s", err);
        return rc == 2 ? CLI_USAGE : CLI_IO;
    }
    text = ovl_text(ov, &len);
    where = ovl_where(ov, &n);
    rc = scn_load_text(ovl_name(ov), text, len, where, n, &cfg, err,
                       sizeof err);
    if (rc != 0) {
        cli_error("%s", err);
        ovl_free(ov);
        return CLI_USAGE;
    }
    if (o->print)
        fwrite(text, 1, len, stdout);
    else
        printf("%s: ok, %d provider%s, %d client%s, seed %llu\n",
               ovl_name(ov), cfg.nproviders, cfg.nproviders == 1 ? "" : "s",
               cfg.nclients, cfg.nclients == 1 ? "" : "s",
               (unsigned long long)cfg.seed);
    scn_clear(&cfg);
    ovl_free(ov);
    if (fflush(stdout) != 0) {
        cli_error("stdout: %s", strerror(errno));
        return CLI_IO;
    }
    return CLI_OK;
}

int
cmd_scenario(int argc, char **argv)
{
    scn_opts o = {0};
    int rc;

    if (scnopt_init(&o.flags, argc) != 0) {
        cli_error("out of memory");
        return CLI_IO;
    }
    rc = parse_opts(argc, argv, &o);
    if (rc == 0)
        rc = show(&o);
    scnopt_clear(&o.flags);
    return rc < 0 ? CLI_OK : rc;
}
