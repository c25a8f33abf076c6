/* SPDX-License-Identifier: MIT
 *
 * The command line: one cmd_<name> function per subcommand, dispatched from
 * the table in main.c. This layer alone prints and chooses exit codes:
 * 0 success, 1 a check found a difference, 2 bad usage or input, 3 database
 * or output failure, 130/143 interrupted (SPEC §6).
 */
#ifndef RS_SIM_CLI_CLI_H
#define RS_SIM_CLI_CLI_H

#define RATESIM_VERSION "0.1.0"

enum { CLI_OK = 0, CLI_DIFF = 1, CLI_USAGE = 2, CLI_IO = 3 };

int cmd_run(int argc, char **argv);
int cmd_schedule(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_scenario(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_merge(int argc, char **argv);

/* Prints "ratesim: msg" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
