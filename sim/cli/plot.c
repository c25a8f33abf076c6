/* SPDX-License-Identifier: MIT
 *
 * The plot driver (see plot.h). In order: load every run back from the
 * database (pd_run, pd_summary, clients); make sure gnuplot and the
 * templates are there before anything is written; in a temporary folder
 * OUT/.ratesim-XXXXXX write data/ (bins-S.dat, cdf-S.dat, share.dat and
 * series.gp, S the 1-based series), run one gnuplot process over every
 * template twice (png, then svg), check each figure, write the two
 * reports; then move all of it into OUT and remove the temporary folder.
 *
 * gnuplot is found on PATH by hand and started with posix_spawn (no
 * shell); its output goes to a log in the temporary folder whose last line
 * is quoted when it fails. The templates are looked up in $RATESIM_PLOTS,
 * then plots/ beside the program's folder (build/ratesim -> plots/), then
 * share/ratesim/plots/ beside it (an installed program), then ./plots.
 */
#include "sim/cli/plot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/io/units.h"

extern char **environ;

#define PLOT_EIO 3
#define PLOT_BINS 200
#define PLOT_MAX_BINS 20000
#define PLOT_MAX_LIMITS 4
#define PLOT_PATH 4096
/* gnuplot -e VARS (figures) -e FMT (figures) */
#define GP_STORE (1 + 2 * PLOT_FIGS)
#define GP_ARGS (GP_STORE + 6)

/* Colours (Okabe-Ito, readable by the colour-blind). An algorithm has
 * its own, the same in every figure and report; series that no algorithm
 * tells apart take the palette in order. */
static const struct plot_algo_color {
    const char *algo, *color;
} plot_algo_colors[] = {
    {"fixed_window", "#D55E00"}, {"sliding_log", "#0072B2"},
    {"sliding_window", "#E69F00"}, {"token_bucket", "#009E73"},
    {"leaky_bucket", "#CC79A7"}, {"gcra", "#56B4E9"},
    {"concurrency", "#7F7F7F"}, {"permits", "#882255"},
};
static const char *const plot_colors[] = {
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
    "#000000", "#8C564B", "#7F7F7F", "#BCBD22",
};
/* Providers in the share figure: greys and blues, not an algorithm's. */
static const char *const plot_provider_colors[] = {
    "#2F4B7C", "#A0B1C9", "#665191", "#D4D4D4", "#5A5A5A", "#9AD0EC",
};

#define NELEM(a) (sizeof (a) / sizeof (a)[0])

/* The figures, in report order: template (and file) name, caption. */
static const struct plot_fig {
    const char *name, *caption;
} plot_figs[] = {
    {"rate", "Requests sent per second, one line per series: over the "
             "trailing window of the limit (what the limit counts), or per "
             "time bin when the bins are longer than it. The dashed lines "
             "are the limits; a line above its limit is a burst the "
             "algorithm let through."},
    {"cumulative", "Requests arrived (grey) and sent so far. The gap "
                   "between them is the backlog, plus what was refused or "
                   "expired."},
    {"wait-cdf", "Fraction of sent requests that waited at most x, from "
                 "ready to sent, on a log scale (waits of 0 at the mark 0). "
                 "Higher and further left is better."},
    {"queue", "Requests waiting at the end of each time bin (counting the "
              "attempts that were sent; the database does not record when "
              "an expired one left)."},
    {"providers", "Which provider took the requests that were sent."},
};

typedef struct plot_ctx {
    plot_set ps;
    pd *db;
    char gnuplot[PLOT_PATH], tpl[PLOT_PATH], out[PLOT_PATH], tmp[PLOT_PATH];
    char title[512];
    int nproviders;             /* distinct provider names */
} plot_ctx;

/* ================================================================ paths */

/* A path built like snprintf into buf (PLOT_PATH bytes). Returns -1 when
 * it did not fit (then it is cut, and whatever opens it fails). */
static int __attribute__((format(printf, 2, 3)))
pathf(char *buf, const char *fmt, ...)
{
    va_list ap;
    int k;

    va_start(ap, fmt);
    k = vsnprintf(buf, PLOT_PATH, fmt, ap);
    va_end(ap);
    return k < 0 || k >= PLOT_PATH ? -1 : 0;
}

/* ================================================================ names */

/* The rate N/W as a person writes it: 10/s, 500/1h, 3/2s. */
static void
fmt_rate(const pd_rate *r, char *buf, size_t n)
{
    static const struct { sim_time ns; const char *unit; } units[] = {
        {3600000000000LL, "h"}, {60000000000LL, "m"}, {1000000000LL, "s"},
        {1000000LL, "ms"},
    };
    char w[32];

    for (size_t i = 0; i < NELEM(units); i++)
        if (r->window % units[i].ns == 0) {
            long long k = r->window / units[i].ns;
            if (k == 1)
                snprintf(buf, n, "%lld/%s", (long long)r->count,
                         units[i].unit);
            else
                snprintf(buf, n, "%lld/%lld%s", (long long)r->count, k,
                         units[i].unit);
            return;
        }
    snprintf(buf, n, "%lld/%ss", (long long)r->count,
             units_format_seconds(r->window, w, sizeof w));
}

/* A series' default name: its label, or "run N algo". */
static void
default_name(const pd_run *r, size_t strip, char *buf, size_t n)
{
    if (r->label && r->label[0])
        snprintf(buf, n, "%s", r->label + strip);
    else
        snprintf(buf, n, "run %lld %s", (long long)r->run_id,
                 r->algo ? r->algo : "(scenario)");
}

/* The length of "X/" when every run's label starts with the same "X/". */
static size_t
common_prefix(const plot_set *ps)
{
    const char *first = ps->s[0].run.label, *slash;
    size_t len;

    if (!first || !(slash = strchr(first, '/')) || slash == first)
        return 0;
    len = (size_t)(slash - first) + 1;
    for (int i = 1; i < ps->n; i++) {
        const char *l = ps->s[i].run.label;
        if (!l || strncmp(l, first, len) != 0)
            return 0;
    }
    return len;
}

/* Series names: the caller's, or the labels without their common prefix
 * (a single run keeps its whole label); a name met twice gets its run id. */
static void
name_series(plot_set *ps, const char *const *names)
{
    size_t strip = ps->n > 1 ? common_prefix(ps) : 0;

    for (int i = 0; i < ps->n; i++) {
        plot_series *s = &ps->s[i];
        if (names && names[i])
            snprintf(s->name, sizeof s->name, "%s", names[i]);
        else
            default_name(&s->run, strip, s->name, sizeof s->name);
        for (int j = 0; j < i; j++)
            if (!strcmp(ps->s[j].name, s->name)) {
                size_t len = strlen(s->name);
                snprintf(s->name + len, sizeof s->name - len, " (run %lld)",
                         (long long)s->run.run_id);
                break;
            }
    }
}

/* The colour of algorithm name, or NULL. */
static const char *
algo_color(const char *name)
{
    for (size_t i = 0; name && i < NELEM(plot_algo_colors); i++)
        if (!strcmp(plot_algo_colors[i].algo, name))
            return plot_algo_colors[i].color;
    return NULL;
}

/* Whether series i has an algorithm with a colour that no other series
 * has. */
static int
own_algo(const plot_set *ps, int i)
{
    if (!algo_color(ps->s[i].run.algo))
        return 0;
    for (int j = 0; j < ps->n; j++)
        if (j != i && ps->s[j].run.algo &&
            !strcmp(ps->s[j].run.algo, ps->s[i].run.algo))
            return 0;
    return 1;
}

/* Colours: a series whose algorithm tells it apart gets that algorithm's
 * colour (the same in every figure and every report); the others take
 * colours no algorithm has, or, when no algorithm tells any series apart,
 * the palette in order. */
static void
color_series(plot_set *ps)
{
    static const char *const others[] = {"#000000", "#8C564B", "#BCBD22",
                                         "#17BECF"};
    int any = 0, next = 0;

    for (int i = 0; i < ps->n; i++)
        any |= own_algo(ps, i);
    for (int i = 0; i < ps->n; i++) {
        plot_series *s = &ps->s[i];
        if (own_algo(ps, i))
            s->color = algo_color(s->run.algo);
        else if (any)
            s->color = others[next++ % NELEM(others)];
        else
            s->color = plot_colors[i % NELEM(plot_colors)];
        s->same_as = -1;
        for (int j = 0; j < i && s->same_as < 0; j++)
            if (s->run.digest && ps->s[j].run.digest &&
                !strcmp(s->run.digest, ps->s[j].run.digest))
                s->same_as = j;
    }
}

/* ================================================================ load */

static int
load_series(plot_ctx *c, const plot_in *in, char *err, size_t errlen)
{
    int rc;

    c->ps.s = calloc((size_t)in->nruns, sizeof *c->ps.s);
    if (!c->ps.s) {
        snprintf(err, errlen, "out of memory");
        return PLOT_EIO;
    }
    c->ps.db = in->db;
    c->ps.title = in->title;
    for (int i = 0; i < in->nruns; i++) {
        plot_series *s = &c->ps.s[i];
        c->ps.n = i + 1;
        if ((rc = pd_run_get(c->db, in->runs[i], &s->run, err, errlen)) ||
            (rc = pd_summary_get(c->db, in->runs[i], &s->sum, err, errlen)))
            return rc;
    }
    name_series(&c->ps, in->names);
    color_series(&c->ps);
    return 0;
}

static void
free_series(plot_set *ps)
{
    for (int i = 0; ps->s && i < ps->n; i++) {
        pd_run_clear(&ps->s[i].run);
        pd_summary_clear(&ps->s[i].sum);
    }
    free(ps->s);
}

/* ================================================================ finding */

/* gnuplot's path on PATH into c->gnuplot. 0, or 3 naming the package. */
static int
find_gnuplot(plot_ctx *c, char *err, size_t errlen)
{
    const char *path = getenv("PATH");

    while (path && *path) {
        const char *end = strchr(path, ':');
        int len = end ? (int)(end - path) : (int)strlen(path);
        /* An empty entry is the current folder. */
        pathf(c->gnuplot, "%.*s/gnuplot", len ? len : 1, len ? path : ".");
        if (access(c->gnuplot, X_OK) == 0)
            return 0;
        path = end ? end + 1 : NULL;
    }
    snprintf(err, errlen, "gnuplot not found on PATH: install the "
             "gnuplot-nox package (apt-get install gnuplot-nox)");
    return PLOT_EIO;
}

static int
has_templates(const char *dir)
{
    char p[PLOT_PATH];

    pathf(p, "%s/rate.gp", dir);
    return access(p, R_OK) == 0;
}

/* The templates' folder into c->tpl. 0, or 3. */
static int
find_templates(plot_ctx *c, char *err, size_t errlen)
{
    const char *env = getenv("RATESIM_PLOTS");
    char exe[PLOT_PATH], *slash;
    ssize_t n;

    if (env && *env) {
        pathf(c->tpl, "%s", env);
        if (has_templates(c->tpl))
            return 0;
        snprintf(err, errlen, "RATESIM_PLOTS=%s: no rate.gp there", env);
        return PLOT_EIO;
    }
    n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    if ((slash = strrchr(exe, '/')) != NULL) {
        *slash = '\0';
        pathf(c->tpl, "%s/../plots", exe);
        if (has_templates(c->tpl))
            return 0;
        pathf(c->tpl, "%s/../share/ratesim/plots", exe);
        if (has_templates(c->tpl))
            return 0;
    }
    pathf(c->tpl, "plots");
    if (has_templates(c->tpl))
        return 0;
    snprintf(err, errlen, "the gnuplot templates (plots/*.gp) are not "
             "found; set RATESIM_PLOTS to their folder");
    return PLOT_EIO;
}

/* ================================================================ folders */

/* mkdir -p. 0, or 3 with "path: reason". */
static int
make_dirs(const char *path, char *err, size_t errlen)
{
    char p[PLOT_PATH];

    pathf(p, "%s", path);
    for (char *s = p + 1; ; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "%s: %s", p, strerror(errno));
            return PLOT_EIO;
        }
        if (!(*s = c))
            break;
    }
    return 0;
}

/* Removes dir and what is in it (our temporary folder: files and the
 * data folder). */
static void
remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    struct stat sb;
    char p[PLOT_PATH];

    while (d && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        pathf(p, "%s/%s", dir, e->d_name);
        if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
            remove_tree(p);
        else
            unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

static int
make_tmp(plot_ctx *c, char *err, size_t errlen)
{
    char data[PLOT_PATH];

    if (make_dirs(c->out, err, errlen) != 0)
        return PLOT_EIO;
    /* Longer names inside it must fit too: leave room for them. */
    if (strlen(c->out) > PLOT_PATH - 64) {
        snprintf(err, errlen, "%.64s...: path too long", c->out);
        return PLOT_EIO;
    }
    pathf(c->tmp, "%s/.ratesim-XXXXXX", c->out);
    if (!mkdtemp(c->tmp)) {
        snprintf(err, errlen, "%s: %s", c->out, strerror(errno));
        c->tmp[0] = '\0';
        return PLOT_EIO;
    }
    pathf(data, "%s/data", c->tmp);
    if (mkdir(data, 0777) != 0) {
        snprintf(err, errlen, "%s: %s", data, strerror(errno));
        return PLOT_EIO;
    }
    return 0;
}

/* ================================================================ data */

/* Writes s as a gnuplot double-quoted string. */
static void
gp_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* The dashed lines of the rate figure. */
typedef struct plot_limits {
    int n;
    double per_s[PLOT_MAX_LIMITS];
    char text[PLOT_MAX_LIMITS][160];
} plot_limits;

static double
per_second(const pd_rate *r)
{
    return (double)r->count * 1e9 / (double)r->window;
}

/* Adds a line, once per text. */
static void
add_limit(plot_limits *l, double per_s, const char *text)
{
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->text[i], text))
            return;
    if (l->n == PLOT_MAX_LIMITS)
        return;
    l->per_s[l->n] = per_s;
    snprintf(l->text[l->n++], sizeof l->text[0], "%s", text);
}

/* A run's lines: with several providers, the sum of their first rate
 * limits (what all of them together may send while all are on) and each
 * one's; then every further rate limit on its own. */
static void
run_limits(plot_limits *l, const pd_run *r)
{
    char t[160], rate[48];
    size_t used = (size_t)snprintf(t, sizeof t, "limit");
    double sum = 0;
    int parts = 0;

    for (int j = 0; j < r->nproviders; j++) {
        const pd_provider *v = &r->providers[j];
        if (v->nrates == 0)
            continue;
        fmt_rate(&v->rates[0], rate, sizeof rate);
        sum += per_second(&v->rates[0]);
        if (used < sizeof t)
            used += (size_t)snprintf(t + used, sizeof t - used, "%s %s %s",
                                     parts ? " +" : "", v->name, rate);
        parts++;
    }
    if (parts)
        add_limit(l, sum, t);
    for (int j = 0; parts > 1 && j < r->nproviders; j++)
        if (r->providers[j].nrates > 0) {
            fmt_rate(&r->providers[j].rates[0], rate, sizeof rate);
            snprintf(t, sizeof t, "limit %s %s", r->providers[j].name, rate);
            add_limit(l, per_second(&r->providers[j].rates[0]), t);
        }
    for (int j = 0; j < r->nproviders; j++)
        for (int k = 1; k < r->providers[j].nrates; k++) {
            fmt_rate(&r->providers[j].rates[k], rate, sizeof rate);
            snprintf(t, sizeof t, "limit %s %s", r->providers[j].name, rate);
            add_limit(l, per_second(&r->providers[j].rates[k]), t);
        }
}

/* The left edge of the CDF's log axis: the power of ten at or below the
 * smallest positive wait shown, 1 ms when there is none. */
static double
wait_floor(const plot_set *ps)
{
    sim_time lo = 0;
    double f = 1e-9;

    for (int i = 0; i < ps->n; i++)
        for (int j = 0; j < ps->s[i].sum.cdf.n; j++) {
            sim_time w = ps->s[i].sum.cdf.wait[j];
            if (w > 0 && (lo == 0 || w < lo))
                lo = w;
        }
    if (lo == 0)
        return 1e-3;
    while (f * 10 <= (double)lo / 1e9)
        f *= 10;
    return f;
}

/* An array literal of gnuplot: "array name[n] = [...]" from v[i] (strings,
 * quoted) or nums[i]. gnuplot has no empty arrays: n = 0 makes one NaN. */
static void
gp_array(FILE *f, const char *name, int n, const char *const *v,
         const double *nums)
{
    fprintf(f, "array %s[%d] = [", name, n ? n : 1);
    for (int i = 0; i < n; i++) {
        if (i)
            fputs(", ", f);
        if (v)
            gp_str(f, v[i]);
        else
            fprintf(f, "%.9g", nums[i]);
    }
    fputs(n ? "]\n" : "NaN]\n", f);
}

/* The legend text of series i. */
static void
legend(const plot_set *ps, int i, char *buf, size_t n)
{
    const plot_series *s = &ps->s[i];

    if (s->same_as >= 0)
        snprintf(buf, n, "%s (same schedule as %s)", s->name,
                 ps->s[s->same_as].name);
    else
        snprintf(buf, n, "%s", s->name);
}

/* Whether series i is the first of its workload (compared runs share
 * theirs, and the arrivals are drawn once per workload). */
static int
first_of_workload(const plot_set *ps, int i)
{
    const char *sha = ps->s[i].run.workload_sha256;

    for (int j = 0; j < i; j++)
        if (sha && ps->s[j].run.workload_sha256 &&
            !strcmp(sha, ps->s[j].run.workload_sha256))
            return 0;
    return 1;
}

static int
write_series_arrays(FILE *f, const plot_set *ps)
{
    const char **names = calloc((size_t)ps->n, sizeof *names);
    const char **colors = calloc((size_t)ps->n, sizeof *colors);
    double *dash = calloc((size_t)ps->n, sizeof *dash);
    double *arrivals = calloc((size_t)ps->n, sizeof *arrivals);
    char (*text)[2 * PLOT_NAME_MAX + 32] = calloc((size_t)ps->n,
                                                  sizeof *text);
    int ok = names && colors && dash && arrivals && text, na = 0;

    for (int i = 0; ok && i < ps->n; i++) {
        legend(ps, i, text[i], sizeof text[i]);
        names[i] = text[i];
        colors[i] = ps->s[i].color;
        dash[i] = ps->s[i].same_as >= 0 ? 2 : 1;
        if (first_of_workload(ps, i))
            arrivals[na++] = i + 1;
    }
    if (ok) {
        fprintf(f, "nseries = %d\n", ps->n);
        gp_array(f, "name", ps->n, names, NULL);
        gp_array(f, "color", ps->n, colors, NULL);
        gp_array(f, "dash", ps->n, NULL, dash);
        fprintf(f, "# the series whose arrivals are drawn: one per "
                "workload\nnarrivals = %d\n", na);
        gp_array(f, "arrival", na, NULL, arrivals);
    }
    free(names);
    free(colors);
    free(dash);
    free(arrivals);
    free(text);
    return ok ? 0 : -1;
}

static void
write_series_rest(FILE *f, const plot_ctx *c)
{
    const plot_set *ps = &c->ps;
    plot_limits l = {0};
    const char *texts[PLOT_MAX_LIMITS];
    char w[32];
    int costly = 0;

    for (int i = 0; i < ps->n; i++) {
        run_limits(&l, &ps->s[i].run);
        costly |= ps->s[i].sum.max_cost > 1;
    }
    for (int i = 0; i < l.n; i++)
        texts[i] = l.text[i];
    fprintf(f, "nlimits = %d\n", l.n);
    gp_array(f, "limit", l.n, NULL, l.per_s);
    gp_array(f, "limitname", l.n, texts, NULL);
    fprintf(f, "costly = %d\nwfloor = %.9g\nbinwidth = \"%s s\"\n", costly,
            wait_floor(ps), units_format_seconds(ps->width, w, sizeof w));
    fprintf(f, "# the rate is counted over a trailing window of this many "
            "bins\nmoving = %lld\nratewindow = \"%s s\"\n",
            (long long)ps->window,
            units_format_seconds(ps->width * ps->window, w, sizeof w));
    fprintf(f, "nproviders = %d\n", c->nproviders);
    fputs("array pcolor[6] = [", f);
    for (size_t i = 0; i < NELEM(plot_provider_colors); i++)
        fprintf(f, "%s\"%s\"", i ? ", " : "", plot_provider_colors[i]);
    fputs("]\n", f);
}

/* data/series.gp: the names, colours, limits and scales of this set. */
static int
write_series_gp(const plot_ctx *c, const char *dir, char *err, size_t errlen)
{
    char path[PLOT_PATH];
    FILE *f;
    int bad;

    pathf(path, "%s/series.gp", dir);
    if (!(f = fopen(path, "w"))) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return PLOT_EIO;
    }
    fputs("# Written by ratesim: what the templates in plots/ draw.\n", f);
    fputs("title = ", f);
    gp_str(f, c->ps.title ? c->ps.title : "");
    fputc('\n', f);
    bad = write_series_arrays(f, &c->ps);
    write_series_rest(f, c);
    bad |= ferror(f);
    if (fclose(f) != 0 || bad) {
        snprintf(err, errlen, "%s: write error", path);
        return PLOT_EIO;
    }
    return 0;
}

/* The distinct provider names over the runs (counting stops at 64: the
 * share figure only asks whether there is more than one). */
static int
count_providers(const plot_set *ps)
{
    const char *seen[64];
    int n = 0;

    for (int i = 0; i < ps->n; i++)
        for (int j = 0; j < ps->s[i].run.nproviders; j++) {
            const char *name = ps->s[i].run.providers[j].name;
            int k = 0;
            while (k < n && strcmp(seen[k], name ? name : "") != 0)
                k++;
            if (k == n && n < (int)NELEM(seen))
                seen[n++] = name ? name : "";
        }
    return n;
}

static int
write_share(const plot_ctx *c, const char *dir, char *err, size_t errlen)
{
    const char **names = calloc((size_t)c->ps.n, sizeof *names);
    pd_run *runs = calloc((size_t)c->ps.n, sizeof *runs);
    int rc = PLOT_EIO;

    if (!names || !runs)
        snprintf(err, errlen, "out of memory");
    for (int i = 0; names && runs && i < c->ps.n; i++) {
        names[i] = c->ps.s[i].name;
        runs[i] = c->ps.s[i].run;       /* a shallow copy, only read */
    }
    if (names && runs)
        rc = pd_write_share(runs, names, c->ps.n, dir, err, errlen);
    free(names);
    free(runs);
    return rc;
}

/* The longest W of the runs' first rate limits (0 when none has one). */
static sim_time
limit_window(const plot_set *ps)
{
    sim_time w = 0;

    for (int i = 0; i < ps->n; i++)
        for (int j = 0; j < ps->s[i].run.nproviders; j++) {
            const pd_provider *v = &ps->s[i].run.providers[j];
            if (v->nrates > 0 && v->rates[0].window > w)
                w = v->rates[0].window;
        }
    return w;
}

/* The next smaller width of the 1-2-5 series (5 -> 2 -> 1 -> 0.5), 0
 * below 1 ns. */
static sim_time
step_down(sim_time d)
{
    sim_time p = 1;

    while (p <= d / 10)
        p *= 10;
    return d / p == 5 ? 2 * p : d / p == 2 ? p : p / 2;
}

/* The bins: about PLOT_BINS over the span. When they are shorter than the
 * limit's window W, the rate is drawn over a trailing W (what the limit
 * counts), so the bins are made to divide W: c->ps.window bins make one. */
static void
pick_bins(plot_ctx *c, sim_time span)
{
    sim_time w = pd_pick_width(span, PLOT_BINS), W = limit_window(&c->ps);

    c->ps.width = w;
    c->ps.window = 1;
    if (W <= w)
        return;
    for (sim_time d = w; d > 0 && span / d < PLOT_MAX_BINS; d = step_down(d))
        if (W % d == 0) {
            c->ps.width = d;
            c->ps.window = W / d;
            return;
        }
}

static int
write_data(plot_ctx *c, char *err, size_t errlen)
{
    char dir[PLOT_PATH];
    sim_time span = 1;
    int64_t nbins;
    int rc = 0;

    pathf(dir, "%s/data", c->tmp);
    for (int i = 0; i < c->ps.n; i++)
        if (c->ps.s[i].sum.end > span)
            span = c->ps.s[i].sum.end;
    pick_bins(c, span);
    nbins = span / c->ps.width + 1;
    for (int i = 0; i < c->ps.n && rc == 0; i++) {
        pd_bins b;
        rc = pd_bins_get(c->db, c->ps.s[i].run.run_id, c->ps.width, nbins,
                         &b, err, errlen);
        if (rc == 0)
            rc = pd_write_bins(&b, dir, i + 1, c->ps.window, err, errlen);
        pd_bins_clear(&b);
        if (rc == 0)
            rc = pd_write_cdf(&c->ps.s[i].sum.cdf, dir, i + 1, err, errlen);
    }
    c->nproviders = count_providers(&c->ps);
    if (rc == 0 && c->nproviders > 1)
        rc = write_share(c, dir, err, errlen);
    return rc ? rc : write_series_gp(c, dir, err, errlen);
}

/* ================================================================ gnuplot */

/* A gnuplot single-quoted string of s ('' stands for a quote). */
static void
gp_quote(char *buf, size_t n, const char *s)
{
    size_t u = 0;

    if (n < 3)
        return;
    buf[u++] = '\'';
    for (; *s && u + 3 < n; s++) {
        if (*s == '\'')
            buf[u++] = '\'';
        buf[u++] = *s;
    }
    buf[u++] = '\'';
    buf[u] = '\0';
}

/* The figures to make: all but the share without several providers. */
static void
choose_figures(plot_ctx *c)
{
    c->ps.nfigures = 0;
    for (size_t i = 0; i < NELEM(plot_figs); i++) {
        if (!strcmp(plot_figs[i].name, "providers") && c->nproviders < 2)
            continue;
        c->ps.figures[c->ps.nfigures] = plot_figs[i].name;
        c->ps.captions[c->ps.nfigures++] = plot_figs[i].caption;
    }
}

/* gnuplot's argument vector into argv (GP_ARGS): the variables, every
 * template for png, the format switched, every template for svg. Strings
 * live in store (GP_STORE). */
static void
gnuplot_argv(const plot_ctx *c, char store[][PLOT_PATH], char **argv)
{
    char data[PLOT_PATH], q[3][PLOT_PATH];
    int a = 0, k = 0;

    pathf(data, "%s/data", c->tmp);
    gp_quote(q[0], sizeof q[0], data);
    gp_quote(q[1], sizeof q[1], c->tmp);
    gp_quote(q[2], sizeof q[2], c->tpl);
    argv[a++] = "gnuplot";
    argv[a++] = "-e";
    snprintf(store[k], PLOT_PATH, "data=%.1300s; outdir=%.1300s; "
             "tpl=%.1300s; fmt='png'", q[0], q[1], q[2]);
    argv[a++] = store[k++];
    for (int pass = 0; pass < 2; pass++) {
        if (pass) {
            argv[a++] = "-e";
            argv[a++] = "fmt='svg'";
        }
        for (int i = 0; i < c->ps.nfigures; i++) {
            snprintf(store[k], PLOT_PATH, "%.4000s/%s.gp", c->tpl,
                     c->ps.figures[i]);
            argv[a++] = store[k++];
        }
    }
    argv[a] = NULL;
}

/* The last non-empty line of gnuplot's log into buf. */
static void
last_log_line(const char *log, char *buf, size_t n)
{
    FILE *f = fopen(log, "r");
    char line[512];

    snprintf(buf, n, "no message");
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (line[strspn(line, " \t^")] != '\0')
            snprintf(buf, n, "%s", line);
    }
    if (f)
        fclose(f);
}

/* Starts gnuplot with its output in log; its exit status into *status. */
static int
spawn_wait(const plot_ctx *c, char **argv, const char *log, int *status)
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int rc;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT |
                                     O_TRUNC, 0666);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    rc = posix_spawn(&pid, c->gnuplot, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return rc;
    while (waitpid(pid, status, 0) < 0)
        if (errno != EINTR)
            return errno;
    return 0;
}

/* Every figure in both formats, non-empty. 0, or 3 naming the first not. */
static int
check_figures(const plot_ctx *c, char *err, size_t errlen)
{
    static const char *const ext[] = {"png", "svg"};
    char p[PLOT_PATH];
    struct stat sb;

    for (int i = 0; i < c->ps.nfigures; i++)
        for (int k = 0; k < 2; k++) {
            pathf(p, "%s/%s.%s", c->tmp, c->ps.figures[i],
                     ext[k]);
            if (stat(p, &sb) != 0 || sb.st_size == 0) {
                snprintf(err, errlen, "gnuplot made no %s.%s",
                         c->ps.figures[i], ext[k]);
                return PLOT_EIO;
            }
        }
    return 0;
}

static int
run_gnuplot(const plot_ctx *c, char *err, size_t errlen)
{
    char store[GP_STORE][PLOT_PATH], *argv[GP_ARGS], log[PLOT_PATH];
    char last[512];
    int status = 0, rc;

    gnuplot_argv(c, store, argv);
    pathf(log, "%s/gnuplot.log", c->tmp);
    if ((rc = spawn_wait(c, argv, log, &status)) != 0) {
        snprintf(err, errlen, "%s: %s", c->gnuplot, strerror(rc));
        return PLOT_EIO;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        last_log_line(log, last, sizeof last);
        snprintf(err, errlen, "gnuplot failed (%s %d): %s",
                 WIFEXITED(status) ? "exit" : "signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
                 last);
        return PLOT_EIO;
    }
    unlink(log);
    return check_figures(c, err, errlen);
}

/* ================================================================ install */

/* Moves tmp/name to out/name. */
static int
move_in(const char *from_dir, const char *to_dir, const char *name,
        char *err, size_t errlen)
{
    char a[PLOT_PATH], b[PLOT_PATH];

    pathf(a, "%s/%s", from_dir, name);
    pathf(b, "%s/%s", to_dir, name);
    if (rename(a, b) != 0) {
        snprintf(err, errlen, "%s: %s", b, strerror(errno));
        return PLOT_EIO;
    }
    return 0;
}

/* OUT/data gets exactly the new data files: the old ones (of an earlier
 * set, perhaps with more series) go first. */
static int
install_data(const plot_ctx *c, char *err, size_t errlen)
{
    char from[PLOT_PATH], to[PLOT_PATH], p[PLOT_PATH];
    DIR *d;
    struct dirent *e;
    int rc = 0;

    pathf(from, "%s/data", c->tmp);
    pathf(to, "%s/data", c->out);
    if ((d = opendir(to)) != NULL) {
        while ((e = readdir(d)) != NULL)
            if (strstr(e->d_name, ".dat") || !strcmp(e->d_name, "series.gp")) {
                pathf(p, "%s/%s", to, e->d_name);
                unlink(p);
            }
        closedir(d);
    }
    if (mkdir(to, 0777) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", to, strerror(errno));
        return PLOT_EIO;
    }
    if (!(d = opendir(from))) {
        snprintf(err, errlen, "%s: %s", from, strerror(errno));
        return PLOT_EIO;
    }
    while (rc == 0 && (e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            rc = move_in(from, to, e->d_name, err, errlen);
    closedir(d);
    return rc;
}

static int
install(const plot_ctx *c, char *err, size_t errlen)
{
    static const char *const ext[] = {"png", "svg"};
    char name[64];
    int rc = install_data(c, err, errlen);

    for (size_t i = 0; rc == 0 && i < NELEM(plot_figs); i++)
        for (int k = 0; rc == 0 && k < 2; k++) {
            int made = 0;
            snprintf(name, sizeof name, "%s.%s", plot_figs[i].name, ext[k]);
            for (int j = 0; j < c->ps.nfigures; j++)
                made |= !strcmp(c->ps.figures[j], plot_figs[i].name);
            if (made) {
                rc = move_in(c->tmp, c->out, name, err, errlen);
            } else {
                /* An earlier set's figure this set has not: gone. */
                char p[PLOT_PATH];
                pathf(p, "%s/%s", c->out, name);
                unlink(p);
            }
        }
    if (rc == 0)
        rc = move_in(c->tmp, c->out, "report.md", err, errlen);
    if (rc == 0)
        rc = move_in(c->tmp, c->out, "report.html", err, errlen);
    return rc;
}

/* ================================================================ make */

/* c->out: the caller's, or plots/out/ and the runs' common label prefix,
 * run-ID or runs-FIRST-LAST. */
static void
pick_out(plot_ctx *c, const plot_in *in)
{
    size_t pre = common_prefix(&c->ps);

    if (in->out)
        pathf(c->out, "%s", in->out);
    else if (pre)
        pathf(c->out, "plots/out/%.*s", (int)pre - 1,
                 c->ps.s[0].run.label);
    else if (in->nruns == 1)
        pathf(c->out, "plots/out/run-%lld",
                 (long long)in->runs[0]);
    else
        pathf(c->out, "plots/out/runs-%lld-%lld",
                 (long long)in->runs[0], (long long)in->runs[in->nruns - 1]);
}

/* What the runs come from, for a title. */
static const char *
src_name(const plot_in *in)
{
    return in->db ? in->db : "runs not recorded";
}

/* The title: the caller's, or the runs' common label prefix, or their
 * ids, with the database. */
static void
pick_title(plot_ctx *c, const plot_in *in)
{
    size_t pre = common_prefix(&c->ps);

    if (in->title)
        snprintf(c->title, sizeof c->title, "%s", in->title);
    else if (pre)
        snprintf(c->title, sizeof c->title, "%.*s (%s)", (int)pre - 1,
                 c->ps.s[0].run.label, src_name(in));
    else if (in->nruns == 1)
        snprintf(c->title, sizeof c->title, "run %lld of %s",
                 (long long)in->runs[0], src_name(in));
    else
        snprintf(c->title, sizeof c->title, "runs %lld to %lld of %s",
                 (long long)in->runs[0], (long long)in->runs[in->nruns - 1],
                 src_name(in));
    c->ps.title = c->title;
}

static int
make_all(plot_ctx *c, char *err, size_t errlen)
{
    int rc;

    if ((rc = make_tmp(c, err, errlen)) != 0 ||
        (rc = write_data(c, err, errlen)) != 0)
        return rc;
    choose_figures(c);
    if ((rc = run_gnuplot(c, err, errlen)) != 0 ||
        (rc = plot_write_md(&c->ps, c->tmp, err, errlen)) != 0 ||
        (rc = plot_write_html(&c->ps, c->tmp, err, errlen)) != 0)
        return rc;
    return install(c, err, errlen);
}

int
plot_make(const plot_in *in, FILE *table, char *used, size_t usedlen,
          char *err, size_t errlen)
{
    plot_ctx *c = calloc(1, sizeof *c);
    int rc = 0;

    if (!c) {
        snprintf(err, errlen, "out of memory");
        return PLOT_EIO;
    }
    /* gnuplot first: without it nothing is written. */
    if (in->src)
        c->db = in->src;
    else
        rc = pd_open(&c->db, in->db, err, errlen);
    if (rc == 0 &&
        (rc = load_series(c, in, err, errlen)) == 0 &&
        (rc = find_gnuplot(c, err, errlen)) == 0 &&
        (rc = find_templates(c, err, errlen)) == 0) {
        pick_out(c, in);
        pick_title(c, in);
        rc = make_all(c, err, errlen);
    }
    if (rc == 0 && table)
        plot_print_table(&c->ps, table);
    if (c->tmp[0])
        remove_tree(c->tmp);
    if (used && usedlen)
        snprintf(used, usedlen, "%s", c->out);
    free_series(&c->ps);
    if (!in->src)
        pd_close(c->db);
    free(c);
    return rc;
}
