/* SPDX-License-Identifier: MIT
 *
 * `ratesim merge OUT IN...`: copy every run of the input databases into
 * OUT (sim/io/merge.h: fresh run ids, one transaction, no run copied that
 * OUT already holds, inputs of another schema version refused) and say
 * how many were copied.
 */
#include "sim/cli/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "sim/io/merge.h"

static const char merge_usage[] =
    "usage: ratesim merge OUT.db IN.db [IN.db ...]\n";

static const char merge_help[] =
    "\nCopy every run of the IN databases into OUT (created when missing),\n"
    "each with a fresh run id and with its providers, provider figures and\n"
    "dispatches, all in one transaction: OUT gets all of them or none. A\n"
    "run OUT already holds (same digest, label, algorithm, seed, workload\n"
    "and scenario hashes) is not copied again, so merging the same inputs\n"
    "twice adds nothing. An input of another schema version is refused.\n"
    "The shards of `ratesim sweep --emit-jobs` are merged this way.\n\n"
    "  -h, --help   this help\n\n"
    "Exit codes: 0 ok, 2 bad usage or an input that cannot be used,\n"
    "3 OUT cannot be written (it is then as it was).\n";

int
cmd_merge(int argc, char **argv)
{
    static const struct option longs[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char err[1024];
    mrg_totals t;
    int c, rc;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        if (c == 'h') {
            fputs(merge_usage, stdout);
            fputs(merge_help, stdout);
            return CLI_OK;
        }
        cli_error("unknown option \"%s\"", argv[optind - 1]);
        fputs(merge_usage, stderr);
        return CLI_USAGE;
    }
    if (argc - optind < 2) {
        cli_error("merge: OUT and at least one IN are required");
        fputs(merge_usage, stderr);
        return CLI_USAGE;
    }
    rc = mrg_merge(argv[optind], (const char *const *)argv + optind + 1,
                   argc - optind - 1, NULL, &t, err, sizeof err);
    if (rc != 0) {
        cli_error("%s", err);
        return rc == 2 ? CLI_USAGE : CLI_IO;
    }
    printf("merged %d database%s into %s: %lld run%s, %lld copied, %lld "
           "already there\n", argc - optind - 1,
           argc - optind - 1 == 1 ? "" : "s", argv[optind],
           (long long)t.runs, t.runs == 1 ? "" : "s", (long long)t.copied,
           (long long)t.duplicates);
    return fflush(stdout) == 0 ? CLI_OK : CLI_IO;
}
