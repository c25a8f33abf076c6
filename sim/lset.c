/* SPDX-License-Identifier: MIT
 *
 * Limit sets (see lset.h). Each limit's state is a block of the
 * algorithm's state_size bytes; algorithms that allocate inside it provide
 * clear (and copy, for a deep copy), the others are copied byte for byte.
 */
#include "sim/lset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *
state_new(const algo *a)
{
    return calloc(1, a->state_size ? a->state_size : 1);
}

int
lset_init(lset *s, const lset_cfg *cfg, int n, const char *what, char *err,
          size_t errlen)
{
    char why[160];

    memset(s, 0, sizeof *s);
    for (int i = 0; i < n && i < LSET_MAX; i++) {
        lset_limit *l = &s->lim[i];
        l->a = cfg[i].algo;
        l->p = cfg[i].p;
        s->n = i + 1;
        if (!(l->st = state_new(l->a))) {
            snprintf(err, errlen, "out of memory");
            return 3;
        }
        if (l->a->init(l->st, &l->p, why, sizeof why) != 0) {
            snprintf(err, errlen, "%s: %s", what, why);
            return 2;
        }
    }
    return 0;
}

void
lset_clear(lset *s)
{
    for (int i = 0; i < s->n; i++) {
        lset_limit *l = &s->lim[i];
        if (l->st && l->a->clear)
            l->a->clear(l->st);
        free(l->st);
        l->st = NULL;
    }
    s->n = 0;
}

int
lset_copy(lset *dst, const lset *src)
{
    *dst = *src;
    for (int i = 0; i < src->n; i++) {
        const lset_limit *l = &src->lim[i];
        void *st = state_new(l->a);
        int rc = 0;
        if (st && l->a->copy)
            rc = l->a->copy(st, l->st);
        else if (st)
            memcpy(st, l->st, l->a->state_size);
        dst->lim[i].st = st;
        if (!st || rc != 0) {
            dst->n = st ? i + 1 : i;
            lset_clear(dst);
            return -1;
        }
    }
    return 0;
}

sim_time
lset_next_ok(const lset *s, sim_time now, int64_t cost)
{
    sim_time t = now;

    for (;;) {
        sim_time m = t;
        for (int i = 0; i < s->n; i++) {
            sim_time x = s->lim[i].a->next_ok(s->lim[i].st, t, cost);
            if (x == SIM_NEVER)
                return SIM_NEVER;
            if (x > m)
                m = x;
        }
        if (m == t)
            return t;
        t = m;
    }
}

void
lset_release(lset *s, sim_time now, int64_t cost)
{
    for (int i = 0; i < s->n; i++)
        if (s->lim[i].a->release)
            s->lim[i].a->release(s->lim[i].st, now, cost);
}

sim_time
lset_go_at(const lset *s, sim_time now)
{
    sim_time go = now;

    for (int i = 0; i < s->n; i++)
        if (s->lim[i].a->go_at) {
            sim_time t = s->lim[i].a->go_at(s->lim[i].st, now);
            go = t > go ? t : go;
        }
    return go;
}

int
lset_overflows(const lset *s, sim_time now, int64_t cost, int64_t ahead)
{
    for (int i = 0; i < s->n; i++)
        if (s->lim[i].a->overflow &&
            s->lim[i].a->overflow(s->lim[i].st, now, cost, ahead))
            return 1;
    return 0;
}

int64_t
lset_capacity(const lset *s)
{
    int64_t cap = INT64_MAX;

    for (int i = 0; i < s->n; i++) {
        int64_t c = s->lim[i].a->capacity(s->lim[i].st);
        if (c < cap)
            cap = c;
    }
    return cap;
}

int
lset_releases(const lset *s)
{
    for (int i = 0; i < s->n; i++)
        if (s->lim[i].a->release)
            return 1;
    return 0;
}

int
lset_reserves(const lset *s)
{
    for (int i = 0; i < s->n; i++)
        if (s->lim[i].a->go_at)
            return 1;
    return 0;
}

int
lset_may_overflow(const lset *s)
{
    for (int i = 0; i < s->n; i++)
        if (s->lim[i].a->overflow)
            return 1;
    return 0;
}
