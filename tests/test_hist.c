/* SPDX-License-Identifier: MIT
 *
 * Tests of the log-linear histogram (sim/hist.c): exact below 2^S, exact
 * count, max and mean, quantiles within HIST_REL_ERROR of the true order
 * statistic (the ceil(q·n)-th smallest) over 1e5 pseudo-random values, and
 * the empty histogram. The values come from a local xorshift with a fixed
 * seed, so the test is the same on every run.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "sim/hist.h"

#define N_RANDOM 100000

static uint64_t
xorshift64(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static int
cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The ceil(q·n)-th smallest of sorted v[0..n), as hist.c defines it. */
static int64_t
order_stat(const int64_t *v, size_t n, double q)
{
    long double k = ceill((long double)q * (long double)n);
    size_t i = k < 1.0L ? 0 : (size_t)k - 1;
    return v[i < n ? i : n - 1];
}

static void
test_empty(void **state)
{
    (void)state;
    hist *h = hist_new();
    assert_non_null(h);
    assert_int_equal(hist_count(h), 0);
    assert_int_equal(hist_max(h), 0);
    assert_true(hist_mean(h) == 0.0);
    assert_int_equal(hist_quantile(h, 0.5), 0);
    assert_int_equal(hist_quantile(h, 1.0), 0);
    hist_free(h);
    hist_free(NULL);
}

static void
test_small_values_exact(void **state)
{
    (void)state;
    hist *h = hist_new();
    /* 0..127 once each: every quantile is an exact order statistic. */
    for (int64_t v = 0; v < 128; v++)
        hist_add(h, v);
    assert_int_equal(hist_count(h), 128);
    assert_int_equal(hist_max(h), 127);
    assert_true(hist_mean(h) == 63.5);
    assert_int_equal(hist_quantile(h, 0.0), 0);
    assert_int_equal(hist_quantile(h, 0.5), 63);   /* the 64th smallest */
    assert_int_equal(hist_quantile(h, 0.99), 126); /* the 127th */
    assert_int_equal(hist_quantile(h, 1.0), 127);
    hist_free(h);
}

static void
test_negative_counts_as_zero(void **state)
{
    (void)state;
    hist *h = hist_new();
    hist_add(h, -5);
    hist_add(h, 10);
    assert_int_equal(hist_count(h), 2);
    assert_int_equal(hist_quantile(h, 0.5), 0);
    assert_true(hist_mean(h) == 5.0);
    hist_free(h);
}

static void
test_single_large_value(void **state)
{
    (void)state;
    hist *h = hist_new();
    hist_add(h, INT64_MAX);
    assert_int_equal(hist_max(h), INT64_MAX);
    assert_int_equal(hist_quantile(h, 1.0), INT64_MAX);
    /* The top bucket's midpoint, within the bound. */
    int64_t got = hist_quantile(h, 0.5);
    assert_true(got <= INT64_MAX);
    assert_true((double)(INT64_MAX - got) <= HIST_REL_ERROR * 0x1p63);
    hist_free(h);

    /* A bucket's lower bound: the midpoint is past the max, so the max
     * (here exact) is returned. */
    h = hist_new();
    hist_add(h, (int64_t)1 << 40);
    assert_int_equal(hist_quantile(h, 0.5), (int64_t)1 << 40);
    hist_free(h);
}

/* Fills h and v with n values spread over many powers of two. */
static void
fill_random(hist *h, int64_t *v, size_t n)
{
    uint64_t s = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < n; i++) {
        uint64_t x = xorshift64(&s);
        int bits = (int)(x % 48);   /* magnitudes from 1 ns to ~3 days */
        v[i] = (int64_t)(xorshift64(&s) >> (64 - 1 - bits) >> 1);
        hist_add(h, v[i]);
    }
    qsort(v, n, sizeof v[0], cmp_i64);
}

static void
test_random_quantiles(void **state)
{
    (void)state;
    static const double qs[] = {0.0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75,
                                0.9, 0.95, 0.99, 0.999, 0.9999};
    int64_t *v = malloc(N_RANDOM * sizeof *v);
    hist *h = hist_new();
    assert_non_null(v);
    fill_random(h, v, N_RANDOM);
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        int64_t want = order_stat(v, N_RANDOM, qs[i]);
        int64_t got = hist_quantile(h, qs[i]);
        double err = fabs((double)got - (double)want);
        assert_true(err <= HIST_REL_ERROR * (double)want);
    }
    /* and a sweep of q in steps of 0.001 */
    for (int i = 0; i <= 1000; i++) {
        double q = i / 1000.0;
        int64_t want = order_stat(v, N_RANDOM, q);
        double err = fabs((double)hist_quantile(h, q) - (double)want);
        assert_true(err <= HIST_REL_ERROR * (double)want);
    }
    assert_int_equal(hist_quantile(h, 1.0), v[N_RANDOM - 1]);
    hist_free(h);
    free(v);
}

static void
test_random_count_max_mean(void **state)
{
    (void)state;
    int64_t *v = malloc(N_RANDOM * sizeof *v);
    hist *h = hist_new();
    assert_non_null(v);
    fill_random(h, v, N_RANDOM);
    uint64_t sum = 0; /* < 1e5 · 2^47 < 2^64 */
    for (size_t i = 0; i < N_RANDOM; i++)
        sum += (uint64_t)v[i];
    assert_int_equal(hist_count(h), N_RANDOM);
    assert_int_equal(hist_max(h), v[N_RANDOM - 1]);
    /* Exact up to the final rounding to double. */
    double want = (double)sum / N_RANDOM;
    assert_true(fabs(hist_mean(h) - want) <= 1e-15 * want);
    hist_free(h);
    free(v);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_small_values_exact),
        cmocka_unit_test(test_negative_counts_as_zero),
        cmocka_unit_test(test_single_large_value),
        cmocka_unit_test(test_random_quantiles),
        cmocka_unit_test(test_random_count_max_mean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
