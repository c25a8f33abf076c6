/* SPDX-License-Identifier: MIT
 *
 * The access-log reader behind `ratesim import`: web server logs (Common
 * and Combined Log Format, as nginx and Apache write them) or a CSV with a
 * `time` column, turned into arrivals sorted by time.
 *
 *   clf       host ident user [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0"
 *             200 2326 -- anything after these seven fields is ignored, so
 *             clf also reads combined logs
 *   combined  the same plus "referer" "user-agent" (and anything after)
 *   csv       a header row naming a `time` column (Unix epoch seconds, up
 *             to 9 decimals, read exactly) and optionally a `client`
 *             column; other columns are ignored; one record per line
 *
 * A timestamp's seconds may carry a fraction (13:55:36.250); its zone
 * offset is applied exactly, so every time is integer nanoseconds since
 * the Unix epoch (UTC), and the arrival time is its distance from the
 * earliest line imported.
 *
 * Real logs are slightly out of order (a server writes a line when a
 * request ends, stamped with when it began). Lines are held in a heap
 * until a line `window` later has been read, and released in time order
 * (file order among equal times); memory is what the window holds. A line
 * earlier than one already released cannot be placed any more and is
 * skipped as out of order, which never happens to a line less than
 * `window` behind the latest seen.
 *
 * A line that cannot be used is reported through alog_next (return 2,
 * "path:line: field: what is wrong") and the reader goes on with the next.
 */
#ifndef RS_SIM_IO_ACCESSLOG_H
#define RS_SIM_IO_ACCESSLOG_H

#include <stddef.h>
#include <stdint.h>

#include "sim/time.h"

enum alog_format { ALOG_CLF, ALOG_COMBINED, ALOG_CSV };
enum alog_client { ALOG_CLIENT_IP, ALOG_CLIENT_USER, ALOG_CLIENT_NONE };

/* One imported arrival. */
typedef struct alog_entry {
    sim_time t;                 /* ns since the Unix epoch, UTC */
    sim_time at;                /* ns since the earliest entry */
    const char *client;         /* NULL: none (or user "-"); valid until
                                 * the next alog_next */
} alog_entry;

/* What the reader has met so far. */
typedef struct alog_counts {
    int64_t lines;              /* lines read, blank and comment ones too */
    int64_t imported;           /* entries released */
    int64_t malformed;          /* lines that did not parse */
    int64_t out_of_order;       /* lines too far out of order to place */
} alog_counts;

typedef struct alog alog;

/* Opens path ("-": standard input). For csv, reads the header. window >= 0
 * is how far out of order a line may be (0: the file must be in order).
 * Returns 0, or 2 ("path: reason", "path:1: header: ...") or 3. */
int alog_open(alog **out, const char *path, int format, int client,
              sim_time window, char *err, size_t errlen);

/* Returns 1 with the next entry in time order; 0 at the end; 2 for a
 * skipped line (malformed or out of order, message in err: the caller may
 * go on calling); 3 on a read error or when out of memory. */
int alog_next(alog *a, alog_entry *out, char *err, size_t errlen);

void alog_counts_get(const alog *a, alog_counts *out);
void alog_close(alog *a);

/* Parses a CLF timestamp "10/Oct/2000:13:55:36 -0700" (the text between
 * the brackets; an optional fraction after the seconds) into ns since the
 * Unix epoch. Returns NULL, or a short static message. */
const char *alog_parse_time(const char *s, size_t len, sim_time *out);

#endif
