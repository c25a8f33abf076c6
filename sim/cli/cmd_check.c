/* SPDX-License-Identifier: MIT
 *
 * `ratesim check`: re-run stored regression cases and compare each fresh
 * schedule with the one stored in the case's expected.csv (SPEC §6; the
 * case files are described in sim/io/casefile.h).
 *
 * A case runs through the same runner as `run`, so it checks exactly what
 * `run` would record. Rows arrive in completion order; they are collected
 * and sorted by (req_id, attempt) before the comparison (cases are small).
 * case.ini keeps the run's digest (the one `run` prints and records), so a
 * case can be matched with a database run by one string; when it is
 * there it is compared too, which catches an expected.csv edited by hand
 * instead of through --update.
 *
 * Output: "ok CASE" per match and, for a difference, the case, how many
 * rows differ and the first of them, expected beside actual, on stdout;
 * a case that cannot run is one line on stderr. The exit code is the worst
 * seen: 0 all match, 1 a difference, 2 a case could not run, 3 a write
 * failed.
 */
#include "sim/cli/cli.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/cli/runner.h"
#include "sim/io/casefile.h"
#include "sim/io/units.h"

#define RESULTS_DIR "results"

static const char check_usage[] =
    "usage: ratesim check [CASE ...] [--update]\n"
    "       ratesim check --new CASE -w WORKLOAD -c SCENARIO [--algo NAME]\n"
    "                     [--seed N] [--description TEXT]\n";

static const char check_help[] =
    "\nRe-run stored regression cases and compare each schedule with the one\n"
    "stored. A CASE is a folder name under results/ or a path to a case\n"
    "folder; with none, every folder under results/ holding a case.ini.\n"
    "A case folder holds case.ini ([case] scenario = FILE, workload = FILE,\n"
    "and optionally seed = N, algo = NAME, digest = HEX, description = TEXT;\n"
    "paths relative to the folder) and expected.csv (one row per attempt:\n"
    "req_id,attempt,provider,t_dispatch,t_done,outcome; times in ns).\n\n"
    "  -u, --update          rewrite expected.csv and the digest from a\n"
    "                        fresh run instead of comparing\n"
    "  -n, --new CASE        create a case: copy WORKLOAD and SCENARIO into\n"
    "                        the folder, write case.ini, run it and store\n"
    "                        expected.csv\n"
    "  -w, --workload FILE   (with --new) the workload ('-': standard input)\n"
    "  -c, --scenario FILE   (with --new) the scenario\n"
    "      --algo NAME       (with --new) as run --algo\n"
    "      --seed N          (with --new) replace the scenario's seed\n"
    "  -d, --description T   (with --new) a line describing the case\n"
    "  -h, --help            this help\n\n"
    "Prints \"ok CASE\" for a match; for a difference, how many rows differ\n"
    "and the first, expected beside actual. Exit codes: 0 all match, 1 a\n"
    "difference, 2 a case could not run (bad usage or input), 3 a write\n"
    "failed.\n";

typedef struct check_opts {
    const char *new_case, *workload, *scenario, *algo, *description;
    uint64_t seed;
    int has_seed, update;
    char **cases;
    int ncases;
} check_opts;

/* ------------------------------------------------------------------ */
/* Options                                                            */
/* ------------------------------------------------------------------ */

static int
check_usage_error(const char *fmt, const char *arg)
{
    cli_error(fmt, arg);
    fputs(check_usage, stderr);
    return CLI_USAGE;
}

static int
parse_seed(const char *arg, check_opts *o)
{
    int64_t v;

    if (units_parse_int(arg, 0, INT64_MAX, &v))
        return check_usage_error("--seed: expected a non-negative integer, "
                                 "got \"%s\"", arg);
    o->seed = (uint64_t)v;
    o->has_seed = 1;
    return 0;
}

/* The options that only make sense together. */
static int
check_combination(const check_opts *o)
{
    int creating = o->new_case != NULL;

    if (creating && (!o->workload || !o->scenario))
        return check_usage_error("%s", "check --new: -w WORKLOAD and "
                                 "-c SCENARIO are required");
    if (creating && (o->ncases || o->update))
        return check_usage_error("%s", "check --new takes one CASE and no "
                                 "--update");
    if (!creating && (o->workload || o->scenario || o->algo || o->has_seed ||
                      o->description))
        return check_usage_error("%s", "check: -w, -c, --algo, --seed and "
                                 "--description go with --new");
    return 0;
}

static int
parse_check(int argc, char **argv, check_opts *o)
{
    static const struct option longs[] = {
        {"update", no_argument, NULL, 'u'},
        {"new", required_argument, NULL, 'n'},
        {"workload", required_argument, NULL, 'w'},
        {"scenario", required_argument, NULL, 'c'},
        {"algo", required_argument, NULL, 'a'},
        {"seed", required_argument, NULL, 's'},
        {"description", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    memset(o, 0, sizeof *o);
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":un:w:c:d:h", longs, NULL)) != -1) {
        switch (c) {
        case 'u': o->update = 1; break;
        case 'n': o->new_case = optarg; break;
        case 'w': o->workload = optarg; break;
        case 'c': o->scenario = optarg; break;
        case 'a': o->algo = optarg; break;
        case 'd': o->description = optarg; break;
        case 's':
            if (parse_seed(optarg, o))
                return CLI_USAGE;
            break;
        case 'h':
            fputs(check_usage, stdout);
            fputs(check_help, stdout);
            return -1;
        case ':':
            return check_usage_error("%s: needs a value", argv[optind - 1]);
        default:
            return check_usage_error("unknown option \"%s\"",
                                     argv[optind - 1]);
        }
    }
    o->cases = argv + optind;
    o->ncases = argc - optind;
    return check_combination(o);
}

/* ------------------------------------------------------------------ */
/* Running a case                                                     */
/* ------------------------------------------------------------------ */

static int
collect(void *ctx, const sim_row *row, const char *client,
        const char *provider, char *err, size_t errlen)
{
    case_row r = {
        .req_id = row->req_id, .attempt = row->attempt,
        .outcome = row->outcome, .t_dispatch = row->t_dispatch,
        .t_done = row->t_done,
    };

    (void)client;
    snprintf(r.provider, sizeof r.provider, "%s", provider ? provider : "");
    if (case_rows_push(ctx, &r) != 0) {
        snprintf(err, errlen, "out of memory");
        return SIM_EIO;
    }
    return 0;
}

/* Runs the case into rows (sorted) and its digest. Returns 0 or SIM_*. */
static int
run_case(const case_def *def, case_rows *rows, char hex[33], char *err,
         size_t errlen)
{
    runner_in in = {.workload = def->workload, .scenario = def->scenario,
                    .algo = def->algo, .seed = def->seed,
                    .has_seed = def->has_seed};
    runner *rn = NULL;
    int rc = runner_open(&rn, &in, err, errlen);

    if (rc == 0)
        rc = runner_go(rn, collect, rows, err, errlen);
    if (rc == 0) {
        runner_digest(rn, hex);
        case_rows_sort(rows);
    }
    runner_close(rn);
    return rc;
}

/* An error class (SIM_*) as this command's exit code. */
static int
exit_of(int rc)
{
    return rc == SIM_EINPUT ? CLI_USAGE : CLI_IO;
}

/* ------------------------------------------------------------------ */
/* Reporting a difference                                             */
/* ------------------------------------------------------------------ */

/* One field of the side-by-side table, marked when the two differ. */
static void
print_field(const char *name, const char *e, const char *a)
{
    printf("  %c %-11s %-22s %s\n", strcmp(e, a) ? '>' : ' ', name, e, a);
}

static void
time_cell(sim_time t, char *cell)
{
    if (t == SIM_NONE)
        cell[0] = '\0';
    else
        snprintf(cell, SIM_NAME_MAX, "%lld", (long long)t);
}

/* The six cells of a row as text; "-" each for a row that is not there. */
static void
row_cells(const case_row *r, char cells[6][SIM_NAME_MAX])
{
    if (!r) {
        for (int i = 0; i < 6; i++)
            snprintf(cells[i], SIM_NAME_MAX, "-");
        return;
    }
    snprintf(cells[0], SIM_NAME_MAX, "%lld", (long long)r->req_id);
    snprintf(cells[1], SIM_NAME_MAX, "%d", (int)r->attempt);
    snprintf(cells[2], SIM_NAME_MAX, "%s", r->provider);
    time_cell(r->t_dispatch, cells[3]);
    time_cell(r->t_done, cells[4]);
    snprintf(cells[5], SIM_NAME_MAX, "%s", sim_outcome_name(r->outcome));
}

static void
print_diff(const char *name, const case_rows *exp, const case_rows *act,
           const case_diff *d)
{
    static const char *const fields[6] = {
        "req_id", "attempt", "provider", "t_dispatch", "t_done", "outcome",
    };
    const case_row *k = d->expected ? d->expected : d->actual;
    char e[6][SIM_NAME_MAX], a[6][SIM_NAME_MAX], line[SIM_NAME_MAX + 128];

    printf("FAIL %s: %zu row%s differ%s (expected %zu rows, got %zu)\n", name,
           d->ndiff, d->ndiff == 1 ? "" : "s", d->ndiff == 1 ? "s" : "",
           exp->n, act->n);
    printf("  first difference: req_id %lld, attempt %d", (long long)k->req_id,
           (int)k->attempt);
    if (d->expected)
        printf(" (%s line %lld)", CASE_EXPECTED, (long long)d->expected->line);
    printf("\n    %-11s %-22s %s\n", "", "expected", "actual");
    row_cells(d->expected, e);
    row_cells(d->actual, a);
    for (int i = 0; i < 6; i++)
        print_field(fields[i], e[i], a[i]);
    printf("  expected: %s\n", d->expected ? case_row_format(d->expected,
           line, sizeof line) : "(no such row)");
    printf("  actual:   %s\n", d->actual ? case_row_format(d->actual, line,
           sizeof line) : "(no such row)");
}

/* ------------------------------------------------------------------ */
/* One case                                                           */
/* ------------------------------------------------------------------ */

static int
update_case(const char *name, const char *dir, const case_rows *rows,
            const char *hex)
{
    char err[1024], path[4200];
    int rc;

    snprintf(path, sizeof path, "%s/%s", dir, CASE_EXPECTED);
    if ((rc = case_write_expected(path, rows, err, sizeof err)) == 0)
        rc = case_set_digest(dir, hex, err, sizeof err);
    if (rc != 0) {
        cli_error("%s", err);
        return exit_of(rc);
    }
    printf("updated %s: %zu rows, digest %s\n", name, rows->n, hex);
    return CLI_OK;
}

/* Compares a fresh run with expected.csv and the stored digest. */
static int
compare_case(const char *name, const char *dir, const case_def *def,
             const case_rows *act, const char *hex)
{
    char err[1024], path[4200];
    case_rows exp = {0};
    case_diff d;
    int rc;

    snprintf(path, sizeof path, "%s/%s", dir, CASE_EXPECTED);
    if ((rc = case_read_expected(path, &exp, err, sizeof err)) != 0) {
        cli_error("%s", err);
        case_rows_clear(&exp);
        return exit_of(rc);
    }
    if (case_compare(&exp, act, &d) != 0) {
        print_diff(name, &exp, act, &d);
        rc = CLI_DIFF;
    } else if (def->digest[0] && strcmp(def->digest, hex) != 0) {
        printf("FAIL %s: the %zu rows match but the digest differs "
               "(stored %s, got %s)\n", name, act->n, def->digest, hex);
        rc = CLI_DIFF;
    } else {
        printf("ok %s\n", name);
    }
    case_rows_clear(&exp);
    return rc;
}

static int
check_one(const char *name, const char *dir, int update)
{
    char err[1024], hex[33];
    case_def def;
    case_rows rows = {0};
    int rc;

    if ((rc = case_load(dir, &def, err, sizeof err)) != 0) {
        cli_error("%s", err);
        return exit_of(rc);
    }
    if ((rc = run_case(&def, &rows, hex, err, sizeof err)) != 0) {
        cli_error("%s: %s", name, err);
        rc = exit_of(rc);
    } else if (update) {
        rc = update_case(name, dir, &rows, hex);
    } else {
        rc = compare_case(name, dir, &def, &rows, hex);
    }
    fflush(stdout);
    case_rows_clear(&rows);
    case_clear(&def);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Finding cases                                                      */
/* ------------------------------------------------------------------ */

static int
is_dir(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
has_case_ini(const char *dir)
{
    char path[4096];
    struct stat st;

    if (snprintf(path, sizeof path, "%s/%s", dir, CASE_INI) >=
        (int)sizeof path)
        return 0;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* A CASE argument's folder: results/CASE when that is a folder, else the
 * argument as a path. Writes it into buf; returns 0 or CLI_USAGE. */
static int
case_dir(const char *arg, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s", RESULTS_DIR, arg);
    if (!strchr(arg, '/') && is_dir(buf))
        return 0;
    snprintf(buf, n, "%s", arg);
    if (is_dir(buf))
        return 0;
    if (strchr(arg, '/'))
        cli_error("%s: no such case folder", arg);
    else
        cli_error("%s: no such case (neither %s/%s nor ./%s is a folder)",
                  arg, RESULTS_DIR, arg, arg);
    return CLI_USAGE;
}

static int
by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of the folders under results/ that hold a case.ini, sorted.
 * Returns the count, or -1 (a message printed). */
static int
list_cases(char ***out)
{
    DIR *d = opendir(RESULTS_DIR);
    struct dirent *e;
    char **v = NULL, path[4096];
    int n = 0;

    if (!d) {
        cli_error("%s: %s", RESULTS_DIR, strerror(errno));
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        char **nv;
        snprintf(path, sizeof path, "%s/%s", RESULTS_DIR, e->d_name);
        if (e->d_name[0] == '.' || !is_dir(path) || !has_case_ini(path))
            continue;
        if (!(nv = realloc(v, (size_t)(n + 1) * sizeof *v)) ||
            !(nv[n] = strdup(e->d_name))) {
            v = nv ? nv : v;
            cli_error("out of memory");
            n = -1;
            break;
        }
        v = nv;
        n++;
    }
    closedir(d);
    if (n > 0)
        qsort(v, (size_t)n, sizeof *v, by_name);
    *out = v;
    return n;
}

static int
worse(int a, int b)
{
    return a > b ? a : b;
}

/* Checks (or updates) the named cases; prints a tally when there are
 * several. */
static int
check_cases(char *const *names, int n, int update)
{
    int rc = CLI_OK, ok = 0, diff = 0, broken = 0;
    char dir[4096];

    for (int i = 0; i < n; i++) {
        int r = case_dir(names[i], dir, sizeof dir);
        if (r == 0)
            r = check_one(names[i], dir, update);
        ok += r == CLI_OK;
        diff += r == CLI_DIFF;
        broken += r > CLI_DIFF;
        rc = worse(rc, r);
    }
    if (n > 1 && !update)
        printf("%d cases: %d ok, %d differ, %d could not run\n", n, ok, diff,
               broken);
    return rc;
}

static int
check_all(int update)
{
    char **names = NULL;
    int n = list_cases(&names), rc;

    if (n == 0)
        cli_error("no cases under %s/ (folders holding a %s)", RESULTS_DIR,
                  CASE_INI);
    rc = n > 0 ? check_cases(names, n, update) : CLI_USAGE;
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

/* ------------------------------------------------------------------ */
/* A new case                                                         */
/* ------------------------------------------------------------------ */

/* What --new made, so that a failure takes back exactly that (a folder
 * or file that was there before is not ours to remove). */
enum { M_WORKLOAD, M_SCENARIO, M_INI, M_EXPECTED, M_N };

typedef struct made {
    char dir[4096];
    char path[M_N][4200];
    int made_dir;
    int made[M_N];
} made;

static void
unmake(const made *m)
{
    for (int i = M_N - 1; i >= 0; i--)
        if (m->made[i])
            unlink(m->path[i]);
    if (m->made_dir)
        rmdir(m->dir);
}

static int
make_folder(const char *name, made *m)
{
    static const char *const files[M_N] = {
        "workload.csv", "scenario.ini", CASE_INI, CASE_EXPECTED,
    };

    if (!strchr(name, '/')) {
        if (mkdir(RESULTS_DIR, 0777) != 0 && errno != EEXIST) {
            cli_error("%s: %s", RESULTS_DIR, strerror(errno));
            return CLI_IO;
        }
        snprintf(m->dir, sizeof m->dir, "%s/%s", RESULTS_DIR, name);
    } else {
        snprintf(m->dir, sizeof m->dir, "%s", name);
    }
    if (has_case_ini(m->dir)) {
        cli_error("%s: already a case (use check --update %s)", m->dir, name);
        return CLI_USAGE;
    }
    if (mkdir(m->dir, 0777) == 0)
        m->made_dir = 1;
    else if (errno != EEXIST) {
        cli_error("%s: %s", m->dir, strerror(errno));
        return CLI_IO;
    }
    for (int i = 0; i < M_N; i++)
        snprintf(m->path[i], sizeof m->path[i], "%s/%s", m->dir, files[i]);
    return 0;
}

/* Copies the inputs in and writes case.ini, noting each file made. */
static int
fill_folder(const check_opts *o, made *m, char *err, size_t errlen)
{
    int rc;

    if ((rc = case_copy_file(o->workload, m->path[M_WORKLOAD], err,
                             errlen)) != 0)
        return rc;
    m->made[M_WORKLOAD] = 1;
    if ((rc = case_copy_file(o->scenario, m->path[M_SCENARIO], err,
                             errlen)) != 0)
        return rc;
    m->made[M_SCENARIO] = 1;
    if ((rc = case_create(m->dir, o->description, "scenario.ini",
                          "workload.csv", o->algo, o->seed, o->has_seed, err,
                          errlen)) != 0)
        return rc;
    m->made[M_INI] = 1;
    /* check_one writes expected.csv next; a file already there stays ours
     * only if we made it. */
    m->made[M_EXPECTED] = access(m->path[M_EXPECTED], F_OK) != 0;
    return 0;
}

static int
new_case(const check_opts *o)
{
    char err[1024];
    made m = {0};
    int rc = make_folder(o->new_case, &m);

    if (rc != 0)
        return rc;
    if ((rc = fill_folder(o, &m, err, sizeof err)) != 0) {
        cli_error("%s", err);
        unmake(&m);
        return exit_of(rc);
    }
    rc = check_one(o->new_case, m.dir, 1);
    if (rc != CLI_OK)
        unmake(&m);
    return rc;
}

int
cmd_check(int argc, char **argv)
{
    check_opts o;
    int rc = parse_check(argc, argv, &o);

    if (rc != 0)
        return rc < 0 ? CLI_OK : rc;
    if (o.new_case)
        rc = new_case(&o);
    else if (o.ncases)
        rc = check_cases(o.cases, o.ncases, o.update);
    else
        rc = check_all(o.update);
    if (fflush(stdout) != 0) {
        cli_error("stdout: %s", strerror(errno));
        rc = worse(rc, CLI_IO);
    }
    return rc;
}
