/* SPDX-License-Identifier: MIT
 *
 * Tests for sim/io/casefile: case.ini is read with its paths joined to the
 * case folder and every mistake located; expected.csv is read and written
 * back byte for byte; the digest line is replaced without touching the
 * rest; the comparison counts differing rows and finds the first.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/io/casefile.h"

static char dir[64];

static void
put(const char *name, const char *text)
{
    char path[128];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static char *
get(const char *name)
{
    static char buf[4096];
    char path[128];
    FILE *f;
    size_t n;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "r");
    assert_non_null(f);
    n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static int
setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/ratesim-case-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------ */

static void
test_load(void **state)
{
    char err[256] = "", want[128];
    case_def c;

    (void)state;
    put("case.ini", "; a case\n[case]\ndescription = x = y\n"
                    "scenario = s.ini\nworkload = /abs/w.csv\nseed = 7\n"
                    "algo = gcra\n"
                    "digest = 0123456789abcdef0123456789abcdef\n");
    assert_int_equal(case_load(dir, &c, err, sizeof err), 0);
    snprintf(want, sizeof want, "%s/s.ini", dir);
    assert_string_equal(c.scenario, want);
    assert_string_equal(c.workload, "/abs/w.csv");
    assert_string_equal(c.algo, "gcra");
    assert_int_equal(c.has_seed, 1);
    assert_int_equal(c.seed, 7);
    assert_string_equal(c.digest, "0123456789abcdef0123456789abcdef");
    case_clear(&c);
    put("case.ini", "[case]\nscenario = s.ini\nworkload = w.csv\n");
    assert_int_equal(case_load(dir, &c, err, sizeof err), 0);
    assert_null(c.algo);
    assert_int_equal(c.has_seed, 0);
    assert_string_equal(c.digest, "");
    case_clear(&c);
}

static void
load_error(const char *text, const char *want)
{
    char err[256] = "";
    case_def c;

    put("case.ini", text);
    assert_int_equal(case_load(dir, &c, err, sizeof err), 2);
    assert_null(c.scenario);
    if (!strstr(err, want))
        fail_msg("message \"%s\" lacks \"%s\"", err, want);
}

static void
test_load_errors(void **state)
{
    char err[256] = "";
    case_def c;
    char missing[128];

    (void)state;
    load_error("[case]\nscenario = s\nworkload = w\ncolour = red\n",
               "case.ini:4: colour: unknown key");
    load_error("[case]\nscenario = s\n", "case.ini: workload: missing");
    load_error("[case]\nworkload = w\n", "case.ini: scenario: missing");
    load_error("[case]\nscenario = s\nworkload = w\nseed = -1\n",
               "case.ini:4: seed:");
    load_error("[case]\nscenario = s\nscenario = t\nworkload = w\n",
               "case.ini:3: scenario: given twice");
    load_error("[other]\nscenario = s\n", "case.ini:2: scenario: keys go in "
               "a [case] section");
    load_error("[case]\nscenario = s\nworkload = w\ndigest = XYZ\n",
               "case.ini:4: digest: expected 32 lower-case hex digits");
    load_error("[case]\nthis line has no equals sign\n", "case.ini:2:");
    snprintf(missing, sizeof missing, "%s/nowhere", dir);
    assert_int_equal(case_load(missing, &c, err, sizeof err), 2);
    assert_non_null(strstr(err, "nowhere/case.ini: "));
}

static const char expected[] =
    "req_id,attempt,provider,t_dispatch,t_done,outcome\n"
    "1,1,P1,0,250000000,ok\n"
    "2,1,P1,,,rejected\n"
    "3,1,,,,expired\n"
    "4,1,P2,1000000000,1000000000,failed\n"
    "4,2,P2,2000000000,2000000000,ok\n";

static void
test_expected_round_trip(void **state)
{
    char err[256] = "", path[128], line[200];
    case_rows rows = {0};

    (void)state;
    put("expected.csv", expected);
    snprintf(path, sizeof path, "%s/expected.csv", dir);
    assert_int_equal(case_read_expected(path, &rows, err, sizeof err), 0);
    assert_int_equal(rows.n, 5);
    assert_int_equal(rows.v[1].t_dispatch, SIM_NONE);
    assert_int_equal(rows.v[1].outcome, SIM_REJECTED);
    assert_string_equal(rows.v[2].provider, "");
    assert_int_equal(rows.v[4].attempt, 2);
    assert_int_equal(rows.v[4].line, 6);
    assert_string_equal(case_row_format(&rows.v[0], line, sizeof line),
                        "1,1,P1,0,250000000,ok");
    put("expected.csv", "");
    assert_int_equal(case_write_expected(path, &rows, err, sizeof err), 0);
    assert_string_equal(get("expected.csv"), expected);
    case_rows_clear(&rows);
}

static void
expected_error(const char *text, const char *want)
{
    char err[256] = "", path[128];
    case_rows rows = {0};

    put("expected.csv", text);
    snprintf(path, sizeof path, "%s/expected.csv", dir);
    assert_int_equal(case_read_expected(path, &rows, err, sizeof err), 2);
    if (!strstr(err, want))
        fail_msg("message \"%s\" lacks \"%s\"", err, want);
    case_rows_clear(&rows);
}

static void
test_expected_errors(void **state)
{
    (void)state;
    expected_error("req_id,attempt,provider,t_dispatch,outcome\n",
                   "expected.csv:1: expected the header");
    expected_error("", "expected.csv: empty file");
    expected_error(CASE_HEADER "\n1,1,P,0,0,ok\n1,1,P,0,0,ok\n",
                   "expected.csv:3: req_id: rows must be in increasing");
    expected_error(CASE_HEADER "\n1,1,P,0,0,fine\n",
                   "expected.csv:2: outcome: expected ok, failed");
    expected_error(CASE_HEADER "\n1,0,P,0,0,ok\n",
                   "expected.csv:2: attempt:");
    expected_error(CASE_HEADER "\n1,1,P,1.5,0,ok\n",
                   "expected.csv:2: t_dispatch: expected integer "
                   "nanoseconds");
    expected_error(CASE_HEADER "\n1,1,P,0,ok\n",
                   "expected.csv:2: expected 6 cells");
    expected_error(CASE_HEADER "\n1,1,\"P\",0,0,ok\n",
                   "expected.csv:2: quoted cells");
}

static void
test_set_digest(void **state)
{
    char err[256] = "";
    case_def c;

    (void)state;
    put("case.ini", "[case]\n; keep me\nscenario = s\nworkload = w\n");
    assert_int_equal(case_set_digest(dir, "0123456789abcdef0123456789abcdef",
                                     err, sizeof err), 0);
    assert_string_equal(get("case.ini"),
                        "[case]\n; keep me\nscenario = s\nworkload = w\n"
                        "digest      = 0123456789abcdef0123456789abcdef\n");
    assert_int_equal(case_set_digest(dir, "ffffffffffffffffffffffffffffffff",
                                     err, sizeof err), 0);
    assert_int_equal(case_load(dir, &c, err, sizeof err), 0);
    assert_string_equal(c.digest, "ffffffffffffffffffffffffffffffff");
    assert_non_null(strstr(get("case.ini"), "; keep me\n"));
    case_clear(&c);
}

static void
test_create(void **state)
{
    char err[256] = "", path[128];
    case_def c;

    (void)state;
    snprintf(path, sizeof path, "%s/case.ini", dir);
    unlink(path);
    assert_int_equal(case_create(dir, "two at 0", "scenario.ini",
                                 "workload.csv", "gcra", 3, 1, err,
                                 sizeof err), 0);
    assert_int_equal(case_load(dir, &c, err, sizeof err), 0);
    assert_string_equal(c.algo, "gcra");
    assert_int_equal(c.seed, 3);
    case_clear(&c);
    /* never replaces a case */
    assert_int_equal(case_create(dir, NULL, "s", "w", NULL, 0, 0, err,
                                 sizeof err), 2);
}

static case_row
row(int64_t id, int attempt, sim_time t)
{
    case_row r = {.req_id = id, .attempt = attempt, .outcome = SIM_OK,
                  .t_dispatch = t, .t_done = t};

    strcpy(r.provider, "P");
    return r;
}

static void
test_compare(void **state)
{
    case_rows e = {0}, a = {0};
    case_diff d;
    case_row r;

    (void)state;
    for (int i = 1; i <= 5; i++) {
        r = row(i, 1, i);
        case_rows_push(&e, &r);
        r = row(6 - i, 1, 6 - i);       /* in completion order */
        case_rows_push(&a, &r);
    }
    case_rows_sort(&a);
    assert_int_equal(case_compare(&e, &a, &d), 0);
    assert_null(d.expected);
    a.v[3].t_done = 99;                 /* req 4 */
    strcpy(a.v[1].provider, "Q");       /* req 2 */
    assert_int_equal(case_compare(&e, &a, &d), 2);
    assert_int_equal(d.expected->req_id, 2);
    assert_string_equal(d.actual->provider, "Q");
    a.n--;                              /* req 5 missing */
    r = row(7, 1, 7);                   /* req 7 extra */
    case_rows_push(&a, &r);
    assert_int_equal(case_compare(&e, &a, &d), 4);
    assert_int_equal(d.expected->req_id, 2);
    case_rows_clear(&e);
    case_rows_clear(&a);
    r = row(1, 1, 0);
    case_rows_push(&a, &r);
    assert_int_equal(case_compare(&e, &a, &d), 1);
    assert_null(d.expected);
    assert_int_equal(d.actual->req_id, 1);
    case_rows_clear(&a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_expected_round_trip),
        cmocka_unit_test(test_expected_errors),
        cmocka_unit_test(test_set_digest),
        cmocka_unit_test(test_create),
        cmocka_unit_test(test_compare),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
