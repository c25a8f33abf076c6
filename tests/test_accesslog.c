/* SPDX-License-Identifier: MIT
 *
 * Tests for sim/io/accesslog: CLF timestamps with their zones become exact
 * nanoseconds; combined and common lines parse, and each kind of bad line
 * gets a located message while the reader goes on; lines out of order
 * within the window come out sorted and a line beyond it is reported; the
 * csv format reads its time and client columns.
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

#include "sim/engine.h"
#include "sim/io/accesslog.h"

#define NS 1000000000LL

static sim_time
ts(const char *s)
{
    sim_time t = -1;
    const char *why = alog_parse_time(s, strlen(s), &t);

    if (why)
        fail_msg("\"%s\": %s", s, why);
    return t;
}

static void
bad_ts(const char *s)
{
    sim_time t = -1;

    if (!alog_parse_time(s, strlen(s), &t))
        fail_msg("\"%s\" parsed as %lld", s, (long long)t);
    assert_int_equal(t, -1);
}

/* A temporary file holding text; its path for the messages. */
typedef struct tmp {
    char path[64];
} tmp;

static void
tmp_write(tmp *t, const char *text)
{
    size_t len = strlen(text);
    int fd;

    snprintf(t->path, sizeof t->path, "/tmp/ratesim-alog-XXXXXX");
    fd = mkstemp(t->path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

static alog *
open_ok(tmp *t, const char *text, int format, int client, sim_time window)
{
    char err[256] = "";
    alog *a = NULL;

    tmp_write(t, text);
    if (alog_open(&a, t->path, format, client, window, err, sizeof err))
        fail_msg("alog_open: %s", err);
    return a;
}

static void
next_entry(alog *a, sim_time at, const char *client)
{
    char err[256] = "";
    alog_entry e;
    int rc = alog_next(a, &e, err, sizeof err);

    if (rc != 1)
        fail_msg("alog_next: %d %s", rc, err);
    assert_int_equal(e.at, at);
    if (client)
        assert_string_equal(e.client, client);
    else
        assert_null(e.client);
}

static void
next_bad(alog *a, const char *want)
{
    char err[256] = "";
    alog_entry e;

    assert_int_equal(alog_next(a, &e, err, sizeof err), 2);
    if (!strstr(err, want))
        fail_msg("message \"%s\" lacks \"%s\"", err, want);
}

static void
at_end(alog *a)
{
    char err[256] = "";
    alog_entry e;

    assert_int_equal(alog_next(a, &e, err, sizeof err), 0);
}

/* ------------------------------------------------------------------ */

static void
test_timestamps(void **state)
{
    (void)state;
    /* Apache's example: 13:55:36 at -0700 is 20:55:36 UTC */
    assert_int_equal(ts("10/Oct/2000:13:55:36 -0700"), 971211336 * NS);
    assert_int_equal(ts("10/Oct/2000:22:55:36 +0200"), 971211336 * NS);
    assert_int_equal(ts("11/Oct/2000:02:25:36 +0530"), 971211336 * NS);
    assert_int_equal(ts("01/Jan/1970:00:00:00 +0000"), 0);
    assert_int_equal(ts("29/Feb/2004:00:00:00 +0000"), 1078012800 * NS);
    assert_int_equal(ts("31/Dec/2023:23:59:59 -1200"), 1704110399 * NS);
    assert_int_equal(ts("10/Oct/2000:13:55:36.25 -0700"),
                     971211336 * NS + 250000000);
    assert_int_equal(ts("10/Oct/2000:13:55:36.000000001 -0700"),
                     971211336 * NS + 1);
    bad_ts("29/Feb/2001:00:00:00 +0000");
    bad_ts("10/Foo/2000:13:55:36 -0700");
    bad_ts("10/Oct/2000:13:55:36 0700");
    bad_ts("10/Oct/2000:13:55:36");
    bad_ts("10/Oct/2000:24:00:00 +0000");
    bad_ts("10/Oct/2000:13:55:36.1234567891 +0000");
    bad_ts("10/Oct/2000:13:55:36 -0700 ");
    bad_ts("10/Oct/1969:13:55:36 -0700");
    bad_ts("");
}

static const char combined[] =
    "127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /a HTTP/1.0\" "
    "200 2326 \"http://x/\" \"Mozilla/4.08\"\n"
    "10.0.0.2 - - [10/Oct/2000:22:55:37 +0200] \"GET /q?x=\\\"y\\\" "
    "HTTP/1.1\" 404 - \"-\" \"curl\"\n"
    "10.0.0.3 - - [10/Oct/2000:20:55:38 +0000] \"POST / HTTP/1.1\" 201 0\n"
    "not a log line at all\n"
    "\n"
    "10.0.0.4 - - [10/Oct/2000:20:55:39 +0000] \"GET / HTTP/1.1\" 2x0 1 "
    "\"-\" \"-\"\n"
    "10.0.0.5 - bob [10/Oct/2000:20:55:40 +0000] \"GET / HTTP/1.1\" 200 1 "
    "\"-\" \"-\"\n";

static void
test_combined(void **state)
{
    tmp t;
    alog *a = open_ok(&t, combined, ALOG_COMBINED, ALOG_CLIENT_IP, 0);
    alog_counts n;

    (void)state;
    next_entry(a, 0, "127.0.0.1");
    next_entry(a, 1 * NS, "10.0.0.2");
    next_bad(a, ":3: referer: expected a quoted referer");
    next_bad(a, ":4: time:");
    next_bad(a, ":6: status: expected a 3-digit status, got \"2x0");
    next_entry(a, 4 * NS, "10.0.0.5");
    at_end(a);
    alog_counts_get(a, &n);
    assert_int_equal(n.lines, 7);
    assert_int_equal(n.imported, 3);
    assert_int_equal(n.malformed, 3);
    assert_int_equal(n.out_of_order, 0);
    alog_close(a);
    unlink(t.path);
}

/* clf ignores what follows the size, so it reads combined lines too. */
static void
test_common_and_users(void **state)
{
    tmp t;
    alog *a = open_ok(&t, combined, ALOG_CLF, ALOG_CLIENT_USER, 0);

    (void)state;
    next_entry(a, 0, "frank");
    next_entry(a, 1 * NS, NULL);        /* user "-": no client */
    next_entry(a, 2 * NS, NULL);
    next_bad(a, ":4:");
    next_bad(a, ":6:");
    next_entry(a, 4 * NS, "bob");
    at_end(a);
    alog_close(a);
    unlink(t.path);
}

static const char shuffled[] =
    "a - - [10/Oct/2000:20:00:10 +0000] \"GET / HTTP/1.1\" 200 1\n"
    "b - - [10/Oct/2000:20:00:05 +0000] \"GET / HTTP/1.1\" 200 1\n"
    "c - - [10/Oct/2000:22:00:05 +0200] \"GET / HTTP/1.1\" 200 1\n"
    "d - - [10/Oct/2000:20:00:30 +0000] \"GET / HTTP/1.1\" 200 1\n"
    "e - - [10/Oct/2000:20:00:07 +0000] \"GET / HTTP/1.1\" 200 1\n"
    "f - - [10/Oct/2000:20:00:25 +0000] \"GET / HTTP/1.1\" 200 1\n";

/* Within the window lines come out sorted (file order among ties);
 * a line behind one already released is reported. */
static void
test_window(void **state)
{
    tmp t;
    alog *a = open_ok(&t, shuffled, ALOG_CLF, ALOG_CLIENT_IP, 10 * NS);
    alog_counts n;

    (void)state;
    next_entry(a, 0, "b");
    next_entry(a, 0, "c");              /* the same instant, written later */
    next_entry(a, 5 * NS, "a");
    next_bad(a, ":5: time: 3s earlier than a line already imported");
    next_entry(a, 20 * NS, "f");
    next_entry(a, 25 * NS, "d");
    at_end(a);
    alog_counts_get(a, &n);
    assert_int_equal(n.imported, 5);
    assert_int_equal(n.out_of_order, 1);
    alog_close(a);
    /* with no window the file must be in order */
    a = open_ok(&t, shuffled, ALOG_CLF, ALOG_CLIENT_NONE, 0);
    next_entry(a, 0, NULL);
    next_bad(a, ":2: time: 5s earlier");
    next_bad(a, ":3: time: 5s earlier");
    next_entry(a, 20 * NS, NULL);
    next_bad(a, ":5:");
    next_bad(a, ":6:");
    at_end(a);
    alog_close(a);
    unlink(t.path);
}

static void
test_csv(void **state)
{
    tmp t;
    alog *a = open_ok(&t,
                      "# exported\n"
                      "path,client,time\n"
                      "\"/a,b\",alice,1700000000.5\n"
                      "/c,,1700000000\n"
                      "/d,\"bob \"\"b\"\"\",1700000002.000000001\n"
                      "/e,carol,17e8\n"
                      "/f,dave\n",
                      ALOG_CSV, ALOG_CLIENT_IP, 10 * NS);

    (void)state;
    next_bad(a, ":6: time:");
    next_bad(a, ":7: line: fewer cells than the header");
    next_entry(a, 0, NULL);
    next_entry(a, NS / 2, "alice");
    next_entry(a, 2 * NS + 1, "bob \"b\"");
    at_end(a);
    alog_close(a);
    unlink(t.path);
}

static void
test_open_errors(void **state)
{
    tmp t;
    char err[256] = "";
    alog *a = NULL;

    (void)state;
    assert_int_equal(alog_open(&a, "/nonexistent/x.log", ALOG_CLF,
                               ALOG_CLIENT_IP, 0, err, sizeof err), 2);
    assert_non_null(strstr(err, "/nonexistent/x.log"));
    tmp_write(&t, "when,who\n1,a\n");
    assert_int_equal(alog_open(&a, t.path, ALOG_CSV, ALOG_CLIENT_IP, 0, err,
                               sizeof err), 2);
    assert_non_null(strstr(err, ":1: header:"));
    assert_null(a);
    unlink(t.path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timestamps),
        cmocka_unit_test(test_combined),
        cmocka_unit_test(test_common_and_users),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_open_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
