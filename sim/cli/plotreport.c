/* SPDX-License-Identifier: MIT
 *
 * The reports of a plot set (see plot.h): report.md, a Markdown table with
 * the PNG figures beside it, and report.html, one self-contained page (the
 * SVG figures inline, styles inline, no script, no network).
 *
 * Both show the same table, built here once as cells: a row per series
 * with dispatched, rejected, expired (dropped, failed and retries only
 * when a run has some), achieved rate, wait p50/p95/p99/max, worst window
 * against the limit per provider, and Jain fairness across clients; every
 * number is a pd_summary or pd_provider field, so it is the database's.
 * Then the figures, a per-client table when the runs have a few clients,
 * and the runs themselves (ids, labels, digests).
 *
 * SVG files from gnuplot all define the same ids (gpDot, gpPt0, ...); the
 * page inlines several, so each figure's ids get a prefix of its own.
 */
#include "sim/cli/plot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/io/units.h"

#define REPORT_EIO 3
#define REPORT_MAX_CLIENTS 12
#define CELL 256

enum col {
    COL_NAME, COL_SENT, COL_REJECTED, COL_EXPIRED, COL_DROPPED, COL_FAILED,
    COL_RETRIES, COL_RATE, COL_P50, COL_P95, COL_P99, COL_MAX, COL_WORST,
    COL_JAIN, NCOLS
};

static const char *const col_head[NCOLS] = {
    "", "dispatched", "rejected", "expired", "dropped", "failed", "retries",
    "rate/s", "wait p50 (s)", "p95 (s)", "p99 (s)", "max (s)",
    "worst window / limit", "Jain fairness",
};

/* ================================================================ cells */

void
plot_fmt_wait(sim_time ns, char *buf, size_t n)
{
    if (ns == 0)
        snprintf(buf, n, "0");
    else
        snprintf(buf, n, "%.4g", (double)ns / 1e9);
}

static int64_t
retries(const pd_summary *s)
{
    return s->attempts - s->requests;
}

/* Optional columns appear when some run has something in them. */
static int
col_shown(const plot_set *ps, int col)
{
    for (int i = 0; i < ps->n; i++) {
        const pd_summary *s = &ps->s[i].sum;
        if ((col == COL_DROPPED && s->outcomes[SIM_DROPPED]) ||
            (col == COL_FAILED && s->outcomes[SIM_FAILED]) ||
            (col == COL_RETRIES && retries(s)))
            return 1;
    }
    return col != COL_DROPPED && col != COL_FAILED && col != COL_RETRIES;
}

/* "14/10 per 1s" for each provider with a rate limit, named when there
 * are several, joined by sep; "-" when none has one. */
static void
worst_cell(const pd_run *r, const char *sep, char *buf, size_t n)
{
    size_t u = 0;
    int shown = 0;

    buf[0] = '\0';
    for (int j = 0; j < r->nproviders && u < n; j++) {
        const pd_provider *v = &r->providers[j];
        char w[32];
        if (v->nrates == 0)
            continue;
        u += (size_t)snprintf(buf + u, n - u, "%s", shown ? sep : "");
        if (r->nproviders > 1 && u < n)
            u += (size_t)snprintf(buf + u, n - u, "%s ", v->name);
        if (u < n)
            u += (size_t)snprintf(buf + u, n - u, "%lld/%lld per %ss",
                                  (long long)v->worst,
                                  (long long)v->rates[0].count,
                                  units_format_seconds(v->rates[0].window, w,
                                                       sizeof w));
        shown++;
    }
    if (!shown)
        snprintf(buf, n, "-");
}

static void
cell(const plot_set *ps, int row, int col, const char *sep, char *buf,
     size_t n)
{
    const plot_series *s = &ps->s[row];
    const pd_summary *m = &s->sum;

    switch (col) {
    case COL_NAME: snprintf(buf, n, "%s", s->name); break;
    case COL_SENT: snprintf(buf, n, "%lld", (long long)m->sent); break;
    case COL_REJECTED: case COL_EXPIRED: case COL_DROPPED: case COL_FAILED: {
        static const int oc[] = {[COL_REJECTED] = SIM_REJECTED,
                                 [COL_EXPIRED] = SIM_EXPIRED,
                                 [COL_DROPPED] = SIM_DROPPED,
                                 [COL_FAILED] = SIM_FAILED};
        snprintf(buf, n, "%lld", (long long)m->outcomes[oc[col]]);
        break;
    }
    case COL_RETRIES: snprintf(buf, n, "%lld", (long long)retries(m)); break;
    case COL_RATE: snprintf(buf, n, "%.3f", m->rate); break;
    case COL_P50: plot_fmt_wait(m->wait_p50, buf, n); break;
    case COL_P95: plot_fmt_wait(m->wait_p95, buf, n); break;
    case COL_P99: plot_fmt_wait(m->wait_p99, buf, n); break;
    case COL_MAX: plot_fmt_wait(m->wait_max, buf, n); break;
    case COL_WORST: worst_cell(&s->run, sep, buf, n); break;
    default:
        if (m->jain < 0)
            snprintf(buf, n, "-");
        else
            snprintf(buf, n, "%.3f", m->jain);
    }
}

/* The first column's head: "algorithm" when every run replaced the
 * scenario's algorithms, else "run". */
static const char *
name_head(const plot_set *ps)
{
    for (int i = 0; i < ps->n; i++)
        if (!ps->s[i].run.algo)
            return "run";
    return "algorithm";
}

/* Per-client figures are shown when every run has the same few clients. */
static int
clients_shown(const plot_set *ps)
{
    int64_t n = ps->s[0].sum.nclients;

    if (n < 2 || n > REPORT_MAX_CLIENTS)
        return 0;
    for (int i = 1; i < ps->n; i++)
        if (ps->s[i].sum.nclients != n)
            return 0;
    return 1;
}

/* Client `name` in series s, or NULL. */
static const pd_client *
find_client(const plot_series *s, const char *name)
{
    for (int64_t i = 0; i < s->sum.nclients; i++)
        if (!strcmp(s->sum.clients[i].name ? s->sum.clients[i].name : "",
                    name))
            return &s->sum.clients[i];
    return NULL;
}

/* "97/100 ok, mean wait 0.12 s" for a client of a series. */
static void
client_cell(const pd_client *c, char *buf, size_t n)
{
    if (!c)
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%lld/%lld ok, mean wait %.3g s",
                 (long long)c->ok, (long long)c->offered, c->wait_mean);
}

static const char report_defs[] =
    "dispatched: attempts that went out (ok or failed); rate/s: "
    "dispatched attempts per second from 0 to the last dispatch; waits: "
    "from ready (valid-after) to dispatched, exact nearest-rank "
    "percentiles over the dispatched attempts; worst window: the most "
    "permits a provider sent in any window of its first rate limit's "
    "length, against that limit's count; Jain fairness: 1 when every "
    "client was served its max-min fair share of what was served, lower "
    "when some got less.";

/* ================================================================ text */

void
plot_print_table(const plot_set *ps, FILE *f)
{
    size_t w[NCOLS];
    char b[CELL];

    for (int c = 0; c < NCOLS; c++) {
        w[c] = strlen(c ? col_head[c] : name_head(ps));
        for (int i = 0; i < ps->n; i++) {
            cell(ps, i, c, "; ", b, sizeof b);
            if (strlen(b) > w[c])
                w[c] = strlen(b);
        }
    }
    for (int i = -1; i < ps->n; i++) {
        for (int c = 0; c < NCOLS; c++) {
            int left = c == COL_NAME || c == COL_WORST;
            if (!col_shown(ps, c))
                continue;
            if (i < 0)
                snprintf(b, sizeof b, "%s", c ? col_head[c] : name_head(ps));
            else
                cell(ps, i, c, "; ", b, sizeof b);
            fprintf(f, "%s%*s", c ? "  " : "", left ? -(int)w[c] : (int)w[c],
                    b);
        }
        fputc('\n', f);
    }
}

/* ================================================================ files */

static FILE *
open_out(const char *dir, const char *name, char *path, size_t plen,
         char *err, size_t errlen)
{
    FILE *f;

    snprintf(path, plen, "%s/%s", dir, name);
    if (!(f = fopen(path, "w")))
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return f;
}

static int
close_out(FILE *f, const char *path, char *err, size_t errlen)
{
    int bad = ferror(f);

    if (fclose(f) != 0 || bad) {
        snprintf(err, errlen, "%s: write error", path);
        return REPORT_EIO;
    }
    return 0;
}

/* ================================================================ markdown */

/* s with the characters a Markdown table cell cannot hold escaped. */
static void
md_put(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|' || *s == '\\' || *s == '*' || *s == '_')
            fputc('\\', f);
        fputc(*s == '\n' ? ' ' : *s, f);
    }
}

static void
md_table(FILE *f, const plot_set *ps)
{
    char b[CELL];

    fprintf(f, "| %s |", name_head(ps));
    for (int c = 1; c < NCOLS; c++)
        if (col_shown(ps, c))
            fprintf(f, " %s |", col_head[c]);
    fputs("\n|:--|", f);
    for (int c = 1; c < NCOLS; c++)
        if (col_shown(ps, c))
            fputs(c == COL_WORST ? ":--|" : "--:|", f);
    fputc('\n', f);
    for (int i = 0; i < ps->n; i++) {
        fputc('|', f);
        for (int c = 0; c < NCOLS; c++) {
            if (!col_shown(ps, c))
                continue;
            cell(ps, i, c, "; ", b, sizeof b);
            fputc(' ', f);
            md_put(f, b);
            fputs(" |", f);
        }
        fputc('\n', f);
    }
}

static void
md_clients(FILE *f, const plot_set *ps)
{
    char b[CELL];

    fputs("\n## Per client\n\n| client |", f);
    for (int i = 0; i < ps->n; i++) {
        fputc(' ', f);
        md_put(f, ps->s[i].name);
        fputs(" |", f);
    }
    fputs("\n|:--|", f);
    for (int i = 0; i < ps->n; i++)
        fputs("--:|", f);
    for (int64_t k = 0; k < ps->s[0].sum.nclients; k++) {
        const char *name = ps->s[0].sum.clients[k].name;
        fputs("\n| ", f);
        md_put(f, name ? name : "");
        fputs(" |", f);
        for (int i = 0; i < ps->n; i++) {
            client_cell(find_client(&ps->s[i], name ? name : ""), b,
                        sizeof b);
            fprintf(f, " %s |", b);
        }
    }
    fputc('\n', f);
}

static void
md_runs(FILE *f, const plot_set *ps)
{
    fputs("\n## Runs\n\n| run | label | algorithm | workload | scenario "
          "| seed | requests | digest | wall ms |\n"
          "|--:|:--|:--|:--|:--|--:|--:|:--|--:|\n", f);
    for (int i = 0; i < ps->n; i++) {
        const pd_run *r = &ps->s[i].run;
        const char *v[] = {r->label, r->algo ? r->algo : "(scenario's)",
                           r->workload, r->scenario};
        fprintf(f, "| %lld |", (long long)r->run_id);
        for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
            fputc(' ', f);
            md_put(f, v[k] ? v[k] : "");
            fputs(" |", f);
        }
        fprintf(f, " %lld | %lld | `%s` | %.1f |\n", (long long)r->seed,
                (long long)r->requests, r->digest ? r->digest : "",
                r->wall_ms);
    }
}

int
plot_write_md(const plot_set *ps, const char *dir, char *err, size_t errlen)
{
    char path[4096];
    FILE *f = open_out(dir, "report.md", path, sizeof path, err, errlen);

    if (!f)
        return REPORT_EIO;
    fputs("# ", f);
    md_put(f, ps->title ? ps->title : "ratesim");
    if (ps->db)
        fprintf(f, "\n\nFrom `%s`; time bins of the figures: ", ps->db);
    else
        fputs("\n\nRuns not recorded (`--db none`); time bins of the "
              "figures: ", f);
    fprintf(f, "%.9g s.\n\n", (double)ps->width / 1e9);
    md_table(f, ps);
    fprintf(f, "\n%s\n", report_defs);
    for (int i = 0; i < ps->nfigures; i++)
        fprintf(f, "\n![%s](%s.png)\n\n%s\n", ps->figures[i], ps->figures[i],
                ps->captions[i]);
    if (clients_shown(ps))
        md_clients(f, ps);
    md_runs(f, ps);
    return close_out(f, path, err, errlen);
}

/* ================================================================ html */

static void
html_put(FILE *f, const char *s)
{
    for (; s && *s; s++)
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
}

/* s escaped, its line breaks as <br>. */
static void
html_lines(FILE *f, const char *s)
{
    char one[2] = "";

    for (; *s; s++) {
        one[0] = *s;
        if (*s == '\n')
            fputs("<br>", f);
        else
            html_put(f, one);
    }
}

static const char html_style[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;"
    "max-width:1100px;margin:2em auto;padding:0 1em;color:#222;"
    "line-height:1.45}"
    "h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em}"
    "table{border-collapse:collapse;margin:1em 0;font-size:.92em}"
    "th,td{border-bottom:1px solid #ddd;padding:.35em .7em;"
    "text-align:right;vertical-align:top}"
    "th{background:#f4f4f4}td.l,th.l{text-align:left}"
    "td.mono{font-family:ui-monospace,monospace;font-size:.9em}"
    ".swatch{display:inline-block;width:.9em;height:.9em;"
    "margin-right:.4em;vertical-align:-.1em;border-radius:2px}"
    "figure{margin:2em 0}figure svg{max-width:100%;height:auto}"
    "figcaption{color:#555;font-size:.92em;max-width:60em}"
    "p.defs,p.inputs{color:#444;font-size:.9em;max-width:60em}";

/* The name cell: the series' colour swatch and its name. */
static void
html_name(FILE *f, const plot_series *s)
{
    fprintf(f, "<td class=\"l\"><span class=\"swatch\" style=\"background:"
            "%s\"></span>", s->color);
    html_put(f, s->name);
    fputs("</td>", f);
}

static void
html_table(FILE *f, const plot_set *ps)
{
    char b[CELL];

    fputs("<table>\n<tr><th class=\"l\">", f);
    html_put(f, name_head(ps));
    fputs("</th>", f);
    for (int c = 1; c < NCOLS; c++)
        if (col_shown(ps, c))
            fprintf(f, "<th%s>%s</th>", c == COL_WORST ? " class=\"l\"" : "",
                    col_head[c]);
    fputs("</tr>\n", f);
    for (int i = 0; i < ps->n; i++) {
        fputs("<tr>", f);
        html_name(f, &ps->s[i]);
        for (int c = 1; c < NCOLS; c++) {
            if (!col_shown(ps, c))
                continue;
            cell(ps, i, c, "\n", b, sizeof b);
            fputs(c == COL_WORST ? "<td class=\"l\">" : "<td>", f);
            html_lines(f, b);
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

/* The length of an attribute id='gnuplot_...' (either quote, with its
 * leading space) at p, or 0. gnuplot names its canvas and plots so, for
 * scripts we do not include, and repeats a name when it draws a plot's
 * key twice (an opaque key): such ids go. */
static size_t
gnuplot_id(const char *p)
{
    const char *q;

    if (strncmp(p, " id='gnuplot_", 13) && strncmp(p, " id=\"gnuplot_", 13))
        return 0;
    q = strchr(p + 13, p[4]);
    return q ? (size_t)(q + 1 - p) : 0;
}

/* The whole of file path, NUL-terminated, in a buffer the caller frees;
 * NULL with errno set. */
static char *
slurp(const char *path)
{
    FILE *in = fopen(path, "r");
    size_t n = 0, cap = 1 << 16, got;
    char *buf = in ? malloc(cap) : NULL;

    while (buf && (got = fread(buf + n, 1, cap - n - 1, in)) > 0) {
        n += got;
        if (n + 1 == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb)
                free(buf);
            buf = nb;
        }
    }
    if (buf && ferror(in)) {
        free(buf);
        buf = NULL;
    }
    if (buf)
        buf[n] = '\0';
    if (in)
        fclose(in);
    return buf;
}

/* Copies an SVG file from its <svg> on, giving its ids the prefix pfx
 * (and the references to them, #id and url(#id)). */
static int
html_svg(FILE *f, const char *path, const char *pfx, char *err,
         size_t errlen)
{
    static const char *const pat[] = {"id='", "id=\"", "href='#", "href=\"#",
                                      "url(#"};
    char *text = slurp(path), *p;

    if (!text || !(p = strstr(text, "<svg"))) {
        snprintf(err, errlen, "%s: %s", path,
                 text ? "no <svg> in it" : strerror(errno));
        free(text);
        return REPORT_EIO;
    }
    while (*p) {
        size_t k = 0, len = gnuplot_id(p);
        if (len) {
            p += len;
            continue;
        }
        for (; k < sizeof pat / sizeof pat[0]; k++)
            if (!strncmp(p, pat[k], len = strlen(pat[k])))
                break;
        if (k < sizeof pat / sizeof pat[0]) {
            fprintf(f, "%.*s%s-", (int)len, p, pfx);
            p += len;
        } else {
            fputc(*p++, f);
        }
    }
    free(text);
    return 0;
}

/* Where the runs came from: each distinct workload and scenario, with its
 * SHA-256, and the seeds. */
static void
html_inputs(FILE *f, const plot_set *ps)
{
    fputs("<p class=\"inputs\">", f);
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < ps->n; i++) {
            const pd_run *r = &ps->s[i].run;
            const char *path = pass ? r->scenario : r->workload;
            const char *sha = pass ? r->scenario_sha256 : r->workload_sha256;
            int seen = 0;
            for (int j = 0; j < i && !seen; j++) {
                const pd_run *o = &ps->s[j].run;
                const char *op = pass ? o->scenario : o->workload;
                seen = path && op && !strcmp(path, op);
            }
            if (seen || !path)
                continue;
            fputs(pass ? "Scenario <code>" : "Workload <code>", f);
            html_put(f, path);
            fputs("</code> (SHA-256 <code>", f);
            html_put(f, sha ? sha : "unknown");
            fputs("</code>).<br>\n", f);
        }
    if (ps->db) {
        fprintf(f, "Database <code>");
        html_put(f, ps->db);
        fputs("</code>", f);
    } else
        fputs("Runs not recorded (<code>--db none</code>)", f);
    fprintf(f, "; the figures count in time bins of %.9g s.</p>\n",
            (double)ps->width / 1e9);
}

static int
html_figures(FILE *f, const plot_set *ps, const char *dir, char *err,
             size_t errlen)
{
    char path[4096], pfx[16];

    for (int i = 0; i < ps->nfigures; i++) {
        snprintf(path, sizeof path, "%s/%s.svg", dir, ps->figures[i]);
        snprintf(pfx, sizeof pfx, "f%d", i + 1);
        fputs("<figure>\n", f);
        if (html_svg(f, path, pfx, err, errlen) != 0)
            return REPORT_EIO;
        fputs("<figcaption>", f);
        html_put(f, ps->captions[i]);
        fputs("</figcaption>\n</figure>\n", f);
    }
    return 0;
}

static void
html_clients(FILE *f, const plot_set *ps)
{
    char b[CELL];

    fputs("<h2>Per client</h2>\n<table>\n<tr><th class=\"l\">client</th>",
          f);
    for (int i = 0; i < ps->n; i++) {
        fputs("<th>", f);
        html_put(f, ps->s[i].name);
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
    for (int64_t k = 0; k < ps->s[0].sum.nclients; k++) {
        const char *name = ps->s[0].sum.clients[k].name;
        fputs("<tr><td class=\"l\">", f);
        html_put(f, name);
        fputs("</td>", f);
        for (int i = 0; i < ps->n; i++) {
            client_cell(find_client(&ps->s[i], name ? name : ""), b,
                        sizeof b);
            fprintf(f, "<td>%s</td>", b);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void
html_runs(FILE *f, const plot_set *ps)
{
    fputs("<h2>Runs</h2>\n<table>\n<tr><th>run</th><th class=\"l\">label"
          "</th><th class=\"l\">algorithm</th><th class=\"l\">scenario</th>"
          "<th>seed</th><th>requests</th><th class=\"l\">digest</th>"
          "<th>wall ms</th></tr>\n", f);
    for (int i = 0; i < ps->n; i++) {
        const pd_run *r = &ps->s[i].run;
        fprintf(f, "<tr><td>%lld</td><td class=\"l\">", (long long)r->run_id);
        html_put(f, r->label ? r->label : "");
        fputs("</td><td class=\"l\">", f);
        html_put(f, r->algo ? r->algo : "(scenario's)");
        fputs("</td><td class=\"l\">", f);
        html_put(f, r->scenario ? r->scenario : "");
        fprintf(f, "</td><td>%lld</td><td>%lld</td><td class=\"l mono\">",
                (long long)r->seed, (long long)r->requests);
        html_put(f, r->digest ? r->digest : "");
        fprintf(f, "</td><td>%.1f</td></tr>\n", r->wall_ms);
    }
    fputs("</table>\n", f);
}

int
plot_write_html(const plot_set *ps, const char *dir, char *err,
                size_t errlen)
{
    char path[4096];
    FILE *f = open_out(dir, "report.html", path, sizeof path, err, errlen);
    const char *title = ps->title ? ps->title : "ratesim";

    if (!f)
        return REPORT_EIO;
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8"
          "\">\n<title>", f);
    html_put(f, title);
    fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>",
            html_style);
    html_put(f, title);
    fputs("</h1>\n", f);
    html_inputs(f, ps);
    html_table(f, ps);
    fputs("<p class=\"defs\">", f);
    html_put(f, report_defs);
    fputs("</p>\n", f);
    if (html_figures(f, ps, dir, err, errlen) != 0) {
        fclose(f);
        return REPORT_EIO;
    }
    if (clients_shown(ps))
        html_clients(f, ps);
    html_runs(f, ps);
    fputs("</body>\n</html>\n", f);
    return close_out(f, path, err, errlen);
}
