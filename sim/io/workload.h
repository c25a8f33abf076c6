/* SPDX-License-Identifier: MIT
 *
 * The workload reader: a streaming RFC 4180 CSV reader (libcsv underneath)
 * that turns each data row into a sim_request, checking every field (SPEC §3).
 * It holds one row at a time, never the file. It hashes the bytes it reads
 * (SHA-256) so that a run can record what it was fed, and numbers the client
 * keys it meets (0, 1, ...) so that the engine deals in integers.
 */
#ifndef RS_SIM_IO_WORKLOAD_H
#define RS_SIM_IO_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "sim/engine.h"

typedef struct wl wl;

/* Opens path ("-" for standard input) and reads its header row. Pinned
 * provider names are looked up in providers[0..nproviders) (the index is
 * the sim_request's provider). Returns 0, 2 on a bad header, or 2 when the
 * file cannot be opened (a missing input is bad input), with a message
 * "path:line: column: what is wrong" or "path: reason". */
int wl_open(wl **out, const char *path, const char *const *providers,
            int nproviders, char *err, size_t errlen);

/* Reads the next request into *out. Returns 1, 0 at the end of the file, 2
 * on a bad row ("path:line: column: what is wrong"), 3 on a read error. */
int wl_next(wl *w, sim_request *out, char *err, size_t errlen);

/* The number of client key `name`, numbering it now if it is new; called
 * before the first wl_next, it fixes the numbers of known clients (the
 * scenario's [client] sections are numbered 0, 1, ... this way). Returns 0,
 * or 3 out of memory. */
int wl_client_id(wl *w, const char *name, uint32_t *id);

/* The client key numbered id, or NULL. Valid until wl_close. It may be
 * called from another thread than the one calling wl_next (every other
 * function wants one thread at a time). */
const char *wl_client_name(const wl *w, uint32_t id);

/* Number of client keys met so far. */
uint32_t wl_clients(const wl *w);

/* Is the input a regular file (which never makes a read wait long, unlike
 * a pipe or a terminal)? */
int wl_regular(const wl *w);

/* The SHA-256 of the input as 64 lower-case hex digits: of the whole file
 * when it is a regular file (what was not read yet is read for it, and
 * wl_next then gives nothing more), else of the bytes read so far. */
void wl_sha256(wl *w, char hex[65]);

/* The caller will not ask for wl_sha256 (run --db none records nothing):
 * what is read from now on is not hashed, a tenth of the reading's work,
 * and wl_sha256 gives "". */
void wl_skip_sha256(wl *w);

void wl_close(wl *w);

#endif
