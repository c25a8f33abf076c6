/* SPDX-License-Identifier: MIT
 *
 * Log-linear histogram for summary percentiles. A run may finish millions of
 * requests, and the summary wants p50/p95/p99 of their waits without keeping
 * every wait in memory; the exact values are in the database.
 *
 * Representation: with S = HIST_SUB_BITS, values below 2^S have a bucket of
 * their own (exact). A value v >= 2^S with highest set bit e (S <= e <= 62)
 * falls in one of the 2^S equal-width buckets that split [2^e, 2^(e+1)):
 * its index is 2^S + (e - S)·2^S + (v >> (e - S)) - 2^S. A bucket's width
 * w = 2^(e - S) is at most 1/2^S of its lower bound L, so every value in it
 * lies in [L, L + w) with w <= L / 2^S. The table has 2^S·(64 - S) counters
 * (57 KiB for S = 7), whatever the number of values.
 *
 * Quantiles: the q-quantile is the k-th smallest value, k = ceil(q·n) (at
 * least 1). hist_quantile finds the bucket holding the k-th value by
 * cumulative count and returns its midpoint L + w/2, clamped to the largest
 * value seen. The true k-th value v is in [L, L + w), so the error is at most
 * w/2 <= v / 2^(S+1), half of HIST_REL_ERROR; buckets below 2^S are exact.
 * Count, max and the sum (an unsigned __int128, which cannot overflow for
 * fewer than 2^64 values below 2^63) are exact.
 */
#include "sim/hist.h"

#include <math.h>
#include <stdlib.h>

#define HIST_SUB (1 << HIST_SUB_BITS)
#define HIST_NBUCKETS (HIST_SUB * (64 - HIST_SUB_BITS))

__extension__ typedef unsigned __int128 hist_u128;

struct hist {
    uint64_t count;
    int64_t max;
    hist_u128 sum;
    uint64_t bucket[HIST_NBUCKETS];
};

/* Index of the highest set bit of v > 0. */
static int
hist_log2(uint64_t v)
{
    return 63 - __builtin_clzll(v);
}

static int
hist_index(int64_t v)
{
    if (v < HIST_SUB)
        return (int)v;
    int e = hist_log2((uint64_t)v);
    int shift = e - HIST_SUB_BITS;
    return HIST_SUB + shift * HIST_SUB + (int)(v >> shift) - HIST_SUB;
}

/* The smallest value of bucket i and the bucket's width. */
static void
hist_bounds(int i, int64_t *lo, int64_t *width)
{
    if (i < HIST_SUB) {
        *lo = i;
        *width = 1;
        return;
    }
    int shift = (i - HIST_SUB) / HIST_SUB;
    int64_t sub = (i - HIST_SUB) % HIST_SUB;
    *width = (int64_t)1 << shift;
    *lo = (HIST_SUB + sub) << shift;
}

hist *
hist_new(void)
{
    return calloc(1, sizeof(hist));
}

void
hist_free(hist *h)
{
    free(h);
}

void
hist_add(hist *h, int64_t v)
{
    if (v < 0)
        v = 0;
    h->bucket[hist_index(v)]++;
    h->count++;
    h->sum += (uint64_t)v;
    if (v > h->max)
        h->max = v;
}

uint64_t
hist_count(const hist *h)
{
    return h->count;
}

int64_t
hist_max(const hist *h)
{
    return h->max;
}

double
hist_mean(const hist *h)
{
    if (h->count == 0)
        return 0.0;
    /* long double keeps the quotient exact to well past a double's
     * precision before the final rounding. */
    return (double)((long double)h->sum / (long double)h->count);
}

/* The 1-based rank of the q-quantile among n values: ceil(q·n), in [1, n].
 * NaN counts as 0. */
static uint64_t
hist_rank(double q, uint64_t n)
{
    if (!(q > 0.0))
        return 1;
    if (q >= 1.0)
        return n;
    long double k = ceill((long double)q * (long double)n);
    if (k < 1.0L)
        return 1;
    if (k > (long double)n)
        return n;
    return (uint64_t)k;
}

int64_t
hist_quantile(const hist *h, double q)
{
    if (h->count == 0)
        return 0;
    if (q >= 1.0)
        return h->max;
    uint64_t k = hist_rank(q, h->count), seen = 0;
    for (int i = 0; i < HIST_NBUCKETS; i++) {
        seen += h->bucket[i];
        if (seen < k)
            continue;
        int64_t lo, width;
        hist_bounds(i, &lo, &width);
        int64_t mid = lo + width / 2;
        /* The max's bucket may end past the max; the max is closer. */
        return mid < h->max ? mid : h->max;
    }
    return h->max; /* not reached: the counts add up to h->count */
}
