/* SPDX-License-Identifier: MIT
 *
 * `ratesim sweep --emit-jobs FILE` and `--emit-slurm FILE` (see sweep.h):
 * the sweep's runs as shell commands, one a line, each a complete
 * `ratesim run` with its own output database (SHARDS/run-000001.db ...),
 * so that any engine can run them anywhere the files are: GNU parallel on
 * this machine or over ssh, or a Slurm job array whose task k runs line k.
 * `ratesim merge DB SHARDS/run-*.db` then gathers them.
 *
 * Every word is single-quoted unless it is made of characters no shell
 * treats specially, so labels with spaces and values with ";" or "*" pass
 * through intact. Paths are written as given (relative ones are relative
 * to the folder the sweep ran in: the Slurm script changes to it; GNU
 * parallel over ssh needs --workdir); the program is the absolute path of
 * the running ratesim unless --ratesim says otherwise.
 */
#include "sim/cli/sweep.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/engine.h"

#define EMIT_LABEL 1024

/* ================================================================ words */

/* Writes s as one shell word. */
static void
put_word(FILE *f, const char *s)
{
    static const char plain[] = "_-./=:,@%+";
    int safe = *s != '\0';

    for (const char *c = s; *c && safe; c++)
        safe = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
               (*c >= '0' && *c <= '9') || strchr(plain, *c);
    if (safe) {
        fputs(s, f);
        return;
    }
    fputc('\'', f);
    for (const char *c = s; *c; c++)
        if (*c == '\'')
            fputs("'\\''", f);
        else
            fputc(*c, f);
    fputc('\'', f);
}

static void
put_opt(FILE *f, const char *opt, const char *value)
{
    fprintf(f, " %s ", opt);
    put_word(f, value);
}

/* The program the commands run: --ratesim, else this one. */
static void
program(const sweep_opts *o, char *buf, size_t n)
{
    ssize_t k;

    if (o->ratesim) {
        snprintf(buf, n, "%s", o->ratesim);
        return;
    }
    k = readlink("/proc/self/exe", buf, n - 1);
    if (k <= 0)
        snprintf(buf, n, "ratesim");
    else
        buf[k] = '\0';
}

/* Run i as one command line (no newline). */
static void
put_command(FILE *f, const sweep_opts *o, const char *prog,
            const char *dir, int64_t i)
{
    static const char *const names[] = { "--provider", "--client", "--sim",
                                         "--set" };
    ovl_flag set[GRID_MAX_AXES];
    char label[EMIT_LABEL], db[PATH_MAX + 32], seed[24];
    grid_run r;

    grid_run_at(&o->g, i, &r);
    grid_flags(&o->g, &r, set);
    grid_label(&o->g, &r, o->label, label, sizeof label);
    put_word(f, prog);
    fputs(" run", f);
    put_opt(f, "-w", o->workload);
    if (o->scenario)
        put_opt(f, "-c", o->scenario);
    for (int k = 0; k < o->flags.n; k++)
        put_opt(f, names[o->flags.flag[k].kind], o->flags.flag[k].arg);
    for (int k = 0; k < o->g.naxes; k++)
        put_opt(f, "--set", set[k].arg);
    if (r.algo)
        put_opt(f, "--algo", r.algo);
    if (r.has_seed) {
        snprintf(seed, sizeof seed, "%llu", (unsigned long long)r.seed);
        put_opt(f, "--seed", seed);
    }
    put_opt(f, "--label", label);
    snprintf(db, sizeof db, "%s/run-%06lld.db", dir, (long long)i + 1);
    put_opt(f, "--db", db);
}

/* ================================================================ files */

static int
emit_fail(const char *path, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return SIM_EIO;
}

static int
close_out(FILE *f, const char *path, char *err, size_t errlen)
{
    int bad = ferror(f);

    if (fclose(f) != 0 || bad)
        return emit_fail(path, err, errlen);
    return 0;
}

static int
write_jobs(const sweep_opts *o, const char *prog, const char *dir,
           char *err, size_t errlen)
{
    FILE *f = fopen(o->emit_jobs, "w");
    int64_t n = grid_runs(&o->g);

    if (!f)
        return emit_fail(o->emit_jobs, err, errlen);
    for (int64_t i = 0; i < n; i++) {
        put_command(f, o, prog, dir, i);
        fputc('\n', f);
    }
    return close_out(f, o->emit_jobs, err, errlen);
}

/* The sbatch script: an array of one task per run, task k running line k
 * of the commands held in the script itself (a here-document). */
static int
write_slurm(const sweep_opts *o, const char *prog, const char *dir,
            char *err, size_t errlen)
{
    FILE *f = fopen(o->emit_slurm, "w");
    int64_t n = grid_runs(&o->g);
    char cwd[PATH_MAX];

    if (!f)
        return emit_fail(o->emit_slurm, err, errlen);
    if (!getcwd(cwd, sizeof cwd))
        snprintf(cwd, sizeof cwd, ".");
    fprintf(f, "#!/bin/bash\n"
            "# ratesim sweep: %lld runs as a Slurm job array, one run a "
            "task.\n#   jid=$(sbatch --parsable %s)\n"
            "#   sbatch --dependency=afterok:$jid --wrap \"%s merge %s "
            "%s/*.db\"\n", (long long)n, o->emit_slurm, prog, o->db, dir);
    /* #SBATCH lines are read before the script runs, from wherever it
     * was submitted: the log folder is absolute. */
    fprintf(f, "#SBATCH --job-name=ratesim-sweep\n#SBATCH --array=1-%lld\n"
            "#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n"
            "#SBATCH --output=%s%s%s/slurm-%%A_%%a.out\n"
            "set -eu\ncd ", (long long)n, dir[0] == '/' ? "" : cwd,
            dir[0] == '/' ? "" : "/", dir);
    put_word(f, cwd);
    fputs("\njob=$(sed -n \"${SLURM_ARRAY_TASK_ID}p\" <<'RATESIM_JOBS'\n", f);
    for (int64_t i = 0; i < n; i++) {
        put_command(f, o, prog, dir, i);
        fputc('\n', f);
    }
    fputs("RATESIM_JOBS\n)\n[ -n \"$job\" ] || { echo \"no run "
          "$SLURM_ARRAY_TASK_ID\" >&2; exit 2; }\neval \"exec $job\"\n", f);
    if (fchmod(fileno(f), 0755) != 0)
        return emit_fail(o->emit_slurm, err, errlen);
    return close_out(f, o->emit_slurm, err, errlen);
}

/* ================================================================ entry */

char *
sweep_shard_dir(const sweep_opts *o)
{
    size_t n = strlen(o->db);
    char *d;

    if (o->shards)
        return strdup(o->shards);
    if (n > 3 && !strcmp(o->db + n - 3, ".db"))
        n -= 3;
    if ((d = malloc(n + 8)))
        snprintf(d, n + 8, "%.*s.shards", (int)n, o->db);
    return d;
}

int
sweep_emit(const sweep_opts *o, char *err, size_t errlen)
{
    char prog[PATH_MAX], *dir = sweep_shard_dir(o);
    int rc = 0;

    if (!dir) {
        snprintf(err, errlen, "out of memory");
        return SIM_EIO;
    }
    program(o, prog, sizeof prog);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        rc = emit_fail(dir, err, errlen);
    if (rc == 0 && o->emit_jobs)
        rc = write_jobs(o, prog, dir, err, errlen);
    if (rc == 0 && o->emit_slurm)
        rc = write_slurm(o, prog, dir, err, errlen);
    free(dir);
    return rc;
}
