/* SPDX-License-Identifier: MIT
 *
 * Runs the engine for a fuzz harness and checks every row it gives back
 * against SPEC §2 and §7: an attempt that went out did so at or after its
 * ready time and completed at or after that; one that did not has no
 * dispatch or completion time; the outcome is one the database accepts;
 * and the attempts of a request count 1, 2, ... Header-only: each harness
 * that runs the engine includes it once.
 *
 * A run is cut after FZ_MAX_EVENTS (10^5) events, through the engine's
 * own stop flag: a scenario may rightly ask for billions (a store polled
 * every 11 ns for 90 s of virtual time makes 1.5 * 10^9, 90 s of work),
 * which would only spend the fuzzer's time; the rows up to the cut are
 * checked.
 */
#ifndef RS_FUZZ_ENGINE_RUN_H
#define RS_FUZZ_ENGINE_RUN_H

#include <signal.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "sim/engine.h"

typedef struct fz_rows {
    int64_t rows;
    int64_t last_req;
    int32_t last_attempt;
} fz_rows;

static int
fz_sink(void *ctx, const sim_row *r, char *err, size_t errlen)
{
    fz_rows *c = ctx;
    int out = r->t_dispatch != SIM_NONE;

    (void)err;
    (void)errlen;
    c->rows++;
    fuzz_check(sim_outcome_name(r->outcome) != NULL);
    fuzz_check(r->attempt >= 1 && r->cost >= 1);
    fuzz_check(r->t_arrive != SIM_NONE && r->t_ready >= r->t_arrive);
    fuzz_check(out == (r->outcome == SIM_OK || r->outcome == SIM_FAILED));
    if (out) {
        fuzz_check(r->t_dispatch >= r->t_ready);
        fuzz_check(r->t_done != SIM_NONE && r->t_done >= r->t_dispatch);
        fuzz_check(r->provider >= 0);
    } else {
        fuzz_check(r->t_done == SIM_NONE);
    }
    return 0;
}

#define FZ_MAX_EVENTS 100000

static void
fz_cut(void *ctx, sim_time now, uint64_t events)
{
    (void)now;
    if (events >= FZ_MAX_EVENTS)
        *(volatile sig_atomic_t *)ctx = 1;
}

/* Runs s to the end (or the cut) from src; fails the input on a sink or
 * engine error other than the source's own (bad input is fine, a crash is
 * not). A cut run counts as a run to the end. */
static int
fz_run(sim *s, sim_source_fn src, void *src_ctx, int64_t *rows)
{
    static volatile sig_atomic_t cut;
    fz_rows c = {0};
    char err[512] = "";
    int rc;

    cut = 0;
    sim_set_progress(s, fz_cut, (void *)&cut, 1 << 16);
    sim_set_stop(s, &cut);
    rc = sim_run(s, src, src_ctx, fz_sink, &c, err, sizeof err);
    if (rc == SIM_EINTR && cut) {
        if (rows)
            *rows = c.rows;
        return 0;
    }
    fuzz_check(rc == 0 || rc == SIM_EINPUT || rc == SIM_EIO);
    fuzz_check(rc == 0 || err[0] != '\0');
    fuzz_check(sim_events(s) >= sim_requests(s));
    if (rows)
        *rows = c.rows;
    return rc;
}

#endif
