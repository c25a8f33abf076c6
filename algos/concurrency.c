/* SPDX-License-Identifier: MIT
 *
 * concurrency: at most n permits in flight. A request takes its cost in
 * permits when it goes out and gives them back when it completes (release).
 * Nothing but a release makes room, so next_ok is either now or never; the
 * engine re-asks after every completion.
 */
#include "sim/limit.h"

#include <stdio.h>

typedef struct conc {
    int64_t n;          /* permits */
    int64_t busy;       /* permits in flight */
} conc;

static int
conc_init(void *st, const algo_params *p, char *err, size_t errlen)
{
    conc *c = st;

    if (p->concurrency < 1) {
        snprintf(err, errlen, "concurrency: must be at least 1");
        return 2;
    }
    c->n = p->concurrency;
    return 0;
}

static int64_t
conc_capacity(const void *st)
{
    return ((const conc *)st)->n;
}

static sim_time
conc_next_ok(const void *st, sim_time now, int64_t cost)
{
    const conc *c = st;

    return c->busy + cost <= c->n ? now : SIM_NEVER;
}

static void
conc_admit(void *st, sim_time now, int64_t cost)
{
    (void)now;
    ((conc *)st)->busy += cost;
}

static void
conc_release(void *st, sim_time now, int64_t cost)
{
    (void)now;
    ((conc *)st)->busy -= cost;
}

const algo algo_concurrency = {
    .name = "concurrency",
    .takes = ALGO_TAKES_CONCURRENCY,
    .needs = ALGO_TAKES_CONCURRENCY,
    .state_size = sizeof(conc),
    .init = conc_init,
    .capacity = conc_capacity,
    .next_ok = conc_next_ok,
    .admit = conc_admit,
    .release = conc_release,
};
