/* SPDX-License-Identifier: MIT
 *
 * Tests for sim/io/rowpipe: rows handed to a sink on a second thread must
 * reach it exactly as the engine gave them — every row, in order, across
 * many batches and a last partial one — and an error of the sink must come
 * back to the engine, with its message, at a later hand-over or at the
 * finish; stopping early must not hang whatever is queued.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sim/io/rowpipe.h"

/* A sink that checks rows come numbered 1, 2, ... and fails at fail_at. */
typedef struct taker {
    int64_t seen, fail_at;
    int order_ok;
} taker;

static int
take(void *ctx, const sim_row *row, char *err, size_t errlen)
{
    taker *t = ctx;

    if (row->req_id != t->seen + 1 || row->t_done != row->req_id * 3)
        t->order_ok = 0;
    t->seen = row->req_id;
    if (t->seen == t->fail_at) {
        snprintf(err, errlen, "db: disk full at %lld", (long long)t->seen);
        return 3;
    }
    return 0;
}

static sim_row
row_n(int64_t i)
{
    sim_row r;

    memset(&r, 0, sizeof r);
    r.req_id = i;
    r.attempt = 1;
    r.t_done = i * 3;
    return r;
}

static void
pass_all(int64_t n)
{
    taker t = {0, -1, 1};
    rowpipe *p = NULL;
    char err[128] = "";

    assert_int_equal(rowpipe_start(&p, take, &t, err, sizeof err), 0);
    for (int64_t i = 1; i <= n; i++) {
        sim_row r = row_n(i);
        assert_int_equal(rowpipe_put(p, &r, err, sizeof err), 0);
    }
    assert_int_equal(rowpipe_finish(p, err, sizeof err), 0);
    assert_int_equal(t.seen, n);
    assert_true(t.order_ok);
}

static void
test_all_rows_in_order(void **state)
{
    (void)state;
    pass_all(0);
    pass_all(1);
    pass_all(ROWPIPE_BATCH - 1);
    pass_all(ROWPIPE_BATCH);
    pass_all(ROWPIPE_BATCH + 1);
    pass_all(53 * ROWPIPE_BATCH * ROWPIPE_SLOTS + 7);
}

/* The sink fails at row k of n: the error reaches the engine, by a put or
 * by the finish, with the message, and the sink sees no row after k. */
static void
fail_at(int64_t k, int64_t n)
{
    taker t = {0, k, 1};
    rowpipe *p = NULL;
    char err[128] = "", want[64];
    int rc = 0;
    int64_t i;

    snprintf(want, sizeof want, "db: disk full at %lld", (long long)k);
    assert_int_equal(rowpipe_start(&p, take, &t, err, sizeof err), 0);
    for (i = 1; i <= n && rc == 0; i++) {
        sim_row r = row_n(i);
        rc = rowpipe_put(p, &r, err, sizeof err);
    }
    if (rc != 0) {
        /* Seen within the slots' worth of rows after it. */
        assert_true(i - 1 <= k + (int64_t)(ROWPIPE_SLOTS + 1) * ROWPIPE_BATCH);
        rowpipe_stop(p);
    } else {
        rc = rowpipe_finish(p, err, sizeof err);
    }
    assert_int_equal(rc, 3);
    assert_string_equal(err, want);
    assert_int_equal(t.seen, k);
    assert_true(t.order_ok);
}

static void
test_sink_error(void **state)
{
    (void)state;
    fail_at(1, 1);
    fail_at(5, 10);
    fail_at(ROWPIPE_BATCH, ROWPIPE_BATCH);
    fail_at(3, 40 * ROWPIPE_BATCH);
    fail_at(17 * ROWPIPE_BATCH + 5, 40 * ROWPIPE_BATCH);
}

/* A run that stops: the pipe stops with rows queued, or none. */
static void
test_stop(void **state)
{
    (void)state;
    for (int64_t n = 0; n < 12 * ROWPIPE_BATCH; n += ROWPIPE_BATCH / 3 + 1) {
        taker t = {0, -1, 1};
        rowpipe *p = NULL;
        char err[128];

        assert_int_equal(rowpipe_start(&p, take, &t, err, sizeof err), 0);
        for (int64_t i = 1; i <= n; i++) {
            sim_row r = row_n(i);
            assert_int_equal(rowpipe_put(p, &r, err, sizeof err), 0);
        }
        rowpipe_stop(p);
        assert_true(t.seen <= n && t.order_ok);
    }
    rowpipe_stop(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_rows_in_order),
        cmocka_unit_test(test_sink_error),
        cmocka_unit_test(test_stop),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
