/* SPDX-License-Identifier: MIT
 *
 * Rowpipe (see rowpipe.h): one producer (the engine's thread) and one
 * consumer (the sink's), handing over whole batches so that the lock is
 * taken once per ROWPIPE_BATCH rows.
 *
 * The slots form a ring: slot[head .. head + count) are full, in order,
 * and the consumer works through slot[head] in place, giving it back when
 * done; the producer fills slot[tail] = slot[(head + count) % SLOTS]
 * outside the lock, which is safe because after every hand-over it waits
 * until count < ROWPIPE_SLOTS, so that slot is never one the consumer
 * holds. Once the sink has failed the consumer stops calling it but still
 * gives slots back, so the producer never waits for good; it sees the
 * error at its next hand-over.
 */
#include "sim/io/rowpipe.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#define ROWPIPE_MSG 512

typedef struct rp_batch {
    sim_row row[ROWPIPE_BATCH];
    size_t n;
} rp_batch;

struct rowpipe {
    sim_sink_fn sink;
    void *ctx;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t filled, emptied;
    size_t head, count;         /* under mu */
    int closing;                /* under mu: no more batches, finish */
    int dropping;               /* under mu: stop now */
    int rc;                     /* under mu: the sink's error */
    char err[ROWPIPE_MSG];      /* under mu */
    size_t tail;                /* the producer's */
    rp_batch slot[ROWPIPE_SLOTS];
};

/* The consumer's next batch, or NULL when it is to stop; *failed tells
 * whether the sink has failed already. */
static rp_batch *
rowpipe_take(rowpipe *p, int *failed)
{
    rp_batch *b = NULL;

    pthread_mutex_lock(&p->mu);
    while (p->count == 0 && !p->closing && !p->dropping)
        pthread_cond_wait(&p->filled, &p->mu);
    if (!p->dropping && p->count > 0)
        b = &p->slot[p->head];
    *failed = p->rc != 0;
    pthread_mutex_unlock(&p->mu);
    return b;
}

static void
rowpipe_give_back(rowpipe *p)
{
    pthread_mutex_lock(&p->mu);
    p->head = (p->head + 1) % ROWPIPE_SLOTS;
    p->count--;
    pthread_cond_signal(&p->emptied);
    pthread_mutex_unlock(&p->mu);
}

static void rowpipe_free(rowpipe *p);

static void *
rowpipe_run(void *arg)
{
    rowpipe *p = arg;
    char msg[ROWPIPE_MSG];
    rp_batch *b;
    int failed;

    while ((b = rowpipe_take(p, &failed)) != NULL) {
        for (size_t i = 0; i < b->n && !failed; i++) {
            int rc;

            msg[0] = '\0';
            if ((rc = p->sink(p->ctx, &b->row[i], msg, sizeof msg)) != 0) {
                pthread_mutex_lock(&p->mu);
                p->rc = rc;
                snprintf(p->err, sizeof p->err, "%s", msg);
                pthread_mutex_unlock(&p->mu);
                failed = 1;
            }
        }
        rowpipe_give_back(p);
    }
    return NULL;
}

/* Starts the thread with every signal blocked, so that SIGINT and SIGTERM
 * go to the caller's thread, whose handler stops the run. */
static int
rowpipe_spawn(rowpipe *p)
{
    sigset_t all, old;
    int rc;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&p->thread, NULL, rowpipe_run, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

int
rowpipe_start(rowpipe **out, sim_sink_fn sink, void *ctx, char *err,
              size_t errlen)
{
    rowpipe *p = calloc(1, sizeof *p);

    *out = NULL;
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return SIM_EIO;
    }
    p->sink = sink;
    p->ctx = ctx;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->filled, NULL);
    pthread_cond_init(&p->emptied, NULL);
    if (rowpipe_spawn(p) != 0) {
        rowpipe_free(p);
        snprintf(err, errlen, "cannot start the recording thread");
        return SIM_EIO;
    }
    *out = p;
    return 0;
}

/* The sink's error (0 if none), its message copied into err. Under mu. */
static int
rowpipe_error(const rowpipe *p, char *err, size_t errlen)
{
    if (p->rc != 0 && err && errlen)
        snprintf(err, errlen, "%s", p->err);
    return p->rc;
}

/* Hands the batch being filled over and waits for a free slot. Once a
 * batch, so out of line: rowpipe_put, once a row, need not save the
 * registers it uses. */
__attribute__((noinline)) static int
rowpipe_hand(rowpipe *p, char *err, size_t errlen)
{
    int rc;

    pthread_mutex_lock(&p->mu);
    p->count++;
    pthread_cond_signal(&p->filled);
    while (p->count == ROWPIPE_SLOTS && p->rc == 0)
        pthread_cond_wait(&p->emptied, &p->mu);
    rc = rowpipe_error(p, err, errlen);
    pthread_mutex_unlock(&p->mu);
    p->tail = (p->tail + 1) % ROWPIPE_SLOTS;
    p->slot[p->tail].n = 0;
    return rc;
}

int
rowpipe_put(void *ctx, const sim_row *row, char *err, size_t errlen)
{
    rowpipe *p = ctx;
    rp_batch *b = &p->slot[p->tail];

    b->row[b->n++] = *row;
    return b->n == ROWPIPE_BATCH ? rowpipe_hand(p, err, errlen) : 0;
}

static void
rowpipe_free(rowpipe *p)
{
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->filled);
    pthread_cond_destroy(&p->emptied);
    free(p);
}

int
rowpipe_finish(rowpipe *p, char *err, size_t errlen)
{
    int rc;

    pthread_mutex_lock(&p->mu);
    /* count < ROWPIPE_SLOTS here unless the sink failed: see rowpipe_hand */
    if (p->slot[p->tail].n > 0 && p->rc == 0)
        p->count++;
    p->closing = 1;
    pthread_cond_signal(&p->filled);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    rc = rowpipe_error(p, err, errlen);
    rowpipe_free(p);
    return rc;
}

void
rowpipe_stop(rowpipe *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->dropping = 1;
    pthread_cond_signal(&p->filled);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    rowpipe_free(p);
}
