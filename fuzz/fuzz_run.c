/* SPDX-License-Identifier: MIT
 *
 * Fuzzes a whole run: the input is a scenario INI, a line "%%", then a
 * workload CSV (without the line, all of it is the scenario and the
 * workload is a header alone). When both readers accept their part, the
 * workload runs through the engine under the scenario, and every row must
 * make sense (fuzz_engine_run.h). This is the harness that reaches the
 * engine and the algorithms with extreme values on both sides at once:
 * rates and bursts near 2^63, costs near 2^62, times near 292 years.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "fuzz/fuzz_engine_run.h"
#include "sim/io/scenario.h"
#include "sim/io/workload.h"

static int
fz_next(void *ctx, sim_request *out, char *err, size_t errlen)
{
    return wl_next(ctx, out, err, errlen);
}

/* Where the workload starts: after the first line that is "%%". */
static size_t
fz_split(const uint8_t *data, size_t size, size_t *scn_len)
{
    for (size_t i = 0; i + 2 <= size; i++) {
        if ((i == 0 || data[i - 1] == '\n') && data[i] == '%' &&
            data[i + 1] == '%' && (i + 2 == size || data[i + 2] == '\n')) {
            *scn_len = i;
            return i + 2 == size ? size : i + 3;
        }
    }
    *scn_len = size;
    return size;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char header[] = "at\n";
    const char *names[64];
    char err[1024] = "";
    size_t scn_len, wl_at = fz_split(data, size, &scn_len);
    const char *scn = fuzz_file("scenario.ini", data, scn_len);
    const char *wlp = wl_at < size
                          ? fuzz_file("workload.csv", data + wl_at, size - wl_at)
                          : fuzz_file("workload.csv", (const uint8_t *)header,
                                      sizeof header - 1);
    sim_config cfg;
    wl *w = NULL;
    sim *s = NULL;
    uint32_t id;

    if (scn_load(scn, &cfg, err, sizeof err) != 0)
        return 0;
    if (cfg.nproviders > (int)(sizeof names / sizeof *names))
        goto out;
    for (int i = 0; i < cfg.nproviders; i++)
        names[i] = cfg.providers[i].name;
    if (wl_open(&w, wlp, names, cfg.nproviders, err, sizeof err) != 0)
        goto out;
    for (int i = 0; i < cfg.nclients; i++)
        fuzz_check(wl_client_id(w, cfg.clients[i].name, &id) == 0 &&
                   id == (uint32_t)i);
    if (sim_new(&s, &cfg, err, sizeof err) != 0)
        fuzz_fail(__FILE__, __LINE__, err);
    fz_run(s, fz_next, w, NULL);
    sim_free(s);
out:
    wl_close(w);
    scn_clear(&cfg);
    return 0;
}
