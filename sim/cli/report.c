/* SPDX-License-Identifier: MIT
 *
 * The run summary. Per provider: attempts dispatched, achieved rate over
 * the run's virtual span, and the worst window (the most permits taken in
 * any window of the provider's first rate limit) against the limit. Per
 * priority: wait from ready to dispatch, p50/p95/p99/max, from histograms
 * whose relative error is printed with them. Then the outcome counts and
 * the run's digest. Priorities are kept in a small array sorted high to low.
 */
#include "sim/cli/report.h"

#include <stdlib.h>
#include <string.h>

#include "sim/hist.h"
#include "sim/io/units.h"

/* Per-client waits cost a histogram each (tens of KiB): only the first
 * clients get one; an imported log can have many thousands. */
#define REPORT_CLIENT_HISTS 256
#define REPORT_CLIENT_LINES 20

typedef struct prio {
    int32_t priority;
    hist *wait;
} prio;

/* One client's rows: requests offered (first attempts), outcomes of every
 * attempt, retries (attempts after the first). */
typedef struct creport {
    char *name;
    uint64_t offered, retries;
    uint64_t outcomes[SIM_DROPPED + 1];
    hist *wait;                 /* NULL past REPORT_CLIENT_HISTS */
} creport;

struct report {
    const sim_config *cfg;
    prio *pr;
    int npr, cappr;
    creport *cl;                /* by client number */
    uint32_t ncl;
    uint64_t outcomes[SIM_DROPPED + 1];
};

report *
report_new(const sim_config *cfg)
{
    report *r = calloc(1, sizeof *r);

    if (r)
        r->cfg = cfg;
    return r;
}

void
report_free(report *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->npr; i++)
        hist_free(r->pr[i].wait);
    for (uint32_t i = 0; i < r->ncl; i++) {
        free(r->cl[i].name);
        hist_free(r->cl[i].wait);
    }
    free(r->cl);
    free(r->pr);
    free(r);
}

/* The histogram for priority p, made (in sorted place) on first use. */
static hist *
prio_hist(report *r, int32_t p)
{
    int i = 0;

    while (i < r->npr && r->pr[i].priority > p)
        i++;
    if (i < r->npr && r->pr[i].priority == p)
        return r->pr[i].wait;
    if (r->npr == r->cappr) {
        int cap = r->cappr ? r->cappr * 2 : 8;
        prio *np = realloc(r->pr, (size_t)cap * sizeof *np);
        if (!np)
            return NULL;
        r->pr = np;
        r->cappr = cap;
    }
    memmove(&r->pr[i + 1], &r->pr[i], (size_t)(r->npr - i) * sizeof *r->pr);
    r->pr[i].priority = p;
    if (!(r->pr[i].wait = hist_new()))
        return NULL;
    r->npr++;
    return r->pr[i].wait;
}

/* The record of client number id, made on first use. */
static creport *
client_report(report *r, uint32_t id, const char *name)
{
    creport *c;

    if (id >= r->ncl) {
        uint32_t n = id + 64;
        creport *nc = realloc(r->cl, (size_t)n * sizeof *nc);
        if (!nc)
            return NULL;
        memset(nc + r->ncl, 0, (size_t)(n - r->ncl) * sizeof *nc);
        r->cl = nc;
        r->ncl = n;
    }
    c = &r->cl[id];
    if (!c->name) {
        if (!(c->name = strdup(name ? name : "?")))
            return NULL;
        if (id < REPORT_CLIENT_HISTS && !(c->wait = hist_new()))
            return NULL;
    }
    return c;
}

int
report_row(report *r, const sim_row *row, const char *client)
{
    creport *c = client_report(r, row->client, client);
    hist *h;

    if (!c)
        return -1;
    r->outcomes[row->outcome]++;
    c->outcomes[row->outcome]++;
    if (row->attempt == 1)
        c->offered++;
    else
        c->retries++;
    if (row->t_dispatch == SIM_NONE)
        return 0;
    if (!(h = prio_hist(r, row->priority)))
        return -1;
    hist_add(h, row->t_dispatch - row->t_ready);
    if (c->wait)
        hist_add(c->wait, row->t_dispatch - row->t_ready);
    return 0;
}

/* The (up to) n client numbers with the most requests offered, ties by
 * number, into top; returns how many. */
static int
top_clients(const report *r, uint32_t *top, int n)
{
    int k = 0;

    for (; k < n; k++) {
        int64_t best = -1;
        for (uint32_t i = 0; i < r->ncl; i++) {
            int taken = 0;
            if (!r->cl[i].name)
                continue;
            for (int j = 0; j < k && !taken; j++)
                taken = top[j] == i;
            if (!taken && (best < 0 ||
                           r->cl[i].offered > r->cl[best].offered))
                best = i;
        }
        if (best < 0)
            break;
        top[k] = (uint32_t)best;
    }
    return k;
}

static uint32_t
clients_seen(const report *r)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < r->ncl; i++)
        n += r->cl[i].name != NULL;
    return n;
}

static double
secs(sim_time ns)
{
    return (double)ns / 1e9;
}

/* A JSON string literal of s. */
static void
json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static double
achieved_rate(const sim_provider_stats *st, sim_time end)
{
    return end > 0 ? (double)st->dispatched / secs(end) : 0.0;
}

static void
print_clients_text(const report *r, FILE *f)
{
    uint32_t top[REPORT_CLIENT_LINES];
    int n = top_clients(r, top, REPORT_CLIENT_LINES);
    uint32_t seen = clients_seen(r);

    fprintf(f, "\n%-16s %8s %8s %8s %8s %8s %8s %8s %10s\n", "client",
            "offered", "ok", "rejected", "dropped", "expired", "failed",
            "retries", "p99 wait");
    for (int i = 0; i < n; i++) {
        const creport *c = &r->cl[top[i]];
        fprintf(f, "%-16s %8llu %8llu %8llu %8llu %8llu %8llu %8llu ",
                c->name, (unsigned long long)c->offered,
                (unsigned long long)c->outcomes[SIM_OK],
                (unsigned long long)c->outcomes[SIM_REJECTED],
                (unsigned long long)c->outcomes[SIM_DROPPED],
                (unsigned long long)c->outcomes[SIM_EXPIRED],
                (unsigned long long)c->outcomes[SIM_FAILED],
                (unsigned long long)c->retries);
        if (c->wait && hist_count(c->wait))
            fprintf(f, "%10.4g\n", secs(hist_quantile(c->wait, 0.99)));
        else
            fprintf(f, "%10s\n", "-");
    }
    if (seen > (uint32_t)n)
        fprintf(f, "... and %u more clients (all in --json)\n",
                seen - (uint32_t)n);
}

/* For a distributed provider (or any that sent more than one limiter
 * would have): over-admission, refused asks, decision latency. */
static void
print_distributed_text(const sim_provider_cfg *c, const sim_provider_stats *st,
                       FILE *f)
{
    if (c->nodes <= 1 && c->shared == SIM_SHARED_NONE && !st->over_admitted)
        return;
    fprintf(f, "  %d nodes, %s: %lld permits over-admitted", c->nodes,
            c->shared == SIM_SHARED_LOCAL ? "local split"
            : c->atomic ? "central store" : "central store, read-then-write",
            (long long)st->over_admitted);
    if (c->shared == SIM_SHARED_CENTRAL)
        fprintf(f, ", %llu asks refused, decision latency mean %.4g s max "
                "%.4g s", (unsigned long long)st->denials,
                st->decisions ? secs(st->decision_sum) / (double)st->decisions
                              : 0.0, secs(st->decision_max));
    fputc('\n', f);
}

static void
print_text(const report *r, const sim *s, const report_run *run, FILE *f)
{
    char b1[32];

    if (run->run_id > 0)
        fprintf(f, "run %lld in %s", (long long)run->run_id, run->db);
    else
        fputs("run not recorded", f);
    fprintf(f, "  label %s  algo %s  seed %llu\n",
            run->label ? run->label : "-", run->algo ? run->algo : "scenario",
            (unsigned long long)run->seed);
    fprintf(f, "requests %llu  events %llu  virtual %ss  wall %.1f ms\n\n",
            (unsigned long long)run->requests,
            (unsigned long long)run->events,
            units_format_seconds(run->end, b1, sizeof b1), run->wall_ms);
    fprintf(f, "%-16s %10s %10s %8s %16s\n", "provider", "dispatched",
            "rejected", "rate/s", "worst window");
    for (int i = 0; i < r->cfg->nproviders; i++) {
        sim_provider_stats st;
        sim_provider_stats_get(s, i, &st);
        fprintf(f, "%-16s %10llu %10llu %8.3f ", r->cfg->providers[i].name,
                (unsigned long long)st.dispatched,
                (unsigned long long)st.rejected, achieved_rate(&st, run->end));
        if (st.window)
            fprintf(f, "%7lld/%lld per %ss\n", (long long)st.worst_window,
                    (long long)st.window_limit,
                    units_format_seconds(st.window, b1, sizeof b1));
        else
            fputs("               -\n", f);
        print_distributed_text(&r->cfg->providers[i], &st, f);
    }
    fprintf(f, "\n%-8s %10s %10s %10s %10s %10s   (wait in s; "
            "percentiles within %.1f%%)\n", "priority", "sent", "p50", "p95",
            "p99", "max", 100 * HIST_REL_ERROR);
    for (int i = 0; i < r->npr; i++) {
        const hist *h = r->pr[i].wait;
        fprintf(f, "%-8d %10llu %10.4g %10.4g %10.4g %10.4g\n",
                r->pr[i].priority, (unsigned long long)hist_count(h),
                secs(hist_quantile(h, 0.50)), secs(hist_quantile(h, 0.95)),
                secs(hist_quantile(h, 0.99)), secs(hist_max(h)));
    }
    print_clients_text(r, f);
    fputs("\noutcomes:", f);
    for (int o = SIM_OK; o <= SIM_DROPPED; o++)
        fprintf(f, " %s %llu", sim_outcome_name(o),
                (unsigned long long)r->outcomes[o]);
    fprintf(f, "\ndigest %s\n", run->digest);
}

static void
print_json_providers(const report *r, const sim *s, const report_run *run,
                     FILE *f)
{
    fputs("\"providers\":[", f);
    for (int i = 0; i < r->cfg->nproviders; i++) {
        sim_provider_stats st;
        sim_provider_stats_get(s, i, &st);
        fprintf(f, "%s{\"name\":", i ? "," : "");
        json_str(f, r->cfg->providers[i].name);
        fprintf(f, ",\"order\":%d,\"dispatched\":%llu,\"rejected\":%llu,"
                "\"cost\":%lld,\"rate_per_s\":%.6f", r->cfg->providers[i].order,
                (unsigned long long)st.dispatched,
                (unsigned long long)st.rejected, (long long)st.cost,
                achieved_rate(&st, run->end));
        if (st.window)
            fprintf(f, ",\"worst_window\":%lld,\"window_limit\":%lld,"
                    "\"window_s\":%.9g", (long long)st.worst_window,
                    (long long)st.window_limit, secs(st.window));
        fprintf(f, ",\"over_admitted\":%lld,\"denials\":%llu,"
                "\"decisions\":%llu,\"decision_mean_s\":%.9f,"
                "\"decision_max_s\":%.9f", (long long)st.over_admitted,
                (unsigned long long)st.denials,
                (unsigned long long)st.decisions,
                st.decisions ? secs(st.decision_sum) / (double)st.decisions
                             : 0.0, secs(st.decision_max));
        fputc('}', f);
    }
    fputs("]", f);
}

static void
print_clients_json(const report *r, FILE *f)
{
    int first = 1;

    fputs("\"clients\":[", f);
    for (uint32_t i = 0; i < r->ncl; i++) {
        const creport *c = &r->cl[i];
        if (!c->name)
            continue;
        fprintf(f, "%s{\"name\":", first ? "" : ",");
        json_str(f, c->name);
        fprintf(f, ",\"offered\":%llu,\"retries\":%llu",
                (unsigned long long)c->offered,
                (unsigned long long)c->retries);
        for (int o = SIM_OK; o <= SIM_DROPPED; o++)
            fprintf(f, ",\"%s\":%llu", sim_outcome_name(o),
                    (unsigned long long)c->outcomes[o]);
        if (c->wait && hist_count(c->wait))
            fprintf(f, ",\"wait_p99_s\":%.9f}",
                    secs(hist_quantile(c->wait, 0.99)));
        else
            fputs(",\"wait_p99_s\":null}", f);
        first = 0;
    }
    fputs("]", f);
}

static void
print_json(const report *r, const sim *s, const report_run *run, FILE *f)
{
    fputs("{\"run_id\":", f);
    if (run->run_id > 0)
        fprintf(f, "%lld", (long long)run->run_id);
    else
        fputs("null", f);
    fputs(",\"label\":", f);
    json_str(f, run->label);
    fputs(",\"algo\":", f);
    json_str(f, run->algo ? run->algo : "scenario");
    fprintf(f, ",\"seed\":%llu,\"requests\":%llu,\"events\":%llu,"
            "\"virtual_s\":%.9f,\"wall_ms\":%.3f,",
            (unsigned long long)run->seed, (unsigned long long)run->requests,
            (unsigned long long)run->events, secs(run->end), run->wall_ms);
    print_json_providers(r, s, run, f);
    fprintf(f, ",\"wait_rel_error\":%.6f,\"priorities\":[", HIST_REL_ERROR);
    for (int i = 0; i < r->npr; i++) {
        const hist *h = r->pr[i].wait;
        fprintf(f, "%s{\"priority\":%d,\"sent\":%llu,\"wait_mean_s\":%.9f,"
                "\"wait_p50_s\":%.9f,\"wait_p95_s\":%.9f,\"wait_p99_s\":%.9f,"
                "\"wait_max_s\":%.9f}", i ? "," : "", r->pr[i].priority,
                (unsigned long long)hist_count(h), hist_mean(h) / 1e9,
                secs(hist_quantile(h, 0.50)), secs(hist_quantile(h, 0.95)),
                secs(hist_quantile(h, 0.99)), secs(hist_max(h)));
    }
    fputs("],", f);
    print_clients_json(r, f);
    fputs(",\"outcomes\":{", f);
    for (int o = SIM_OK; o <= SIM_DROPPED; o++)
        fprintf(f, "%s\"%s\":%llu", o ? "," : "", sim_outcome_name(o),
                (unsigned long long)r->outcomes[o]);
    fprintf(f, "},\"digest\":\"%s\"}\n", run->digest);
}

void
report_print(const report *r, const sim *s, const report_run *run, FILE *f,
             int json)
{
    if (json)
        print_json(r, s, run, f);
    else
        print_text(r, s, run, f);
}
