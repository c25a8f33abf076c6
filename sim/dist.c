/* SPDX-License-Identifier: MIT
 *
 * Distributed providers (SPEC §4): several nodes sharing one provider's
 * rate limits.
 *
 * Central store: a node asks the store for each request (one ask in
 * flight per node); the ask reaches the store after half a round trip.
 * Atomic, the store decides and takes the permits then; read-then-write
 * (atomic = no), the node only reads the state, decides on its copy when
 * the reply arrives, and writes the copy back half a round trip later,
 * over whatever others wrote meanwhile: concurrent decisions race. A
 * refusal tells the node when to ask again (the store's next admit time,
 * or `poll` later). With clock = node, a decision is stamped by the node's
 * skewed clock rather than the store's.
 *
 * Local counters with split = sync: each node admits on its own copy of
 * the whole limit; every sync period the copies' admissions are merged
 * into one state, which every node then starts again from.
 */
#include <stdio.h>
#include <stdlib.h>

#include "sim/engine_int.h"

/* Node n admitted cost now: remember it for the next merge, which is
 * scheduled at the next multiple of the sync period. */
int
dist_log_admission(sim *s, int pi, int n, int64_t cost)
{
    provider *p = &s->prov[pi];
    pnode *nd = &p->node[n];
    int64_t k;

    if (nd->nlog == nd->caplog) {
        size_t cap = nd->caplog ? 2 * nd->caplog : 64;
        struct admission *v = realloc(nd->log, cap * sizeof *v);
        if (!v) {
            snprintf(s->err, s->errlen, "out of memory");
            return SIM_EIO;
        }
        nd->log = v;
        nd->caplog = cap;
    }
    nd->log[nd->nlog++] = (struct admission){s->now, cost};
    if (p->sync_pending)
        return 0;
    p->sync_pending = 1;
    k = s->now / p->cfg.sync;
    return eng_push_event(s, k < INT64_MAX / p->cfg.sync
                                 ? (k + 1) * p->cfg.sync : SIM_NEVER,
                      RANK_ARRIVE, EV_SYNC, NULL, pi);
}

/* The merge: every node's admissions since the last one go into the
 * merged counters in time order (admitted whether the merged limit would
 * have or not: they happened), and every node starts again from the
 * merged state. Between merges each node admits on its own. */
int
dist_on_sync(sim *s, int pi)
{
    provider *p = &s->prov[pi];
    size_t *at = calloc((size_t)p->nnodes, sizeof *at);

    if (!at) {
        snprintf(s->err, s->errlen, "out of memory");
        return SIM_EIO;
    }
    p->sync_pending = 0;
    for (;;) {
        int best = -1;
        for (int n = 0; n < p->nnodes; n++)
            if (at[n] < p->node[n].nlog &&
                (best < 0 || p->node[n].log[at[n]].t <
                                 p->node[best].log[at[best]].t))
                best = n;
        if (best < 0)
            break;
        lset_admit(&p->global, p->node[best].log[at[best]].t,
                   p->node[best].log[at[best]].cost);
        at[best]++;
    }
    free(at);
    for (int n = 0; n < p->nnodes; n++) {
        pnode *nd = &p->node[n];
        nd->nlog = 0;
        lset_clear(&nd->local);
        if (lset_copy(&nd->local, &p->global) != 0) {
            snprintf(s->err, s->errlen, "out of memory");
            return SIM_EIO;
        }
    }
    return 0;
}

/* The instant a decision is made at: the store's clock (real time), or
 * with clock = node the deciding node's reading of its own clock at `t`,
 * never before a stamp already used (the limits' state only goes
 * forward, as a store script taking max(stamp, last) keeps it). */
static sim_time
stamp(provider *p, const req *r, sim_time t)
{
    sim_time ts;

    if (!p->cfg.clock_node)
        return t;
    ts = eng_later(t, p->node[r->ask_node].offset);
    if (ts < p->stamp)
        ts = p->stamp;
    p->stamp = ts;
    return ts;
}

/* Node n of provider pi asks its store for r: r leaves the queue for the
 * round trip; the ask reaches the store after half of it. */
int
dist_ask(sim *s, req *r, int pi, int n)
{
    provider *p = &s->prov[pi];
    sim_time rtt = eng_sample(&p->cfg.rtt, &p->rtt_rng), up = rtt / 2;

    eng_unqueue(s, r);
    r->state = RS_ASKING;
    r->provider = pi;
    r->ask_node = n;
    r->down = rtt - up;
    r->asked = s->now;
    p->node[n].busy = 1;
    return eng_push_event(s, eng_later(s->now, up), RANK_ARRIVE, EV_STORE, r,
                          0);
}

int
dist_on_store(sim *s, req *r)
{
    provider *p = &s->prov[r->provider];

    if (p->cfg.atomic) {
        /* clock = node: the node stamped the ask when it sent it */
        sim_time ts = p->cfg.clock_node ? stamp(p, r, r->asked) : s->now, t;
        r->granted = lset_admits(&p->store, ts, r->in.cost);
        if (r->granted) {
            lset_admit(&p->store, ts, r->in.cost);
            r->go = eng_later(s->now, lset_go_at(&p->store, ts) - ts);
        } else
            t = lset_next_ok(&p->store, ts, r->in.cost),
            r->retry = t == SIM_NEVER ? SIM_NEVER : eng_later(s->now, t - ts);
    } else if (!(r->snap = malloc(sizeof *r->snap)) ||
               lset_copy(r->snap, &p->store) != 0) {
        free(r->snap);
        r->snap = NULL;
        snprintf(s->err, s->errlen, "out of memory");
        return SIM_EIO;
    }
    return eng_push_event(s, eng_later(s->now, r->down), RANK_ARRIVE,
                          EV_REPLY, r, 0);
}

/* A read-then-write node decides on the state it read, and writes it
 * back half a round trip later. */
static int
decide_on_copy(sim *s, req *r)
{
    lset *snap = r->snap;
    sim_time ts = stamp(&s->prov[r->provider], r, s->now);

    r->snap = NULL;
    r->granted = lset_admits(snap, ts, r->in.cost);
    if (r->granted) {
        lset_admit(snap, ts, r->in.cost);
        r->go = eng_later(s->now, lset_go_at(snap, ts) - ts);
        return eng_push_event(s, eng_later(s->now, r->down), RANK_ARRIVE,
                              EV_WRITE,
                          (req *)(void *)snap, r->provider);
    }
    r->retry = lset_next_ok(snap, ts, r->in.cost);
    r->retry = r->retry == SIM_NEVER ? SIM_NEVER
                                     : eng_later(s->now, r->retry - ts);
    lset_clear(snap);
    free(snap);
    return 0;
}

/* Back at the node: a grant sends r; a refusal puts it back in its queue,
 * and the node asks nothing more of the store before the store's next
 * admit time. */
int
dist_on_reply(sim *s, req *r)
{
    provider *p = &s->prov[r->provider];
    pnode *nd = &p->node[r->ask_node];
    sim_time up = r->down;      /* the next ask's way there, about */
    int rc;

    nd->busy = 0;
    r->asking = eng_later(r->asking, s->now - r->asked);
    if (!p->cfg.atomic && (rc = decide_on_copy(s, r)) != 0)
        return rc;
    if (r->granted) {
        sim_time d = r->asking;
        p->st.decisions++;
        p->st.decision_sum = eng_later(p->st.decision_sum, d);
        if (d > p->st.decision_max)
            p->st.decision_max = d;
        /* A reservation's instant is in store time: the call follows it
         * by the reply's way back, as the grant did, so fixed round trips
         * keep the spacing the store granted. */
        return eng_send_at(s, r, r->provider, eng_later(r->go, r->down));
    }
    p->st.denials++;
    /* The node waits until its own clock reads the retry time (less the
     * way there): skewed clocks spread the nodes' next asks. */
    nd->hint = r->retry == SIM_NEVER ? SIM_NEVER
                                     : eng_later(r->retry - up, -nd->offset);
    if (p->cfg.poll > 0)
        nd->hint = eng_later(s->now, p->cfg.poll);
    /* A node whose clock runs ahead asks too early and is refused again:
     * it polls, no faster than once a millisecond. */
    if (nd->hint <= s->now)
        nd->hint = eng_later(s->now, REASK_MIN);
    return eng_requeue(s, r);
}

/* A read-then-write node's write reaches the store: last writer wins. */
int
dist_on_write(sim *s, lset *snap, int pi)
{
    provider *p = &s->prov[pi];

    lset_clear(&p->store);
    p->store = *snap;
    free(snap);
    (void)s;
    return 0;
}
