/* SPDX-License-Identifier: MIT
 *
 * Recording a run (see recrun.h): the providers' descriptions and the
 * progress line, shared by `run` and `compare`.
 */
#include "sim/cli/recrun.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/io/units.h"

#define PROGRESS_EVERY 65536

/* Appends to buf (of size n, *used so far) like snprintf; a full buffer
 * keeps its terminated prefix. */
#define APPEND(buf, n, used, ...)                                           \
    (*(used) += (size_t)snprintf((buf) + *(used),                           \
                                 *(used) < (n) ? (n) - *(used) : 0,         \
                                 __VA_ARGS__))

/* The text stored for a provider: its limits, "algo N/W burst=B; ...". */
static void
describe_provider(const sim_provider_cfg *p, char *algos, size_t na,
                  char *params, size_t np)
{
    size_t ua = 0, up = 0;

    algos[0] = params[0] = '\0';
    for (int i = 0; i < p->nlimits; i++) {
        const sim_limit_cfg *l = &p->limits[i];
        char w[32];
        APPEND(algos, na, &ua, "%s%s", i ? "+" : "", l->algo->name);
        APPEND(params, np, &up, "%s%s", i ? "; " : "", l->algo->name);
        if (l->p.count)
            APPEND(params, np, &up, " %lld/%ss", (long long)l->p.count,
                   units_format_seconds(l->p.window, w, sizeof w));
        if (l->p.burst)
            APPEND(params, np, &up, " burst=%lld", (long long)l->p.burst);
        if (l->p.concurrency)
            APPEND(params, np, &up, " %lld", (long long)l->p.concurrency);
    }
}

int
recrun_begin(rec *r, const rec_run *meta, const sim_config *cfg, char *err,
             size_t errlen)
{
    char algos[256], params[512];

    if (rec_begin(r, meta, err, errlen) != 0)
        return SIM_EIO;
    for (int i = 0; i < cfg->nproviders; i++) {
        describe_provider(&cfg->providers[i], algos, sizeof algos, params,
                          sizeof params);
        if (rec_provider(r, i, cfg->providers[i].name,
                         cfg->providers[i].order, algos, params, err,
                         errlen) != 0)
            return SIM_EIO;
    }
    return 0;
}

/* A copy of s in *out; NULL stays NULL, as in the runs table (a run's
 * algo is NULL without --algo). -1 out of memory. */
static int
dup_or_null(const char *s, char **out)
{
    *out = s ? strdup(s) : NULL;
    return s && !*out ? -1 : 0;
}

/* meta and cfg's providers as a pd_run (owned strings). -1 out of
 * memory, *r then holding what was made. */
static int
feed_meta(const rec_run *meta, const sim_config *cfg, pd_run *r)
{
    char algos[256], params[512];
    int bad;

    memset(r, 0, sizeof *r);
    r->seed = meta->seed;
    bad = dup_or_null(meta->label, &r->label) |
          dup_or_null(meta->algo, &r->algo) |
          dup_or_null(meta->workload, &r->workload) |
          dup_or_null(meta->scenario, &r->scenario) |
          dup_or_null(meta->scenario_sha256, &r->scenario_sha256) |
          dup_or_null(meta->version, &r->version);
    if (!(r->providers = calloc((size_t)cfg->nproviders + 1,
                                sizeof *r->providers)))
        return -1;
    for (int i = 0; i < cfg->nproviders; i++) {
        pd_provider *v = &r->providers[r->nproviders++];
        describe_provider(&cfg->providers[i], algos, sizeof algos, params,
                          sizeof params);
        v->id = i;
        v->ord = cfg->providers[i].order;
        bad |= dup_or_null(cfg->providers[i].name, &v->name) |
               dup_or_null(algos, &v->algo) | dup_or_null(params, &v->params);
    }
    return bad;
}

int
recrun_feed_begin(pd *p, const rec_run *meta, const sim_config *cfg,
                  pd_feed **out, char *err, size_t errlen)
{
    pd_run r;

    *out = NULL;
    if (feed_meta(meta, cfg, &r) != 0) {
        pd_run_clear(&r);
        snprintf(err, errlen, "out of memory");
        return SIM_EIO;
    }
    return pd_feed_begin(p, &r, out, err, errlen) ? SIM_EIO : 0;
}

double
recrun_wall_ms(const struct timespec *t0)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 +
           (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static void
show_progress(void *ctx, sim_time now, uint64_t events)
{
    recrun_progress *p = ctx;
    double ms = recrun_wall_ms(&p->t0);
    char b[32];

    if (ms < 1000 || ms - p->last_ms < 250)
        return;
    p->last_ms = ms;
    p->shown = 1;
    fprintf(stderr, "\rratesim: virtual %ss, %llu events, %.2f M events/s   ",
            units_format_seconds(now - now % 1000000, b, sizeof b),
            (unsigned long long)events, (double)events / ms / 1e3);
}

void
recrun_progress_start(recrun_progress *p, sim *s)
{
    p->last_ms = 0;
    p->shown = 0;
    clock_gettime(CLOCK_MONOTONIC, &p->t0);
    if (isatty(STDERR_FILENO))
        sim_set_progress(s, show_progress, p, PROGRESS_EVERY);
}

void
recrun_progress_end(recrun_progress *p)
{
    if (p->shown)
        fputs("\n", stderr);
    p->shown = 0;
}

int
recrun_stats(rec *r, const sim *s, int nproviders, char *err, size_t errlen)
{
    for (int i = 0; i < nproviders; i++) {
        sim_provider_stats st;
        int rc;
        sim_provider_stats_get(s, i, &st);
        if ((rc = rec_provider_stats(r, i, &st, err, errlen)) != 0)
            return rc;
    }
    return 0;
}
