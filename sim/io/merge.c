/* SPDX-License-Identifier: MIT
 *
 * Merging result databases (see merge.h), on a connection of its own to
 * the output.
 *
 * How. The inputs are attached read-only and their rows copied with
 * INSERT ... SELECT, run by run, inside one BEGIN IMMEDIATE of the output.
 * The copy statements read four names, temp.m_runs, m_providers, m_pstats
 * and m_dispatches: each input's table with a column src (the input's
 * index) in front. Those names are one of two things:
 *
 *   - direct, when SQLite can attach every input at once (at most ten):
 *     they are views, a UNION ALL over the attached inputs' tables, and
 *     the inputs are attached inside the transaction. Each row is copied
 *     once, straight from its input.
 *   - staged, with more inputs: SQLite attaches at most ten, and cannot
 *     detach a database the transaction has read. So before the
 *     transaction each input in turn is attached, checked, copied whole
 *     into temporary tables of those names and detached; then the
 *     transaction copies from them. Every row is written twice (the
 *     recorder stages a run the same way, recorder.c), which takes some
 *     three quarters as long again as the direct copy (2M rows: 3.4 s
 *     against 1.95 s);
 *     jobs run elsewhere are small, and a sweep on one machine has one
 *     shard per core.
 *
 * Order. Runs are copied by (mrg_rank(src, run_id), src, run_id): the
 * caller's rank through an SQL function (0 without one), so the output's
 * new ids follow it. m_map records old id -> new id for the caller.
 *
 * Duplicates. A run is the same run when its digest, label, algorithm,
 * seed, workload_sha256 and scenario_sha256 are all equal (IS, so NULLs
 * match): the same inputs gave the same dispatches under the same name.
 * m_have holds those keys for the output's runs, read inside the write
 * transaction (so a run another process committed just before counts) and
 * grown with each run copied, so a run present twice in the inputs is
 * copied once.
 *
 * Versions. rec_open creates the output's tables and stamps
 * REC_SCHEMA_VERSION; an input must carry the same version, or 0 (written
 * before stamping), and its four tables must have the output's columns in
 * the output's order, which is what lets rows be copied by position.
 *
 * Outcomes. The dispatches' CHECK (outcome IN the five names) is checked
 * here once an input, by one query, and SQLite is told not to evaluate it
 * again for each row copied (ignore_check_constraints): doing so took
 * half the copy's time, as it did the recorder's (2M rows, direct: 3.05
 * s before, 1.95 s after; staged 4.5 s, 3.4 s). An input with another
 * outcome is refused as bad input before anything is copied.
 *
 * Errors: 2 for an input that cannot be used (missing, not a database,
 * another version), 3 for the output; "path: reason" in the caller's
 * buffer. Nothing prints. Closing the connection on a failure rolls back
 * whatever was begun and drops the temporary tables.
 */
#include "sim/io/merge.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "sim/io/recorder.h"

#define MRG_EINPUT 2
#define MRG_EIO 3
#define MRG_BUSY_MS (10 * 60 * 1000)
#define MRG_SQL 256

/* The tables merged, and the names the copy reads them by. */
static const char *const mrg_tables[] = {
    "runs", "providers", "provider_stats", "dispatches"
};
static const char *const mrg_stage[] = {
    "m_runs", "m_providers", "m_pstats", "m_dispatches"
};
#define MRG_NTABLES 4

/* Copying one run: ?1 src, ?2 its old id, ?3 its new id. */
static const char mrg_sql_run[] =
    "INSERT INTO main.runs(label, algo, seed, workload, workload_sha256,"
    " scenario, scenario_sha256, version, created, requests, events,"
    " digest, wall_ms) SELECT label, algo, seed, workload, workload_sha256,"
    " scenario, scenario_sha256, version, created, requests, events,"
    " digest, wall_ms FROM temp.m_runs WHERE src = ?1 AND run_id = ?2";
static const char mrg_sql_providers[] =
    "INSERT INTO main.providers(run_id, provider_id, name, ord, algo, params)"
    " SELECT ?3, provider_id, name, ord, algo, params FROM temp.m_providers"
    " WHERE src = ?1 AND run_id = ?2";
static const char mrg_sql_pstats[] =
    "INSERT INTO main.provider_stats(run_id, provider_id, dispatched,"
    " rejected, worst_window, window_limit, window_ns, over_admitted,"
    " denials, decisions, decision_ns_sum, decision_ns_max)"
    " SELECT ?3, provider_id, dispatched, rejected, worst_window,"
    " window_limit, window_ns, over_admitted, denials, decisions,"
    " decision_ns_sum, decision_ns_max FROM temp.m_pstats"
    " WHERE src = ?1 AND run_id = ?2";
static const char mrg_sql_dispatches[] =
    "INSERT INTO main.dispatches(run_id, req_id, attempt, client, priority,"
    " cost, t_arrive, t_ready, t_dispatch, t_done, provider_id, outcome)"
    " SELECT ?3, req_id, attempt, client, priority, cost, t_arrive, t_ready,"
    " t_dispatch, t_done, provider_id, outcome FROM temp.m_dispatches"
    " WHERE src = ?1 AND run_id = ?2";
static const char mrg_sql_have[] =
    "SELECT run_id FROM temp.m_have WHERE digest IS ?1 AND label IS ?2"
    " AND algo IS ?3 AND seed IS ?4 AND workload_sha256 IS ?5"
    " AND scenario_sha256 IS ?6";
static const char mrg_sql_add_have[] =
    "INSERT INTO temp.m_have SELECT ?3, digest, label, algo, seed,"
    " workload_sha256, scenario_sha256 FROM temp.m_runs"
    " WHERE src = ?1 AND run_id = ?2";
static const char mrg_sql_staged[] =
    "SELECT src, run_id, digest, label, algo, seed, workload_sha256,"
    " scenario_sha256 FROM temp.m_runs"
    " ORDER BY mrg_rank(src, run_id), src, run_id";

typedef struct mrg {
    sqlite3 *db;
    const char *out;
    const mrg_hooks *hooks;
    char *err;
    size_t errlen;
    mrg_totals tot;
} mrg;

/* ================================================================ errors */

/* Writes "path: message" and returns rc. */
__attribute__((format(printf, 4, 5))) static int
mrg_fail(mrg *m, int rc, const char *path, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (m->errlen == 0)
        return rc;
    n = snprintf(m->err, m->errlen, "%s: ", path);
    if (n >= 0 && (size_t)n < m->errlen) {
        va_start(ap, fmt);
        vsnprintf(m->err + n, m->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* SQLite's last message against path. */
static int
mrg_sqlfail(mrg *m, int rc, const char *path)
{
    return mrg_fail(m, rc, path, "%s", sqlite3_errmsg(m->db));
}

/* ================================================================ helpers */

/* The URI of a path: "file:", the path with every byte but the plainest
 * percent-encoded, then query ("?mode=ro" or ""). URIs, so that inputs
 * can be attached read-only; the output's path is one too, so that a
 * name starting "file:" means the file of that name. Owned by the
 * caller. */
static char *
mrg_uri(const char *path, const char *query)
{
    static const char plain[] = "/._-~";
    size_t n = strlen(path);
    char *u = malloc(5 + 3 * n + strlen(query) + 1), *p = u;

    if (!u)
        return NULL;
    p += sprintf(p, "file:");
    for (const unsigned char *s = (const unsigned char *)path; *s; s++) {
        if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
            (*s >= '0' && *s <= '9') || strchr(plain, *s))
            *p++ = (char)*s;
        else
            p += sprintf(p, "%%%02X", *s);
    }
    strcpy(p, query);
    return u;
}

/* One integer a query returns (its first column of its first row), or 0
 * when it returns none. Returns an SQLite code. */
static int
mrg_int(mrg *m, const char *sql, int64_t *out)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(m->db, sql, -1, &st, NULL);

    if (rc != SQLITE_OK)
        return rc;
    *out = 0;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The columns of table in schema, "name type,..." in order, into buf
 * (empty when there is no such table). Returns an SQLite code. */
static int
mrg_columns(mrg *m, const char *schema, const char *table, char *buf,
            size_t n)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(
        m->db, "SELECT group_concat(name || ' ' || type, ',') FROM"
        " (SELECT name, type FROM pragma_table_info(?1, ?2) ORDER BY cid)",
        -1, &st, NULL);

    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, schema, -1, SQLITE_STATIC);
    buf[0] = '\0';
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(buf, n, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* mrg_rank(src, run_id): the caller's rank of a run, 0 without one. */
static void
mrg_rank_sql(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    const mrg_hooks *h = sqlite3_user_data(cx);

    (void)argc;
    sqlite3_result_int64(cx, h && h->rank
                                 ? h->rank(h->ctx, sqlite3_value_int(argv[0]),
                                           sqlite3_value_int64(argv[1]))
                                 : 0);
}

/* ================================================================ open */

/* The output, created with the recorder's schema and stamped, then our own
 * connection to it. */
static int
mrg_open(mrg *m)
{
    rec *r = NULL;
    char *uri;
    int rc;

    if (rec_open(&r, m->out, m->err, m->errlen) != 0)
        return MRG_EIO;
    rec_close(r);
    if (!(uri = mrg_uri(m->out, "")))
        return mrg_fail(m, MRG_EIO, m->out, "out of memory");
    rc = sqlite3_open_v2(uri, &m->db, SQLITE_OPEN_READWRITE |
                         SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
    free(uri);
    if (rc != SQLITE_OK)
        return m->db ? mrg_sqlfail(m, MRG_EIO, m->out)
                     : mrg_fail(m, MRG_EIO, m->out, "out of memory");
    sqlite3_busy_timeout(m->db, MRG_BUSY_MS);
    /* As the recorder: in WAL, a commit is durable at the next
     * checkpoint. */
    if (sqlite3_exec(m->db, "PRAGMA synchronous = NORMAL;"
                     " PRAGMA ignore_check_constraints = ON", NULL, NULL,
                     NULL) != SQLITE_OK ||
        sqlite3_create_function(m->db, "mrg_rank", 2, SQLITE_UTF8,
                                (void *)m->hooks, mrg_rank_sql, NULL,
                                NULL) != SQLITE_OK ||
        sqlite3_exec(m->db, "CREATE TEMP TABLE m_map(src, old_id, new_id,"
                     " copied)", NULL, NULL, NULL) != SQLITE_OK)
        return mrg_sqlfail(m, MRG_EIO, m->out);
    return 0;
}

/* ================================================================ inputs */

/* Every outcome in the attached input (schema) is one of the five the
 * output's CHECK allows (a NULL passes a CHECK too): see "Outcomes". */
static int
mrg_check_outcomes(mrg *m, const char *schema, const char *path)
{
    char sql[256];
    sqlite3_stmt *st;
    int rc;

    snprintf(sql, sizeof sql, "SELECT outcome FROM %s.dispatches WHERE"
             " outcome NOT IN ('ok', 'failed', 'rejected', 'expired',"
             " 'dropped') LIMIT 1", schema);
    if (sqlite3_prepare_v2(m->db, sql, -1, &st, NULL) != SQLITE_OK)
        return mrg_sqlfail(m, MRG_EINPUT, path);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        rc = mrg_fail(m, MRG_EINPUT, path, "dispatches: outcome \"%.40s\" is"
                      " not one of ok, failed, rejected, expired, dropped",
                      (const char *)sqlite3_column_text(st, 0));
    else if (rc == SQLITE_DONE)
        rc = 0;
    else
        rc = mrg_sqlfail(m, MRG_EINPUT, path);
    sqlite3_finalize(st);
    return rc;
}

/* The attached input (schema) has our version and our columns. */
static int
mrg_check_input(mrg *m, const char *schema, const char *path)
{
    char want[1024], got[1024], sql[64];
    int64_t v;

    snprintf(sql, sizeof sql, "PRAGMA %s.user_version", schema);
    if (mrg_int(m, sql, &v) != SQLITE_OK)
        return mrg_sqlfail(m, MRG_EINPUT, path);
    if (v != 0 && v != REC_SCHEMA_VERSION)
        return mrg_fail(m, MRG_EINPUT, path, "schema version %lld; this "
                        "ratesim reads version %d", (long long)v,
                        REC_SCHEMA_VERSION);
    for (int t = 0; t < MRG_NTABLES; t++) {
        if (mrg_columns(m, "main", mrg_tables[t], want, sizeof want) ||
            mrg_columns(m, schema, mrg_tables[t], got, sizeof got))
            return mrg_sqlfail(m, MRG_EINPUT, path);
        if (!got[0])
            return mrg_fail(m, MRG_EINPUT, path, "no table %s: not a "
                            "ratesim database", mrg_tables[t]);
        if (strcmp(want, got) != 0)
            return mrg_fail(m, MRG_EINPUT, path, "table %s: its columns "
                            "are not those of schema version %d",
                            mrg_tables[t], REC_SCHEMA_VERSION);
    }
    return mrg_check_outcomes(m, schema, path);
}

/* Attaches path read-only as schema and checks it. */
static int
mrg_attach(mrg *m, const char *path, const char *schema)
{
    FILE *f = fopen(path, "rb");
    sqlite3_stmt *st = NULL;
    char sql[64], *uri;
    int rc;

    /* A read-only open of a missing file would say only "unable to open
     * database file". */
    if (!f)
        return mrg_fail(m, MRG_EINPUT, path, "%s", strerror(errno));
    fclose(f);
    if (!(uri = mrg_uri(path, "?mode=ro")))
        return mrg_fail(m, MRG_EIO, path, "out of memory");
    snprintf(sql, sizeof sql, "ATTACH ?1 AS %s", schema);
    rc = sqlite3_prepare_v2(m->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK)
        sqlite3_bind_text(st, 1, uri, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_DONE)
        rc = SQLITE_OK;
    sqlite3_finalize(st);
    free(uri);
    if (rc != SQLITE_OK)
        return mrg_sqlfail(m, MRG_EINPUT, path);
    return mrg_check_input(m, schema, path);
}

/* ---------------------------------------------------------------- direct */

/* Appends "..." to the SQL text in buf (of cap *cap, used *n), growing it.
 * Returns 0, or -1 out of memory. */
static int
mrg_append(char **buf, size_t *n, size_t *cap, const char *s)
{
    size_t k = strlen(s);

    if (*n + k + 1 > *cap) {
        size_t nc = (*n + k + 1) * 2;
        char *nb = realloc(*buf, nc);

        if (!nb)
            return -1;
        *buf = nb;
        *cap = nc;
    }
    memcpy(*buf + *n, s, k + 1);
    *n += k;
    return 0;
}

/* The view temp.m_<t>: a UNION ALL of the attached inputs' table t. */
static int
mrg_view(mrg *m, int t, int nin)
{
    char part[MRG_SQL], *sql = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;

    snprintf(part, sizeof part, "CREATE TEMP VIEW %s AS ", mrg_stage[t]);
    rc = mrg_append(&sql, &n, &cap, part);
    for (int i = 0; rc == 0 && i < nin; i++) {
        snprintf(part, sizeof part, "%sSELECT %d AS src, * FROM s%d.%s",
                 i ? " UNION ALL " : "", i, i, mrg_tables[t]);
        rc = mrg_append(&sql, &n, &cap, part);
    }
    if (rc != 0)
        rc = mrg_fail(m, MRG_EIO, m->out, "out of memory");
    else if (sqlite3_exec(m->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        rc = mrg_sqlfail(m, MRG_EIO, m->out);
    free(sql);
    return rc;
}

/* Begins the transaction, attaches every input, makes the views. */
static int
mrg_direct(mrg *m, const char *const *in, int nin)
{
    char schema[16];
    int rc = 0;

    if (sqlite3_exec(m->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return mrg_sqlfail(m, MRG_EIO, m->out);
    for (int i = 0; rc == 0 && i < nin; i++) {
        snprintf(schema, sizeof schema, "s%d", i);
        rc = mrg_attach(m, in[i], schema);
    }
    for (int t = 0; rc == 0 && t < MRG_NTABLES; t++)
        rc = mrg_view(m, t, nin);
    return rc;
}

/* ---------------------------------------------------------------- staged */

/* Copies the attached input's tables (schema src) into the staging tables
 * as input i. */
static int
mrg_copy_input(mrg *m, int i, const char *path)
{
    char sql[MRG_SQL];

    for (int t = 0; t < MRG_NTABLES; t++) {
        snprintf(sql, sizeof sql, "INSERT INTO temp.%s SELECT %d, * FROM"
                 " src.%s", mrg_stage[t], i, mrg_tables[t]);
        if (sqlite3_exec(m->db, sql, NULL, NULL, NULL) != SQLITE_OK)
            return mrg_sqlfail(m, MRG_EINPUT, path);
    }
    return 0;
}

/* Stages every input in turn, indexes the staging tables by run (once
 * they are full: cheaper than keeping an index up row by row), then
 * begins the transaction. */
static int
mrg_staged(mrg *m, const char *const *in, int nin)
{
    char sql[MRG_SQL];
    int rc = 0;

    for (int t = 0; rc == 0 && t < MRG_NTABLES; t++) {
        snprintf(sql, sizeof sql, "CREATE TEMP TABLE %s AS SELECT 0 AS src,"
                 " * FROM main.%s WHERE 0", mrg_stage[t], mrg_tables[t]);
        if (sqlite3_exec(m->db, sql, NULL, NULL, NULL) != SQLITE_OK)
            rc = mrg_sqlfail(m, MRG_EIO, m->out);
    }
    for (int i = 0; rc == 0 && i < nin; i++) {
        rc = mrg_attach(m, in[i], "src");
        if (rc == 0)
            rc = mrg_copy_input(m, i, in[i]);
        if (sqlite3_exec(m->db, "DETACH src", NULL, NULL, NULL) != SQLITE_OK
            && rc == 0)
            rc = mrg_sqlfail(m, MRG_EIO, in[i]);
    }
    for (int t = 0; rc == 0 && t < MRG_NTABLES; t++) {
        snprintf(sql, sizeof sql, "CREATE INDEX temp.%s_k ON %s(src, "
                 "run_id)", mrg_stage[t], mrg_stage[t]);
        if (sqlite3_exec(m->db, sql, NULL, NULL, NULL) != SQLITE_OK)
            rc = mrg_sqlfail(m, MRG_EIO, m->out);
    }
    if (rc == 0 &&
        sqlite3_exec(m->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        rc = mrg_sqlfail(m, MRG_EIO, m->out);
    return rc;
}

/* ================================================================ copy */

typedef struct mrg_stmts {
    sqlite3_stmt *have, *add_have, *map, *copy[MRG_NTABLES];
} mrg_stmts;

static int
mrg_prepare(mrg *m, mrg_stmts *s)
{
    const char *copy[MRG_NTABLES] = { mrg_sql_run, mrg_sql_providers,
                                      mrg_sql_pstats, mrg_sql_dispatches };
    int rc = sqlite3_prepare_v2(m->db, mrg_sql_have, -1, &s->have, NULL);

    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(m->db, mrg_sql_add_have, -1, &s->add_have,
                                NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(m->db, "INSERT INTO temp.m_map"
                                " VALUES(?1, ?2, ?3, ?4)", -1, &s->map, NULL);
    for (int t = 0; rc == SQLITE_OK && t < MRG_NTABLES; t++)
        rc = sqlite3_prepare_v2(m->db, copy[t], -1, &s->copy[t], NULL);
    return rc;
}

static void
mrg_finalize(mrg_stmts *s)
{
    sqlite3_finalize(s->have);
    sqlite3_finalize(s->add_have);
    sqlite3_finalize(s->map);
    for (int t = 0; t < MRG_NTABLES; t++)
        sqlite3_finalize(s->copy[t]);
}

/* Runs st with ?1 src, ?2 old, ?3 new (the parameters it has), resets
 * it. Returns an SQLite code. */
static int
mrg_step3(sqlite3_stmt *st, int64_t src, int64_t old, int64_t new_id)
{
    int rc, np = sqlite3_bind_parameter_count(st);

    sqlite3_bind_int64(st, 1, src);
    sqlite3_bind_int64(st, 2, old);
    if (np >= 3)
        sqlite3_bind_int64(st, 3, new_id);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The output's id of the run the staged row `run` describes (columns 2..7
 * of mrg_sql_staged: the duplicate key), or 0 when it holds none. */
static int
mrg_find(mrg_stmts *s, sqlite3_stmt *run, int64_t *id)
{
    int rc;

    for (int i = 0; i < 6; i++)
        sqlite3_bind_value(s->have, i + 1, sqlite3_column_value(run, i + 2));
    *id = 0;
    rc = sqlite3_step(s->have);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(s->have, 0);
    sqlite3_reset(s->have);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Copies one run (unless held already) and maps it. */
static int
mrg_one(mrg *m, mrg_stmts *s, sqlite3_stmt *run)
{
    int64_t src = sqlite3_column_int64(run, 0);
    int64_t old = sqlite3_column_int64(run, 1), id;
    int rc = mrg_find(s, run, &id), copied = id == 0;

    m->tot.runs++;
    if (rc == SQLITE_OK && copied) {
        rc = mrg_step3(s->copy[0], src, old, 0);
        id = sqlite3_last_insert_rowid(m->db);
        for (int t = 1; rc == SQLITE_OK && t < MRG_NTABLES; t++)
            rc = mrg_step3(s->copy[t], src, old, id);
        if (rc == SQLITE_OK)
            rc = mrg_step3(s->add_have, src, old, id);
    }
    if (rc != SQLITE_OK)
        return rc;
    m->tot.copied += copied;
    m->tot.duplicates += !copied;
    sqlite3_bind_int64(s->map, 1, src);
    sqlite3_bind_int64(s->map, 2, old);
    sqlite3_bind_int64(s->map, 3, id);
    sqlite3_bind_int(s->map, 4, copied);
    rc = sqlite3_step(s->map);
    sqlite3_reset(s->map);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Copies every run; the caller holds the write transaction. */
static int
mrg_copy_all(mrg *m)
{
    mrg_stmts s = { 0 };
    sqlite3_stmt *run = NULL;
    int rc = sqlite3_exec(m->db, "CREATE TEMP TABLE m_have AS SELECT"
                          " run_id, digest, label, algo, seed,"
                          " workload_sha256, scenario_sha256 FROM main.runs;"
                          "CREATE INDEX temp.m_have_k ON m_have(digest)",
                          NULL, NULL, NULL);

    if (rc == SQLITE_OK)
        rc = mrg_prepare(m, &s);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(m->db, mrg_sql_staged, -1, &run, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(run)) == SQLITE_ROW)
        rc = mrg_one(m, &s, run);
    sqlite3_finalize(run);
    mrg_finalize(&s);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Inside the write transaction: version check, copy, commit. */
static int
mrg_commit(mrg *m)
{
    int64_t v;

    if (mrg_int(m, "PRAGMA main.user_version", &v) != SQLITE_OK)
        return mrg_sqlfail(m, MRG_EIO, m->out);
    if (v != REC_SCHEMA_VERSION)
        return mrg_fail(m, MRG_EINPUT, m->out, "schema version %lld; this "
                        "ratesim writes version %d", (long long)v,
                        REC_SCHEMA_VERSION);
    if (mrg_copy_all(m) != SQLITE_OK ||
        sqlite3_exec(m->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return mrg_sqlfail(m, MRG_EIO, m->out);
    return 0;
}

/* Tells the caller what became of each run, in (input, run id) order. */
static int
mrg_report(mrg *m)
{
    const mrg_hooks *h = m->hooks;
    sqlite3_stmt *st;
    int rc;

    if (!h || !h->run)
        return 0;
    rc = sqlite3_prepare_v2(m->db, "SELECT src, old_id, new_id, copied FROM"
                            " temp.m_map ORDER BY src, old_id", -1, &st,
                            NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        h->run(h->ctx, sqlite3_column_int(st, 0),
               sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
               sqlite3_column_int(st, 3));
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : mrg_sqlfail(m, MRG_EIO, m->out);
}

int
mrg_merge(const char *out, const char *const *in, int nin,
          const mrg_hooks *hooks, mrg_totals *tot, char *err, size_t errlen)
{
    mrg m = { .out = out, .hooks = hooks, .err = err, .errlen = errlen };
    int rc = mrg_open(&m);

    if (rc == 0)
        rc = nin <= sqlite3_limit(m.db, SQLITE_LIMIT_ATTACHED, -1)
                 ? mrg_direct(&m, in, nin)
                 : mrg_staged(&m, in, nin);
    if (rc == 0)
        rc = mrg_commit(&m);
    if (rc == 0)
        rc = mrg_report(&m);
    /* Closing rolls back a transaction left open by a failure. */
    sqlite3_close(m.db);
    if (tot)
        *tot = rc == 0 ? m.tot : (mrg_totals){ 0 };
    return rc;
}
