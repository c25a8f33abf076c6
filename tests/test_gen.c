/* SPDX-License-Identifier: MIT
 *
 * Tests for sim/gen, the workload generator: constant spacing is exact; a
 * Poisson stream of 10^6 arrivals has its mean rate within 0.5% and the
 * coefficient of variation of its gaps within 1% of 1; onoff never
 * arrives in an off period; diurnal follows its intensity; pareto keeps
 * its mean rate; weighted choices follow their weights; the same seed
 * gives the same requests and each option draws from its own stream.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "sim/gen.h"

#define NS 1000000000LL

static gen *
make(const gen_opts *o)
{
    char err[256] = "";
    gen *g = NULL;

    if (gen_new(&g, o, err, sizeof err) != 0)
        fail_msg("gen_new: %s", err);
    return g;
}

static void
opts(gen_opts *o, int pattern, int64_t count, int64_t window, int64_t dur)
{
    gen_opts_init(o);
    o->pattern = pattern;
    o->count = count;
    o->window = window;
    o->duration = dur;
}

/* Gap statistics of a whole stream. */
typedef struct stats {
    int64_t n;
    sim_time last;
    double sum, sumsq;          /* of the gaps, in ns */
} stats;

static stats
run_stats(const gen_opts *o)
{
    gen *g = make(o);
    sim_request r;
    stats s = {0};
    sim_time prev = 0;

    while (gen_next(g, &r)) {
        double gap = (double)(r.at - prev);
        assert_true(r.at >= prev);
        assert_int_equal(r.id, s.n + 1);
        s.sum += gap;
        s.sumsq += gap * gap;
        prev = r.at;
        s.n++;
    }
    s.last = prev;
    gen_free(g);
    return s;
}

/* ------------------------------------------------------------------ */

static void
test_constant_exact(void **state)
{
    gen_opts o;
    gen *g;
    sim_request r;
    int64_t k = 0;

    (void)state;
    opts(&o, GEN_CONSTANT, 7, 2 * NS, 10 * NS);
    g = make(&o);
    while (gen_next(g, &r)) {
        /* the k-th at ceil(k * 2s / 7) */
        assert_int_equal(r.at, (k * 2 * NS + 6) / 7);
        assert_int_equal(r.after, r.at);
        assert_int_equal(r.deadline, SIM_NEVER);
        assert_int_equal(r.cost, 1);
        assert_int_equal(r.priority, 0);
        k++;
    }
    assert_int_equal(k, 35);            /* [0, 10s) at 3.5/s */
    gen_free(g);
    opts(&o, GEN_CONSTANT, 3, NS, NS);
    g = make(&o);
    assert_int_equal(gen_next(g, &r), 1);
    assert_int_equal(r.at, 0);
    assert_int_equal(gen_next(g, &r), 1);
    assert_int_equal(r.at, 333333334);
    assert_int_equal(gen_next(g, &r), 1);
    assert_int_equal(r.at, 666666667);
    assert_int_equal(gen_next(g, &r), 0);
    assert_int_equal(gen_next(g, &r), 0);
    gen_free(g);
}

static void
test_poisson_rate_and_cv(void **state)
{
    gen_opts o;
    stats s;
    double mean, var, cv, rate;

    (void)state;
    opts(&o, GEN_POISSON, 1000, NS, 1000 * NS);
    o.seed = 42;
    s = run_stats(&o);
    rate = (double)s.n / 1000.0;
    mean = s.sum / (double)s.n;
    var = s.sumsq / (double)s.n - mean * mean;
    cv = sqrt(var) / mean;
    if (fabs(rate / 1000.0 - 1) > 0.005 || fabs(mean / 1e6 - 1) > 0.005 ||
        fabs(cv - 1) > 0.01)
        fail_msg("n %lld rate %.2f/s mean gap %.0f ns cv %.4f",
                 (long long)s.n, rate, mean, cv);
    assert_true(s.n > 990000 && s.n < 1010000);
}

static void
test_onoff_silent_when_off(void **state)
{
    gen_opts o;
    gen *g;
    sim_request r;
    int64_t n = 0, first_on = 0;

    (void)state;
    opts(&o, GEN_ONOFF, 100, NS, 300 * NS);
    o.on = 2 * NS;
    o.off = 3 * NS;
    g = make(&o);
    while (gen_next(g, &r)) {
        sim_time in_cycle = r.at % (5 * NS);
        if (in_cycle >= 2 * NS)
            fail_msg("arrival at %lld ns is in an off period",
                     (long long)r.at);
        first_on += r.at < 2 * NS;
        n++;
    }
    gen_free(g);
    /* 60 bursts of 2 s at 100/s: 12000 expected (sd ~110) */
    assert_true(n > 11500 && n < 12500);
    assert_true(first_on > 150 && first_on < 250);
}

static void
test_diurnal_intensity(void **state)
{
    gen_opts o;
    gen *g;
    sim_request r;
    int64_t n = 0, quarter[4] = {0};

    (void)state;
    opts(&o, GEN_DIURNAL, 100, NS, 1000 * NS);
    o.period = 100 * NS;
    o.depth = 0.8;
    g = make(&o);
    while (gen_next(g, &r)) {
        quarter[(r.at % (100 * NS)) / (25 * NS)]++;
        n++;
    }
    gen_free(g);
    /* 10 whole periods at a mean of 100/s: 100000 (sd ~320) */
    assert_true(n > 98500 && n < 101500);
    /* lowest around 0, highest around half the period: the middle two
     * quarters hold (1 + 0.8 * 2/pi) / 2 = 75.5% of the arrivals */
    assert_true(quarter[1] + quarter[2] > 0.74 * (double)n);
    assert_true(quarter[1] + quarter[2] < 0.77 * (double)n);
}

static void
test_pareto_mean_rate(void **state)
{
    gen_opts o;
    stats s;
    double xm = 1e7 * (3.0 - 1) / 3.0;

    (void)state;
    opts(&o, GEN_PARETO, 100, NS, 10000 * NS);
    o.shape = 3;
    s = run_stats(&o);
    /* 10^6 expected; the variance is finite for shape 3 */
    if (fabs((double)s.n / 1e6 - 1) > 0.01)
        fail_msg("pareto: %lld arrivals", (long long)s.n);
    /* no gap is shorter than the scale xm (but for rounding) */
    {
        gen *g = make(&o);
        sim_request r;
        sim_time prev = 0;
        for (int i = 0; i < 10000 && gen_next(g, &r); i++) {
            assert_true((double)(r.at - prev) >= xm - 1);
            prev = r.at;
        }
        gen_free(g);
    }
}

/* ------------------------------------------------------------------ */

static void
mixed_opts(gen_opts *o)
{
    opts(o, GEN_POISSON, 50, NS, 200 * NS);
    o->seed = 9;
    o->clients = 4;
    o->npriorities = 3;
    o->priorities[0] = (gen_choice){0, 70};
    o->priorities[1] = (gen_choice){1, 20};
    o->priorities[2] = (gen_choice){2, 10};
    o->ncosts = 2;
    o->costs[0] = (gen_choice){1, 90};
    o->costs[1] = (gen_choice){5, 10};
    o->has_after = 1;
    o->after_min = NS / 10;
    o->after_max = NS / 2;
    o->deadline = 3 * NS;
}

static void
test_deterministic(void **state)
{
    gen_opts o;
    gen *a, *b;
    sim_request ra, rb;
    int same = 1, n = 0;

    (void)state;
    mixed_opts(&o);
    a = make(&o);
    b = make(&o);
    while (gen_next(a, &ra)) {
        assert_int_equal(gen_next(b, &rb), 1);
        assert_int_equal(ra.id, rb.id);
        assert_int_equal(ra.at, rb.at);
        assert_int_equal(ra.after, rb.after);
        assert_int_equal(ra.deadline, rb.deadline);
        assert_int_equal(ra.cost, rb.cost);
        assert_int_equal(ra.priority, rb.priority);
        assert_int_equal(ra.client, rb.client);
        n++;
    }
    assert_int_equal(gen_next(b, &rb), 0);
    assert_true(n > 9000);
    gen_free(a);
    gen_free(b);
    /* another seed, other arrivals */
    a = make(&o);
    o.seed = 10;
    b = make(&o);
    for (int i = 0; i < 10 && gen_next(a, &ra) && gen_next(b, &rb); i++)
        same &= ra.at == rb.at;
    assert_false(same);
    gen_free(a);
    gen_free(b);
}

/* Adding or changing one option moves none of the other draws. */
static void
test_streams_independent(void **state)
{
    gen_opts plain, mixed, other;
    gen *a, *b, *c;
    sim_request ra, rb, rc;

    (void)state;
    mixed_opts(&mixed);
    opts(&plain, GEN_POISSON, 50, NS, 200 * NS);
    plain.seed = 9;
    other = mixed;
    other.ncosts = 0;                   /* costs off: priorities unmoved */
    other.clients = 7;
    a = make(&plain);
    b = make(&mixed);
    c = make(&other);
    while (gen_next(a, &ra)) {
        assert_int_equal(gen_next(b, &rb), 1);
        assert_int_equal(gen_next(c, &rc), 1);
        assert_int_equal(ra.at, rb.at);
        assert_int_equal(ra.id, rb.id);
        assert_int_equal(rb.priority, rc.priority);
        assert_int_equal(rb.after, rc.after);
        assert_int_equal(rc.cost, 1);
    }
    gen_free(a);
    gen_free(b);
    gen_free(c);
}

static void
test_weights_and_ranges(void **state)
{
    gen_opts o;
    gen *g;
    sim_request r;
    int64_t n = 0, prio[3] = {0}, cost5 = 0, client[4] = {0};

    (void)state;
    mixed_opts(&o);
    o.duration = 2000 * NS;             /* about 100000 requests */
    g = make(&o);
    while (gen_next(g, &r)) {
        assert_true(r.priority >= 0 && r.priority <= 2);
        assert_true(r.cost == 1 || r.cost == 5);
        assert_true(r.client < 4);
        assert_true(r.after >= r.at + NS / 10 && r.after <= r.at + NS / 2);
        assert_int_equal(r.deadline, r.after + 3 * NS);
        prio[r.priority]++;
        cost5 += r.cost == 5;
        client[r.client]++;
        n++;
    }
    gen_free(g);
    assert_true(n > 95000);
    /* within 1 percentage point (about 6 standard deviations) */
    assert_true(fabs((double)prio[0] / (double)n - 0.70) < 0.01);
    assert_true(fabs((double)prio[1] / (double)n - 0.20) < 0.01);
    assert_true(fabs((double)prio[2] / (double)n - 0.10) < 0.01);
    assert_true(fabs((double)cost5 / (double)n - 0.10) < 0.01);
    for (int i = 0; i < 4; i++)
        assert_true(fabs((double)client[i] / (double)n - 0.25) < 0.01);
}

static void
expect_refused(const gen_opts *o, const char *want)
{
    char err[256] = "";
    gen *g = NULL;

    assert_int_equal(gen_new(&g, o, err, sizeof err), 2);
    assert_null(g);
    if (!strstr(err, want))
        fail_msg("message \"%s\" lacks \"%s\"", err, want);
}

static void
test_bad_options(void **state)
{
    gen_opts o;

    (void)state;
    opts(&o, GEN_POISSON, 0, NS, NS);
    expect_refused(&o, "--rate");
    opts(&o, GEN_POISSON, 2 * NS, NS, NS);
    expect_refused(&o, "one request per nanosecond");
    opts(&o, GEN_POISSON, 1, NS, 0);
    expect_refused(&o, "--duration");
    opts(&o, GEN_ONOFF, 1, NS, NS);
    expect_refused(&o, "--on");
    opts(&o, GEN_DIURNAL, 1, NS, NS);
    expect_refused(&o, "--period");
    o.period = NS;
    o.depth = 1.5;
    expect_refused(&o, "--depth");
    opts(&o, GEN_PARETO, 1, NS, NS);
    o.shape = 1;
    expect_refused(&o, "--shape");
    opts(&o, GEN_POISSON, 1, NS, NS);
    o.has_after = 1;
    o.after_min = 2;
    o.after_max = 1;
    expect_refused(&o, "--after");
    opts(&o, GEN_POISSON, 1, NS, NS);
    o.npriorities = 1;
    o.priorities[0] = (gen_choice){1, 0};
    expect_refused(&o, "--priorities");
    assert_int_equal(gen_pattern_find("diurnal"), GEN_DIURNAL);
    assert_int_equal(gen_pattern_find("bursty"), -1);
    assert_string_equal(gen_pattern_name(GEN_PARETO), "pareto");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constant_exact),
        cmocka_unit_test(test_poisson_rate_and_cv),
        cmocka_unit_test(test_onoff_silent_when_off),
        cmocka_unit_test(test_diurnal_intensity),
        cmocka_unit_test(test_pareto_mean_rate),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_streams_independent),
        cmocka_unit_test(test_weights_and_ranges),
        cmocka_unit_test(test_bad_options),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
