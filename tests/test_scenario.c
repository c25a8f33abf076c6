/* SPDX-License-Identifier: MIT
 *
 * Tests for the scenario reader (sim/io/scenario.c): a scenario using every
 * key, the defaults of SPEC §4, stacked limits, each kind of bad input with
 * the exact one-line message a user sees, --algo overrides, and the file's
 * SHA-256. Each test writes its scenario to a temporary file, because the
 * reader's messages name the file.
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

#include "algos/algos.h"
#include "sim/io/scenario.h"

#define S (SIM_NS_PER_S)
#define MS (SIM_NS_PER_S / 1000)

/* A scenario written to a temporary file. */
typedef struct tmpf {
    char path[64];
} tmpf;

static void
tmp_write(tmpf *t, const char *text)
{
    int fd;
    size_t n = strlen(text);

    snprintf(t->path, sizeof t->path, "/tmp/test_scenario_XXXXXX");
    fd = mkstemp(t->path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
}

/* Loads text; the caller checks *cfg and calls scn_clear. */
static int
load_text(const char *text, sim_config *cfg, char *err, size_t errlen)
{
    tmpf t;
    int rc;

    tmp_write(&t, text);
    rc = scn_load(t.path, cfg, err, errlen);
    unlink(t.path);
    return rc;
}

/* Loads text, which must fail with "PATH:line: msg" and leave cfg empty.
 * line 0 means the message has no line ("PATH: msg"). */
static void
expect_error(const char *text, int line, const char *fmt, ...)
{
    char err[512], msg[400], want[512];
    sim_config cfg;
    va_list ap;
    tmpf t;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    tmp_write(&t, text);
    err[0] = '\0';
    assert_int_equal(scn_load(t.path, &cfg, err, sizeof err), 2);
    if (line > 0)
        snprintf(want, sizeof want, "%s:%d: %s", t.path, line, msg);
    else
        snprintf(want, sizeof want, "%s: %s", t.path, msg);
    unlink(t.path);
    assert_string_equal(err, want);
    assert_null(cfg.providers);
    assert_int_equal(cfg.nproviders, 0);
}

/* ------------------------------------------------------------------ */
/* Good scenarios                                                     */
/* ------------------------------------------------------------------ */

static const char full_ini[] =
    "; every key\n"
    "[sim]\n"
    "seed  = 42\n"
    "until = 1h            ; stop virtual time here\n"
    "queue = fifo\n"
    "route = ordered\n"
    "\n"
    "[provider P1]\n"
    "order       = 2\n"
    "algo        = token_bucket\n"
    "rate        = 5/s\n"
    "burst       = 10\n"
    "mode        = reject\n"
    "enabled     = no\n"
    "schedule    = on@100s, off@200s,on@250.5s\n"
    "latency     = exp:20ms\n"
    "concurrency = 3\n"
    "fail        = 0.01\n"
    "\n"
    "# a second provider with stacked limits\n"
    "[provider P2]\n"
    "  order = 1\n"
    "  limit = token_bucket 10/s burst=20\n"
    "  limit = fixed_window 500/1h\n"
    "  limit = concurrency 10\n"
    "  latency = uniform:10ms..30ms\n";

static void
test_full(void **state)
{
    sim_config c;
    char err[256] = "";
    const sim_provider_cfg *p1, *p2;

    (void)state;
    assert_int_equal(load_text(full_ini, &c, err, sizeof err), 0);
    assert_string_equal(err, "");
    assert_int_equal(c.seed, 42);
    assert_int_equal(c.until, 3600 * S);
    assert_int_equal(c.queue, SIM_QUEUE_FIFO);
    assert_int_equal(c.route, SIM_ROUTE_ORDERED);
    assert_int_equal(c.nproviders, 2);
    p2 = &c.providers[0]; /* sorted by order */
    p1 = &c.providers[1];
    assert_string_equal(p1->name, "P1");
    assert_int_equal(p1->order, 2);
    assert_int_equal(p1->mode, SIM_MODE_REJECT);
    assert_int_equal(p1->enabled, 0);
    assert_int_equal(p1->nlimits, 2);
    assert_ptr_equal(p1->limits[0].algo, algo_find("token_bucket"));
    assert_int_equal(p1->limits[0].p.count, 5);
    assert_int_equal(p1->limits[0].p.window, S);
    assert_int_equal(p1->limits[0].p.burst, 10);
    assert_int_equal(p1->limits[0].p.concurrency, 0);
    assert_ptr_equal(p1->limits[1].algo, algo_find("concurrency"));
    assert_int_equal(p1->limits[1].p.concurrency, 3);
    assert_int_equal(p1->latency.kind, SIM_LAT_EXP);
    assert_int_equal(p1->latency.a, 20 * MS);
    assert_true(p1->fail > 0.00999 && p1->fail < 0.01001);
    assert_int_equal(p1->nswitch, 3);
    assert_int_equal(p1->schedule[0].at, 100 * S);
    assert_int_equal(p1->schedule[0].on, 1);
    assert_int_equal(p1->schedule[1].at, 200 * S);
    assert_int_equal(p1->schedule[1].on, 0);
    assert_int_equal(p1->schedule[2].at, 250 * S + S / 2);
    assert_int_equal(p1->schedule[2].on, 1);

    assert_string_equal(p2->name, "P2");
    assert_int_equal(p2->order, 1);
    assert_int_equal(p2->nlimits, 3);
    assert_ptr_equal(p2->limits[0].algo, algo_find("token_bucket"));
    assert_int_equal(p2->limits[0].p.count, 10);
    assert_int_equal(p2->limits[0].p.burst, 20);
    assert_ptr_equal(p2->limits[1].algo, algo_find("fixed_window"));
    assert_int_equal(p2->limits[1].p.count, 500);
    assert_int_equal(p2->limits[1].p.window, 3600 * S);
    assert_int_equal(p2->limits[1].p.burst, 0);
    assert_ptr_equal(p2->limits[2].algo, algo_find("concurrency"));
    assert_int_equal(p2->limits[2].p.concurrency, 10);
    assert_int_equal(p2->latency.kind, SIM_LAT_UNIFORM);
    assert_int_equal(p2->latency.a, 10 * MS);
    assert_int_equal(p2->latency.b, 30 * MS);
    assert_int_equal(p2->mode, SIM_MODE_QUEUE);
    assert_int_equal(p2->enabled, 1);
    scn_clear(&c);
    assert_null(c.providers);
    assert_int_equal(c.nproviders, 0);
}

static void
test_defaults(void **state)
{
    sim_config c;
    char err[256] = "";

    (void)state;
    assert_int_equal(load_text("[provider B]\n"
                               "algo = token_bucket\n"
                               "rate = 2/s\n"
                               "\n"
                               "[provider A]\n"
                               "algo = fixed_window\n"
                               "rate = 1/s\n",
                               &c, err, sizeof err),
                     0);
    assert_int_equal(c.seed, 1);
    assert_int_equal(c.until, SIM_NEVER);
    assert_int_equal(c.queue, SIM_QUEUE_PRIORITY);
    assert_int_equal(c.route, SIM_ROUTE_ORDERED);
    assert_int_equal(c.nproviders, 2);
    assert_string_equal(c.providers[0].name, "B");
    assert_int_equal(c.providers[0].order, 1);
    assert_int_equal(c.providers[0].limits[0].p.burst, 2); /* = N */
    assert_string_equal(c.providers[1].name, "A");
    assert_int_equal(c.providers[1].order, 2);
    assert_int_equal(c.providers[1].limits[0].p.burst, 0); /* takes none */
    for (int i = 0; i < 2; i++) {
        const sim_provider_cfg *p = &c.providers[i];

        assert_int_equal(p->mode, SIM_MODE_QUEUE);
        assert_int_equal(p->enabled, 1);
        assert_int_equal(p->nlimits, 1);
        assert_int_equal(p->latency.kind, SIM_LAT_FIXED);
        assert_int_equal(p->latency.a, 0);
        assert_true(p->fail == 0.0);
        assert_int_equal(p->nswitch, 0);
        assert_null(p->schedule);
    }
    scn_clear(&c);
}

/* Values in their other spellings; order given on one, defaulted on the
 * other (position 2 is free). */
static void
test_spellings(void **state)
{
    sim_config c;
    char err[256] = "";

    (void)state;
    assert_int_equal(load_text("\xEF\xBB\xBF[sim]\r\n"
                               "seed = 18446744073709551615\r\n"
                               "until = 0\r\n"
                               "[provider x.y-z]\r\n"
                               "order = 5\r\n"
                               "algo = concurrency\r\n"
                               "concurrency = 4\r\n"
                               "enabled = off\r\n"
                               "latency = 1.5s\r\n"
                               "fail = 1\r\n"
                               "[provider q]\r\n"
                               "algo: fixed_window\r\n"
                               "rate: 3/2s\r\n"
                               "enabled = true\r\n"
                               "latency = fixed:7ms\r\n",
                               &c, err, sizeof err),
                     0);
    assert_string_equal(err, "");
    assert_true(c.seed == UINT64_MAX);
    assert_int_equal(c.until, 0);
    assert_string_equal(c.providers[0].name, "q");
    assert_int_equal(c.providers[0].order, 2);
    assert_int_equal(c.providers[0].enabled, 1);
    assert_int_equal(c.providers[0].limits[0].p.window, 2 * S);
    assert_int_equal(c.providers[0].latency.a, 7 * MS);
    assert_string_equal(c.providers[1].name, "x.y-z");
    /* algo = concurrency takes its n from the key: one limit, not two */
    assert_int_equal(c.providers[1].nlimits, 1);
    assert_ptr_equal(c.providers[1].limits[0].algo, algo_find("concurrency"));
    assert_int_equal(c.providers[1].limits[0].p.concurrency, 4);
    assert_int_equal(c.providers[1].enabled, 0);
    assert_int_equal(c.providers[1].latency.a, 1500 * MS);
    assert_true(c.providers[1].fail == 1.0);
    scn_clear(&c);
}

static void
test_stacked_limits(void **state)
{
    sim_config c;
    char err[256] = "";
    const sim_provider_cfg *p;

    (void)state;
    assert_int_equal(load_text("[provider P]\n"
                               "limit = token_bucket 10/s\n"
                               "limit = fixed_window 500/1h\n"
                               "limit = token_bucket rate=3/2s burst=1\n"
                               "concurrency = 2\n",
                               &c, err, sizeof err),
                     0);
    assert_string_equal(err, "");
    p = &c.providers[0];
    assert_int_equal(p->nlimits, 4);
    assert_int_equal(p->limits[0].p.count, 10);
    assert_int_equal(p->limits[0].p.burst, 10); /* defaults to N */
    assert_int_equal(p->limits[1].p.count, 500);
    assert_int_equal(p->limits[1].p.burst, 0);
    assert_int_equal(p->limits[2].p.count, 3);
    assert_int_equal(p->limits[2].p.window, 2 * S);
    assert_int_equal(p->limits[2].p.burst, 1);
    /* the concurrency key comes on top of the limit lines */
    assert_ptr_equal(p->limits[3].algo, algo_find("concurrency"));
    assert_int_equal(p->limits[3].p.concurrency, 2);
    scn_clear(&c);
}

/* ------------------------------------------------------------------ */
/* Bad input: one exact message each                                  */
/* ------------------------------------------------------------------ */

#define TB "algo = token_bucket\nrate = 1/s\n"

static void
test_err_keys_and_sections(void **state)
{
    (void)state;
    expect_error("[provider P1]\n" TB "colour = red\n", 4,
                 "colour: unknown key in [provider P1] (order, algo, rate, "
                 "burst, mode, enabled, schedule, latency, concurrency, "
                 "fail, limit, nodes, node_by, shared, atomic, rtt, clock, "
                 "skew, split, sync, max_permits, min_interval, poll)");
    expect_error("[sim]\nspeed = 2\n", 2,
                 "speed: unknown key in [sim] (seed, until, queue, route)");
    expect_error("[sim]\n[foo bar]\n", 2,
                 "[foo bar]: unknown section (sim, provider NAME, client "
                 "NAME)");
    expect_error("[client alice]\ncolour = red\n", 2,
                 "colour: unknown key in [client alice] (quota, quota_algo, "
                 "on_reject, weight)");
    expect_error("[client alice]\n[client alice]\n", 2,
                 "client: duplicate name \"alice\" (first at line 1)");
    expect_error("seed = 1\n", 1,
                 "seed: outside any section (put it under [sim] or "
                 "[provider NAME])");
    expect_error("[sim]\nseed = 1\nseed = 2\n", 3,
                 "seed: given twice (first at line 2)");
    expect_error("[provider P]\n" TB "rate = 2/s\n", 4,
                 "rate: given twice (first at line 3)");
    expect_error("[sim]\n[sim]\n", 2, "[sim]: duplicate section (first at "
                                      "line 1)");
    expect_error("[provider P]\n" TB "[provider P]\n" TB, 4,
                 "provider: duplicate name \"P\" (first at line 1)");
    expect_error("[provider]\n" TB, 1,
                 "provider: a name is 1 to 63 letters, digits or _-.:/@+, "
                 "got \"\"");
    expect_error("[provider a b]\n" TB, 1,
                 "provider: a name is 1 to 63 letters, digits or _-.:/@+, "
                 "got \"a b\"");
    expect_error("[sim\n", 1, "expected \"]\" to close the section header");
    expect_error("[sim]\nseed 1\n", 2,
                 "expected \"key = value\" or \"[section]\", got \"seed 1\"");
    expect_error("[sim]\n", 0, "no [provider NAME] section");
}

static void
test_err_algorithms(void **state)
{
    char names[512];

    (void)state;
    algo_names(names, sizeof names);
    expect_error("[provider P]\nalgo = nope\nrate = 1/s\n", 2,
                 "algo: unknown algorithm \"nope\" (known: %s)", names);
    expect_error("[provider P]\nlimit = nope 1/s\n", 2,
                 "limit: unknown algorithm \"nope\" (known: %s)", names);
    expect_error("[provider P]\nrate = 1/s\n", 1,
                 "algo: missing; rate and burst need an algorithm "
                 "(known: %s)", names);
    expect_error("[provider P]\nburst = 2\nalgo = fixed_window\nrate = 1/s\n",
                 2, "burst: fixed_window takes no burst");
    expect_error("[provider P]\nalgo = concurrency\nrate = 1/s\n"
                 "concurrency = 2\n",
                 3, "rate: concurrency takes no rate");
    expect_error("[provider P]\nmode = reject\nalgo = token_bucket\n", 1,
                 "rate: token_bucket needs a rate");
    expect_error("[provider P]\nalgo = concurrency\n", 1,
                 "concurrency: concurrency needs a concurrency");
    expect_error("[provider P]\nlimit = token_bucket\n", 2,
                 "limit: token_bucket needs a rate");
    expect_error("[provider P]\nlimit = fixed_window 5/s burst=2\n", 2,
                 "limit: fixed_window takes no burst");
    expect_error("[provider P]\nlimit = token_bucket 5/s 7\n", 2,
                 "limit: unexpected \"7\" after token_bucket");
    expect_error("[provider P]\nlimit = token_bucket 5/s depth=7\n", 2,
                 "limit: unknown parameter \"depth\" (rate, burst, "
                 "concurrency)");
    expect_error("[provider P]\nlimit = token_bucket 5/s burst=0\n", 2,
                 "limit: burst: expected an integer >= 1, got \"0\"");
    expect_error("[provider P]\nlimit = concurrency 0\n", 2,
                 "limit: concurrency: expected an integer >= 1, got \"0\"");
    expect_error("[provider P]\nmode = queue\n", 1,
                 "provider P: no limit (give algo and rate, or limit lines)");
    expect_error("[provider P]\nalgo = token_bucket\nlimit = "
                 "fixed_window 1/s\n",
                 3, "limit: use either algo/rate/burst or limit lines, not "
                    "both (algo at line 2)");
    expect_error("[provider P]\nlimit = fixed_window 1/s\nburst = 3\n", 3,
                 "burst: use either algo/rate/burst or limit lines, not "
                 "both (limit at line 2)");
}

static void
test_err_too_many_limits(void **state)
{
    char text[1024] = "[provider P]\n";

    (void)state;
    for (int i = 0; i <= SIM_MAX_LIMITS; i++)
        strcat(text, "limit = fixed_window 1/s\n");
    expect_error(text, SIM_MAX_LIMITS + 2,
                 "limit: a provider has at most %d limits", SIM_MAX_LIMITS);
}

static void
test_err_values(void **state)
{
    (void)state;
    expect_error("[provider P]\nalgo = token_bucket\nrate = fast\n", 3,
                 "rate: expected a rate COUNT/PERIOD (like 5/s or 100/1m), "
                 "got \"fast\"");
    expect_error("[provider P]\nalgo = token_bucket\nrate = 0/s\n", 3,
                 "rate: the count must be at least 1, got \"0/s\"");
    expect_error("[provider P]\nalgo = token_bucket\nrate = -3/s\n", 3,
                 "rate: the count must be at least 1, got \"-3/s\"");
    expect_error("[provider P]\nalgo = fixed_window\nrate = 3/0s\n", 3,
                 "rate: the period must be longer than 0, got \"3/0s\"");
    expect_error("[provider P]\n" TB "burst = 0\n", 4,
                 "burst: expected an integer >= 1, got \"0\"");
    expect_error("[provider P]\n" TB "order = 0\n", 4,
                 "order: expected an integer from 1 to 2147483647, "
                 "got \"0\"");
    expect_error("[provider P]\n" TB "concurrency = -1\n", 4,
                 "concurrency: expected an integer >= 0, got \"-1\"");
    expect_error("[provider P]\n" TB "mode = police\n", 4,
                 "mode: expected queue or reject, got \"police\"");
    expect_error("[provider P]\n" TB "enabled = maybe\n", 4,
                 "enabled: expected yes, no, true, false, 1, 0, on or off, "
                 "got \"maybe\"");
    expect_error("[provider P]\n" TB "fail = 1.5\n", 4,
                 "fail: expected a probability from 0 to 1, got \"1.5\"");
    expect_error("[provider P]\n" TB "fail = -0.1\n", 4,
                 "fail: expected a probability from 0 to 1, got \"-0.1\"");
    expect_error("[sim]\nseed = -1\n", 2,
                 "seed: expected an integer from 0 to 18446744073709551615, "
                 "got \"-1\"");
    expect_error("[sim]\nuntil = soon\n", 2,
                 "until: expected a duration (like 1.5s or 250ms), "
                 "got \"soon\"");
    expect_error("[sim]\nqueue = lifo\n", 2,
                 "queue: expected one of priority, fifo, edf, wfq, got "
                 "\"lifo\"");
    expect_error("[sim]\nroute = random\n", 2,
                 "route: expected one of ordered, round_robin, least_loaded, "
                 "got \"random\"");
}

static void
test_err_order(void **state)
{
    (void)state;
    expect_error("[provider A]\n" TB "order = 1\n"
                 "[provider B]\n" TB "order = 1\n",
                 8, "order: 1 is already the order of provider A (line 4)");
    /* B defaults to its position, 2, which A took explicitly */
    expect_error("[provider A]\n" TB "order = 2\n"
                 "[provider B]\n" TB,
                 5, "order: provider B has no order and its position, 2, "
                    "is already the order of provider A (line 4)");
    /* A defaulted to 1; B asks for 1 too */
    expect_error("[provider A]\n" TB "[provider B]\norder = 1\n" TB, 5,
                 "order: 1 is already the order of provider A (line 1)");
}

static void
test_err_schedule_latency(void **state)
{
    (void)state;
    expect_error("[provider P]\n" TB "schedule = off100s\n", 4,
                 "schedule: expected on@TIME or off@TIME, got \"off100s\"");
    expect_error("[provider P]\n" TB "schedule = off@100s, up@200s\n", 4,
                 "schedule: expected on@TIME or off@TIME, got \"up@200s\"");
    expect_error("[provider P]\n" TB "schedule = off@200s, on@100s\n", 4,
                 "schedule: on@100s is not after off@200s (times must "
                 "increase)");
    expect_error("[provider P]\n" TB "schedule = off@1s, on@1s\n", 4,
                 "schedule: on@1s is not after off@1s (times must "
                 "increase)");
    expect_error("[provider P]\n" TB "schedule = off@1x\n", 4,
                 "schedule: unknown unit (use ns, us, ms, s, m or h), "
                 "got \"off@1x\"");
    expect_error("[provider P]\n" TB "latency = uniform:30ms..10ms\n", 4,
                 "latency: the low end is above the high end, "
                 "got \"uniform:30ms..10ms\"");
    expect_error("[provider P]\n" TB "latency = lognormal:20ms,11\n", 4,
                 "latency: sigma must be a number from 0 to 10, got "
                 "\"lognormal:20ms,11\"");
    expect_error("[provider P]\n" TB "latency = gauss:20ms\n", 4,
                 "latency: unknown model \"gauss\" (like 20ms, exp:20ms, "
                 "uniform:10ms..30ms)");
}

static void
test_err_missing_file(void **state)
{
    sim_config c;
    char err[256];
    char hex[65];

    (void)state;
    assert_int_equal(scn_load("/nonexistent/s.ini", &c, err, sizeof err), 2);
    assert_string_equal(err, "/nonexistent/s.ini: No such file or directory");
    assert_null(c.providers);
    assert_int_not_equal(scn_sha256("/nonexistent/s.ini", hex), 0);
}

/* ------------------------------------------------------------------ */
/* --algo and SHA-256                                                 */
/* ------------------------------------------------------------------ */

static void
test_override(void **state)
{
    sim_config c;
    char err[256] = "", names[512], want[600];
    const sim_provider_cfg *p;

    (void)state;
    assert_int_equal(load_text("[provider P]\n"
                               "limit = token_bucket 5/s burst=9\n"
                               "limit = fixed_window 100/1m\n"
                               "concurrency = 3\n",
                               &c, err, sizeof err),
                     0);
    p = &c.providers[0];
    assert_int_equal(scn_override_algo(&c, "fixed_window", err, sizeof err),
                     0);
    assert_ptr_equal(p->limits[0].algo, algo_find("fixed_window"));
    assert_int_equal(p->limits[0].p.count, 5);
    assert_int_equal(p->limits[0].p.window, S);
    assert_int_equal(p->limits[0].p.burst, 0); /* dropped */
    assert_int_equal(p->limits[1].p.count, 100);
    assert_ptr_equal(p->limits[2].algo, algo_find("concurrency"));
    assert_int_equal(p->limits[2].p.concurrency, 3);

    assert_int_equal(scn_override_algo(&c, "token_bucket", err, sizeof err),
                     0);
    assert_ptr_equal(p->limits[0].algo, algo_find("token_bucket"));
    assert_int_equal(p->limits[0].p.burst, 5); /* defaulted to N */
    assert_int_equal(p->limits[1].p.burst, 100);
    assert_ptr_equal(p->limits[2].algo, algo_find("concurrency"));

    algo_names(names, sizeof names);
    snprintf(want, sizeof want,
             "--algo: unknown algorithm \"x\" (known: %s)", names);
    assert_int_equal(scn_override_algo(&c, "x", err, sizeof err), 2);
    assert_string_equal(err, want);
    assert_int_equal(scn_override_algo(&c, "concurrency", err, sizeof err),
                     2);
    assert_string_equal(err, "--algo: concurrency takes no rate, so it "
                             "cannot replace a rate limit");
    /* failures leave the config as it was */
    assert_ptr_equal(p->limits[0].algo, algo_find("token_bucket"));
    assert_int_equal(p->limits[0].p.burst, 5);
    scn_clear(&c);
}

static void
test_override_keeps_burst(void **state)
{
    sim_config c;
    char err[256] = "";

    (void)state;
    assert_int_equal(load_text("[provider P]\nalgo = token_bucket\n"
                               "rate = 2/s\nburst = 7\n",
                               &c, err, sizeof err),
                     0);
    assert_int_equal(scn_override_algo(&c, "token_bucket", err, sizeof err),
                     0);
    assert_int_equal(c.providers[0].limits[0].p.burst, 7);
    scn_clear(&c);
}

static void
test_sha256(void **state)
{
    tmpf t;
    char hex[65], cmd[128], line[128] = "";
    FILE *f;

    (void)state;
    tmp_write(&t, "abc");
    assert_int_equal(scn_sha256(t.path, hex), 0);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
                             "b00361a396177a9cb410ff61f20015ad");
    unlink(t.path);

    tmp_write(&t, full_ini);
    assert_int_equal(scn_sha256(t.path, hex), 0);
    snprintf(cmd, sizeof cmd, "sha256sum %s", t.path);
    f = popen(cmd, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    pclose(f);
    unlink(t.path);
    line[64] = '\0';
    assert_string_equal(hex, line);
}

/* [client] sections: quota (fixed_window unless quota_algo says), the
 * three reactions, weight; and their errors. */
static void
test_clients(void **state)
{
    sim_config cfg;
    char err[512] = "";
    tmpf t;

    (void)state;
    tmp_write(&t, "[sim]\nqueue = wfq\nroute = least_loaded\n"
                  "[provider P]\n" TB
                  "[client alice]\nquota = 60/1m\non_reject = wait_reset\n"
                  "weight = 2\n"
                  "[client bob]\non_reject = retry:expo,base=100ms,max=5,"
                  "jitter=full\nquota = 10/s\nquota_algo = token_bucket\n"
                  "[client carol]\n");
    assert_int_equal(scn_load(t.path, &cfg, err, sizeof err), 0);
    unlink(t.path);
    assert_int_equal(cfg.queue, SIM_QUEUE_WFQ);
    assert_int_equal(cfg.route, SIM_ROUTE_LEAST_LOADED);
    assert_int_equal(cfg.nclients, 3);
    assert_string_equal(cfg.clients[0].name, "alice");
    assert_true(cfg.clients[0].has_quota);
    assert_string_equal(cfg.clients[0].quota.algo->name, "fixed_window");
    assert_int_equal(cfg.clients[0].quota.p.count, 60);
    assert_int_equal(cfg.clients[0].quota.p.window, 60 * SIM_NS_PER_S);
    assert_int_equal(cfg.clients[0].react, SIM_REACT_WAIT_RESET);
    assert_int_equal(cfg.clients[0].weight, 2);
    assert_int_equal(cfg.clients[1].react, SIM_REACT_RETRY);
    assert_int_equal(cfg.clients[1].retry_base, 100000000);
    assert_int_equal(cfg.clients[1].retry_max, 5);
    assert_int_equal(cfg.clients[1].jitter, SIM_JITTER_FULL);
    assert_string_equal(cfg.clients[1].quota.algo->name, "token_bucket");
    assert_int_equal(cfg.clients[1].quota.p.burst, 10);
    assert_false(cfg.clients[2].has_quota);
    assert_int_equal(cfg.clients[2].react, SIM_REACT_DROP);
    assert_int_equal(cfg.clients[2].weight, 1);
    scn_clear(&cfg);

    expect_error("[client a]\non_reject = retry:expo,base=1s\n", 2,
                 "on_reject: retry needs max=M (retries), got "
                 "\"retry:expo,base=1s\"");
    expect_error("[client a]\non_reject = retry:expo,max=3\n", 2,
                 "on_reject: retry needs base=DURATION > 0, got "
                 "\"retry:expo,max=3\"");
    expect_error("[client a]\non_reject = sulk\n", 2,
                 "on_reject: expected drop, wait_reset or "
                 "retry:expo,base=B,max=M, got \"sulk\"");
    expect_error("[client a]\non_reject = retry:expo,base=1s,max=2,"
                 "jitter=some\n", 2, "on_reject: jitter is none, full or "
                 "equal, got \"retry:expo,base=1s,max=2,jitter=some\"");
    expect_error("[client a]\nquota = 0/s\n", 2,
                 "quota: the count must be at least 1, got \"0/s\"");
    expect_error("[client a]\nweight = 0\n", 2,
                 "weight: expected an integer from 1 to 1000000, got \"0\"");
    expect_error("[client a]\nquota_algo = gcra\n", 2,
                 "quota_algo: needs a quota = N/W");
}

/* Distributed providers: the keys, their defaults, and their errors. */
static void
test_distributed(void **state)
{
    sim_config cfg;
    char err[512] = "";
    tmpf t;

    (void)state;
    tmp_write(&t, "[provider A]\n" TB "nodes = 8\natomic = no\n"
                  "rtt = exp:2ms\nskew = 5ms\nnode_by = round_robin\n"
                  "[provider B]\nalgo = fixed_window\nrate = 8/s\n"
                  "nodes = 4\nshared = local\n");
    assert_int_equal(scn_load(t.path, &cfg, err, sizeof err), 0);
    unlink(t.path);
    assert_int_equal(cfg.providers[0].nodes, 8);
    assert_int_equal(cfg.providers[0].shared, SIM_SHARED_CENTRAL);
    assert_int_equal(cfg.providers[0].atomic, 0);
    assert_int_equal(cfg.providers[0].rtt.kind, SIM_LAT_EXP);
    assert_int_equal(cfg.providers[0].rtt.a, 2000000);
    assert_int_equal(cfg.providers[0].skew, 5000000);
    assert_int_equal(cfg.providers[0].node_by, SIM_NODE_BY_ROUND_ROBIN);
    assert_int_equal(cfg.providers[1].shared, SIM_SHARED_LOCAL);
    scn_clear(&cfg);

    expect_error("[provider A]\n" TB "nodes = 0\n", 4,
                 "nodes: expected an integer from 1 to 1024, got \"0\"");
    expect_error("[provider A]\n" TB "nodes = 2\nrtt = -1ms\n", 5,
                 "rtt: must not be negative, got \"-1ms\"");
    expect_error("[provider A]\n" TB "nodes = 2\nshared = local\n"
                 "atomic = no\n", 6, "atomic: only with shared = central");
    expect_error("[provider A]\n" TB "rtt = 2ms\n", 4,
                 "rtt: needs nodes = K (a distributed provider)");
    expect_error("[provider A]\n" TB "nodes = 2\nmax_permits = 2\n", 5,
                 "max_permits: goes with min_interval");
    expect_error("[provider A]\n" TB "nodes = 2\nclock = atomic\n", 5,
                 "clock: expected store or node, got \"atomic\"");
    expect_error("[provider A]\n" TB "nodes = 2\nshared = local\n"
                 "clock = node\n", 6, "clock: only with shared = central");
    expect_error("[provider A]\n" TB "nodes = 2\nshared = local\n"
                 "split = sync\n", 6,
                 "split: split = sync and sync = D go together");
    expect_error("[provider A]\n" TB "nodes = 2\nsync = 1s\n", 5,
                 "sync: only with shared = local");
    expect_error("[provider A]\n" TB "poll = 1s\n", 4,
                 "poll: needs nodes = K (a distributed provider)");
    expect_error("[provider A]\nalgo = fixed_window\nrate = 3/s\n"
                 "nodes = 4\nshared = local\n", 4,
                 "nodes: 4 nodes cannot split a limit of 3 evenly "
                 "(shared = local)");
    expect_error("[provider A]\n" TB "nodes = 2\nconcurrency = 4\n", 1,
                 "nodes: a distributed provider takes rate limits only, not "
                 "concurrency");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_spellings),
        cmocka_unit_test(test_stacked_limits),
        cmocka_unit_test(test_err_keys_and_sections),
        cmocka_unit_test(test_clients),
        cmocka_unit_test(test_distributed),
        cmocka_unit_test(test_err_algorithms),
        cmocka_unit_test(test_err_too_many_limits),
        cmocka_unit_test(test_err_values),
        cmocka_unit_test(test_err_order),
        cmocka_unit_test(test_err_schedule_latency),
        cmocka_unit_test(test_err_missing_file),
        cmocka_unit_test(test_override),
        cmocka_unit_test(test_override_keeps_burst),
        cmocka_unit_test(test_sha256),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
