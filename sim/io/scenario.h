/* SPDX-License-Identifier: MIT
 *
 * The scenario reader: an INI file (parsed by inih) turned into a
 * sim_config, with every key checked against the algorithms it configures
 * (SPEC §4). Errors name the file, the line and the key. The same reader
 * takes text assembled elsewhere (sim/io/overlay.h: a file with
 * command-line overrides), each line with the name of its origin.
 */
#ifndef RS_SIM_IO_SCENARIO_H
#define RS_SIM_IO_SCENARIO_H

#include <stddef.h>

#include "sim/engine.h"

/* Reads path into *cfg (zeroed first; providers sorted by order). Returns 0,
 * or 2 with "path:line: key: what is wrong" (or "path: reason" when it
 * cannot be read). On failure *cfg holds nothing to free. */
int scn_load(const char *path, sim_config *cfg, char *err, size_t errlen);

/* Reads a scenario from text (len bytes, which need not end in a NUL), as
 * scn_load reads a file: the same checks, the same messages. A message
 * about line k starts with where[k - 1] when where is given (nwhere
 * entries; a NULL entry or a line past them falls back to "name:k"), so a
 * caller that assembled the text from a file and command-line flags can
 * name the flag a bad line came from; messages about the whole text start
 * with "name:". Returns 0 or 2; on failure *cfg holds nothing to free. */
int scn_load_text(const char *name, const char *text, size_t len,
                  const char *const *where, int nwhere, sim_config *cfg,
                  char *err, size_t errlen);

/* The SHA-256 of the file scn_load read, as 64 hex digits, into hex. */
int scn_sha256(const char *path, char hex[65]);

/* Replaces every rate limit's algorithm with a (SPEC §6 --algo): keeps N/W,
 * defaults a burst the new algorithm needs to N and drops one it does not
 * take. Concurrency limits stay. Returns 0, or 2 with a message when a is
 * NULL-equivalent (unknown name). */
int scn_override_algo(sim_config *cfg, const char *name, char *err,
                      size_t errlen);

/* Frees what scn_load allocated and zeroes *cfg. */
void scn_clear(sim_config *cfg);

#endif
