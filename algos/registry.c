/* SPDX-License-Identifier: MIT
 *
 * The algorithm registry: the one table that maps names to algorithms.
 *
 * Adding an algorithm:
 *   1. write algos/NAME.c exporting `const algo algo_NAME` (designated
 *      initializers; every helper static), keeping state exactly in
 *      integers and honouring the contract in sim/limit.h;
 *   2. add one line to the table below (and its extern above it);
 *   3. add tests/test_algo_NAME.c: a hand-worked schedule and a property
 *      over a large random input;
 *   4. name it in SPEC §5 and the README's list.
 */
#include "algos/algos.h"

#include <stdio.h>
#include <string.h>

extern const algo algo_fixed_window;
extern const algo algo_sliding_log;
extern const algo algo_sliding_window;
extern const algo algo_token_bucket;
extern const algo algo_concurrency;
extern const algo algo_permits;
extern const algo algo_leaky_bucket;
extern const algo algo_gcra;

static const algo *const registry[] = {
    &algo_fixed_window,
    &algo_sliding_log,
    &algo_sliding_window,
    &algo_token_bucket,
    &algo_leaky_bucket,
    &algo_gcra,
    &algo_concurrency,
    &algo_permits,
};

#define NREG (sizeof registry / sizeof registry[0])

const algo *
algo_find(const char *name)
{
    for (size_t i = 0; i < NREG; i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}

const algo *
algo_at(size_t i)
{
    return i < NREG ? registry[i] : NULL;
}

void
algo_names(char *buf, size_t n)
{
    size_t used = 0;

    if (n == 0)
        return;
    buf[0] = '\0';
    for (size_t i = 0; i < NREG && used + 1 < n; i++) {
        int w = snprintf(buf + used, n - used, "%s%s", i ? ", " : "",
                         registry[i]->name);
        if (w < 0)
            return;
        used += (size_t)w;
    }
}
