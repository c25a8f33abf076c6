/* SPDX-License-Identifier: MIT
 *
 * The engine's insides, shared by the files that make it up and by no one
 * else: sim/engine.c (the event loop, the ready queues and the dispatch
 * rule), sim/client.c (clients' reactions to refusals and failures) and
 * sim/dist.c (distributed providers: a central store's round trips, local
 * counters merged every sync). Callers of the engine use sim/engine.h.
 */
#ifndef RS_SIM_ENGINE_INT_H
#define RS_SIM_ENGINE_INT_H

#include <stdint.h>

#include "sim/engine.h"
#include "sim/heap.h"
#include "sim/lset.h"
#include "sim/rng.h"
#include "sim/rqueue.h"

/* Event classes, in the order they run at one instant (SPEC §2). */
enum { RANK_SWITCH, RANK_DONE, RANK_EXPIRE, RANK_ARRIVE };
enum { EV_SWITCH, EV_DONE, EV_EXPIRE, EV_ARRIVE, EV_READY, EV_RESUBMIT,
       EV_RESUME, EV_STORE, EV_REPLY, EV_WRITE, EV_SEND, EV_SYNC };

/* Where a request is in its life: arrived and not yet ready; waiting in a
 * ready queue; about to be decided (reject-only); out at a provider; held
 * by its client (a retry back-off, or a wait_reset pause); being decided by
 * a distributed provider's store (a round trip); granted a permit that is
 * valid later (a reservation). */
enum { RS_PENDING, RS_QUEUED, RS_FRESH, RS_INFLIGHT, RS_HELD, RS_ASKING,
       RS_RESERVED };

#define POOL_CHUNK 1024
#define REASK_MIN 1000000       /* ns between a refused ask and the next */
#define STOP_EVERY 4096

typedef struct req {
    rq_node node;               /* first: queues hold &req->node */
    sim_request in;
    sim_time ready;
    uint64_t seq;               /* arrival order */
    uint32_t gen;
    int32_t queue;              /* index in s->queues, or -1 */
    int32_t provider;
    int32_t attempt;
    int state;
    int outcome;
    sim_time t_dispatch, t_done;
    algo_i128 tag;              /* queue = wfq: virtual finish tag */
    /* asking a central store */
    int32_t ask_node;
    int granted;
    sim_time down;              /* the reply's half of the round trip */
    sim_time retry;             /* refused: the store's next admit time */
    sim_time go;                /* granted: when it may go out */
    sim_time asked;             /* the last ask's instant */
    sim_time asking;            /* time spent in round trips so far */
    lset *snap;                 /* atomic = no: the state read */
    struct req *next_free;
} req;

/* A provider's node. A plain provider has one, which only records the
 * dispatch scan's holding; a distributed one has `nodes`, each holding on
 * its own, with its own share of the limit (local) or its own view of the
 * store (central: busy while an ask is in flight; the store said no
 * before `hint`). */
typedef struct pnode {
    lset local;
    uint64_t held_mark;
    req *holder;
    int busy;
    sim_time hint;
    sim_time offset;            /* its clock: real time + offset */
    struct admission { sim_time t; int64_t cost; } *log;  /* split = sync */
    size_t nlog, caplog;
} pnode;

/* A window counter for the summary's "worst window": dispatch instants and
 * costs of the last W ns, in a ring. Sums of costs are 128-bit: costs up to
 * 2^63 - 1 each add up past int64. */
typedef struct window {
    sim_time *t;
    algo_i128 *c;
    size_t head, n, cap;
    algo_i128 sum;
} window;

/* A provider. Its limits are `store` (for a plain provider they simply
 * sit with it; central: at the shared store; local: only what is not
 * split). `ref` replays what it sent through a single limiter with the same
 * rate limits, counting what that would have refused: over-admission. */
typedef struct provider {
    sim_provider_cfg cfg;       /* schedule pointer not owned */
    lset store;
    lset ref;
    pnode *node;
    int nnodes;
    int central, local;
    int plain;                  /* one node, limits at hand: the scan's
                                   short way */
    int reserves;               /* some limit has go_at (a reservation) */
    int may_refuse;             /* mode = reject, or a limit that can
                                   overflow: refuses() must ask */
    lset global;                /* split = sync: the merged counters */
    sim_time stamp;             /* clock = node: the latest stamp used */
    int sync_pending;
    rng rtt_rng;
    int enabled;
    int releases;               /* some limit takes permits back */
    int64_t capacity;           /* largest cost it can ever admit */
    int64_t inflight;           /* dispatched, not yet completed */
    int next_switch;            /* schedule entries applied so far */
    uint64_t fail_at;           /* rng_threshold(cfg.fail) */
    rng lat_rng, fail_rng;
    window win;
    sim_provider_stats st;
} provider;

/* A ready queue and what the scan needs to know of it. Every request in
 * one queue has the same candidates and goes through the same nodes: they
 * share the provider it is pinned to (or none), the cost, and the node of
 * every distributed provider (nodekey). */
typedef struct wq {
    rq q;
    int32_t pin;                /* pinned provider, or -1 */
    uint64_t nodekey;
    int64_t cost;               /* of every request in it */
    algo_i128 permits;          /* total cost waiting in it (may pass
                                   int64) */
    uint64_t skip;              /* scan epoch in which it is done */
} wq;

/* A client with a [client] section. A wait_reset pause holds the client's
 * requests in `held`, best first, until `paused_until`. */
typedef struct client {
    sim_client_cfg cfg;
    lset quota;
    rng jitter;
    sim_time paused_until;      /* SIM_NONE when not paused */
    rq held;
} client;

struct sim {
    sim_config cfg;
    provider *prov;
    int np;
    client *cl;
    int ncl;
    int rr_next;                /* route = round_robin: where to start */

    /* queue = wfq: finish tags in units of 1/wfq_scale permit, so that
     * cost/weight is a whole number for every weight; the virtual time is
     * the tag of the last request sent. */
    algo_i128 *last_tag;        /* by client number */
    size_t ntags;
    algo_i128 vtime;
    int64_t wfq_scale;

    heap *ev;
    heap_ev arrival;            /* the request read ahead: its arrival, */
    int arriving;               /* kept out of the heap (see next_event) */
    wq *queues;
    int nq, capq;
    int last_q;                 /* the queue eng_queue_for found last */
    int distributed;            /* some provider has nodes */
    int may_refuse;             /* some provider may refuse rather than
                                   queue: reject_only must ask */
    int64_t waiting;            /* requests in the ready queues */
    rq fresh;

    req *free_reqs;
    void **chunks;
    size_t nchunks;

    sim_time now, wake;
    uint64_t epoch;             /* dispatch scans so far */
    uint64_t seq;
    uint64_t events, requests, live;
    int ran;
    int ending;                 /* draining: no more reactions */

    sim_source_fn src;
    void *src_ctx;
    sim_sink_fn sink;
    void *sink_ctx;
    char *err;
    size_t errlen;

    sim_progress_fn progress;
    void *progress_ctx;
    uint64_t progress_every;
    uint64_t poll_at;           /* events count at which step next looks
                                   at progress and stop (0: at once) */
    const volatile sig_atomic_t *stop;
};

/* ---- engine.c, for client.c and dist.c ---- */

/* The instant d after t (d may be negative), or SIM_NEVER when it would
 * fall past the last nanosecond (an event that late never happens), or
 * -SIM_NEVER before the first. Every sum of an instant and an input
 * duration (latency, round trip, skew, back-off) goes through it, since
 * inputs reach 2^63 - 1 ns. */
static inline sim_time
eng_later(sim_time t, sim_time d)
{
    sim_time x;

    if (__builtin_add_overflow(t, d, &x))
        return d > 0 ? SIM_NEVER : -SIM_NEVER;
    return x;
}


int eng_push_event(sim *s, sim_time t, int rank, int kind, req *r, int arg);
int eng_emit(sim *s, const req *r, int outcome, int provider);
client *eng_client_of(sim *s, const req *r);
void eng_unqueue(sim *s, req *r);
int eng_finish(sim *s, req *r, int outcome, int provider);
void eng_req_release(sim *s, req *r);
sim_time eng_sample(const sim_latency *l, rng *g);
int eng_send(sim *s, req *r, int pi);
int eng_send_at(sim *s, req *r, int pi, sim_time go);
int eng_queue_for(sim *s, const req *r);
int eng_requeue(sim *s, req *r);
int eng_submit(sim *s, req *r);

/* ---- client.c ---- */

/* r's attempt was refused (retry_after: when the refuser would take it,
 * SIM_NEVER if never) or failed: writes its row and lets its client give
 * up, retry or pause. Returns 0 or an error class. */
int client_react(sim *s, req *r, int outcome, int provider,
                 sim_time retry_after);
/* A paused client holds r. */
int client_hold(sim *s, client *c, req *r);
/* A wait_reset pause ends: the held requests are submitted again. */
int client_on_resume(sim *s, client *c);

/* ---- dist.c ---- */

int dist_ask(sim *s, req *r, int pi, int n);
int dist_on_store(sim *s, req *r);
int dist_on_reply(sim *s, req *r);
int dist_on_write(sim *s, lset *snap, int pi);
int dist_log_admission(sim *s, int pi, int n, int64_t cost);
int dist_on_sync(sim *s, int pi);

#endif
