/* SPDX-License-Identifier: MIT
 *
 * `ratesim schedule`: when would K calls issued together at time 0 go out
 * under a limit of N per W? Prints their delays as a JSON array of seconds,
 * each the shortest exact decimal ([0,0,1,1,2]); a call the limit refuses
 * is null. It runs the real engine on a one-provider scenario, so the
 * answer is the one `run` would give.
 */
#include "sim/cli/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algos/algos.h"
#include "sim/engine.h"
#include "sim/io/units.h"

#define MAX_COUNT 10000000

static const char sched_usage[] =
    "usage: ratesim schedule --limit N/W --count K [--algo NAME] [--burst B]\n";

static const char sched_help[] =
    "\nPrint, as a JSON array of seconds, the delay of each of K calls issued\n"
    "at time 0 under a limit of N calls per period W:\n\n"
    "  $ ratesim schedule --limit 2/1s --count 5\n"
    "  [0,0,1,1,2]\n\n"
    "  -l, --limit N/W   the rate (5/s, 100/1m, 3/2s)\n"
    "  -n, --count K     how many calls\n"
    "  -a, --algo NAME   the algorithm (default sliding_log)\n"
    "  -b, --burst B     its burst, for algorithms that take one (default N)\n"
    "  -h, --help        this help\n";

typedef struct sched_opts {
    const char *limit, *algo;
    int64_t count, burst;
} sched_opts;

typedef struct calls {
    int64_t n, next;
    sim_time *delay;            /* SIM_NONE: refused */
} calls;

static int
sched_usage_error(const char *msg, const char *arg)
{
    cli_error(msg, arg);
    fputs(sched_usage, stderr);
    return CLI_USAGE;
}

static int
parse_sched(int argc, char **argv, sched_opts *o)
{
    static const struct option longs[] = {
        {"limit", required_argument, NULL, 'l'},
        {"count", required_argument, NULL, 'n'},
        {"algo", required_argument, NULL, 'a'},
        {"burst", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    memset(o, 0, sizeof *o);
    o->algo = "sliding_log";
    o->count = -1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":l:n:a:b:h", longs, NULL)) != -1) {
        switch (c) {
        case 'l': o->limit = optarg; break;
        case 'a': o->algo = optarg; break;
        case 'n':
            if (units_parse_int(optarg, 0, MAX_COUNT, &o->count))
                return sched_usage_error("--count: expected an integer from 0 "
                                         "to 10000000, got \"%s\"", optarg);
            break;
        case 'b':
            if (units_parse_int(optarg, 1, INT64_MAX, &o->burst))
                return sched_usage_error("--burst: expected an integer >= 1, "
                                         "got \"%s\"", optarg);
            break;
        case 'h':
            fputs(sched_usage, stdout);
            fputs(sched_help, stdout);
            return -1;
        case ':':
            return sched_usage_error("%s: needs a value", argv[optind - 1]);
        default:
            return sched_usage_error("unknown option \"%s\"", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return sched_usage_error("unexpected argument \"%s\"", argv[optind]);
    if (!o->limit || o->count < 0)
        return sched_usage_error("%s", "schedule: --limit and --count are "
                                 "required");
    return 0;
}

/* The one-provider scenario: the algorithm with the rate (and burst). */
static int
build_provider(const sched_opts *o, sim_provider_cfg *p)
{
    const algo *a = algo_find(o->algo);
    const char *why;
    char names[256];

    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "limit");
    p->order = 1;
    p->enabled = 1;
    p->nlimits = 1;
    if ((why = units_parse_rate(o->limit, &p->limits[0].p.count,
                                &p->limits[0].p.window))) {
        cli_error("--limit: %s, got \"%s\"", why, o->limit);
        return CLI_USAGE;
    }
    if (!a) {
        algo_names(names, sizeof names);
        cli_error("--algo: unknown algorithm \"%s\" (known: %s)", o->algo,
                  names);
        return CLI_USAGE;
    }
    if (!(a->takes & ALGO_TAKES_RATE))
        return sched_usage_error("--algo: %s takes no rate", a->name);
    if (o->burst && !(a->takes & ALGO_TAKES_BURST))
        return sched_usage_error("--burst: %s takes no burst", a->name);
    p->limits[0].algo = a;
    if (a->takes & ALGO_TAKES_BURST)
        p->limits[0].p.burst = o->burst ? o->burst : p->limits[0].p.count;
    return 0;
}

static int
next_call(void *ctx, sim_request *out, char *err, size_t errlen)
{
    calls *c = ctx;

    (void)err;
    (void)errlen;
    if (c->next == c->n)
        return 0;
    *out = (sim_request){
        .id = ++c->next, .at = 0, .after = 0, .deadline = SIM_NEVER,
        .service = SIM_NONE, .cost = 1, .provider = -1,
    };
    return 1;
}

static int
note_call(void *ctx, const sim_row *row, char *err, size_t errlen)
{
    calls *c = ctx;

    (void)err;
    (void)errlen;
    c->delay[row->req_id - 1] = row->t_dispatch;
    return 0;
}

static void
print_delays(const calls *c)
{
    char b[32];

    putchar('[');
    for (int64_t i = 0; i < c->n; i++) {
        if (i)
            putchar(',');
        if (c->delay[i] == SIM_NONE)
            fputs("null", stdout);
        else
            fputs(units_format_seconds(c->delay[i], b, sizeof b), stdout);
    }
    puts("]");
}

int
cmd_schedule(int argc, char **argv)
{
    sched_opts o;
    sim_provider_cfg p;
    sim_config cfg = {.seed = 1, .until = SIM_NEVER,
                      .queue = SIM_QUEUE_FIFO, .nproviders = 1};
    calls c = {0};
    char err[512];
    sim *s = NULL;
    int rc = parse_sched(argc, argv, &o);

    if (rc != 0)
        return rc < 0 ? CLI_OK : rc;
    if ((rc = build_provider(&o, &p)) != 0)
        return rc;
    cfg.providers = &p;
    c.n = o.count;
    if (!(c.delay = calloc((size_t)(o.count ? o.count : 1), sizeof *c.delay))) {
        cli_error("out of memory");
        return CLI_IO;
    }
    if ((rc = sim_new(&s, &cfg, err, sizeof err)) == 0)
        rc = sim_run(s, next_call, &c, note_call, &c, err, sizeof err);
    if (rc == 0)
        print_delays(&c);
    else
        cli_error("%s", err);
    sim_free(s);
    free(c.delay);
    if (rc == 0 && fflush(stdout) != 0)
        return CLI_IO;
    return rc == 0 ? CLI_OK : rc == SIM_EINPUT ? CLI_USAGE : CLI_IO;
}
