/* SPDX-License-Identifier: MIT
 *
 * A sweep's grid (see grid.h). Each axis keeps, per value, the --set text
 * and the name it goes by in messages, made once when the axis is read,
 * so a run's flags are pointers into the grid. Only the form of a --grid
 * value is checked here (KEY=..., a non-empty list); what the value means
 * is for the scenario reader, which the sweep asks about every point
 * before it runs any.
 */
#include "sim/cli/grid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algos/algos.h"
#include "sim/engine.h"
#include "sim/io/units.h"

#define GRID_RANGE_MAX 100000   /* values one A..B may stand for */

#define GRID_ORIGIN "--grid "

/* Appends a copy of s (len bytes) to a growing array of strings. */
static int
push_str(char ***v, int *n, const char *s, size_t len)
{
    char **nv = realloc(*v, (size_t)(*n + 1) * sizeof *nv);
    char *d = malloc(len + 1);

    if (nv)
        *v = nv;
    if (!nv || !d) {
        free(d);
        return -1;
    }
    memcpy(d, s, len);
    d[len] = '\0';
    nv[(*n)++] = d;
    return 0;
}

static void
free_strs(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* The next piece of a sep-separated list at *p: its length; *p moves to
 * the piece after it, or to NULL after the last. */
static size_t
next_piece(const char **p, char sep, const char **piece)
{
    const char *e = strchr(*p, sep);
    size_t n = e ? (size_t)(e - *p) : strlen(*p);

    *piece = *p;
    *p = e ? e + 1 : NULL;
    return n;
}

/* "A..B" with A <= B, both non-negative integers: 1, and the bounds. */
static int
int_range(const char *s, size_t n, int64_t *a, int64_t *b)
{
    char buf[64], *dots;

    if (n >= sizeof buf)
        return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (!(dots = strstr(buf, "..")))
        return 0;
    *dots = '\0';
    return !units_parse_int(buf, 0, INT64_MAX, a) &&
           !units_parse_int(dots + 2, 0, INT64_MAX, b) && *a <= *b;
}

/* One value of an axis, kept as "--grid KEY=VALUE". */
static int
add_value(grid_axis *ax, const char *v, size_t n)
{
    size_t len = strlen(GRID_ORIGIN) + strlen(ax->key) + 1 + n;
    char *buf = malloc(len + 1);
    int rc;

    if (!buf)
        return -1;
    snprintf(buf, len + 1, GRID_ORIGIN "%s=%.*s", ax->key, (int)n, v);
    rc = push_str(&ax->origin, &ax->n, buf, len);
    free(buf);
    return rc;
}

/* One item of a value list: a value, or a range standing for several. */
static int
add_item(grid_axis *ax, const char *s, size_t n, char *err, size_t errlen)
{
    int64_t a, b;
    char num[24];

    if (n == 0) {
        snprintf(err, errlen, "--grid %s: an empty value", ax->key);
        return SIM_EINPUT;
    }
    if (!int_range(s, n, &a, &b))
        return add_value(ax, s, n) ? SIM_EIO : 0;
    if (b - a >= GRID_RANGE_MAX) {
        snprintf(err, errlen, "--grid %s: %.*s is more than %d values",
                 ax->key, (int)n, s, GRID_RANGE_MAX);
        return SIM_EINPUT;
    }
    for (int64_t x = a; x <= b; x++) {
        snprintf(num, sizeof num, "%lld", (long long)x);
        if (add_value(ax, num, strlen(num)) != 0)
            return SIM_EIO;
    }
    return 0;
}

int
grid_add_axis(grid *g, const char *arg, char *err, size_t errlen)
{
    const char *eq = strchr(arg, '='), *p, *piece;
    char sep = strchr(arg, '|') ? '|' : ',';
    grid_axis *ax = &g->axis[g->naxes];
    int rc = 0;

    if (!eq || eq == arg || !memchr(arg, '.', (size_t)(eq - arg))) {
        snprintf(err, errlen, "--grid %s: expected SECTION.KEY=V1,V2,... "
                 "(P1.rate=5/s,10/s)", arg);
        return SIM_EINPUT;
    }
    if (g->naxes == GRID_MAX_AXES) {
        snprintf(err, errlen, "--grid: at most %d axes", GRID_MAX_AXES);
        return SIM_EINPUT;
    }
    *ax = (grid_axis){ .key = malloc((size_t)(eq - arg) + 1) };
    g->naxes++;
    if (!ax->key) {
        snprintf(err, errlen, "out of memory");
        return SIM_EIO;
    }
    memcpy(ax->key, arg, (size_t)(eq - arg));
    ax->key[eq - arg] = '\0';
    for (p = eq + 1; rc == 0 && p;) {
        size_t n = next_piece(&p, sep, &piece);

        rc = add_item(ax, piece, n, err, errlen);
    }
    if (rc == SIM_EIO)
        snprintf(err, errlen, "out of memory");
    return rc;
}

/* One name of --algos; NULL stands for "scenario". */
static int
add_algo(grid *g, const char *name, size_t n, char *err, size_t errlen)
{
    char buf[64], names[512];

    snprintf(buf, sizeof buf, "%.*s", (int)(n < 63 ? n : 63), name);
    if (n >= 63 || (strcmp(buf, "scenario") != 0 && !algo_find(buf))) {
        algo_names(names, sizeof names);
        snprintf(err, errlen, "--algos: unknown algorithm \"%.*s\" "
                 "(known: %s, scenario)", (int)n, name, names);
        return SIM_EINPUT;
    }
    if (push_str(&g->algos, &g->nalgos, buf, n) != 0) {
        snprintf(err, errlen, "out of memory");
        return SIM_EIO;
    }
    if (!strcmp(buf, "scenario")) {
        free(g->algos[g->nalgos - 1]);
        g->algos[g->nalgos - 1] = NULL;
    }
    return 0;
}

int
grid_set_algos(grid *g, const char *arg, char *err, size_t errlen)
{
    const char *p = arg, *piece;
    int rc = 0;

    while (rc == 0 && p) {
        size_t n = next_piece(&p, ',', &piece);

        rc = add_algo(g, piece, n, err, errlen);
    }
    return rc;
}

/* Appends seeds a..b. */
static int
add_seeds(grid *g, int64_t a, int64_t b)
{
    uint64_t *ns = realloc(g->seeds, (size_t)(g->nseeds + (b - a) + 1) *
                                         sizeof *ns);

    if (!ns)
        return -1;
    g->seeds = ns;
    for (int64_t x = a; x <= b; x++)
        g->seeds[g->nseeds++] = (uint64_t)x;
    return 0;
}

/* One piece of --seeds, N or A..B, as the bounds a..b; 0 if malformed. */
static int
seed_range(const char *s, size_t n, int64_t *a, int64_t *b)
{
    char buf[64];

    if (int_range(s, n, a, b))
        return *b - *a < GRID_RANGE_MAX;
    if (n >= sizeof buf)
        return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (units_parse_int(buf, 0, INT64_MAX, a) != NULL)
        return 0;
    *b = *a;
    return 1;
}

int
grid_set_seeds(grid *g, const char *arg, char *err, size_t errlen)
{
    const char *p = arg, *piece;

    while (p) {
        size_t n = next_piece(&p, ',', &piece);
        int64_t a, b;

        if (!seed_range(piece, n, &a, &b)) {
            snprintf(err, errlen, "--seeds: expected N, A..B or a list of "
                     "them (1..10, 1,2,5), got \"%s\"", arg);
            return SIM_EINPUT;
        }
        if (add_seeds(g, a, b) != 0) {
            snprintf(err, errlen, "out of memory");
            return SIM_EIO;
        }
    }
    return 0;
}

void
grid_clear(grid *g)
{
    for (int i = 0; i < g->naxes; i++) {
        free(g->axis[i].key);
        free_strs(g->axis[i].origin, g->axis[i].n);
    }
    free_strs(g->algos, g->nalgos);
    free(g->seeds);
    memset(g, 0, sizeof *g);
}

int64_t
grid_points(const grid *g)
{
    int64_t n = g->nalgos ? g->nalgos : 1;

    for (int i = 0; i < g->naxes; i++) {
        n *= g->axis[i].n;
        if (n > GRID_MAX_RUNS)
            return 0;
    }
    return n;
}

int64_t
grid_runs(const grid *g)
{
    int64_t n = grid_points(g) * (g->nseeds ? g->nseeds : 1);

    return n > GRID_MAX_RUNS ? 0 : n;
}

void
grid_run_at(const grid *g, int64_t i, grid_run *r)
{
    int64_t ns = g->nseeds ? g->nseeds : 1, na = g->nalgos ? g->nalgos : 1;
    int64_t rest;

    r->point = i / ns;
    r->has_seed = g->nseeds > 0;
    r->seed = g->nseeds ? g->seeds[i % ns] : 0;
    r->algo = g->nalgos ? g->algos[r->point % na] : NULL;
    rest = r->point / na;
    for (int k = g->naxes - 1; k >= 0; k--) {
        r->value[k] = (int)(rest % g->axis[k].n);
        rest /= g->axis[k].n;
    }
}

void
grid_flags(const grid *g, const grid_run *r, ovl_flag *out)
{
    for (int k = 0; k < g->naxes; k++)
        out[k] = (ovl_flag){
            .kind = OVL_SET,
            .arg = g->axis[k].origin[r->value[k]] + strlen(GRID_ORIGIN),
            .origin = g->axis[k].origin[r->value[k]] };
}

void
grid_label(const grid *g, const grid_run *r, const char *prefix, char *buf,
           size_t n)
{
    size_t u = 0;

#define GRID_PUT(...)                                                      \
    (u += (size_t)snprintf(buf + (u < n ? u : n), u < n ? n - u : 0,       \
                           __VA_ARGS__))
    buf[0] = '\0';
    if (prefix)
        GRID_PUT("%s", prefix);
    for (int k = 0; k < g->naxes; k++)
        GRID_PUT("%s%s", k ? " " : (prefix ? "/" : ""),
                 g->axis[k].origin[r->value[k]] + strlen(GRID_ORIGIN));
    if (g->nalgos)
        GRID_PUT("%salgo=%s", g->naxes ? " " : (prefix ? "/" : ""),
                 r->algo ? r->algo : "scenario");
    if (!prefix && !g->naxes && !g->nalgos)
        GRID_PUT("sweep");
#undef GRID_PUT
}
