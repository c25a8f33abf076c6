/* SPDX-License-Identifier: MIT
 *
 * `ratesim import`: turn a web server access log (or a CSV of times) into
 * a workload (SPEC §3, §6). The reading, the time zones and the sorting
 * window are sim/io/accesslog's; this file writes the workload and reports.
 *
 * Output: one comment line saying where time 0 is (the Unix time of the
 * earliest line), the header `at,client` (`at` alone with --client none),
 * and one row per imported line in time order, `at` in exact decimal
 * seconds from the earliest line. Lines that cannot be used are reported
 * on stderr as "LOG:LINE: field: what is wrong" (the first IMPORT_SHOW of
 * them), and a summary line always ends the run, so an import never drops
 * a line without saying so. Exit 0 when at least one line was imported, 2
 * when none could be (or the log cannot be read), 3 on a write failure.
 * With -o the file is written beside its name and renamed into place.
 */
#include "sim/cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/engine.h"
#include "sim/io/accesslog.h"
#include "sim/io/units.h"

#define IMPORT_SHOW 10
#define DEFAULT_WINDOW (10 * SIM_NS_PER_S)

static const char import_usage[] =
    "usage: ratesim import --format clf|combined|csv [--client ip|user|none]\n"
    "                      [--window D] [-o FILE] LOG\n";

static const char import_help[] =
    "\nTurn an access log into a workload: one request per line, arriving\n"
    "at the line's time less the earliest line's time. LOG '-' is standard\n"
    "input.\n\n"
    "  -f, --format F   clf       host ident user [time] \"request\" status\n"
    "                             bytes (anything after is ignored, so it\n"
    "                             reads combined logs too)\n"
    "                   combined  clf plus \"referer\" \"user-agent\"\n"
    "                   csv       a header row with a 'time' column (Unix\n"
    "                             seconds, up to 9 decimals) and optionally\n"
    "                             a 'client' column; other columns ignored\n"
    "  -k, --client C   the client key: ip (remote address, the default),\n"
    "                   user (the user field; '-' is no client), none\n"
    "                   (csv: any value but none takes the client column)\n"
    "  -W, --window D   how far out of order lines may be (default 10s);\n"
    "                   a line further behind is skipped and reported\n"
    "  -o, --output F   write F instead of standard output\n"
    "  -h, --help       this help\n\n"
    "Times like [10/Oct/2000:13:55:36 -0700] (a fraction after the seconds\n"
    "is allowed) are converted exactly, zone included. Bad lines are\n"
    "reported on stderr as LOG:LINE: field: what is wrong. Exit codes: 0\n"
    "something imported, 2 nothing could be (or bad usage), 3 a write\n"
    "failed.\n";

typedef struct import_opts {
    const char *log, *output;
    int format, client;
    sim_time window;
} import_opts;

/* ------------------------------------------------------------------ */
/* Options                                                            */
/* ------------------------------------------------------------------ */

static int
import_usage_error(const char *fmt, const char *arg)
{
    cli_error(fmt, arg);
    fputs(import_usage, stderr);
    return CLI_USAGE;
}

static int
word(const char *v, const char *const *words, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(v, words[i]))
            return i;
    return -1;
}

static int
parse_value(import_opts *o, int c, const char *v)
{
    static const char *const formats[] = {"clf", "combined", "csv"};
    static const char *const clients[] = {"ip", "user", "none"};

    switch (c) {
    case 'f':
        if ((o->format = word(v, formats, 3)) < 0)
            return import_usage_error("--format: expected clf, combined or "
                                      "csv, got \"%s\"", v);
        return 0;
    case 'k':
        if ((o->client = word(v, clients, 3)) < 0)
            return import_usage_error("--client: expected ip, user or none, "
                                      "got \"%s\"", v);
        return 0;
    default:
        if (units_parse_duration(v, &o->window))
            return import_usage_error("--window: expected a duration (like "
                                      "10s), got \"%s\"", v);
        return 0;
    }
}

static int
parse_import(int argc, char **argv, import_opts *o)
{
    static const struct option longs[] = {
        {"format", required_argument, NULL, 'f'},
        {"client", required_argument, NULL, 'k'},
        {"window", required_argument, NULL, 'W'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, rc;

    memset(o, 0, sizeof *o);
    o->format = -1;
    o->client = ALOG_CLIENT_IP;
    o->window = DEFAULT_WINDOW;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":f:k:W:o:h", longs, NULL)) != -1) {
        switch (c) {
        case 'o': o->output = optarg; break;
        case 'h':
            fputs(import_usage, stdout);
            fputs(import_help, stdout);
            return -1;
        case ':':
            return import_usage_error("%s: needs a value", argv[optind - 1]);
        case '?':
            return import_usage_error("unknown option \"%s\"",
                                      argv[optind - 1]);
        default:
            if ((rc = parse_value(o, c, optarg)) != 0)
                return rc;
        }
    }
    if (o->format < 0)
        return import_usage_error("%s", "import: --format is required");
    if (argc - optind != 1)
        return import_usage_error("%s", "import: expected one LOG");
    o->log = argv[optind];
    return 0;
}

/* ------------------------------------------------------------------ */
/* Writing                                                            */
/* ------------------------------------------------------------------ */

/* A client key as a CSV cell, quoted when it has to be. */
static void
write_cell(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void
write_start(FILE *f, const import_opts *o, const alog_entry *e)
{
    static const char *const formats[] = {"clf", "combined", "csv"};
    static const char *const clients[] = {"ip", "user", "none"};
    char b[32];

    fprintf(f, "# ratesim import --format %s --client %s: time 0 is %s "
            "(Unix time of the earliest line)\n", formats[o->format],
            clients[o->client], units_format_seconds(e->t, b, sizeof b));
    fputs(o->client == ALOG_CLIENT_NONE ? "at\n" : "at,client\n", f);
}

static void
write_entry(FILE *f, const import_opts *o, const alog_entry *e)
{
    char b[32];

    fputs(units_format_seconds(e->at, b, sizeof b), f);
    if (o->client != ALOG_CLIENT_NONE) {
        fputc(',', f);
        if (e->client)
            write_cell(f, e->client);
    }
    fputc('\n', f);
}

/* Shows the first few bad lines; counts the rest. */
static void
report_bad(const char *msg, int64_t *shown)
{
    if (*shown < IMPORT_SHOW)
        cli_error("%s", msg);
    else if (*shown == IMPORT_SHOW)
        cli_error("(more bad lines; not shown)");
    ++*shown;
}

/* Reads every entry and writes it to f. Returns 0, or 2/3 (printed). */
static int
copy_entries(alog *a, const import_opts *o, FILE *f)
{
    char err[512];
    alog_entry e;
    int64_t shown = 0, n = 0;
    int rc;

    while ((rc = alog_next(a, &e, err, sizeof err)) != 0) {
        if (rc == SIM_EINPUT) {
            report_bad(err, &shown);
            continue;
        }
        if (rc != 1) {
            cli_error("%s", err);
            return CLI_IO;
        }
        if (n++ == 0)
            write_start(f, o, &e);
        write_entry(f, o, &e);
        if (ferror(f)) {
            cli_error("%s: %s", o->output ? o->output : "stdout",
                      strerror(errno ? errno : EIO));
            return CLI_IO;
        }
    }
    return 0;
}

static void
summary(const alog *a, const char *log)
{
    alog_counts n;

    alog_counts_get(a, &n);
    cli_error("import: %s: %lld lines, %lld imported, %lld malformed, %lld "
              "out of order", log, (long long)n.lines, (long long)n.imported,
              (long long)n.malformed, (long long)n.out_of_order);
}

/* Imports into f, then judges the result. */
static int
import_to(alog *a, const import_opts *o, FILE *f)
{
    alog_counts n;
    int rc = copy_entries(a, o, f);

    if (rc == 0 && fflush(f) != 0) {
        cli_error("%s: %s", o->output ? o->output : "stdout",
                  strerror(errno));
        rc = CLI_IO;
    }
    summary(a, o->log);
    alog_counts_get(a, &n);
    if (rc == 0 && n.imported == 0) {
        cli_error("import: %s: nothing could be imported", o->log);
        rc = CLI_USAGE;
    }
    return rc;
}

static int
import_file(alog *a, const import_opts *o)
{
    size_t len = strlen(o->output) + 32;
    char *tmp = malloc(len);
    FILE *f;
    int rc;

    if (!tmp) {
        cli_error("out of memory");
        return CLI_IO;
    }
    snprintf(tmp, len, "%s.tmp%ld", o->output, (long)getpid());
    if (!(f = fopen(tmp, "w"))) {
        cli_error("%s: %s", o->output, strerror(errno));
        free(tmp);
        return CLI_IO;
    }
    rc = import_to(a, o, f);
    if (fclose(f) != 0 && rc == 0) {
        cli_error("%s: %s", o->output, strerror(errno));
        rc = CLI_IO;
    }
    if (rc == 0 && rename(tmp, o->output) != 0) {
        cli_error("%s: %s", o->output, strerror(errno));
        rc = CLI_IO;
    }
    if (rc != 0)
        unlink(tmp);
    free(tmp);
    return rc;
}

int
cmd_import(int argc, char **argv)
{
    import_opts o;
    alog *a = NULL;
    char err[512];
    int rc = parse_import(argc, argv, &o);

    if (rc != 0)
        return rc < 0 ? CLI_OK : rc;
    if ((rc = alog_open(&a, o.log, o.format, o.client, o.window, err,
                        sizeof err)) != 0) {
        cli_error("%s", err);
        return rc == SIM_EINPUT ? CLI_USAGE : CLI_IO;
    }
    rc = o.output ? import_file(a, &o) : import_to(a, &o, stdout);
    alog_close(a);
    return rc;
}
