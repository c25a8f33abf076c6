/* SPDX-License-Identifier: MIT
 *
 * Fuzzes the scenario reader (sim/io/scenario.c): sections, keys and every
 * kind of value (durations, rates, limits, latency models, schedules,
 * retry policies, quotas). The input is a scenario INI file. A refusal
 * must be one located line ("path:line: ..." or "path: ..."); an accepted
 * scenario must be one the engine takes (sim_new succeeds) and then runs:
 * a small fixed workload (costs 1 to 3, priorities, a deadline, a valid-
 * after time, a client of each kind) goes through it, once as written and
 * once with every rate limit replaced as `run --algo` would (the algorithm
 * picked by the input's length), and every row must make sense.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "fuzz/fuzz_engine_run.h"
#include "sim/io/scenario.h"

#define S 1000000000LL

static const char *const fz_algos[] = {
    "token_bucket", "fixed_window", "sliding_log", "sliding_window",
    "leaky_bucket", "gcra", "concurrency", "no_such_algo",
};

/* Requests for the run: id, at, after, deadline, service, cost,
 * priority, provider (0: the first; -1 free), client. */
static const sim_request fz_requests[] = {
    {1, 0, 0, SIM_NEVER, SIM_NONE, 1, 0, -1, 0},
    {2, 0, 0, SIM_NEVER, SIM_NONE, 2, 5, -1, 1},
    {3, 0, 2 * S, SIM_NEVER, SIM_NONE, 1, 0, -1, 2},
    {4, S / 3, S / 3, 3 * S, SIM_NONE, 3, 1, -1, 0},
    {5, S / 3, S / 3, SIM_NEVER, 0, 1, 0, 0, 3},
    {6, S, S, SIM_NEVER, 250000000, 1, -1, -1, 1},
    {7, 90 * S, 90 * S, 91 * S, SIM_NONE, 2, 0, -1, 0},
};

typedef struct fz_feed {
    int i;
    int nproviders;
} fz_feed;

static int
fz_next(void *ctx, sim_request *out, char *err, size_t errlen)
{
    fz_feed *f = ctx;

    (void)err;
    (void)errlen;
    if (f->i == (int)(sizeof fz_requests / sizeof fz_requests[0]))
        return 0;
    *out = fz_requests[f->i++];
    if (out->provider >= f->nproviders)
        out->provider = -1;
    return 1;
}

static void
fz_simulate(const sim_config *cfg)
{
    char err[512] = "";
    fz_feed feed = {0, cfg->nproviders};
    sim *s = NULL;

    if (sim_new(&s, cfg, err, sizeof err) != 0)
        fuzz_fail(__FILE__, __LINE__, err);
    fuzz_check(fz_run(s, fz_next, &feed, NULL) == 0);
    sim_free(s);
}

/* A message is one line that starts with the path. */
static void
fz_check_msg(const char *path, const char *err)
{
    size_t n = strlen(path);

    fuzz_check(strncmp(err, path, n) == 0 && err[n] == ':');
    fuzz_check(strchr(err, '\n') == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file("scenario.ini", data, size);
    const char *name = fz_algos[size % (sizeof fz_algos / sizeof *fz_algos)];
    char err[1024] = "";
    sim_config cfg;
    int rc = scn_load(path, &cfg, err, sizeof err);

    if (rc != 0) {
        fuzz_check(rc == SIM_EINPUT);
        fz_check_msg(path, err);
        fuzz_check(cfg.providers == NULL && cfg.clients == NULL);
        return 0;
    }
    fuzz_check(cfg.nproviders >= 1);
    for (int i = 1; i < cfg.nproviders; i++)
        fuzz_check(cfg.providers[i - 1].order < cfg.providers[i].order);
    fz_simulate(&cfg);
    err[0] = '\0';
    if (scn_override_algo(&cfg, name, err, sizeof err) == 0)
        fz_simulate(&cfg);
    else
        fuzz_check(err[0] != '\0' && strchr(err, '\n') == NULL);
    scn_clear(&cfg);
    return 0;
}
