/* SPDX-License-Identifier: MIT
 *
 * Fuzzes the unit parsers of sim/io/units.h. The input, cut at its first
 * NUL, is given to every parser, and what they accept must hold together:
 *
 *   - seconds and durations are never negative; a plain decimal is the
 *     same whether read as seconds or as a duration;
 *   - units_format_seconds writes back text that parses to the same value
 *     (and fits the 24 bytes the header promises);
 *   - a rate has a count >= 1 and a period >= 1 ns;
 *   - an integer lies in the range asked for, and reading it back from
 *     its decimal text gives it again.
 *
 * A refusal must come with a message. Nothing else is checked: the point
 * is that no text makes a parser read out of bounds, overflow or lie.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "sim/io/units.h"

#define FZ_MAX 4096

static void
check_seconds(const char *s)
{
    int64_t ns = -1, d = -1, back = -1;
    char buf[24];
    const char *m1 = units_parse_seconds(s, &ns);
    const char *m2 = units_parse_duration(s, &d);

    if (m1 != NULL) {
        fuzz_check(*m1 != '\0' && ns == -1);
        return;
    }
    fuzz_check(ns >= 0);
    /* A plain decimal is seconds to the duration parser too. */
    fuzz_check(m2 == NULL && d == ns);
    units_format_seconds(ns, buf, sizeof buf);
    fuzz_check(strlen(buf) < sizeof buf - 1);
    fuzz_check(units_parse_seconds(buf, &back) == NULL && back == ns);
}

static void
check_duration(const char *s)
{
    int64_t ns = -1, back = -1;
    char buf[40];
    const char *m = units_parse_duration(s, &ns);

    if (m != NULL) {
        fuzz_check(*m != '\0' && ns == -1);
        return;
    }
    fuzz_check(ns >= 0);
    snprintf(buf, sizeof buf, "%" PRId64 "ns", ns);
    fuzz_check(units_parse_duration(buf, &back) == NULL && back == ns);
}

static void
check_rate(const char *s)
{
    int64_t count = -1, period = -1;
    const char *m = units_parse_rate(s, &count, &period);

    if (m != NULL) {
        fuzz_check(*m != '\0' && count == -1 && period == -1);
        return;
    }
    fuzz_check(count >= 1 && period >= 1);
}

static void
check_int(const char *s, int64_t lo, int64_t hi)
{
    int64_t v = 0, back = 0;
    char buf[32];
    const char *m = units_parse_int(s, lo, hi, &v);

    if (m != NULL) {
        fuzz_check(*m != '\0');
        return;
    }
    fuzz_check(v >= lo && v <= hi);
    snprintf(buf, sizeof buf, "%" PRId64, v);
    fuzz_check(units_parse_int(buf, lo, hi, &back) == NULL && back == v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char s[FZ_MAX + 1];
    size_t n = size < FZ_MAX ? size : FZ_MAX;
    char buf[24];

    memcpy(s, data, n);
    s[n] = '\0';
    check_seconds(s);
    check_duration(s);
    check_rate(s);
    check_int(s, INT64_MIN, INT64_MAX);
    check_int(s, 1, INT64_MAX);
    check_int(s, -1000, 1000);
    /* Formatting takes any int64, the extremes included. */
    if (size >= 8) {
        int64_t v;

        memcpy(&v, data, sizeof v);
        units_format_seconds(v, buf, sizeof buf);
        fuzz_check(strlen(buf) < sizeof buf - 1);
    }
    return 0;
}
