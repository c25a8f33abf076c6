/* SPDX-License-Identifier: MIT
 *
 * Scenario overlays (see overlay.h). An ovl is an array of lines, each the
 * bytes of one line (no "\n") and the name of its origin: "path:12" for a
 * line of the file, the flag's text for a line a flag made. Flags edit the
 * array; ovl_build then renders it once into the text and the origins
 * array that scn_load_text takes.
 *
 * The structure of the text is read here only as far as an edit needs it:
 * which lines are section headers (kind and name, as the scenario reader
 * finds them) and which key a line gives. Nothing else is judged: a bad
 * value, a key the section does not take, a duplicate provider are all
 * the scenario reader's to report, against the origin of the line. So the
 * rules live in one place, and a flag-built scenario cannot be accepted
 * where the same INI would be refused.
 *
 * Invariants: o->n lines, every text and origin owned and NUL-terminated;
 * no text holds a "\n" or "\r" (flags with one are refused, since a line
 * break in a value would smuggle in a section of its own). A byte-order
 * mark at the start of the file is dropped on reading, so that lines can
 * be inserted before the first.
 */
#include "sim/io/overlay.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algos/algos.h"
#include "sim/engine.h"
#include "sim/io/sha.h"

#define OVL_MAX_FILE (16L * 1024 * 1024)  /* as the scenario reader */
#define OVL_ORIGIN 512                    /* room for a flag's name */

typedef struct ovl_line {
    char *text;
    char *where;
} ovl_line;

struct ovl {
    ovl_line *line;
    int n, cap;
    int final_nl;           /* the text ends in "\n" */
    char *name;             /* the path, or "flags" */
    char *text;             /* rendered by ovl_build */
    size_t len;
    const char **where;     /* rendered: line i's origin */
};

/* A piece of a string. */
typedef struct span {
    const char *p;
    size_t n;
} span;

/* ------------------------------------------------------------------ */
/* Messages and small helpers                                         */
/* ------------------------------------------------------------------ */

/* Writes "origin: message" and returns 2 (SIM_EINPUT). */
__attribute__((format(printf, 4, 5))) static int
ovl_fail(char *err, size_t errlen, const char *origin, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (errlen == 0)
        return SIM_EINPUT;
    n = snprintf(err, errlen, "%s: ", origin);
    if (n >= 0 && (size_t)n < errlen) {
        va_start(ap, fmt);
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return SIM_EINPUT;
}

static int
ovl_nomem(char *err, size_t errlen)
{
    snprintf(err, errlen, "%s", strerror(ENOMEM));
    return SIM_EIO;
}

static span
trim(span s)
{
    while (s.n > 0 && isspace((unsigned char)s.p[0]))
        s.p++, s.n--;
    while (s.n > 0 && isspace((unsigned char)s.p[s.n - 1]))
        s.n--;
    return s;
}

static int
span_eq(span a, span b)
{
    return a.n == b.n && memcmp(a.p, b.p, a.n) == 0;
}

static span
span_of(const char *s)
{
    return (span){ s, strlen(s) };
}

/* A key name: letters, digits and "_", as every scenario key is. */
static int
is_key(span s)
{
    for (size_t i = 0; i < s.n; i++)
        if (!isalnum((unsigned char)s.p[i]) && s.p[i] != '_')
            return 0;
    return s.n > 0;
}

/* Whether s starts with "KEY=". */
static int
starts_key_eq(const char *s)
{
    const char *e = s;

    while (isalnum((unsigned char)*e) || *e == '_')
        e++;
    return e > s && *e == '=';
}

/* ------------------------------------------------------------------ */
/* Lines                                                              */
/* ------------------------------------------------------------------ */

static char *
dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);

    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* Makes room for one more line. Returns 0, or -1 out of memory. */
static int
grow(ovl *o)
{
    int cap = o->cap ? 2 * o->cap : 32;
    ovl_line *nl;

    if (o->n < o->cap)
        return 0;
    if (!(nl = realloc(o->line, (size_t)cap * sizeof *nl)))
        return -1;
    o->line = nl;
    o->cap = cap;
    return 0;
}

/* Inserts a line at index at. Returns 0, or -1 out of memory. */
static int
ins_line(ovl *o, int at, span text, const char *where)
{
    ovl_line l = { dup_n(text.p, text.n), dup_n(where, strlen(where)) };

    if (!l.text || !l.where || grow(o) != 0) {
        free(l.text);
        free(l.where);
        return -1;
    }
    memmove(&o->line[at + 1], &o->line[at],
            (size_t)(o->n - at) * sizeof *o->line);
    o->line[at] = l;
    o->n++;
    return 0;
}

static void
del_line(ovl *o, int at)
{
    free(o->line[at].text);
    free(o->line[at].where);
    memmove(&o->line[at], &o->line[at + 1],
            (size_t)(o->n - at - 1) * sizeof *o->line);
    o->n--;
}

/* Inserts "a b c" at index at, the three pieces joined by sep1 and
 * sep2 ("key = value", "[provider NAME]"). Returns 0 or -1. */
static int
ins_join(ovl *o, int at, span a, const char *sep1, span b, const char *sep2,
         const char *where)
{
    size_t n = a.n + b.n + strlen(sep1) + strlen(sep2) + 1;
    char *buf = malloc(n);
    int rc;

    if (!buf)
        return -1;
    snprintf(buf, n, "%.*s%s%.*s%s", (int)a.n, a.p, sep1, (int)b.n, b.p,
             sep2);
    rc = ins_line(o, at, span_of(buf), where);
    free(buf);
    return rc;
}

static int
ins_key(ovl *o, int at, span key, span value, const char *where)
{
    return ins_join(o, at, key, " = ", value, "", where);
}

/* ------------------------------------------------------------------ */
/* Reading the structure                                              */
/* ------------------------------------------------------------------ */

/* The kind ("sim", "provider", "client") and name of a section header
 * line, as the scenario reader reads them: the text up to "]" or an
 * inline " ;" comment, its first word the kind. 0: no header. */
static int
header_of(const char *line, span *kind, span *name)
{
    const char *s = line, *e;
    size_t k = 0;
    span text;

    while (isspace((unsigned char)*s))
        s++;
    if (*s != '[')
        return 0;
    for (e = s + 1; *e && *e != ']' && !(*e == ';' && isspace(
                                              (unsigned char)e[-1])); e++)
        ;
    text = trim((span){ s + 1, (size_t)(e - s - 1) });
    while (k < text.n && !isspace((unsigned char)text.p[k]))
        k++;
    *kind = (span){ text.p, k };
    *name = trim((span){ text.p + k, text.n - k });
    return 1;
}

/* The key a line gives (inih: the text before the first "=" or ":");
 * 0 for a blank line, a comment or a header. */
static int
key_of(const char *line, span *key)
{
    const char *s = line;
    size_t k;

    while (isspace((unsigned char)*s))
        s++;
    if (!*s || strchr(";#[", *s))
        return 0;
    k = strcspn(s, "=:");
    if (!s[k])
        return 0;
    *key = trim((span){ s, k });
    return 1;
}

/* The header line of section (kind, name), or -1. */
static int
find_section(const ovl *o, const char *kind, span name)
{
    span k, nm;

    for (int i = 0; i < o->n; i++)
        if (header_of(o->line[i].text, &k, &nm) &&
            span_eq(k, span_of(kind)) && span_eq(nm, name))
            return i;
    return -1;
}

/* The line after the last of the section whose header is at h. */
static int
section_end(const ovl *o, int h)
{
    span k, nm;
    int i = h + 1;

    while (i < o->n && !header_of(o->line[i].text, &k, &nm))
        i++;
    return i;
}

/* Sets key in the section whose header is at h: the first line giving it
 * becomes "key = value", later ones go; without one, a line is added after
 * the section's last key. Returns 0, or -1 out of memory. */
static int
set_in_section(ovl *o, int h, span key, span value, const char *where)
{
    int end = section_end(o, h), at = h + 1, done = 0;
    span k;

    for (int i = h + 1; i < end;) {
        if (!key_of(o->line[i].text, &k)) {
            i++;
            continue;
        }
        if (!span_eq(k, key)) {
            at = ++i;
            continue;
        }
        del_line(o, i);
        end--;
        if (!done && ins_key(o, i, key, value, where) != 0)
            return -1;
        if (!done)
            end++, at = ++i, done = 1;
    }
    return done ? 0 : ins_key(o, at, key, value, where);
}

/* ------------------------------------------------------------------ */
/* Reading the file                                                   */
/* ------------------------------------------------------------------ */

/* Reads path whole into a NUL-terminated buffer. Returns 0 or an errno. */
static int
slurp(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int e = 0;

    if (!f)
        return errno;
    do {
        char *nb = cap >= (size_t)OVL_MAX_FILE ? NULL
                                                : realloc(buf, cap + 4097);
        if (!nb) {
            e = cap >= (size_t)OVL_MAX_FILE ? EFBIG : ENOMEM;
            break;
        }
        buf = nb;
        cap += 4096;
        n += fread(buf + n, 1, cap - n, f);
    } while (n == cap);
    if (!e && ferror(f))
        e = errno ? errno : EIO;
    fclose(f);
    if (e) {
        free(buf);
        return e;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

/* Splits the file's bytes into lines, each with origin "path:N". */
static int
load_lines(ovl *o, const char *path, const char *buf, size_t len)
{
    char where[OVL_ORIGIN];
    size_t pos = 0;

    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    o->final_nl = len == 0 || buf[len - 1] == '\n';
    for (int no = 1; pos < len; no++) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;

        snprintf(where, sizeof where, "%s:%d", path, no);
        if (ins_line(o, o->n, (span){ buf + pos, n }, where) != 0)
            return -1;
        pos += n + (nl != NULL);
    }
    return 0;
}

static int
load_file(ovl *o, const char *path, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    int e = slurp(path, &buf, &len);

    if (e)
        return ovl_fail(err, errlen, path, "%s", strerror(e));
    e = load_lines(o, path, buf, len);
    free(buf);
    return e ? ovl_nomem(err, errlen) : 0;
}

/* ------------------------------------------------------------------ */
/* Flags                                                              */
/* ------------------------------------------------------------------ */

/* The next item of a flag's spec at *p: up to the next sep that is
 * followed by "KEY=" when the item is itself KEY=VALUE, else up to the
 * next sep. Moves *p past it and its sep. */
static span
next_item(const char **p, char sep)
{
    const char *s = *p, *e = s;
    int keyed = starts_key_eq(s);

    while ((e = strchr(e, sep)) != NULL && keyed && !starts_key_eq(e + 1))
        e++;
    if (!e)
        e = s + strlen(s);
    *p = *e ? e + 1 : e;
    return (span){ s, (size_t)(e - s) };
}

/* Splits a KEY=VALUE item; 0 when it has no "=" or a bad key. */
static int
key_value(span item, span *key, span *value)
{
    const char *eq = memchr(item.p, '=', item.n);

    if (!eq)
        return 0;
    *key = trim((span){ item.p, (size_t)(eq - item.p) });
    *value = (span){ eq + 1, item.n - (size_t)(eq - item.p) - 1 };
    return is_key(*key);
}

/* The key a positional item of --provider gives: ALGO, then its rate (or
 * its concurrency, for an algorithm that takes that and no rate). */
static const char *
positional_key(int i, span algo_name)
{
    char name[64];
    const algo *a = NULL;

    if (i == 0)
        return "algo";
    if (algo_name.n < sizeof name) {
        memcpy(name, algo_name.p, algo_name.n);
        name[algo_name.n] = '\0';
        a = algo_find(name);
    }
    if (a && !(a->takes & ALGO_TAKES_RATE) &&
        (a->takes & ALGO_TAKES_CONCURRENCY))
        return "concurrency";
    return "rate";
}

/* One item after the name of --provider or --client, as a line at *at. */
static int
section_item(ovl *o, int *at, span item, int *npos, span *algo_name,
             int provider, const char *origin, char *err, size_t errlen)
{
    span key, value;
    const char *usage = provider ? "NAME:ALGO:RATE[:KEY=VALUE]..."
                                 : "NAME[:KEY=VALUE]...";

    if (key_value(item, &key, &value)) {
        if (ins_key(o, (*at)++, key, value, origin) != 0)
            return ovl_nomem(err, errlen);
        return 0;
    }
    if (!provider || *npos == 2 || memchr(item.p, '=', item.n))
        return ovl_fail(err, errlen, origin, "unexpected \"%.*s\" (%s)",
                        (int)item.n, item.p, usage);
    if (*npos == 0)
        *algo_name = item;
    key = span_of(positional_key((*npos)++, *algo_name));
    if (ins_key(o, (*at)++, key, item, origin) != 0)
        return ovl_nomem(err, errlen);
    return 0;
}

/* --provider / --client: a new section at the end of the text. */
static int
add_section(ovl *o, const char *spec, int provider, const char *origin,
            char *err, size_t errlen)
{
    const char *p, *colon = strchr(spec, ':');
    span name = { spec, colon ? (size_t)(colon - spec) : strlen(spec) };
    span algo_name = { "", 0 };
    span kind = span_of(provider ? "[provider" : "[client");
    int at = o->n, npos = 0, rc;

    if (o->n > 0 && trim(span_of(o->line[o->n - 1].text)).n > 0 &&
        ins_line(o, at++, span_of(""), origin) != 0)
        return ovl_nomem(err, errlen);
    if (ins_join(o, at++, kind, " ", name, "]", origin) != 0)
        return ovl_nomem(err, errlen);
    if (!colon)
        return 0;
    p = colon + 1;
    do {
        span item = next_item(&p, ':');

        if (item.n == 0)
            return ovl_fail(err, errlen, origin, "empty item");
        if ((rc = section_item(o, &at, item, &npos, &algo_name, provider,
                               origin, err, errlen)) != 0)
            return rc;
    } while (*p);
    return 0;
}

/* The header of section sec for --set: sim, a provider's or a client's
 * name, or provider.NAME / client.NAME. [sim] is made when missing. */
static int
target(ovl *o, span sec, span key, const char *origin, int *h, char *err,
       size_t errlen)
{
    int hp, hc;

    if (span_eq(sec, span_of("sim"))) {
        if ((*h = find_section(o, "sim", (span){ "", 0 })) >= 0)
            return 0;
        *h = 0;
        if (ins_line(o, 0, span_of(""), origin) != 0 ||
            ins_line(o, 0, span_of("[sim]"), origin) != 0)
            return ovl_nomem(err, errlen);
        return 0;
    }
    hp = find_section(o, "provider", sec);
    hc = find_section(o, "client", sec);
    if (hp >= 0 && hc >= 0)
        return ovl_fail(err, errlen, origin, "%.*s is a provider and a "
                        "client: write provider.%.*s.%.*s or "
                        "client.%.*s.%.*s", (int)sec.n, sec.p, (int)sec.n,
                        sec.p, (int)key.n, key.p, (int)sec.n, sec.p,
                        (int)key.n, key.p);
    if (hp < 0 && hc < 0 && sec.n > 9 && !memcmp(sec.p, "provider.", 9))
        hp = find_section(o, "provider", (span){ sec.p + 9, sec.n - 9 });
    if (hp < 0 && hc < 0 && sec.n > 7 && !memcmp(sec.p, "client.", 7))
        hc = find_section(o, "client", (span){ sec.p + 7, sec.n - 7 });
    if (hp < 0 && hc < 0)
        return ovl_fail(err, errlen, origin, "no provider or client named "
                        "\"%.*s\" (sim, or a name the scenario has; "
                        "--provider and --client add one)", (int)sec.n,
                        sec.p);
    *h = hp >= 0 ? hp : hc;
    return 0;
}

/* --set SECTION.KEY=VALUE; the key is after the last "." (names may hold
 * dots, keys do not). */
static int
apply_set(ovl *o, const char *arg, const char *origin, char *err,
          size_t errlen)
{
    const char *eq = strchr(arg, '='), *dot;
    span key, value, sec;
    int h, rc;

    for (dot = eq; dot && dot > arg && dot[-1] != '.'; dot--)
        ;
    if (!eq || !dot || dot <= arg + 1)
        return ovl_fail(err, errlen, origin, "expected SECTION.KEY=VALUE "
                        "(sim.seed=7, P1.burst=20, alice.quota=100/1m)");
    sec = (span){ arg, (size_t)(dot - 1 - arg) };
    key = trim((span){ dot, (size_t)(eq - dot) });
    value = span_of(eq + 1);
    if (!is_key(key))
        return ovl_fail(err, errlen, origin, "\"%.*s\" is not a key name",
                        (int)(eq - dot), dot);
    if ((rc = target(o, sec, key, origin, &h, err, errlen)) != 0)
        return rc;
    return set_in_section(o, h, key, value, origin) ? ovl_nomem(err, errlen)
                                                    : 0;
}

/* --sim KEY=VALUE[,KEY=VALUE]... */
static int
apply_sim(ovl *o, const char *arg, const char *origin, char *err,
          size_t errlen)
{
    const char *p = arg;
    span key, value;
    int h, rc;

    do {
        span item = next_item(&p, ',');

        if (!key_value(item, &key, &value))
            return ovl_fail(err, errlen, origin, "expected KEY=VALUE"
                            "[,KEY=VALUE]... (queue=edf,seed=3), got "
                            "\"%.*s\"", (int)item.n, item.p);
        if ((rc = target(o, span_of("sim"), key, origin, &h, err,
                         errlen)) != 0)
            return rc;
        if (set_in_section(o, h, key, value, origin) != 0)
            return ovl_nomem(err, errlen);
    } while (*p);
    return 0;
}

static const char *const flag_names[] = { "--provider", "--client",
                                         "--sim", "--set" };

/* The name of flag f in messages and origins. */
static void
flag_origin(const ovl_flag *f, char *buf, size_t n)
{
    const char *const *names = flag_names;

    if (f->origin)
        snprintf(buf, n, "%s", f->origin);
    else
        snprintf(buf, n, "%s %s", names[f->kind], f->arg);
}

static int
apply(ovl *o, const ovl_flag *f, int sections, char *err, size_t errlen)
{
    char origin[OVL_ORIGIN];
    int is_section = f->kind == OVL_PROVIDER || f->kind == OVL_CLIENT;

    if (is_section != sections)
        return 0;
    flag_origin(f, origin, sizeof origin);
    /* (The flag's own text would break the message's line too.) */
    if (strpbrk(f->arg, "\r\n"))
        return ovl_fail(err, errlen, flag_names[f->kind],
                        "a value cannot hold a line break");
    if (is_section)
        return add_section(o, f->arg, f->kind == OVL_PROVIDER, origin, err,
                           errlen);
    if (f->kind == OVL_SIM)
        return apply_sim(o, f->arg, origin, err, errlen);
    return apply_set(o, f->arg, origin, err, errlen);
}

/* ------------------------------------------------------------------ */
/* Entry points                                                       */
/* ------------------------------------------------------------------ */

/* Joins the lines into o->text and their origins into o->where. */
static int
render(ovl *o)
{
    size_t len = 0, k = 0;

    for (int i = 0; i < o->n; i++)
        len += strlen(o->line[i].text) + 1;
    o->text = malloc(len + 1);
    o->where = calloc((size_t)o->n + 1, sizeof *o->where);
    if (!o->text || !o->where)
        return -1;
    for (int i = 0; i < o->n; i++) {
        size_t n = strlen(o->line[i].text);

        memcpy(o->text + k, o->line[i].text, n);
        k += n;
        if (i + 1 < o->n || o->final_nl)
            o->text[k++] = '\n';
        o->where[i] = o->line[i].where;
    }
    o->text[k] = '\0';
    o->len = k;
    return 0;
}

int
ovl_build(ovl **out, const char *path, const ovl_flag *flags, int n,
          char *err, size_t errlen)
{
    ovl *o = calloc(1, sizeof *o);
    int rc = 0;

    *out = NULL;
    if (!o || !(o->name = dup_n(path ? path : "flags",
                                strlen(path ? path : "flags")))) {
        free(o);
        return ovl_nomem(err, errlen);
    }
    o->final_nl = 1;
    if (path)
        rc = load_file(o, path, err, errlen);
    /* Sections first, so that a --set can name a later --provider. */
    for (int pass = 1; pass >= 0; pass--)
        for (int i = 0; rc == 0 && i < n; i++)
            rc = apply(o, &flags[i], pass, err, errlen);
    if (rc == 0 && n > 0)
        o->final_nl = 1;
    if (rc == 0 && render(o) != 0)
        rc = ovl_nomem(err, errlen);
    if (rc != 0) {
        ovl_free(o);
        return rc;
    }
    *out = o;
    return 0;
}

void
ovl_free(ovl *o)
{
    if (!o)
        return;
    for (int i = 0; i < o->n; i++) {
        free(o->line[i].text);
        free(o->line[i].where);
    }
    free(o->line);
    free(o->name);
    free(o->text);
    free(o->where);
    free(o);
}

const char *
ovl_text(const ovl *o, size_t *len)
{
    if (len)
        *len = o->len;
    return o->text;
}

const char *const *
ovl_where(const ovl *o, int *nlines)
{
    if (nlines)
        *nlines = o->n;
    return o->where;
}

const char *
ovl_name(const ovl *o)
{
    return o->name;
}

int
ovl_sha256(const ovl *o, char hex[65])
{
    sha *h = sha_new();
    int rc = -1;

    hex[0] = '\0';
    if (h) {
        sha_update(h, o->text, o->len);
        sha_hex(h, hex);
        rc = 0;
    }
    sha_free(h);
    return rc;
}
