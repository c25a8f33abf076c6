/* SPDX-License-Identifier: MIT
 *
 * The worker pool (see pool.h).
 *
 * Pipes. Worker k reads job numbers (int64_t) from cmd[k]; every worker
 * writes pool_result records to one result pipe. A record is smaller than
 * PIPE_BUF, so writes from several workers never interleave. A worker
 * ends when its cmd pipe reaches end of file, which the parent causes by
 * closing its end: so each child closes every cmd write end it inherited
 * (else a later sibling would hold an earlier one's pipe open forever).
 * The parent knows all workers are gone when the result pipe reaches end
 * of file, and counts results against the jobs it handed out, so a worker
 * that died without answering is noticed rather than waited for.
 *
 * Signals. The parent reads with SIGINT and SIGTERM handlers installed by
 * the caller without SA_RESTART, so a signal interrupts the read and the
 * loop sees the stop flag. SIGPIPE is ignored while the pool runs: writing
 * to a worker that died is an EPIPE, not the parent's death.
 */
#include "sim/cli/pool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define POOL_EIO 3

typedef struct pool {
    int n;                  /* workers */
    pid_t *pid;
    int *cmd;               /* write ends, -1 once closed */
    int res;                /* read end of the results */
    int64_t *busy;          /* job a worker has, -1 none */
    int64_t next, njobs, outstanding;
    int failed;             /* rc of the first failure */
    char *err;
    size_t errlen;
} pool;

/* ================================================================ child */

static int
read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;

    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return got == 0 ? 0 : -1;
        got += (size_t)r;
    }
    return 1;
}

static void
send_result(int fd, const pool_result *res)
{
    ssize_t w;

    do
        w = write(fd, res, sizeof *res);
    while (w < 0 && errno == EINTR);
}

/* A worker's life: start, jobs until its pipe closes, finish. */
static void
worker(const pool_ops *ops, void *ctx, int k, int in, int out)
{
    pool_result res = { .job = -1, .worker = k };
    int64_t job;

    if ((res.rc = ops->start(ctx, k, &res)) != 0) {
        send_result(out, &res);
        return;
    }
    while (read_full(in, &job, sizeof job) == 1) {
        res = (pool_result){ .job = job, .worker = k };
        ops->job(ctx, job, &res);
        send_result(out, &res);
    }
    ops->finish(ctx);
}

/* ================================================================ parent */

static void
close_cmd(pool *p, int k)
{
    if (p->cmd[k] >= 0)
        close(p->cmd[k]);
    p->cmd[k] = -1;
}

/* Gives worker k the next job, or closes its pipe when there is none (or
 * the pool is stopping). */
static void
feed(pool *p, int k)
{
    int64_t job = p->next;
    ssize_t w;

    if (p->failed || p->next >= p->njobs || p->cmd[k] < 0) {
        close_cmd(p, k);
        return;
    }
    do
        w = write(p->cmd[k], &job, sizeof job);
    while (w < 0 && errno == EINTR);
    if (w != (ssize_t)sizeof job) {
        close_cmd(p, k);        /* it died; its end shows in the results */
        return;
    }
    p->next++;
    p->busy[k] = job;
    p->outstanding++;
}

/* Records the first failure. */
static void
fail(pool *p, int rc, const char *msg)
{
    if (p->failed)
        return;
    p->failed = rc;
    snprintf(p->err, p->errlen, "%s", msg);
    for (int k = 0; k < p->n; k++)
        close_cmd(p, k);
}

/* Forks the workers and their pipes. Returns 0, or 3. */
static int
spawn(pool *p, const pool_ops *ops, void *ctx)
{
    int rp[2], cp[2];

    if (pipe(rp) != 0)
        return POOL_EIO;
    p->res = rp[0];
    for (int k = 0; k < p->n; k++) {
        if (pipe(cp) != 0 || (p->pid[k] = fork()) < 0) {
            close(rp[1]);
            return POOL_EIO;
        }
        if (p->pid[k] == 0) {
            for (int j = 0; j < k; j++)
                close(p->cmd[j]);
            close(cp[1]);
            close(rp[0]);
            worker(ops, ctx, k, cp[0], rp[1]);
            _exit(0);
        }
        close(cp[0]);
        p->cmd[k] = cp[1];
    }
    close(rp[1]);
    return 0;
}

/* Collects results until every worker is gone. */
static void
collect(pool *p, const pool_ops *ops, void *ctx,
        volatile sig_atomic_t *stop)
{
    pool_result res;
    ssize_t r;

    for (;;) {
        if (stop && *stop && !p->failed) {
            /* A SIGINT from the terminal reached the workers already. */
            for (int k = 0; k < p->n && *stop != SIGINT; k++)
                if (p->pid[k] > 0)
                    kill(p->pid[k], *stop);
            fail(p, 128 + *stop, "interrupted");
        }
        r = read(p->res, &res, sizeof res);
        if (r < 0 && errno == EINTR)
            continue;
        if (r != (ssize_t)sizeof res)
            break;              /* every worker has exited */
        if (res.job >= 0) {
            p->outstanding--;
            p->busy[res.worker] = -1;
        }
        ops->done(ctx, &res);
        if (res.rc != 0)
            fail(p, res.rc, res.err);
        feed(p, res.worker);
    }
    if (p->outstanding > 0)
        fail(p, POOL_EIO, "a worker process died");
}

int
pool_run(int nworkers, int64_t njobs, const pool_ops *ops, void *ctx,
         volatile sig_atomic_t *stop, char *err, size_t errlen)
{
    pool p = { .n = nworkers, .njobs = njobs, .err = err, .errlen = errlen };
    void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);
    int rc;

    p.res = -1;
    p.pid = calloc((size_t)nworkers, sizeof *p.pid);
    p.cmd = malloc((size_t)nworkers * sizeof *p.cmd);
    p.busy = calloc((size_t)nworkers, sizeof *p.busy);
    for (int k = 0; p.cmd && k < nworkers; k++)
        p.cmd[k] = -1;
    fflush(NULL);               /* children must not write our buffers */
    if (!p.pid || !p.cmd || !p.busy || (rc = spawn(&p, ops, ctx)) != 0) {
        fail(&p, POOL_EIO, "cannot start the worker processes");
        rc = POOL_EIO;
    } else {
        for (int k = 0; k < nworkers; k++)
            feed(&p, k);
        collect(&p, ops, ctx, stop);
        rc = p.failed;
    }
    for (int k = 0; p.pid && p.cmd && k < nworkers; k++) {
        close_cmd(&p, k);
        if (p.pid[k] > 0)
            waitpid(p.pid[k], NULL, 0);
    }
    if (p.res >= 0)
        close(p.res);
    signal(SIGPIPE, old_pipe);
    free(p.pid);
    free(p.cmd);
    free(p.busy);
    return rc;
}
