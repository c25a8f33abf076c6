/* SPDX-License-Identifier: MIT
 *
 * Plot data (see plotdata.h). A pd is one read-only SQLite connection and
 * the database's path (for messages). Every query selects one run through
 * the dispatches table's primary key (run_id first). A run costs four
 * passes over its rows, each sorted by SQLite:
 *
 *   - GROUP BY client: the per-client totals, and from them the run's
 *     (outcome counts, first and last instants, costs) and Jain's index;
 *   - ORDER BY wait: the CDF's quantiles, picked at their ranks as the
 *     rows go by (this SQLite has no percentile function);
 *   - ORDER BY t_dispatch: per provider the attempts sent and the worst
 *     window, kept as a running sum over a queue of the dispatches inside
 *     the window (SQLite's RANGE window function did the same in five
 *     times the time: 3.5 s for a million rows);
 *   - GROUP BY (arrival, ready, dispatch) bins: the time bins, a few
 *     hundred groups whatever the rows.
 *
 * Nothing keeps a value per row, only per client, per bin and per
 * dispatch inside one window. The connection sorts in memory (temp_store)
 * with a larger cache, which halves the sorts' time on a million rows.
 *
 * Memory: a pd_run, a pd_summary and pd_bins own heap arrays, freed by
 * their clear functions, which accept what a failed get left.
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
        rc = sqlite3_exec(p->db, "PRAGMA temp_store = MEMORY;"
                          "PRAGMA cache_size = -65536;"
                          "SELECT run_id FROM runs LIMIT 0;"
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

/* The dispatches inside a provider's window, oldest first, in a ring
 * that grows as needed, and their running sum of cost. */
typedef struct pd_window {
    sim_time *t;
    int64_t *cost;
    size_t head, len, cap;      /* cap a power of two, or 0 */
    int64_t sum;
} pd_window;

static int
pd_window_push(pd_window *w, sim_time t, int64_t cost)
{
    if (w->len == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 64;
        sim_time *nt = malloc(cap * sizeof *nt);
        int64_t *nc = malloc(cap * sizeof *nc);
        if (!nt || !nc) {
            free(nt);
            free(nc);
            return -1;
        }
        for (size_t i = 0; i < w->len; i++) {
            nt[i] = w->t[(w->head + i) & (w->cap - 1)];
            nc[i] = w->cost[(w->head + i) & (w->cap - 1)];
        }
        free(w->t);
        free(w->cost);
        *w = (pd_window){nt, nc, 0, w->len, cap, w->sum};
    }
    w->t[(w->head + w->len) & (w->cap - 1)] = t;
    w->cost[(w->head + w->len++) & (w->cap - 1)] = cost;
    w->sum += cost;
    return 0;
}

/* Drops the dispatches at or before `before`. */
static void
pd_window_drop(pd_window *w, sim_time before)
{
    while (w->len && w->t[w->head] <= before) {
        w->sum -= w->cost[w->head];
        w->head = (w->head + 1) & (w->cap - 1);
        w->len--;
    }
}

/* One dispatch of provider v at t: counted, and (when v has a rate limit)
 * the window (t - W, t] it ends checked against the worst. */
static int
pd_count_dispatch(pd_provider *v, pd_window *w, sim_time t, int64_t cost)
{
    v->sent++;
    v->sent_cost += cost;
    if (v->nrates == 0)
        return 0;
    if (pd_window_push(w, t, cost) != 0)
        return -1;
    pd_window_drop(w, t - v->rates[0].window);
    if (w->sum > v->worst)
        v->worst = w->sum;
    return 0;
}

/* The pass in dispatch order: attempts sent and worst window per
 * provider. Returns 0 or 3. */
static int
pd_get_dispatch_pass(pd *p, pd_run *r, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    pd_window *w = calloc((size_t)r->nproviders + 1, sizeof *w);
    int rc = 0, src = SQLITE_DONE;

    if (!w)
        return pd_msg(p, PD_EIO, err, errlen, "out of memory");
    if (pd_prepare(p, "SELECT t_dispatch, cost, provider_id FROM dispatches"
                   " WHERE run_id = ?1 AND t_dispatch IS NOT NULL"
                   " ORDER BY t_dispatch", r->run_id, &st) != SQLITE_OK) {
        free(w);
        return pd_fail(p, st, err, errlen);
    }
    while (rc == 0 && (src = sqlite3_step(st)) == SQLITE_ROW) {
        pd_provider *v = pd_find_provider(r, sqlite3_column_int(st, 2));
        if (v && pd_count_dispatch(v, &w[v - r->providers],
                                   sqlite3_column_int64(st, 0),
                                   sqlite3_column_int64(st, 1)) != 0)
            rc = pd_msg(p, PD_EIO, err, errlen, "out of memory");
    }
    if (rc == 0 && src != SQLITE_DONE)
        rc = pd_fail(p, st, err, errlen);
    else
        sqlite3_finalize(st);
    for (int i = 0; i < r->nproviders; i++) {
        free(w[i].t);
        free(w[i].cost);
    }
    free(w);
    return rc;
}

int
pd_run_get(pd *p, int64_t run_id, pd_run *out, char *err, size_t errlen)
{
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = pd_get_run_row(p, run_id, out, err, errlen)) != 0 ||
        (rc = pd_get_providers(p, out, err, errlen)) != 0)
        return rc;
    return pd_get_dispatch_pass(p, out, err, errlen);
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

/* Column i as a time: SIM_NONE for NULL. */
static sim_time
pd_col_time(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL
               ? SIM_NONE : sqlite3_column_int64(st, i);
}

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

/* ================================================================ clients */

static const char pd_sql_clients[] =
    "SELECT client, sum(attempt = 1) AS offered, sum(outcome = 'ok'),"
    " sum(t_dispatch IS NOT NULL), sum(outcome = 'rejected'),"
    " sum(outcome = 'expired'), sum(outcome = 'dropped'),"
    " sum(outcome = 'failed'), avg(t_dispatch - t_ready),"
    " max(t_dispatch - t_ready), count(*),"
    " sum(CASE WHEN t_dispatch IS NOT NULL THEN cost END), max(cost),"
    " min(t_arrive), max(t_dispatch),"
    " max(max(t_arrive, t_ready, coalesce(t_dispatch, 0)))"
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

/* Adds a client's row to the run's totals. */
static void
pd_add_totals(sqlite3_stmt *st, const pd_client *c, pd_summary *s)
{
    int64_t max_cost = sqlite3_column_int64(st, 12);

    s->requests += c->offered;
    s->attempts += sqlite3_column_int64(st, 10);
    s->outcomes[SIM_OK] += c->ok;
    s->outcomes[SIM_FAILED] += c->failed;
    s->outcomes[SIM_REJECTED] += c->rejected;
    s->outcomes[SIM_EXPIRED] += c->expired;
    s->outcomes[SIM_DROPPED] += c->dropped;
    s->sent += c->sent;
    s->sent_cost += sqlite3_column_int64(st, 11);
    if (max_cost > s->max_cost)
        s->max_cost = max_cost;
    s->first_arrival = pd_min_time(s->first_arrival, pd_col_time(st, 13));
    s->last_dispatch = pd_max_time(s->last_dispatch, pd_col_time(st, 14));
    if (sqlite3_column_int64(st, 15) > s->end)
        s->end = sqlite3_column_int64(st, 15);
}

/* The GROUP BY client pass: s->clients and the totals. 0 or 3. */
static int
pd_get_clients(pd *p, int64_t run_id, pd_summary *s, char *err,
               size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int64_t cap = 0;
    int rc;

    if (pd_prepare(p, pd_sql_clients, run_id, &st) != SQLITE_OK)
        return pd_fail(p, st, err, errlen);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (s->nclients == cap) {
            pd_client *nv;
            cap = cap ? cap * 2 : 16;
            if (!(nv = realloc(s->clients, (size_t)cap * sizeof *nv)))
                goto oom;
            s->clients = nv;
        }
        if (pd_client_row(st, &s->clients[s->nclients]) != 0)
            goto oom;
        pd_add_totals(st, &s->clients[s->nclients++], s);
    }
    if (rc != SQLITE_DONE)
        return pd_fail(p, st, err, errlen);
    sqlite3_finalize(st);
    return 0;
oom:
    sqlite3_finalize(st);
    return pd_msg(p, PD_EIO, err, errlen, "out of memory");
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

int
pd_summary_get(pd *p, int64_t run_id, pd_summary *out, char *err,
               size_t errlen)
{
    int rc;

    memset(out, 0, sizeof *out);
    out->jain = -1;
    out->first_arrival = out->last_dispatch = SIM_NONE;
    if ((rc = pd_get_clients(p, run_id, out, err, errlen)) != 0 ||
        (rc = pd_summary_jain(p, out, err, errlen)) != 0 ||
        (rc = pd_get_cdf(p, run_id, out->sent, &out->cdf, err, errlen)) != 0)
        return rc;
    if (out->last_dispatch != SIM_NONE && out->last_dispatch > 0)
        out->rate = (double)out->sent / ((double)out->last_dispatch / 1e9);
    out->wait_p50 = pd_cdf_at(&out->cdf, 500000);
    out->wait_p95 = pd_cdf_at(&out->cdf, 950000);
    out->wait_p99 = pd_cdf_at(&out->cdf, 990000);
    out->wait_max = pd_cdf_at(&out->cdf, PD_PPM);
    return 0;
}

void
pd_summary_clear(pd_summary *s)
{
    for (int64_t i = 0; s->clients && i < s->nclients; i++)
        free(s->clients[i].name);
    free(s->clients);
    memset(s, 0, sizeof *s);
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

/* One group per (arrival bin, ready bin, dispatch bin, first attempt or
 * not): a few hundred, as the three instants of a row are close. */
static const char pd_sql_bins[] =
    "SELECT t_arrive / ?2, t_ready / ?2, t_dispatch / ?2, attempt = 1,"
    " count(*), sum(cost) FROM dispatches WHERE run_id = ?1"
    " GROUP BY 1, 2, 3, 4";

/* Bin of instant t (column i), clamped into [0, n). */
static int64_t
pd_bin(sqlite3_stmt *st, int i, int64_t n)
{
    int64_t b = sqlite3_column_int64(st, i);

    return b < 0 ? 0 : b >= n ? n - 1 : b;
}

/* Adds one group of pd_sql_bins to out. */
static void
pd_add_bins(sqlite3_stmt *st, pd_bins *out)
{
    int64_t count = sqlite3_column_int64(st, 4);

    if (sqlite3_column_int(st, 3))
        out->arrivals[pd_bin(st, 0, out->n)] += count;
    if (sqlite3_column_type(st, 2) == SQLITE_NULL)
        return;
    out->ready[pd_bin(st, 1, out->n)] += count;
    out->sent[pd_bin(st, 2, out->n)] += count;
    out->sent_cost[pd_bin(st, 2, out->n)] += sqlite3_column_int64(st, 5);
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
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        pd_add_bins(st, out);
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
