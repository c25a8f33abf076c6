/* SPDX-License-Identifier: MIT
 *
 * Elementary functions that give the same bits on every machine: the
 * natural logarithm, the exponential and cos(2 pi t), for the random draws
 * that decide when things happen (exponential and lognormal latencies, the
 * generator's gaps and its daily wave). libm's are accurate but not
 * correctly rounded, so their last bit may differ from one libm, or one
 * CPU, to another; see fmath.c.
 */
#ifndef RS_SIM_FMATH_H
#define RS_SIM_FMATH_H

/* ln x: -inf for 0, NaN below 0 or for NaN, +inf for +inf. */
double fm_log(double x);
/* e^x: 0 below about -745, +inf above about 709.78, NaN for NaN. */
double fm_exp(double x);
/* cos(2 pi t) for a finite t, exactly 0, 1 or -1 at the quarter turns;
 * NaN for an infinite t or NaN. */
double fm_cos2pi(double t);

#endif
