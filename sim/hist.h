/* SPDX-License-Identifier: MIT
 *
 * A bounded-memory histogram of non-negative int64 values (waits in ns) for
 * summary percentiles. Log-linear buckets: values below 2^HIST_SUB_BITS are
 * exact; above, each power of two is split into 2^HIST_SUB_BITS buckets, so
 * a reported quantile is within HIST_REL_ERROR of a value actually seen.
 * Memory is fixed (a few tens of KiB), whatever the number of values.
 */
#ifndef RS_SIM_HIST_H
#define RS_SIM_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 7
#define HIST_REL_ERROR (1.0 / (1 << HIST_SUB_BITS))

typedef struct hist hist;

hist *hist_new(void);               /* NULL when out of memory */
void hist_free(hist *h);
void hist_add(hist *h, int64_t v);  /* v < 0 counts as 0 */
uint64_t hist_count(const hist *h);
int64_t hist_max(const hist *h);    /* exact; 0 when empty */
double hist_mean(const hist *h);    /* exact (sums kept); 0 when empty */
/* The value at quantile q in [0, 1] (q = 0.99 for p99), within
 * HIST_REL_ERROR relative error; exact max for q = 1; 0 when empty. */
int64_t hist_quantile(const hist *h, double q);

#endif
