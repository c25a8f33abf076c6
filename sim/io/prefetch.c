/* SPDX-License-Identifier: MIT
 *
 * Prefetch (see prefetch.h): one producer thread and one consumer, handing
 * over whole batches so that the lock is taken once per PREFETCH_BATCH
 * requests, not once per request.
 *
 * The slots form a ring: slot[head .. head + count) are full, in order; the
 * consumer reads slot[head] (cur) in place and gives it back only when it
 * is done with it, so the slot the producer fills, slot[(head + count) %
 * PREFETCH_SLOTS], is never one the consumer is reading. The last batch
 * carries the source's final answer (the end, or an error and its
 * message); the consumer keeps it for good, so that asking again gives the
 * same answer, as the source would, and the producer, its work done,
 * returns.
 */
#include "sim/io/prefetch.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#define PREFETCH_MSG 512

typedef struct pf_batch {
    sim_request req[PREFETCH_BATCH];
    size_t n;
    int rc;                     /* 1: more follow; else the source's last */
    char err[PREFETCH_MSG];
} pf_batch;

struct prefetch {
    sim_source_fn src;
    void *ctx;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t filled, emptied;
    size_t head, count;         /* under mu */
    int stop;                   /* under mu */
    pf_batch *cur;              /* the consumer's, or NULL */
    size_t pos;
    pf_batch slot[PREFETCH_SLOTS];
};

/* Waits for a free slot; 0 when told to stop instead. */
static int
prefetch_wait_free(prefetch *p)
{
    int go;

    pthread_mutex_lock(&p->mu);
    while (p->count == PREFETCH_SLOTS && !p->stop)
        pthread_cond_wait(&p->emptied, &p->mu);
    go = !p->stop;
    pthread_mutex_unlock(&p->mu);
    return go;
}

static void
prefetch_fill(prefetch *p, pf_batch *b)
{
    b->n = 0;
    b->rc = 1;
    b->err[0] = '\0';
    while (b->n < PREFETCH_BATCH) {
        int rc = p->src(p->ctx, &b->req[b->n], b->err, sizeof b->err);
        if (rc != 1) {
            b->rc = rc;
            return;
        }
        b->n++;
    }
}

static void *
prefetch_run(void *arg)
{
    prefetch *p = arg;
    size_t tail = 0;

    while (prefetch_wait_free(p)) {
        pf_batch *b = &p->slot[tail];

        prefetch_fill(p, b);
        pthread_mutex_lock(&p->mu);
        p->count++;
        pthread_cond_signal(&p->filled);
        pthread_mutex_unlock(&p->mu);
        if (b->rc != 1)
            break;
        tail = (tail + 1) % PREFETCH_SLOTS;
    }
    return NULL;
}

/* Starts the thread with every signal blocked, so that SIGINT and SIGTERM
 * go to the caller's thread, whose handler stops the run. */
static int
prefetch_spawn(prefetch *p)
{
    sigset_t all, old;
    int rc;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&p->thread, NULL, prefetch_run, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

int
prefetch_start(prefetch **out, sim_source_fn src, void *ctx, char *err,
               size_t errlen)
{
    prefetch *p = calloc(1, sizeof *p);

    *out = NULL;
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return SIM_EIO;
    }
    p->src = src;
    p->ctx = ctx;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->filled, NULL);
    pthread_cond_init(&p->emptied, NULL);
    if (prefetch_spawn(p) != 0) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->filled);
        pthread_cond_destroy(&p->emptied);
        free(p);
        snprintf(err, errlen, "cannot start the reading thread");
        return SIM_EIO;
    }
    *out = p;
    return 0;
}

/* Gives the batch read back to the producer and waits for the next. */
static void
prefetch_advance(prefetch *p)
{
    pthread_mutex_lock(&p->mu);
    if (p->cur) {
        p->head = (p->head + 1) % PREFETCH_SLOTS;
        p->count--;
        pthread_cond_signal(&p->emptied);
    }
    while (p->count == 0)
        pthread_cond_wait(&p->filled, &p->mu);
    p->cur = &p->slot[p->head];
    p->pos = 0;
    pthread_mutex_unlock(&p->mu);
}

int
prefetch_next(void *ctx, sim_request *out, char *err, size_t errlen)
{
    prefetch *p = ctx;

    for (;;) {
        if (p->cur && p->pos < p->cur->n) {
            *out = p->cur->req[p->pos++];
            return 1;
        }
        if (p->cur && p->cur->rc != 1) {
            if (p->cur->rc != 0 && err && errlen)
                snprintf(err, errlen, "%s", p->cur->err);
            return p->cur->rc;
        }
        prefetch_advance(p);
    }
}

void
prefetch_stop(prefetch *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_signal(&p->emptied);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->filled);
    pthread_cond_destroy(&p->emptied);
    free(p);
}
