/* SPDX-License-Identifier: MIT
 *
 * Fuzzes the workload reader (sim/io/workload.c) and, through it, the
 * engine. The input is a workload CSV. Every request the reader accepts
 * must obey SPEC §3 (non-decreasing `at`, strictly increasing ids, a
 * deadline after `at`, cost >= 1, a known client and provider); a refusal
 * must carry a located message and stay refused. The requests then run
 * through the engine under a fixed scenario with every kind of limit, a
 * reject provider, a schedule, latency, a quota and retries, and every row
 * it writes must make sense (fuzz_engine_run.h): so extreme times and
 * costs from a file are followed all the way to the rows.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "fuzz/fuzz_engine_run.h"
#include "sim/io/scenario.h"
#include "sim/io/workload.h"

static const char fz_scenario[] =
    "[sim]\nseed = 7\nqueue = priority\n"
    "[provider P1]\nlimit = token_bucket 3/s burst=2\n"
    "limit = fixed_window 100/1m\nconcurrency = 2\nlatency = 20ms\n"
    "[provider P2]\nalgo = leaky_bucket\nrate = 5/s\nburst = 3\n"
    "mode = reject\nlatency = exp:5ms\nfail = 0.2\n"
    "[provider slow]\nalgo = sliding_log\nrate = 2/1m\n"
    "schedule = off@10s, on@20s\nlatency = uniform:1ms..2s\n"
    "[client a]\nquota = 5/s\non_reject = retry:expo,base=100ms,max=3,"
    "jitter=full\n"
    "[client b]\nquota = 2/1s\nquota_algo = gcra\non_reject = wait_reset\n";

static sim_config fz_cfg;

static void
fz_setup(void)
{
    static int done;
    char err[512];
    const char *path;

    if (done)
        return;
    path = fuzz_file("scenario.ini", (const uint8_t *)fz_scenario,
                     sizeof fz_scenario - 1);
    if (scn_load(path, &fz_cfg, err, sizeof err) != 0)
        fuzz_fail(__FILE__, __LINE__, err);
    done = 1;
}

/* The engine's source: the reader, with the SPEC §3 checks on the way. */
typedef struct fz_src {
    wl *w;
    int64_t n;
    sim_request last;
    int failed;
} fz_src;

static int
fz_next(void *ctx, sim_request *out, char *err, size_t errlen)
{
    fz_src *c = ctx;
    int rc = wl_next(c->w, out, err, errlen);

    if (rc != 1) {
        fuzz_check(rc == 0 || rc == SIM_EINPUT || rc == SIM_EIO);
        fuzz_check(rc == 0 || (err[0] != '\0' && strchr(err, '\n') == NULL));
        c->failed = rc;
        return rc;
    }
    fuzz_check(out->at >= 0 && out->after >= 0 && out->cost >= 1);
    fuzz_check(out->deadline == SIM_NEVER || out->deadline > out->at);
    fuzz_check(out->service == SIM_NONE || out->service >= 0);
    fuzz_check(out->provider >= -1 && out->provider < fz_cfg.nproviders);
    fuzz_check(wl_client_name(c->w, out->client) != NULL);
    if (c->n > 0) {
        fuzz_check(out->at >= c->last.at);
        fuzz_check(out->id > c->last.id);
    }
    c->last = *out;
    c->n++;
    return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *names[SIM_MAX_LIMITS];
    const char *path = fuzz_file("workload.csv", data, size);
    char err[512] = "", again[512] = "";
    fz_src src = {0};
    sim *s = NULL;
    sim_request r;
    uint32_t id;
    int rc;

    fz_setup();
    for (int i = 0; i < fz_cfg.nproviders; i++)
        names[i] = fz_cfg.providers[i].name;
    rc = wl_open(&src.w, path, names, fz_cfg.nproviders, err, sizeof err);
    if (rc != 0) {
        fuzz_check(src.w == NULL && (rc == SIM_EINPUT || rc == SIM_EIO));
        fuzz_check(err[0] != '\0');
        return 0;
    }
    for (int i = 0; i < fz_cfg.nclients; i++)
        fuzz_check(wl_client_id(src.w, fz_cfg.clients[i].name, &id) == 0 &&
                   id == (uint32_t)i);
    if (sim_new(&s, &fz_cfg, err, sizeof err) != 0)
        fuzz_fail(__FILE__, __LINE__, err);
    fz_run(s, fz_next, &src, NULL);
    /* An error is sticky: asking again gives it again. */
    if (src.failed) {
        fuzz_check(wl_next(src.w, &r, again, sizeof again) == src.failed);
    } else {
        char hex[65];

        fuzz_check(wl_next(src.w, &r, again, sizeof again) == 0);
        wl_sha256(src.w, hex);
        fuzz_check(strlen(hex) == 64);
    }
    sim_free(s);
    wl_close(src.w);
    return 0;
}
