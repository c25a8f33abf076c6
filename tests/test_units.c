/* SPDX-License-Identifier: MIT
 *
 * Tests for sim/io/units: decimal seconds, durations and rates are read
 * exactly (never through a double), bad text gets a message instead of a
 * guess, and formatting gives back the shortest exact decimal, so that
 * format and parse round-trip.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "sim/io/units.h"
#include "sim/time.h"

#define NS 1000000000LL

/* The value of a time that must parse. */
static int64_t
secs(const char *s)
{
    int64_t ns = -42;
    const char *msg = units_parse_seconds(s, &ns);

    if (msg != NULL)
        fail_msg("\"%s\": %s", s, msg);
    return ns;
}

static int64_t
dur(const char *s)
{
    int64_t ns = -42;
    const char *msg = units_parse_duration(s, &ns);

    if (msg != NULL)
        fail_msg("\"%s\": %s", s, msg);
    return ns;
}

/* A parse that must fail, and must leave the output alone. */
static void
bad_secs(const char *s)
{
    int64_t ns = -42;

    if (units_parse_seconds(s, &ns) == NULL)
        fail_msg("\"%s\" parsed as %lld", s, (long long)ns);
    assert_int_equal(ns, -42);
}

static void
bad_dur(const char *s)
{
    int64_t ns = -42;

    if (units_parse_duration(s, &ns) == NULL)
        fail_msg("\"%s\" parsed as %lld", s, (long long)ns);
    assert_int_equal(ns, -42);
}

static void
test_seconds_exact(void **state)
{
    (void)state;
    assert_int_equal(secs("0"), 0);
    assert_int_equal(secs("0.000000001"), 1);
    assert_int_equal(secs("12.5"), 12500000000LL);
    assert_int_equal(secs("0.000001"), 1000);
    assert_int_equal(secs("0.1"), 100000000);
    assert_int_equal(secs("0.333333334"), 333333334);
    assert_int_equal(secs("007"), 7 * NS);
    assert_int_equal(secs(".5"), NS / 2);
    assert_int_equal(secs("  3.25 "), 3250000000LL);
    assert_int_equal(secs("\t1\t"), NS);
    /* The largest time there is: INT64_MAX ns. */
    assert_int_equal(secs("9223372036.854775807"), INT64_MAX);
}

static void
test_seconds_bad(void **state)
{
    (void)state;
    bad_secs("");
    bad_secs("   ");
    bad_secs("-1");
    bad_secs("+1");
    bad_secs("1e3");
    bad_secs("1E-3");
    bad_secs("0.0000000001");
    bad_secs("1.0000000000");
    bad_secs("9223372036.854775808");
    bad_secs("99999999999999999999");
    bad_secs("12x");
    bad_secs("1.5s");
    bad_secs("1.");
    bad_secs(".");
    bad_secs("1..2");
    bad_secs("1 2");
    bad_secs("0x10");
    bad_secs("nan");
    bad_secs("inf");
}


/* s[0..*len) without its leading and trailing blanks (space, tab). */
static const char *
ref_trim(const char *s, size_t *len)
{
    while (*len > 0 && (s[*len - 1] == ' ' || s[*len - 1] == '\t'))
        (*len)--;
    while (*len > 0 && (*s == ' ' || *s == '\t'))
        s++, (*len)--;
    return s;
}

/* The reading of seconds by definition: blanks around, digits, then at
 * most nine after a point, into 128 bits; -1 for anything else or past
 * INT64_MAX. */
static int64_t
ref_seconds(const char *s, size_t len)
{
    __int128 whole = 0, frac = 0;
    size_t i = 0, k = 0, w;

    s = ref_trim(s, &len);
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
        if ((whole = whole * 10 + (s[i] - '0')) > INT64_MAX)
            return -1;
    w = i;
    if (i < len && s[i] == '.')
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, k++)
            frac = frac * 10 + (s[i] - '0');
    if (i != len || (w == 0 && k == 0) || k > 9 || (i > w && k == 0))
        return -1;
    for (; k < 9; k++)
        frac *= 10;
    whole = whole * NS + frac;
    return whole > INT64_MAX ? -1 : (int64_t)whole;
}

/* units_parse_seconds_n has a one-pass reading for short plain decimals
 * and the general one for the rest:
 * over random strings of digits, points and a few other bytes around
 * every length limit, both must agree with the definition, and a NUL
 * among the bytes is an error, not an end. */
static void
test_seconds_fast_path(void **state)
{
    /* Mostly digits, but also the bytes just outside them, a blank and a
     * NUL. */
    static const char alphabet[] = "0123456789012345678901234567890123456"
                                   "789012345678901234567890.../:* \0\xfa";
    uint64_t x = 88172645463325252ULL;
    char buf[32];
    int64_t ns;

    (void)state;
    for (int n = 0; n < 400000; n++) {
        size_t len = 1 + n % 22, dot;
        const char *msg;

        for (size_t i = 0; i < len; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            buf[i] = alphabet[x % (sizeof alphabet - 1)];
        }
        /* Most strings get at most one point, somewhere. */
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        dot = x % (len + 2);
        for (size_t i = 0; i < len && n % 5; i++)
            if (buf[i] == '.')
                buf[i] = '7';
        if (dot < len && n % 5)
            buf[dot] = '.';
        ns = -42;
        msg = units_parse_seconds_n(buf, len, &ns);
        if ((msg == NULL ? ns : -1) != ref_seconds(buf, len))
            fail_msg("\"%.*s\": got %s %lld, want %lld", (int)len, buf,
                     msg ? msg : "", (long long)ns,
                     (long long)ref_seconds(buf, len));
    }
    assert_int_equal(units_parse_seconds_n("999999999.999999999", 19, &ns),
                     NULL);
    assert_int_equal(ns, 999999999999999999LL);
    assert_int_equal(units_parse_seconds_n("1000000000.5", 12, &ns), NULL);
    assert_int_equal(ns, 1000000000500000000LL);
    assert_int_equal(units_parse_seconds_n("12.5xyz", 4, &ns), NULL);
    assert_int_equal(ns, 12500000000LL);
    ns = -42;
    assert_non_null(units_parse_seconds_n("12\0", 3, &ns));
    assert_non_null(units_parse_seconds_n("1.5\0", 4, &ns));
    assert_int_equal(ns, -42);
}

/* An integer by definition: blanks around, an optional minus, digits,
 * within int64 (128 bits to tell); 1 with *v, or 0. */
static int
ref_int(const char *s, size_t len, int64_t *v)
{
    __int128 m = 0;
    size_t i = 0;
    int neg;

    s = ref_trim(s, &len);
    neg = len > 0 && s[0] == '-';
    for (i = neg; i < len && s[i] >= '0' && s[i] <= '9'; i++)
        if ((m = m * 10 + (s[i] - '0')) > (__int128)INT64_MAX + 1)
            return 0;
    if (i != len || i == (size_t)neg || (!neg && m > INT64_MAX))
        return 0;
    *v = (int64_t)(neg ? -m : m);
    return 1;
}

/* Integers have a loop without overflow checks for up to 18 digits and
 * one with them beyond: over random strings of digits, a sign and other
 * bytes of every length up to 22, units_parse_int_n agrees with the
 * definition. */
static void
test_integers_fast_path(void **state)
{
    static const char alphabet[] = "01234567890123456789012345678901234567"
                                   "89012345678901234567890-/: \0\xfa";
    uint64_t x = 2463534242ULL;
    char buf[32];

    (void)state;
    for (int n = 0; n < 400000; n++) {
        size_t len = 1 + n % 22;
        int64_t got = -42, want = 0;
        const char *msg;
        int ok;

        for (size_t i = 0; i < len; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            buf[i] = alphabet[x % (sizeof alphabet - 1)];
            /* Most strings are numbers: one sign at most, in front. */
            if (n % 4 && buf[i] == '-' && i > 0)
                buf[i] = '5';
            if (n % 8 && buf[i] != '-' && (buf[i] < '0' || buf[i] > '9'))
                buf[i] = '0' + (char)(x % 10);
        }
        msg = units_parse_int_n(buf, len, INT64_MIN, INT64_MAX, &got);
        ok = ref_int(buf, len, &want);
        if ((msg == NULL) != ok || (ok && got != want))
            fail_msg("\"%.*s\": got %s %lld, want %s %lld", (int)len, buf,
                     msg ? msg : "", (long long)got, ok ? "" : "an error",
                     (long long)want);
    }
}

static void
test_seconds_messages(void **state)
{
    int64_t ns;

    (void)state;
    assert_string_equal(units_parse_seconds("hi", &ns), "expected seconds (like 1.5)");
    assert_string_equal(units_parse_seconds("-1", &ns), "must not be negative");
    assert_string_equal(units_parse_seconds("1e3", &ns), "exponents are not allowed");
    assert_string_equal(units_parse_seconds("0.1234567891", &ns),
                        "more than 9 decimal places");
    assert_string_equal(units_parse_seconds("1e30", &ns), "exponents are not allowed");
    assert_string_equal(units_parse_seconds("10000000000", &ns), "too large");
}

static void
test_durations(void **state)
{
    (void)state;
    assert_int_equal(dur("1.5s"), 1500000000LL);
    assert_int_equal(dur("250ms"), 250000000LL);
    assert_int_equal(dur("2m"), 120 * NS);
    assert_int_equal(dur("1h"), 3600 * NS);
    assert_int_equal(dur("1.5h"), 5400 * NS);
    assert_int_equal(dur("0.000000001h"), 3600);
    assert_int_equal(dur("20us"), 20000);
    assert_int_equal(dur("7ns"), 7);
    assert_int_equal(dur("1.5us"), 1500);
    assert_int_equal(dur("0.001ms"), 1000);
    assert_int_equal(dur("12.5"), 12500000000LL);   /* no unit: seconds */
    assert_int_equal(dur(" 3s "), 3 * NS);
    assert_int_equal(dur("0s"), 0);
}

static void
test_durations_bad(void **state)
{
    int64_t ns;

    (void)state;
    bad_dur("");
    bad_dur("s");           /* a bare unit is for rates only */
    bad_dur("1.5ns");
    bad_dur("0.0001us");
    bad_dur("1.0000005ms");
    bad_dur("-1s");
    bad_dur("+1s");
    bad_dur("1e3ms");
    bad_dur("10d");
    bad_dur("1 s");
    bad_dur("1S");
    bad_dur("1sec");
    bad_dur("3000000h");    /* past int64 nanoseconds */
    bad_dur("9223372037s");
    assert_string_equal(units_parse_duration("1.5ns", &ns), "finer than a nanosecond");
    assert_string_equal(units_parse_duration("10d", &ns),
                        "unknown unit (use ns, us, ms, s, m or h)");
    assert_string_equal(units_parse_duration("3000000h", &ns), "too large");
}

static void
rate(const char *s, int64_t count, int64_t period)
{
    int64_t c = -1, p = -1;
    const char *msg = units_parse_rate(s, &c, &p);

    if (msg != NULL)
        fail_msg("\"%s\": %s", s, msg);
    assert_int_equal(c, count);
    assert_int_equal(p, period);
}

static void
bad_rate(const char *s, const char *want)
{
    int64_t c = -1, p = -1;
    const char *msg = units_parse_rate(s, &c, &p);

    if (msg == NULL)
        fail_msg("\"%s\" parsed as %lld/%lld", s, (long long)c, (long long)p);
    if (want != NULL)
        assert_string_equal(msg, want);
    assert_int_equal(c, -1);
    assert_int_equal(p, -1);
}

static void
test_rates(void **state)
{
    (void)state;
    rate("5/s", 5, NS);
    rate("100/1m", 100, 60 * NS);
    rate("3/2s", 3, 2 * NS);
    rate("1000/1h", 1000, 3600 * NS);
    rate("10/ms", 10, 1000000);
    rate("1/0.5", 1, NS / 2);
    rate("7/250ms", 7, 250000000);
    rate(" 5 / s ", 5, NS);
    rate("2/1.5m", 2, 90 * NS);
}

static void
test_rates_bad(void **state)
{
    (void)state;
    bad_rate("", "expected a rate COUNT/PERIOD (like 5/s or 100/1m)");
    bad_rate("5", "expected a rate COUNT/PERIOD (like 5/s or 100/1m)");
    bad_rate("5/", "expected a rate COUNT/PERIOD (like 5/s or 100/1m)");
    bad_rate("/s", "expected a rate COUNT/PERIOD (like 5/s or 100/1m)");
    bad_rate("x/s", "expected a rate COUNT/PERIOD (like 5/s or 100/1m)");
    bad_rate("1.5/s", "expected a rate COUNT/PERIOD (like 5/s or 100/1m)");
    bad_rate("0/s", "the count must be at least 1");
    bad_rate("-5/s", "the count must be at least 1");
    bad_rate("5/0s", "the period must be longer than 0");
    bad_rate("5/0", "the period must be longer than 0");
    bad_rate("5/-1s", "must not be negative");
    bad_rate("5/1.5ns", "finer than a nanosecond");
    bad_rate("5/day", "unknown unit (use ns, us, ms, s, m or h)");
    bad_rate("5/s/s", NULL);
    bad_rate("99999999999999999999/s", "too large");
}

static void
integer(const char *s, int64_t lo, int64_t hi, int64_t want)
{
    int64_t v = -42;
    const char *msg = units_parse_int(s, lo, hi, &v);

    if (msg != NULL)
        fail_msg("\"%s\": %s", s, msg);
    assert_int_equal(v, want);
}

static void
bad_integer(const char *s, int64_t lo, int64_t hi, const char *want)
{
    int64_t v = -42;
    const char *msg = units_parse_int(s, lo, hi, &v);

    if (msg == NULL)
        fail_msg("\"%s\" parsed as %lld", s, (long long)v);
    assert_string_equal(msg, want);
    assert_int_equal(v, -42);
}

static void
test_integers(void **state)
{
    (void)state;
    integer("42", 0, 100, 42);
    integer("-3", -10, 10, -3);
    integer(" 7 ", 0, 10, 7);
    integer("-0", 0, 0, 0);
    integer("9223372036854775807", INT64_MIN, INT64_MAX, INT64_MAX);
    integer("-9223372036854775808", INT64_MIN, INT64_MAX, INT64_MIN);
    bad_integer("", 0, 10, "expected an integer");
    bad_integer("-", 0, 10, "expected an integer");
    bad_integer("+1", 0, 10, "expected an integer");
    bad_integer("1.0", 0, 10, "expected an integer");
    bad_integer("1e3", 0, 10000, "expected an integer");
    bad_integer("hi", 0, 10, "expected an integer");
    bad_integer("11", 0, 10, "too large");
    bad_integer("0", 1, 10, "too small");
    bad_integer("9223372036854775808", INT64_MIN, INT64_MAX, "too large");
    bad_integer("-9223372036854775809", INT64_MIN, INT64_MAX, "too small");
}

static void
formats(int64_t ns, const char *want)
{
    char buf[24];

    assert_string_equal(units_format_seconds(ns, buf, sizeof buf), want);
}

static void
test_format(void **state)
{
    (void)state;
    formats(0, "0");
    formats(NS / 2, "0.5");
    formats(333333334, "0.333333334");
    formats(1500000000, "1.5");
    formats(2 * NS, "2");
    formats(1, "0.000000001");
    formats(12500000000LL, "12.5");
    formats(1333333334, "1.333333334");
    formats(-2 * NS, "-2");
    formats(-1, "-0.000000001");
    formats(INT64_MAX, "9223372036.854775807");
    formats(INT64_MIN, "-9223372036.854775808");
}

/* Every non-negative time survives format then parse, and the text does
 * too: the formatted form is canonical. */
static void
test_round_trip(void **state)
{
    static const int64_t samples[] = {
        0, 1, 9, 10, 999999999, NS, NS + 1, 1500000000, 333333334, 666666667,
        120 * NS, 12345678901234LL, INT64_MAX - 1, INT64_MAX,
    };
    char buf[24], again[24];

    (void)state;
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        int64_t back = secs(units_format_seconds(samples[i], buf, sizeof buf));

        assert_int_equal(back, samples[i]);
        assert_int_equal(dur(buf), samples[i]);
        assert_string_equal(units_format_seconds(back, again, sizeof again), buf);
    }
    /* A pseudo-random sweep over many magnitudes. */
    uint64_t x = 88172645463325252ULL;

    for (int i = 0; i < 100000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int64_t ns = (int64_t)(x >> (1 + i % 63));

        assert_int_equal(secs(units_format_seconds(ns, buf, sizeof buf)), ns);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seconds_exact),
        cmocka_unit_test(test_seconds_bad),
        cmocka_unit_test(test_seconds_fast_path),
        cmocka_unit_test(test_seconds_messages),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_durations_bad),
        cmocka_unit_test(test_rates),
        cmocka_unit_test(test_rates_bad),
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_integers_fast_path),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_round_trip),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
