/* SPDX-License-Identifier: MIT
 *
 * Tests for scenario overlays (sim/io/overlay.c) and the scenario reader's
 * text entry point (scn_load_text): the lines each flag makes, the items
 * that keep their ":" and ",", --set replacing a key in place (every line
 * of a repeated key) or adding it, the [sim] made when missing, sections
 * before keys, the origins that the reader's messages start with, and the
 * malformed flags the overlay refuses itself.
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

#include "sim/io/overlay.h"
#include "sim/io/scenario.h"

#define PROV(a) { OVL_PROVIDER, (a), NULL }
#define CLIENT(a) { OVL_CLIENT, (a), NULL }
#define SIMF(a) { OVL_SIM, (a), NULL }
#define SET(a) { OVL_SET, (a), NULL }

/* A scenario file with text; path is filled in. */
static void
file_with(char path[64], const char *text)
{
    FILE *f;
    int fd;

    snprintf(path, 64, "/tmp/test_overlay_XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Builds path (or none) with flags; the text must be want. */
static void
expect_text(const char *path, const ovl_flag *flags, int n, const char *want)
{
    char err[512] = "";
    ovl *o = NULL;
    int rc = ovl_build(&o, path, flags, n, err, sizeof err);

    if (rc != 0)
        fail_msg("ovl_build: %s", err);
    assert_string_equal(ovl_text(o, NULL), want);
    ovl_free(o);
}

/* Builds and reads the scenario; the reader's message must be want (or
 * it must succeed when want is NULL). */
static void
expect_load(const char *path, const ovl_flag *flags, int n, const char *want)
{
    char err[512] = "";
    const char *const *where;
    const char *text;
    sim_config cfg;
    size_t len;
    ovl *o = NULL;
    int nl, rc;

    assert_int_equal(ovl_build(&o, path, flags, n, err, sizeof err), 0);
    text = ovl_text(o, &len);
    where = ovl_where(o, &nl);
    rc = scn_load_text(ovl_name(o), text, len, where, nl, &cfg, err,
                       sizeof err);
    ovl_free(o);
    if (!want) {
        if (rc != 0)
            fail_msg("scn_load_text: %s", err);
        scn_clear(&cfg);
        return;
    }
    assert_int_equal(rc, 2);
    assert_string_equal(err, want);
}

/* The overlay itself refuses the flags, with want. */
static void
expect_refused(const char *path, const ovl_flag *flags, int n,
               const char *want)
{
    char err[512] = "";
    ovl *o = NULL;

    assert_int_equal(ovl_build(&o, path, flags, n, err, sizeof err), 2);
    assert_null(o);
    assert_string_equal(err, want);
}

static void
test_provider_items(void **state)
{
    const ovl_flag f[] = {
        PROV("P1:token_bucket:10/s:burst=5:latency=exp:20ms:fail=0.01"),
        PROV("P2:concurrency:4"),
        CLIENT("web:quota=60/1m:on_reject=retry:expo,base=100ms,max=2"),
        SIMF("queue=edf,seed=3"),
    };

    (void)state;
    expect_text(NULL, f, 4,
                "[sim]\nqueue = edf\nseed = 3\n\n"
                "[provider P1]\nalgo = token_bucket\nrate = 10/s\n"
                "burst = 5\nlatency = exp:20ms\nfail = 0.01\n\n"
                "[provider P2]\nalgo = concurrency\nconcurrency = 4\n\n"
                "[client web]\nquota = 60/1m\n"
                "on_reject = retry:expo,base=100ms,max=2\n");
    expect_load(NULL, f, 4, NULL);
}

static void
test_set_in_place(void **state)
{
    char path[64];
    const ovl_flag f[] = { SET("P.burst=9"), SET("sim.seed=4"),
                           SET("P.latency=5ms") };
    const ovl_flag g[] = { SET("Q.limit=gcra 2/s") };

    (void)state;
    file_with(path, "[sim]\nseed = 1 ; the seed\n[provider P]\n"
                    "algo = gcra\nrate = 5/s\nburst = 2\n; note\n\n"
                    "[provider Q]\nlimit = gcra 1/s\nlimit = fixed_window "
                    "9/1m\n");
    expect_text(path, f, 3,
                "[sim]\nseed = 4\n[provider P]\nalgo = gcra\nrate = 5/s\n"
                "burst = 9\nlatency = 5ms\n; note\n\n[provider Q]\n"
                "limit = gcra 1/s\nlimit = fixed_window 9/1m\n");
    /* Every line of a repeated key becomes the one given. */
    expect_text(path, g, 1,
                "[sim]\nseed = 1 ; the seed\n[provider P]\nalgo = gcra\n"
                "rate = 5/s\nburst = 2\n; note\n\n[provider Q]\n"
                "limit = gcra 2/s\n");
    /* Without flags the file comes back as it is. */
    expect_text(path, NULL, 0,
                "[sim]\nseed = 1 ; the seed\n[provider P]\nalgo = gcra\n"
                "rate = 5/s\nburst = 2\n; note\n\n[provider Q]\n"
                "limit = gcra 1/s\nlimit = fixed_window 9/1m\n");
    unlink(path);
}

static void
test_sections_before_keys(void **state)
{
    const ovl_flag f[] = { SET("sim.seed=8"), SET("A.burst=3"),
                           PROV("A:gcra:1/s") };

    (void)state;
    /* [sim] is made at the top; --set reaches a later --provider. */
    expect_text(NULL, f, 3,
                "[sim]\nseed = 8\n\n[provider A]\nalgo = gcra\n"
                "rate = 1/s\nburst = 3\n");
}

static void
test_origins(void **state)
{
    char path[64], want[256];
    const ovl_flag bad_rate[] = { PROV("P:token_bucket:fast") };
    const ovl_flag bad_set[] = { SET("P.burst=0") };
    const ovl_flag grid[] = { { OVL_SET, "P.burst=x", "--grid P.burst=x" } };
    const ovl_flag dup[] = { PROV("P:gcra:1/s") };

    (void)state;
    expect_load(NULL, bad_rate, 1, "--provider P:token_bucket:fast: rate: "
                "expected a rate COUNT/PERIOD (like 5/s or 100/1m), got "
                "\"fast\"");
    file_with(path, "[provider P]\nalgo = gcra\nrate = 5/s\n");
    expect_load(path, bad_set, 1, "--set P.burst=0: burst: expected an "
                "integer >= 1, got \"0\"");
    expect_load(path, grid, 1, "--grid P.burst=x: burst: expected an "
                "integer, got \"x\"");
    snprintf(want, sizeof want, "--provider P:gcra:1/s: provider: "
             "duplicate name \"P\" (first at %s:1)", path);
    expect_load(path, dup, 1, want);
    unlink(path);
    /* Without provider sections: the whole text's name. */
    expect_load(NULL, (ovl_flag[]){ SIMF("seed=1") }, 1,
                "flags: no [provider NAME] section");
}

static void
test_refused(void **state)
{
    char path[64];

    (void)state;
    file_with(path, "[provider P]\nalgo = gcra\nrate = 5/s\n"
                    "[client P]\nweight = 2\n");
    expect_refused(path, (ovl_flag[]){ SET("burst=2") }, 1,
                   "--set burst=2: expected SECTION.KEY=VALUE (sim.seed=7, "
                   "P1.burst=20, alice.quota=100/1m)");
    expect_refused(path, (ovl_flag[]){ SET("Z.burst=2") }, 1,
                   "--set Z.burst=2: no provider or client named \"Z\" "
                   "(sim, or a name the scenario has; --provider and "
                   "--client add one)");
    expect_refused(path, (ovl_flag[]){ SET("P.weight=3") }, 1,
                   "--set P.weight=3: P is a provider and a client: write "
                   "provider.P.weight or client.P.weight");
    expect_refused(path, (ovl_flag[]){ SET("P.b urst=3") }, 1,
                   "--set P.b urst=3: \"b urst\" is not a key name");
    expect_refused(NULL, (ovl_flag[]){ PROV("Q:gcra:1/s:extra:more") }, 1,
                   "--provider Q:gcra:1/s:extra:more: unexpected \"extra\" "
                   "(NAME:ALGO:RATE[:KEY=VALUE]...)");
    expect_refused(NULL, (ovl_flag[]){ CLIENT("c:60/1m") }, 1,
                   "--client c:60/1m: unexpected \"60/1m\" "
                   "(NAME[:KEY=VALUE]...)");
    expect_refused(NULL, (ovl_flag[]){ SIMF("seed") }, 1,
                   "--sim seed: expected KEY=VALUE[,KEY=VALUE]... "
                   "(queue=edf,seed=3), got \"seed\"");
    expect_refused(NULL, (ovl_flag[]){ SET("sim.seed=1\n[sim]") }, 1,
                   "--set: a value cannot hold a line break");
    expect_refused("/nonexistent/s.ini", NULL, 0,
                   "/nonexistent/s.ini: No such file or directory");
    /* provider.NAME picks the provider of a name both have. */
    expect_load(path, (ovl_flag[]){ SET("client.P.weight=3") }, 1, NULL);
    unlink(path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_provider_items),
        cmocka_unit_test(test_set_in_place),
        cmocka_unit_test(test_sections_before_keys),
        cmocka_unit_test(test_origins),
        cmocka_unit_test(test_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
