/* SPDX-License-Identifier: MIT
 *
 * Plot data (see plotdata.h). A pd is one read-only SQLite connection and
 * the database's path (for messages). Every query selects one run through
 * the dispatches table's primary key (run_id first) and reads its rows in
 * that order: SQLite neither sorts nor groups. Four sorted passes a run
 * (GROUP BY client, ORDER BY wait, ORDER BY t_dispatch, GROUP BY bins)
 * cost 3.2 s on a million rows where a plain scan of the same columns
 * takes 0.2 s; so C does the grouping and the ordering, and a run's rows
 * are read once. pd_run_get's scan feeds everything:
 *
 *   - the run's totals, added up as the rows go by;
 *   - per-client totals in a hash table keyed by the client's value, then
 *     put in the order of ORDER BY offered DESC, client (NULL, then texts,
 *     then blobs; bytes unsigned), which Jain's index relies on;
 *   - the waits of sent attempts in an array, radix-sorted, read at the
 *     CDF's ranks;
 *   - per rate-limited provider its dispatches (instant, permits) in an
 *     array, radix-sorted by instant, for the worst window;
 *   - counts in fine time bins (a power of ten ns, at most 2^18 of them),
 *     from which pd_bins_get adds up the bins the caller picks once every
 *     run is summed up; a width they cannot make is counted by a scan.
 *
 * The summary and the fine bins are kept in the pd until asked for: the
 * summary for a pd_summary_get of the same run before the next
 * pd_run_get (plot asks in that order; asked otherwise, it scans again),
 * the bins of each run scanned for its pd_bins_get.
 *
 * The results are the SQL's, to the bit: ties (equal waits, dispatches at
 * one instant) cannot change a rank's value or a window's sum (a window
 * holds all the dispatches at an instant or none, and permits are never
 * negative, so the sum peaks after the last of them); a client's mean
 * wait is its double sum over the count, as avg() made it, in row order.
 * That sum is exact while the waits add up to less than 2^53 ns (104
 * days), so the same in any order; beyond, SQLite's own order within a
 * group decided the last bits (it kept row order in every case tried).
 *
 * Memory: per sent row of the run being read, 8 bytes for its wait and 16
 * for its dispatch, up to twice that while the arrays grow or sort (the
 * process peaks at 50 MB for a million rows a run, where SQLite's sorter
 * took it to 150 MB); freed before pd_run_get returns. A run's fine bins
 * take 32 bytes each, 1 to 8 MB, until its pd_bins_get or pd_close.
 * SQLite's page cache stays at its default size: a scan reads each page
 * once. The connection is one thread's (NOMUTEX): the column reads skip a
 * mutex, which took a sixth of a scan's time. A pd_run, a pd_summary and
 * pd_bins own heap arrays, freed by their clear functions, which accept
 * what a failed get left.
 */
#include "sim/io/plotdata.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "sim/io/units.h"

#define PD_EINPUT 2
#define PD_EIO 3
#define PD_BUSY_MS 5000

/* A run's counts in bins of unit ns (see "fine" below). */
typedef struct pd_fbin {
    int64_t arrivals, ready, sent, sent_cost;
} pd_fbin;

typedef struct pd_fine {
    int64_t run_id;
    sim_time unit;              /* a power of ten */
    pd_fbin *v;
    size_t n, cap;              /* bins in use (the rest zero), allocated */
} pd_fine;

/* A run fed to a memory pd, as pd_run_get and pd_summary_get give it. */
typedef struct pd_mem {
    pd_run run;
    pd_summary sum;
} pd_mem;

struct pd {
    sqlite3 *db;                /* NULL: a memory pd */
    pd_mem *mem;                /* its runs, in the order kept; mem[i]
                                   of id i + 1 unless pd_feed_keep_as */
    size_t nmem, capmem;
    int feeding;                /* a pd_feed is open (one at a time) */
    int kept_ok;                /* kept is run kept_run's summary */
    int64_t kept_run;
    pd_summary kept;
    pd_fine *fine;              /* bins of runs scanned, not yet asked */
    size_t nfine, capfine;
    char path[];
};

/* ================================================================ errors */

/* Writes "path: reason" and returns code. */
static int
pd_msg(const pd *p, int code, char *err, size_t errlen, const char *reason)
{
    if (err && errlen)
        snprintf(err, errlen, "%s: %s", p->path, reason);
    return code;
}

/* Fails with SQLite's last message, finalizing st (which may be NULL). */
static int
pd_fail(const pd *p, sqlite3_stmt *st, char *err, size_t errlen)
{
    pd_msg(p, PD_EIO, err, errlen, sqlite3_errmsg(p->db));
    sqlite3_finalize(st);
    return PD_EIO;
}

/* Prepares sql and binds ?1 to run_id. Returns an SQLite code. */
static int
pd_prepare(const pd *p, const char *sql, int64_t run_id, sqlite3_stmt **st)
{
    int rc = sqlite3_prepare_v2(p->db, sql, -1, st, NULL);

    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(*st, 1, run_id);
    return rc;
}

/* A copy of text column i in *out (NULL for NULL). -1 out of memory. */
static int
pd_col_dup(sqlite3_stmt *st, int i, char **out)
{
    const unsigned char *s = sqlite3_column_text(st, i);

    *out = NULL;
    if (!s)
        return 0;
    *out = strdup((const char *)s);
    return *out ? 0 : -1;
}

/* ================================================================ open */

int
pd_open(pd **out, const char *path, char *err, size_t errlen)
{
    size_t len = strlen(path);
    pd *p = calloc(1, sizeof *p + len + 1);
    struct stat sb;
    int rc;

    *out = NULL;
    if (!p) {
        snprintf(err, errlen, "%s: out of memory", path);
        return PD_EIO;
    }
    memcpy(p->path, path, len + 1);
    /* SQLite would say "unable to open database file" for a typo; a
     * missing input is bad usage, and says so plainly. */
    if (stat(path, &sb) != 0) {
        rc = pd_msg(p, errno == ENOENT ? PD_EINPUT : PD_EIO, err, errlen,
                    strerror(errno));
        goto fail;
    }
    rc = sqlite3_open_v2(path, &p->db,
                         SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_busy_timeout(p->db, PD_BUSY_MS);
    /* The first read tells a non-database or a foreign one. */
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(p->db, "SELECT run_id FROM runs LIMIT 0;"
                          "SELECT run_id FROM dispatches LIMIT 0", NULL, NULL,
                          NULL);
    if (rc != SQLITE_OK) {
        rc = pd_msg(p, PD_EIO, err, errlen,
                    p->db ? sqlite3_errmsg(p->db) : sqlite3_errstr(rc));
        goto fail;
    }
    *out = p;
    return 0;
fail:
    pd_close(p);
    return rc;
}

int
pd_open_memory(pd **out, const char *name, char *err, size_t errlen)
{
    size_t len = strlen(name);
    pd *p = calloc(1, sizeof *p + len + 1);

    *out = p;
    if (!p) {
        snprintf(err, errlen, "%s: out of memory", name);
        return PD_EIO;
    }
    memcpy(p->path, name, len + 1);
    return 0;
}

void
pd_close(pd *p)
{
    if (!p)
        return;
    sqlite3_close(p->db);
    for (size_t i = 0; i < p->nmem; i++) {
        pd_run_clear(&p->mem[i].run);
        pd_summary_clear(&p->mem[i].sum);
    }
    free(p->mem);
    pd_summary_clear(&p->kept);
    for (size_t i = 0; i < p->nfine; i++)
        free(p->fine[i].v);
    free(p->fine);
    free(p);
}

int
pd_latest_run(pd *p, int64_t *run_id, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;

    if (!p->db) {
        if (!p->nmem)
            return pd_msg(p, PD_EINPUT, err, errlen, "no runs");
        *run_id = p->mem[p->nmem - 1].run.run_id;
        return 0;
    }
    if (sqlite3_prepare_v2(p->db, "SELECT max(run_id) FROM runs", -1, &st,
                           NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        return pd_fail(p, st, err, errlen);
    if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
        sqlite3_finalize(st);
        return pd_msg(p, PD_EINPUT, err, errlen, "no runs in the database");
    }
    *run_id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return 0;
}

/* ================================================================ runs */

int
pd_parse_rates(const char *params, pd_rate *out, int max)
{
    int n = 0;

    while (params && *params && n < max) {
        const char *end = strchr(params, ';');
        size_t len = end ? (size_t)(end - params) : strlen(params);
        char part[128], word[64], rate[64];
        int64_t count, window;

        snprintf(part, sizeof part, "%.*s", (int)len, params);
        /* "algo N/W [burst=B]": the second word, when it is a rate. */
        if (sscanf(part, " %63s %63s", word, rate) == 2 &&
            strchr(rate, '/') && !units_parse_rate(rate, &count, &window)) {
            out[n].count = count;
            out[n].window = window;
            n++;
        }
        params = end ? end + 1 : NULL;
    }
    return n;
}

static const char pd_sql_run[] =
    "SELECT label, algo, workload, workload_sha256, scenario,"
    " scenario_sha256, version, created, digest, seed, requests, events,"
    " wall_ms FROM runs WHERE run_id = ?1";

/* The runs row into r. Returns 0, 2 (no such run) or 3. */
static int
pd_get_run_row(pd *p, int64_t run_id, pd_run *r, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    char **text[] = {&r->label, &r->algo, &r->workload, &r->workload_sha256,
                     &r->scenario, &r->scenario_sha256, &r->version,
                     &r->created, &r->digest};
    int rc;

    if (pd_prepare(p, pd_sql_run, run_id, &st) != SQLITE_OK)
        return pd_fail(p, st, err, errlen);
    if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
        char msg[64];
        sqlite3_finalize(st);
        snprintf(msg, sizeof msg, "no run %lld", (long long)run_id);
        return pd_msg(p, PD_EINPUT, err, errlen, msg);
    }
    if (rc != SQLITE_ROW)
        return pd_fail(p, st, err, errlen);
    for (int i = 0; i < 9; i++)
        if (pd_col_dup(st, i, text[i]) != 0) {
            sqlite3_finalize(st);
            return pd_msg(p, PD_EIO, err, errlen, "out of memory");
        }
    r->run_id = run_id;
    r->seed = sqlite3_column_int64(st, 9);
    r->requests = sqlite3_column_int64(st, 10);
    r->events = sqlite3_column_int64(st, 11);
    r->wall_ms = sqlite3_column_double(st, 12);
    sqlite3_finalize(st);
    return 0;
}

/* The providers rows, in order. Returns 0 or 3. */
static int
pd_get_providers(pd *p, pd_run *r, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc, cap = 0;

    if (pd_prepare(p, "SELECT provider_id, ord, name, algo, params FROM"
                   " providers WHERE run_id = ?1 ORDER BY ord, provider_id",
                   r->run_id, &st) != SQLITE_OK)
        return pd_fail(p, st, err, errlen);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        pd_provider *v;
        if (r->nproviders == cap) {
            cap = cap ? cap * 2 : 4;
            if (!(v = realloc(r->providers, (size_t)cap * sizeof *v)))
                goto oom;
            r->providers = v;
        }
        v = &r->providers[r->nproviders++];
        memset(v, 0, sizeof *v);
        v->id = sqlite3_column_int(st, 0);
        v->ord = sqlite3_column_int(st, 1);
        if (pd_col_dup(st, 2, &v->name) || pd_col_dup(st, 3, &v->algo) ||
            pd_col_dup(st, 4, &v->params))
            goto oom;
        v->nrates = pd_parse_rates(v->params, v->rates, SIM_MAX_LIMITS);
    }
    if (rc != SQLITE_DONE)
        return pd_fail(p, st, err, errlen);
    sqlite3_finalize(st);
    return 0;
oom:
    sqlite3_finalize(st);
    return pd_msg(p, PD_EIO, err, errlen, "out of memory");
}

static pd_provider *
pd_find_provider(pd_run *r, int id)
{
    for (int i = 0; i < r->nproviders; i++)
        if (r->providers[i].id == id)
            return &r->providers[i];
    return NULL;
}

/* ================================================================ arrays */

/* v with room for element n (of size sz, *cap allocated), growing it by
 * doubling. NULL out of memory, v and *cap then unchanged. */
static void *
pd_room(void *v, size_t n, size_t *cap, size_t sz)
{
    size_t c = *cap ? 2 * *cap : 64;

    if (n < *cap)
        return v;
    if (!(v = realloc(v, c * sz)))
        return NULL;
    *cap = c;
    return v;
}

/* The int64_t an element starts with, as a key that sorts unsigned in the
 * same order (the sign bit flipped). */
static inline uint64_t
pd_key(const unsigned char *e)
{
    int64_t v;

    memcpy(&v, e, sizeof v);
    return (uint64_t)v ^ ((uint64_t)1 << 63);
}

/* Sorts n elements of sz bytes by the int64_t each starts with: a stable
 * radix sort, a byte a pass from the least significant, through tmp (n
 * elements). A byte every key shares takes no pass, so the instants of a
 * run (40-odd significant bits) take five or six; keys in order already
 * take none. Inline, so that each caller has a copy for its constant sz. */
static inline void
pd_radix(void *base, void *tmp, size_t n, size_t sz)
{
    size_t count[8][256] = {{0}};
    unsigned char *src = base, *dst = tmp, *t;
    size_t i = 1;

    /* Dispatches in request order often are in time order already. */
    while (i < n && pd_key(src + (i - 1) * sz) <= pd_key(src + i * sz))
        i++;
    if (i >= n)
        return;
    for (i = 0; i < n; i++)
        for (uint64_t k = pd_key(src + i * sz), d = 0; d < 8; d++)
            count[d][(k >> (8 * d)) & 0xff]++;
    for (int d = 0; d < 8; d++) {
        size_t *c = count[d], pos = 0;
        if (c[(pd_key(src) >> (8 * d)) & 0xff] == n)
            continue;
        for (int b = 0; b < 256; b++) {
            size_t k = c[b];
            c[b] = pos;
            pos += k;
        }
        for (i = 0; i < n; i++)
            memcpy(dst + c[(pd_key(src + i * sz) >> (8 * d)) & 0xff]++ * sz,
                   src + i * sz, sz);
        t = src, src = dst, dst = t;
    }
    if (src != base)
        memcpy(base, src, n * sz);
}

/* Sorts w[n] ascending. -1 out of memory (for the scratch copy). */
static int
pd_sort_waits(int64_t *w, size_t n)
{
    int64_t *tmp = malloc((n + 1) * sizeof *tmp);

    if (!tmp)
        return -1;
    pd_radix(w, tmp, n, sizeof *w);
    free(tmp);
    return 0;
}

/* ================================================================ worst */

/* A dispatch of a provider that has a rate limit: instant and permits. */
typedef struct pd_sent {
    sim_time t;
    int64_t cost;
} pd_sent;

/* A provider's dispatches, in the order the rows came. */
typedef struct pd_sends {
    pd_sent *v;
    size_t n, cap;
} pd_sends;

static int
pd_sort_sent(pd_sent *s, size_t n)
{
    pd_sent *tmp = malloc((n + 1) * sizeof *tmp);

    if (!tmp)
        return -1;
    pd_radix(s, tmp, n, sizeof *s);
    free(tmp);
    return 0;
}

/* The most permits in any half-open window (t - W, t] over d sorted by
 * instant: a running sum from lo to i. A window holds all the dispatches
 * at an instant or none of them, so it is measured after the last one;
 * in whatever order equal instants come, the sum there is the same. */
static int64_t
pd_worst(const pd_sent *d, size_t n, sim_time window)
{
    int64_t sum = 0, worst = 0;
    size_t lo = 0;

    for (size_t i = 0; i < n; i++) {
        sum += d[i].cost;
        if (i + 1 < n && d[i + 1].t == d[i].t)
            continue;
        while (lo <= i && d[lo].t <= d[i].t - window)
            sum -= d[lo++].cost;
        if (sum > worst)
            worst = sum;
    }
    return worst;
}

/* Each rate-limited provider's worst window over its first limit, from
 * its dispatches (freed as it goes). -1 out of memory. */
static int
pd_run_worst(pd_run *r, pd_sends *s)
{
    for (int i = 0; i < r->nproviders; i++) {
        pd_provider *v = &r->providers[i];
        if (v->nrates == 0 || s[i].n == 0)
            continue;
        if (pd_sort_sent(s[i].v, s[i].n) != 0)
            return -1;
        v->worst = pd_worst(s[i].v, s[i].n, v->rates[0].window);
        free(s[i].v);
        s[i] = (pd_sends){NULL, 0, 0};
    }
    return 0;
}

/* ================================================================ rows */

/* Every column a run's figures are made of, in primary-key order. */
static const char pd_sql_rows[] =
    "SELECT client, attempt, outcome, t_arrive, t_ready, t_dispatch, cost,"
    " provider_id FROM dispatches WHERE run_id = ?1";

/* A row of pd_sql_rows. A NULL time is SIM_NONE; a NULL cost or provider
 * reads as 0, as sqlite3_column_int64 reads it. */
typedef struct pd_row {
    const void *client;         /* its bytes; NULL for NULL */
    size_t client_len;
    int client_type;            /* SQLITE_NULL, SQLITE_TEXT or SQLITE_BLOB */
    int first;                  /* attempt = 1 */
    int outcome;                /* SIM_OK ... SIM_DROPPED, or -1 */
    sim_time arrive, ready, dispatch;
    int64_t cost;
    int has_cost;
    int provider;
} pd_row;

/* The rows are read through sqlite3_column_value: one call a column, not
 * one a question (its type, then its value), each of which checks the
 * statement and its error state: 8% of a plot's instructions. The values are
 * "unprotected" (no mutex held), which a NOMUTEX connection never has. */

/* v as a time: SIM_NONE for NULL. */
static sim_time
pd_val_time(sqlite3_value *v)
{
    return sqlite3_value_type(v) == SQLITE_NULL ? SIM_NONE
                                                : sqlite3_value_int64(v);
}

/* The outcome text v names, or -1 (NULL, or another value: SQL's
 * outcome = 'ok' counted neither). */
static int
pd_val_outcome(sqlite3_value *v)
{
    static const char *const names[] = {
        [SIM_OK] = "ok", [SIM_FAILED] = "failed",
        [SIM_REJECTED] = "rejected", [SIM_EXPIRED] = "expired",
        [SIM_DROPPED] = "dropped"};
    const char *s;
    size_t len;

    if (sqlite3_value_type(v) != SQLITE_TEXT)
        return -1;
    s = (const char *)sqlite3_value_text(v);
    len = (size_t)sqlite3_value_bytes(v);
    for (int o = SIM_OK; o <= SIM_DROPPED; o++)
        if (strlen(names[o]) == len && memcmp(s, names[o], len) == 0)
            return o;
    return -1;
}

/* The client: GROUP BY told NULL, texts and blobs apart (the column's
 * TEXT affinity leaves no numbers). */
static void
pd_val_client(sqlite3_value *v, pd_row *r)
{
    r->client_type = sqlite3_value_type(v);
    if (r->client_type == SQLITE_NULL)
        r->client = NULL;
    else if (r->client_type == SQLITE_BLOB)
        r->client = sqlite3_value_blob(v);
    else {
        r->client_type = SQLITE_TEXT;
        r->client = sqlite3_value_text(v);
    }
    r->client_len = r->client ? (size_t)sqlite3_value_bytes(v) : 0;
}

static void
pd_read_row(sqlite3_stmt *st, pd_row *r)
{
    sqlite3_value *attempt = sqlite3_column_value(st, 1);
    sqlite3_value *cost = sqlite3_column_value(st, 6);

    pd_val_client(sqlite3_column_value(st, 0), r);
    r->first = sqlite3_value_type(attempt) != SQLITE_NULL &&
               sqlite3_value_int64(attempt) == 1;
    r->outcome = pd_val_outcome(sqlite3_column_value(st, 2));
    r->arrive = pd_val_time(sqlite3_column_value(st, 3));
    r->ready = pd_val_time(sqlite3_column_value(st, 4));
    r->dispatch = pd_val_time(sqlite3_column_value(st, 5));
    r->has_cost = sqlite3_value_type(cost) != SQLITE_NULL;
    r->cost = sqlite3_value_int64(cost);
    r->provider = sqlite3_value_int(sqlite3_column_value(st, 7));
}

/* ================================================================ clients */

/* One client's totals while the rows go by. */
typedef struct pd_acc {
    char *key;                  /* the value's bytes and a NUL; NULL for
                                   NULL; becomes c.name at the end */
    size_t len;
    int type;                   /* as pd_row's client_type */
    uint64_t hash;
    pd_client c;
    double wait_sum;            /* added in row order, as SQLite's avg()
                                   added them */
    int64_t waits;              /* behind wait_sum and c.wait_max */
} pd_acc;

/* The clients met: acc[n], and an open-addressing table of slots holding
 * an index into acc plus one (0: empty), never more than half full. */
typedef struct pd_ctab {
    pd_acc *acc;
    size_t n, cap;
    size_t *slot;
    size_t nslots;              /* a power of two */
    size_t last;                /* the latest row's client: one client's
                                   rows often come in a row */
} pd_ctab;

#define PD_SLOTS 64

/* FNV-1a over the type and the bytes. */
static uint64_t
pd_hash(int type, const void *key, size_t len)
{
    const unsigned char *b = key;
    uint64_t h = UINT64_C(14695981039346656037) ^ (uint64_t)type;

    for (size_t i = 0; i < len; i++)
        h = (h ^ b[i]) * UINT64_C(1099511628211);
    return h;
}

static int
pd_acc_is(const pd_acc *a, const pd_row *r)
{
    return a->type == r->client_type && a->len == r->client_len &&
           (a->len == 0 || memcmp(a->key, r->client, a->len) == 0);
}

/* Puts acc[i] into the first free slot from its hash on. */
static void
pd_ctab_place(pd_ctab *t, size_t i)
{
    size_t mask = t->nslots - 1, j = t->acc[i].hash & mask;

    while (t->slot[j])
        j = (j + 1) & mask;
    t->slot[j] = i + 1;
}

/* Twice the slots (PD_SLOTS at first). -1 out of memory. */
static int
pd_ctab_grow(pd_ctab *t)
{
    size_t n = t->nslots ? 2 * t->nslots : PD_SLOTS;
    size_t *slot = calloc(n, sizeof *slot);

    if (!slot)
        return -1;
    free(t->slot);
    t->slot = slot;
    t->nslots = n;
    for (size_t i = 0; i < t->n; i++)
        pd_ctab_place(t, i);
    return 0;
}

/* A new client for row r, of hash h. NULL out of memory. */
static pd_acc *
pd_ctab_add(pd_ctab *t, const pd_row *r, uint64_t h)
{
    pd_acc *a;

    if (2 * (t->n + 1) > t->nslots && pd_ctab_grow(t) != 0)
        return NULL;
    if (!(a = pd_room(t->acc, t->n, &t->cap, sizeof *a)))
        return NULL;
    t->acc = a;
    a = memset(&t->acc[t->n], 0, sizeof *a);
    a->type = r->client_type;
    a->len = r->client_len;
    a->hash = h;
    if (a->type != SQLITE_NULL) {
        if (!(a->key = malloc(a->len + 1)))
            return NULL;
        if (a->len)
            memcpy(a->key, r->client, a->len);
        a->key[a->len] = '\0';
    }
    pd_ctab_place(t, t->n);
    t->last = t->n++;
    return a;
}

/* Row r's client, added when new. NULL out of memory. */
static pd_acc *
pd_ctab_find(pd_ctab *t, const pd_row *r)
{
    uint64_t h;
    size_t mask = t->nslots - 1, j;

    if (t->n && pd_acc_is(&t->acc[t->last], r))
        return &t->acc[t->last];
    h = pd_hash(r->client_type, r->client, r->client_len);
    for (j = h & mask; t->nslots && t->slot[j]; j = (j + 1) & mask) {
        pd_acc *a = &t->acc[t->slot[j] - 1];
        if (a->hash == h && pd_acc_is(a, r)) {
            t->last = t->slot[j] - 1;
            return a;
        }
    }
    return pd_ctab_add(t, r, h);
}

static void
pd_ctab_clear(pd_ctab *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->acc[i].key);
    free(t->acc);
    free(t->slot);
    memset(t, 0, sizeof *t);
}

/* Adds row r to its client's totals. */
static void
pd_acc_add(pd_acc *a, const pd_row *r)
{
    pd_client *c = &a->c;
    sim_time w;

    c->offered += r->first;
    switch (r->outcome) {
    case SIM_OK: c->ok++; break;
    case SIM_FAILED: c->failed++; break;
    case SIM_REJECTED: c->rejected++; break;
    case SIM_EXPIRED: c->expired++; break;
    case SIM_DROPPED: c->dropped++; break;
    }
    if (r->dispatch == SIM_NONE)
        return;
    c->sent++;
    if (r->ready == SIM_NONE)
        return;
    w = r->dispatch - r->ready;
    if (a->waits++ == 0 || w > c->wait_max)
        c->wait_max = w;
    a->wait_sum += (double)w;
}

/* SQL's ORDER BY client: NULL, then texts, then blobs; bytes compared
 * unsigned, a prefix first. */
static int
pd_key_cmp(const pd_acc *x, const pd_acc *y)
{
    size_t n = x->len < y->len ? x->len : y->len;
    int c;

    if (x->type != y->type)
        return x->type == SQLITE_NULL ? -1 : y->type == SQLITE_NULL ? 1
               : x->type == SQLITE_TEXT ? -1 : 1;
    if (n && (c = memcmp(x->key, y->key, n)) != 0)
        return c;
    return (x->len > y->len) - (x->len < y->len);
}

/* Most requests offered first, then by client: a total order, as no two
 * clients have the same value. */
static int
pd_by_offered_desc(const void *a, const void *b)
{
    const pd_acc *x = a, *y = b;

    if (x->c.offered != y->c.offered)
        return x->c.offered > y->c.offered ? -1 : 1;
    return pd_key_cmp(x, y);
}

/* Moves t's clients into s->clients, in order, with their names. -1 out
 * of memory. */
static int
pd_order_clients(pd_ctab *t, pd_summary *s)
{
    if (!(s->clients = malloc((t->n + 1) * sizeof *s->clients)))
        return -1;
    if (t->n > 1)
        qsort(t->acc, t->n, sizeof *t->acc, pd_by_offered_desc);
    for (size_t i = 0; i < t->n; i++) {
        pd_acc *a = &t->acc[i];
        /* avg(): the double sum over the count, then seconds. */
        a->c.wait_mean = a->waits ? a->wait_sum / (double)a->waits / 1e9
                                  : 0;
        a->c.name = a->key;
        a->key = NULL;
        s->clients[s->nclients++] = a->c;
    }
    return 0;
}

/* ================================================================ summary */

/* t unless it is SIM_NONE; the smaller or larger of two such. */
static sim_time
pd_min_time(sim_time a, sim_time b)
{
    return a == SIM_NONE ? b : b == SIM_NONE ? a : a < b ? a : b;
}

static sim_time
pd_max_time(sim_time a, sim_time b)
{
    return a == SIM_NONE ? b : b == SIM_NONE ? a : a > b ? a : b;
}

/* Adds row r to the run's totals. */
static void
pd_add_totals(pd_summary *s, const pd_row *r)
{
    s->attempts++;
    s->requests += r->first;
    if (r->outcome >= 0)
        s->outcomes[r->outcome]++;
    if (r->has_cost && r->cost > s->max_cost)
        s->max_cost = r->cost;
    s->first_arrival = pd_min_time(s->first_arrival, r->arrive);
    /* The end was SQL's max(t_arrive, t_ready, coalesce(t_dispatch, 0)),
     * NULL (no end) when either of the first two is. */
    if (r->arrive != SIM_NONE && r->ready != SIM_NONE) {
        sim_time e = r->arrive > r->ready ? r->arrive : r->ready;
        if (r->dispatch != SIM_NONE && r->dispatch > e)
            e = r->dispatch;
        if (e > s->end)
            s->end = e;
    }
    if (r->dispatch == SIM_NONE)
        return;
    s->sent++;
    s->sent_cost += r->cost;
    s->last_dispatch = pd_max_time(s->last_dispatch, r->dispatch);
}

/* The CDF's quantiles: every half percent to 99%, every 0.1% to 99.9%,
 * then 99.95, 99.99, 99.999 and the max, where the tail lives. */
static int
pd_cdf_points(int32_t *ppm)
{
    static const int32_t tail[] = {999500, 999900, 999990, PD_PPM};
    int n = 0;

    for (int32_t q = 0; q <= 990000; q += 5000)
        ppm[n++] = q;
    for (int32_t q = 991000; q <= 999000; q += 1000)
        ppm[n++] = q;
    for (size_t i = 0; i < sizeof tail / sizeof tail[0]; i++)
        ppm[n++] = tail[i];
    return n;
}

/* 1-based rank of quantile ppm among n values: ceil(ppm·n / 10^6), >= 1. */
static int64_t
pd_rank(int32_t ppm, int64_t n)
{
    int64_t r = ((int64_t)ppm * n + PD_PPM - 1) / PD_PPM;

    return r < 1 ? 1 : r;
}

/* The CDF of count sent attempts, w[nw] the sorted waits of those with a
 * ready instant. The others' wait was NULL, which SQL sorted first and
 * read as 0: they hold the lowest ranks with a wait of 0. */
static void
pd_cdf_pick(pd_cdf *c, const int64_t *w, int64_t nw, int64_t count)
{
    int64_t nnull = count - nw;

    c->count = count;
    c->n = count > 0 ? pd_cdf_points(c->ppm) : 0;
    for (int j = 0; j < c->n; j++) {
        int64_t r = pd_rank(c->ppm[j], count);
        c->wait[j] = r <= nnull ? 0 : w[r - nnull - 1];
    }
}

sim_time
pd_cdf_at(const pd_cdf *c, int32_t ppm)
{
    for (int i = 0; i < c->n; i++)
        if (c->ppm[i] == ppm)
            return c->wait[i];
    return 0;
}

/* Jain's index over s->clients. 0, or 3 out of memory. */
static int
pd_summary_jain(pd *p, pd_summary *s, char *err, size_t errlen)
{
    int64_t *offered = malloc(((size_t)s->nclients + 1) * sizeof *offered);
    int64_t *served = malloc(((size_t)s->nclients + 1) * sizeof *served);
    int rc = 0;

    if (!offered || !served)
        rc = pd_msg(p, PD_EIO, err, errlen, "out of memory");
    for (int64_t i = 0; rc == 0 && i < s->nclients; i++) {
        offered[i] = s->clients[i].offered;
        served[i] = s->clients[i].ok;
    }
    if (rc == 0)
        s->jain = pd_jain(offered, served, s->nclients);
    free(offered);
    free(served);
    return rc;
}

static void
pd_summary_start(pd_summary *s)
{
    memset(s, 0, sizeof *s);
    s->jain = -1;
    s->first_arrival = s->last_dispatch = SIM_NONE;
}

void
pd_summary_clear(pd_summary *s)
{
    for (int64_t i = 0; s->clients && i < s->nclients; i++)
        free(s->clients[i].name);
    free(s->clients);
    memset(s, 0, sizeof *s);
}

/* ================================================================ fine */

/* A run's counts in bins of `unit` ns, a power of ten, counted as the rows
 * of a summary's scan go by, and kept in the pd until pd_bins_get asks for
 * the run: the counts in bins of any multiple of unit follow exactly (the
 * bin of t > 0 is t / width, and (t / unit) / (width / unit) is that;
 * NULL and t <= 0 are in bin 0 of any width), which spares that scan.
 * Bins start at 1 ns and grow ten times longer whenever an instant falls
 * beyond PD_FINE_MAX of them: so the unit stays under a 26000th of the
 * latest instant, and the widths plot asks for (1, 2 or 5 × 10^k, over
 * 20000th of the span) are multiples of it. Any other width scans. */
#define PD_FINE_MAX ((int64_t)1 << 18)

/* Ten bins into one, ten times longer. */
static void
pd_fine_coarsen(pd_fine *f)
{
    size_t n = (f->n + 9) / 10;

    for (size_t i = 0; i < n; i++) {
        pd_fbin s = {0, 0, 0, 0};
        for (size_t j = 10 * i; j < 10 * i + 10 && j < f->n; j++) {
            s.arrivals += f->v[j].arrivals;
            s.ready += f->v[j].ready;
            s.sent += f->v[j].sent;
            s.sent_cost += f->v[j].sent_cost;
        }
        f->v[i] = s;
    }
    if (f->n > n)
        memset(f->v + n, 0, (f->n - n) * sizeof *f->v);
    f->n = n;
    f->unit *= 10;
}

/* The bin of instant t (SIM_NONE for NULL), made room for. NULL out of
 * memory. */
static pd_fbin *
pd_fine_bin(pd_fine *f, sim_time t)
{
    size_t i = 0, cap;
    pd_fbin *nv;

    while (t > 0 && t / f->unit >= PD_FINE_MAX)
        pd_fine_coarsen(f);
    if (t > 0)
        i = (size_t)(t / f->unit);
    if (i < f->n)
        return &f->v[i];
    if (i >= f->cap) {
        cap = f->cap ? 2 * f->cap : 1024;
        while (cap <= i)
            cap *= 2;
        if (!(nv = realloc(f->v, cap * sizeof *nv)))
            return NULL;
        memset(nv + f->cap, 0, (cap - f->cap) * sizeof *nv);
        f->v = nv;
        f->cap = cap;
    }
    f->n = i + 1;
    return &f->v[i];
}

/* Row r into the bins. -1 out of memory. */
static int
pd_fine_add(pd_fine *f, const pd_row *r)
{
    pd_fbin *b;

    if (r->first) {
        if (!(b = pd_fine_bin(f, r->arrive)))
            return -1;
        b->arrivals++;
    }
    if (r->dispatch == SIM_NONE)
        return 0;
    if (!(b = pd_fine_bin(f, r->ready)))
        return -1;
    b->ready++;
    if (!(b = pd_fine_bin(f, r->dispatch)))
        return -1;
    b->sent++;
    b->sent_cost += r->cost;
    return 0;
}

/* f counted into out's bins (whose width is a multiple of f->unit). */
static void
pd_fine_fill(const pd_fine *f, pd_bins *out)
{
    int64_t m = out->width / f->unit;

    for (size_t i = 0; i < f->n; i++) {
        int64_t b = (int64_t)i / m;
        if (b >= out->n)
            b = out->n - 1;
        out->arrivals[b] += f->v[i].arrivals;
        out->ready[b] += f->v[i].ready;
        out->sent[b] += f->v[i].sent;
        out->sent_cost[b] += f->v[i].sent_cost;
    }
}

/* Keeps f (moved) in p as run_id's, in place of any it had. -1 out of
 * memory (f then freed). */
static int
pd_fine_keep(pd *p, int64_t run_id, pd_fine *f)
{
    pd_fine *nv;

    f->run_id = run_id;
    for (size_t i = 0; i < p->nfine; i++)
        if (p->fine[i].run_id == run_id) {
            free(p->fine[i].v);
            p->fine[i] = *f;
            return 0;
        }
    if (!(nv = pd_room(p->fine, p->nfine, &p->capfine, sizeof *nv))) {
        free(f->v);
        return -1;
    }
    p->fine = nv;
    p->fine[p->nfine++] = *f;
    return 0;
}

/* Takes run_id's kept bins out of p into *f. 0 when it had none. */
static int
pd_fine_take(pd *p, int64_t run_id, pd_fine *f)
{
    for (size_t i = 0; i < p->nfine; i++)
        if (p->fine[i].run_id == run_id) {
            *f = p->fine[i];
            p->fine[i] = p->fine[--p->nfine];
            return 1;
        }
    return 0;
}

/* ================================================================ scan */

/* What a scan of a run's rows collects besides the totals in *s. */
typedef struct pd_scan {
    pd_summary *s;
    pd_ctab clients;
    int64_t *waits;             /* of sent rows with a ready instant */
    size_t nwaits, capw;
    pd_run *run;                /* NULL: no dispatches wanted */
    pd_sends *sends;            /* by index of run->providers */
    pd_fine fine;
} pd_scan;

static int
pd_scan_init(pd_scan *sc, pd_summary *s, pd_run *run)
{
    memset(sc, 0, sizeof *sc);
    sc->s = s;
    sc->run = run;
    sc->fine.unit = 1;
    if (run && !(sc->sends = calloc((size_t)run->nproviders + 1,
                                    sizeof *sc->sends)))
        return -1;
    return pd_ctab_grow(&sc->clients);
}

static void
pd_scan_clear(pd_scan *sc)
{
    pd_ctab_clear(&sc->clients);
    free(sc->waits);
    for (int i = 0; sc->sends && i < sc->run->nproviders; i++)
        free(sc->sends[i].v);
    free(sc->sends);
    free(sc->fine.v);
    memset(sc, 0, sizeof *sc);
}

/* Counts a dispatch to its provider (none when the id is unknown), and
 * keeps it for the worst window when the provider has a rate limit. -1
 * out of memory. */
static int
pd_scan_dispatch(pd_scan *sc, const pd_row *r)
{
    pd_provider *v = pd_find_provider(sc->run, r->provider);
    pd_sends *d;
    pd_sent *nv;

    if (!v)
        return 0;
    v->sent++;
    v->sent_cost += r->cost;
    if (v->nrates == 0)
        return 0;
    d = &sc->sends[v - sc->run->providers];
    if (!(nv = pd_room(d->v, d->n, &d->cap, sizeof *nv)))
        return -1;
    d->v = nv;
    d->v[d->n++] = (pd_sent){r->dispatch, r->cost};
    return 0;
}

/* Row r into the totals, its client's, the waits and the dispatches. -1
 * out of memory. */
static int
pd_scan_row(pd_scan *sc, const pd_row *r)
{
    pd_acc *a = pd_ctab_find(&sc->clients, r);
    int64_t *nv;

    if (!a || pd_fine_add(&sc->fine, r) != 0)
        return -1;
    pd_acc_add(a, r);
    pd_add_totals(sc->s, r);
    if (r->dispatch == SIM_NONE)
        return 0;
    if (r->ready != SIM_NONE) {
        if (!(nv = pd_room(sc->waits, sc->nwaits, &sc->capw, sizeof *nv)))
            return -1;
        sc->waits = nv;
        sc->waits[sc->nwaits++] = r->dispatch - r->ready;
    }
    return sc->run ? pd_scan_dispatch(sc, r) : 0;
}

/* Reads run_id's rows into sc. Returns 0 or 3. */
static int
pd_scan_rows(pd *p, int64_t run_id, pd_scan *sc, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    pd_row r;
    int rc;

    if (pd_prepare(p, pd_sql_rows, run_id, &st) != SQLITE_OK)
        return pd_fail(p, st, err, errlen);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        pd_read_row(st, &r);
        if (pd_scan_row(sc, &r) != 0) {
            sqlite3_finalize(st);
            return pd_msg(p, PD_EIO, err, errlen, "out of memory");
        }
    }
    if (rc != SQLITE_DONE)
        return pd_fail(p, st, err, errlen);
    sqlite3_finalize(st);
    return 0;
}

/* The summary from a finished scan: clients in order, Jain, the CDF and
 * what follows from them. Returns 0 or 3. */
static int
pd_summary_finish(pd *p, pd_scan *sc, char *err, size_t errlen)
{
    pd_summary *s = sc->s;

    if (pd_order_clients(&sc->clients, s) != 0 ||
        pd_sort_waits(sc->waits, sc->nwaits) != 0)
        return pd_msg(p, PD_EIO, err, errlen, "out of memory");
    pd_cdf_pick(&s->cdf, sc->waits, (int64_t)sc->nwaits, s->sent);
    if (s->last_dispatch != SIM_NONE && s->last_dispatch > 0)
        s->rate = (double)s->sent / ((double)s->last_dispatch / 1e9);
    s->wait_p50 = pd_cdf_at(&s->cdf, 500000);
    s->wait_p95 = pd_cdf_at(&s->cdf, 950000);
    s->wait_p99 = pd_cdf_at(&s->cdf, 990000);
    s->wait_max = pd_cdf_at(&s->cdf, PD_PPM);
    return pd_summary_jain(p, s, err, errlen);
}

/* One scan of run_id's rows: the summary into *s (started here) and, when
 * run is not NULL, its providers' dispatches and worst windows. Returns
 * 0 or 3. */
static int
pd_scan_run(pd *p, int64_t run_id, pd_summary *s, pd_run *run, char *err,
            size_t errlen)
{
    pd_scan sc;
    int rc;

    pd_summary_start(s);
    if (pd_scan_init(&sc, s, run) != 0)
        rc = pd_msg(p, PD_EIO, err, errlen, "out of memory");
    else if ((rc = pd_scan_rows(p, run_id, &sc, err, errlen)) == 0 && run &&
             pd_run_worst(run, sc.sends) != 0)
        rc = pd_msg(p, PD_EIO, err, errlen, "out of memory");
    /* The dispatches go before the waits are sorted: less at the peak. */
    if (rc == 0)
        rc = pd_summary_finish(p, &sc, err, errlen);
    if (rc == 0) {
        if (pd_fine_keep(p, run_id, &sc.fine) != 0)
            rc = pd_msg(p, PD_EIO, err, errlen, "out of memory");
        sc.fine.v = NULL;       /* kept, or freed by pd_fine_keep */
    }
    pd_scan_clear(&sc);
    return rc;
}

/* ================================================================ memory */

/* A copy of s in *out (NULL for NULL). -1 out of memory. */
static int
pd_dup(const char *s, char **out)
{
    *out = s ? strdup(s) : NULL;
    return s && !*out ? -1 : 0;
}

/* A deep copy of r in *out (cleared when it fails). -1 out of memory. */
static int
pd_run_copy(const pd_run *r, pd_run *out)
{
    const char *from[] = {r->label, r->algo, r->workload, r->workload_sha256,
                          r->scenario, r->scenario_sha256, r->version,
                          r->created, r->digest};
    char **to[] = {&out->label, &out->algo, &out->workload,
                   &out->workload_sha256, &out->scenario,
                   &out->scenario_sha256, &out->version, &out->created,
                   &out->digest};
    int bad = 0;

    *out = *r;
    out->nproviders = 0;
    out->providers = calloc((size_t)r->nproviders + 1, sizeof *r->providers);
    for (size_t i = 0; i < sizeof to / sizeof to[0]; i++)
        bad |= pd_dup(from[i], to[i]);
    for (int i = 0; out->providers && i < r->nproviders; i++) {
        pd_provider *v = &out->providers[out->nproviders++];
        *v = r->providers[i];
        bad |= pd_dup(r->providers[i].name, &v->name) |
               pd_dup(r->providers[i].algo, &v->algo) |
               pd_dup(r->providers[i].params, &v->params);
    }
    if (bad || !out->providers) {
        pd_run_clear(out);
        return -1;
    }
    return 0;
}

/* A deep copy of s in *out (cleared when it fails). -1 out of memory. */
static int
pd_summary_copy(const pd_summary *s, pd_summary *out)
{
    int bad = 0;

    *out = *s;
    out->nclients = 0;
    out->clients = calloc((size_t)s->nclients + 1, sizeof *s->clients);
    for (int64_t i = 0; out->clients && i < s->nclients; i++) {
        out->clients[out->nclients++] = s->clients[i];
        bad |= pd_dup(s->clients[i].name, &out->clients[i].name);
    }
    if (bad || !out->clients) {
        pd_summary_clear(out);
        return -1;
    }
    return 0;
}

/* Memory run run_id, or NULL after a message (2) in err. */
static const pd_mem *
pd_mem_find(pd *p, int64_t run_id, char *err, size_t errlen)
{
    char msg[64];

    /* ids are 1, 2, ... unless pd_feed_keep_as gave others */
    if (run_id >= 1 && (uint64_t)run_id <= p->nmem &&
        p->mem[run_id - 1].run.run_id == run_id)
        return &p->mem[run_id - 1];
    for (size_t i = 0; i < p->nmem; i++)
        if (p->mem[i].run.run_id == run_id)
            return &p->mem[i];
    snprintf(msg, sizeof msg, "no run %lld", (long long)run_id);
    pd_msg(p, PD_EINPUT, err, errlen, msg);
    return NULL;
}

static int
pd_mem_run(pd *p, int64_t run_id, pd_run *out, char *err, size_t errlen)
{
    const pd_mem *m = pd_mem_find(p, run_id, err, errlen);

    if (!m)
        return PD_EINPUT;
    if (pd_run_copy(&m->run, out) != 0)
        return pd_msg(p, PD_EIO, err, errlen, "out of memory");
    return 0;
}

static int
pd_mem_summary(pd *p, int64_t run_id, pd_summary *out, char *err,
               size_t errlen)
{
    const pd_mem *m = pd_mem_find(p, run_id, err, errlen);

    memset(out, 0, sizeof *out);
    if (!m)
        return PD_EINPUT;
    if (pd_summary_copy(&m->sum, out) != 0)
        return pd_msg(p, PD_EIO, err, errlen, "out of memory");
    return 0;
}

static int pd_bins_alloc(pd_bins *b, sim_time width, int64_t n);

/* Bins of a memory run, from its fine counts (kept for further asks). */
static int
pd_mem_bins(pd *p, int64_t run_id, sim_time width, int64_t n, pd_bins *out,
            char *err, size_t errlen)
{
    const pd_fine *f = NULL;

    memset(out, 0, sizeof *out);
    if (!pd_mem_find(p, run_id, err, errlen))
        return PD_EINPUT;
    for (size_t i = 0; i < p->nfine && !f; i++)
        if (p->fine[i].run_id == run_id)
            f = &p->fine[i];
    if (!f || n < 1 || width < 1 || width % f->unit != 0)
        return pd_msg(p, PD_EIO, err, errlen, "a run not recorded has no "
                      "rows to count into bins of that width");
    if (pd_bins_alloc(out, width, n) != 0)
        return pd_msg(p, PD_EIO, err, errlen, "out of memory");
    pd_fine_fill(f, out);
    return 0;
}

/* Providers in the order pd_get_providers reads them. */
static int
pd_by_ord(const void *a, const void *b)
{
    const pd_provider *x = a, *y = b;

    if (x->ord != y->ord)
        return x->ord < y->ord ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

struct pd_feed {
    pd *p;
    pd_run run;
    pd_summary sum;
    pd_scan sc;
};

/* The current UTC time as SQLite's datetime('now') writes it. */
static char *
pd_now(void)
{
    char buf[32];
    time_t t = time(NULL);
    struct tm tm;

    if (!gmtime_r(&t, &tm) ||
        !strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm))
        buf[0] = '\0';
    return strdup(buf);
}

int
pd_feed_begin(pd *p, pd_run *meta, pd_feed **out, char *err, size_t errlen)
{
    pd_feed *f = calloc(1, sizeof *f);
    pd_mem *nv;

    *out = NULL;
    if (p->db || p->feeding) {
        free(f);
        pd_run_clear(meta);
        return pd_msg(p, PD_EIO, err, errlen, p->db ? "not a memory pd"
                                                    : "a run is being fed");
    }
    /* Room for the run now: pd_feed_end then cannot fail for it. */
    if (!f || !(nv = pd_room(p->mem, p->nmem, &p->capmem, sizeof *nv))) {
        free(f);
        pd_run_clear(meta);
        return pd_msg(p, PD_EIO, err, errlen, "out of memory");
    }
    p->mem = nv;
    p->feeding = 1;
    f->p = p;
    f->run = *meta;
    memset(meta, 0, sizeof *meta);
    f->run.run_id = (int64_t)p->nmem + 1;
    if (f->run.nproviders > 1)
        qsort(f->run.providers, (size_t)f->run.nproviders,
              sizeof *f->run.providers, pd_by_ord);
    for (int i = 0; i < f->run.nproviders; i++) {
        pd_provider *v = &f->run.providers[i];
        v->nrates = pd_parse_rates(v->params, v->rates, SIM_MAX_LIMITS);
        v->sent = v->sent_cost = v->worst = 0;
    }
    pd_summary_start(&f->sum);
    if (!(f->run.created = pd_now()) ||
        pd_scan_init(&f->sc, &f->sum, &f->run) != 0) {
        pd_feed_abort(f);
        return pd_msg(p, PD_EIO, err, errlen, "out of memory");
    }
    *out = f;
    return 0;
}

int
pd_feed_row(pd_feed *f, const sim_row *row, const char *client)
{
    /* What pd_read_row reads back of the row rec_row writes: a NULL
     * provider reads as 0; a NULL client is NULL. */
    pd_row r = {.client = client, .client_len = client ? strlen(client) : 0,
                .client_type = client ? SQLITE_TEXT : SQLITE_NULL,
                .first = row->attempt == 1,
                .outcome = row->outcome, .arrive = row->t_arrive,
                .ready = row->t_ready, .dispatch = row->t_dispatch,
                .cost = row->cost, .has_cost = 1,
                .provider = row->provider < 0 ? 0 : row->provider};

    return pd_scan_row(&f->sc, &r);
}

int
pd_feed_end(pd_feed *f, int64_t requests, int64_t events, const char *digest,
            const char *workload_sha256, double wall_ms, char *err,
            size_t errlen)
{
    pd *p = f->p;
    pd_run *r = &f->run;
    int rc = 0;

    r->requests = requests;
    r->events = events;
    r->wall_ms = wall_ms;
    if (pd_dup(digest, &r->digest) || pd_dup(workload_sha256,
                                             &r->workload_sha256) ||
        pd_run_worst(r, f->sc.sends) != 0)
        rc = pd_msg(p, PD_EIO, err, errlen, "out of memory");
    if (rc == 0)
        rc = pd_summary_finish(p, &f->sc, err, errlen);
    if (rc == 0 && pd_fine_keep(p, r->run_id, &f->sc.fine) != 0)
        rc = pd_msg(p, PD_EIO, err, errlen, "out of memory");
    if (rc == 0) {
        f->sc.fine.v = NULL;    /* kept */
        p->mem[p->nmem++] = (pd_mem){*r, f->sum};
        memset(r, 0, sizeof *r);
        memset(&f->sum, 0, sizeof f->sum);
    }
    pd_feed_abort(f);
    return rc;
}

void
pd_feed_keep_as(pd_feed *f, int64_t run_id)
{
    f->run.run_id = run_id;
}

void
pd_feed_abort(pd_feed *f)
{
    if (!f)
        return;
    f->p->feeding = 0;
    pd_scan_clear(&f->sc);
    pd_run_clear(&f->run);
    pd_summary_clear(&f->sum);
    free(f);
}

/* ================================================================ gets */

int
pd_run_get(pd *p, int64_t run_id, pd_run *out, char *err, size_t errlen)
{
    pd_summary s;
    int rc;

    memset(out, 0, sizeof *out);
    if (!p->db)
        return pd_mem_run(p, run_id, out, err, errlen);
    if ((rc = pd_get_run_row(p, run_id, out, err, errlen)) != 0 ||
        (rc = pd_get_providers(p, out, err, errlen)) != 0)
        return rc;
    rc = pd_scan_run(p, run_id, &s, out, err, errlen);
    /* Kept for a pd_summary_get of the same run, so the rows are read
     * once for both. */
    pd_summary_clear(&p->kept);
    p->kept_ok = rc == 0;
    p->kept_run = run_id;
    if (rc == 0)
        p->kept = s;
    else
        pd_summary_clear(&s);
    return rc;
}

void
pd_run_clear(pd_run *r)
{
    char *text[] = {r->label, r->algo, r->workload, r->workload_sha256,
                    r->scenario, r->scenario_sha256, r->version, r->created,
                    r->digest};

    for (size_t i = 0; i < sizeof text / sizeof text[0]; i++)
        free(text[i]);
    for (int i = 0; i < r->nproviders; i++) {
        free(r->providers[i].name);
        free(r->providers[i].algo);
        free(r->providers[i].params);
    }
    free(r->providers);
    memset(r, 0, sizeof *r);
}

int
pd_summary_get(pd *p, int64_t run_id, pd_summary *out, char *err,
               size_t errlen)
{
    if (!p->db)
        return pd_mem_summary(p, run_id, out, err, errlen);
    if (p->kept_ok && p->kept_run == run_id) {
        *out = p->kept;
        memset(&p->kept, 0, sizeof p->kept);
        p->kept_ok = 0;
        return 0;
    }
    return pd_scan_run(p, run_id, out, NULL, err, errlen);
}

/* ================================================================ jain */

typedef struct pd_demand {
    int64_t offered, served;
} pd_demand;

static int
pd_by_offered(const void *a, const void *b)
{
    const pd_demand *x = a, *y = b;

    return (x->offered > y->offered) - (x->offered < y->offered);
}

double
pd_jain(const int64_t *offered, const int64_t *served, int64_t n)
{
    pd_demand *d = malloc(((size_t)n + 1) * sizeof *d);
    double left = 0, sum = 0, sum2 = 0;
    int64_t k = 0;

    if (!d)
        return -1;
    for (int64_t i = 0; i < n; i++)
        if (offered[i] > 0) {
            d[k] = (pd_demand){offered[i], served[i]};
            left += (double)served[i];
            k++;
        }
    if (left <= 0) {
        free(d);
        return -1;
    }
    /* Water-filling: the smallest demands are met in full, the rest share
     * what is left equally. */
    qsort(d, (size_t)k, sizeof *d, pd_by_offered);
    for (int64_t i = 0; i < k; i++) {
        double share = left / (double)(k - i);
        double x;
        if ((double)d[i].offered < share)
            share = (double)d[i].offered;
        left -= share;
        x = (double)d[i].served / share;
        sum += x;
        sum2 += x * x;
    }
    free(d);
    return sum * sum / ((double)k * sum2);
}

/* ================================================================ bins */

sim_time
pd_pick_width(sim_time span, int64_t target)
{
    static const int64_t steps[] = {1, 2, 5};
    sim_time scale = 1;

    if (target < 1)
        target = 1;
    for (;;) {
        for (int i = 0; i < 3; i++) {
            sim_time w = steps[i] * scale;
            if (span / w + (span % w != 0) <= target)
                return w;
        }
        if (scale > INT64_MAX / 50)
            return scale * 10;
        scale *= 10;
    }
}

/* The columns of the bins, in primary-key order. */
static const char pd_sql_bin_rows[] =
    "SELECT attempt, t_arrive, t_ready, t_dispatch, cost FROM dispatches"
    " WHERE run_id = ?1";

/* Bin of instant v, clamped into [0, n). NULL reads as 0, so lands in
 * bin 0 (where SQL's NULL / width, read as 0, put it). */
static int64_t
pd_bin(sqlite3_value *v, sim_time width, int64_t n)
{
    int64_t b = sqlite3_value_int64(v) / width;

    return b < 0 ? 0 : b >= n ? n - 1 : b;
}

/* Adds a row of pd_sql_bin_rows to out (read as pd_read_row reads). */
static void
pd_add_bins(sqlite3_stmt *st, pd_bins *out)
{
    sqlite3_value *sent = sqlite3_column_value(st, 3);
    int64_t b;

    if (sqlite3_value_int64(sqlite3_column_value(st, 0)) == 1)
        out->arrivals[pd_bin(sqlite3_column_value(st, 1), out->width,
                             out->n)]++;
    if (sqlite3_value_type(sent) == SQLITE_NULL)
        return;
    out->ready[pd_bin(sqlite3_column_value(st, 2), out->width, out->n)]++;
    b = pd_bin(sent, out->width, out->n);
    out->sent[b]++;
    out->sent_cost[b] += sqlite3_value_int64(sqlite3_column_value(st, 4));
}

static int
pd_bins_alloc(pd_bins *b, sim_time width, int64_t n)
{
    memset(b, 0, sizeof *b);
    b->width = width;
    b->n = n;
    b->arrivals = calloc((size_t)n, sizeof *b->arrivals);
    b->ready = calloc((size_t)n, sizeof *b->ready);
    b->sent = calloc((size_t)n, sizeof *b->sent);
    b->sent_cost = calloc((size_t)n, sizeof *b->sent_cost);
    return b->arrivals && b->ready && b->sent && b->sent_cost ? 0 : -1;
}

/* Counts run_id's rows into out by a scan of their instants. 0 or 3. */
static int
pd_bins_scan(pd *p, int64_t run_id, pd_bins *out, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (pd_prepare(p, pd_sql_bin_rows, run_id, &st) != SQLITE_OK)
        return pd_fail(p, st, err, errlen);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        pd_add_bins(st, out);
    if (rc != SQLITE_DONE)
        return pd_fail(p, st, err, errlen);
    sqlite3_finalize(st);
    return 0;
}

int
pd_bins_get(pd *p, int64_t run_id, sim_time width, int64_t n, pd_bins *out,
            char *err, size_t errlen)
{
    pd_fine f;
    int kept, rc = 0;

    if (!p->db)
        return pd_mem_bins(p, run_id, width, n, out, err, errlen);
    kept = pd_fine_take(p, run_id, &f);
    if (n < 1 || width < 1 || pd_bins_alloc(out, width, n) != 0)
        rc = pd_msg(p, PD_EIO, err, errlen, "out of memory");
    else if (kept && width % f.unit == 0)
        pd_fine_fill(&f, out);
    else
        rc = pd_bins_scan(p, run_id, out, err, errlen);
    if (kept)
        free(f.v);
    return rc;
}

void
pd_bins_clear(pd_bins *b)
{
    free(b->arrivals);
    free(b->ready);
    free(b->sent);
    free(b->sent_cost);
    memset(b, 0, sizeof *b);
}

/* ================================================================ files */

/* Opens DIR/NAME-S.dat (S < 0: DIR/NAME.dat) for writing into *f, its
 * path in path. Returns 0 or 3. */
static int
pd_create(const char *dir, const char *name, int series, char *path,
          size_t plen, FILE **f, char *err, size_t errlen)
{
    if (series >= 0)
        snprintf(path, plen, "%s/%s-%d.dat", dir, name, series);
    else
        snprintf(path, plen, "%s/%s.dat", dir, name);
    if (!(*f = fopen(path, "w"))) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return PD_EIO;
    }
    errno = 0;
    return 0;
}

/* Closes f, reporting a write error that happened on the way. */
static int
pd_finish(FILE *f, const char *path, char *err, size_t errlen)
{
    int bad = ferror(f);

    if (fclose(f) != 0 || bad) {
        snprintf(err, errlen, "%s: %s", path,
                 errno ? strerror(errno) : "write error");
        return PD_EIO;
    }
    return 0;
}

int
pd_write_bins(const pd_bins *b, const char *dir, int series, int64_t window,
              char *err, size_t errlen)
{
    char path[4096];
    FILE *f;
    double w = (double)b->width / 1e9, ww;
    int64_t arrived = 0, ready = 0, sent = 0, wsent = 0, wcost = 0;

    if (window < 1)
        window = 1;
    ww = w * (double)window;
    if (pd_create(dir, "bins", series, path, sizeof path, &f, err, errlen))
        return PD_EIO;
    fprintf(f, "# bins of %.9g s: start_s end_s sent_per_s permits_per_s "
            "arrived_total sent_total waiting_at_end sent_per_s_%.9gs "
            "permits_per_s_%.9gs\n", w, ww, ww);
    for (int64_t i = 0; i < b->n; i++) {
        arrived += b->arrivals[i];
        ready += b->ready[i];
        sent += b->sent[i];
        wsent += b->sent[i] - (i >= window ? b->sent[i - window] : 0);
        wcost += b->sent_cost[i] - (i >= window ? b->sent_cost[i - window]
                                                : 0);
        fprintf(f, "%.9g %.9g %.9g %.9g %lld %lld %lld %.9g %.9g\n",
                (double)i * w, (double)(i + 1) * w, (double)b->sent[i] / w,
                (double)b->sent_cost[i] / w, (long long)arrived,
                (long long)sent, (long long)(ready - sent),
                (double)wsent / ww, (double)wcost / ww);
    }
    return pd_finish(f, path, err, errlen);
}

int
pd_write_cdf(const pd_cdf *c, const char *dir, int series, char *err,
             size_t errlen)
{
    char path[4096];
    FILE *f;

    if (pd_create(dir, "cdf", series, path, sizeof path, &f, err, errlen))
        return PD_EIO;
    fprintf(f, "# wait CDF of %lld sent attempts: wait_s fraction\n",
            (long long)c->count);
    for (int i = 0; i < c->n; i++)
        fprintf(f, "%.9g %.6f\n", (double)c->wait[i] / 1e9,
                (double)c->ppm[i] / PD_PPM);
    /* gnuplot cannot plot a file without points: one out of view. */
    if (c->n == 0)
        fputs("NaN NaN\n", f);
    return pd_finish(f, path, err, errlen);
}

/* Writes s as a gnuplot data string: in double quotes, with none inside. */
static void
pd_put_quoted(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++)
        fputc(*s == '"' ? '\'' : *s, f);
    fputc('"', f);
}

/* The distinct provider names of runs, in order of first appearance; an
 * owned array of borrowed strings, *n of them. NULL out of memory. */
static const char **
pd_provider_names(const pd_run *runs, int n, int *count)
{
    int cap = 1;
    const char **v;

    for (int i = 0; i < n; i++)
        cap += runs[i].nproviders;
    if (!(v = malloc((size_t)cap * sizeof *v)))
        return NULL;
    *count = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < runs[i].nproviders; j++) {
            const char *name = runs[i].providers[j].name;
            int k = 0;
            while (k < *count && strcmp(v[k], name ? name : "") != 0)
                k++;
            if (k == *count)
                v[(*count)++] = name ? name : "";
        }
    return v;
}

/* The percentage of r's sent attempts that provider `name` took. */
static double
pd_share(const pd_run *r, const char *name)
{
    int64_t total = 0, mine = 0;

    for (int j = 0; j < r->nproviders; j++) {
        const pd_provider *v = &r->providers[j];
        total += v->sent;
        if (strcmp(v->name ? v->name : "", name) == 0)
            mine += v->sent;
    }
    return total ? 100.0 * (double)mine / (double)total : 0.0;
}

int
pd_write_share(const pd_run *runs, const char *const *names, int n,
               const char *dir, char *err, size_t errlen)
{
    char path[4096];
    FILE *f;
    int np = 0;
    const char **pv = pd_provider_names(runs, n, &np);

    if (!pv) {
        snprintf(err, errlen, "out of memory");
        return PD_EIO;
    }
    if (pd_create(dir, "share", -1, path, sizeof path, &f, err, errlen)) {
        free(pv);
        return PD_EIO;
    }
    fputs("series", f);
    for (int k = 0; k < np; k++) {
        fputc(' ', f);
        pd_put_quoted(f, pv[k]);
    }
    for (int i = 0; i < n; i++) {
        fputc('\n', f);
        pd_put_quoted(f, names[i]);
        for (int k = 0; k < np; k++)
            fprintf(f, " %.4f", pd_share(&runs[i], pv[k]));
    }
    fputc('\n', f);
    free(pv);
    return pd_finish(f, path, err, errlen);
}
