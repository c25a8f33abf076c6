/* SPDX-License-Identifier: MIT
 *
 * Units: exact reading and writing of the times, durations and rates found
 * in workload and scenario files (SPEC §2).
 *
 * Every number is read digit by digit into integers, never through a
 * double, so "0.1" is exactly 100000000 ns and equal text always gives equal
 * times on every machine. A decimal is held as a whole part and a fraction
 * counted in units of 1e-9 (at most nine digits); a unit then scales both
 * parts. A fraction that does not land on a whole nanosecond ("1.5ns") is
 * refused rather than rounded, because a rounded input would silently be a
 * different workload from the one the user wrote. Anything beyond int64
 * nanoseconds (about 292 years) is refused too.
 *
 * The parsers work on the span of the string without its surrounding blanks
 * (so a cell like " 12.5 " is fine), never allocate, leave *out untouched on
 * failure and return NULL or a short static message that the caller puts
 * after its own "file:line: key: ".
 */
#include "sim/io/units.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim/time.h"

/* Arrays, not macros: the rate parser recognises a message by its address. */
static const char msg_seconds[] = "expected seconds (like 1.5)";
static const char msg_duration[] = "expected a duration (like 1.5s or 250ms)";
static const char msg_rate[] = "expected a rate COUNT/PERIOD (like 5/s or 100/1m)";
static const char msg_int[] = "expected an integer";
static const char msg_negative[] = "must not be negative";
static const char msg_exponent[] = "exponents are not allowed";
static const char msg_places[] = "more than 9 decimal places";
static const char msg_big[] = "too large";
static const char msg_small[] = "too small";
static const char msg_subns[] = "finer than a nanosecond";
static const char msg_unit[] = "unknown unit (use ns, us, ms, s, m or h)";
static const char msg_count[] = "the count must be at least 1";
static const char msg_period[] = "the period must be longer than 0";

/* A piece of the input, [p, end). */
typedef struct span {
    const char *p;
    const char *end;
} span;

/* A non-negative decimal: whole + frac9 / 1e9. */
typedef struct decimal {
    int64_t whole;
    int64_t frac9;
} decimal;

static const struct unit {
    const char *name;
    int64_t ns;
} units[] = {
    {"ns", 1},
    {"us", 1000},
    {"ms", 1000000},
    {"s", SIM_NS_PER_S},
    {"m", 60 * SIM_NS_PER_S},
    {"h", 3600 * SIM_NS_PER_S},
};

/* ---------------------------------------------------------------- spans */

static int
is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static int
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static span
trim(const char *s)
{
    span sp = {s, s + strlen(s)};

    while (sp.p < sp.end && is_blank(*sp.p))
        sp.p++;
    while (sp.end > sp.p && is_blank(sp.end[-1]))
        sp.end--;
    return sp;
}

static span
trim_span(span sp)
{
    while (sp.p < sp.end && is_blank(*sp.p))
        sp.p++;
    while (sp.end > sp.p && is_blank(sp.end[-1]))
        sp.end--;
    return sp;
}

/* --------------------------------------------------------------- numbers */

/* Reads the digits of a whole part from s->p on, failing on overflow. */
static const char *
read_whole(span *s, int64_t *whole)
{
    int64_t v = 0;

    for (; s->p < s->end && is_digit(*s->p); s->p++) {
        if (__builtin_mul_overflow(v, 10, &v) ||
            __builtin_add_overflow(v, *s->p - '0', &v))
            return msg_big;
    }
    *whole = v;
    return NULL;
}

/* Reads up to nine fractional digits after a '.', as a count of 1e-9. */
static const char *
read_fraction(span *s, int64_t *frac9, const char *what)
{
    int digits = 0;
    int64_t v = 0;

    for (; s->p < s->end && is_digit(*s->p); s->p++, digits++) {
        if (digits == 9)
            return msg_places;
        v = v * 10 + (*s->p - '0');
    }
    if (digits == 0)
        return what;
    for (; digits < 9; digits++)
        v *= 10;
    *frac9 = v;
    return NULL;
}

/* Reads "DIGITS[.DIGITS]" or ".DIGITS" from the front of s, leaving s->p on
 * what follows. `what` is the message for text that is no number at all. */
static const char *
read_decimal(span *s, decimal *d, const char *what)
{
    const char *start = s->p;
    const char *msg;
    decimal v = {0, 0};

    if (s->p < s->end && *s->p == '-')
        return msg_negative;
    if ((msg = read_whole(s, &v.whole)) != NULL)
        return msg;
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        if ((msg = read_fraction(s, &v.frac9, what)) != NULL)
            return msg;
    } else if (s->p == start) {
        return what;
    }
    /* "1e3" would otherwise read as 1 with a strange unit. */
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E') && s->p + 1 < s->end &&
        (is_digit(s->p[1]) || s->p[1] == '-' || s->p[1] == '+'))
        return msg_exponent;
    *d = v;
    return NULL;
}

/* d * scale nanoseconds, exactly, or an error. Scales of a second and more
 * are whole multiples of a second, so only smaller ones can leave a
 * fraction of a nanosecond behind. */
static const char *
scale_decimal(decimal d, int64_t scale, int64_t *ns)
{
    int64_t whole, frac, sum;

    if (__builtin_mul_overflow(d.whole, scale, &whole))
        return msg_big;
    if (scale >= SIM_NS_PER_S) {
        frac = d.frac9 * (scale / SIM_NS_PER_S);
    } else {
        int64_t div = SIM_NS_PER_S / scale;

        if (d.frac9 % div != 0)
            return msg_subns;
        frac = d.frac9 / div;
    }
    if (__builtin_add_overflow(whole, frac, &sum))
        return msg_big;
    *ns = sum;
    return NULL;
}

/* The number of nanoseconds in the unit spelled by s, or 0. */
static int64_t
unit_ns(span s)
{
    size_t len = (size_t)(s.end - s.p);

    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strlen(units[i].name) == len && memcmp(units[i].name, s.p, len) == 0)
            return units[i].ns;
    }
    return 0;
}

/* A duration in s; with bare_unit, a unit alone ("s") means one of it. */
static const char *
duration_span(span s, int bare_unit, int64_t *ns)
{
    decimal d = {1, 0};
    int64_t scale = SIM_NS_PER_S;
    const char *msg;

    if (!(bare_unit && s.p < s.end && *s.p >= 'a' && *s.p <= 'z')) {
        if ((msg = read_decimal(&s, &d, msg_duration)) != NULL)
            return msg;
    }
    if (s.p < s.end && (scale = unit_ns(s)) == 0)
        return msg_unit;
    return scale_decimal(d, scale, ns);
}

/* An optionally negative decimal integer filling all of s, in [lo, hi]. */
static const char *
int_span(span s, int64_t lo, int64_t hi, int64_t *out)
{
    int neg = s.p < s.end && *s.p == '-';
    const char *p = s.p + neg;
    uint64_t mag = 0;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    int64_t v;

    if (p == s.end)
        return msg_int;
    /* 18 digits never overflow: only longer numbers need the check (a
     * division a digit, which showed in profiles of workload reading). */
    if (s.end - p <= 18) {
        for (; p < s.end; p++) {
            if (!is_digit(*p))
                return msg_int;
            mag = mag * 10 + (unsigned)(*p - '0');
        }
    } else {
        for (const char *q = p; q < s.end; q++)
            if (!is_digit(*q))
                return msg_int;
    }
    for (; p < s.end; p++) {
        unsigned digit = (unsigned)(*p - '0');

        if (mag > (limit - digit) / 10)
            return neg ? msg_small : msg_big;
        mag = mag * 10 + digit;
    }
    v = neg ? (mag == limit ? INT64_MIN : -(int64_t)mag) : (int64_t)mag;
    if (v < lo)
        return msg_small;
    if (v > hi)
        return msg_big;
    *out = v;
    return NULL;
}

/* ------------------------------------------------------------ public API */

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* The value of the 8 digits at p, or -1 when one is not a digit: all
 * eight at once (bytes minus '0' are each below 10; then pairs, fours and
 * the eight are summed by three multiplications). */
static int64_t
eight_digits(const char *p)
{
    uint64_t x, d;

    memcpy(&x, p, 8);
    d = x - 0x3030303030303030ULL;
    /* a byte above '9' gets its high half set by the + 6, one below '0'
     * by the subtraction */
    if ((d | (d + 0x0606060606060606ULL)) & 0xF0F0F0F0F0F0F0F0ULL)
        return -1;
    d = d * 10 + (d >> 8);
    d = ((d & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32)) +
         ((d >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32))) >> 32;
    return (int64_t)d;
}
#else
static int64_t
eight_digits(const char *p)
{
    int64_t v = 0;

    for (int i = 0; i < 8; i++) {
        if (!is_digit(p[i]))
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}
#endif

/* The common shape of a time in a workload, "DIGITS[.DIGITS]" with at most
 * nine digits on each side, read in one pass with no overflow to check
 * (under 10^9 s is under 10^18 ns). Returns 1 with *ns set, or 0 for
 * anything else, which the general reader then takes, errors included. */
static int
plain_seconds(const char *p, const char *end, int64_t *ns)
{
    /* 10^(9-k): a fraction of k digits in nanoseconds */
    static const uint64_t frac_scale[10] = {
        1000000000, 100000000, 10000000, 1000000, 100000, 10000, 1000, 100,
        10, 1,
    };
    const char *start = p;
    uint64_t whole = 0, frac = 0;
    ptrdiff_t k;

    if (end - p > 19)
        return 0;
    for (; p < end && is_digit(*p); p++)
        whole = whole * 10 + (uint64_t)(*p - '0');
    if (p == start || p - start > 9)
        return 0;
    if (p == end) {
        *ns = (int64_t)(whole * SIM_NS_PER_S);
        return 1;
    }
    if (*p++ != '.')
        return 0;
    start = p;
    /* nine digits, most workloads' nanoseconds: eight at once */
    if (end - p >= 8) {
        int64_t v = eight_digits(p);
        if (v >= 0) {
            frac = (uint64_t)v;
            p += 8;
        }
    }
    for (; p < end && is_digit(*p); p++)
        frac = frac * 10 + (uint64_t)(*p - '0');
    k = p - start;
    if (p != end || k == 0 || k > 9)
        return 0;
    *ns = (int64_t)(whole * SIM_NS_PER_S + frac * frac_scale[k]);
    return 1;
}

const char *
units_parse_seconds_n(const char *s, size_t len, int64_t *ns)
{
    span sp = trim_span((span){s, s + len});
    decimal d;
    const char *msg;

    if (plain_seconds(sp.p, sp.end, ns))
        return NULL;
    if ((msg = read_decimal(&sp, &d, msg_seconds)) != NULL)
        return msg;
    if (sp.p != sp.end)
        return msg_seconds;
    return scale_decimal(d, SIM_NS_PER_S, ns);
}

const char *
units_parse_seconds(const char *s, int64_t *ns)
{
    return units_parse_seconds_n(s, strlen(s), ns);
}

const char *
units_parse_duration(const char *s, int64_t *ns)
{
    return duration_span(trim(s), 0, ns);
}

const char *
units_parse_rate(const char *s, int64_t *count, int64_t *period_ns)
{
    span sp = trim(s);
    const char *slash = memchr(sp.p, '/', (size_t)(sp.end - sp.p));
    span cs, ps;
    int64_t c, p;
    const char *msg;

    if (slash == NULL)
        return msg_rate;
    cs = trim_span((span){sp.p, slash});
    ps = trim_span((span){slash + 1, sp.end});
    if ((msg = int_span(cs, 1, INT64_MAX, &c)) != NULL)
        return msg == msg_small ? msg_count : msg == msg_big ? msg_big : msg_rate;
    if (ps.p == ps.end)
        return msg_rate;
    if ((msg = duration_span(ps, 1, &p)) != NULL)
        return msg == msg_duration ? msg_rate : msg;
    if (p == 0)
        return msg_period;
    *count = c;
    *period_ns = p;
    return NULL;
}

const char *
units_parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    return int_span(trim(s), lo, hi, out);
}

const char *
units_parse_int_n(const char *s, size_t len, int64_t lo, int64_t hi,
                  int64_t *out)
{
    return int_span(trim_span((span){s, s + len}), lo, hi, out);
}

char *
units_format_seconds(int64_t ns, char *buf, size_t n)
{
    /* Through uint64_t so that INT64_MIN has a magnitude too. */
    uint64_t mag = ns < 0 ? 0 - (uint64_t)ns : (uint64_t)ns;
    uint64_t whole = mag / SIM_NS_PER_S;
    uint64_t frac = mag % SIM_NS_PER_S;
    const char *sign = ns < 0 ? "-" : "";
    int digits = 9;

    if (frac == 0) {
        snprintf(buf, n, "%s%" PRIu64, sign, whole);
        return buf;
    }
    while (frac % 10 == 0) {
        frac /= 10;
        digits--;
    }
    snprintf(buf, n, "%s%" PRIu64 ".%0*" PRIu64, sign, whole, digits, frac);
    return buf;
}
