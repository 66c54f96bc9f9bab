/* The worker threads emulations run in: the loop submits a job, a worker
 * runs its handler (which may block: a FIFO without a writer, a slow
 * filesystem) and sends the answer itself, so the task wakes without a
 * hop back through the loop; the loop gets the job back for the
 * counters and the log after its next poll (an ev_check), without being
 * woken for it while jobs keep coming (a timer collects what a sleeping
 * loop left, and stops once a period passed without any), through an
 * ev_async otherwise. Nothing here blocks the loop. */
#pragma once

#include <ev.h>

#include "handlers/handler.h"
#include "unotify/list.h"

struct listener;

struct job {
        struct emul_call call;
        const struct handler *handler;
        struct listener *listener; /* the owner's; the pool does not touch it */
        /* The owner's count of its jobs running in workers (under the
         * pool's lock): one listener never holds every worker, so tasks
         * blocked in opens (FIFOs without a writer) cannot stall the
         * others' emulations. */
        unsigned *running;
        struct list_node node;
        /* Set (under the pool's lock) before the answer function runs:
         * from then on the worker is not interrupted. An ADDFD with
         * ADDFD_FLAG_SEND marks the notification answered before it waits
         * for the task to take the fd, and ID_VALID calls it gone: a wake
         * signal then (the stale check) ended that wait, the retry got
         * EINPROGRESS, and the task was left with an answer of 0 (found by
         * the soak test). */
        bool answering;
        /* Set by the pool's answer function: the answer went (sent), with
         * what SEND/ADDFD returned (0 or -errno) and the task's fd number. */
        bool sent;
        int send_result;
        int target_fd;
        bool answered_error; /* what went was an errno */
        /* The pool stopped (a restart, an upgrade) while its handler
         * blocked (a FIFO open): the wake signal ended the call with EINTR,
         * which is no answer to give. Not answered: the owner journals it
         * for the next process to run again. */
        bool abandoned;
        /* Whether its worker may wait for the next job spinning (pool.c,
         * POOL_SPIN_NS): only while the loop serves one listener. When it
         * serves several, it stays busy after handing the job over, and a
         * spinning worker on its CPU waited behind it and the tasks its
         * answers woke for up to milliseconds (traced): another
         * listener's emulated open p99 rose 2-4x beside a flood, against
         * 0.7-1.1x with no spin. */
        bool spin_after;
        /* CLOCK_MONOTONIC: when RECV returned it (the loop) and when the
         * answer went (the worker), for the metrics. */
        uint64_t recv_ns, answered_ns;
};

struct pool;

/* Called in the loop for every job the pool is done with (run, or not
 * run because the pool is being freed: then call.error is -ENOSYS). The
 * callee owns the job. */
typedef void (*pool_done_fn)(struct job *job, void *userdata);
/* Called in the worker right after the handler ran (thread-safe: it may
 * only use the job and what the job borrows). */
typedef void (*pool_answer_fn)(struct job *job);

/* Start n worker threads (n >= 2). One owner (a job's running counter)
 * holds at most per_owner of them at a time (at most n - 1), and a second
 * one only while a worker stays free for the others. answer may be NULL.
 * Returns 0 or -errno. */
int pool_new(struct ev_loop *loop, unsigned n, unsigned per_owner, pool_answer_fn answer,
             pool_done_fn done, void *userdata, struct pool **ret);
/* Hand the jobs finished so far to done, now. Returns how many. In the
 * loop; also called after each poll and by a timer while jobs come. */
unsigned pool_collect(struct pool *p);
/* Queue job (taken). */
void pool_submit(struct pool *p, struct job *job);
/* Hand back now, through done and unrun, the queued jobs of the owner
 * `running` whose notification is no longer pending (its task was
 * interrupted and moved on, or died): they count as gone before SEND.
 * Returns how many. In the loop. */
unsigned pool_drop_gone(struct pool *p, const unsigned *running);
/* The same for the queued jobs of `running` made by thread `pid` (not 0):
 * a thread waits in one notification at a time, so once it has made
 * another its queued one is over, without asking the kernel. In the loop. */
unsigned pool_drop_thread(struct pool *p, const unsigned *running, uint32_t pid);
/* Wake and join the workers (one blocked in open(2) is interrupted),
 * hand every job back through done. Accepts NULL; returns NULL. */
struct pool *pool_free(struct pool *p);
