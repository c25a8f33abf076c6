/* SPDX-License-Identifier: MIT
 *
 * Plot data (see plotdata.h). A pd is one read-only SQLite connection and
 * the database's path (for messages). Every query selects one run through
 * the dispatches table's primary key (run_id first), and lets SQLite do the
 * counting: GROUP BY for outcomes, clients and time bins, a window function
 * for the worst window. The only per-row work in C is one pass over a run's
 * waits in sorted order, to pick the ranks of the CDF's quantiles exactly
 * (this SQLite has no percentile function); it keeps nothing per row.
 *
 * Memory: a pd_run, a client list and pd_bins own heap arrays, freed by
 * their clear/free functions, which accept what a failed get left.
 */
#include "sim/io/plotdata.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "sim/io/units.h"

#define PD_EINPUT 2
#define PD_EIO 3
#define PD_BUSY_MS 5000

struct pd {
    sqlite3 *db;
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
    rc = sqlite3_open_v2(path, &p->db, SQLITE_OPEN_READONLY, NULL);
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

void
pd_close(pd *p)
{
    if (!p)
        return;
    sqlite3_close(p->db);
    free(p);
}

int
pd_latest_run(pd *p, int64_t *run_id, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;

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

/* Attempts sent and refused, per provider. Returns 0 or 3. */
static int
pd_get_provider_counts(pd *p, pd_run *r, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (pd_prepare(p, "SELECT provider_id, sum(t_dispatch IS NOT NULL),"
                   " sum(outcome = 'rejected') FROM dispatches"
                   " WHERE run_id = ?1 AND provider_id IS NOT NULL"
                   " GROUP BY provider_id", r->run_id, &st) != SQLITE_OK)
        return pd_fail(p, st, err, errlen);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        pd_provider *v = pd_find_provider(r, sqlite3_column_int(st, 0));
        if (v) {
            v->sent = sqlite3_column_int64(st, 1);
            v->rejected = sqlite3_column_int64(st, 2);
        }
    }
    if (rc != SQLITE_DONE)
        return pd_fail(p, st, err, errlen);
    sqlite3_finalize(st);
    return 0;
}

/* The worst window of v: a window ending at each dispatch instant t covers
 * (t - W, t], which for integer instants is RANGE W - 1 PRECEDING; the
 * heaviest half-open window can always be slid to end on a dispatch. */
static int
pd_get_worst(pd *p, int64_t run_id, pd_provider *v, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;

    if (pd_prepare(p, "SELECT max(s) FROM (SELECT sum(cost) OVER (ORDER BY"
                   " t_dispatch RANGE BETWEEN ?2 PRECEDING AND CURRENT ROW)"
                   " AS s FROM dispatches WHERE run_id = ?1 AND"
                   " provider_id = ?3 AND t_dispatch IS NOT NULL)", run_id,
                   &st) != SQLITE_OK ||
        sqlite3_bind_int64(st, 2, v->rates[0].window - 1) != SQLITE_OK ||
        sqlite3_bind_int(st, 3, v->id) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        return pd_fail(p, st, err, errlen);
    v->worst = sqlite3_column_int64(st, 0);     /* NULL reads as 0 */
    sqlite3_finalize(st);
    return 0;
}

int
pd_run_get(pd *p, int64_t run_id, pd_run *out, char *err, size_t errlen)
{
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = pd_get_run_row(p, run_id, out, err, errlen)) != 0 ||
        (rc = pd_get_providers(p, out, err, errlen)) != 0 ||
        (rc = pd_get_provider_counts(p, out, err, errlen)) != 0)
        return rc;
    for (int i = 0; i < out->nproviders; i++)
        if (out->providers[i].nrates > 0 &&
            (rc = pd_get_worst(p, run_id, &out->providers[i], err,
                               errlen)) != 0)
            return rc;
    return 0;
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

/* ================================================================ summary */

static const char pd_sql_counts[] =
    "SELECT count(*), sum(attempt = 1), sum(outcome = 'ok'),"
    " sum(outcome = 'failed'), sum(outcome = 'rejected'),"
    " sum(outcome = 'expired'), sum(outcome = 'dropped'),"
    " sum(t_dispatch IS NOT NULL),"
    " sum(CASE WHEN t_dispatch IS NOT NULL THEN cost END), max(cost),"
    " min(t_arrive), max(t_dispatch),"
    " max(max(t_arrive, t_ready, coalesce(t_dispatch, 0)))"
    " FROM dispatches WHERE run_id = ?1";

/* Column i as a time: SIM_NONE for NULL. */
static sim_time
pd_col_time(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL
               ? SIM_NONE : sqlite3_column_int64(st, i);
}

static int
pd_get_counts(pd *p, int64_t run_id, pd_summary *s, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;

    if (pd_prepare(p, pd_sql_counts, run_id, &st) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        return pd_fail(p, st, err, errlen);
    s->attempts = sqlite3_column_int64(st, 0);
    s->requests = sqlite3_column_int64(st, 1);
    s->outcomes[SIM_OK] = sqlite3_column_int64(st, 2);
    s->outcomes[SIM_FAILED] = sqlite3_column_int64(st, 3);
    s->outcomes[SIM_REJECTED] = sqlite3_column_int64(st, 4);
    s->outcomes[SIM_EXPIRED] = sqlite3_column_int64(st, 5);
    s->outcomes[SIM_DROPPED] = sqlite3_column_int64(st, 6);
    s->sent = sqlite3_column_int64(st, 7);
    s->sent_cost = sqlite3_column_int64(st, 8);
    s->max_cost = sqlite3_column_int64(st, 9);
    s->first_arrival = pd_col_time(st, 10);
    s->last_dispatch = pd_col_time(st, 11);
    s->end = sqlite3_column_int64(st, 12);
    sqlite3_finalize(st);
    if (s->last_dispatch != SIM_NONE && s->last_dispatch > 0)
        s->rate = (double)s->sent / ((double)s->last_dispatch / 1e9);
    return 0;
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

/* One pass over the run's waits in ascending order, keeping the value at
 * each point's rank. */
static int
pd_get_cdf(pd *p, int64_t run_id, int64_t count, pd_cdf *c, char *err,
           size_t errlen)
{
    sqlite3_stmt *st = NULL;
    sim_time w = 0;
    int64_t i = 0;
    int j = 0, rc = SQLITE_DONE;

    c->count = count;
    c->n = count > 0 ? pd_cdf_points(c->ppm) : 0;
    if (count == 0)
        return 0;
    if (pd_prepare(p, "SELECT t_dispatch - t_ready AS w FROM dispatches"
                   " WHERE run_id = ?1 AND t_dispatch IS NOT NULL"
                   " ORDER BY w", run_id, &st) != SQLITE_OK)
        return pd_fail(p, st, err, errlen);
    while (j < c->n && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        w = sqlite3_column_int64(st, 0);
        i++;
        while (j < c->n && pd_rank(c->ppm[j], count) == i)
            c->wait[j++] = w;
    }
    if (j < c->n && rc != SQLITE_DONE)
        return pd_fail(p, st, err, errlen);
    /* A committed run never changes, so the rows counted are all here;
     * were one missing, the top points keep the largest wait seen. */
    while (j < c->n)
        c->wait[j++] = w;
    sqlite3_finalize(st);
    return 0;
}

sim_time
pd_cdf_at(const pd_cdf *c, int32_t ppm)
{
    for (int i = 0; i < c->n; i++)
        if (c->ppm[i] == ppm)
            return c->wait[i];
    return 0;
}

int
pd_summary_get(pd *p, int64_t run_id, pd_summary *out, char *err,
               size_t errlen)
{
    pd_client *cl = NULL;
    int64_t n = 0, *offered, *served;
    int rc;

    memset(out, 0, sizeof *out);
    out->jain = -1;
    if ((rc = pd_get_counts(p, run_id, out, err, errlen)) != 0 ||
        (rc = pd_get_cdf(p, run_id, out->sent, &out->cdf, err, errlen)) != 0)
        return rc;
    out->wait_p50 = pd_cdf_at(&out->cdf, 500000);
    out->wait_p95 = pd_cdf_at(&out->cdf, 950000);
    out->wait_p99 = pd_cdf_at(&out->cdf, 990000);
    out->wait_max = pd_cdf_at(&out->cdf, PD_PPM);
    if ((rc = pd_clients_get(p, run_id, &cl, &n, err, errlen)) != 0)
        return rc;
    offered = malloc(((size_t)n + 1) * sizeof *offered);
    served = malloc(((size_t)n + 1) * sizeof *served);
    if (!offered || !served)
        rc = pd_msg(p, PD_EIO, err, errlen, "out of memory");
    for (int64_t i = 0; rc == 0 && i < n; i++) {
        offered[i] = cl[i].offered;
        served[i] = cl[i].ok;
    }
    if (rc == 0) {
        out->nclients = n;
        out->jain = pd_jain(offered, served, n);
    }
    free(offered);
    free(served);
    pd_clients_free(cl, n);
    return rc;
}

/* ================================================================ clients */

static const char pd_sql_clients[] =
    "SELECT client, sum(attempt = 1) AS offered, sum(outcome = 'ok'),"
    " sum(t_dispatch IS NOT NULL), sum(outcome = 'rejected'),"
    " sum(outcome = 'expired'), sum(outcome = 'dropped'),"
    " sum(outcome = 'failed'), avg(t_dispatch - t_ready),"
    " max(t_dispatch - t_ready)"
    " FROM dispatches WHERE run_id = ?1 GROUP BY client"
    " ORDER BY offered DESC, client";

/* Fills c from a row of pd_sql_clients. -1 out of memory. */
static int
pd_client_row(sqlite3_stmt *st, pd_client *c)
{
    memset(c, 0, sizeof *c);
    if (pd_col_dup(st, 0, &c->name) != 0)
        return -1;
    c->offered = sqlite3_column_int64(st, 1);
    c->ok = sqlite3_column_int64(st, 2);
    c->sent = sqlite3_column_int64(st, 3);
    c->rejected = sqlite3_column_int64(st, 4);
    c->expired = sqlite3_column_int64(st, 5);
    c->dropped = sqlite3_column_int64(st, 6);
    c->failed = sqlite3_column_int64(st, 7);
    c->wait_mean = sqlite3_column_double(st, 8) / 1e9;
    c->wait_max = sqlite3_column_int64(st, 9);
    return 0;
}

int
pd_clients_get(pd *p, int64_t run_id, pd_client **out, int64_t *n, char *err,
               size_t errlen)
{
    sqlite3_stmt *st = NULL;
    pd_client *v = NULL;
    int64_t cap = 0;
    int rc;

    *out = NULL;
    *n = 0;
    if (pd_prepare(p, pd_sql_clients, run_id, &st) != SQLITE_OK)
        return pd_fail(p, st, err, errlen);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            pd_client *nv;
            cap = cap ? cap * 2 : 16;
            if (!(nv = realloc(v, (size_t)cap * sizeof *nv)))
                goto oom;
            *out = v = nv;
        }
        if (pd_client_row(st, &v[*n]) != 0)
            goto oom;
        (*n)++;
    }
    if (rc != SQLITE_DONE)
        return pd_fail(p, st, err, errlen);
    sqlite3_finalize(st);
    return 0;
oom:
    sqlite3_finalize(st);
    return pd_msg(p, PD_EIO, err, errlen, "out of memory");
}

void
pd_clients_free(pd_client *c, int64_t n)
{
    for (int64_t i = 0; c && i < n; i++)
        free(c[i].name);
    free(c);
}

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

static const char pd_sql_bins[] =
    "SELECT 0, t_arrive / ?2, count(*), 0 FROM dispatches"
    " WHERE run_id = ?1 AND attempt = 1 GROUP BY 2"
    " UNION ALL SELECT 1, t_ready / ?2, count(*), 0 FROM dispatches"
    " WHERE run_id = ?1 AND t_dispatch IS NOT NULL GROUP BY 2"
    " UNION ALL SELECT 2, t_dispatch / ?2, count(*), sum(cost) FROM dispatches"
    " WHERE run_id = ?1 AND t_dispatch IS NOT NULL GROUP BY 2";

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

int
pd_bins_get(pd *p, int64_t run_id, sim_time width, int64_t n, pd_bins *out,
            char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (n < 1 || width < 1 || pd_bins_alloc(out, width, n) != 0)
        return pd_msg(p, PD_EIO, err, errlen, "out of memory");
    if (pd_prepare(p, pd_sql_bins, run_id, &st) != SQLITE_OK ||
        sqlite3_bind_int64(st, 2, width) != SQLITE_OK)
        return pd_fail(p, st, err, errlen);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t i = sqlite3_column_int64(st, 1);
        int64_t count = sqlite3_column_int64(st, 2);
        if (i >= n)
            i = n - 1;
        if (i < 0)
            i = 0;
        switch (sqlite3_column_int(st, 0)) {
        case 0: out->arrivals[i] += count; break;
        case 1: out->ready[i] += count; break;
        default:
            out->sent[i] += count;
            out->sent_cost[i] += sqlite3_column_int64(st, 3);
        }
    }
    if (rc != SQLITE_DONE)
        return pd_fail(p, st, err, errlen);
    sqlite3_finalize(st);
    return 0;
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
