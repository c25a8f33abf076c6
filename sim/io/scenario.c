/* SPDX-License-Identifier: MIT
 *
 * The scenario reader: turns an INI file (SPEC §4) into a sim_config, and
 * checks every key against the algorithm it configures, so that a mistake
 * is reported with its file, line and key before anything runs.
 *
 * How it works. The file is read whole into memory (scenarios are small)
 * and fed to inih line by line through our own reader function, which
 * counts lines (Debian's inih 55 does not give the handler a line number),
 * strips leading blanks (so inih never treats an indented line as the
 * continuation of a value) and handles section headers itself: inih cuts
 * section names at 49 bytes, and a header is where the previous provider's
 * keys can be checked as a whole. inih calls the key handler right after
 * the reader returned that key's line, so the reader's count is the
 * handler's line. Everything hangs off one context struct; there are no
 * globals.
 *
 * A provider is staged (scn_prov) while its section is read: single keys
 * are parsed as they come and the line of each is kept, and when the
 * section ends its limits are assembled and validated (algorithm takes and
 * needs, defaults, the algorithm's own init on a scratch buffer, unique
 * order). The first error stops the parse; on any error nothing is left
 * for the caller to free.
 */
#include "sim/io/scenario.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algos/algos.h"
#include "sim/io/sha.h"
#include "sim/io/units.h"

#define SCN_MAX_FILE (16L * 1024 * 1024)  /* a scenario is a few KiB */
#define SCN_NAMES 512                     /* room for algo_names() */

/* ------------------------------------------------------------------ */
/* Context                                                            */
/* ------------------------------------------------------------------ */

enum { SEC_NONE, SEC_SIM, SEC_PROVIDER, SEC_CLIENT };

enum { SK_SEED, SK_UNTIL, SK_QUEUE, SK_ROUTE, SK_COUNT };

enum {
    PK_ORDER, PK_ALGO, PK_RATE, PK_BURST, PK_MODE, PK_ENABLED, PK_SCHEDULE,
    PK_LATENCY, PK_CONCURRENCY, PK_FAIL, PK_LIMIT, PK_NODES, PK_NODE_BY,
    PK_SHARED, PK_ATOMIC, PK_RTT, PK_CLOCK, PK_SKEW, PK_SPLIT, PK_SYNC,
    PK_MAX_PERMITS, PK_MIN_INTERVAL, PK_POLL, PK_COUNT
};

enum { CK_QUOTA, CK_QUOTA_ALGO, CK_ON_REJECT, CK_WEIGHT, CK_COUNT };

/* A provider while its section is being read. */
typedef struct scn_prov {
    sim_provider_cfg c;      /* what the engine gets; schedule owned */
    int line;                /* the [provider NAME] line */
    int key_line[PK_COUNT];  /* where each key was given; 0 = not given */
    const algo *algo;        /* the single-limit form: algo, rate, burst */
    int64_t count, window, burst;
    int64_t concurrency;     /* the concurrency key */
    int64_t max_permits;     /* permits: max_permits, min_interval */
    sim_time min_interval;
    int split_sync;          /* split = sync */
} scn_prov;

/* A client while its section is being read. */
typedef struct scn_client {
    sim_client_cfg c;
    int line;                /* the [client NAME] line */
    int key_line[CK_COUNT];
    const algo *algo;        /* quota_algo */
    int64_t count, window;   /* quota */
    int has_max;             /* retry: max= given */
} scn_client;

typedef struct scn_ctx {
    const char *path;
    const char *const *where; /* where[i] names line i + 1; NULL: path:line */
    int nwhere;
    char ref[256];            /* line_ref's text */
    char *err;
    size_t errlen;
    int failed;
    const char *buf;         /* the file's bytes */
    size_t len, pos;
    int lineno;              /* of the line the reader returned last */
    int sec;                 /* SEC_* of the current section */
    int sim_line;            /* the [sim] line; 0 = none yet */
    int sim_key_line[SK_COUNT];
    sim_config *cfg;
    scn_prov *prov;          /* in file order */
    int nprov, cap;
    scn_client *cl;          /* in file order */
    int ncl, capcl;
} scn_ctx;

/* A piece of a value (values are not modified in place). */
typedef struct span {
    const char *p;
    size_t n;
} span;

/* Records the first error as "path:line: key: message" and returns 0, so
 * that parsers can `return fail(...)`. Line 0 leaves the line out, a NULL
 * key the key. */
__attribute__((format(printf, 4, 5))) static int
fail(scn_ctx *x, int line, const char *key, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (x->failed)
        return 0;
    x->failed = 1;
    if (x->errlen == 0)
        return 0;
    if (line > 0 && line <= x->nwhere && x->where[line - 1])
        n = snprintf(x->err, x->errlen, "%s: ", x->where[line - 1]);
    else if (line > 0)
        n = snprintf(x->err, x->errlen, "%s:%d: ", x->path, line);
    else
        n = snprintf(x->err, x->errlen, "%s: ", x->path);
    if (key && n >= 0 && (size_t)n < x->errlen)
        n += snprintf(x->err + n, x->errlen - (size_t)n, "%s: ", key);
    if (n < 0 || (size_t)n >= x->errlen)
        return 0;
    va_start(ap, fmt);
    vsnprintf(x->err + n, x->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return 0;
}

/* How a message refers to another line: "line 12" in a file, or where
 * that line came from (a file line, a flag) when the text was assembled
 * by the caller. */
static const char *
line_ref(scn_ctx *x, int line)
{
    if (line > 0 && line <= x->nwhere && x->where[line - 1])
        snprintf(x->ref, sizeof x->ref, "%s", x->where[line - 1]);
    else
        snprintf(x->ref, sizeof x->ref, "line %d", line);
    return x->ref;
}

/* A value that did not parse: the reason, then the value as written. */
static int
bad_value(scn_ctx *x, const char *key, const char *why, const char *v)
{
    return fail(x, x->lineno, key, "%s, got \"%s\"", why, v);
}

static int
no_memory(scn_ctx *x)
{
    return fail(x, 0, NULL, "%s", strerror(ENOMEM));
}

static scn_prov *
cur_prov(scn_ctx *x)
{
    return &x->prov[x->nprov - 1];
}

/* ------------------------------------------------------------------ */
/* Small string helpers                                               */
/* ------------------------------------------------------------------ */

static span
trim(span s)
{
    while (s.n > 0 && isspace((unsigned char)s.p[0])) {
        s.p++;
        s.n--;
    }
    while (s.n > 0 && isspace((unsigned char)s.p[s.n - 1]))
        s.n--;
    return s;
}

/* Splits s at the first c: head before it, tail after it. Without a c the
 * head is all of s, the tail empty, and the result 0. */
static int
split_at(span s, char c, span *head, span *tail)
{
    const char *at = memchr(s.p, c, s.n);
    size_t k = at ? (size_t)(at - s.p) : s.n;

    *head = (span){ s.p, k };
    *tail = at ? (span){ at + 1, s.n - k - 1 } : (span){ s.p + s.n, 0 };
    return at != NULL;
}

/* The next blank-separated word of *s, which moves past it; 0 at the end. */
static int
next_word(span *s, span *w)
{
    size_t k = 0;

    *s = trim(*s);
    if (s->n == 0)
        return 0;
    while (k < s->n && !isspace((unsigned char)s->p[k]))
        k++;
    *w = (span){ s->p, k };
    *s = (span){ s->p + k, s->n - k };
    return 1;
}

static int
span_is(span s, const char *lit)
{
    return strlen(lit) == s.n && memcmp(s.p, lit, s.n) == 0;
}

/* Copies s into buf as a string; 0 when it does not fit. */
static int
span_str(span s, char *buf, size_t cap)
{
    if (s.n >= cap)
        return 0;
    memcpy(buf, s.p, s.n);
    buf[s.n] = '\0';
    return 1;
}

/* ------------------------------------------------------------------ */
/* Value parsers                                                      */
/* ------------------------------------------------------------------ */

/* An integer in [lo, hi]; label (or NULL) names a part of a longer value. */
static int
get_int(scn_ctx *x, const char *key, const char *label, const char *v,
        int64_t lo, int64_t hi, int64_t *out)
{
    const char *why = units_parse_int(v, INT64_MIN, INT64_MAX, out);
    const char *sep = label ? ": " : "";

    if (!label)
        label = "";
    if (why)
        return fail(x, x->lineno, key, "%s%s%s, got \"%s\"", label, sep,
                    why, v);
    if (*out >= lo && *out <= hi)
        return 1;
    if (hi == INT64_MAX)
        return fail(x, x->lineno, key,
                    "%s%sexpected an integer >= %lld, got \"%s\"", label, sep,
                    (long long)lo, v);
    return fail(x, x->lineno, key,
                "%s%sexpected an integer from %lld to %lld, got \"%s\"",
                label, sep, (long long)lo, (long long)hi, v);
}

/* A duration from a span (a part of a value); v is the whole value. */
static int
get_duration(scn_ctx *x, const char *key, span s, const char *v,
             int64_t *ns)
{
    char buf[64];
    const char *why = "expected a duration (like 1.5s or 250ms)";

    if (span_str(s, buf, sizeof buf))
        why = units_parse_duration(buf, ns);
    return why ? bad_value(x, key, why, v) : 1;
}

/* The full range of a uint64 seed, which units_parse_int cannot give. */
static int
parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;

    if (!*s)
        return 0;
    for (; *s; s++) {
        unsigned d = (unsigned)(*s - '0');

        if (d > 9 || v > (UINT64_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

/* A probability written as a plain decimal ("0.01", "1"). Parsed by hand
 * rather than with strtod, which follows the locale's decimal point. */
static int
parse_prob(const char *s, double *out)
{
    uint64_t m = 0;
    double scale = 1;
    int digits = 0, frac = 0;

    for (; *s; s++) {
        if (*s == '.' && !frac) {
            frac = 1;
            continue;
        }
        if (*s < '0' || *s > '9' || digits >= 18)
            return 0;
        m = m * 10 + (uint64_t)(*s - '0');
        digits++;
        if (frac)
            scale *= 10;
    }
    if (digits == 0)
        return 0;
    *out = (double)m / scale;
    return *out <= 1.0;
}

/* One word of a fixed set: the index of v in words, or -1. */
static int
word_index(const char *v, const char *const *words, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(v, words[i]) == 0)
            return i;
    return -1;
}

/* ------------------------------------------------------------------ */
/* Limits                                                             */
/* ------------------------------------------------------------------ */

/* Makes p fit a: drops what a does not take, and gives a burst it takes
 * but was not given the default N (SPEC §4). */
static void
fit_params(const algo *a, algo_params *p)
{
    if (!(a->takes & ALGO_TAKES_RATE))
        p->count = p->window = 0;
    if (!(a->takes & ALGO_TAKES_BURST))
        p->burst = 0;
    else if (p->burst == 0)
        p->burst = p->count;
    if (!(a->takes & ALGO_TAKES_CONCURRENCY))
        p->concurrency = 0;
}

/* The first parameter a needs that p lacks, as its key name, or NULL. */
static const char *
missing_param(const algo *a, const algo_params *p)
{
    if ((a->needs & ALGO_TAKES_RATE) && (p->count < 1 || p->window < 1))
        return "rate";
    if ((a->needs & ALGO_TAKES_BURST) && p->burst < 1)
        return "burst";
    if ((a->needs & ALGO_TAKES_CONCURRENCY) && p->concurrency < 1)
        return "concurrency";
    return NULL;
}

/* Runs a's init on a zeroed scratch state, to let the algorithm judge its
 * own parameters. Returns its result (0, or 2 with "key: message"). */
static int
try_init(const algo *a, const algo_params *p, char *msg, size_t n)
{
    void *st = calloc(1, a->state_size ? a->state_size : 1);
    int rc;

    if (!st) {
        snprintf(msg, n, "%s", strerror(ENOMEM));
        return 2;
    }
    rc = a->init(st, p, msg, n);
    if (a->clear)
        a->clear(st);
    free(st);
    return rc;
}

/* In the single-limit form an init message "rate: ..." belongs on the
 * rate line; anything else on the algo line. */
static int
init_msg_line(const scn_prov *P, const char *msg, int line)
{
    static const int keys[] = { PK_RATE, PK_BURST, PK_CONCURRENCY };
    static const char *const names[] = { "rate", "burst", "concurrency" };

    for (int i = 0; i < 3; i++) {
        size_t k = strlen(names[i]);

        if (strncmp(msg, names[i], k) == 0 && msg[k] == ':' &&
            P->key_line[keys[i]])
            return P->key_line[keys[i]];
    }
    return line;
}

/* Appends limit (a, p) to P after defaults and checks. needs_line is where
 * a missing parameter is reported; single says the single-limit form. */
static int
add_limit(scn_ctx *x, scn_prov *P, const algo *a, algo_params p,
          int needs_line, int single)
{
    const char *miss;
    char msg[256];
    int line = single ? P->key_line[PK_ALGO] : needs_line;

    fit_params(a, &p);
    miss = missing_param(a, &p);
    if (miss)
        return fail(x, needs_line, single ? miss : "limit", "%s needs a %s",
                    a->name, miss);
    if (P->c.nlimits == SIM_MAX_LIMITS)
        return fail(x, line, single ? "algo" : "limit",
                    "a provider has at most %d limits", SIM_MAX_LIMITS);
    msg[0] = '\0';
    if (try_init(a, &p, msg, sizeof msg) != 0)
        return fail(x, single ? init_msg_line(P, msg, line) : line, NULL,
                    "%s", msg);
    P->c.limits[P->c.nlimits++] = (sim_limit_cfg){ .algo = a, .p = p };
    return 1;
}

/* The algorithm called name, or an "unknown algorithm" error at key. */
static const algo *
find_algo(scn_ctx *x, const char *key, const char *name)
{
    const algo *a = algo_find(name);
    char names[SCN_NAMES];

    if (a)
        return a;
    algo_names(names, sizeof names);
    fail(x, x->lineno, key, "unknown algorithm \"%s\" (known: %s)", name,
         names);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* limit = ALGO [RATE] [N] [burst=B] [rate=R] [concurrency=N]         */
/* ------------------------------------------------------------------ */

static const char *const limit_keys[] = { "rate", "burst", "concurrency" };
static const unsigned limit_bits[] = {
    ALGO_TAKES_RATE, ALGO_TAKES_BURST, ALGO_TAKES_CONCURRENCY
};

/* Which parameter a bare word is: the rate, then the concurrency, in the
 * order the algorithm takes them and has not been given yet; -1 if none. */
static int
positional(const algo *a, unsigned given)
{
    for (int i = 0; i < 3; i++)
        if (i != 1 && (a->takes & limit_bits[i]) && !(given & limit_bits[i]))
            return i;
    return -1;
}

/* Stores the value of parameter k (an index in limit_keys) into p. */
static int
limit_value(scn_ctx *x, int k, const char *v, algo_params *p)
{
    const char *why;

    if (k == 0) {
        why = units_parse_rate(v, &p->count, &p->window);
        return why ? fail(x, x->lineno, "limit", "rate: %s, got \"%s\"",
                          why, v)
                   : 1;
    }
    return get_int(x, "limit", limit_keys[k], v, 1, INT64_MAX,
                   k == 1 ? &p->burst : &p->concurrency);
}

/* One word after the algorithm's name: "key=value" or a bare value. */
static int
limit_word(scn_ctx *x, const algo *a, span w, algo_params *p,
           unsigned *given)
{
    span key, val;
    char kb[32], vb[128];
    int k;

    if (split_at(w, '=', &key, &val)) {
        k = span_str(key, kb, sizeof kb) ? word_index(kb, limit_keys, 3) : -1;
        if (k < 0)
            return fail(x, x->lineno, "limit",
                        "unknown parameter \"%.*s\" (rate, burst, "
                        "concurrency)", (int)key.n, key.p);
    } else {
        val = w;
        if ((k = positional(a, *given)) < 0)
            return fail(x, x->lineno, "limit",
                        "unexpected \"%.*s\" after %s", (int)w.n, w.p,
                        a->name);
    }
    if (!span_str(val, vb, sizeof vb))
        return fail(x, x->lineno, "limit", "\"%.*s\" is too long",
                    (int)w.n, w.p);
    if (!(a->takes & limit_bits[k]))
        return fail(x, x->lineno, "limit", "%s takes no %s", a->name,
                    limit_keys[k]);
    if (*given & limit_bits[k])
        return fail(x, x->lineno, "limit", "%s given twice", limit_keys[k]);
    *given |= limit_bits[k];
    return limit_value(x, k, vb, p);
}

static int
p_limit(scn_ctx *x, scn_prov *P, const char *v)
{
    span s = { v, strlen(v) }, w;
    char name[64];
    const algo *a;
    algo_params p = { 0 };
    unsigned given = 0;

    if (!next_word(&s, &w))
        return bad_value(x, "limit",
                         "expected ALGO RATE [burst=B] or concurrency N", v);
    if (!span_str(w, name, sizeof name))
        return bad_value(x, "limit", "unknown algorithm", v);
    if (!(a = find_algo(x, "limit", name)))
        return 0;
    while (next_word(&s, &w))
        if (!limit_word(x, a, w, &p, &given))
            return 0;
    return add_limit(x, P, a, p, x->lineno, 0);
}

/* ------------------------------------------------------------------ */
/* [provider NAME] keys                                               */
/* ------------------------------------------------------------------ */

static int
p_order(scn_ctx *x, scn_prov *P, const char *v)
{
    int64_t n;

    if (!get_int(x, "order", NULL, v, 1, INT_MAX, &n))
        return 0;
    P->c.order = (int)n;
    return 1;
}

static int
p_algo(scn_ctx *x, scn_prov *P, const char *v)
{
    return (P->algo = find_algo(x, "algo", v)) != NULL;
}

static int
p_rate(scn_ctx *x, scn_prov *P, const char *v)
{
    const char *why = units_parse_rate(v, &P->count, &P->window);

    return why ? bad_value(x, "rate", why, v) : 1;
}

static int
p_burst(scn_ctx *x, scn_prov *P, const char *v)
{
    return get_int(x, "burst", NULL, v, 1, INT64_MAX, &P->burst);
}

static int
p_mode(scn_ctx *x, scn_prov *P, const char *v)
{
    static const char *const words[] = { "queue", "reject" };
    int i = word_index(v, words, 2);

    if (i < 0)
        return bad_value(x, "mode", "expected queue or reject", v);
    P->c.mode = i == 0 ? SIM_MODE_QUEUE : SIM_MODE_REJECT;
    return 1;
}

static int
p_enabled(scn_ctx *x, scn_prov *P, const char *v)
{
    static const char *const words[] = { "no",  "yes", "false", "true",
                                         "0",   "1",   "off",   "on" };
    int i = word_index(v, words, 8);

    if (i < 0)
        return bad_value(x, "enabled",
                         "expected yes, no, true, false, 1, 0, on or off", v);
    P->c.enabled = i % 2;
    return 1;
}

/* One schedule item, "on@T" or "off@T". */
static int
switch_item(scn_ctx *x, span item, const char *v, sim_switch *sw)
{
    span state, when;

    if (!split_at(item, '@', &state, &when) ||
        (!span_is(state, "on") && !span_is(state, "off")))
        return fail(x, x->lineno, "schedule",
                    "expected on@TIME or off@TIME, got \"%.*s\"",
                    (int)item.n, item.p);
    sw->on = span_is(state, "on");
    return get_duration(x, "schedule", when, v, &sw->at);
}

static int
p_schedule(scn_ctx *x, scn_prov *P, const char *v)
{
    span rest = { v, strlen(v) }, item, prev = { 0 };
    size_t n = 1;

    for (const char *c = v; *c; c++)
        n += *c == ',';
    if (!(P->c.schedule = calloc(n, sizeof *P->c.schedule)))
        return no_memory(x);
    for (size_t i = 0; i < n; i++) {
        sim_switch *sw = &P->c.schedule[i];

        split_at(rest, ',', &item, &rest);
        item = trim(item);
        if (!switch_item(x, item, v, sw))
            return 0;
        if (i > 0 && sw->at <= sw[-1].at)
            return fail(x, x->lineno, "schedule",
                        "%.*s is not after %.*s (times must increase)",
                        (int)item.n, item.p, (int)prev.n, prev.p);
        prev = item;
        P->c.nswitch++;
    }
    return 1;
}

/* lognormal:MEDIAN,SIGMA: the median a duration, sigma in [0, 10]. */
static int
lognormal(scn_ctx *x, const char *key, sim_latency *l, span arg,
          const char *v)
{
    span med, sig;
    char buf[32], *end;

    if (!split_at(arg, ',', &med, &sig) || !span_str(trim(sig), buf,
                                                    sizeof buf))
        return bad_value(x, key, "expected lognormal:MEDIAN,SIGMA", v);
    l->kind = SIM_LAT_LOGNORMAL;
    if (!get_duration(x, key, trim(med), v, &l->a))
        return 0;
    /* A shape parameter, not a time: strtod is fine (C locale). */
    l->sigma = strtod(buf, &end);
    if (*end || end == buf || !(l->sigma >= 0 && l->sigma <= 10))
        return bad_value(x, key, "sigma must be a number from 0 to 10",
                         v);
    return 1;
}

/* A latency model into l: 20ms (fixed), exp:MEAN, uniform:LOW..HIGH,
 * lognormal:MEDIAN,SIGMA. */
static int
latency_model(scn_ctx *x, const char *key, sim_latency *l, const char *v)
{
    span all = { v, strlen(v) }, model, arg, a, b;

    if (!split_at(all, ':', &model, &arg))
        arg = all, model = (span){ "fixed", 5 };
    if (span_is(model, "fixed")) {
        l->kind = SIM_LAT_FIXED;
        return get_duration(x, key, arg, v, &l->a);
    }
    if (span_is(model, "exp")) {
        l->kind = SIM_LAT_EXP;
        return get_duration(x, key, arg, v, &l->a);
    }
    if (span_is(model, "uniform")) {
        const char *dots = strstr(arg.p, "..");

        if (!dots)
            return bad_value(x, key, "expected uniform:LOW..HIGH", v);
        a = (span){ arg.p, (size_t)(dots - arg.p) };
        b = (span){ dots + 2, strlen(dots + 2) };
        l->kind = SIM_LAT_UNIFORM;
        if (!get_duration(x, key, a, v, &l->a) ||
            !get_duration(x, key, b, v, &l->b))
            return 0;
        return l->a <= l->b ? 1
                            : bad_value(x, key,
                                        "the low end is above the high end",
                                        v);
    }
    if (span_is(model, "lognormal"))
        return lognormal(x, key, l, arg, v);
    return fail(x, x->lineno, key,
                "unknown model \"%.*s\" (like 20ms, exp:20ms, "
                "uniform:10ms..30ms)", (int)model.n, model.p);
}

static int
p_latency(scn_ctx *x, scn_prov *P, const char *v)
{
    return latency_model(x, "latency", &P->c.latency, v);
}

/* ---- distributed limiters (SPEC §4) ---- */

static int
p_nodes(scn_ctx *x, scn_prov *P, const char *v)
{
    int64_t n;

    if (!get_int(x, "nodes", NULL, v, 1, 1024, &n))
        return 0;
    P->c.nodes = (int)n;
    return 1;
}

static int
p_node_by(scn_ctx *x, scn_prov *P, const char *v)
{
    static const char *const words[] = { "client", "round_robin" };
    int i = word_index(v, words, 2);

    if (i < 0)
        return bad_value(x, "node_by", "expected client or round_robin", v);
    P->c.node_by = i;
    return 1;
}

static int
p_shared(scn_ctx *x, scn_prov *P, const char *v)
{
    static const char *const words[] = { "central", "local" };
    int i = word_index(v, words, 2);

    if (i < 0)
        return bad_value(x, "shared", "expected central or local", v);
    P->c.shared = i == 0 ? SIM_SHARED_CENTRAL : SIM_SHARED_LOCAL;
    return 1;
}

static int
p_atomic(scn_ctx *x, scn_prov *P, const char *v)
{
    static const char *const words[] = { "no", "yes" };
    int i = word_index(v, words, 2);

    if (i < 0)
        return bad_value(x, "atomic", "expected yes or no", v);
    P->c.atomic = i;
    return 1;
}

static int
p_rtt(scn_ctx *x, scn_prov *P, const char *v)
{
    return latency_model(x, "rtt", &P->c.rtt, v);
}

static int
p_skew(scn_ctx *x, scn_prov *P, const char *v)
{
    span all = { v, strlen(v) };

    return get_duration(x, "skew", trim(all), v, &P->c.skew);
}

static int
p_max_permits(scn_ctx *x, scn_prov *P, const char *v)
{
    return get_int(x, "max_permits", NULL, v, 1, 1000000, &P->max_permits);
}

static int
p_min_interval(scn_ctx *x, scn_prov *P, const char *v)
{
    span all = { v, strlen(v) };

    if (!get_duration(x, "min_interval", trim(all), v, &P->min_interval))
        return 0;
    return P->min_interval > 0 ||
           bad_value(x, "min_interval", "must be more than 0", v);
}

static int
p_poll(scn_ctx *x, scn_prov *P, const char *v)
{
    span all = { v, strlen(v) };

    if (!get_duration(x, "poll", trim(all), v, &P->c.poll))
        return 0;
    return P->c.poll > 0 || bad_value(x, "poll", "must be more than 0", v);
}

static int
p_split(scn_ctx *x, scn_prov *P, const char *v)
{
    static const char *const words[] = { "even", "sync" };
    int i = word_index(v, words, 2);

    if (i < 0)
        return bad_value(x, "split", "expected even or sync", v);
    P->split_sync = i;
    return 1;
}

static int
p_sync(scn_ctx *x, scn_prov *P, const char *v)
{
    span all = { v, strlen(v) };

    if (!get_duration(x, "sync", trim(all), v, &P->c.sync))
        return 0;
    return P->c.sync > 0 || bad_value(x, "sync", "must be more than 0", v);
}

/* max_permits and min_interval go together: a permits limit. */
static int
add_permits(scn_ctx *x, scn_prov *P)
{
    int m = P->key_line[PK_MAX_PERMITS], i = P->key_line[PK_MIN_INTERVAL];
    const algo *a = algo_find("permits");

    if (!m && !i)
        return 1;
    if (!m || !i)
        return fail(x, m ? m : i, m ? "max_permits" : "min_interval",
                    "goes with %s", m ? "min_interval" : "max_permits");
    if (!a)
        return fail(x, m, "max_permits", "no permits algorithm is registered");
    return add_limit(x, P, a, (algo_params){ .count = P->max_permits,
                                             .window = P->min_interval },
                     m, 0);
}

static int
p_clock(scn_ctx *x, scn_prov *P, const char *v)
{
    static const char *const words[] = { "store", "node" };
    int i = word_index(v, words, 2);

    if (i < 0)
        return bad_value(x, "clock", "expected store or node", v);
    P->c.clock_node = i;
    return 1;
}

static int
p_concurrency(scn_ctx *x, scn_prov *P, const char *v)
{
    return get_int(x, "concurrency", NULL, v, 0, INT64_MAX, &P->concurrency);
}

static int
p_fail(scn_ctx *x, scn_prov *P, const char *v)
{
    if (!parse_prob(v, &P->c.fail))
        return bad_value(x, "fail", "expected a probability from 0 to 1", v);
    return 1;
}

typedef int (*prov_fn)(scn_ctx *x, scn_prov *P, const char *v);

static const struct {
    const char *name;
    prov_fn parse;
} prov_keys[PK_COUNT] = {
    [PK_ORDER] = { "order", p_order },
    [PK_ALGO] = { "algo", p_algo },
    [PK_RATE] = { "rate", p_rate },
    [PK_BURST] = { "burst", p_burst },
    [PK_MODE] = { "mode", p_mode },
    [PK_ENABLED] = { "enabled", p_enabled },
    [PK_SCHEDULE] = { "schedule", p_schedule },
    [PK_LATENCY] = { "latency", p_latency },
    [PK_CONCURRENCY] = { "concurrency", p_concurrency },
    [PK_FAIL] = { "fail", p_fail },
    [PK_LIMIT] = { "limit", p_limit },
    [PK_NODES] = { "nodes", p_nodes },
    [PK_NODE_BY] = { "node_by", p_node_by },
    [PK_SHARED] = { "shared", p_shared },
    [PK_ATOMIC] = { "atomic", p_atomic },
    [PK_RTT] = { "rtt", p_rtt },
    [PK_CLOCK] = { "clock", p_clock },
    [PK_SKEW] = { "skew", p_skew },
    [PK_SPLIT] = { "split", p_split },
    [PK_SYNC] = { "sync", p_sync },
    [PK_MAX_PERMITS] = { "max_permits", p_max_permits },
    [PK_MIN_INTERVAL] = { "min_interval", p_min_interval },
    [PK_POLL] = { "poll", p_poll },
};

/* algo/rate/burst make one limit; limit lines make others. Mixing them
 * would leave it unclear which limit a burst belongs to. */
static int
check_form(scn_ctx *x, const scn_prov *P, int k)
{
    static const int single[] = { PK_ALGO, PK_RATE, PK_BURST };
    int other = -1;

    if (k == PK_LIMIT) {
        for (int i = 0; i < 3 && other < 0; i++)
            if (P->key_line[single[i]])
                other = single[i];
    } else if ((k == PK_ALGO || k == PK_RATE || k == PK_BURST) &&
               P->key_line[PK_LIMIT]) {
        other = PK_LIMIT;
    }
    if (other < 0)
        return 1;
    return fail(x, x->lineno, prov_keys[k].name,
                "use either algo/rate/burst or limit lines, not both "
                "(%s at %s)", prov_keys[other].name,
                line_ref(x, P->key_line[other]));
}

static int
prov_key(scn_ctx *x, const char *name, const char *v)
{
    scn_prov *P = cur_prov(x);
    char list[512] = "";
    int k = 0;

    while (k < PK_COUNT && strcmp(name, prov_keys[k].name) != 0)
        k++;
    if (k == PK_COUNT) {
        for (int i = 0; i < PK_COUNT; i++)
            strcat(strcat(list, i ? ", " : ""), prov_keys[i].name);
        return fail(x, x->lineno, name,
                    "unknown key in [provider %s] (%s)", P->c.name, list);
    }
    if (P->key_line[k] && k != PK_LIMIT)
        return fail(x, x->lineno, name, "given twice (first at %s)",
                    line_ref(x, P->key_line[k]));
    if (!check_form(x, P, k))
        return 0;
    if (!P->key_line[k])
        P->key_line[k] = x->lineno;
    return prov_keys[k].parse(x, P, v);
}

/* ------------------------------------------------------------------ */
/* The end of a [provider] section                                    */
/* ------------------------------------------------------------------ */

/* The one limit algo/rate/burst describe. */
static int
add_single_limit(scn_ctx *x, scn_prov *P)
{
    const algo *a = P->algo;
    algo_params p = { .count = P->count, .window = P->window,
                      .burst = P->burst };
    char names[SCN_NAMES];

    if (!a) {
        algo_names(names, sizeof names);
        return fail(x, P->line, "algo",
                    "missing; rate and burst need an algorithm (known: %s)",
                    names);
    }
    if (P->key_line[PK_RATE] && !(a->takes & ALGO_TAKES_RATE))
        return fail(x, P->key_line[PK_RATE], "rate", "%s takes no rate",
                    a->name);
    if (P->key_line[PK_BURST] && !(a->takes & ALGO_TAKES_BURST))
        return fail(x, P->key_line[PK_BURST], "burst", "%s takes no burst",
                    a->name);
    /* `algo = concurrency` gets its n from the concurrency key. */
    p.concurrency = P->concurrency;
    return add_limit(x, P, a, p, P->line, 1);
}

/* concurrency = n adds a concurrency limit, unless it fed the algo's. */
static int
add_concurrency_key(scn_ctx *x, scn_prov *P)
{
    int line = P->key_line[PK_CONCURRENCY];
    const algo *a;

    if (P->concurrency == 0 ||
        (P->algo && (P->algo->takes & ALGO_TAKES_CONCURRENCY)))
        return 1;
    if (!(a = algo_find("concurrency")))
        return fail(x, line, "concurrency",
                    "no concurrency algorithm is registered");
    return add_limit(x, P, a, (algo_params){ .concurrency = P->concurrency },
                     line, 0);
}

/* Two providers may not share an order: it decides who is asked first. */
static int
check_order(scn_ctx *x, const scn_prov *P)
{
    int line = P->key_line[PK_ORDER];

    for (const scn_prov *Q = x->prov; Q < P; Q++) {
        int qline = Q->key_line[PK_ORDER] ? Q->key_line[PK_ORDER] : Q->line;

        if (Q->c.order != P->c.order)
            continue;
        if (line)
            return fail(x, line, "order",
                        "%d is already the order of provider %s (%s)",
                        P->c.order, Q->c.name, line_ref(x, qline));
        return fail(x, P->line, "order",
                    "provider %s has no order and its position, %d, is "
                    "already the order of provider %s (%s)",
                    P->c.name, P->c.order, Q->c.name, line_ref(x, qline));
    }
    return 1;
}

/* A distributed provider: shared defaults to central once nodes are
 * given; atomic and rtt belong to a central store; a local split needs N
 * of every rate limit to cover the nodes; concurrency stays undistributed. */
static int
finish_distributed(scn_ctx *x, scn_prov *P)
{
    sim_provider_cfg *c = &P->c;
    int *kl = P->key_line;

    if (kl[PK_POLL] && !kl[PK_NODES] && !kl[PK_SHARED])
        return fail(x, kl[PK_POLL], "poll",
                    "needs nodes = K (a distributed provider)");
    if (!kl[PK_NODES] && !kl[PK_SHARED]) {
        for (int k = PK_NODE_BY; k <= PK_SYNC; k++)
            if (kl[k])
                return fail(x, kl[k], prov_keys[k].name,
                            "needs nodes = K (a distributed provider)");
        return 1;
    }
    if (!kl[PK_SHARED])
        c->shared = SIM_SHARED_CENTRAL;
    if (!kl[PK_ATOMIC])
        c->atomic = 1;
    if (kl[PK_POLL] && c->shared != SIM_SHARED_CENTRAL)
        return fail(x, kl[PK_POLL], "poll", "only with shared = central");
    if ((kl[PK_SPLIT] || kl[PK_SYNC]) && c->shared != SIM_SHARED_LOCAL)
        return fail(x, kl[PK_SPLIT] ? kl[PK_SPLIT] : kl[PK_SYNC],
                    kl[PK_SPLIT] ? "split" : "sync",
                    "only with shared = local");
    if (P->split_sync != (kl[PK_SYNC] != 0))
        return fail(x, kl[PK_SPLIT] ? kl[PK_SPLIT] : kl[PK_SYNC],
                    kl[PK_SPLIT] ? "split" : "sync",
                    "split = sync and sync = D go together");
    for (int k = PK_ATOMIC; k <= PK_SKEW; k++)
        if (c->shared == SIM_SHARED_LOCAL && kl[k])
            return fail(x, kl[k], prov_keys[k].name,
                        "only with shared = central");
    for (int i = 0; i < c->nlimits; i++) {
        if (!(c->limits[i].algo->takes & ALGO_TAKES_RATE))
            return fail(x, P->line, "nodes", "a distributed provider takes "
                        "rate limits only, not %s", c->limits[i].algo->name);
        if (c->shared == SIM_SHARED_LOCAL && c->nodes > 1 && !c->sync &&
            c->limits[i].p.count < c->nodes)
            return fail(x, kl[PK_NODES], "nodes", "%d nodes cannot split a "
                        "limit of %lld evenly (shared = local)", c->nodes,
                        (long long)c->limits[i].p.count);
    }
    return 1;
}

static int
finish_provider(scn_ctx *x, scn_prov *P)
{
    if (P->algo || P->key_line[PK_RATE] || P->key_line[PK_BURST])
        if (!add_single_limit(x, P))
            return 0;
    if (!add_concurrency_key(x, P) || !add_permits(x, P))
        return 0;
    if (P->c.nlimits == 0)
        return fail(x, P->line, NULL,
                    "provider %s: no limit (give algo and rate, or limit "
                    "lines)", P->c.name);
    if (!finish_distributed(x, P))
        return 0;
    return check_order(x, P);
}

/* ------------------------------------------------------------------ */
/* [client NAME] sections                                             */
/* ------------------------------------------------------------------ */

/* Provider and client names end up in CSV files, JSON and plots: keep them plain. */
static int
name_ok(span name)
{
    for (size_t i = 0; i < name.n; i++)
        if (!isalnum((unsigned char)name.p[i]) &&
            !strchr("_-.:/@+", name.p[i]))
            return 0;
    return name.n > 0;
}

static scn_client *
cur_client(scn_ctx *x)
{
    return &x->cl[x->ncl - 1];
}

static int
c_quota(scn_ctx *x, scn_client *C, const char *v)
{
    const char *why = units_parse_rate(v, &C->count, &C->window);

    return why ? bad_value(x, "quota", why, v) : 1;
}

static int
c_quota_algo(scn_ctx *x, scn_client *C, const char *v)
{
    return (C->algo = find_algo(x, "quota_algo", v)) != NULL;
}

/* One "key=value" item of retry:expo,base=B,max=M,jitter=J. */
static int
retry_item(scn_ctx *x, scn_client *C, span item, const char *v)
{
    static const char *const jitters[] = { "none", "full", "equal" };
    span key, val;
    char buf[32];
    int64_t n;

    if (!split_at(item, '=', &key, &val) || !span_str(trim(val), buf,
                                                       sizeof buf))
        return bad_value(x, "on_reject", "expected base=, max= or jitter=",
                         v);
    if (span_is(trim(key), "base"))
        return get_duration(x, "on_reject", trim(val), v, &C->c.retry_base);
    if (span_is(trim(key), "max")) {
        if (!get_int(x, "on_reject", "max", buf, 0, 1000, &n))
            return 0;
        C->c.retry_max = (int)n;
        C->has_max = 1;
        return 1;
    }
    if (span_is(trim(key), "jitter")) {
        C->c.jitter = word_index(buf, jitters, 3);
        return C->c.jitter >= 0 ||
               bad_value(x, "on_reject", "jitter is none, full or equal", v);
    }
    return bad_value(x, "on_reject", "expected base=, max= or jitter=", v);
}

static int
c_retry(scn_ctx *x, scn_client *C, span spec, const char *v)
{
    span item;

    C->c.react = SIM_REACT_RETRY;
    /* split_at leaves the whole in item and nothing in spec when there is
     * no comma. */
    split_at(spec, ',', &item, &spec);
    if (!span_is(trim(item), "expo"))
        return bad_value(x, "on_reject", "expected retry:expo,base=B,max=M",
                         v);
    while (spec.n) {
        split_at(spec, ',', &item, &spec);
        if (!retry_item(x, C, item, v))
            return 0;
    }
    if (!C->has_max)
        return bad_value(x, "on_reject", "retry needs max=M (retries)", v);
    if (C->c.retry_base <= 0)
        return bad_value(x, "on_reject", "retry needs base=DURATION > 0", v);
    return 1;
}

static int
c_on_reject(scn_ctx *x, scn_client *C, const char *v)
{
    span all = trim((span){ v, strlen(v) }), kind, spec;

    if (span_is(all, "drop"))
        return C->c.react = SIM_REACT_DROP, 1;
    if (span_is(all, "wait_reset"))
        return C->c.react = SIM_REACT_WAIT_RESET, 1;
    if (split_at(all, ':', &kind, &spec) && span_is(trim(kind), "retry"))
        return c_retry(x, C, spec, v);
    return bad_value(x, "on_reject",
                     "expected drop, wait_reset or retry:expo,base=B,max=M",
                     v);
}

static int
c_weight(scn_ctx *x, scn_client *C, const char *v)
{
    return get_int(x, "weight", NULL, v, 1, 1000000, &C->c.weight);
}

typedef int (*client_fn)(scn_ctx *x, scn_client *C, const char *v);

static const struct {
    const char *name;
    client_fn parse;
} client_keys[CK_COUNT] = {
    [CK_QUOTA] = { "quota", c_quota },
    [CK_QUOTA_ALGO] = { "quota_algo", c_quota_algo },
    [CK_ON_REJECT] = { "on_reject", c_on_reject },
    [CK_WEIGHT] = { "weight", c_weight },
};

static int
client_key(scn_ctx *x, const char *name, const char *v)
{
    scn_client *C = cur_client(x);
    int k = 0;

    while (k < CK_COUNT && strcmp(name, client_keys[k].name) != 0)
        k++;
    if (k == CK_COUNT)
        return fail(x, x->lineno, name, "unknown key in [client %s] "
                    "(quota, quota_algo, on_reject, weight)", C->c.name);
    if (C->key_line[k])
        return fail(x, x->lineno, name, "given twice (first at %s)",
                    line_ref(x, C->key_line[k]));
    C->key_line[k] = x->lineno;
    return client_keys[k].parse(x, C, v);
}

/* The quota limit: quota_algo (fixed_window unless given) at the rate. */
static int
finish_client(scn_ctx *x, scn_client *C)
{
    const algo *a = C->algo ? C->algo : algo_find("fixed_window");
    algo_params p = { .count = C->count, .window = C->window };
    char msg[256];

    if (!C->key_line[CK_QUOTA]) {
        if (C->key_line[CK_QUOTA_ALGO])
            return fail(x, C->key_line[CK_QUOTA_ALGO], "quota_algo",
                        "needs a quota = N/W");
        return 1;
    }
    if (!a || !(a->takes & ALGO_TAKES_RATE))
        return fail(x, C->key_line[CK_QUOTA_ALGO], "quota_algo",
                    "%s takes no rate", a ? a->name : "?");
    fit_params(a, &p);
    if (try_init(a, &p, msg, sizeof msg) != 0)
        return fail(x, C->key_line[CK_QUOTA], "quota", "%s", msg);
    C->c.has_quota = 1;
    C->c.quota = (sim_limit_cfg){ .algo = a, .p = p };
    return 1;
}

static int
start_client(scn_ctx *x, span name)
{
    scn_client *C;

    if (!name_ok(name) || name.n >= SIM_NAME_MAX)
        return fail(x, x->lineno, "client",
                    "a name is 1 to %d letters, digits or _-.:/@+, got "
                    "\"%.*s\"", SIM_NAME_MAX - 1, (int)name.n, name.p);
    /* x->cl is NULL before the first client, and NULL + 0 is undefined
     * behaviour (UBSan: "applying zero offset to null pointer"). */
    for (C = x->cl; C != NULL && C < x->cl + x->ncl; C++)
        if (span_is(name, C->c.name))
            return fail(x, x->lineno, "client",
                        "duplicate name \"%s\" (first at %s)",
                        C->c.name, line_ref(x, C->line));
    if (x->ncl == x->capcl) {
        int cap = x->capcl ? 2 * x->capcl : 8;
        scn_client *nc = realloc(x->cl, (size_t)cap * sizeof *nc);

        if (!nc)
            return no_memory(x);
        x->cl = nc;
        x->capcl = cap;
    }
    C = &x->cl[x->ncl++];
    *C = (scn_client){ .line = x->lineno };
    span_str(name, C->c.name, sizeof C->c.name);
    C->c.weight = 1;
    x->sec = SEC_CLIENT;
    return 1;
}

/* ------------------------------------------------------------------ */
/* [sim] keys                                                         */
/* ------------------------------------------------------------------ */

static int
s_seed(scn_ctx *x, const char *v)
{
    if (!parse_u64(v, &x->cfg->seed))
        return bad_value(x, "seed",
                         "expected an integer from 0 to 18446744073709551615",
                         v);
    return 1;
}

static int
s_until(scn_ctx *x, const char *v)
{
    const char *why = units_parse_duration(v, &x->cfg->until);

    return why ? bad_value(x, "until", why, v) : 1;
}

/* The index of v in words[0..n), of which the first nok are supported and
 * the rest planned (SPEC §4) and refused as such; -1 after an error. */
static int
choice(scn_ctx *x, const char *key, const char *v, const char *const *words,
       int n, int nok)
{
    char list[128] = "";
    int i = word_index(v, words, n);

    for (int j = 0; j < nok; j++)
        strcat(strcat(list, j ? ", " : ""), words[j]);
    if (i < 0)
        fail(x, x->lineno, key, "expected one of %s, got \"%s\"", list, v);
    else if (i >= nok)
        fail(x, x->lineno, key, "\"%s\" is not supported yet (%s)", v, list);
    return i < 0 || i >= nok ? -1 : i;
}

static int
s_queue(scn_ctx *x, const char *v)
{
    /* In enum sim_queue's order. */
    static const char *const words[] = { "priority", "fifo", "edf", "wfq" };
    int i = choice(x, "queue", v, words, 4, 4);

    x->cfg->queue = i;
    return i >= 0;
}

static int
s_route(scn_ctx *x, const char *v)
{
    /* In enum sim_route's order. */
    static const char *const words[] = { "ordered", "round_robin",
                                         "least_loaded" };
    int i = choice(x, "route", v, words, 3, 3);

    x->cfg->route = i;
    return i >= 0;
}

static const struct {
    const char *name;
    int (*parse)(scn_ctx *x, const char *v);
} sim_keys[SK_COUNT] = {
    [SK_SEED] = { "seed", s_seed },
    [SK_UNTIL] = { "until", s_until },
    [SK_QUEUE] = { "queue", s_queue },
    [SK_ROUTE] = { "route", s_route },
};

static int
sim_key(scn_ctx *x, const char *name, const char *v)
{
    int k = 0;

    while (k < SK_COUNT && strcmp(name, sim_keys[k].name) != 0)
        k++;
    if (k == SK_COUNT)
        return fail(x, x->lineno, name,
                    "unknown key in [sim] (seed, until, queue, route)");
    if (x->sim_key_line[k])
        return fail(x, x->lineno, name, "given twice (first at %s)",
                    line_ref(x, x->sim_key_line[k]));
    x->sim_key_line[k] = x->lineno;
    return sim_keys[k].parse(x, v);
}

/* inih's handler: one key of the current section. */
static int
on_key(void *user, const char *section, const char *name, const char *value)
{
    scn_ctx *x = user;

    (void)section; /* inih truncates it; the reader tracks the section */
    if (x->failed)
        return 0;
    if (!*name)
        return fail(x, x->lineno, NULL, "expected a key before \"=\"");
    if (x->sec == SEC_SIM)
        return sim_key(x, name, value);
    if (x->sec == SEC_PROVIDER)
        return prov_key(x, name, value);
    if (x->sec == SEC_CLIENT)
        return client_key(x, name, value);
    return fail(x, x->lineno, name,
                "outside any section (put it under [sim] or "
                "[provider NAME])");
}

/* ------------------------------------------------------------------ */
/* Section headers                                                    */
/* ------------------------------------------------------------------ */

static int
finish_section(scn_ctx *x)
{
    if (x->sec == SEC_PROVIDER && !finish_provider(x, cur_prov(x)))
        return 0;
    if (x->sec == SEC_CLIENT && !finish_client(x, cur_client(x)))
        return 0;
    x->sec = SEC_NONE;
    return 1;
}

static int
start_sim(scn_ctx *x)
{
    if (x->sim_line)
        return fail(x, x->lineno, "[sim]",
                    "duplicate section (first at %s)",
                    line_ref(x, x->sim_line));
    x->sim_line = x->lineno;
    x->sec = SEC_SIM;
    return 1;
}

static int
start_provider(scn_ctx *x, span name)
{
    scn_prov *P;

    if (!name_ok(name) || name.n >= SIM_NAME_MAX)
        return fail(x, x->lineno, "provider",
                    "a name is 1 to %d letters, digits or _-.:/@+, got "
                    "\"%.*s\"", SIM_NAME_MAX - 1, (int)name.n, name.p);
    /* x->prov is NULL before the first provider: see start_client. */
    for (P = x->prov; P != NULL && P < x->prov + x->nprov; P++)
        if (span_is(name, P->c.name))
            return fail(x, x->lineno, "provider",
                        "duplicate name \"%s\" (first at %s)",
                        P->c.name, line_ref(x, P->line));
    if (x->nprov == x->cap) {
        int cap = x->cap ? 2 * x->cap : 8;
        scn_prov *np = realloc(x->prov, (size_t)cap * sizeof *np);

        if (!np)
            return no_memory(x);
        x->prov = np;
        x->cap = cap;
    }
    P = &x->prov[x->nprov++];
    *P = (scn_prov){ .line = x->lineno };
    span_str(name, P->c.name, sizeof P->c.name);
    P->c.order = x->nprov;
    P->c.mode = SIM_MODE_QUEUE;
    P->c.enabled = 1;
    P->c.latency.kind = SIM_LAT_FIXED;
    x->sec = SEC_PROVIDER;
    return 1;
}

/* The text between the brackets of a header line, as inih finds it: up to
 * "]" or an inline "; comment". Only a comment may follow the "]". */
static int
header_text(scn_ctx *x, const char *line, span *text)
{
    const char *e = line + 1;
    span after;

    while (*e && *e != ']' && !(*e == ';' && isspace((unsigned char)e[-1])))
        e++;
    if (*e != ']')
        return fail(x, x->lineno, NULL,
                    "expected \"]\" to close the section header");
    *text = trim((span){ line + 1, (size_t)(e - line - 1) });
    after = trim((span){ e + 1, strlen(e + 1) });
    if (after.n && after.p[0] != ';' && after.p[0] != '#')
        return fail(x, x->lineno, NULL,
                    "unexpected \"%.*s\" after the section header",
                    (int)after.n, after.p);
    return 1;
}

static int
on_header(scn_ctx *x, const char *line)
{
    span text, rest, kind, name;

    if (!header_text(x, line, &text) || !finish_section(x))
        return 0;
    rest = text;
    kind = (span){ text.p, 0 };
    next_word(&rest, &kind);
    name = trim(rest);
    if (span_is(kind, "sim") && name.n == 0)
        return start_sim(x);
    if (span_is(kind, "provider"))
        return start_provider(x, name);
    if (span_is(kind, "client"))
        return start_client(x, name);
    return fail(x, x->lineno, NULL,
                "[%.*s]: unknown section (sim, provider NAME, client NAME)",
                (int)text.n, text.p);
}

/* ------------------------------------------------------------------ */
/* The line reader inih pulls from                                    */
/* ------------------------------------------------------------------ */

/* Checks one line (leading blanks gone, "\n" ended) before inih sees it:
 * headers are handled here, and a line inih would reject gets a clear
 * message. Mirrors inih: a key line has "=" or ":" before any inline
 * "; comment". */
static int
classify(scn_ctx *x, const char *line)
{
    const char *e = line;
    span shown;

    if (*line == '\n' || *line == ';' || *line == '#')
        return 1;
    if (*line == '[')
        return on_header(x, line);
    while (*e && !strchr("=:\n", *e) &&
           !(*e == ';' && isspace((unsigned char)e[-1])))
        e++;
    if (*e == '=' || *e == ':')
        return 1;
    shown = trim((span){ line, strlen(line) });
    return fail(x, x->lineno, NULL,
                "expected \"key = value\" or \"[section]\", got \"%.*s\"",
                (int)shown.n, shown.p);
}

/* inih's fgets-like reader over the file's bytes. It counts lines, drops a
 * byte-order mark and leading blanks, and stops the parse after an error
 * (returning NULL ends inih's loop). */
static char *
read_line(char *str, int num, void *stream)
{
    scn_ctx *x = stream;
    const char *s = x->buf + x->pos, *nl;
    size_t n;

    if (x->failed || x->pos >= x->len)
        return NULL;
    nl = memchr(s, '\n', x->len - x->pos);
    n = nl ? (size_t)(nl - s) : x->len - x->pos;
    x->pos += n + (nl != NULL);
    x->lineno++;
    if (x->lineno == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        s += 3, n -= 3;
    while (n > 0 && isspace((unsigned char)*s))
        s++, n--;
    if (memchr(s, '\0', n)) {
        fail(x, x->lineno, NULL, "unexpected NUL byte");
        return NULL;
    }
    /* room for the "\n" and the NUL, so inih never sees a cut line */
    if (num < 2 || n > (size_t)num - 2) {
        fail(x, x->lineno, NULL, "line is longer than %d characters",
             num - 2);
        return NULL;
    }
    memcpy(str, s, n);
    str[n] = '\n';
    str[n + 1] = '\0';
    return classify(x, str) ? str : NULL;
}

/* ------------------------------------------------------------------ */
/* Entry points                                                       */
/* ------------------------------------------------------------------ */

/* Reads path whole. Returns 0, or an errno value. */
static int
slurp(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int e = 0;

    if (!f)
        return errno;
    for (;;) {
        if (n == cap) {
            char *nb = cap >= (size_t)SCN_MAX_FILE ? NULL
                                                   : realloc(buf, cap + 4096);
            if (!nb) {
                e = cap >= (size_t)SCN_MAX_FILE ? EFBIG : ENOMEM;
                break;
            }
            buf = nb;
            cap += 4096;
        }
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
    }
    if (!e && ferror(f))
        e = errno ? errno : EIO;
    fclose(f);
    if (e)
        free(buf);
    else
        *out = buf, *len = n;
    return e;
}

static void
free_staged(scn_ctx *x)
{
    for (int i = 0; i < x->nprov; i++)
        free(x->prov[i].c.schedule);
    free(x->prov);
    x->prov = NULL;
    x->nprov = x->cap = 0;
    free(x->cl);
    x->cl = NULL;
    x->ncl = x->capcl = 0;
}

static int
by_order(const void *a, const void *b)
{
    int oa = ((const sim_provider_cfg *)a)->order;
    int ob = ((const sim_provider_cfg *)b)->order;

    return (oa > ob) - (oa < ob);
}

/* Hands the staged providers to cfg, sorted by order. */
static int
build_config(scn_ctx *x, sim_config *cfg)
{
    if (x->nprov == 0)
        return fail(x, 0, NULL, "no [provider NAME] section");
    cfg->providers = calloc((size_t)x->nprov, sizeof *cfg->providers);
    if (!cfg->providers)
        return no_memory(x);
    for (int i = 0; i < x->nprov; i++) {
        cfg->providers[i] = x->prov[i].c;
        x->prov[i].c.schedule = NULL; /* now owned by cfg */
    }
    cfg->nproviders = x->nprov;
    qsort(cfg->providers, (size_t)x->nprov, sizeof *cfg->providers,
          by_order);
    if (x->ncl == 0)
        return 1;
    if (!(cfg->clients = calloc((size_t)x->ncl, sizeof *cfg->clients)))
        return no_memory(x);
    for (int i = 0; i < x->ncl; i++)
        cfg->clients[i] = x->cl[i].c;
    cfg->nclients = x->ncl;
    return 1;
}

/* Parses x->buf (x->len bytes) into cfg. Returns 0 or 2 (message in
 * x->err); on failure *cfg holds nothing to free. */
static int
parse(scn_ctx *x, sim_config *cfg)
{
    int rc;

    *cfg = (sim_config){ .seed = 1, .until = SIM_NEVER,
                         .queue = SIM_QUEUE_PRIORITY,
                         .route = SIM_ROUTE_ORDERED };
    rc = ini_parse_stream(read_line, x, on_key, x);
    if (!x->failed)
        finish_section(x);
    if (!x->failed && rc != 0) /* not expected: the reader pre-checks lines */
        fail(x, rc > 0 ? rc : 0, NULL, "%s",
             rc == -2 ? strerror(ENOMEM) : "cannot parse this line");
    if (!x->failed)
        build_config(x, cfg);
    free_staged(x);
    if (!x->failed)
        return 0;
    scn_clear(cfg);
    return SIM_EINPUT;
}

int
scn_load(const char *path, sim_config *cfg, char *err, size_t errlen)
{
    scn_ctx x = { .path = path, .err = err, .errlen = errlen, .cfg = cfg };
    char *buf = NULL;
    int rc, e;

    memset(cfg, 0, sizeof *cfg);
    if ((e = slurp(path, &buf, &x.len)) != 0) {
        fail(&x, 0, NULL, "%s", strerror(e));
        return SIM_EINPUT;
    }
    x.buf = buf;
    rc = parse(&x, cfg);
    free(buf);
    return rc;
}

int
scn_load_text(const char *name, const char *text, size_t len,
              const char *const *where, int nwhere, sim_config *cfg,
              char *err, size_t errlen)
{
    scn_ctx x = { .path = name, .where = where, .nwhere = where ? nwhere : 0,
                  .err = err, .errlen = errlen, .cfg = cfg,
                  .buf = text, .len = len };

    memset(cfg, 0, sizeof *cfg);
    return parse(&x, cfg);
}

int
scn_sha256(const char *path, char hex[65])
{
    char *buf = NULL;
    size_t len = 0;
    sha *h;
    int rc = SIM_EINPUT;

    hex[0] = '\0';
    if (slurp(path, &buf, &len) != 0)
        return SIM_EINPUT;
    if ((h = sha_new()) != NULL) {
        sha_update(h, buf, len);
        sha_hex(h, hex);
        rc = 0;
    }
    sha_free(h);
    free(buf);
    return rc;
}

/* The parameters limit l gets under algorithm a, or a message. */
static int
override_one(const algo *a, const sim_limit_cfg *l, algo_params *p,
             char *msg, size_t n)
{
    const char *miss;

    *p = l->p;
    fit_params(a, p);
    if ((miss = missing_param(a, p)) != NULL) {
        snprintf(msg, n, "%s: %s needs a %s", miss, a->name, miss);
        return SIM_EINPUT;
    }
    return try_init(a, p, msg, n);
}

/* Every rate limit's new parameters, checked before any is changed, so a
 * failure leaves cfg as it was. apply = 0 checks, 1 changes. */
static int
override_pass(sim_config *cfg, const algo *a, int apply, char *err,
              size_t errlen)
{
    char msg[256];
    algo_params p;

    for (int i = 0; i < cfg->nproviders; i++) {
        sim_provider_cfg *pc = &cfg->providers[i];

        for (int j = 0; j < pc->nlimits; j++) {
            sim_limit_cfg *l = &pc->limits[j];

            if (!(l->algo->takes & ALGO_TAKES_RATE))
                continue;
            msg[0] = '\0';
            if (override_one(a, l, &p, msg, sizeof msg) != 0) {
                snprintf(err, errlen, "--algo: provider %s: %s", pc->name,
                         msg);
                return SIM_EINPUT;
            }
            if (apply)
                *l = (sim_limit_cfg){ .algo = a, .p = p };
        }
    }
    return 0;
}

int
scn_override_algo(sim_config *cfg, const char *name, char *err,
                  size_t errlen)
{
    const algo *a = name ? algo_find(name) : NULL;
    char names[SCN_NAMES];

    if (!a) {
        algo_names(names, sizeof names);
        snprintf(err, errlen, "--algo: unknown algorithm \"%s\" (known: %s)",
                 name ? name : "", names);
        return SIM_EINPUT;
    }
    if (!(a->takes & ALGO_TAKES_RATE)) {
        snprintf(err, errlen,
                 "--algo: %s takes no rate, so it cannot replace a rate "
                 "limit", a->name);
        return SIM_EINPUT;
    }
    if (override_pass(cfg, a, 0, err, errlen) != 0)
        return SIM_EINPUT;
    return override_pass(cfg, a, 1, err, errlen);
}

void
scn_clear(sim_config *cfg)
{
    for (int i = 0; i < cfg->nproviders; i++)
        free(cfg->providers[i].schedule);
    free(cfg->providers);
    free(cfg->clients);
    memset(cfg, 0, sizeof *cfg);
}
