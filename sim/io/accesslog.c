/* SPDX-License-Identifier: MIT
 *
 * The access-log reader (see accesslog.h for the formats and the window).
 *
 * A line is read with getline and parsed in place by a cursor that steps
 * over the log's fields: bare tokens, a [bracketed] timestamp and
 * "quoted" strings in which a backslash escapes the next byte (Apache
 * writes \" for a quote in a request line; nginx writes \x22, which needs
 * nothing special). A timestamp becomes nanoseconds through a days-from-
 * civil count (Hinnant's algorithm), in integers only, so a zone offset of
 * -0700 is exactly 25200 s and two lines written at the same instant in
 * two zones get the same time.
 *
 * Usable lines go into the event heap of sim/heap.h (time, then insertion
 * order, which is file order), with a copy of their client key as the
 * event's pointer; alog_next releases the earliest once a line `window`
 * later has been read, or at the end of the input.
 */
#include "sim/io/accesslog.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "sim/engine.h"
#include "sim/heap.h"
#include "sim/io/units.h"

#define ALOG_SHOW_MAX 40
#define ALOG_MAX_CELLS 64
#define ALOG_MAX_WINDOW (86400 * SIM_NS_PER_S)

struct alog {
    FILE *fp;
    int own_fp;
    char *path;
    char *line;
    size_t cap;
    int format, client;
    sim_time window;
    int time_col, client_col;   /* csv; client_col -1: none */
    heap *h;
    sim_time max_seen;          /* latest time read; SIM_NONE: none yet */
    sim_time last_out;          /* latest time released; SIM_NONE: none */
    sim_time first;             /* the earliest (first released) time */
    char *cur_client;           /* the released entry's key, owned */
    int eof;
    alog_counts n;
};

/* A piece of the line, [p, end). */
typedef struct span {
    const char *p, *end;
} span;

/* ------------------------------------------------------------------ */
/* Messages                                                           */
/* ------------------------------------------------------------------ */

/* "path:line: field: why", with up to ALOG_SHOW_MAX bytes of what was
 * found. Returns 2. */
static int
bad_line(const alog *a, char *err, size_t errlen, const char *field,
         const char *why, span got)
{
    size_t n;
    const char *more;

    while (got.p < got.end && *got.p == ' ')
        got.p++;
    n = (size_t)(got.end - got.p);
    more = n > ALOG_SHOW_MAX ? "..." : "";

    if (n > ALOG_SHOW_MAX)
        n = ALOG_SHOW_MAX;
    if (n == 0)
        snprintf(err, errlen, "%s:%lld: %s: %s, got the end of the line",
                 a->path, (long long)a->n.lines, field, why);
    else
        snprintf(err, errlen, "%s:%lld: %s: %s, got \"%.*s%s\"", a->path,
                 (long long)a->n.lines, field, why, (int)n, got.p, more);
    return SIM_EINPUT;
}

/* ------------------------------------------------------------------ */
/* Timestamps                                                         */
/* ------------------------------------------------------------------ */

static const char *const months[12] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar. */
static int64_t
days_from_civil(int64_t y, int64_t m, int64_t d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int
days_in_month(int64_t y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return days[m - 1] + (m == 2 && leap);
}

/* Reads exactly n digits at *p. Returns -1 when they are not there. */
static int64_t
digits(const char **p, const char *end, int n)
{
    int64_t v = 0;

    for (int i = 0; i < n; i++, (*p)++) {
        if (*p >= end || **p < '0' || **p > '9')
            return -1;
        v = v * 10 + (**p - '0');
    }
    return v;
}

static int
expect(const char **p, const char *end, char c)
{
    if (*p >= end || **p != c)
        return 0;
    (*p)++;
    return 1;
}

static int
month_of(const char **p, const char *end)
{
    if (end - *p < 3)
        return 0;
    for (int m = 0; m < 12; m++)
        if (!memcmp(*p, months[m], 3)) {
            *p += 3;
            return m + 1;
        }
    return 0;
}

/* The optional ".fraction" of the seconds, as ns. -1 when malformed. */
static int64_t
fraction(const char **p, const char *end)
{
    int64_t ns = 0, scale = 100000000;

    if (*p >= end || **p != '.')
        return 0;
    (*p)++;
    if (*p >= end || **p < '0' || **p > '9')
        return -1;
    for (; *p < end && **p >= '0' && **p <= '9'; (*p)++, scale /= 10) {
        if (scale == 0)
            return -1;
        ns += (**p - '0') * scale;
    }
    return ns;
}

/* The zone " +hhmm" as seconds east of UTC, or INT64_MIN. */
static int64_t
zone(const char **p, const char *end)
{
    int sign;
    int64_t hh, mm;

    if (!expect(p, end, ' ') || *p >= end || (**p != '+' && **p != '-'))
        return INT64_MIN;
    sign = *(*p)++ == '-' ? -1 : 1;
    hh = digits(p, end, 2);
    mm = digits(p, end, 2);
    if (hh < 0 || hh > 23 || mm < 0 || mm > 59)
        return INT64_MIN;
    return sign * (hh * 3600 + mm * 60);
}

const char *
alog_parse_time(const char *s, size_t len, sim_time *out)
{
    static const char msg[] = "expected a time like 10/Oct/2000:13:55:36 "
                              "-0700";
    const char *p = s, *end = s + len;
    int64_t d, y, H, M, S, f, z;
    int m;

    d = digits(&p, end, 2);
    if (d < 1 || !expect(&p, end, '/') || !(m = month_of(&p, end)) ||
        !expect(&p, end, '/'))
        return msg;
    y = digits(&p, end, 4);
    if (!expect(&p, end, ':') || (H = digits(&p, end, 2)) < 0 ||
        !expect(&p, end, ':') || (M = digits(&p, end, 2)) < 0 ||
        !expect(&p, end, ':') || (S = digits(&p, end, 2)) < 0 ||
        (f = fraction(&p, end)) < 0 || (z = zone(&p, end)) == INT64_MIN ||
        p != end)
        return msg;
    if (y < 1970 || y > 2200)
        return "the year is outside 1970..2200";
    if (d > days_in_month(y, m) || H > 23 || M > 59 || S > 60)
        return "no such day or time of day";
    *out = ((days_from_civil(y, m, d) * 86400 + H * 3600 + M * 60 + S - z) *
            SIM_NS_PER_S) + f;
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Common and Combined Log Format                                     */
/* ------------------------------------------------------------------ */

/* A log line's fields, as spans into it. */
typedef struct clf_line {
    span host, user, time;
} clf_line;

/* Where parsing failed: which field, why, and the text found there. */
typedef struct clf_err {
    const char *field, *why;
    span at;
} clf_err;

static int
clf_fail(clf_err *e, const char *field, const char *why, const char *p,
         const char *end)
{
    e->field = field;
    e->why = why;
    e->at = (span){p, end};
    return 0;
}

/* One space-delimited token (after one separating space, unless first). */
static int
token(const char **p, const char *end, span *out)
{
    const char *s = *p;

    while (*p < end && **p != ' ')
        (*p)++;
    *out = (span){s, *p};
    return *p > s;
}

static int
space(const char **p, const char *end)
{
    if (*p >= end || **p != ' ')
        return 0;
    while (*p < end && **p == ' ')
        (*p)++;
    return 1;
}

/* "...", a backslash escaping the next byte; out is the inside. */
static int
quoted(const char **p, const char *end, span *out)
{
    const char *s;

    if (*p >= end || **p != '"')
        return 0;
    s = ++*p;
    while (*p < end && **p != '"') {
        if (**p == '\\' && *p + 1 < end)
            (*p)++;
        (*p)++;
    }
    if (*p >= end)
        return 0;
    *out = (span){s, (*p)++};
    return 1;
}

/* [...]; out is the inside. */
static int
bracketed(const char **p, const char *end, span *out)
{
    const char *close;

    if (*p >= end || **p != '[' ||
        !(close = memchr(*p, ']', (size_t)(end - *p))))
        return 0;
    *out = (span){*p + 1, close};
    *p = close + 1;
    return 1;
}

static int
status_ok(span s)
{
    if (s.end - s.p != 3)
        return 0;
    for (const char *q = s.p; q < s.end; q++)
        if (*q < '0' || *q > '9')
            return 0;
    return 1;
}

static int
bytes_ok(span s)
{
    if (s.end - s.p == 1 && *s.p == '-')
        return 1;
    for (const char *q = s.p; q < s.end; q++)
        if (*q < '0' || *q > '9')
            return 0;
    return s.end > s.p;
}

/* The status, the size and, for combined, the referer and user agent. */
static int
clf_tail(const char **p, const char *end, int combined, clf_err *e)
{
    span s, b, q;
    const char *at = *p;

    if (!space(p, end) || !token(p, end, &s) || !status_ok(s))
        return clf_fail(e, "status", "expected a 3-digit status", at, end);
    at = *p;
    if (!space(p, end) || !token(p, end, &b) || !bytes_ok(b))
        return clf_fail(e, "bytes", "expected a size or \"-\"", at, end);
    if (!combined)
        return 1;
    at = *p;
    if (!space(p, end) || !quoted(p, end, &q))
        return clf_fail(e, "referer", "expected a quoted referer", at, end);
    at = *p;
    if (!space(p, end) || !quoted(p, end, &q))
        return clf_fail(e, "user-agent", "expected a quoted user agent", at,
                        end);
    return 1;
}

/* Parses the fields of a CLF or combined line. Returns 1, or 0 with e. */
static int
clf_parse(const char *s, const char *end, int combined, clf_line *l,
          clf_err *e)
{
    const char *p = s, *at;
    span ident, req;

    memset(l, 0, sizeof *l);
    if (!token(&p, end, &l->host))
        return clf_fail(e, "host", "expected the remote address", p, end);
    if (!space(&p, end) || !token(&p, end, &ident))
        return clf_fail(e, "ident", "expected the identity or \"-\"", p, end);
    if (!space(&p, end) || !token(&p, end, &l->user))
        return clf_fail(e, "user", "expected the user or \"-\"", p, end);
    at = p;
    if (!space(&p, end) || !bracketed(&p, end, &l->time))
        return clf_fail(e, "time", "expected [day/Mon/year:hh:mm:ss zone]",
                        at, end);
    at = p;
    if (!space(&p, end) || !quoted(&p, end, &req))
        return clf_fail(e, "request", "expected a quoted request line", at,
                        end);
    return clf_tail(&p, end, combined, e);
}

/* ------------------------------------------------------------------ */
/* CSV                                                                */
/* ------------------------------------------------------------------ */

/* Splits a line into cells in place (RFC 4180 quotes, "" for a quote; no
 * line break inside a cell). Returns the number of cells, or -1 on a bad
 * quote. Cells past ALOG_MAX_CELLS are counted but not kept. */
static int
split_csv(char *s, char **cells)
{
    int n = 0;
    char *r = s, *w = s;

    for (;;) {
        char *start = w;
        if (*r == '"') {
            for (r++;; r++) {
                if (*r == '\0')
                    return -1;
                if (*r == '"' && r[1] != '"')
                    break;
                *w++ = *r == '"' ? *r++ : *r;
            }
            r++;
            if (*r != ',' && *r != '\0')
                return -1;
        } else {
            while (*r && *r != ',')
                *w++ = *r++;
        }
        if (n < ALOG_MAX_CELLS)
            cells[n] = start;
        n++;
        if (*r == '\0') {
            *w = '\0';
            return n;
        }
        r++;
        *w++ = '\0';
    }
}

static int
csv_header(alog *a, char *line, char *err, size_t errlen)
{
    char *cells[ALOG_MAX_CELLS];
    int n = split_csv(line, cells);

    a->time_col = a->client_col = -1;
    for (int i = 0; i < n && i < ALOG_MAX_CELLS; i++) {
        if (!strcmp(cells[i], "time"))
            a->time_col = i;
        else if (!strcmp(cells[i], "client") &&
                 a->client != ALOG_CLIENT_NONE)
            a->client_col = i;
    }
    if (n < 0 || a->time_col < 0) {
        snprintf(err, errlen, "%s:%lld: header: expected a header row with "
                 "a \"time\" column", a->path, (long long)a->n.lines);
        return SIM_EINPUT;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Reading lines                                                      */
/* ------------------------------------------------------------------ */

static int
is_blank(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return *s == '\0';
}

/* Reads the next line into a->line without its line end. Returns 1, 0 at
 * the end, or 3 on a read error. */
static int
get_line(alog *a, char *err, size_t errlen)
{
    ssize_t n = getline(&a->line, &a->cap, a->fp);

    if (n < 0) {
        if (ferror(a->fp)) {
            snprintf(err, errlen, "%s: %s", a->path,
                     strerror(errno ? errno : EIO));
            return SIM_EIO;
        }
        return 0;
    }
    a->n.lines++;
    while (n > 0 && (a->line[n - 1] == '\n' || a->line[n - 1] == '\r'))
        a->line[--n] = '\0';
    return 1;
}

static int
client_key(const alog *a, span host, span user, char **out)
{
    span k = a->client == ALOG_CLIENT_IP ? host : user;

    *out = NULL;
    if (a->client == ALOG_CLIENT_NONE ||
        (k.end - k.p == 1 && *k.p == '-'))
        return 0;
    *out = strndup(k.p, (size_t)(k.end - k.p));
    return *out ? 0 : SIM_EIO;
}

/* A log line into a time and a client key. Returns 0, 2 or 3. */
static int
parse_log_line(alog *a, sim_time *t, char **client, char *err,
               size_t errlen)
{
    const char *s = a->line, *end = s + strlen(s), *why;
    clf_line l;
    clf_err e;

    if (!clf_parse(s, end, a->format == ALOG_COMBINED, &l, &e))
        return bad_line(a, err, errlen, e.field, e.why, e.at);
    if ((why = alog_parse_time(l.time.p, (size_t)(l.time.end - l.time.p), t)))
        return bad_line(a, err, errlen, "time", why, l.time);
    return client_key(a, l.host, l.user, client);
}

static int
parse_csv_line(alog *a, sim_time *t, char **client, char *err,
               size_t errlen)
{
    char *cells[ALOG_MAX_CELLS];
    int n = split_csv(a->line, cells);
    int need = a->time_col > a->client_col ? a->time_col : a->client_col;
    const char *why, *c;

    *client = NULL;
    if (n < 0)
        return bad_line(a, err, errlen, "line", "a quote is not closed",
                        (span){a->line, a->line + strlen(a->line)});
    if (n <= need)
        return bad_line(a, err, errlen, "line", "fewer cells than the header",
                        (span){a->line, a->line + strlen(a->line)});
    if ((why = units_parse_seconds(cells[a->time_col], t)))
        return bad_line(a, err, errlen, "time", why,
                        (span){cells[a->time_col], cells[a->time_col] +
                               strlen(cells[a->time_col])});
    c = a->client_col >= 0 ? cells[a->client_col] : "";
    if (*c && !(*client = strdup(c)))
        return SIM_EIO;
    return 0;
}

/* A time earlier than one already released cannot be placed. */
static int
too_late(alog *a, sim_time t, char *err, size_t errlen)
{
    char late[32], win[32];

    a->n.out_of_order++;
    snprintf(err, errlen, "%s:%lld: time: %ss earlier than a line already "
             "imported (out of order by more than the %ss window)", a->path,
             (long long)a->n.lines,
             units_format_seconds(a->last_out - t, late, sizeof late),
             units_format_seconds(a->window, win, sizeof win));
    return SIM_EINPUT;
}

/* Reads one line and holds it in the heap. Returns 0 (held, or nothing to
 * hold), 1 at the end of the input, 2 for a skipped line, 3 on failure. */
static int
read_one(alog *a, char *err, size_t errlen)
{
    sim_time t = 0;
    char *client = NULL;
    int rc = get_line(a, err, errlen);
    heap_ev ev = {0};

    if (rc != 1)
        return rc == 0 ? 1 : rc;
    if (is_blank(a->line) || (a->format == ALOG_CSV && a->line[0] == '#'))
        return 0;
    rc = a->format == ALOG_CSV ? parse_csv_line(a, &t, &client, err, errlen)
                               : parse_log_line(a, &t, &client, err, errlen);
    if (rc == SIM_EINPUT)
        a->n.malformed++;
    if (rc == 0 && a->last_out != SIM_NONE && t < a->last_out)
        rc = too_late(a, t, err, errlen);
    ev.t = t;
    ev.ptr = client;
    if (rc == 0 && heap_push(a->h, &ev) != 0)
        rc = SIM_EIO;
    if (rc == SIM_EIO && !err[0])
        snprintf(err, errlen, "out of memory");
    if (rc != 0) {
        free(client);
        return rc;
    }
    if (a->max_seen == SIM_NONE || t > a->max_seen)
        a->max_seen = t;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Entry points                                                       */
/* ------------------------------------------------------------------ */

static int
open_input(alog *a, const char *path, char *err, size_t errlen)
{
    if (!strcmp(path, "-")) {
        a->fp = stdin;
        return 0;
    }
    if (!(a->fp = fopen(path, "r"))) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return SIM_EINPUT;
    }
    a->own_fp = 1;
    return 0;
}

/* The csv header: the first line that is not blank or a comment. */
static int
read_csv_header(alog *a, char *err, size_t errlen)
{
    int rc;

    while ((rc = get_line(a, err, errlen)) == 1)
        if (!is_blank(a->line) && a->line[0] != '#')
            return csv_header(a, a->line, err, errlen);
    if (rc == 0)
        snprintf(err, errlen, "%s: empty file (expected a header row with a "
                 "\"time\" column)", a->path);
    return rc == 0 ? SIM_EINPUT : rc;
}

int
alog_open(alog **out, const char *path, int format, int client,
          sim_time window, char *err, size_t errlen)
{
    alog *a = calloc(1, sizeof *a);
    int rc;

    *out = NULL;
    if (!a || !(a->path = strdup(path)) || !(a->h = heap_new())) {
        snprintf(err, errlen, "out of memory");
        alog_close(a);
        return SIM_EIO;
    }
    a->format = format;
    a->client = client;
    a->window = window < 0 ? 0 : window > ALOG_MAX_WINDOW ? ALOG_MAX_WINDOW
                                                          : window;
    a->max_seen = a->last_out = a->first = SIM_NONE;
    if ((rc = open_input(a, path, err, errlen)) != 0 ||
        (format == ALOG_CSV && (rc = read_csv_header(a, err, errlen)) != 0)) {
        alog_close(a);
        return rc;
    }
    *out = a;
    return 0;
}

/* Releases the earliest held line as the next entry. */
static int
release(alog *a, alog_entry *out)
{
    heap_ev ev;

    heap_pop(a->h, &ev);
    free(a->cur_client);
    a->cur_client = ev.ptr;
    if (a->first == SIM_NONE)
        a->first = ev.t;
    a->last_out = ev.t;
    a->n.imported++;
    *out = (alog_entry){.t = ev.t, .at = ev.t - a->first,
                        .client = a->cur_client};
    return 1;
}

int
alog_next(alog *a, alog_entry *out, char *err, size_t errlen)
{
    for (;;) {
        const heap_ev *top = heap_peek(a->h);
        int rc;

        if (top && (a->eof || top->t <= a->max_seen - a->window))
            return release(a, out);
        if (a->eof)
            return 0;
        err[0] = '\0';
        if ((rc = read_one(a, err, errlen)) == 1)
            a->eof = 1;
        else if (rc != 0)
            return rc;
    }
}

void
alog_counts_get(const alog *a, alog_counts *out)
{
    *out = a->n;
}

void
alog_close(alog *a)
{
    heap_ev ev;

    if (!a)
        return;
    if (a->h) {
        while (heap_pop(a->h, &ev))
            free(ev.ptr);
        heap_free(a->h);
    }
    if (a->own_fp)
        fclose(a->fp);
    free(a->cur_client);
    free(a->line);
    free(a->path);
    free(a);
}
