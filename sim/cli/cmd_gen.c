/* SPDX-License-Identifier: MIT
 *
 * `ratesim gen`: write a generated workload CSV (SPEC §3, §6). The
 * arrival process and the attributes come from sim/gen (which see); this
 * file reads the options and writes the rows.
 *
 * The file starts with one comment line that repeats the options in a
 * fixed order, so the command that made a file can be read from it and
 * re-run. Then the header, with only the columns in use (at and id always;
 * client with --clients above 1; priority, cost, after and deadline when
 * asked for), and one row per request. Times are exact decimal seconds
 * (units_format_seconds), so the workload reader gets back the very
 * nanoseconds generated. Same options, same bytes. With -o the file is
 * written beside its name and renamed into place when complete.
 */
#include "sim/cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/gen.h"
#include "sim/io/units.h"

static const char gen_usage[] =
    "usage: ratesim gen --pattern P --rate N/W --duration D [--clients K]\n"
    "                   [--priorities V:W,...] [--costs V:W,...]\n"
    "                   [--after MIN..MAX] [--deadline D] [--seed N]\n"
    "                   [--on D --off D] [--period D] [--depth X]\n"
    "                   [--shape A] [-o FILE]\n";

static const char gen_help[] =
    "\nWrite a workload CSV of requests arriving in [0, D) at a mean rate of\n"
    "N per W, sorted by arrival time. Same options and seed, same bytes.\n\n"
    "  -p, --pattern P      constant  one every W/N exactly\n"
    "                       poisson   exponential gaps (the default)\n"
    "                       onoff     poisson at N/W during --on, none\n"
    "                                 during --off, repeating, on first\n"
    "                       diurnal   poisson with intensity\n"
    "                                 (N/W)(1 - X cos(2 pi t / --period)):\n"
    "                                 lowest at 0, N/W on average\n"
    "                       pareto    heavy-tailed Pareto gaps of shape A\n"
    "                                 (> 1; default 1.5) and mean W/N\n"
    "  -r, --rate N/W       the mean rate (5/s, 100/1m)\n"
    "  -d, --duration D     how long arrivals go on (60s, 10m, 2h)\n"
    "  -k, --clients K      clients c1..cK, uniformly (default 1: no column)\n"
    "      --priorities L   weighted priorities, e.g. 0:70,1:20,2:10\n"
    "      --costs L        weighted costs, e.g. 1:90,5:10\n"
    "      --after MIN..MAX valid-after = arrival + uniform [MIN, MAX]\n"
    "      --deadline D     deadline = valid-after (or arrival) + D\n"
    "  -s, --seed N         the seed (default 1)\n"
    "      --on D, --off D  onoff: burst and pause lengths\n"
    "      --period D       diurnal: the period of the intensity\n"
    "      --depth X        diurnal: 0..1, how deep the trough (default 0.5)\n"
    "      --shape A        pareto: the tail's shape (default 1.5)\n"
    "  -o, --output FILE    write FILE instead of standard output\n"
    "  -h, --help           this help\n\n"
    "Each random choice has its own stream of the seed: adding --priorities\n"
    "does not move a single arrival.\n";

/* The options as given, kept for the comment line. */
enum {
    O_PATTERN, O_RATE, O_DURATION, O_SEED, O_CLIENTS, O_PRIORITIES, O_COSTS,
    O_AFTER, O_DEADLINE, O_ON, O_OFF, O_PERIOD, O_DEPTH, O_SHAPE, O_N
};

static const char *const opt_names[O_N] = {
    "pattern", "rate", "duration", "seed", "clients", "priorities", "costs",
    "after", "deadline", "on", "off", "period", "depth", "shape",
};

typedef struct gen_cli {
    gen_opts g;
    const char *given[O_N];
    const char *output;
} gen_cli;

/* ------------------------------------------------------------------ */
/* Option values                                                      */
/* ------------------------------------------------------------------ */

static int
gen_usage_error(const char *fmt, const char *arg)
{
    cli_error(fmt, arg);
    fputs(gen_usage, stderr);
    return CLI_USAGE;
}

/* "V" or "V:W" into one choice. */
static const char *
parse_choice(const char *item, int64_t lo, int64_t hi, gen_choice *c)
{
    char buf[64];
    char *colon;
    int64_t w = 1;

    if (strlen(item) >= sizeof buf)
        return "too long";
    strcpy(buf, item);
    if ((colon = strchr(buf, ':'))) {
        *colon = '\0';
        if (units_parse_int(colon + 1, 1, INT64_MAX, &w))
            return "a weight is an integer >= 1";
    }
    if (units_parse_int(buf, lo, hi, &c->value))
        return lo == 1 ? "a value is an integer >= 1" : "expected an integer";
    c->weight = (uint64_t)w;
    return NULL;
}

/* "V:W,V:W,..." into out[0..*n). */
static const char *
parse_choices(const char *s, int64_t lo, int64_t hi, gen_choice *out, int *n)
{
    const char *p = s;

    *n = 0;
    for (;;) {
        const char *e = strchr(p, ','), *why;
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char item[64];

        if (*n == GEN_MAX_CHOICES)
            return "too many values";
        if (len == 0 || len >= sizeof item)
            return "expected VALUE:WEIGHT,... (like 0:70,1:20,2:10)";
        memcpy(item, p, len);
        item[len] = '\0';
        if ((why = parse_choice(item, lo, hi, &out[*n])))
            return why;
        ++*n;
        if (!e)
            return NULL;
        p = e + 1;
    }
}

/* "MIN..MAX" (durations). */
static const char *
parse_range(const char *s, sim_time *lo, sim_time *hi)
{
    const char *dots = strstr(s, "..");
    char a[64];
    const char *why;

    if (!dots || (size_t)(dots - s) >= sizeof a)
        return "expected MIN..MAX (like 0..2s)";
    memcpy(a, s, (size_t)(dots - s));
    a[dots - s] = '\0';
    if ((why = units_parse_duration(a, lo)) ||
        (why = units_parse_duration(dots + 2, hi)))
        return why;
    return *hi < *lo ? "MAX is below MIN" : NULL;
}

static const char *
parse_number(const char *s, double *out)
{
    char *end;

    errno = 0;
    *out = strtod(s, &end);
    if (end == s || *end || errno)
        return "expected a number";
    return NULL;
}

/* Parses one option's value into the generator's options. */
static const char *
set_value(gen_cli *c, int k, const char *v)
{
    gen_opts *g = &c->g;
    int64_t x;
    const char *why;

    switch (k) {
    case O_PATTERN:
        g->pattern = gen_pattern_find(v);
        return g->pattern < 0 ? "expected constant, poisson, onoff, diurnal "
                                "or pareto" : NULL;
    case O_RATE: return units_parse_rate(v, &g->count, &g->window);
    case O_DURATION: return units_parse_duration(v, &g->duration);
    case O_SEED:
        why = units_parse_int(v, 0, INT64_MAX, &x);
        g->seed = (uint64_t)x;
        return why;
    case O_CLIENTS:
        why = units_parse_int(v, 1, 1000000000, &x);
        g->clients = (uint32_t)x;
        return why;
    case O_PRIORITIES:
        return parse_choices(v, INT32_MIN, INT32_MAX, g->priorities,
                             &g->npriorities);
    case O_COSTS:
        return parse_choices(v, 1, INT32_MAX, g->costs, &g->ncosts);
    case O_AFTER:
        g->has_after = 1;
        return parse_range(v, &g->after_min, &g->after_max);
    case O_DEADLINE: return units_parse_duration(v, &g->deadline);
    case O_ON: return units_parse_duration(v, &g->on);
    case O_OFF: return units_parse_duration(v, &g->off);
    case O_PERIOD: return units_parse_duration(v, &g->period);
    case O_DEPTH: return parse_number(v, &g->depth);
    default: return parse_number(v, &g->shape);
    }
}

/* ------------------------------------------------------------------ */
/* Options                                                            */
/* ------------------------------------------------------------------ */

/* Options that belong to one pattern only. */
static int
check_pattern_opts(const gen_cli *c)
{
    static const struct {
        int opt, pattern;
    } only[] = {
        {O_ON, GEN_ONOFF}, {O_OFF, GEN_ONOFF}, {O_PERIOD, GEN_DIURNAL},
        {O_DEPTH, GEN_DIURNAL}, {O_SHAPE, GEN_PARETO},
    };
    char msg[128];

    for (size_t i = 0; i < sizeof only / sizeof only[0]; i++)
        if (c->given[only[i].opt] && c->g.pattern != only[i].pattern) {
            snprintf(msg, sizeof msg, "--%s goes with --pattern %s",
                     opt_names[only[i].opt],
                     gen_pattern_name(only[i].pattern));
            return gen_usage_error("%s", msg);
        }
    if (!c->given[O_PATTERN] || !c->given[O_RATE] || !c->given[O_DURATION])
        return gen_usage_error("%s", "gen: --pattern, --rate and --duration "
                               "are required");
    return 0;
}

static int
take_value(gen_cli *c, int k, const char *v)
{
    const char *why = set_value(c, k, v);

    if (why) {
        cli_error("--%s: %s, got \"%s\"", opt_names[k], why, v);
        return CLI_USAGE;
    }
    c->given[k] = v;
    return 0;
}

static int
parse_gen(int argc, char **argv, gen_cli *c)
{
    static const struct option longs[] = {
        {"pattern", required_argument, NULL, 'p' },
        {"rate", required_argument, NULL, 'r'},
        {"duration", required_argument, NULL, 'd'},
        {"seed", required_argument, NULL, 's'},
        {"clients", required_argument, NULL, 'k'},
        {"priorities", required_argument, NULL, 1000 + O_PRIORITIES},
        {"costs", required_argument, NULL, 1000 + O_COSTS},
        {"after", required_argument, NULL, 1000 + O_AFTER},
        {"deadline", required_argument, NULL, 1000 + O_DEADLINE},
        {"on", required_argument, NULL, 1000 + O_ON},
        {"off", required_argument, NULL, 1000 + O_OFF},
        {"period", required_argument, NULL, 1000 + O_PERIOD},
        {"depth", required_argument, NULL, 1000 + O_DEPTH},
        {"shape", required_argument, NULL, 1000 + O_SHAPE},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch, rc;

    memset(c, 0, sizeof *c);
    gen_opts_init(&c->g);
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":p:r:d:s:k:o:h", longs, NULL)) != -1) {
        switch (ch) {
        case 'p': rc = take_value(c, O_PATTERN, optarg); break;
        case 'r': rc = take_value(c, O_RATE, optarg); break;
        case 'd': rc = take_value(c, O_DURATION, optarg); break;
        case 's': rc = take_value(c, O_SEED, optarg); break;
        case 'k': rc = take_value(c, O_CLIENTS, optarg); break;
        case 'o': c->output = optarg; rc = 0; break;
        case 'h':
            fputs(gen_usage, stdout);
            fputs(gen_help, stdout);
            return -1;
        case ':':
            return gen_usage_error("%s: needs a value", argv[optind - 1]);
        case '?':
            return gen_usage_error("unknown option \"%s\"", argv[optind - 1]);
        default: rc = take_value(c, ch - 1000, optarg); break;
        }
        if (rc)
            return rc;
    }
    if (optind < argc)
        return gen_usage_error("unexpected argument \"%s\"", argv[optind]);
    return check_pattern_opts(c);
}

/* ------------------------------------------------------------------ */
/* Writing                                                            */
/* ------------------------------------------------------------------ */

static void
write_comment(FILE *f, const gen_cli *c)
{
    char seed[24];

    snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->g.seed);
    fputs("# ratesim gen", f);
    for (int k = 0; k < O_N; k++) {
        const char *v = k == O_SEED ? seed : c->given[k];
        if (v)
            fprintf(f, " --%s %s", opt_names[k], v);
    }
    fputc('\n', f);
}

static void
write_header(FILE *f, const gen_opts *g)
{
    fputs("at,id", f);
    if (g->clients > 1)
        fputs(",client", f);
    if (g->npriorities)
        fputs(",priority", f);
    if (g->ncosts)
        fputs(",cost", f);
    if (g->has_after)
        fputs(",after", f);
    if (g->deadline != SIM_NONE)
        fputs(",deadline", f);
    fputc('\n', f);
}

/* Appends the decimal digits of v at p; returns the new end. (fprintf per
 * cell costs more than all the rest of a row.) */
static char *
put_int(char *p, int64_t v)
{
    char tmp[24];
    int n = 0;
    uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

    do
        tmp[n++] = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        *p++ = '-';
    while (n)
        *p++ = tmp[--n];
    return p;
}

static char *
put_time(char *p, sim_time t)
{
    char b[32];
    size_t n = strlen(units_format_seconds(t, b, sizeof b));

    memcpy(p, b, n);
    return p + n;
}

static void
write_row(FILE *f, const gen_opts *g, const sim_request *r)
{
    char line[256], *p = put_time(line, r->at);

    *p++ = ',';
    p = put_int(p, r->id);
    if (g->clients > 1) {
        memcpy(p, ",c", 2);
        p = put_int(p + 2, (int64_t)r->client + 1);
    }
    if (g->npriorities) {
        *p++ = ',';
        p = put_int(p, r->priority);
    }
    if (g->ncosts) {
        *p++ = ',';
        p = put_int(p, r->cost);
    }
    if (g->has_after) {
        *p++ = ',';
        p = put_time(p, r->after);
    }
    if (g->deadline != SIM_NONE) {
        *p++ = ',';
        p = put_time(p, r->deadline);
    }
    *p++ = '\n';
    fwrite(line, 1, (size_t)(p - line), f);
}

/* Writes the whole workload to f. Returns 0 or an errno value. */
static int
write_all(FILE *f, const gen_cli *c, gen *g)
{
    sim_request r;

    write_comment(f, c);
    write_header(f, &c->g);
    while (gen_next(g, &r)) {
        write_row(f, &c->g, &r);
        if (ferror(f))
            return errno ? errno : EIO;
    }
    if (fflush(f) != 0 || ferror(f))
        return errno ? errno : EIO;
    return 0;
}

static int
write_file(const gen_cli *c, gen *g)
{
    size_t n = strlen(c->output) + 32;
    char *tmp = malloc(n);
    FILE *f;
    int e;

    if (!tmp) {
        cli_error("out of memory");
        return CLI_IO;
    }
    snprintf(tmp, n, "%s.tmp%ld", c->output, (long)getpid());
    if (!(f = fopen(tmp, "w"))) {
        cli_error("%s: %s", c->output, strerror(errno));
        free(tmp);
        return CLI_IO;
    }
    e = write_all(f, c, g);
    if (fclose(f) != 0 && !e)
        e = errno ? errno : EIO;
    if (!e && rename(tmp, c->output) != 0)
        e = errno;
    if (e) {
        cli_error("%s: %s", c->output, strerror(e));
        unlink(tmp);
    }
    free(tmp);
    return e ? CLI_IO : CLI_OK;
}

int
cmd_gen(int argc, char **argv)
{
    gen_cli c;
    gen *g = NULL;
    char err[256];
    int rc = parse_gen(argc, argv, &c);

    if (rc != 0)
        return rc < 0 ? CLI_OK : rc;
    if ((rc = gen_new(&g, &c.g, err, sizeof err)) != 0) {
        cli_error("%s", err);
        return rc == SIM_EINPUT ? CLI_USAGE : CLI_IO;
    }
    if (c.output) {
        rc = write_file(&c, g);
    } else if ((rc = write_all(stdout, &c, g)) != 0) {
        cli_error("stdout: %s", strerror(rc));
        rc = CLI_IO;
    }
    gen_free(g);
    return rc;
}
