/* SPDX-License-Identifier: MIT
 *
 * ratesim's entry point: finds the subcommand in a {name, function} table
 * (as git and tmux do) and hands it the rest of the arguments.
 */
#include "sim/cli/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"run", cmd_run, "simulate a workload against a scenario and record it"},
    {"schedule", cmd_schedule, "when K calls issued at once would go out"},
    {"gen", cmd_gen, "generate a workload (constant, poisson, onoff, ...)"},
    {"check", cmd_check, "re-run stored cases and compare their schedules"},
    {"import", cmd_import, "turn a web server access log into a workload"},
    {"compare", cmd_compare, "run algorithms side by side; figures and report"},
    {"plot", cmd_plot, "figures and report of runs already in a database"},
    {"scenario", cmd_scenario, "check a scenario (file and flags); print it"},
    {"sweep", cmd_sweep, "run a grid of parameters on all cores, or emit jobs"},
    {"merge", cmd_merge, "copy the runs of databases into one"},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

void
cli_error(const char *fmt, ...)
{
    va_list ap;

    fputs("ratesim: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void
usage(FILE *f)
{
    fputs("usage: ratesim COMMAND [OPTIONS]\n\n"
          "A deterministic discrete-event simulator for rate-limited "
          "request dispatch.\n\ncommands:\n", f);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fputs("\n'ratesim COMMAND --help' tells more. Exit codes: 0 ok, 1 check "
          "difference,\n2 bad usage or input, 3 database or output failure, "
          "130/143 interrupted.\n", f);
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("ratesim %s\n", RATESIM_VERSION);
        return CLI_OK;
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    cli_error("unknown command \"%s\"", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}
