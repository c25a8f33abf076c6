/* SPDX-License-Identifier: MIT
 *
 * The engine: event loop and dispatch rule (SPEC §2).
 *
 * Representation. Requests live in a pool of fixed-size records recycled
 * through a free list, so memory follows the number of requests that have
 * arrived and are not finished, never the workload's length; a record's
 * generation number goes up each time it is recycled, which is how events
 * that point at a finished request are recognised as dead. The source is
 * read one request ahead: its arrival is the only arrival event pending,
 * and it is kept beside the heap rather than in it (one push and one pop
 * fewer per request), stamped with the heap's next sequence number so that
 * it takes its turn exactly as if it had been pushed.
 *
 * Waiting requests sit in ready queues, one per (pinned provider or none,
 * cost, node of each distributed provider). Within one queue every request
 * has the same candidates (the enabled providers it may use that could
 * ever admit its cost) through the same nodes, so once the head of a queue
 * has to wait, every request behind it would wait too and could hold
 * nothing new: the dispatch scan merges the queue heads in queue order and
 * drops a queue for the rest of the instant as soon as its head waits.
 * That is the dispatch rule of SPEC §2 exactly, at a cost that does not
 * grow with the queue's length.
 *
 * Requests whose candidates all refuse instead of queueing (mode = reject,
 * or a limit whose queue is full, as a leaky bucket's: algo.overflow) never
 * wait: they are put in the `fresh` queue when they become ready and
 * decided in the same scan, in queue order with the rest.
 *
 * Time. Events at one instant run in rank order (provider switches,
 * completions, expiries, arrivals and readiness), then one dispatch scan
 * decides, and sets the one wake-up instant at which a held provider would
 * admit the request holding it. The loop advances to the earlier of that
 * wake-up and the next event; nothing polls.
 *
 * Clients' reactions live in client.c, distributed providers in dist.c;
 * engine_int.h holds what the three share.
 */
#include "sim/engine.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine_int.h"
#include "sim/fmath.h"

static const char *const outcome_names[] = {
    "ok", "failed", "rejected", "expired", "dropped",
};

const char *
sim_outcome_name(int outcome)
{
    if (outcome < 0 || outcome > SIM_DROPPED)
        return NULL;
    return outcome_names[outcome];
}

/* ------------------------------------------------------------------ */
/* Queue order                                                         */
/* ------------------------------------------------------------------ */

/* The queue order (SPEC §2, §4), always total: edf puts the earliest
 * deadline first (none last); then priority, higher first (not for fifo);
 * wfq then the smaller finish tag; then ready time, then arrival. */
static int
req_before(const rq_node *an, const rq_node *bn, const void *ctx)
{
    const req *a = (const req *)an, *b = (const req *)bn;
    const sim *s = ctx;

    if (s->cfg.queue == SIM_QUEUE_EDF && a->in.deadline != b->in.deadline)
        return a->in.deadline < b->in.deadline;
    if (s->cfg.queue != SIM_QUEUE_FIFO && a->in.priority != b->in.priority)
        return a->in.priority > b->in.priority;
    if (s->cfg.queue == SIM_QUEUE_WFQ && a->tag != b->tag)
        return a->tag < b->tag;
    if (a->ready != b->ready)
        return a->ready < b->ready;
    return a->seq < b->seq;
}

/* A client's held requests: priority (higher first), then arrival. */
static int
held_before(const rq_node *an, const rq_node *bn, const void *ctx)
{
    const req *a = (const req *)an, *b = (const req *)bn;

    (void)ctx;
    if (a->in.priority != b->in.priority)
        return a->in.priority > b->in.priority;
    return a->seq < b->seq;
}

/* ------------------------------------------------------------------ */
/* Request pool                                                        */
/* ------------------------------------------------------------------ */

static req *
req_alloc(sim *s)
{
    req *r;

    if (!s->free_reqs) {
        req *chunk = calloc(POOL_CHUNK, sizeof *chunk);
        void **chunks = realloc(s->chunks, (s->nchunks + 1) * sizeof *chunks);
        if (!chunk || !chunks) {
            free(chunk);
            if (chunks)
                s->chunks = chunks;
            return NULL;
        }
        s->chunks = chunks;
        s->chunks[s->nchunks++] = chunk;
        for (size_t i = 0; i < POOL_CHUNK; i++) {
            chunk[i].next_free = s->free_reqs;
            s->free_reqs = &chunk[i];
        }
    }
    r = s->free_reqs;
    s->free_reqs = r->next_free;
    s->live++;
    return r;
}

void
eng_req_release(sim *s, req *r)
{
    if (r->snap) {
        lset_clear(r->snap);
        free(r->snap);
        r->snap = NULL;
    }
    r->gen++;
    r->next_free = s->free_reqs;
    s->free_reqs = r;
    s->live--;
}

/* ------------------------------------------------------------------ */
/* Providers and their limits                                          */
/* ------------------------------------------------------------------ */

/* The node of provider p a request goes through: by a hash of its client,
 * or in turn (by arrival order); always 0 for a plain provider. */
static int
node_of(const provider *p, const req *r)
{
    uint64_t x;

    if (p->nnodes == 1)
        return 0;
    if (p->cfg.node_by == SIM_NODE_BY_ROUND_ROBIN)
        return (int)(r->seq % (uint64_t)p->nnodes);
    x = (uint64_t)r->in.client * 0x9e3779b97f4a7c15ULL;
    return (int)((x ^ (x >> 29)) % (uint64_t)p->nnodes);
}

/* The limits that decide at node n at once (a central store's answer
 * takes a round trip instead). */
static const lset *
gate(const provider *p, int n)
{
    return p->local ? &p->node[n].local : &p->store;
}

/* Does provider p, through r's node, take r now? Central: the node may
 * ask (nothing in flight, and no refusal that still stands). */
static int
node_admits(const provider *p, const req *r, sim_time now)
{
    int n = node_of(p, r);
    const pnode *nd = &p->node[n];

    if (p->central)
        return !nd->busy && now >= nd->hint;
    if (p->local && !lset_admits(&p->store, now, r->in.cost))
        return 0;
    return lset_admits(gate(p, n), now, r->in.cost);
}

/* When could it? SIM_NEVER while an ask is in flight (its reply is an
 * event) or when only a release can make room. */
static sim_time
node_next_ok(const provider *p, const req *r, sim_time now)
{
    int n = node_of(p, r);
    const pnode *nd = &p->node[n];
    sim_time t;

    if (p->central)
        return nd->busy ? SIM_NEVER : nd->hint > now ? nd->hint : now;
    t = lset_next_ok(gate(p, n), now, r->in.cost);
    if (p->local && t != SIM_NEVER) {
        sim_time u = lset_next_ok(&p->store, t, r->in.cost);
        t = u > t ? u : t;
    }
    return t;
}

/* Enabled now, or switched on later by its schedule. */
static int
provider_ever_on(const provider *p)
{
    if (p->enabled)
        return 1;
    for (int i = p->next_switch; i < p->cfg.nswitch; i++)
        if (p->cfg.schedule[i].on)
            return 1;
    return 0;
}

/* a + b for the summary's counts of permits, held at INT64_MAX instead of
 * overflowing: costs may be up to 2^63 - 1 each, and a count that only
 * grows has no later subtraction to get wrong. */
static int64_t
sat_add(int64_t a, int64_t b)
{
    int64_t sum;

    return __builtin_add_overflow(a, b, &sum) ? INT64_MAX : sum;
}

/* Doubles the ring (64 to start with), its entries moved to the front. */
static int
window_grow(window *w)
{
    size_t cap = w->cap ? w->cap * 2 : 64;
    sim_time *nt = malloc(cap * sizeof *nt);
    algo_i128 *nc = malloc(cap * sizeof *nc);

    if (!nt || !nc) {
        free(nt);
        free(nc);
        return -1;
    }
    for (size_t i = 0; i < w->n; i++) {
        nt[i] = w->t[(w->head + i) & (w->cap - 1)];
        nc[i] = w->c[(w->head + i) & (w->cap - 1)];
    }
    free(w->t);
    free(w->c);
    w->t = nt;
    w->c = nc;
    w->head = 0;
    w->cap = cap;
    return 0;
}

/* The ring's capacity is a power of two, so positions wrap with a mask
 * rather than a division, once a dispatch. The ring's fields are worked on
 * in locals: a store through w->t (int64) may alias the size_t fields as far
 * as the compiler knows, and would make it load them again. */
static int
window_add(window *w, sim_time t, int64_t cost, sim_time len)
{
    size_t mask = w->cap - 1, head = w->head, n = w->n;
    algo_i128 sum = w->sum;

    while (n && w->t[head] <= t - len) {
        sum -= w->c[head];
        head = (head + 1) & mask;
        n--;
    }
    if (n && w->t[(head + n - 1) & mask] == t) {
        w->c[(head + n - 1) & mask] += cost;
    } else {
        if (n == w->cap) {
            w->head = head;
            w->n = n;
            if (window_grow(w) != 0)
                return -1;
            head = 0;
            mask = w->cap - 1;
        }
        w->t[(head + n) & mask] = t;
        w->c[(head + n) & mask] = cost;
        n++;
    }
    w->head = head;
    w->n = n;
    w->sum = sum + cost;
    return 0;
}

/* Makes limit l from c. Returns 0, or an error class with "what: why". */
static void
provider_clear(provider *p)
{
    lset_clear(&p->store);
    lset_clear(&p->ref);
    lset_clear(&p->global);
    for (int i = 0; p->node && i < p->nnodes; i++) {
        lset_clear(&p->node[i].local);
        free(p->node[i].log);
    }
    free(p->node);
    free(p->win.t);
    free(p->win.c);
}

/* Node n's share of a rate limit split evenly over k nodes: N and the
 * burst divided, the first nodes taking the remainders, at least 1. */
static sim_limit_cfg
share(sim_limit_cfg l, int n, int k)
{
    l.p.count = l.p.count / k + (n < l.p.count % k);
    if (l.p.burst)
        l.p.burst = l.p.burst / k + (n < l.p.burst % k);
    if (l.p.count < 1)
        l.p.count = 1;
    if (l.p.burst < 0 || (l.p.burst == 0 && (l.algo->takes & ALGO_TAKES_BURST)))
        l.p.burst = 1;
    return l;
}

/* The limits: at the store (plain, central) or split over the nodes
 * (local); the reference set takes the rate limits, unsplit. */
static int
provider_limits(provider *p, const sim_provider_cfg *c, const char *what,
                char *err, size_t errlen)
{
    sim_limit_cfg rate[SIM_MAX_LIMITS], mine[SIM_MAX_LIMITS];
    int nrate = 0, rc;

    for (int i = 0; i < c->nlimits; i++)
        if (c->limits[i].algo->takes & ALGO_TAKES_RATE)
            rate[nrate++] = c->limits[i];
    if ((rc = lset_init(&p->ref, rate, nrate, what, err, errlen)) != 0)
        return rc;
    if (!p->local)
        return lset_init(&p->store, c->limits, c->nlimits, what, err, errlen);
    /* split = sync: every node starts with the whole limit, as does the
     * merged state. */
    if (c->sync > 0 &&
        (rc = lset_init(&p->global, rate, nrate, what, err, errlen)) != 0)
        return rc;
    for (int n = 0; n < p->nnodes; n++) {
        for (int i = 0; i < nrate; i++)
            mine[i] = c->sync > 0 ? rate[i] : share(rate[i], n, p->nnodes);
        if ((rc = lset_init(&p->node[n].local, mine, nrate, what, err,
                            errlen)) != 0)
            return rc;
    }
    return 0;
}

/* The largest cost p could ever admit, through any of its nodes. */
static int64_t
provider_capacity(const provider *p)
{
    int64_t cap = lset_capacity(&p->store);

    for (int n = 0; p->local && n < p->nnodes; n++) {
        int64_t c = lset_capacity(&p->node[n].local);
        cap = c < cap ? c : cap;
    }
    return cap;
}

static int
provider_init(provider *p, const sim_provider_cfg *c, int idx, uint64_t seed,
              char *err, size_t errlen)
{
    char what[SIM_NAME_MAX + 16];
    int rc;

    p->cfg = *c;
    p->enabled = c->enabled;
    p->fail_at = rng_threshold(c->fail);
    p->nnodes = c->nodes > 1 ? c->nodes : 1;
    p->central = c->shared == SIM_SHARED_CENTRAL;
    p->local = c->shared == SIM_SHARED_LOCAL;
    /* Streams 2i+1 and 2i+2 are this provider's; 0 is left for arrivals. */
    rng_seed(&p->lat_rng, seed, 2 * (uint64_t)idx + 1);
    rng_seed(&p->fail_rng, seed, 2 * (uint64_t)idx + 2);
    rng_seed(&p->rtt_rng, seed, (2ULL << 32) + (uint64_t)idx);
    if (!(p->node = calloc((size_t)p->nnodes, sizeof *p->node))) {
        snprintf(err, errlen, "out of memory");
        return SIM_EIO;
    }
    /* Each node's clock is off by a fixed draw from [-skew, skew]. */
    for (int n = 0; c->skew > 0 && n < p->nnodes; n++) {
        /* In unsigned arithmetic: 2 skew + 1 fits a uint64_t, not an
         * int64_t, when skew is near 2^63. */
        uint64_t u = rng_below(&p->rtt_rng, 2 * (uint64_t)c->skew + 1);
        p->node[n].offset = u >= (uint64_t)c->skew
                                ? (sim_time)(u - (uint64_t)c->skew)
                                : -(sim_time)((uint64_t)c->skew - u);
    }
    snprintf(what, sizeof what, "provider %s", c->name);
    if ((rc = provider_limits(p, c, what, err, errlen)) != 0)
        return rc;
    p->releases = lset_releases(&p->store);
    p->capacity = provider_capacity(p);
    p->plain = p->nnodes == 1 && !p->central && !p->local;
    p->reserves = lset_reserves(&p->store);
    p->may_refuse = c->mode == SIM_MODE_REJECT ||
                    lset_may_overflow(&p->store);
    for (int n = 0; p->local && n < p->nnodes; n++) {
        p->reserves |= lset_reserves(&p->node[n].local);
        p->may_refuse |= lset_may_overflow(&p->node[n].local);
    }
    for (int i = 0; i < c->nlimits; i++)
        if (!p->st.window && c->limits[i].p.count > 0 &&
            c->limits[i].p.window > 0) {
            p->st.window = c->limits[i].p.window;
            p->st.window_limit = c->limits[i].p.count;
        }
    p->st.first = p->st.last = SIM_NONE;
    return 0;
}

/* Streams of client i: far above the providers', so adding a provider
 * does not move them. */
#define CLIENT_STREAM(i) ((1ULL << 32) + (uint64_t)(i))

static int
client_init(sim *s, client *c, const sim_client_cfg *cfg, int idx,
            char *err, size_t errlen)
{
    char what[SIM_NAME_MAX + 16];

    c->cfg = *cfg;
    c->paused_until = SIM_NONE;
    rng_seed(&c->jitter, s->cfg.seed, CLIENT_STREAM(idx));
    rq_init(&c->held, held_before, s);
    snprintf(what, sizeof what, "client %s: quota", cfg->name);
    return cfg->has_quota ? lset_init(&c->quota, &cfg->quota, 1, what, err,
                                      errlen)
                          : 0;
}

static int64_t
gcd64(int64_t a, int64_t b)
{
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* The least common multiple of the weights: a tag step cost*scale/weight
 * is then whole. Weights are bounded so that it stays small. */
static int
wfq_scale(sim *s, char *err, size_t errlen)
{
    s->wfq_scale = 1;
    for (int i = 0; i < s->ncl; i++) {
        int64_t w = s->cl[i].cfg.weight > 0 ? s->cl[i].cfg.weight : 1;
        s->wfq_scale = s->wfq_scale / gcd64(s->wfq_scale, w) * w;
        if (s->wfq_scale > ((int64_t)1 << 40)) {
            snprintf(err, errlen, "client %s: weights too varied for wfq "
                     "(their least common multiple passes 2^40)",
                     s->cl[i].cfg.name);
            return SIM_EINPUT;
        }
    }
    return 0;
}

static int
clients_init(sim *s, const sim_config *cfg, char *err, size_t errlen)
{
    int rc;

    s->cl = calloc(cfg->nclients ? (size_t)cfg->nclients : 1, sizeof *s->cl);
    if (!s->cl) {
        snprintf(err, errlen, "out of memory");
        return SIM_EIO;
    }
    for (int i = 0; i < cfg->nclients; i++) {
        s->ncl = i + 1;
        if ((rc = client_init(s, &s->cl[i], &cfg->clients[i], i, err,
                              errlen)) != 0)
            return rc;
    }
    return wfq_scale(s, err, errlen);
}

static int
check_config(const sim_config *cfg, char *err, size_t errlen)
{
    for (int i = 0; i < cfg->nproviders; i++) {
        const sim_provider_cfg *c = &cfg->providers[i];
        if (i > 0 && c->order <= cfg->providers[i - 1].order) {
            snprintf(err, errlen, "provider %s: providers must be sorted "
                     "by order, orders distinct", c->name);
            return SIM_EINPUT;
        }
        for (int k = 1; k < c->nswitch; k++)
            if (c->schedule[k].at <= c->schedule[k - 1].at) {
                snprintf(err, errlen, "provider %s: schedule must go "
                         "forward in time", c->name);
                return SIM_EINPUT;
            }
    }
    return 0;
}

int
sim_new(sim **out, const sim_config *cfg, char *err, size_t errlen)
{
    sim *s;
    int rc;

    *out = NULL;
    if ((rc = check_config(cfg, err, errlen)) != 0)
        return rc;
    s = calloc(1, sizeof *s);
    if (!s)
        goto oom;
    s->cfg = *cfg;
    s->cfg.providers = NULL;
    s->cfg.clients = NULL;
    s->np = cfg->nproviders;
    s->prov = calloc(s->np ? (size_t)s->np : 1, sizeof *s->prov);
    s->ev = heap_new();
    s->capq = s->np + 8;
    s->queues = calloc((size_t)s->capq, sizeof *s->queues);
    if (!s->prov || !s->ev || !s->queues)
        goto oom;
    for (int i = 0; i < s->np; i++) {
        rc = provider_init(&s->prov[i], &cfg->providers[i], i, cfg->seed,
                           err, errlen);
        if (rc != 0) {
            s->np = i + 1;
            sim_free(s);
            return rc;
        }
        s->distributed |= s->prov[i].nnodes > 1;
        s->may_refuse |= s->prov[i].may_refuse;
    }
    if ((rc = clients_init(s, cfg, err, errlen)) != 0) {
        sim_free(s);
        return rc;
    }
    s->nq = 0;
    rq_init(&s->fresh, req_before, s);
    s->wake = SIM_NEVER;
    *out = s;
    return 0;
oom:
    sim_free(s);
    snprintf(err, errlen, "out of memory");
    return SIM_EIO;
}

/* What a run stopped midway (an error, the stop flag) still holds beyond
 * its pools: the state read by read-then-write asks in flight, on their
 * requests and on their writes back (EV_WRITE events). drain frees them
 * at a run's end. */
static void
free_in_flight(sim *s)
{
    heap_ev ev;

    for (size_t i = 0; i < s->nchunks; i++) {
        req *chunk = s->chunks[i];
        for (size_t k = 0; k < POOL_CHUNK; k++)
            if (chunk[k].snap) {
                lset_clear(chunk[k].snap);
                free(chunk[k].snap);
                chunk[k].snap = NULL;
            }
    }
    while (s->ev && heap_pop(s->ev, &ev))
        if (ev.kind == EV_WRITE) {
            lset_clear(ev.ptr);
            free(ev.ptr);
        }
}

void
sim_free(sim *s)
{
    if (!s)
        return;
    free_in_flight(s);
    if (s->prov)
        for (int i = 0; i < s->np; i++)
            provider_clear(&s->prov[i]);
    if (s->queues)
        for (int i = 0; i < s->nq; i++)
            rq_clear(&s->queues[i].q);
    rq_clear(&s->fresh);
    for (int i = 0; i < s->ncl; i++) {
        lset_clear(&s->cl[i].quota);
        rq_clear(&s->cl[i].held);
    }
    free(s->cl);
    free(s->last_tag);
    for (size_t i = 0; i < s->nchunks; i++)
        free(s->chunks[i]);
    free(s->chunks);
    free(s->queues);
    free(s->prov);
    heap_free(s->ev);
    free(s);
}

void
sim_set_progress(sim *s, sim_progress_fn fn, void *ctx, uint64_t every)
{
    s->progress = fn;
    s->progress_ctx = ctx;
    s->progress_every = every ? every : 1;
    s->poll_at = 0;
}

void
sim_set_stop(sim *s, const volatile sig_atomic_t *flag)
{
    s->stop = flag;
    s->poll_at = 0;
}

/* ------------------------------------------------------------------ */
/* Finishing attempts                                                  */
/* ------------------------------------------------------------------ */

int
eng_push_event(sim *s, sim_time t, int rank, int kind, req *r, int arg)
{
    heap_ev ev = {.t = t, .rank = (uint32_t)rank, .kind = (uint32_t)kind,
                  .ptr = r, .gen = r ? r->gen : 0, .arg = arg};

    if (heap_push(s->ev, &ev) == 0)
        return 0;
    snprintf(s->err, s->errlen, "out of memory");
    return SIM_EIO;
}

int
eng_emit(sim *s, const req *r, int outcome, int provider)
{
    sim_row row;

    /* Zeroed whole and filled field by field, so that its padding is zero
     * too: equal rows are equal bytes on every build (tests memcmp them;
     * an initializer leaves padding unspecified, and under ASan it is
     * not zero). */
    memset(&row, 0, sizeof row);
    row.req_id = r->in.id;
    row.attempt = r->attempt;
    row.priority = r->in.priority;
    row.client = r->in.client;
    row.provider = provider;
    row.cost = r->in.cost;
    row.t_arrive = r->in.at;
    row.t_ready = r->ready;
    row.t_dispatch = SIM_NONE;
    row.t_done = SIM_NONE;
    row.outcome = outcome;
    if (outcome == SIM_OK || outcome == SIM_FAILED) {
        row.t_dispatch = r->t_dispatch;
        row.t_done = r->t_done;
    }
    return s->sink(s->sink_ctx, &row, s->err, s->errlen);
}

client *
eng_client_of(sim *s, const req *r)
{
    return r->in.client < (uint32_t)s->ncl ? &s->cl[r->in.client] : NULL;
}

/* Takes r out of whichever queue holds it. */
void
eng_unqueue(sim *s, req *r)
{
    if (r->state == RS_QUEUED) {
        rq_remove(&s->queues[r->queue].q, &r->node);
        s->queues[r->queue].permits -= r->in.cost;
        s->waiting--;
    } else if (r->state == RS_FRESH) {
        rq_remove(&s->fresh, &r->node);
    } else if (r->state == RS_HELD && r->node.pos >= 0) {
        rq_remove(&eng_client_of(s, r)->held, &r->node);
    }
}

/* Ends a request with one last row, and frees it. */
int
eng_finish(sim *s, req *r, int outcome, int provider)
{
    int rc;

    eng_unqueue(s, r);
    rc = eng_emit(s, r, outcome, provider);
    eng_req_release(s, r);
    return rc;
}






/* ------------------------------------------------------------------ */
/* Candidates                                                          */
/* ------------------------------------------------------------------ */

/* Providers r may use, in order: its pinned one, or all of them. */
static void
may_use(const sim *s, const req *r, int *lo, int *hi)
{
    if (r->in.provider >= 0) {
        *lo = r->in.provider;
        *hi = r->in.provider + 1;
    } else {
        *lo = 0;
        *hi = s->np;
    }
}

static int
is_candidate(const provider *p, const req *r)
{
    return p->enabled && r->in.cost <= p->capacity;
}

/* Is provider p held, this instant, for requests through r's node? */
static int
held(const sim *s, const provider *p, const req *r)
{
    return p->node[node_of(p, r)].held_mark == s->epoch;
}

/* A refusal by provider pi (or by none, -1): when it would take r. */
static int
refuse(sim *s, req *r, int pi)
{
    sim_time after = SIM_NEVER;

    if (pi >= 0) {
        s->prov[pi].st.rejected++;
        if (is_candidate(&s->prov[pi], r))
            after = node_next_ok(&s->prov[pi], r, s->now);
    }
    return client_react(s, r, SIM_REJECTED, pi, after);
}

/* ------------------------------------------------------------------ */
/* Dispatch                                                            */
/* ------------------------------------------------------------------ */

/* A standard normal variate (Box-Muller), for lognormal latencies. */
static double
normal(rng *r)
{
    double u = 1.0 - rng_unit(r), v = rng_unit(r);

    return sqrt(-2.0 * fm_log(u)) * fm_cos2pi(v);
}

/* A draw from latency model l, in ns. */
sim_time
eng_sample(const sim_latency *l, rng *g)
{
    double x;

    switch (l->kind) {
    case SIM_LAT_EXP:
        return rng_exp(g, l->a);
    case SIM_LAT_UNIFORM:
        return l->a + (sim_time)rng_below(g, (uint64_t)(l->b - l->a) + 1);
    case SIM_LAT_LOGNORMAL:
        x = (double)l->a * fm_exp(l->sigma * normal(g));
        return x >= 9.2e18 ? SIM_NEVER : (sim_time)llround(x);
    default:
        return l->a;
    }
}

static sim_time
service_time(provider *p, const req *r)
{
    if (r->in.service != SIM_NONE)
        return r->in.service;
    if (p->cfg.latency.kind == SIM_LAT_FIXED)   /* no draw: no call */
        return p->cfg.latency.a;
    return eng_sample(&p->cfg.latency, &p->lat_rng);
}

static int
note_dispatch(sim *s, provider *p, const req *r)
{
    /* Would one limiter with the same rate limits have let it through?
     * Asked of distributed providers only: a plain provider is that one
     * limiter, so the answer is yes by construction (and the replay would
     * cost every dispatch a second pass through its limits). */
    if (p->cfg.shared == SIM_SHARED_NONE)
        ;
    else if (lset_admits(&p->ref, s->now, r->in.cost))
        lset_admit(&p->ref, s->now, r->in.cost);
    else
        p->st.over_admitted = sat_add(p->st.over_admitted, r->in.cost);
    p->st.dispatched++;
    p->st.cost = sat_add(p->st.cost, r->in.cost);
    if (p->st.first == SIM_NONE)
        p->st.first = s->now;
    p->st.last = s->now;
    if (!p->st.window)
        return 0;
    if (window_add(&p->win, s->now, r->in.cost, p->st.window) != 0) {
        snprintf(s->err, s->errlen, "out of memory");
        return SIM_EIO;
    }
    if (p->win.sum > p->st.worst_window)
        p->st.worst_window = p->win.sum > INT64_MAX ? INT64_MAX
                                                    : (int64_t)p->win.sum;
    return 0;
}

/* r goes out to provider pi now, its limits already taken. When it
 * completes at once, with no permit to give back and no failure to react
 * to, its row is final now; otherwise it stays in flight until its
 * completion event. */
int
eng_send(sim *s, req *r, int pi)
{
    provider *p = &s->prov[pi];
    sim_time svc;
    int rc;

    if (r->state != RS_PENDING)     /* a direct dispatch is in no queue */
        eng_unqueue(s, r);
    svc = service_time(p, r);
    r->state = RS_INFLIGHT;
    r->provider = pi;
    r->t_dispatch = s->now;
    r->t_done = svc > SIM_NEVER - s->now ? SIM_NEVER : s->now + svc;
    r->outcome = p->fail_at && rng_chance(&p->fail_rng, p->fail_at)
                     ? SIM_FAILED : SIM_OK;
    if (s->cfg.queue == SIM_QUEUE_WFQ)
        s->vtime = r->tag;
    s->rr_next = pi + 1 < s->np ? pi + 1 : 0;
    if ((rc = note_dispatch(s, p, r)) != 0)
        return rc;
    if (!p->releases && r->t_done == s->now && r->outcome == SIM_OK) {
        /* eng_finish, less the unqueue: r left its queue above */
        rc = eng_emit(s, r, SIM_OK, pi);
        eng_req_release(s, r);
        return rc;
    }
    p->inflight++;
    return eng_push_event(s, r->t_done, RANK_DONE, EV_DONE, r, 0);
}

/* Which node of every distributed provider r goes through, as one
 * number (mixed radix). */
static uint64_t
nodekey(const sim *s, const req *r)
{
    uint64_t key = 0;

    for (int i = 0; i < s->np; i++)
        if (s->prov[i].nnodes > 1)
            key = key * (uint64_t)s->prov[i].nnodes +
                  (uint64_t)node_of(&s->prov[i], r);
    return key;
}

/* r's ready queue (see wq), made on first use. The last one found is
 * tried first: runs of requests for one queue are the common case (and
 * queue_for tries it inline). */
int
eng_queue_for(sim *s, const req *r)
{
    uint64_t key = s->distributed ? nodekey(s, r) : 0;
    const wq *last = &s->queues[s->last_q];

    if (s->last_q < s->nq && last->cost == r->in.cost &&
        last->nodekey == key && last->pin == r->in.provider)
        return s->last_q;
    for (int q = 0; q < s->nq; q++)
        if (s->queues[q].cost == r->in.cost && s->queues[q].nodekey == key &&
            s->queues[q].pin == r->in.provider)
            return s->last_q = q;
    if (s->nq == s->capq) {
        /* Queues hold no pointers into themselves: moving them is safe. */
        wq *nq = realloc(s->queues, 2 * (size_t)s->capq * sizeof *nq);
        if (!nq)
            return -1;
        s->queues = nq;
        s->capq *= 2;
    }
    memset(&s->queues[s->nq], 0, sizeof *s->queues);
    rq_init(&s->queues[s->nq].q, req_before, s);
    s->queues[s->nq].cost = r->in.cost;
    s->queues[s->nq].pin = r->in.provider;
    s->queues[s->nq].nodekey = key;
    return s->last_q = s->nq++;
}




/* eng_queue_for's first try, inline: the last queue found, when no
 * distributed provider makes the node key matter (it is 0 then). */
static inline int
queue_for(sim *s, const req *r)
{
    const wq *last = &s->queues[s->last_q];

    if (!s->distributed && s->last_q < s->nq && last->cost == r->in.cost &&
        last->pin == r->in.provider)
        return s->last_q;
    return eng_queue_for(s, r);
}

/* r has its permits: it goes out now, or at its reservation's instant. */
int
eng_send_at(sim *s, req *r, int pi, sim_time go)
{
    if (go <= s->now)
        return eng_send(s, r, pi);
    eng_unqueue(s, r);
    r->state = RS_RESERVED;
    r->provider = pi;
    return eng_push_event(s, go, RANK_ARRIVE, EV_SEND, r, pi);
}



/* At the store. Atomic: the store decides (and takes the permits) now.
 * Not atomic: the node only reads the state now; it decides on that copy
 * when the reply arrives and writes it back, over whatever others wrote. */





/* Rule 2's "goes": take the permits where they are decided at once and
 * send r; a central store is asked first. */
static int
dispatch_node(sim *s, req *r, int pi)
{
    provider *p = &s->prov[pi];
    int n = node_of(p, r);
    sim_time go;

    if (p->central)
        return dist_ask(s, r, pi, n);
    if (p->local) {
        lset_admit(&p->node[n].local, s->now, r->in.cost);
        if (p->cfg.sync > 0 && dist_log_admission(s, pi, n, r->in.cost) != 0)
            return SIM_EIO;
    }
    lset_admit(&p->store, s->now, r->in.cost);
    if (!p->reserves)
        return eng_send(s, r, pi);
    go = lset_go_at(&p->store, s->now);
    if (p->local) {
        sim_time g = lset_go_at(&p->node[n].local, s->now);
        go = g > go ? g : go;
    }
    return eng_send_at(s, r, pi, go);
}

/* dispatch_node, whose short way is inline: a plain provider that does
 * not reserve takes the permits at its store and sends r at once. */
static inline int
dispatch(sim *s, req *r, int pi)
{
    provider *p = &s->prov[pi];

    if (!p->plain || p->reserves)
        return dispatch_node(s, r, pi);
    lset_admit(&p->store, s->now, r->in.cost);
    return eng_send(s, r, pi);
}

/* Is provider i, a candidate of r not held this instant, free to take it
 * now (central: free to ask its store)? Inline: first_admitting asks it of
 * every provider for every request. */
static inline int
can_take(const sim *s, int i, const req *r)
{
    const provider *p = &s->prov[i];

    if (!is_candidate(p, r))
        return 0;
    if (p->plain)               /* one node, no round trip: ask at once */
        return p->node[0].held_mark != s->epoch &&
               lset_admits(&p->store, s->now, r->in.cost);
    return !held(s, p, r) && node_admits(p, r, s->now);
}

/* Rule 2: the candidate that takes r now, or -1. route = ordered: the
 * first by order; round_robin: the first from where the last dispatch
 * left off; least_loaded: the fewest in flight, ties by order. */
static int
first_admitting(const sim *s, const req *r)
{
    int lo, hi, n, start = 0, best = -1;

    may_use(s, r, &lo, &hi);
    if (s->cfg.route == SIM_ROUTE_ORDERED) {
        for (int i = lo; i < hi; i++)
            if (can_take(s, i, r))
                return i;
        return -1;
    }
    n = hi - lo;
    if (s->cfg.route == SIM_ROUTE_ROUND_ROBIN && n > 1)
        start = s->rr_next;
    for (int k = 0; k < n; k++) {
        /* start < n, so (start + k) mod n without a division */
        int i = lo + (start + k < n ? start + k : start + k - n);
        if (!can_take(s, i, r))
            continue;
        if (s->cfg.route != SIM_ROUTE_LEAST_LOADED)
            return i;
        if (best < 0 || s->prov[i].inflight < s->prov[best].inflight)
            best = i;
    }
    return best;
}

/* Rule 3: r waits; every candidate not yet held is held by r. */
static void
hold_candidates(sim *s, req *r)
{
    int lo, hi;

    may_use(s, r, &lo, &hi);
    for (int i = lo; i < hi; i++) {
        provider *p = &s->prov[i];
        if (is_candidate(p, r) && !held(s, p, r)) {
            pnode *nd = &p->node[node_of(p, r)];
            nd->held_mark = s->epoch;
            nd->holder = r;
        }
    }
}

/* A reject-only request is decided now: it goes, or it is refused against
 * its first candidate by order. */
static int
decide_fresh(sim *s, req *r)
{
    int pi = first_admitting(s, r);
    int lo, hi;

    if (pi >= 0)
        return dispatch(s, r, pi);
    may_use(s, r, &lo, &hi);
    for (int i = lo; i < hi; i++)
        if (is_candidate(&s->prov[i], r))
            return refuse(s, r, i);
    return refuse(s, r, lo < hi ? lo : -1);
}

/* The waiting request that comes first among the queue heads still in
 * play this instant, or NULL; *qi is its queue. */
static req *
best_head(const sim *s, int *qi)
{
    req *best = NULL;

    for (int q = 0; q < s->nq; q++) {
        req *h;
        if (s->queues[q].skip == s->epoch ||
            !(h = (req *)rq_peek(&s->queues[q].q)))
            continue;
        if (!best || req_before(&h->node, &best->node, s)) {
            best = h;
            *qi = q;
        }
    }
    return best;
}

/* When the next scan could send something: the earliest instant at which
 * a held provider admits the request that holds it. */
static sim_time
next_wake(const sim *s)
{
    sim_time wake = SIM_NEVER;

    for (int i = 0; i < s->np; i++) {
        const provider *p = &s->prov[i];
        for (int n = 0; n < p->nnodes; n++) {
            sim_time t;
            if (p->node[n].held_mark != s->epoch)
                continue;
            t = node_next_ok(p, p->node[n].holder, s->now);
            if (t < wake)
                wake = t;
        }
    }
    return wake;
}

static int
dispatch_scan(sim *s)
{
    int rc, holds = 0;

    s->epoch++;
    /* Nothing waits (the common case, after direct dispatches): nothing to
     * decide and nothing held, so no wake-up. */
    if (s->waiting == 0 && rq_len(&s->fresh) == 0) {
        s->wake = SIM_NEVER;
        return 0;
    }
    for (;;) {
        int qi = -1;
        req *r = best_head(s, &qi);
        req *f = (req *)rq_peek(&s->fresh);
        int pi;

        if (f && (!r || req_before(&f->node, &r->node, s))) {
            if ((rc = decide_fresh(s, f)) != 0)
                return rc;
            continue;
        }
        if (!r)
            break;
        if ((pi = first_admitting(s, r)) >= 0) {
            if ((rc = dispatch(s, r, pi)) != 0)
                return rc;
            continue;
        }
        hold_candidates(s, r);
        holds = 1;
        s->queues[qi].skip = s->epoch;
    }
    /* Only a holder can wake the next scan. */
    s->wake = holds ? next_wake(s) : SIM_NEVER;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

/* Permits waiting that may use provider pi: in its pinned queue and in
 * the shared queues of costs it could ever admit. */
static int64_t
permits_waiting(const sim *s, int pi)
{
    algo_i128 sum = 0;

    for (int q = 0; q < s->nq; q++)
        if (s->queues[q].pin == pi ||
            (s->queues[q].pin < 0 && s->queues[q].cost <= s->prov[pi].capacity))
            sum += s->queues[q].permits;
    /* More than any limit can hold is as good as infinitely many. */
    return sum > INT64_MAX ? INT64_MAX : (int64_t)sum;
}

/* Would provider p refuse r, becoming ready now, rather than queue it? */
static int
refuses(const sim *s, int pi, const req *r)
{
    const provider *p = &s->prov[pi];
    int64_t ahead = -1;
    const lset *g;

    if (!p->may_refuse)
        return 0;
    if (p->cfg.mode == SIM_MODE_REJECT)
        return 1;
    g = gate(p, node_of(p, r));
    for (int i = 0; i < g->n; i++)
        if (g->lim[i].a->overflow) {
            ahead = permits_waiting(s, pi);
            return lset_overflows(g, s->now, r->in.cost, ahead);
        }
    return 0;
}

/* Is there a provider r may use that could ever admit it? */
static int
ever_servable(const sim *s, const req *r)
{
    int lo, hi;

    may_use(s, r, &lo, &hi);
    for (int i = lo; i < hi; i++)
        if (r->in.cost <= s->prov[i].capacity && provider_ever_on(&s->prov[i]))
            return 1;
    return 0;
}

/* Do r's candidates exist now and all refuse rather than queue it (mode =
 * reject, or a full leaky bucket)? Then it never waits. */
static int
reject_only(const sim *s, const req *r)
{
    int lo, hi, any = 0;

    may_use(s, r, &lo, &hi);
    for (int i = lo; i < hi; i++) {
        if (!is_candidate(&s->prov[i], r))
            continue;
        if (!refuses(s, i, r))
            return 0;
        any = 1;
    }
    return any;
}

/* queue = wfq: r's finish tag, from its client's last tag and the virtual
 * time (self-clocked fair queuing): start at the later of the two, finish
 * cost/weight later. */
static int
wfq_tag(sim *s, req *r)
{
    uint32_t id = r->in.client;
    const client *c = eng_client_of(s, r);
    int64_t w = c && c->cfg.weight > 0 ? c->cfg.weight : 1;
    algo_i128 start;

    if (id >= s->ntags) {
        size_t n = (size_t)id + 64;
        algo_i128 *t = realloc(s->last_tag, n * sizeof *t);
        if (!t) {
            snprintf(s->err, s->errlen, "out of memory");
            return SIM_EIO;
        }
        memset(t + s->ntags, 0, (n - s->ntags) * sizeof *t);
        s->last_tag = t;
        s->ntags = n;
    }
    start = s->last_tag[id] > s->vtime ? s->last_tag[id] : s->vtime;
    r->tag = start + (algo_i128)r->in.cost * (s->wfq_scale / w);
    s->last_tag[id] = r->tag;
    return 0;
}

/* r waits in ready queue q. */
static int
wait_in(sim *s, req *r, int q)
{
    if (rq_push(&s->queues[q].q, &r->node) != 0) {
        snprintf(s->err, s->errlen, "out of memory");
        return SIM_EIO;
    }
    s->queues[q].permits += r->in.cost;
    s->waiting++;
    r->state = RS_QUEUED;
    r->queue = q;
    return 0;
}

/* r waits in its ready queue again (a distributed provider's store
 * refused it). */
int
eng_requeue(sim *s, req *r)
{
    int q = eng_queue_for(s, r);

    if (q < 0) {
        snprintf(s->err, s->errlen, "out of memory");
        return SIM_EIO;
    }
    return wait_in(s, r, q);
}

/* The next event: the heap's first, or the arrival read ahead when that
 * comes first; NULL when there is none. */
static inline const heap_ev *
next_event(const sim *s)
{
    const heap_ev *top = heap_peek(s->ev);

    if (s->arriving && (!top || heap_ev_before(&s->arrival, top)))
        return &s->arrival;
    return top;
}

/* Will this instant's scan find r alone, in the state the providers are
 * in now: nothing else waits, and no event is left at this instant that
 * could change that? */
static int
scan_sees_alone(const sim *s)
{
    const heap_ev *top = next_event(s);

    return s->waiting == 0 && rq_len(&s->fresh) == 0 &&
           (!top || top->t > s->now);
}

/* r has reached the providers: refused at once when none could ever take
 * it, decided in this instant's scan when all its candidates refuse rather
 * than queue, else queued. `alone`: r is the only request its event
 * submits, so when the scan would find it alone, the scan's decision can
 * be taken now (a direct dispatch: no trip through the queue); it is the
 * same decision, and its row comes at the same place among the rows. */
static int
enqueue(sim *s, req *r, int alone)
{
    int lo, hi, q, rc, pi;

    if (!ever_servable(s, r)) {
        may_use(s, r, &lo, &hi);
        return refuse(s, r, lo < hi ? lo : -1);
    }
    if (s->cfg.queue == SIM_QUEUE_WFQ && (rc = wfq_tag(s, r)) != 0)
        return rc;
    if (s->may_refuse && reject_only(s, r)) {
        r->state = RS_FRESH;
        if (rq_push(&s->fresh, &r->node) != 0)
            goto oom;
        return 0;
    }
    /* Made even when r goes at once: queues are made in the order that
     * requests first need them, which is the order drain expires them. */
    if ((q = queue_for(s, r)) < 0)
        goto oom;
    if (alone && scan_sees_alone(s)) {
        s->epoch++;             /* a scan of its own: old holds are gone */
        if ((pi = first_admitting(s, r)) >= 0)
            return dispatch(s, r, pi);
    }
    return wait_in(s, r, q);
oom:
    snprintf(s->err, s->errlen, "out of memory");
    return SIM_EIO;
}

/* An attempt is submitted (r became ready, or its client sends it again):
 * a paused client holds it; the client's quota may refuse it, with the
 * instant the quota would take it as the retry-after. `alone` as for
 * enqueue. */
static int
submit(sim *s, req *r, int alone)
{
    client *c = eng_client_of(s, r);
    sim_time t;

    if (c && c->paused_until != SIM_NONE)
        return client_hold(s, c, r);
    if (c && c->cfg.has_quota) {
        t = lset_next_ok(&c->quota, s->now, r->in.cost);
        if (t != s->now)
            return client_react(s, r, SIM_REJECTED, -1, t);
        lset_admit(&c->quota, s->now, r->in.cost);
    }
    return enqueue(s, r, alone);
}

int
eng_submit(sim *s, req *r)
{
    return submit(s, r, 0);
}


/* Reads the next request from the source and schedules its arrival. The
 * source writes straight into a record, which goes back to the pool when
 * there is nothing (more) to read. */
static int
read_next(sim *s)
{
    req *r = req_alloc(s);
    const sim_request *in;
    int rc;

    if (!r) {
        snprintf(s->err, s->errlen, "out of memory");
        return SIM_EIO;
    }
    in = &r->in;
    r->snap = NULL;
    if ((rc = s->src(s->src_ctx, &r->in, s->err, s->errlen)) != 1) {
        eng_req_release(s, r);
        return rc;
    }
    if (in->at < s->now || in->cost < 1 ||
        in->provider >= s->np || in->provider < -1) {
        snprintf(s->err, s->errlen, "request %lld: arrives in the past, or "
                 "has a bad cost or provider", (long long)in->id);
        eng_req_release(s, r);
        return SIM_EINPUT;
    }
    r->node.pos = -1;
    r->ready = in->after > in->at ? in->after : in->at;
    r->seq = s->seq++;
    r->queue = -1;
    r->provider = -1;
    r->attempt = 1;
    r->state = RS_PENDING;
    r->asking = 0;
    s->requests++;
    s->arrival = (heap_ev){.t = in->at, .rank = RANK_ARRIVE,
                           .kind = EV_ARRIVE, .seq = heap_stamp(s->ev),
                           .ptr = r, .gen = r->gen};
    s->arriving = 1;
    return 0;
}

static int
on_arrive(sim *s, req *r)
{
    int rc;

    if ((rc = read_next(s)) != 0)
        return rc;
    if (r->in.deadline != SIM_NEVER) {
        if (r->in.deadline <= s->now)
            return eng_finish(s, r, SIM_EXPIRED, -1);
        if ((rc = eng_push_event(s, r->in.deadline, RANK_EXPIRE, EV_EXPIRE, r, 0)))
            return rc;
    }
    if (r->ready > s->now)
        return eng_push_event(s, r->ready, RANK_ARRIVE, EV_READY, r, 0);
    return submit(s, r, 1);
}

/* A completion: permits come back; a failure goes to the client, except
 * at the end of the run, when nothing can be tried again. */
static int
on_done(sim *s, req *r)
{
    provider *p = &s->prov[r->provider];

    lset_release(&p->store, s->now, r->in.cost);
    p->inflight--;
    if (r->outcome == SIM_FAILED && !s->ending)
        return client_react(s, r, SIM_FAILED, r->provider, SIM_NEVER);
    return eng_finish(s, r, r->outcome, r->provider);
}

/* The deadline: a waiting request expires; one its client holds is
 * dropped by it; one in flight goes on. */
static int
on_expire(sim *s, req *r)
{
    if (r->state == RS_PENDING || r->state == RS_QUEUED)
        return eng_finish(s, r, SIM_EXPIRED, -1);
    if (r->state == RS_HELD)
        return eng_finish(s, r, SIM_DROPPED, -1);
    if (r->state == RS_ASKING) {
        s->prov[r->provider].node[r->ask_node].busy = 0;
        return eng_finish(s, r, SIM_EXPIRED, -1);
    }
    if (r->state == RS_RESERVED)    /* its permit is lost */
        return eng_finish(s, r, SIM_EXPIRED, -1);
    return 0;
}

static int
handle(sim *s, const heap_ev *ev)
{
    req *r = ev->ptr;
    provider *p;

    if (ev->kind == EV_WRITE) {
        s->events++;
        return dist_on_write(s, ev->ptr, ev->arg);
    }
    if (r && r->gen != ev->gen)
        return 0;               /* the request finished: a dead event */
    s->events++;
    switch (ev->kind) {
    case EV_SWITCH:
        p = &s->prov[ev->arg];
        p->enabled = p->cfg.schedule[p->next_switch++].on;
        return 0;
    case EV_DONE:
        return on_done(s, r);
    case EV_EXPIRE:
        return on_expire(s, r);
    case EV_ARRIVE:
        return on_arrive(s, r);
    case EV_RESUME:
        return client_on_resume(s, &s->cl[ev->arg]);
    case EV_STORE:
        return dist_on_store(s, r);
    case EV_REPLY:
        return dist_on_reply(s, r);
    case EV_SEND:
        return eng_send(s, r, ev->arg);
    case EV_SYNC:
        return dist_on_sync(s, ev->arg);
    default:                    /* EV_READY, EV_RESUBMIT */
        return submit(s, r, 1);
    }
}

/* ------------------------------------------------------------------ */
/* The loop                                                            */
/* ------------------------------------------------------------------ */

static int
schedule_switches(sim *s)
{
    int rc;

    for (int i = 0; i < s->np; i++)
        for (int k = 0; k < s->prov[i].cfg.nswitch; k++)
            if ((rc = eng_push_event(s, s->prov[i].cfg.schedule[k].at,
                                 RANK_SWITCH, EV_SWITCH, NULL, i)) != 0)
                return rc;
    return 0;
}

static int
expire_all(sim *s, rq *q)
{
    rq_node *n;
    int rc;

    while ((n = rq_peek(q)))
        if ((rc = eng_finish(s, (req *)n, SIM_EXPIRED, -1)) != 0)
            return rc;
    return 0;
}

/* At the end, what is in flight finishes as decided, and whatever still
 * waits — queued, not yet ready, or held by its client — expires. */
static int
drain(sim *s)
{
    heap_ev ev;
    int rc;

    s->ending = 1;
    while (heap_pop(s->ev, &ev)) {
        req *r = ev.ptr;
        if (ev.kind == EV_WRITE) {
            lset_clear(ev.ptr);
            free(ev.ptr);
            continue;
        }
        if (!r || r->gen != ev.gen)
            continue;
        if ((ev.kind == EV_STORE || ev.kind == EV_REPLY ||
             ev.kind == EV_SEND) &&
            (rc = eng_finish(s, r, SIM_EXPIRED, -1)) != 0)
            return rc;
        if (ev.kind == EV_DONE && (rc = on_done(s, r)) != 0)
            return rc;
        if ((ev.kind == EV_READY || ev.kind == EV_RESUBMIT) &&
            (rc = eng_finish(s, r, SIM_EXPIRED, -1)) != 0)
            return rc;
    }
    if (s->arriving) {          /* read ahead, never arrived */
        s->arriving = 0;
        s->requests--;
        eng_req_release(s, s->arrival.ptr);
    }
    for (int q = 0; q < s->nq; q++)
        if ((rc = expire_all(s, &s->queues[q].q)) != 0)
            return rc;
    for (int i = 0; i < s->ncl; i++)
        if ((rc = expire_all(s, &s->cl[i].held)) != 0)
            return rc;
    return 0;
}

/* Takes e, which next_event just returned, and handles it. The arrival
 * read ahead goes straight to on_arrive: it is never dead (nothing else
 * points at its request before it arrives), so handle would only count it
 * and pass it on. */
static int
take_and_handle(sim *s, const heap_ev *e)
{
    heap_ev ev;

    if (e == &s->arrival) {
        s->arriving = 0;
        s->events++;
        return on_arrive(s, s->arrival.ptr);
    }
    heap_pop(s->ev, &ev);
    return handle(s, &ev);
}

/* x rounded up to a multiple of k. */
static uint64_t
round_up(uint64_t x, uint64_t k)
{
    return (x + k - 1) / k * k;
}

/* After an event: the progress report, every progress_every events, and
 * the stop flag's look, every STOP_EVERY. Both are due only when the count
 * is a multiple of theirs, so step calls this only once the count reaches
 * poll_at, the next such multiple (an event that does not count, a dead
 * one, leaves it there: the report repeats, as it always has). */
static int
poll_events(sim *s)
{
    uint64_t next = UINT64_MAX, m;

    if (s->progress) {
        if (s->events % s->progress_every == 0)
            s->progress(s->progress_ctx, s->now, s->events);
        next = round_up(s->events, s->progress_every);
    }
    if (s->stop) {
        if (*s->stop && s->events % STOP_EVERY == 0)
            return SIM_EINTR;
        m = round_up(s->events, STOP_EVERY);
        next = m < next ? m : next;
    }
    s->poll_at = next;
    return 0;
}

/* Runs the events at t, *next the first of them (or NULL: a wake-up with
 * none), then the scan; leaves in *next the event after them. */
static int
step(sim *s, sim_time t, const heap_ev **next)
{
    const heap_ev *top = *next;
    int rc, idle;

    s->now = t;
    for (; top && top->t == t; top = next_event(s)) {
        if ((rc = take_and_handle(s, top)) != 0)
            return rc;
        if (s->events >= s->poll_at && (rc = poll_events(s)) != 0)
            return rc;
    }
    /* A scan with nothing waiting pushes no event: top stays the next. */
    idle = s->waiting == 0 && rq_len(&s->fresh) == 0;
    if ((rc = dispatch_scan(s)) != 0)
        return rc;
    *next = idle ? top : next_event(s);
    return 0;
}

int
sim_run(sim *s, sim_source_fn src, void *src_ctx, sim_sink_fn sink,
        void *sink_ctx, char *err, size_t errlen)
{
    const heap_ev *top;
    int rc;

    if (s->ran) {
        snprintf(err, errlen, "a simulation runs once");
        return SIM_EINPUT;
    }
    s->ran = 1;
    s->src = src;
    s->src_ctx = src_ctx;
    s->sink = sink;
    s->sink_ctx = sink_ctx;
    s->err = err;
    s->errlen = errlen;
    if ((rc = schedule_switches(s)) != 0 || (rc = read_next(s)) != 0)
        return rc;
    top = next_event(s);
    for (;;) {
        sim_time t = top && top->t < s->wake ? top->t : s->wake;
        if (t == SIM_NEVER)
            break;
        if (t >= s->cfg.until) {
            s->now = s->cfg.until;
            break;
        }
        if (t == s->wake)
            s->events++;        /* a provider wake-up */
        s->wake = SIM_NEVER;
        if ((rc = step(s, t, &top)) != 0)
            return rc;
        if (s->stop && *s->stop)
            return SIM_EINTR;
    }
    return drain(s);
}

uint64_t
sim_events(const sim *s)
{
    return s->events;
}

uint64_t
sim_requests(const sim *s)
{
    return s->requests;
}

sim_time
sim_end_time(const sim *s)
{
    return s->now;
}

void
sim_provider_stats_get(const sim *s, int provider, sim_provider_stats *out)
{
    *out = s->prov[provider].st;
}
