/* SPDX-License-Identifier: MIT
 *
 * Tests of the run digest (sim/digest.c): the same rows in another order
 * give the same digest, a change to any hashed field changes it, fields
 * outside the canonical bytes do not, and a fixed row set gives a fixed,
 * stored value, so a change to the encoding cannot go unnoticed (it would
 * invalidate every digest ever recorded).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "sim/digest.h"

#define NROWS 5

static const char *const names[] = {"P1", "backup"};

/* A small run: ok, failed-then-ok retry, rejected, expired (no provider). */
static void
sample_rows(sim_row rows[NROWS])
{
    static const sim_row r[NROWS] = {
        {.req_id = 1, .attempt = 1, .provider = 0, .t_dispatch = 0,
         .t_done = 20000000, .outcome = SIM_OK},
        {.req_id = 2, .attempt = 1, .provider = 0, .t_dispatch = 333333334,
         .t_done = 353333334, .outcome = SIM_FAILED},
        {.req_id = 2, .attempt = 2, .provider = 1, .t_dispatch = 453333334,
         .t_done = 473333334, .outcome = SIM_OK},
        {.req_id = 3, .attempt = 1, .provider = 1, .t_dispatch = SIM_NONE,
         .t_done = SIM_NONE, .outcome = SIM_REJECTED},
        {.req_id = 4, .attempt = 1, .provider = -1, .t_dispatch = SIM_NONE,
         .t_done = SIM_NONE, .outcome = SIM_EXPIRED},
    };
    memcpy(rows, r, sizeof r);
}

/* The digest of rows taken in the order idx gives, as hex. */
static void
hex_of(const sim_row *rows, const int *idx, int n, char out[33])
{
    digest d;
    digest_init(&d);
    for (int i = 0; i < n; i++) {
        const sim_row *row = &rows[idx[i]];
        digest_add(&d, row, row->provider < 0 ? NULL : names[row->provider]);
    }
    digest_hex(&d, out);
}

static void
hex_in_order(const sim_row *rows, char out[33])
{
    static const int idx[NROWS] = {0, 1, 2, 3, 4};
    hex_of(rows, idx, NROWS, out);
}

static void
test_empty(void **state)
{
    (void)state;
    digest d;
    char hex[33];
    digest_init(&d);
    digest_hex(&d, hex);
    assert_string_equal(hex, "00000000000000000000000000000000");
}

static void
test_order_independent(void **state)
{
    (void)state;
    static const int rev[NROWS] = {4, 3, 2, 1, 0};
    static const int mix[NROWS] = {2, 4, 0, 3, 1};
    sim_row rows[NROWS];
    char a[33], b[33], c[33];
    sample_rows(rows);
    hex_in_order(rows, a);
    hex_of(rows, rev, NROWS, b);
    hex_of(rows, mix, NROWS, c);
    assert_string_equal(a, b);
    assert_string_equal(a, c);
    assert_int_equal(strlen(a), 32);
    assert_int_equal(strspn(a, "0123456789abcdef"), 32);
}

/* Changes one field of row 1 or 3 and expects a different digest. */
static void
test_every_field_counts(void **state)
{
    (void)state;
    sim_row base[NROWS];
    char want[33], got[33];
    sample_rows(base);
    hex_in_order(base, want);
    for (int field = 0; field < 8; field++) {
        sim_row rows[NROWS];
        memcpy(rows, base, sizeof rows);
        switch (field) {
        case 0: rows[1].req_id = 5; break;
        case 1: rows[1].attempt = 3; break;
        case 2: rows[1].provider = 1; break;      /* another name */
        case 3: rows[3].provider = -1; break;     /* no provider */
        case 4: rows[1].t_dispatch += 1; break;
        case 5: rows[1].t_done += 1; break;
        case 6: rows[1].outcome = SIM_OK; break;
        case 7: rows[4].outcome = SIM_DROPPED; break;
        }
        hex_in_order(rows, got);
        assert_string_not_equal(want, got);
    }
}

/* Fields outside the canonical bytes do not count. */
static void
test_other_fields_ignored(void **state)
{
    (void)state;
    sim_row rows[NROWS];
    char want[33], got[33];
    sample_rows(rows);
    hex_in_order(rows, want);
    rows[0].priority = 9;
    rows[0].cost = 3;
    rows[0].client = 7;
    rows[0].t_arrive = 123;
    rows[0].t_ready = 456;
    hex_in_order(rows, got);
    assert_string_equal(want, got);
}

/* A NULL provider is not the empty name. */
static void
test_null_is_not_empty_name(void **state)
{
    (void)state;
    sim_row row = {.req_id = 1, .attempt = 1, .t_dispatch = SIM_NONE,
                   .t_done = SIM_NONE, .outcome = SIM_EXPIRED};
    digest a, b;
    char ha[33], hb[33];
    digest_init(&a);
    digest_init(&b);
    digest_add(&a, &row, NULL);
    digest_add(&b, &row, "");
    digest_hex(&a, ha);
    digest_hex(&b, hb);
    assert_string_not_equal(ha, hb);
}

/* The digest is the 128-bit sum of the row hashes, the low half carrying
 * into the high: check it against the sum of single-row digests done here
 * in one 128-bit integer (the sample's low halves do carry once). */
__extension__ typedef unsigned __int128 u128;

static u128
from_hex(const char *hex)
{
    u128 v = 0;
    for (int i = 0; i < 32; i++)
        v = v << 4 | (u128)(hex[i] <= '9' ? hex[i] - '0' : hex[i] - 'a' + 10);
    return v;
}

static void
to_hex(u128 v, char out[33])
{
    for (int i = 0; i < 32; i++)
        out[i] = "0123456789abcdef"[(unsigned)(v >> (4 * (31 - i))) & 15];
    out[32] = '\0';
}

/* The digest of one row, as a number. */
static u128
row_value(const sim_row *row, const char *provider)
{
    digest d;
    char hex[33];
    digest_init(&d);
    digest_add(&d, row, provider);
    digest_hex(&d, hex);
    return from_hex(hex);
}

static void
test_carry(void **state)
{
    (void)state;
    sim_row rows[NROWS];
    sample_rows(rows);
    u128 sum = 0;
    for (int i = 0; i < NROWS; i++)
        sum += row_value(&rows[i],
                         rows[i].provider < 0 ? NULL : names[rows[i].provider]);
    char want[33], got[33];
    hex_in_order(rows, got);
    to_hex(sum, want);
    assert_string_equal(want, got);
}

/* Rows are hashed some adds after they come (digest.c): whatever the
 * count, before, at and past that lag, digest_hex gives the sum of every
 * row added, and asking does not change what later adds give. The names
 * vary in length so that the slots hold rows of different sizes. */
static void
test_lag(void **state)
{
    (void)state;
    static const char *const prov[] = {NULL, "a", "bucket", "p-with-longer-name"};
    digest d;
    u128 sum = 0;
    char want[33], got[33];

    digest_init(&d);
    for (int i = 0; i < 3 * DIGEST_LAG + 3; i++) {
        sim_row row = {.req_id = 1000 + i, .attempt = 1 + i % 3,
                       .provider = i % 4 - 1, .t_dispatch = 7 * i,
                       .t_done = 7 * i + 5, .outcome = i % 5};
        digest_add(&d, &row, prov[i % 4]);
        sum += row_value(&row, prov[i % 4]);
        to_hex(sum, want);
        digest_hex(&d, got);
        assert_string_equal(want, got);
        digest_hex(&d, got);
        assert_string_equal(want, got);
    }
}

/* Regression: the digest of the sample run, as computed independently by a
 * few lines of Python building the canonical bytes with struct.pack and
 * hashing them with libxxhash's XXH3_128bits. If this changes, every stored
 * digest (results/ cases, databases) changes with it. */
static void
test_known_value(void **state)
{
    (void)state;
    sim_row rows[NROWS];
    char hex[33];
    sample_rows(rows);
    hex_in_order(rows, hex);
    assert_string_equal(hex, "e8a6927674f65f9a7f807ad47952879c");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_order_independent),
        cmocka_unit_test(test_every_field_counts),
        cmocka_unit_test(test_other_fields_ignored),
        cmocka_unit_test(test_null_is_not_empty_name),
        cmocka_unit_test(test_carry),
        cmocka_unit_test(test_lag),
        cmocka_unit_test(test_known_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
