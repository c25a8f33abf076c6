/* SPDX-License-Identifier: MIT
 *
 * Units: exact parsing and printing of the times, durations and rates that
 * appear in workload and scenario files (SPEC §2). Decimal seconds are
 * parsed digit by digit into int64 nanoseconds (never through a double), so
 * "0.000000001" is exactly 1 ns; more than 9 fractional digits, signs,
 * exponents and overflow are errors.
 *
 * Each parser returns NULL on success or a short static message saying what
 * is wrong ("expected seconds, like 1.5"), which the caller places after its
 * own "file:line: key: ".
 */
#ifndef RS_SIM_IO_UNITS_H
#define RS_SIM_IO_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* Decimal seconds, no unit: "12", "12.5", "0.000001". Non-negative. */
const char *units_parse_seconds(const char *s, int64_t *ns);
/* The same of the len bytes at s, which need no terminator (a NUL among
 * them is an error like any other stray byte). */
const char *units_parse_seconds_n(const char *s, size_t len, int64_t *ns);

/* A duration: decimal seconds, or a decimal with a unit ns us ms s m h
 * ("250ms", "1.5s", "2m"). Non-negative. Fractional nanoseconds are errors. */
const char *units_parse_duration(const char *s, int64_t *ns);

/* A rate COUNT/PERIOD: "5/s", "100/1m", "3/2s", "1000/1h". COUNT is an
 * integer >= 1, PERIOD a duration > 0 whose number may be left out ("s"
 * means "1s"). */
const char *units_parse_rate(const char *s, int64_t *count, int64_t *period_ns);

/* A decimal integer in [lo, hi] ("-3", "42"). */
const char *units_parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out);
const char *units_parse_int_n(const char *s, size_t len, int64_t lo,
                              int64_t hi, int64_t *out);

/* Writes ns as seconds in the shortest exact decimal ("0", "0.5",
 * "1.333333334", "-2"). Returns buf. n >= 24 always suffices. */
char *units_format_seconds(int64_t ns, char *buf, size_t n);

#endif
