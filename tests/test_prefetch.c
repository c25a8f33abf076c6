/* SPDX-License-Identifier: MIT
 *
 * Tests for sim/io/prefetch: requests read on a second thread must reach
 * the consumer exactly as the source gives them — every request, in order,
 * across many batches, then the same end or the same error with its
 * message, again on every later call — and a consumer that stops early
 * must be able to stop the thread whatever it is doing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sim/io/prefetch.h"

/* A source of n requests numbered 1..n, then rc (0: the end). */
typedef struct counter {
    int64_t next, n;
    int rc;
} counter;

static int
count_source(void *ctx, sim_request *out, char *err, size_t errlen)
{
    counter *c = ctx;

    if (c->next > c->n) {
        if (c->rc != 0)
            snprintf(err, errlen, "w.csv:%lld: at: bad", (long long)c->n + 2);
        return c->rc;
    }
    memset(out, 0, sizeof *out);
    out->id = c->next;
    out->at = c->next * 7;
    out->cost = 1 + c->next % 3;
    c->next++;
    return 1;
}

/* Reads everything and checks it against what the source made. */
static void
read_all(int64_t n, int rc)
{
    counter c = {1, n, rc};
    prefetch *p = NULL;
    sim_request r;
    char err[128] = "";

    assert_int_equal(prefetch_start(&p, count_source, &c, err, sizeof err), 0);
    for (int64_t i = 1; i <= n; i++) {
        assert_int_equal(prefetch_next(p, &r, err, sizeof err), 1);
        assert_int_equal(r.id, i);
        assert_int_equal(r.at, i * 7);
        assert_int_equal(r.cost, 1 + i % 3);
    }
    for (int again = 0; again < 3; again++) {
        err[0] = '\0';
        assert_int_equal(prefetch_next(p, &r, err, sizeof err), rc);
        if (rc != 0) {
            char want[64];
            snprintf(want, sizeof want, "w.csv:%lld: at: bad",
                     (long long)n + 2);
            assert_string_equal(err, want);
        }
    }
    prefetch_stop(p);
}

static void
test_ends(void **state)
{
    (void)state;
    read_all(0, 0);
    read_all(1, 0);
    read_all(PREFETCH_BATCH - 1, 0);
    read_all(PREFETCH_BATCH, 0);
    read_all(PREFETCH_BATCH + 1, 0);
    /* Many times round the ring of slots. */
    read_all(37 * PREFETCH_BATCH * PREFETCH_SLOTS + 5, 0);
}

static void
test_errors(void **state)
{
    (void)state;
    read_all(0, 2);
    read_all(PREFETCH_BATCH, 2);
    read_all(5 * PREFETCH_BATCH + 17, 3);
}

/* The consumer stops after a few requests (a run that ends at `until`)
 * while the producer is blocked on a full ring, or still reading. */
static void
test_stop_early(void **state)
{
    (void)state;
    for (int take = 0; take < 2000; take += 97) {
        counter c = {1, 100 * PREFETCH_BATCH, 0};
        prefetch *p = NULL;
        sim_request r;
        char err[128];

        assert_int_equal(prefetch_start(&p, count_source, &c, err,
                                        sizeof err), 0);
        for (int i = 0; i < take; i++) {
            assert_int_equal(prefetch_next(p, &r, err, sizeof err), 1);
            assert_int_equal(r.id, i + 1);
        }
        prefetch_stop(p);
        /* It read at most the slots and the batch it was on. */
        assert_true(c.next - 1 <= (int64_t)(PREFETCH_SLOTS + 1) *
                                      PREFETCH_BATCH + take);
    }
    prefetch_stop(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ends),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_stop_early),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
