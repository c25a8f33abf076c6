/* SPDX-License-Identifier: MIT
 *
 * The simulation engine: providers with stacked limits, a ready queue, and
 * the dispatch rule of SPEC §2, driven by an event heap over virtual time.
 *
 * A caller fills a sim_config (usually through the scenario reader), makes a
 * sim with sim_new, and runs it with sim_run, which pulls requests one at a
 * time from a source callback (so only arrived, unfinished requests are ever
 * in memory) and hands every finished attempt to a sink callback as a
 * sim_row. The engine does no I/O and never prints.
 */
#ifndef RS_SIM_ENGINE_H
#define RS_SIM_ENGINE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/limit.h"
#include "sim/lset.h"
#include "sim/time.h"

#define SIM_MAX_LIMITS 8
#define SIM_NAME_MAX 64

enum sim_queue { SIM_QUEUE_PRIORITY, SIM_QUEUE_FIFO, SIM_QUEUE_EDF,
                 SIM_QUEUE_WFQ };
enum sim_route { SIM_ROUTE_ORDERED, SIM_ROUTE_ROUND_ROBIN,
                 SIM_ROUTE_LEAST_LOADED };
enum sim_mode { SIM_MODE_QUEUE, SIM_MODE_REJECT };
enum sim_outcome { SIM_OK, SIM_FAILED, SIM_REJECTED, SIM_EXPIRED, SIM_DROPPED };
enum sim_latency_kind { SIM_LAT_FIXED, SIM_LAT_EXP, SIM_LAT_UNIFORM,
                        SIM_LAT_LOGNORMAL };
/* What a client does with a refused or failed attempt (SPEC §4). */
enum sim_react { SIM_REACT_DROP, SIM_REACT_WAIT_RESET, SIM_REACT_RETRY };
enum sim_jitter { SIM_JITTER_NONE, SIM_JITTER_FULL, SIM_JITTER_EQUAL };
/* Distributed limiters: where a provider's limit lives when several nodes
 * share it, and how traffic is spread over the nodes. */
enum sim_shared { SIM_SHARED_NONE, SIM_SHARED_CENTRAL, SIM_SHARED_LOCAL };
enum sim_node_by { SIM_NODE_BY_CLIENT, SIM_NODE_BY_ROUND_ROBIN };

/* Error classes, shared with the command line's exit codes. */
enum { SIM_EINPUT = 2, SIM_EIO = 3, SIM_EINTR = 4 };

/* One limit: its algorithm and parameters (defaults already applied). */
typedef lset_cfg sim_limit_cfg;

/* How long a provider takes to complete a request: fixed a; exponential with
 * mean a; uniform on [a, b]; lognormal with median a and shape sigma. All
 * in ns. */
typedef struct sim_latency {
    int kind;
    int64_t a, b;
    double sigma;
} sim_latency;

/* One step of a provider's schedule: at `at` it turns on (1) or off (0). */
typedef struct sim_switch {
    sim_time at;
    int on;
} sim_switch;

typedef struct sim_provider_cfg {
    char name[SIM_NAME_MAX];
    int order;
    int mode;                         /* SIM_MODE_* */
    int enabled;                      /* at t = 0 */
    int nlimits;
    sim_limit_cfg limits[SIM_MAX_LIMITS];
    sim_latency latency;
    double fail;                      /* probability a dispatch fails */
    int nswitch;
    sim_switch *schedule;             /* strictly increasing times; owned */
    /* Distributed: `nodes` nodes (0 or 1: none) share the rate limits,
     * held by one store (central: each decision a round trip `rtt`,
     * atomic or read-then-write) or split evenly between the nodes
     * (local). Concurrency limits cannot be distributed. */
    int nodes;
    int node_by;                      /* SIM_NODE_BY_* */
    int shared;                       /* SIM_SHARED_* */
    int atomic;                       /* central: 1 = the store decides */
    sim_latency rtt;                  /* central: a store round trip */
    sim_time skew;                    /* node clocks off by up to this */
    int clock_node;                   /* central: the node's clock stamps
                                         each decision, not the store's */
    sim_time sync;                    /* local: > 0 for split = sync, the
                                         nodes' counters merged this often */
    sim_time poll;                    /* central: a refused node asks
                                         again after this (0: when the
                                         store said it would admit) */
} sim_provider_cfg;

/* A client with a [client NAME] section: a server-side quota checked when
 * each attempt is submitted, its reaction to refusals and failures, and its
 * weight for queue = wfq. */
typedef struct sim_client_cfg {
    char name[SIM_NAME_MAX];
    int has_quota;
    sim_limit_cfg quota;
    int react;                        /* SIM_REACT_* */
    sim_time retry_base;              /* retry: the first back-off */
    int retry_max;                    /* retry: at most this many retries */
    int jitter;                       /* SIM_JITTER_* */
    int64_t weight;                   /* >= 1 */
} sim_client_cfg;

typedef struct sim_config {
    uint64_t seed;
    sim_time until;                   /* SIM_NEVER: until all work is done */
    int queue;                        /* SIM_QUEUE_* */
    int route;                        /* SIM_ROUTE_* */
    int nproviders;
    sim_provider_cfg *providers;      /* sorted by order; owned */
    /* Clients numbered 0 .. nclients-1 in requests are clients[i]; other
     * numbers have no quota, do not retry and weigh 1. */
    int nclients;
    sim_client_cfg *clients;          /* owned */
} sim_config;

/* One request as read from a workload. */
typedef struct sim_request {
    int64_t id;
    sim_time at;
    sim_time after;                   /* valid-after; = at when not given */
    sim_time deadline;                /* SIM_NEVER when none */
    sim_time service;                 /* SIM_NONE: the provider's latency */
    int64_t cost;
    int32_t priority;
    int32_t provider;                 /* pinned provider index, or -1 */
    uint32_t client;                  /* the reader's client number */
} sim_request;

/* One finished attempt (a row of the dispatches table). Absent times are
 * SIM_NONE; an absent provider is -1. */
typedef struct sim_row {
    int64_t req_id;
    int32_t attempt;
    int32_t priority;
    uint32_t client;
    int32_t provider;
    int64_t cost;
    sim_time t_arrive, t_ready, t_dispatch, t_done;
    int outcome;                      /* SIM_OK ... */
} sim_row;

/* Source: fill *out and return 1; return 0 at the end; or return an error
 * class with a message in err. Requests must come in non-decreasing `at`. */
typedef int (*sim_source_fn)(void *ctx, sim_request *out, char *err,
                             size_t errlen);
/* Sink: take one finished row; non-zero (an error class, message in err)
 * aborts the run. */
typedef int (*sim_sink_fn)(void *ctx, const sim_row *row, char *err,
                           size_t errlen);
/* Progress: called every so many events with the current virtual time. */
typedef void (*sim_progress_fn)(void *ctx, sim_time now, uint64_t done);

typedef struct sim sim;

/* Per provider figures after a run. The worst window is over the provider's
 * first limit with a rate N/W: the largest cost admitted in any half-open
 * interval of length W (0 and 0 when it has no such limit). */
typedef struct sim_provider_stats {
    uint64_t dispatched;              /* attempts that went out */
    uint64_t rejected;                /* attempts refused against it */
    int64_t cost;                     /* permits taken */
    int64_t worst_window;             /* largest cost in any window W */
    int64_t over_admitted;            /* cost a single limiter would have
                                         refused at its instant */
    uint64_t denials;                 /* central: asks the store refused */
    uint64_t decisions;               /* central: requests sent after asks */
    sim_time decision_sum, decision_max; /* a request's round trips to
                                            the store, all its asks */
    int64_t window_limit;             /* N of that limit */
    sim_time window;                  /* W of that limit */
    sim_time first, last;             /* first and last dispatch */
} sim_provider_stats;

/* Builds a simulation from cfg (which the sim copies what it needs from;
 * the caller keeps ownership). Returns 0, or 2 with a message. */
int sim_new(sim **out, const sim_config *cfg, char *err, size_t errlen);
void sim_free(sim *s);

/* Optional hooks: progress every `every` events; a flag that, once set
 * non-zero (by a signal handler), stops the run with SIM_EINTR. */
void sim_set_progress(sim *s, sim_progress_fn fn, void *ctx, uint64_t every);
void sim_set_stop(sim *s, const volatile sig_atomic_t *flag);

/* Runs to the end (all work done, nothing left that could serve what
 * waits, or cfg.until). Returns 0, the error class a callback returned, or
 * SIM_EINTR. A sim runs once. */
int sim_run(sim *s, sim_source_fn src, void *src_ctx, sim_sink_fn sink,
            void *sink_ctx, char *err, size_t errlen);

/* After a run: events handled, requests read, the final instant. */
uint64_t sim_events(const sim *s);
uint64_t sim_requests(const sim *s);
sim_time sim_end_time(const sim *s);
void sim_provider_stats_get(const sim *s, int provider, sim_provider_stats *out);

/* The name of an outcome as stored in the database ("ok", ...), or NULL
 * for a number that is no outcome. */
const char *sim_outcome_name(int outcome);

#endif
