/* SPDX-License-Identifier: MIT
 *
 * The workload generator (see gen.h for the patterns).
 *
 * State. The generator keeps an integer process clock and the number of
 * requests made. For constant, poisson and pareto the clock is the arrival
 * time. For onoff it counts only time spent "on": an arrival at on-time
 * tau lands at real time (tau / on)(on + off) + tau % on, so no arrival
 * can fall in an off period, and the rate inside a burst is exactly the
 * Poisson rate. For diurnal the clock runs a Poisson process at the peak
 * rate and each arrival is kept with probability intensity(t) / peak
 * (Lewis and Shedler's thinning), drawn from its own stream.
 *
 * Random gaps are drawn as doubles in nanoseconds and rounded to the
 * nearest one before they are added, so the clock is exact and the
 * rounding errors, of either sign, do not accumulate into a bias. Weighted
 * choices and the valid-after offset are integer draws (rng_below), exact
 * and unbiased.
 */
#include "sim/gen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/fmath.h"
#include "sim/rng.h"

/* One stream per purpose (gen.h): their numbers are part of the output
 * format, since changing one changes every generated file. */
enum {
    STREAM_GAPS = 1, STREAM_THIN, STREAM_CLIENTS, STREAM_PRIORITIES,
    STREAM_COSTS, STREAM_AFTER
};

struct gen {
    gen_opts o;
    rng gaps, thin, clients, prios, costs, after;
    int64_t made;               /* requests yielded so far */
    sim_time clock;             /* the process clock (see above) */
    double mean_gap;            /* ns, of the process the clock runs */
    double xm;                  /* pareto scale */
    uint64_t prio_total, cost_total;
};

static const char *const pattern_names[GEN_NPATTERNS] = {
    "constant", "poisson", "onoff", "diurnal", "pareto",
};

void
gen_opts_init(gen_opts *o)
{
    memset(o, 0, sizeof *o);
    o->pattern = GEN_POISSON;
    o->seed = 1;
    o->clients = 1;
    o->deadline = SIM_NONE;
    o->depth = 0.5;
    o->shape = 1.5;
}

int
gen_pattern_find(const char *s)
{
    for (int i = 0; i < GEN_NPATTERNS; i++)
        if (!strcmp(s, pattern_names[i]))
            return i;
    return -1;
}

const char *
gen_pattern_name(int pattern)
{
    return pattern >= 0 && pattern < GEN_NPATTERNS ? pattern_names[pattern]
                                                   : NULL;
}

/* ------------------------------------------------------------------ */
/* Checking the options                                               */
/* ------------------------------------------------------------------ */

/* The sum of the weights, or 0 when it overflows. */
static uint64_t
total_weight(const gen_choice *v, int n)
{
    uint64_t t = 0;

    for (int i = 0; i < n; i++)
        if (v[i].weight == 0 || __builtin_add_overflow(t, v[i].weight, &t))
            return 0;
    return t;
}

/* The pattern's own parameters. Returns a message or NULL. */
static const char *
check_pattern(const gen_opts *o)
{
    switch (o->pattern) {
    case GEN_ONOFF:
        if (o->on <= 0 || o->off < 0)
            return "onoff: needs --on longer than 0 and --off";
        return NULL;
    case GEN_DIURNAL:
        if (o->period <= 0)
            return "diurnal: needs --period longer than 0";
        if (!(o->depth >= 0 && o->depth <= 1))
            return "--depth: expected a number from 0 to 1";
        return NULL;
    case GEN_PARETO:
        if (!(o->shape > 1 && o->shape < 1e6))
            return "--shape: expected a number above 1 (the mean must be "
                   "finite)";
        return NULL;
    case GEN_CONSTANT:
    case GEN_POISSON:
        return NULL;
    default:
        return "--pattern: unknown pattern";
    }
}

static const char *
check_opts(const gen_opts *o)
{
    if (o->count < 1 || o->window < 1)
        return "--rate: expected a rate COUNT/PERIOD (like 5/s)";
    if (o->window < o->count)
        return "--rate: at most one request per nanosecond on average";
    if (o->duration <= 0)
        return "--duration: must be longer than 0";
    if (o->clients < 1)
        return "--clients: expected at least 1";
    if (o->npriorities < 0 || o->npriorities > GEN_MAX_CHOICES ||
        (o->npriorities && !total_weight(o->priorities, o->npriorities)))
        return "--priorities: weights must be >= 1 and not too large";
    if (o->ncosts < 0 || o->ncosts > GEN_MAX_CHOICES ||
        (o->ncosts && !total_weight(o->costs, o->ncosts)))
        return "--costs: weights must be >= 1 and not too large";
    for (int i = 0; i < o->ncosts; i++)
        if (o->costs[i].value < 1)
            return "--costs: a cost is an integer >= 1";
    if (o->has_after && (o->after_min < 0 || o->after_max < o->after_min ||
                         o->after_max == INT64_MAX))
        return "--after: expected MIN..MAX with 0 <= MIN <= MAX";
    if (o->deadline != SIM_NONE && o->deadline <= 0)
        return "--deadline: must be longer than 0";
    return check_pattern(o);
}

int
gen_new(gen **out, const gen_opts *o, char *err, size_t errlen)
{
    const char *why = check_opts(o);
    gen *g;

    *out = NULL;
    if (why) {
        snprintf(err, errlen, "%s", why);
        return SIM_EINPUT;
    }
    if (!(g = calloc(1, sizeof *g))) {
        snprintf(err, errlen, "out of memory");
        return SIM_EIO;
    }
    g->o = *o;
    rng_seed(&g->gaps, o->seed, STREAM_GAPS);
    rng_seed(&g->thin, o->seed, STREAM_THIN);
    rng_seed(&g->clients, o->seed, STREAM_CLIENTS);
    rng_seed(&g->prios, o->seed, STREAM_PRIORITIES);
    rng_seed(&g->costs, o->seed, STREAM_COSTS);
    rng_seed(&g->after, o->seed, STREAM_AFTER);
    g->mean_gap = (double)o->window / (double)o->count;
    if (o->pattern == GEN_DIURNAL)
        g->mean_gap /= 1.0 + o->depth;          /* the peak rate */
    g->xm = g->mean_gap * (o->shape - 1.0) / o->shape;
    g->prio_total = total_weight(o->priorities, o->npriorities);
    g->cost_total = total_weight(o->costs, o->ncosts);
    *out = g;
    return 0;
}

void
gen_free(gen *g)
{
    free(g);
}

/* ------------------------------------------------------------------ */
/* Arrivals                                                           */
/* ------------------------------------------------------------------ */

static double
exp_gap(gen *g)
{
    /* 1 - u is in (0, 1], exact (u is a multiple of 2^-53), so the log is
     * finite. */
    return -fm_log(1.0 - rng_unit(&g->gaps)) * g->mean_gap;
}

static double
pareto_gap(gen *g)
{
    /* (1 - u)^(-1/shape) */
    return g->xm * fm_exp(fm_log(1.0 - rng_unit(&g->gaps)) / -g->o.shape);
}

/* Advances the clock by a gap of gap_ns (rounded). Returns 0 when that
 * goes past any representable time: the run is over anyway. */
static int
advance(gen *g, double gap_ns)
{
    double r = nearbyint(gap_ns);

    if (!(r < 9.0e18) || (int64_t)r > INT64_MAX - g->clock)
        return 0;
    g->clock += (int64_t)r;
    return 1;
}

/* The real time of on-time tau for the onoff pattern. */
static sim_time
onoff_time(const gen_opts *o, sim_time tau)
{
    __extension__ typedef __int128 i128;
    i128 t = (i128)(tau / o->on) * (o->on + o->off) + tau % o->on;

    return t > INT64_MAX ? SIM_NEVER : (sim_time)t;
}

/* Keeps a diurnal candidate at the clock with probability
 * (1 - depth cos(2 pi t / period)) / (1 + depth). */
static int
diurnal_keep(gen *g)
{
    double phase = (double)(g->clock % g->o.period) / (double)g->o.period;
    double p = (1.0 - g->o.depth * fm_cos2pi(phase)) / (1.0 + g->o.depth);

    return rng_unit(&g->thin) < p;
}

/* The next arrival time, or SIM_NEVER when there is none. */
static sim_time
next_arrival(gen *g)
{
    __extension__ typedef __int128 i128;
    const gen_opts *o = &g->o;

    switch (o->pattern) {
    case GEN_CONSTANT: {
        i128 t = ((i128)g->made * o->window + o->count - 1) / o->count;
        return t >= o->duration ? SIM_NEVER : (sim_time)t;
    }
    case GEN_ONOFF:
        return advance(g, exp_gap(g)) ? onoff_time(o, g->clock) : SIM_NEVER;
    case GEN_DIURNAL:
        while (advance(g, exp_gap(g)) && g->clock < o->duration)
            if (diurnal_keep(g))
                return g->clock;
        return SIM_NEVER;
    case GEN_PARETO:
        return advance(g, pareto_gap(g)) ? g->clock : SIM_NEVER;
    default:
        return advance(g, exp_gap(g)) ? g->clock : SIM_NEVER;
    }
}

/* ------------------------------------------------------------------ */
/* Attributes                                                         */
/* ------------------------------------------------------------------ */

static int64_t
pick(rng *r, const gen_choice *v, int n, uint64_t total)
{
    uint64_t x = rng_below(r, total);

    for (int i = 0; i < n - 1; i++) {
        if (x < v[i].weight)
            return v[i].value;
        x -= v[i].weight;
    }
    return v[n - 1].value;
}

static void
attributes(gen *g, sim_request *r)
{
    const gen_opts *o = &g->o;
    sim_time ready = r->at;

    if (o->clients > 1)
        r->client = (uint32_t)rng_below(&g->clients, o->clients);
    if (o->npriorities)
        r->priority = (int32_t)pick(&g->prios, o->priorities, o->npriorities,
                                    g->prio_total);
    if (o->ncosts)
        r->cost = pick(&g->costs, o->costs, o->ncosts, g->cost_total);
    if (o->has_after) {
        uint64_t span = (uint64_t)(o->after_max - o->after_min) + 1;
        int64_t off = o->after_min + (int64_t)rng_below(&g->after, span);
        ready = off > INT64_MAX - r->at ? INT64_MAX - 1 : r->at + off;
    }
    r->after = ready;
    if (o->deadline != SIM_NONE)
        r->deadline = o->deadline > INT64_MAX - 1 - ready
                          ? INT64_MAX - 1 : ready + o->deadline;
}

int
gen_next(gen *g, sim_request *out)
{
    sim_time t = next_arrival(g);

    if (t == SIM_NEVER || t >= g->o.duration)
        return 0;
    *out = (sim_request){
        .id = ++g->made, .at = t, .after = t, .deadline = SIM_NEVER,
        .service = SIM_NONE, .cost = 1, .priority = 0, .provider = -1,
        .client = 0,
    };
    attributes(g, out);
    return 1;
}
