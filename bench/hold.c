/* SPDX-License-Identifier: MIT
 *
 * The kernel's classic hold model, for `make bench`: the event heap holds
 * 10^4 pending events; each step pops the earliest and pushes one back at
 * a random later time (exponential, seeded). It measures the heap alone,
 * the cost every simulated event pays at least once.
 *
 * Usage: hold [STEPS]   prints "hold: N events in S s, E events/s"
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sim/heap.h"
#include "sim/rng.h"

#define PENDING 10000

int
main(int argc, char **argv)
{
    long steps = argc > 1 ? atol(argv[1]) : 20000000L;
    heap *h = heap_new();
    heap_ev ev = {0};
    struct timespec t0, t1;
    double s;
    rng r;

    if (!h)
        return 3;
    rng_seed(&r, 1, 0);
    for (int i = 0; i < PENDING; i++) {
        ev.t = rng_exp(&r, 1000000);
        if (heap_push(h, &ev) != 0)
            return 3;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < steps; i++) {
        heap_pop(h, &ev);
        ev.t += rng_exp(&r, 1000000);
        heap_push(h, &ev);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("hold: %ld events in %.3f s, %.0f events/s\n", steps, s,
           (double)steps / s);
    heap_free(h);
    return 0;
}
