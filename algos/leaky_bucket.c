/* SPDX-License-Identifier: MIT
 *
 * leaky_bucket: strictly paced output, as nginx's limit_req with `burst`
 * and without `nodelay`. Departures are at least T = W/N apart (a request
 * of cost c takes c*T of the outflow), never in bursts; a request that,
 * when it becomes ready, would wait more than burst*T for its slot is
 * refused instead of queued.
 *
 * Exact representation: time scaled by N (one unit = 1/N ns, T = W
 * units). The state is the scaled instant `next` before which the next
 * departure may not go: after a departure recorded at d of cost c, next =
 * d + c*W. The admission is recorded at the exact instant (algo_record_at)
 * so rounding to whole ns never stretches the pacing.
 *
 * Refusal: a request becoming ready at t has `ahead` permits queued for the
 * provider before it; its slot is max(t, next) + ahead*T, so it waits
 * (next - t)+ + ahead*T, refused when that exceeds burst*T. With nothing
 * queued, burst b lets b+1 requests of a simultaneous burst in, at 0, T,
 * ..., bT, as nginx does. The engine counts `ahead` as the permits of all
 * waiting requests that may use the provider (some may yet go elsewhere).
 */
#include "sim/limit.h"

typedef struct lb {
    int64_t n, w, b;    /* rate n per w ns; queue of b*T */
    algo_i128 next;     /* scaled: the next departure may not go before */
} lb;

static int
lb_init(void *st, const algo_params *p, char *err, size_t errlen)
{
    lb *l = st;

    if (algo_check_rate(p, "period", err, errlen) != 0 ||
        algo_check_burst(p, err, errlen) != 0)
        return 2;
    l->n = p->count;
    l->w = p->window;
    l->b = p->burst;
    return 0;
}

static int64_t
lb_capacity(const void *st)
{
    return ((const lb *)st)->b;
}

static sim_time
lb_next_ok(const void *st, sim_time now, int64_t cost)
{
    const lb *l = st;

    if (cost > l->b)
        return SIM_NEVER;
    return algo_next_at(l->next, l->n, now);
}

static void
lb_admit(void *st, sim_time now, int64_t cost)
{
    lb *l = st;
    algo_i128 at = algo_record_at(l->next, now, l->n);

    l->next = at + (algo_i128)cost * l->w;
}

static int
lb_overflow(const void *st, sim_time now, int64_t cost, int64_t ahead)
{
    const lb *l = st;
    algo_i128 t = (algo_i128)now * l->n;
    algo_i128 wait = (l->next > t ? l->next - t : 0) + (algo_i128)ahead * l->w;

    (void)cost;
    return wait > (algo_i128)l->b * l->w;
}

const algo algo_leaky_bucket = {
    .name = "leaky_bucket",
    .takes = ALGO_TAKES_RATE | ALGO_TAKES_BURST,
    .needs = ALGO_TAKES_RATE,
    .state_size = sizeof(lb),
    .init = lb_init,
    .capacity = lb_capacity,
    .next_ok = lb_next_ok,
    .admit = lb_admit,
    .release = NULL,
    .overflow = lb_overflow,
};
