/* SPDX-License-Identifier: MIT
 *
 * Clients' reactions to a refused or failed attempt (SPEC §4): give up
 * (the row stands), retry after an exponential back-off with jitter drawn
 * from the client's own stream, or pause (wait_reset) until the refuser
 * would take the request, holding it and every later request of the
 * client, best first, then submit them again.
 */
#include <stdio.h>

#include "sim/engine_int.h"

/* The k-th retry's back-off: base * 2^(k-1), then the jitter. */
static sim_time
backoff(client *c, int k)
{
    sim_time d = c->cfg.retry_base;

    for (int i = 1; i < k && d < SIM_NEVER / 2; i++)
        d *= 2;
    switch (c->cfg.jitter) {
    case SIM_JITTER_FULL:
        return (sim_time)rng_below(&c->jitter, (uint64_t)d + 1);
    case SIM_JITTER_EQUAL:
        return d / 2 + (sim_time)rng_below(&c->jitter,
                                           (uint64_t)(d - d / 2) + 1);
    default:
        return d;
    }
}

/* A wait_reset pause: r and every later request of the client wait in
 * `held` until the client resumes at `until`. */
int
client_hold(sim *s, client *c, req *r)
{
    r->state = RS_HELD;
    if (rq_push(&c->held, &r->node) != 0) {
        snprintf(s->err, s->errlen, "out of memory");
        return SIM_EIO;
    }
    return 0;
}

static int
pause_client(sim *s, client *c, sim_time until)
{
    if (c->paused_until != SIM_NONE && c->paused_until >= until)
        return 0;
    c->paused_until = until;
    return eng_push_event(s, until, RANK_ARRIVE, EV_RESUME, NULL,
                      (int)(c - s->cl));
}

/* After r's attempt was refused (retry_after: when the refuser would take
 * it; SIM_NEVER if never) or failed, its row is written and its client
 * decides: give up (the row stands), retry after a back-off, or pause
 * until retry_after. A held request keeps its arrival order. */
int
client_react(sim *s, req *r, int outcome, int provider,
             sim_time retry_after)
{
    client *c = eng_client_of(s, r);
    int rc;

    eng_unqueue(s, r);
    if ((rc = eng_emit(s, r, outcome, provider)) != 0)
        return rc;
    if (c && c->cfg.react == SIM_REACT_RETRY && !s->ending &&
        r->attempt <= c->cfg.retry_max) {
        sim_time d = backoff(c, r->attempt);
        r->attempt++;
        r->state = RS_HELD;
        r->node.pos = -1;
        r->ready = d > SIM_NEVER - s->now ? SIM_NEVER : s->now + d;
        return eng_push_event(s, r->ready, RANK_ARRIVE, EV_RESUBMIT, r, 0);
    }
    /* A refuser that would take it now (it was only held by a better
     * request) gives no instant to wait for: the row stands. */
    if (c && c->cfg.react == SIM_REACT_WAIT_RESET &&
        outcome == SIM_REJECTED && retry_after != SIM_NEVER &&
        retry_after > s->now) {
        r->attempt++;
        r->ready = retry_after;
        if ((rc = client_hold(s, c, r)) != 0)
            return rc;
        return pause_client(s, c, retry_after);
    }
    eng_req_release(s, r);
    return 0;
}

/* A wait_reset pause ends: the held requests go again, best first, until
 * one is refused and the client pauses anew. */
int
client_on_resume(sim *s, client *c)
{
    rq_node *n;
    int rc;

    if (c->paused_until != s->now)
        return 0;               /* a later pause replaced this one */
    c->paused_until = SIM_NONE;
    while (c->paused_until == SIM_NONE && (n = rq_peek(&c->held))) {
        req *r = (req *)n;
        rq_remove(&c->held, n);
        r->ready = s->now;
        if ((rc = eng_submit(s, r)) != 0)
            return rc;
    }
    return 0;
}
