/* SPDX-License-Identifier: MIT
 *
 * Stored regression cases (see casefile.h for the two file formats).
 *
 * case.ini is parsed by inih; its handler keeps only the first error's
 * message, and inih's return value (the line of the first error) locates
 * it, which is all a five-key file needs. expected.csv is read line by
 * line and split on commas: every cell is an integer, an outcome word or a
 * provider name, and provider names cannot hold commas or quotes (the
 * scenario reader allows only letters, digits and _-.:/@+), so the file
 * never needs quoting and a quote in it is an error.
 *
 * Every file this module writes is written beside its final name first and
 * renamed into place, so an interrupted update never leaves half a file.
 */
#include "sim/io/casefile.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "sim/io/units.h"

#define CASE_MAX_INI (64 * 1024)

/* ------------------------------------------------------------------ */
/* Small helpers                                                      */
/* ------------------------------------------------------------------ */

__attribute__((format(printf, 3, 4))) static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (errlen) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return 0;
}

/* dir + "/" + name, or name itself when it is absolute. */
static char *
join(const char *dir, const char *name)
{
    size_t nd = strlen(dir), nn = strlen(name);
    char *p;

    if (name[0] == '/')
        return strdup(name);
    if (!(p = malloc(nd + nn + 2)))
        return NULL;
    memcpy(p, dir, nd);
    p[nd] = '/';
    memcpy(p + nd + 1, name, nn + 1);
    return p;
}

/* The temporary name a file is written under before the rename. */
static char *
temp_name(const char *path)
{
    size_t n = strlen(path) + 16;
    char *p = malloc(n);

    if (p)
        snprintf(p, n, "%s.tmp%ld", path, (long)getpid());
    return p;
}

/* Closes f and renames tmp to path; on any failure removes tmp. */
static int
finish_file(FILE *f, const char *tmp, const char *path, char *err,
            size_t errlen)
{
    int bad = ferror(f);

    if (fclose(f) != 0 || bad) {
        fail(err, errlen, "%s: %s", path, strerror(errno ? errno : EIO));
        unlink(tmp);
        return SIM_EIO;
    }
    if (rename(tmp, path) != 0) {
        fail(err, errlen, "%s: %s", path, strerror(errno));
        unlink(tmp);
        return SIM_EIO;
    }
    return 0;
}

static int
is_hex32(const char *s)
{
    size_t i = 0;

    for (; s[i]; i++)
        if (!strchr("0123456789abcdef", s[i]))
            return 0;
    return i == 32;
}

/* ------------------------------------------------------------------ */
/* case.ini                                                           */
/* ------------------------------------------------------------------ */

typedef struct ini_ctx {
    const char *dir;
    case_def *c;
    char msg[256];              /* the first error, without its line */
    unsigned seen;              /* bit per key given */
} ini_ctx;

enum { K_DESCRIPTION, K_SCENARIO, K_WORKLOAD, K_SEED, K_ALGO, K_DIGEST, K_N };

static const char *const case_keys[K_N] = {
    "description", "scenario", "workload", "seed", "algo", "digest",
};

/* Records the first error; returns 0 so inih notes the line. */
__attribute__((format(printf, 2, 3))) static int
ini_fail(ini_ctx *x, const char *fmt, ...)
{
    va_list ap;

    if (x->msg[0])
        return 0;
    va_start(ap, fmt);
    vsnprintf(x->msg, sizeof x->msg, fmt, ap);
    va_end(ap);
    return 0;
}

static int
key_index(const char *name)
{
    for (int k = 0; k < K_N; k++)
        if (!strcmp(name, case_keys[k]))
            return k;
    return -1;
}

static int
set_path(ini_ctx *x, const char *key, const char *v, char **out)
{
    if (!*v)
        return ini_fail(x, "%s: expected a file name", key);
    if (!(*out = join(x->dir, v)))
        return ini_fail(x, "%s", strerror(ENOMEM));
    return 1;
}

static int
set_value(ini_ctx *x, int k, const char *v)
{
    int64_t seed;
    const char *why;

    switch (k) {
    case K_SCENARIO: return set_path(x, "scenario", v, &x->c->scenario);
    case K_WORKLOAD: return set_path(x, "workload", v, &x->c->workload);
    case K_SEED:
        if ((why = units_parse_int(v, 0, INT64_MAX, &seed)))
            return ini_fail(x, "seed: %s >= 0, got \"%s\"", why, v);
        x->c->seed = (uint64_t)seed;
        x->c->has_seed = 1;
        return 1;
    case K_ALGO:
        if (!*v)
            return ini_fail(x, "algo: expected an algorithm name");
        if (!(x->c->algo = strdup(v)))
            return ini_fail(x, "%s", strerror(ENOMEM));
        return 1;
    case K_DIGEST:
        if (*v && !is_hex32(v))
            return ini_fail(x, "digest: expected 32 lower-case hex digits, "
                            "got \"%s\"", v);
        snprintf(x->c->digest, sizeof x->c->digest, "%s", v);
        return 1;
    default:
        return 1;               /* description: for people */
    }
}

static int
on_case_key(void *user, const char *section, const char *name,
            const char *value)
{
    ini_ctx *x = user;
    int k = key_index(name);

    if (x->msg[0])
        return 0;
    if (strcmp(section, "case") != 0)
        return ini_fail(x, "%s: keys go in a [case] section", name);
    if (k < 0)
        return ini_fail(x, "%s: unknown key (description, scenario, "
                        "workload, seed, algo, digest)", name);
    if (x->seen & (1u << k))
        return ini_fail(x, "%s: given twice", name);
    x->seen |= 1u << k;
    return set_value(x, k, value);
}

int
case_load(const char *dir, case_def *c, char *err, size_t errlen)
{
    ini_ctx x = {.dir = dir, .c = c};
    char *path = join(dir, CASE_INI);
    int line;

    memset(c, 0, sizeof *c);
    if (!path)
        return fail(err, errlen, "%s", strerror(ENOMEM)), SIM_EIO;
    line = ini_parse(path, on_case_key, &x);
    if (line == -1)
        fail(err, errlen, "%s: %s", path, strerror(errno ? errno : ENOENT));
    else if (line == -2)
        fail(err, errlen, "%s: %s", path, strerror(ENOMEM));
    else if (line > 0)
        fail(err, errlen, "%s:%d: %s", path, line,
             x.msg[0] ? x.msg : "expected \"key = value\" or \"[case]\"");
    else if (!c->scenario || !c->workload)
        fail(err, errlen, "%s: %s: missing (the case needs a scenario and "
             "a workload)", path, c->scenario ? "workload" : "scenario");
    free(path);
    if (line == 0 && c->scenario && c->workload)
        return 0;
    case_clear(c);
    return line == -2 ? SIM_EIO : SIM_EINPUT;
}

void
case_clear(case_def *c)
{
    if (!c)
        return;
    free(c->scenario);
    free(c->workload);
    free(c->algo);
    memset(c, 0, sizeof *c);
}

/* Opens path for writing only if it does not exist yet. */
static FILE *
create_new(const char *path, char *err, size_t errlen, int *rc)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0666);
    FILE *f;

    if (fd < 0) {
        *rc = errno == EEXIST ? SIM_EINPUT : SIM_EIO;
        fail(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (!(f = fdopen(fd, "w"))) {
        *rc = SIM_EIO;
        fail(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        unlink(path);
    }
    return f;
}

int
case_create(const char *dir, const char *description, const char *scenario,
            const char *workload, const char *algo, uint64_t seed,
            int has_seed, char *err, size_t errlen)
{
    char *path = join(dir, CASE_INI);
    FILE *f;
    int rc = 0, bad;

    if (!path)
        return fail(err, errlen, "%s", strerror(ENOMEM)), SIM_EIO;
    if (!(f = create_new(path, err, errlen, &rc))) {
        free(path);
        return rc;
    }
    fprintf(f, "[case]\n");
    if (description && *description)
        fprintf(f, "description = %s\n", description);
    fprintf(f, "scenario    = %s\nworkload    = %s\n", scenario, workload);
    if (has_seed)
        fprintf(f, "seed        = %llu\n", (unsigned long long)seed);
    if (algo)
        fprintf(f, "algo        = %s\n", algo);
    bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        fail(err, errlen, "%s: %s", path, strerror(errno ? errno : EIO));
        unlink(path);
        rc = SIM_EIO;
    }
    free(path);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Rewriting the digest line of case.ini                              */
/* ------------------------------------------------------------------ */

/* Is this line "digest = ..."? Blanks around the key are whatever inih
 * strips (isspace: a form feed too), or a "digest\f= x" line that
 * case_load reads as the digest would not be replaced but doubled. */
static int
is_digest_line(const char *s, size_t n)
{
    size_t i = 0;

    while (i < n && isspace((unsigned char)s[i]))
        i++;
    if (n - i < 6 || memcmp(s + i, "digest", 6) != 0)
        return 0;
    for (i += 6; i < n && isspace((unsigned char)s[i]); i++)
        ;
    return i < n && (s[i] == '=' || s[i] == ':');
}

/* Reads a small file whole (NUL-terminated). Returns 0 or an errno. */
static int
read_small(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    size_t n;

    if (!f)
        return errno;
    if (!(buf = malloc(CASE_MAX_INI + 1))) {
        fclose(f);
        return ENOMEM;
    }
    n = fread(buf, 1, CASE_MAX_INI + 1, f);
    if (ferror(f) || n > CASE_MAX_INI) {
        int e = ferror(f) ? EIO : EFBIG;
        fclose(f);
        free(buf);
        return e;
    }
    fclose(f);
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

/* Is this line a section header, and is it [case]? Returns -1 for no
 * header, 1 for [case], 0 for another section (inih: blanks, then "[",
 * the name up to "]", untrimmed). */
static int
header_is_case(const char *s, size_t n)
{
    size_t i = 0;
    const char *close;

    while (i < n && isspace((unsigned char)s[i]))
        i++;
    if (i == n || s[i] != '[' ||
        !(close = memchr(s + i, ']', n - i)))
        return -1;
    return close - (s + i) == 5 && memcmp(s + i, "[case", 5) == 0;
}

/* Writes text with its digest line replaced, or one added at the end: in
 * the [case] section, so after a new "[case]" header when the file ends in
 * another section (case_load ignores other sections' text only when it
 * has no keys; a digest appended there would be refused). */
static void
write_with_digest(FILE *f, const char *text, size_t len, const char *hex)
{
    const char *p = text, *end = text + len;
    int done = 0, in_case = 0, h;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

        if ((h = header_is_case(p, n)) >= 0)
            in_case = h;
        if (is_digest_line(p, n) && !done) {
            fprintf(f, "digest      = %s\n", hex);
            done = 1;
        } else if (!is_digest_line(p, n)) {
            fwrite(p, 1, n, f);
            fputc('\n', f);
        }
        p += n + (nl != NULL);
    }
    if (!done)
        fprintf(f, "%sdigest      = %s\n", in_case ? "" : "[case]\n", hex);
}

int
case_set_digest(const char *dir, const char *hex, char *err, size_t errlen)
{
    char *path = join(dir, CASE_INI), *tmp = NULL, *text = NULL;
    size_t len = 0;
    FILE *f = NULL;
    int e, rc = SIM_EIO;

    if (!path || !(tmp = temp_name(path))) {
        fail(err, errlen, "%s", strerror(ENOMEM));
        goto out;
    }
    if ((e = read_small(path, &text, &len)) != 0) {
        fail(err, errlen, "%s: %s", path, strerror(e));
        rc = e == ENOMEM ? SIM_EIO : SIM_EINPUT;
        goto out;
    }
    if (!(f = fopen(tmp, "w"))) {
        fail(err, errlen, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    write_with_digest(f, text, len, hex);
    rc = finish_file(f, tmp, path, err, errlen);
out:
    free(text);
    free(tmp);
    free(path);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Copying an input into a new case folder                            */
/* ------------------------------------------------------------------ */

int
case_copy_file(const char *src, const char *dst, char *err, size_t errlen)
{
    FILE *in = strcmp(src, "-") ? fopen(src, "rb") : stdin;
    FILE *out;
    char buf[65536];
    size_t n;
    int rc = 0, bad;

    if (!in)
        return fail(err, errlen, "%s: %s", src, strerror(errno)), SIM_EINPUT;
    if (!(out = create_new(dst, err, errlen, &rc))) {
        if (in != stdin)
            fclose(in);
        return rc;
    }
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            break;
    if (ferror(in)) {
        fail(err, errlen, "%s: %s", src, strerror(errno ? errno : EIO));
        rc = SIM_EINPUT;
    }
    bad = ferror(out);
    if ((fclose(out) != 0 || bad) && !rc) {
        fail(err, errlen, "%s: %s", dst, strerror(errno ? errno : EIO));
        rc = SIM_EIO;
    }
    if (in != stdin)
        fclose(in);
    if (rc)
        unlink(dst);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Row lists                                                          */
/* ------------------------------------------------------------------ */

int
case_rows_push(case_rows *rows, const case_row *r)
{
    if (rows->n == rows->cap) {
        size_t cap = rows->cap ? 2 * rows->cap : 256;
        case_row *v = realloc(rows->v, cap * sizeof *v);

        if (!v)
            return SIM_EIO;
        rows->v = v;
        rows->cap = cap;
    }
    rows->v[rows->n++] = *r;
    return 0;
}

static int
key_cmp(const case_row *a, const case_row *b)
{
    if (a->req_id != b->req_id)
        return a->req_id < b->req_id ? -1 : 1;
    if (a->attempt != b->attempt)
        return a->attempt < b->attempt ? -1 : 1;
    return 0;
}

static int
key_cmp_void(const void *a, const void *b)
{
    return key_cmp(a, b);
}

void
case_rows_sort(case_rows *rows)
{
    if (rows->n > 1)
        qsort(rows->v, rows->n, sizeof *rows->v, key_cmp_void);
}

void
case_rows_clear(case_rows *rows)
{
    free(rows->v);
    memset(rows, 0, sizeof *rows);
}

/* ------------------------------------------------------------------ */
/* expected.csv                                                       */
/* ------------------------------------------------------------------ */

enum { F_REQ, F_ATTEMPT, F_PROVIDER, F_DISPATCH, F_DONE, F_OUTCOME, F_N };

static const char *const field_names[F_N] = {
    "req_id", "attempt", "provider", "t_dispatch", "t_done", "outcome",
};

typedef struct reader {
    const char *path;
    int64_t line;
    char *err;
    size_t errlen;
} reader;

/* Records "path:line: field: ..." and returns 2. */
__attribute__((format(printf, 3, 4))) static int
row_fail(const reader *rd, int field, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (!rd->errlen)
        return SIM_EINPUT;
    n = snprintf(rd->err, rd->errlen, "%s:%lld: ", rd->path,
                 (long long)rd->line);
    if (field >= 0 && n >= 0 && (size_t)n < rd->errlen)
        n += snprintf(rd->err + n, rd->errlen - (size_t)n, "%s: ",
                      field_names[field]);
    if (n >= 0 && (size_t)n < rd->errlen) {
        va_start(ap, fmt);
        vsnprintf(rd->err + n, rd->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return SIM_EINPUT;
}

/* Splits line at commas into exactly F_N cells. */
static int
split_cells(const reader *rd, char *line, char *cell[F_N])
{
    int n = 0;

    if (strchr(line, '"'))
        return row_fail(rd, -1, "quoted cells are not used in %s",
                        CASE_EXPECTED);
    for (char *p = line;; p++) {
        if (n < F_N)
            cell[n] = p;
        n++;
        p = strchr(p, ',');
        if (!p)
            break;
        *p = '\0';
    }
    if (n != F_N)
        return row_fail(rd, -1, "expected %d cells (%s), got %d", F_N,
                        CASE_HEADER, n);
    return 0;
}

static int
parse_time_cell(const reader *rd, int field, const char *s, sim_time *out)
{
    int64_t v;

    if (!*s) {
        *out = SIM_NONE;
        return 0;
    }
    if (units_parse_int(s, 0, INT64_MAX, &v))
        return row_fail(rd, field, "expected integer nanoseconds or "
                        "nothing, got \"%s\"", s);
    *out = v;
    return 0;
}

static int
parse_outcome(const reader *rd, const char *s, int *out)
{
    for (int o = SIM_OK; sim_outcome_name(o); o++)
        if (!strcmp(s, sim_outcome_name(o))) {
            *out = o;
            return 0;
        }
    return row_fail(rd, F_OUTCOME, "expected ok, failed, rejected, expired "
                    "or dropped, got \"%s\"", s);
}

static int
parse_row(const reader *rd, char *line, case_row *r)
{
    char *c[F_N];
    int64_t v;
    int rc;

    if ((rc = split_cells(rd, line, c)) != 0)
        return rc;
    memset(r, 0, sizeof *r);
    r->line = rd->line;
    if (units_parse_int(c[F_REQ], INT64_MIN + 1, INT64_MAX, &r->req_id))
        return row_fail(rd, F_REQ, "expected an integer, got \"%s\"",
                        c[F_REQ]);
    if (units_parse_int(c[F_ATTEMPT], 1, INT32_MAX, &v))
        return row_fail(rd, F_ATTEMPT, "expected an integer >= 1, got "
                        "\"%s\"", c[F_ATTEMPT]);
    r->attempt = (int32_t)v;
    if (strlen(c[F_PROVIDER]) >= sizeof r->provider)
        return row_fail(rd, F_PROVIDER, "longer than %d characters",
                        SIM_NAME_MAX - 1);
    strcpy(r->provider, c[F_PROVIDER]);
    if ((rc = parse_time_cell(rd, F_DISPATCH, c[F_DISPATCH],
                              &r->t_dispatch)) != 0 ||
        (rc = parse_time_cell(rd, F_DONE, c[F_DONE], &r->t_done)) != 0)
        return rc;
    return parse_outcome(rd, c[F_OUTCOME], &r->outcome);
}

/* Strips the line end (LF or CRLF). */
static void
chomp(char *s, ssize_t *n)
{
    while (*n > 0 && (s[*n - 1] == '\n' || s[*n - 1] == '\r'))
        s[--*n] = '\0';
}

/* Checks the header, then reads rows in (req_id, attempt) order. */
static int
read_rows(reader *rd, FILE *f, case_rows *rows)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0, header = 1;
    case_row r;

    while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
        rd->line++;
        chomp(line, &n);
        if (header) {
            header = 0;
            if (strcmp(line, CASE_HEADER) != 0)
                rc = row_fail(rd, -1, "expected the header \"%s\"",
                              CASE_HEADER);
            continue;
        }
        if (n == 0 || line[0] == '#')
            continue;
        if ((rc = parse_row(rd, line, &r)) != 0)
            break;
        if (rows->n && key_cmp(&rows->v[rows->n - 1], &r) >= 0)
            rc = row_fail(rd, F_REQ, "rows must be in increasing (req_id, "
                          "attempt) order");
        else if (case_rows_push(rows, &r) != 0)
            rc = SIM_EIO, row_fail(rd, -1, "%s", strerror(ENOMEM));
    }
    if (rc == 0 && header) {
        fail(rd->err, rd->errlen, "%s: empty file (expected the header "
             "\"%s\")", rd->path, CASE_HEADER);
        rc = SIM_EINPUT;
    }
    free(line);
    return rc;
}

int
case_read_expected(const char *path, case_rows *rows, char *err,
                   size_t errlen)
{
    reader rd = {.path = path, .err = err, .errlen = errlen};
    FILE *f = fopen(path, "r");
    int rc;

    if (!f)
        return fail(err, errlen, "%s: %s", path, strerror(errno)),
               SIM_EINPUT;
    rc = read_rows(&rd, f, rows);
    if (rc == 0 && ferror(f))
        rc = SIM_EINPUT, fail(err, errlen, "%s: %s", path, strerror(EIO));
    fclose(f);
    return rc;
}

static void
format_time(sim_time t, char *buf, size_t n)
{
    if (t == SIM_NONE)
        buf[0] = '\0';
    else
        snprintf(buf, n, "%lld", (long long)t);
}

char *
case_row_format(const case_row *r, char *buf, size_t n)
{
    char td[24], tc[24];
    const char *o = sim_outcome_name(r->outcome);

    format_time(r->t_dispatch, td, sizeof td);
    format_time(r->t_done, tc, sizeof tc);
    snprintf(buf, n, "%lld,%d,%s,%s,%s,%s", (long long)r->req_id,
             (int)r->attempt, r->provider, td, tc, o ? o : "?");
    return buf;
}

int
case_write_expected(const char *path, const case_rows *rows, char *err,
                    size_t errlen)
{
    char *tmp = temp_name(path);
    char line[SIM_NAME_MAX + 128];
    FILE *f;
    int rc;

    if (!tmp)
        return fail(err, errlen, "%s", strerror(ENOMEM)), SIM_EIO;
    if (!(f = fopen(tmp, "w"))) {
        fail(err, errlen, "%s: %s", tmp, strerror(errno));
        free(tmp);
        return SIM_EIO;
    }
    fprintf(f, "%s\n", CASE_HEADER);
    for (size_t i = 0; i < rows->n; i++)
        fprintf(f, "%s\n", case_row_format(&rows->v[i], line, sizeof line));
    rc = finish_file(f, tmp, path, err, errlen);
    free(tmp);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Comparison                                                         */
/* ------------------------------------------------------------------ */

static int
same_row(const case_row *a, const case_row *b)
{
    return a->outcome == b->outcome && a->t_dispatch == b->t_dispatch &&
           a->t_done == b->t_done && !strcmp(a->provider, b->provider);
}

/* Notes one differing key; the first one found is the first in order. */
static void
note_diff(case_diff *d, const case_row *e, const case_row *a)
{
    if (d->ndiff++ == 0) {
        d->expected = e;
        d->actual = a;
    }
}

size_t
case_compare(const case_rows *expected, const case_rows *actual,
             case_diff *d)
{
    size_t i = 0, j = 0;

    memset(d, 0, sizeof *d);
    while (i < expected->n || j < actual->n) {
        const case_row *e = i < expected->n ? &expected->v[i] : NULL;
        const case_row *a = j < actual->n ? &actual->v[j] : NULL;
        int c = !e ? 1 : !a ? -1 : key_cmp(e, a);

        if (c < 0) {
            note_diff(d, e, NULL);
            i++;
        } else if (c > 0) {
            note_diff(d, NULL, a);
            j++;
        } else {
            if (!same_row(e, a))
                note_diff(d, e, a);
            i++;
            j++;
        }
    }
    return d->ndiff;
}
