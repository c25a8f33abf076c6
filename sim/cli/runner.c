/* SPDX-License-Identifier: MIT
 *
 * The runner (see runner.h). It owns the scenario's sim_config, the
 * workload reader and the engine, so a command holds one object and frees
 * it once. A scenario with flags is assembled by the overlay and read from
 * its text; one without is read from its file as it always was. A workload
 * that is a regular file is read on a thread of its own (sim/io/prefetch),
 * ahead of the engine; a pipe is read as the engine asks, since a thread
 * waiting on it could not be stopped. The rows go to the digest and the
 * command's sink on another (sim/io/rowpipe), so the engine's thread does
 * nothing but simulate.
 */
#include "sim/cli/runner.h"

#include <stdio.h>
#include <stdlib.h>

#include "sim/digest.h"
#include "sim/io/prefetch.h"
#include "sim/io/rowpipe.h"
#include "sim/io/scenario.h"
#include "sim/io/workload.h"

struct runner {
    sim_config cfg;
    int loaded;
    wl *w;
    prefetch *pf;
    sim *s;
    char scn_sha[65];
    digest dg;
    runner_row_fn fn;
    void *ctx;
};

static int
open_workload(runner *r, const char *path, int skip_sha, char *err,
              size_t errlen)
{
    const char **names = calloc((size_t)r->cfg.nproviders + 1, sizeof *names);
    int rc;

    if (!names) {
        snprintf(err, errlen, "out of memory");
        return SIM_EIO;
    }
    for (int i = 0; i < r->cfg.nproviders; i++)
        names[i] = r->cfg.providers[i].name;
    rc = wl_open(&r->w, path, names, r->cfg.nproviders, err, errlen);
    free(names);
    if (rc == 0 && skip_sha)
        wl_skip_sha256(r->w);
    /* The engine knows client i by number i: number them first. */
    for (int i = 0; rc == 0 && i < r->cfg.nclients; i++) {
        uint32_t id;
        if (wl_client_id(r->w, r->cfg.clients[i].name, &id) != 0 ||
            id != (uint32_t)i) {
            snprintf(err, errlen, "out of memory");
            rc = SIM_EIO;
        }
    }
    return rc;
}

/* The file and the flags over it, through the overlay. */
static int
load_overlay(const runner_in *in, sim_config *cfg, char sha[65], char *err,
             size_t errlen)
{
    ovl *o = NULL;
    const char *const *where;
    const char *text;
    size_t len;
    int rc, nlines;

    if ((rc = ovl_build(&o, in->scenario, in->flags, in->nflags, err,
                        errlen)) != 0)
        return rc;
    text = ovl_text(o, &len);
    where = ovl_where(o, &nlines);
    rc = scn_load_text(ovl_name(o), text, len, where, nlines, cfg, err,
                       errlen);
    if (rc == 0 && ovl_sha256(o, sha) != 0)
        sha[0] = '\0';
    ovl_free(o);
    return rc;
}

int
runner_scenario(const runner_in *in, sim_config *cfg, char sha[65],
                char *err, size_t errlen)
{
    int rc;

    sha[0] = '\0';
    if (in->nflags > 0 || !in->scenario)
        rc = load_overlay(in, cfg, sha, err, errlen);
    else if ((rc = scn_load(in->scenario, cfg, err, errlen)) == 0 &&
             scn_sha256(in->scenario, sha) != 0)
        sha[0] = '\0';
    if (rc != 0)
        return rc;
    if (in->has_seed)
        cfg->seed = in->seed;
    if (in->algo &&
        (rc = scn_override_algo(cfg, in->algo, err, errlen)) != 0) {
        scn_clear(cfg);
        return rc;
    }
    return 0;
}

int
runner_open(runner **out, const runner_in *in, char *err, size_t errlen)
{
    runner *r = calloc(1, sizeof *r);
    int rc;

    *out = NULL;
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return SIM_EIO;
    }
    if ((rc = runner_scenario(in, &r->cfg, r->scn_sha, err, errlen)) != 0)
        goto fail;
    r->loaded = 1;
    if ((rc = open_workload(r, in->workload, in->no_workload_sha, err,
                             errlen)) != 0 ||
        (rc = sim_new(&r->s, &r->cfg, err, errlen)) != 0)
        goto fail;
    digest_init(&r->dg);
    *out = r;
    return 0;
fail:
    runner_close(r);
    return rc;
}

void
runner_close(runner *r)
{
    if (!r)
        return;
    prefetch_stop(r->pf);
    sim_free(r->s);
    wl_close(r->w);
    if (r->loaded)
        scn_clear(&r->cfg);
    free(r);
}

const sim_config *
runner_config(const runner *r)
{
    return &r->cfg;
}

sim *
runner_sim(runner *r)
{
    return r->s;
}

const char *
runner_scenario_sha256(const runner *r)
{
    return r->scn_sha[0] ? r->scn_sha : NULL;
}

static int
source(void *ctx, sim_request *out, char *err, size_t errlen)
{
    return wl_next(((runner *)ctx)->w, out, err, errlen);
}

static int
sink(void *ctx, const sim_row *row, char *err, size_t errlen)
{
    runner *r = ctx;
    const char *pname = row->provider >= 0
                            ? r->cfg.providers[row->provider].name : NULL;

    digest_add(&r->dg, row, pname);
    return r->fn(r->ctx, row, wl_client_name(r->w, row->client), pname, err,
                 errlen);
}

int
runner_go(runner *r, runner_row_fn fn, void *ctx, char *err, size_t errlen)
{
    sim_source_fn src = source;
    void *src_ctx = r;
    rowpipe *rp = NULL;
    int rc;

    r->fn = fn;
    r->ctx = ctx;
    if (wl_regular(r->w)) {
        if ((rc = prefetch_start(&r->pf, source, r, err, errlen)) != 0)
            return rc;
        src = prefetch_next;
        src_ctx = r->pf;
    }
    if ((rc = rowpipe_start(&rp, sink, r, err, errlen)) == 0) {
        rc = sim_run(r->s, src, src_ctx, rowpipe_put, rp, err, errlen);
        if (rc == 0)
            rc = rowpipe_finish(rp, err, errlen);
        else
            rowpipe_stop(rp);
    }
    prefetch_stop(r->pf);
    r->pf = NULL;
    return rc;
}

void
runner_digest(const runner *r, char hex[33])
{
    digest_hex(&r->dg, hex);
}

void
runner_workload_sha256(runner *r, char hex[65])
{
    wl_sha256(r->w, hex);
}
