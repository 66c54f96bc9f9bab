#include "offload.h"

#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum {
        JOB_RUNNING,
        JOB_DONE,
        JOB_ABANDONED,
};

/* Shared by the loop and the helper; the last of the two to let go frees
 * it, so neither ever touches freed memory (the helper's FUTEX_WAKE
 * included). */
struct job {
        _Atomic uint32_t state;
        _Atomic unsigned refs;
        void (*fn)(void *);
        max_align_t data[]; /* size bytes: the caller's job */
};

static _Atomic unsigned stuck;

unsigned offload_stuck(void)
{
        return atomic_load(&stuck);
}

static void job_unref(struct job *j)
{
        if (atomic_fetch_sub(&j->refs, 1) == 1)
                free(j);
}

static void *helper(void *arg)
{
        struct job *j = arg;

        j->fn(j->data);
        if (atomic_exchange(&j->state, JOB_DONE) == JOB_ABANDONED)
                atomic_fetch_sub(&stuck, 1); /* nobody waits: it is only ours now */
        else
                syscall(SYS_futex, &j->state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
        job_unref(j);
        return NULL;
}

/* Detached, with every signal blocked: the loop's signals are the loop's. */
static int start_helper(struct job *j)
{
        sigset_t all, old;
        pthread_attr_t attr;
        pthread_t t;
        int r;

        sigfillset(&all);
        r = pthread_attr_init(&attr);
        if (r != 0)
                return -r;
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        r = pthread_create(&t, &attr, helper, j);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        pthread_attr_destroy(&attr);
        return -r;
}

/* Until the helper is done or the deadline (CLOCK_MONOTONIC) passes. */
static void wait_done(struct job *j, const struct timespec *deadline)
{
        while (atomic_load(&j->state) == JOB_RUNNING) {
                long r = syscall(SYS_futex, &j->state, FUTEX_WAIT_BITSET_PRIVATE, JOB_RUNNING,
                                 deadline, NULL, FUTEX_BITSET_MATCH_ANY);

                if (r < 0 && errno == ETIMEDOUT)
                        return;
        }
}

int offload_run(void (*fn)(void *job), void *job, size_t size, uint64_t timeout_ns)
{
        uint32_t running = JOB_RUNNING;
        struct timespec deadline;
        struct job *j;
        int r;

        if (atomic_load(&stuck) >= OFFLOAD_STUCK_MAX)
                return -EAGAIN;
        j = malloc(sizeof(*j) + size);
        if (!j)
                return -ENOMEM;
        atomic_init(&j->state, JOB_RUNNING);
        atomic_init(&j->refs, 2);
        j->fn = fn;
        memcpy(j->data, job, size);
        r = start_helper(j);
        if (r < 0) {
                free(j);
                return r;
        }
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_sec += (time_t)(timeout_ns / 1000000000u);
        deadline.tv_nsec += (long)(timeout_ns % 1000000000u);
        if (deadline.tv_nsec >= 1000000000L) {
                deadline.tv_sec++;
                deadline.tv_nsec -= 1000000000L;
        }
        wait_done(j, &deadline);
        /* Counted before the helper can see ABANDONED and uncount it. */
        atomic_fetch_add(&stuck, 1);
        if (atomic_compare_exchange_strong(&j->state, &running, JOB_ABANDONED)) {
                job_unref(j);
                return -ETIMEDOUT;
        }
        atomic_fetch_sub(&stuck, 1);
        memcpy(job, j->data, size);
        job_unref(j);
        return 0;
}
