/* SPDX-License-Identifier: MIT
 *
 * Pseudo-random streams: xoshiro256** seeded through splitmix64 from a run
 * seed and a stream number, so every purpose (arrivals, latency of provider
 * 2, failures of provider 0, ...) has its own stream and drawing more from
 * one never shifts another. Ranges are mapped without bias. The struct is
 * public so that a stream can live inside its owner.
 */
#ifndef RS_SIM_RNG_H
#define RS_SIM_RNG_H

#include <stdint.h>

typedef struct rng {
    uint64_t s[4];
} rng;

/* Seeds r for stream number `stream` of run seed `seed`. */
void rng_seed(rng *r, uint64_t seed, uint64_t stream);
uint64_t rng_next(rng *r);
/* Uniform in [0, bound), without modulo bias; bound > 0. */
uint64_t rng_below(rng *r, uint64_t bound);
/* Uniform double in [0, 1) with 53 random bits. */
double rng_unit(rng *r);
/* True with probability p (p given as a 2^-64 fixed-point threshold, so the
 * decision is an integer comparison). */
int rng_chance(rng *r, uint64_t threshold);
/* The fixed-point threshold for probability p in [0, 1]. */
uint64_t rng_threshold(double p);
/* An exponential variate with the given mean, in whole ns (rounded). */
int64_t rng_exp(rng *r, int64_t mean);

#endif
