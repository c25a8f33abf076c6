/* SPDX-License-Identifier: MIT
 *
 * Scenario flags on a command line: --provider, --client, --sim and --set
 * (their syntax is sim/io/overlay.h's), gathered in the order given for
 * the runner. `run`, `sweep` and `scenario` take them alike: each puts
 * SCNOPT_LONGS into its getopt_long table and hands what getopt returns
 * to scnopt_take.
 */
#ifndef RS_SIM_CLI_SCNOPT_H
#define RS_SIM_CLI_SCNOPT_H

#include <getopt.h>

#include "sim/io/overlay.h"

/* getopt_long codes, out of the range of any short option. */
enum {
    SCNOPT_PROVIDER = 0x1000, SCNOPT_CLIENT, SCNOPT_SIM, SCNOPT_SET
};

#define SCNOPT_LONGS                                                  \
    {"provider", required_argument, NULL, SCNOPT_PROVIDER},           \
    {"client", required_argument, NULL, SCNOPT_CLIENT},               \
    {"sim", required_argument, NULL, SCNOPT_SIM},                     \
    {"set", required_argument, NULL, SCNOPT_SET}

/* The flags' lines for a command's --help. */
#define SCNOPT_HELP                                                       \
    "      --provider NAME:ALGO:RATE[:burst=B][:mode=reject][:order=K]\n"  \
    "                       [:KEY=VALUE]...  add [provider NAME]\n"        \
    "      --client NAME[:quota=60/1m][:on_reject=...][:KEY=VALUE]...\n"   \
    "                       add [client NAME]\n"                          \
    "      --sim KEY=VALUE[,KEY=VALUE]...  set keys of [sim]\n"           \
    "      --set SECTION.KEY=VALUE  set one key (SECTION: sim, or a\n"    \
    "                       provider's or client's name), e.g.\n"         \
    "                       --set P1.burst=20 --set sim.seed=7\n"

typedef struct scnopt {
    ovl_flag *flag;     /* in command-line order */
    int n;
} scnopt;

/* Room for up to argc flags. Returns 0, or -1 out of memory. */
int scnopt_init(scnopt *s, int argc);

/* Records opt (a code getopt_long returned) with its argument when it is
 * one of SCNOPT_*: returns 1; else returns 0 and records nothing. */
int scnopt_take(scnopt *s, int opt, const char *arg);

/* Adds a flag of kind (enum ovl_kind) named origin in messages. */
void scnopt_add(scnopt *s, int kind, const char *arg, const char *origin);

void scnopt_clear(scnopt *s);

#endif
