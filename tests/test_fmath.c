/* SPDX-License-Identifier: MIT
 *
 * Tests of the deterministic elementary functions (sim/fmath.c):
 *   - exact values where there is one (ln 1, e^0, the quarter turns), and
 *     the edges (0, negatives, infinities, NaN, underflow, overflow);
 *   - accuracy over 10^6 random arguments each, against the x87's 64-bit
 *     long double logl, expl and cosl: within 2 ulp of the double result
 *     for ln and e^x, within 2^-52 absolutely for cos 2 pi t (a cosine near
 *     its zeros has no relative accuracy to speak of);
 *   - their bits: an FNV-1a hash of the results on a fixed set of 3 * 10^5
 *     arguments, stored below. Every conforming IEEE-754 machine must give
 *     it (gcc and clang do, with -ffp-contract=off); a compiler that fused
 *     a multiply and an add (clang -march=native -ffp-contract=fast gives
 *     another hash), or a change to the formulas, would not. Such a change also changes the schedules of
 *     runs with random latencies (their digests), so it must be made on
 *     purpose: update the hash here and say so.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <string.h>

#include "sim/fmath.h"
#include "sim/rng.h"

#define TWO_PI_L 6.283185307179586476925286766559005768L

/* The distance from a to the long double truth, in ulps of the double
 * nearest the truth. */
static double
ulps(double a, long double truth)
{
    double t = (double)truth;
    double ulp = nextafter(fabs(t), INFINITY) - fabs(t);

    if (t == 0)
        ulp = DBL_TRUE_MIN;
    return (double)(fabsl((long double)a - truth) / ulp);
}

static void
test_exact(void **state)
{
    (void)state;
    assert_true(fm_log(1) == 0);
    assert_true(fm_exp(0) == 1);
    assert_true(fm_cos2pi(0) == 1);
    assert_true(fm_cos2pi(0.25) == 0);
    assert_true(fm_cos2pi(0.5) == -1);
    assert_true(fm_cos2pi(0.75) == 0);
    assert_true(fm_cos2pi(1) == 1);
    assert_true(fm_cos2pi(-3) == 1);
    assert_true(fm_cos2pi(2.5) == -1);
    /* ln 2 correctly rounded; e one ulp off (e^x is within 2 ulp, not
     * correctly rounded) */
    assert_true(fm_log(2) == 0x1.62e42fefa39efp-1);
    assert_true(ulps(fm_exp(1), expl(1.0L)) <= 2);
}

static void
test_edges(void **state)
{
    (void)state;
    assert_true(fm_log(0) == -HUGE_VAL);
    assert_true(isnan(fm_log(-1)));
    assert_true(isnan(fm_log(NAN)));
    assert_true(fm_log(HUGE_VAL) == HUGE_VAL);
    assert_true(fabs(fm_log(DBL_TRUE_MIN) - log(DBL_TRUE_MIN)) < 1e-12);
    assert_true(fabs(fm_log(DBL_MAX) - log(DBL_MAX)) < 1e-12);
    assert_true(fm_exp(710) == HUGE_VAL);
    assert_true(fm_exp(HUGE_VAL) == HUGE_VAL);
    assert_true(fm_exp(-746) == 0);
    assert_true(fm_exp(-HUGE_VAL) == 0);
    assert_true(isnan(fm_exp(NAN)));
    assert_true(fm_exp(709.78) < HUGE_VAL && fm_exp(709.78) > 1e308);
    /* a subnormal result */
    assert_true(fm_exp(-740) > 0 && fm_exp(-740) < DBL_MIN);
    assert_true(ulps(fm_exp(-740), expl(-740.0L)) <= 1);
    assert_true(isnan(fm_cos2pi(HUGE_VAL)));
    assert_true(isnan(fm_cos2pi(NAN)));
    /* a tiny negative turn is next to a whole one */
    assert_true(fm_cos2pi(-1e-300) == 1);
}

/* A double spread over every binade from 2^lo to 2^hi. */
static double
spread(rng *g, int lo, int hi)
{
    int e = lo + (int)rng_below(g, (uint64_t)(hi - lo + 1));

    return ldexp(1 + rng_unit(g), e);
}

/* The arguments of each accuracy test: half as the draws use them, half
 * over a wide range. */
static double
log_arg(rng *g, int i)
{
    return i % 2 ? 1.0 - rng_unit(g) : spread(g, -1074, 1023);
}

static double
exp_arg(rng *g, int i)
{
    return i % 2 ? -745 + 1454 * rng_unit(g)
                 : (rng_unit(g) - 0.5) * spread(g, -60, 3);
}

static double
cos_arg(rng *g, int i)
{
    return i % 2 ? rng_unit(g) : (rng_unit(g) - 0.5) * 1e6;
}

/* The errors: in ulps for ln and e^x (a subnormal e^x has fewer bits to
 * be accurate to, and is left out: -1), absolute for cos 2 pi t. */
static double
log_err(double x)
{
    return ulps(fm_log(x), logl((long double)x));
}

static double
exp_err(double x)
{
    return fm_exp(x) < DBL_MIN ? -1 : ulps(fm_exp(x), expl((long double)x));
}

static double
cos_err(double t)
{
    long double frac = (long double)t - floorl((long double)t);

    return fabs((double)((long double)fm_cos2pi(t) - cosl(TWO_PI_L * frac)));
}

/* The worst error over 10^6 arguments from stream `seed`. */
static double
worst(const char *name, uint64_t seed, double (*arg)(rng *, int),
      double (*err)(double))
{
    rng g;
    double w = 0;

    rng_seed(&g, seed, 0);
    for (int i = 0; i < 1000000; i++) {
        double d = err(arg(&g, i));
        if (d > w)
            w = d;
    }
    print_message("%s: worst %.3g\n", name, w);
    return w;
}

static void
test_log_accuracy(void **state)
{
    (void)state;
    assert_true(worst("fm_log, ulp", 1, log_arg, log_err) <= 2);
}

static void
test_exp_accuracy(void **state)
{
    (void)state;
    assert_true(worst("fm_exp, ulp", 2, exp_arg, exp_err) <= 2);
}

static void
test_cos_accuracy(void **state)
{
    (void)state;
    assert_true(worst("fm_cos2pi, absolute", 3, cos_arg, cos_err) <= 0x1p-52);
}

static uint64_t
fnv_double(uint64_t h, double v)
{
    unsigned char b[8];

    memcpy(b, &v, 8);
    for (int i = 0; i < 8; i++)
        h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

/* The bits of 10^5 results of each function on arguments drawn from a
 * fixed stream (integers turned into doubles exactly, so the arguments
 * are the same everywhere too). */
static void
test_bits(void **state)
{
    rng g;
    uint64_t h = 0xcbf29ce484222325ULL;

    (void)state;
    rng_seed(&g, 42, 7);
    for (int i = 0; i < 100000; i++) {
        h = fnv_double(h, fm_log(1.0 - rng_unit(&g)));
        h = fnv_double(h, fm_exp(-40 + 80 * rng_unit(&g)));
        h = fnv_double(h, fm_cos2pi(rng_unit(&g)));
    }
    print_message("bits: %016llx\n", (unsigned long long)h);
    assert_true(h == 0x9121afc4204f1f1eULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_log_accuracy),
        cmocka_unit_test(test_exp_accuracy),
        cmocka_unit_test(test_cos_accuracy),
        cmocka_unit_test(test_bits),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
