/* SPDX-License-Identifier: MIT
 *
 * Tallies (see tally.h). The set of runs goes to SQLite as one JSON array
 * bound to every query (`run_id IN (SELECT value FROM json_each(?1))`), so
 * a read-only connection needs no temporary table and each query walks
 * only those runs' rows through the tables' primary keys. Counting is one
 * pass; each quantile is one sorted pass (ORDER BY ... LIMIT 1 OFFSET k),
 * which SQLite does with a bounded sorter, never holding the waits here.
 */
#include "sim/io/tally.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#define TLY_EINPUT 2
#define TLY_EIO 3
#define TLY_IN " run_id IN (SELECT value FROM json_each(?1))"

struct tly {
    sqlite3 *db;
    char path[];
};

static const char tly_sql_counts[] =
    "SELECT count(*), coalesce(sum(attempt = 1), 0),"
    " coalesce(sum(t_dispatch IS NOT NULL), 0),"
    " coalesce(sum(outcome = 'ok'), 0), coalesce(sum(outcome = 'failed'), 0),"
    " coalesce(sum(outcome = 'rejected'), 0),"
    " coalesce(sum(outcome = 'expired'), 0),"
    " coalesce(sum(outcome = 'dropped'), 0),"
    " max(t_dispatch - t_ready) FROM dispatches WHERE" TLY_IN;
static const char tly_sql_over[] =
    "SELECT coalesce(sum(max(0, worst_window - window_limit)), 0)"
    " FROM provider_stats WHERE window_limit > 0 AND" TLY_IN;
static const char tly_sql_rank[] =
    "SELECT t_dispatch - t_ready AS w FROM dispatches WHERE"
    " t_dispatch IS NOT NULL AND" TLY_IN " ORDER BY w LIMIT 1 OFFSET ?2";

static int
tly_fail(const char *path, int rc, const char *why, char *err, size_t n)
{
    snprintf(err, n, "%s: %s", path, why);
    return rc;
}

int
tly_open(tly **out, const char *path, char *err, size_t errlen)
{
    size_t len = strlen(path);
    tly *t;

    *out = NULL;
    if (access(path, F_OK) != 0)
        return tly_fail(path, TLY_EINPUT, strerror(errno), err, errlen);
    if (!(t = calloc(1, sizeof *t + len + 1)))
        return tly_fail(path, TLY_EIO, "out of memory", err, errlen);
    memcpy(t->path, path, len + 1);
    if (sqlite3_open_v2(path, &t->db, SQLITE_OPEN_READONLY, NULL) !=
        SQLITE_OK) {
        tly_fail(path, TLY_EIO, t->db ? sqlite3_errmsg(t->db)
                                      : "out of memory", err, errlen);
        tly_close(t);
        return TLY_EIO;
    }
    sqlite3_busy_timeout(t->db, 60 * 1000);
    *out = t;
    return 0;
}

void
tly_close(tly *t)
{
    if (!t)
        return;
    sqlite3_close(t->db);
    free(t);
}

/* ids as a JSON array, owned by the caller; NULL out of memory. */
static char *
tly_json(const int64_t *ids, int n)
{
    char *s = malloc((size_t)n * 21 + 3), *p = s;

    if (!s)
        return NULL;
    *p++ = '[';
    for (int i = 0; i < n; i++)
        p += sprintf(p, "%s%lld", i ? "," : "", (long long)ids[i]);
    strcpy(p, "]");
    return s;
}

/* Prepares sql and binds the JSON array of ids as ?1. */
static int
tly_prepare(tly *t, const char *sql, const char *json, sqlite3_stmt **st)
{
    int rc = sqlite3_prepare_v2(t->db, sql, -1, st, NULL);

    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(*st, 1, json, -1, SQLITE_STATIC);
    return rc;
}

/* The counts, the longest wait and the over-limit sum. */
static int
tly_counts(tly *t, const char *json, tly_figures *f)
{
    static const int outcome_col[] = { SIM_OK, SIM_FAILED, SIM_REJECTED,
                                       SIM_EXPIRED, SIM_DROPPED };
    sqlite3_stmt *st = NULL;
    int rc = tly_prepare(t, tly_sql_counts, json, &st);

    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        f->attempts = sqlite3_column_int64(st, 0);
        f->requests = sqlite3_column_int64(st, 1);
        f->dispatched = sqlite3_column_int64(st, 2);
        for (int i = 0; i < 5; i++)
            f->outcomes[outcome_col[i]] = sqlite3_column_int64(st, 3 + i);
        f->wait_max = sqlite3_column_type(st, 8) == SQLITE_NULL
                          ? SIM_NONE : sqlite3_column_int64(st, 8);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc == SQLITE_OK)
        rc = tly_prepare(t, tly_sql_over, json, &st);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        f->over_limit = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

/* The wait at 1-based rank (ppm·n + 999999) / 1000000 of the n waits. */
static int
tly_quantile(tly *t, const char *json, int64_t n, int64_t ppm, sim_time *w)
{
    int64_t rank = (ppm * n + 999999) / 1000000;
    sqlite3_stmt *st = NULL;
    int rc = tly_prepare(t, tly_sql_rank, json, &st);

    *w = SIM_NONE;
    if (rank < 1)
        rank = 1;
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 2, rank - 1);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        *w = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int
tly_runs(tly *t, const int64_t *ids, int n, tly_figures *out, char *err,
         size_t errlen)
{
    char *json = tly_json(ids, n);
    int rc;

    *out = (tly_figures){ .runs = n, .wait_p50 = SIM_NONE,
                          .wait_p99 = SIM_NONE, .wait_max = SIM_NONE };
    if (!json)
        return tly_fail(t->path, TLY_EIO, "out of memory", err, errlen);
    rc = tly_counts(t, json, out);
    if (rc == SQLITE_OK && out->dispatched > 0)
        rc = tly_quantile(t, json, out->dispatched, 500000, &out->wait_p50);
    if (rc == SQLITE_OK && out->dispatched > 0)
        rc = tly_quantile(t, json, out->dispatched, 990000, &out->wait_p99);
    free(json);
    if (rc != SQLITE_OK)
        return tly_fail(t->path, TLY_EIO, sqlite3_errmsg(t->db), err,
                        errlen);
    return 0;
}
