/* SPDX-License-Identifier: MIT
 *
 * Fuzzes the access-log importer (sim/io/accesslog.c). The input is a log
 * file, read three times: as clf (client = ip, in order), as combined
 * (client = user, a 2 s window) and as csv (client column, a 1 s window).
 * Whatever the bytes, the reader must release entries in non-decreasing
 * time, each `at` its distance from the first, never negative; report a
 * skipped line as one located line and go on; and count what it did
 * consistently. The bytes are also given straight to the timestamp parser,
 * whose result must lie in its years (1970 to 2200).
 */
#include <stdio.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "sim/io/accesslog.h"

#define S 1000000000LL
/* 1970-01-01 - 1 day (a zone) to 2201-01-01 + 1 day, in ns. */
#define FZ_T_MIN (-86400 * S)
#define FZ_T_MAX (7289654400LL * S + 86400 * S)

static void
fz_read(const char *path, int format, int client, sim_time window)
{
    char err[512] = "";
    alog *a = NULL;
    alog_entry e;
    alog_counts n;
    sim_time first = SIM_NONE, last = SIM_NONE;
    int64_t got = 0, skipped = 0;
    int rc = alog_open(&a, path, format, client, window, err, sizeof err);

    if (rc != 0) {
        fuzz_check(a == NULL && (rc == 2 || rc == 3));
        fuzz_check(err[0] != '\0' && strchr(err, '\n') == NULL);
        return;
    }
    while ((rc = alog_next(a, &e, err, sizeof err)) != 0) {
        if (rc == 2) {
            fuzz_check(strncmp(err, path, strlen(path)) == 0);
            fuzz_check(strchr(err, '\n') == NULL);
            skipped++;
            continue;
        }
        fuzz_check(rc == 1);
        if (first == SIM_NONE)
            first = e.t;
        fuzz_check(last == SIM_NONE || e.t >= last);
        fuzz_check(e.at == e.t - first && e.at >= 0);
        fuzz_check(format == ALOG_CSV || (e.t >= FZ_T_MIN && e.t <= FZ_T_MAX));
        fuzz_check(client != ALOG_CLIENT_NONE || e.client == NULL);
        fuzz_check(e.client == NULL || e.client[0] != '\0');
        last = e.t;
        got++;
    }
    alog_counts_get(a, &n);
    fuzz_check(n.imported == got);
    fuzz_check(n.malformed + n.out_of_order == skipped);
    fuzz_check(n.lines >= got + skipped);
    alog_close(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file("access.log", data, size);
    sim_time t = 0;

    fz_read(path, ALOG_CLF, ALOG_CLIENT_IP, 0);
    fz_read(path, ALOG_COMBINED, ALOG_CLIENT_USER, 2 * S);
    fz_read(path, ALOG_CSV, ALOG_CLIENT_IP, S);
    if (alog_parse_time((const char *)data, size, &t) == NULL)
        fuzz_check(t >= FZ_T_MIN && t <= FZ_T_MAX);
    return 0;
}
