#include "emulate/offload.h"

#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "unotify/clock.h"

enum {
        JOB_RUNNING,
        JOB_DONE,
        JOB_ABANDONED,
};

/* Shared by the loop and the helper; the last of the two to let go frees
 * it, so neither ever touches freed memory (the helper's FUTEX_WAKE
 * included). */
struct offload_job {
        _Atomic uint32_t state;
        _Atomic bool waiter_parked; /* the loop sleeps in FUTEX_WAIT on state */
        _Atomic unsigned refs;
        void (*fn)(void *);
        max_align_t data[]; /* size bytes: the caller's job */
};

static _Atomic unsigned stuck;

unsigned offload_stuck(void)
{
        return atomic_load(&stuck);
}

static void job_unref(struct offload_job *j)
{
        if (atomic_fetch_sub(&j->refs, 1) == 1)
                free(j);
}

/* The helper thread: created once and reused for job after job (a thread
 * per job cost more than the read itself: a path rule went from 1.2x to
 * 13x the reference supervisor). A job that outlives its wait retires its
 * thread: the loop forgets it and starts another for the next job. */
struct helper {
        _Atomic uint32_t posted; /* futex: 1 when `job` is there to take */
        _Atomic bool parked;     /* in FUTEX_WAIT on posted: post() must wake it */
        struct offload_job *job;
        pthread_t thread;
};

static struct helper *current; /* the loop's; NULL until needed or after an abandon */

/* A hint to the CPU that this is a wait loop (x86's PAUSE). */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
}

bool offload_spin_while(_Atomic uint32_t *word, uint32_t value, uint64_t ns)
{
        uint64_t end = now_ns() + ns;

        for (;;) {
                for (int i = 0; i < 64; i++) {
                        if (atomic_load_explicit(word, memory_order_acquire) != value)
                                return true;
                        cpu_relax();
                }
                if (now_ns() >= end)
                        return false;
                /* The other side may be waiting for this very CPU (on a
                 * loaded machine, or one with few CPUs): without the yield
                 * the hand-over waited for the spin to end, and a path
                 * rule's read took 13x the reference instead of ~1.2x. */
                sched_yield();
        }
}

static void wait_posted(struct helper *h)
{
        if (offload_spin_while(&h->posted, 0, OFFLOAD_SPIN_NS))
                return;
        atomic_store(&h->parked, true);
        while (atomic_load(&h->posted) == 0)
                syscall(SYS_futex, &h->posted, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
        atomic_store(&h->parked, false);
}

/* Returns true when the job was abandoned: then this thread retires. */
static bool run_job(struct offload_job *j)
{
        bool abandoned;

        j->fn(j->data);
        abandoned = atomic_exchange(&j->state, JOB_DONE) == JOB_ABANDONED;
        if (abandoned)
                atomic_fetch_sub(&stuck, 1); /* nobody waits: it is only ours now */
        else if (atomic_load(&j->waiter_parked))
                syscall(SYS_futex, &j->state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
        job_unref(j);
        return abandoned;
}

static void *helper(void *arg)
{
        struct helper *h = arg;

        for (;;) {
                struct offload_job *j;

                wait_posted(h);
                j = h->job;
                atomic_store(&h->posted, 0);
                if (run_job(j))
                        break;
        }
        free(h); /* the loop dropped it when it abandoned the job */
        return NULL;
}

/* Detached, with every signal blocked: the loop's signals are the loop's. */
static int start_helper(struct helper *h)
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
        r = pthread_create(&t, &attr, helper, h);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        h->thread = t;
        pthread_attr_destroy(&attr);
        return -r;
}

static int post(struct offload_job *j)
{
        int r;

        if (!current) {
                current = calloc(1, sizeof(*current));
                if (!current)
                        return -ENOMEM;
                r = start_helper(current);
                if (r < 0) {
                        current = (free(current), NULL);
                        return r;
                }
        }
        current->job = j;
        atomic_store(&current->posted, 1);
        if (atomic_load(&current->parked))
                syscall(SYS_futex, &current->posted, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
        return 0;
}

/* Until the helper is done or the deadline (CLOCK_MONOTONIC) passes. */
static void wait_done(struct offload_job *j, const struct timespec *deadline)
{
        if (offload_spin_while(&j->state, JOB_RUNNING, OFFLOAD_SPIN_NS))
                return;
        atomic_store(&j->waiter_parked, true);
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
        struct offload_job *j;
        int r;

        static _Thread_local int on_loop = -1; /* gettid(2) is a syscall */

        /* Only the loop (the main thread) must not block; an emulation
         * worker may, and runs the job itself. */
        if (on_loop < 0)
                on_loop = gettid() == getpid();
        if (!on_loop) {
                fn(job);
                return 0;
        }
        if (atomic_load(&stuck) >= OFFLOAD_STUCK_MAX)
                return -EAGAIN;
        j = malloc(sizeof(*j) + size);
        if (!j)
                return -ENOMEM;
        atomic_init(&j->state, JOB_RUNNING);
        atomic_init(&j->refs, 2);
        atomic_init(&j->waiter_parked, false);
        j->fn = fn;
        memcpy(j->data, job, size);
        r = post(j);
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
                current = NULL; /* its thread retires when the job ends */
                job_unref(j);
                return -ETIMEDOUT;
        }
        atomic_fetch_sub(&stuck, 1);
        memcpy(job, j->data, size);
        job_unref(j);
        return 0;
}
