/* SPDX-License-Identifier: MIT
 *
 * Tests for sim/io/workload: the streaming CSV reader. Each test writes its
 * own file under /tmp, reads it back and checks the requests, the client
 * numbering, the SHA-256 of the bytes and, for every kind of bad input, the
 * exact "path:line: column: what is wrong" message (SPEC §3, §8).
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

#include <sys/wait.h>

#include "sim/io/sha.h"
#include "sim/io/workload.h"

#define NS 1000000000LL

static const char *const providers[] = {"P1", "P2", "backup"};

/* A temporary workload file; the path is kept for the messages. */
typedef struct tmp {
    char path[64];
} tmp;

static void
tmp_write(tmp *t, const char *text)
{
    size_t len = strlen(text);
    int fd;

    snprintf(t->path, sizeof t->path, "/tmp/ratesim-wl-XXXXXX");
    fd = mkstemp(t->path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

static wl *
open_ok(tmp *t, const char *text)
{
    char err[256] = "";
    wl *w = NULL;
    int rc;

    tmp_write(t, text);
    rc = wl_open(&w, t->path, providers, 3, err, sizeof err);
    if (rc != 0)
        fail_msg("wl_open: %d %s", rc, err);
    return w;
}

static void
next_ok(wl *w, sim_request *r)
{
    char err[256] = "";
    int rc = wl_next(w, r, err, sizeof err);

    if (rc != 1)
        fail_msg("wl_next: %d %s", rc, err);
}

static void
at_end(wl *w)
{
    char err[256] = "";
    sim_request r;

    assert_int_equal(wl_next(w, &r, err, sizeof err), 0);
    assert_int_equal(wl_next(w, &r, err, sizeof err), 0);
}

/* Reads text to its first error, which must be `want` after "path:", and
 * must come again from a second wl_next (errors are sticky). */
static void
expect_error(const char *text, const char *want)
{
    char err[256] = "", full[320];
    sim_request r;
    wl *w = NULL;
    tmp t;
    int rc;

    tmp_write(&t, text);
    snprintf(full, sizeof full, "%s:%s", t.path, want);
    rc = wl_open(&w, t.path, providers, 3, err, sizeof err);
    if (rc == 0) {
        while ((rc = wl_next(w, &r, err, sizeof err)) == 1)
            ;
        assert_int_equal(rc, 2);
        assert_string_equal(err, full);
        err[0] = '\0';
        assert_int_equal(wl_next(w, &r, err, sizeof err), 2);
        wl_close(w);
    } else {
        assert_null(w);
    }
    assert_int_equal(rc, 2);
    assert_string_equal(err, full);
    unlink(t.path);
}

static void
done(wl *w, tmp *t)
{
    wl_close(w);
    unlink(t->path);
}

/* ------------------------------------------------------------ good rows */

static void
test_all_columns(void **state)
{
    tmp t;
    sim_request r;
    wl *w = open_ok(&t, "service,deadline,provider,cost,after,priority,client,id,at\n"
                        "0.25,10,P2,3,1.5,-4,alice,7,0.5\n"
                        "0.000000001,2.5,backup,1,0,2147483647,bob,9,0.5\n");

    (void)state;
    next_ok(w, &r);
    assert_int_equal(r.id, 7);
    assert_int_equal(r.at, NS / 2);
    assert_int_equal(r.after, 1500000000LL);
    assert_int_equal(r.deadline, 10 * NS);
    assert_int_equal(r.service, 250000000LL);
    assert_int_equal(r.cost, 3);
    assert_int_equal(r.priority, -4);
    assert_int_equal(r.provider, 1);
    assert_int_equal(r.client, 0);
    assert_string_equal(wl_client_name(w, r.client), "alice");
    next_ok(w, &r);
    assert_int_equal(r.id, 9);
    assert_int_equal(r.service, 1);
    assert_int_equal(r.after, 0);       /* before at is allowed */
    assert_int_equal(r.priority, INT32_MAX);
    assert_int_equal(r.provider, 2);
    assert_int_equal(r.client, 1);
    at_end(w);
    assert_int_equal(wl_clients(w), 2);
    assert_null(wl_client_name(w, 2));
    done(w, &t);
}

static void
check_defaults(const sim_request *r, int64_t id, sim_time at)
{
    assert_int_equal(r->id, id);
    assert_int_equal(r->at, at);
    assert_int_equal(r->after, at);
    assert_int_equal(r->deadline, SIM_NEVER);
    assert_int_equal(r->service, SIM_NONE);
    assert_int_equal(r->cost, 1);
    assert_int_equal(r->priority, 0);
    assert_int_equal(r->provider, -1);
}

static void
test_defaults(void **state)
{
    tmp t;
    sim_request r;
    wl *w = open_ok(&t, "at\n0\n0\n12.5\n");

    (void)state;
    next_ok(w, &r);
    check_defaults(&r, 1, 0);
    assert_string_equal(wl_client_name(w, r.client), "default");
    next_ok(w, &r);
    check_defaults(&r, 2, 0);
    next_ok(w, &r);
    check_defaults(&r, 3, 12500000000LL);
    at_end(w);
    assert_int_equal(wl_clients(w), 1);
    done(w, &t);
}

static void
test_empty_cells(void **state)
{
    tmp t;
    sim_request r;
    wl *w = open_ok(&t, "at,id,client,priority,after,cost,provider,deadline,service\n"
                        "1,,,,,,,,\n"
                        "2, , ,\"\",,,,,\n"
                        "3,10,default,,,,,,\n"
                        "4,,,,,,,,\n");

    (void)state;
    next_ok(w, &r);
    check_defaults(&r, 1, NS);
    next_ok(w, &r);
    check_defaults(&r, 2, 2 * NS);
    next_ok(w, &r);
    check_defaults(&r, 10, 3 * NS);
    /* The default id is the row number, however the ids before it ran. */
    assert_int_equal(wl_next(w, &r, (char[256]){0}, 256), 2);
    assert_int_equal(wl_clients(w), 1);
    done(w, &t);
}

static void
test_clients_numbered(void **state)
{
    tmp t;
    sim_request r;
    wl *w = open_ok(&t, "at,client\n0,b\n0,a\n0,b\n0,\n0,a\n0,c\n");
    static const uint32_t want[] = {0, 1, 0, 2, 1, 3};

    (void)state;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        next_ok(w, &r);
        assert_int_equal(r.client, want[i]);
    }
    at_end(w);
    assert_int_equal(wl_clients(w), 4);
    assert_string_equal(wl_client_name(w, 0), "b");
    assert_string_equal(wl_client_name(w, 1), "a");
    assert_string_equal(wl_client_name(w, 2), "default");
    assert_string_equal(wl_client_name(w, 3), "c");
    done(w, &t);
}

/* Enough distinct clients to grow the hash table several times. */
static void
test_many_clients(void **state)
{
    enum { N = 5000 };
    char *text = malloc(N * 2 * 24 + 16), name[32];
    size_t len = 0;
    sim_request r;
    tmp t;
    wl *w;

    (void)state;
    len += (size_t)sprintf(text + len, "at,client\n");
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < N; i++)
            len += (size_t)sprintf(text + len, "%d,client-%d\n", pass, i);
    }
    w = open_ok(&t, text);
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < N; i++) {
            next_ok(w, &r);
            assert_int_equal(r.client, (uint32_t)i);
        }
    }
    at_end(w);
    assert_int_equal(wl_clients(w), N);
    for (int i = 0; i < N; i += 499) {
        snprintf(name, sizeof name, "client-%d", i);
        assert_string_equal(wl_client_name(w, (uint32_t)i), name);
    }
    done(w, &t);
    free(text);
}

static void
test_quoted(void **state)
{
    tmp t;
    sim_request r;
    wl *w = open_ok(&t, "at,client,priority\n"
                        "\"1\",\"a, b\",\"3\"\n"
                        "2,\"say \"\"hi\"\"\",\n"
                        "3,\"two\n"
                        "# not a comment\n"
                        "\n"
                        "lines\",1\n"
                        "4,\"\"\"\",\n"
                        "5,x,y\n");

    (void)state;
    next_ok(w, &r);
    assert_int_equal(r.at, NS);
    assert_int_equal(r.priority, 3);
    assert_string_equal(wl_client_name(w, r.client), "a, b");
    next_ok(w, &r);
    assert_string_equal(wl_client_name(w, r.client), "say \"hi\"");
    next_ok(w, &r);
    assert_int_equal(r.id, 3);
    assert_int_equal(r.priority, 1);
    assert_string_equal(wl_client_name(w, r.client), "two\n# not a comment\n\nlines");
    next_ok(w, &r);
    assert_int_equal(r.id, 4);
    assert_string_equal(wl_client_name(w, r.client), "\"");
    /* Line numbers still count the lines inside the quoted cell. */
    char err[256], want[320];

    assert_int_equal(wl_next(w, &r, err, sizeof err), 2);
    snprintf(want, sizeof want, "%s:9: priority: expected an integer, got \"y\"", t.path);
    assert_string_equal(err, want);
    done(w, &t);
}

/* A last row that libcsv splits (a quote, a CR inside) and no newline
 * ends: libcsv hands its cells over only at the end of the input, and
 * they must read as any other row's — a header too. */
static void
test_quoted_last_line(void **state)
{
    tmp t;
    sim_request r;
    char err[256] = "", want[320];
    wl *w = open_ok(&t, "at,client,priority\n1,\"a, b\",\"7\"");

    (void)state;
    next_ok(w, &r);
    assert_int_equal(r.at, NS);
    assert_int_equal(r.priority, 7);
    assert_string_equal(wl_client_name(w, r.client), "a, b");
    at_end(w);
    done(w, &t);
    tmp_write(&t, "\"at\",\"client\"");
    assert_int_equal(wl_open(&w, t.path, providers, 3, err, sizeof err), 0);
    at_end(w);
    done(w, &t);
    tmp_write(&t, "# x\n\t\r\t .");
    assert_int_equal(wl_open(&w, t.path, providers, 3, err, sizeof err), 2);
    /* libcsv ends the row at the CR only at the end of the input. */
    snprintf(want, sizeof want, "%s:2: .: unknown column", t.path);
    assert_memory_equal(err, want, strlen(want));
    unlink(t.path);
}

/* Cells are trimmed of spaces and tabs outside quotes, whether the line
 * has quotes (libcsv splits it) or not (the reader's own fast path). */
static void
test_padding(void **state)
{
    tmp t;
    sim_request r;
    wl *w = open_ok(&t, " at ,\tclient\t, priority\n"
                        "  1 , a b ,\t2\n"
                        "  2 , \"a b\" ,\t3\n"
                        "3,\" a b \",4\n");

    (void)state;
    next_ok(w, &r);
    assert_int_equal(r.at, NS);
    assert_int_equal(r.priority, 2);
    assert_int_equal(r.client, 0);
    assert_string_equal(wl_client_name(w, 0), "a b");
    next_ok(w, &r);
    assert_int_equal(r.at, 2 * NS);
    assert_int_equal(r.priority, 3);
    assert_int_equal(r.client, 0);
    next_ok(w, &r);
    assert_string_equal(wl_client_name(w, r.client), " a b ");
    at_end(w);
    done(w, &t);
}

static void
test_comments_and_blank_lines(void **state)
{
    tmp t;
    sim_request r;
    wl *w = open_ok(&t, "# a workload\n"
                        "\n"
                        "#at,nothing\n"
                        "at,client\n"
                        "# first\n"
                        "1,#x\n"
                        "   \n"
                        "\t\n"
                        "#2,y\n"
                        "3,\"#z\"\n"
                        "2,w\n");
    char err[256], want[320];

    (void)state;
    next_ok(w, &r);
    assert_int_equal(r.at, NS);
    assert_string_equal(wl_client_name(w, r.client), "#x");
    next_ok(w, &r);
    assert_int_equal(r.id, 2);
    assert_string_equal(wl_client_name(w, r.client), "#z");
    assert_int_equal(wl_next(w, &r, err, sizeof err), 2);
    snprintf(want, sizeof want, "%s:11: at: goes back in time (2 after 3)", t.path);
    assert_string_equal(err, want);
    done(w, &t);
}

static void
test_crlf(void **state)
{
    tmp t;
    sim_request r;
    wl *w = open_ok(&t, "at,client\r\n"
                        "1,a\r\n"
                        "\r\n"
                        "# c\r\n"
                        "2,\"b\"\r\n"
                        "3,\"c\r\nd\"\r\n"
                        "4,e");

    (void)state;
    next_ok(w, &r);
    assert_int_equal(r.at, NS);
    assert_string_equal(wl_client_name(w, r.client), "a");
    next_ok(w, &r);
    assert_string_equal(wl_client_name(w, r.client), "b");
    next_ok(w, &r);
    assert_string_equal(wl_client_name(w, r.client), "c\r\nd");
    next_ok(w, &r);     /* the last line has no line end at all */
    assert_int_equal(r.at, 4 * NS);
    assert_string_equal(wl_client_name(w, r.client), "e");
    at_end(w);
    done(w, &t);
}

static void
test_header_only(void **state)
{
    tmp t;
    wl *w = open_ok(&t, "\xEF\xBB\xBF" "at,id\n");

    (void)state;
    at_end(w);
    assert_int_equal(wl_clients(w), 0);
    done(w, &t);
}

static void
test_sha256(void **state)
{
    /* Expected values from sha256sum(1) over the same bytes. */
    static const char text[] = "# demo\nat,client\n0,a\n\n1.5,\"b\"\n";
    tmp t;
    sim_request r;
    char hex[65];
    wl *w = open_ok(&t, text);

    (void)state;
    next_ok(w, &r);
    next_ok(w, &r);
    at_end(w);
    wl_sha256(w, hex);
    assert_string_equal(hex, "f4c73447c9e5648f77e2f1748aed8bd8"
                             "839790bcf5e21a45fe36b9b68d9f69c5");
    /* Asking twice does not disturb the hash. */
    wl_sha256(w, hex);
    assert_string_equal(hex, "f4c73447c9e5648f77e2f1748aed8bd8"
                             "839790bcf5e21a45fe36b9b68d9f69c5");
    done(w, &t);
}

static void
test_stdin(void **state)
{
    tmp t;
    sim_request r;
    char err[256] = "";
    wl *w = NULL;

    (void)state;
    tmp_write(&t, "at,cost\n1,2\n2,0\n");
    assert_non_null(freopen(t.path, "r", stdin));
    assert_int_equal(wl_open(&w, "-", NULL, 0, err, sizeof err), 0);
    next_ok(w, &r);
    assert_int_equal(r.cost, 2);
    assert_int_equal(wl_next(w, &r, err, sizeof err), 2);
    assert_string_equal(err, "stdin:3: cost: must be at least 1, got \"0\"");
    done(w, &t);
}

/* ------------------------------------------------------------ bad input */

static void
test_missing_file(void **state)
{
    char err[256];
    wl *w = (wl *)1;

    (void)state;
    assert_int_equal(wl_open(&w, "/tmp/ratesim-no-such-dir/w.csv", NULL, 0,
                             err, sizeof err), 2);
    assert_null(w);
    assert_string_equal(err, "/tmp/ratesim-no-such-dir/w.csv: No such file or directory");
    assert_int_equal(wl_open(&w, "/tmp", NULL, 0, err, sizeof err), 2);
    assert_string_equal(err, "/tmp: Is a directory");
}

static void
test_bad_header(void **state)
{
    (void)state;
    expect_error("", " empty file (expected a header row)");
    expect_error("# only a comment\n\n", " empty file (expected a header row)");
    expect_error("at,foo\n", "1: foo: unknown column (expected at, id, client, "
                             "priority, after, cost, provider, deadline or service)");
    expect_error("# x\nid,client\n", "2: at: missing column (every workload needs "
                                     "arrival times)");
    expect_error("at,id,at\n", "1: at: duplicate column");
    expect_error("at,,id\n", "1: header: column 2 has no name");
    expect_error("At\n", "1: At: unknown column (expected at, id, client, "
                         "priority, after, cost, provider, deadline or service)");
    expect_error("at,i\"d\n", "1: header: quote inside an unquoted cell");
}

static void
test_bad_shape(void **state)
{
    (void)state;
    expect_error("at,id,client\n1,1,a\n2,2,b,c\n", "3: row: expected 3 cells, got 4");
    expect_error("at,id,client\n1,1\n", "2: row: expected 3 cells, got 2");
    expect_error("at,id,client\n1,2,a\"b\n", "2: client: quote inside an unquoted cell");
    expect_error("at,id,client\n1,2,\"a\"b\n", "2: client: text after a closing quote");
    expect_error("at,client,id\n1,\"a\nb\nc\",2,3\n", "2: row: expected 3 cells, got 4");
    expect_error("at,client\n1,a\n2,\"open\n\n", "3: client: quoted cell never closed");
    expect_error("at,client\n1,a\r2,b\n", "2: row: carriage return inside a line");
}

static void
test_bad_cells(void **state)
{
    (void)state;
    expect_error("at,priority\n1,2\n1,hi\n", "3: priority: expected an integer, got \"hi\"");
    expect_error("at,priority\n1,1.5\n", "2: priority: expected an integer, got \"1.5\"");
    expect_error("at,priority\n1,2147483648\n",
                 "2: priority: expected an integer from -2147483648 to 2147483647, "
                 "got \"2147483648\"");
    expect_error("at\nsoon\n", "2: at: expected seconds (like 1.5), got \"soon\"");
    expect_error("at\n1e3\n", "2: at: exponents are not allowed, got \"1e3\"");
    expect_error("at\n-1\n", "2: at: must not be negative, got \"-1\"");
    expect_error("at\n1.5s\n", "2: at: expected seconds (like 1.5), got \"1.5s\"");
    expect_error("at\n0.0000000001\n",
                 "2: at: more than 9 decimal places, got \"0.0000000001\"");
    expect_error("at,id\n,1\n", "2: at: missing (at has no default)");
    expect_error("at,id\n1,x\n", "2: id: expected an integer, got \"x\"");
    expect_error("at,cost\n1,0\n", "2: cost: must be at least 1, got \"0\"");
    expect_error("at,cost\n1,-2\n", "2: cost: must be at least 1, got \"-2\"");
    expect_error("at,after\n1,x\n", "2: after: expected seconds (like 1.5), got \"x\"");
    expect_error("at,service\n1,20ms\n",
                 "2: service: expected seconds (like 1.5), got \"20ms\"");
    expect_error("at,provider\n1,P1\n2,P9\n", "3: provider: unknown provider \"P9\"");
    expect_error("at,priority\n1,\"a\nb\"\n",
                 "2: priority: expected an integer, got \"a?b\"");
    expect_error("at,priority\n1,xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
                 "2: priority: expected an integer, got "
                 "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\"");
}

static void
test_bad_order(void **state)
{
    (void)state;
    expect_error("at\n1\n4.5\n3\n", "4: at: goes back in time (3 after 4.5)");
    expect_error("at,id\n0,1\n0,7\n0,7\n", "4: id: not increasing (7 after 7)");
    expect_error("at,id\n0,5\n0,3\n", "3: id: not increasing (3 after 5)");
    expect_error("at,id\n0,5\n0,\n", "3: id: not increasing (2 after 5)");
    expect_error("at,deadline\n2,2\n", "2: deadline: must be later than at (2 is not after 2)");
    expect_error("at,deadline\n2.5,1\n",
                 "2: deadline: must be later than at (1 is not after 2.5)");
}

/* ------------------------------------------------------------- blocks */

/* A workload several read blocks long, with a cell longer than a block in
 * its middle and no newline at its end: rows cut across block ends and the
 * grown block must read exactly as short lines do. */
#define BIG_ROWS 20000
#define BIG_KEY 200000

static char *
big_text(size_t *len)
{
    size_t cap = (size_t)BIG_ROWS * 40 + BIG_KEY + 64, n = 0;
    char *text = malloc(cap);

    assert_non_null(text);
    n += (size_t)sprintf(text + n, "at,client,priority\r\n");
    for (int i = 0; i < BIG_ROWS; i++) {
        if (i == BIG_ROWS / 2) {
            n += (size_t)sprintf(text + n, "%d.%09d,", i, i);
            memset(text + n, 'k', BIG_KEY);
            n += BIG_KEY;
            n += (size_t)sprintf(text + n, ",%d\n", -i);
            continue;
        }
        n += (size_t)sprintf(text + n, "%d.%09d,c%d,%d%s", i, i, i % 7, -i,
                             i + 1 < BIG_ROWS ? "\n" : "");
    }
    *len = n;
    return text;
}

/* A temporary file of len bytes (tmp_write wants a string). */
static void
write_bytes(tmp *t, const char *text, size_t len)
{
    FILE *f;

    snprintf(t->path, sizeof t->path, "/tmp/ratesim-wl-XXXXXX");
    f = fdopen(mkstemp(t->path), "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Reads the big text's rows from w and checks them, then its SHA-256:
 * the text's, or "" when the caller said it would not ask (hashed 0). */
static void
check_big_as(wl *w, const char *text, size_t len, int hashed)
{
    sim_request r;
    char hex[65], want[65];
    sha *h = sha_new();

    for (int i = 0; i < BIG_ROWS; i++) {
        const char *key;

        next_ok(w, &r);
        assert_int_equal(r.id, i + 1);
        assert_int_equal(r.at, (int64_t)i * NS + i);
        assert_int_equal(r.priority, -i);
        key = wl_client_name(w, r.client);
        if (i == BIG_ROWS / 2)
            assert_int_equal(strspn(key, "k"), BIG_KEY);
        else
            assert_true(key[0] == 'c' && key[1] - '0' == i % 7);
    }
    at_end(w);
    assert_non_null(h);
    sha_update(h, text, len);
    sha_hex(h, want);
    wl_sha256(w, hex);
    assert_string_equal(hex, hashed ? want : "");
    sha_free(h);
}

static void
check_big(wl *w, const char *text, size_t len)
{
    check_big_as(w, text, len, 1);
}

/* The big text from a regular file, hashed or not (wl_skip_sha256). */
static void
read_big_file(int hashed)
{
    size_t len;
    char *text = big_text(&len);
    char err[256] = "";
    tmp t;
    wl *w = NULL;

    write_bytes(&t, text, len);
    assert_int_equal(wl_open(&w, t.path, NULL, 0, err, sizeof err), 0);
    if (!hashed)
        wl_skip_sha256(w);
    check_big_as(w, text, len, hashed);
    done(w, &t);
    free(text);
}

static void
test_blocks(void **state)
{
    (void)state;
    read_big_file(1);
}

/* The same through a pipe that a writer feeds 1000 bytes at a time: each
 * read(2) then returns a piece of a line, never a whole block. */
static void
test_pipe_pieces(void **state)
{
    size_t len;
    char *text = big_text(&len);
    char err[256] = "";
    int fds[2], saved = dup(STDIN_FILENO), status;
    pid_t pid;
    wl *w = NULL;

    (void)state;
    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        for (size_t off = 0; off < len; off += 1000) {
            size_t n = len - off < 1000 ? len - off : 1000;
            if (write(fds[1], text + off, n) != (ssize_t)n)
                _exit(1);
        }
        _exit(0);
    }
    close(fds[1]);
    assert_int_equal(dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
    close(fds[0]);
    assert_int_equal(wl_open(&w, "-", NULL, 0, err, sizeof err), 0);
    assert_false(wl_regular(w));
    check_big(w, text, len);
    wl_close(w);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
    close(saved);
    free(text);
}

/* A run that stops reading early still names the whole file: wl_sha256
 * hashes what was left unread, and nothing more is read after it. */
static void
test_sha256_whole_file(void **state)
{
    size_t len;
    char *text = big_text(&len);
    char err[256] = "", hex[65], want[65];
    sha *h = sha_new();
    sim_request r;
    tmp t;
    wl *w = NULL;

    (void)state;
    write_bytes(&t, text, len);
    assert_int_equal(wl_open(&w, t.path, NULL, 0, err, sizeof err), 0);
    assert_true(wl_regular(w));
    next_ok(w, &r);
    next_ok(w, &r);
    assert_non_null(h);
    sha_update(h, text, len);
    sha_hex(h, want);
    wl_sha256(w, hex);
    assert_string_equal(hex, want);
    at_end(w);
    sha_free(h);
    done(w, &t);
    free(text);
}

/* run --db none never asks for the hash: the rows are read all the same,
 * nothing is hashed, and wl_sha256 says so with "". */
static void
test_skip_sha256(void **state)
{
    (void)state;
    read_big_file(0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_columns),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_empty_cells),
        cmocka_unit_test(test_clients_numbered),
        cmocka_unit_test(test_many_clients),
        cmocka_unit_test(test_quoted),
        cmocka_unit_test(test_quoted_last_line),
        cmocka_unit_test(test_padding),
        cmocka_unit_test(test_comments_and_blank_lines),
        cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_header_only),
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_stdin),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_bad_header),
        cmocka_unit_test(test_bad_shape),
        cmocka_unit_test(test_bad_cells),
        cmocka_unit_test(test_bad_order),
        cmocka_unit_test(test_blocks),
        cmocka_unit_test(test_pipe_pieces),
        cmocka_unit_test(test_sha256_whole_file),
        cmocka_unit_test(test_skip_sha256),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
