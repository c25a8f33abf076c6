/* SPDX-License-Identifier: MIT
 *
 * Deterministic ln, exp and cos(2 pi t) (see fmath.h).
 *
 * Why not libm's. SPEC §2 promises the same dispatches on every machine,
 * and a sampled latency or gap becomes whole nanoseconds by rounding a
 * double. glibc's exp, log and cos are within an ulp of the truth but not
 * correctly rounded, so the bit they round to is the implementation's:
 * another libm version gives another, and so may the same binary on
 * another CPU, since glibc picks an FMA variant of each where the CPU has
 * FMA. A last bit flips a nanosecond rarely, but then the schedule and
 * its digest differ. (Measured with glibc 2.36: the bits of 3 * 10^6
 * log, exp and cos results change when its FMA variants are turned off
 * with GLIBC_TUNABLES; 10^7 latencies rounded to nanoseconds did not.) These use nothing but IEEE-754 additions,
 * subtractions, multiplications and divisions (each correctly rounded, so
 * alike everywhere) in a fixed order, and exact operations (frexp, floor,
 * ldexp, which rounds only a subnormal result, once); the build forbids fusing a multiply and an
 * add (-ffp-contract=off), which would round once where the code says
 * twice. tests/test_fmath.c pins their bits on a fixed set of inputs and
 * keeps them within 2 ulp of libm's.
 *
 * The methods are the textbook ones, with enough terms for about an ulp:
 *   ln x:   x = m 2^e, m in [sqrt(1/2), sqrt(2)), f = m - 1 (exact);
 *           ln m = 2 atanh s, s = f / (2 + f), written as
 *           f - (f^2/2 - s (f^2/2 + R)), R = sum 2 s^2k / (2k + 1),
 *           so that the large part, f, enters exactly;
 *           ln x = e ln2 + ln m, ln 2 split in two for the product.
 *   e^x:    x = k ln2 + r, |r| <= ln2 / 2, e^x = 2^k e^r, e^r by its
 *           Taylor series to r^15 (the rest is below 1e-19).
 *   cos 2 pi t: t reduced to u in [0, 1/8] by the turn's symmetries, each
 *           subtraction exact (Sterbenz), then the Taylor series of cos or
 *           sin of 2 pi u (|2 pi u| <= pi/4) to the 18th or 19th power.
 */
#include "sim/fmath.h"

#include <math.h>

/* ln 2 as hi + lo, hi with its low 21 bits zero, so that k * FM_LN2_HI is
 * exact for |k| < 2^21 (k is at most 1075 here). */
#define FM_LN2_HI 6.93147180369123816490e-01
#define FM_LN2_LO 1.90821492927058770002e-10
#define FM_INV_LN2 1.44269504088896338700e+00
#define FM_SQRT1_2 0.70710678118654752440
#define FM_2PI 6.28318530717958647693
/* Beyond these e^x is not a finite double, or is 0. */
#define FM_EXP_MAX 709.782712893383973096
#define FM_EXP_MIN (-745.133219101941108420)

/* sum c[i] x^i for i < n, by Horner's rule (the order fixes the bits). */
static double
fm_poly(const double *c, int n, double x)
{
    double p = c[n - 1];

    for (int i = n - 2; i >= 0; i--)
        p = c[i] + x * p;
    return p;
}

/* 2 / (2k + 3), k = 0..10: R = z * sum of these times z^k. */
static const double fm_log_c[] = {
    2.0 / 3, 2.0 / 5, 2.0 / 7, 2.0 / 9, 2.0 / 11, 2.0 / 13, 2.0 / 15,
    2.0 / 17, 2.0 / 19, 2.0 / 21, 2.0 / 23,
};

/* 1 / k!, k = 0..15 */
static const double fm_exp_c[] = {
    1, 1, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040,
    1.0 / 40320, 1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800,
    1.0 / 479001600, 1.0 / 6227020800, 1.0 / 87178291200,
    1.0 / 1307674368000,
};

/* (-1)^k / (2k)!, k = 0..9, in x^2 */
static const double fm_cos_c[] = {
    1, -1.0 / 2, 1.0 / 24, -1.0 / 720, 1.0 / 40320, -1.0 / 3628800,
    1.0 / 479001600, -1.0 / 87178291200, 1.0 / 20922789888000,
    -1.0 / 6402373705728000,
};

/* (-1)^k / (2k + 1)!, k = 1..9, in x^2 (the x is added apart) */
static const double fm_sin_c[] = {
    -1.0 / 6, 1.0 / 120, -1.0 / 5040, 1.0 / 362880, -1.0 / 39916800,
    1.0 / 6227020800, -1.0 / 1307674368000, 1.0 / 355687428096000,
    -1.0 / 121645100408832000,
};

#define FM_N(a) ((int)(sizeof(a) / sizeof((a)[0])))

double
fm_log(double x)
{
    double m, f, s, z, hfsq, r, k;
    int e;

    if (x != x || x < 0)
        return NAN;
    if (x == 0)
        return -HUGE_VAL;
    if (x == HUGE_VAL)
        return x;
    m = frexp(x, &e);                   /* x = m 2^e, m in [1/2, 1) */
    if (m < FM_SQRT1_2) {
        m *= 2;
        e--;
    }
    f = m - 1;
    s = f / (2 + f);
    z = s * s;
    r = z * fm_poly(fm_log_c, FM_N(fm_log_c), z);
    hfsq = 0.5 * f * f;
    k = (double)e;
    return k * FM_LN2_HI - ((hfsq - (s * (hfsq + r) + k * FM_LN2_LO)) - f);
}

double
fm_exp(double x)
{
    double r;
    int k;

    if (x != x)
        return x;
    if (x > FM_EXP_MAX)
        return HUGE_VAL;
    if (x < FM_EXP_MIN)
        return 0;
    /* k = x / ln2 to the nearest, halves away from 0 (the cast
     * truncates). */
    k = (int)(x * FM_INV_LN2 + (x < 0 ? -0.5 : 0.5));
    r = (x - k * FM_LN2_HI) - k * FM_LN2_LO;
    /* exact, but for a subnormal result, rounded once */
    return ldexp(fm_poly(fm_exp_c, FM_N(fm_exp_c), r), k);
}

/* cos x for |x| <= pi/4. */
static double
fm_cos_small(double x)
{
    return fm_poly(fm_cos_c, FM_N(fm_cos_c), x * x);
}

/* sin x for |x| <= pi/4. */
static double
fm_sin_small(double x)
{
    double z = x * x;

    return x + x * z * fm_poly(fm_sin_c, FM_N(fm_sin_c), z);
}

double
fm_cos2pi(double t)
{
    double u, sign = 1;

    if (t - t != 0)                     /* infinite or NaN */
        return NAN;
    /* The fraction of a turn, exact; a tiny negative t rounds to 1. */
    u = t - floor(t);
    if (u >= 1)
        u = 0;
    if (u > 0.5)                        /* cos is even about 1/2 */
        u = 1 - u;
    if (u > 0.25) {                     /* and odd about 1/4 */
        u = 0.5 - u;
        sign = -1;
    }
    if (u > 0.125)
        return sign * fm_sin_small(FM_2PI * (0.25 - u));
    return sign * fm_cos_small(FM_2PI * u);
}
