/* SPDX-License-Identifier: MIT
 *
 * xoshiro256** (Blackman and Vigna), seeded with splitmix64 over the run
 * seed mixed with the stream number. rng_below uses Lemire's multiply-and-
 * reject method, which is exact (no modulo bias) and rarely loops.
 */
#include "sim/rng.h"

#include <math.h>

#include "sim/fmath.h"

static uint64_t
splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t
rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void
rng_seed(rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL);

    /* A second splitmix round over the stream keeps nearby (seed, stream)
     * pairs from starting in correlated states. */
    x = splitmix64(&x) ^ stream;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

uint64_t
rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

uint64_t
rng_below(rng *r, uint64_t bound)
{
    __extension__ typedef unsigned __int128 u128;
    u128 m = (u128)rng_next(r) * bound;
    uint64_t lo = (uint64_t)m;

    if (lo < bound) {
        uint64_t floor = -bound % bound;
        while (lo < floor) {
            m = (u128)rng_next(r) * bound;
            lo = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

double
rng_unit(rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t
rng_threshold(double p)
{
    if (!(p > 0))
        return 0;
    if (p >= 1)
        return UINT64_MAX;
    return (uint64_t)(p * 0x1.0p64);
}

int
rng_chance(rng *r, uint64_t threshold)
{
    if (threshold == UINT64_MAX)
        return 1;
    return rng_next(r) < threshold;
}

int64_t
rng_exp(rng *r, int64_t mean)
{
    /* 1 - u is in (0, 1], so the log is finite. */
    double x = -fm_log(1.0 - rng_unit(r)) * (double)mean;

    return x >= 9.2e18 ? INT64_MAX : (int64_t)llround(x);
}
