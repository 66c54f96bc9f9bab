#include "emulate/pool.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "notify/streak.h"
#include "notify/target.h"
#include "unotify/clock.h"
#include "unotify/macro.h"
#include "emulate/offload.h"
#include "emulate/worker.h"

#define POOL_MAX 16
/* How often jobs still running are checked: a handler blocked for a task
 * that is gone (killed while its open of a FIFO waits for a writer) is
 * interrupted, so dead tasks cannot use up the workers. */
#define STALE_CHECK_SECONDS 1.0
/* How long a worker that just finished a job checks the queue before it
 * sleeps (the loop then hands it the next job without a futex wake-up:
 * a cross-CPU wake-up costs this VM ~35 us). Only one worker at a time,
 * and only right after a job: an idle pool does not spin. */
#define POOL_SPIN_NS (50ull * 1000)
/* How long a finished job may wait for the loop while the loop is asleep
 * and jobs keep coming (pool.h: the loop is not woken for each one). */
#define COLLECT_SECONDS 0.01

/* A worker's pool.spin word. */
enum {
        SPIN_NONE,    /* not spinning */
        SPIN_WAITING, /* checking its word, for up to POOL_SPIN_NS */
        SPIN_CLAIMED, /* a job was queued for it: no futex wake was made */
};

struct pool {
        struct ev_loop *loop;
        pool_answer_fn answer;
        pool_done_fn done;
        void *userdata;
        ev_async wake;
        ev_timer stale;
        ev_check check;   /* collects finished jobs after each poll */
        ev_timer collect; /* ... and while the loop sleeps, every COLLECT_SECONDS */
        /* Whether a finished job wakes the loop (ev_async): only while
         * the collect timer is stopped. Written by the loop under lock. */
        _Atomic bool wake_loop;
        _Atomic unsigned n_finished; /* on `finished`; changed under lock */
        pthread_mutex_t lock;
        pthread_cond_t cond;
        struct list_node queue;    /* submitted */
        struct list_node finished; /* run, for the loop */
        unsigned in_flight;        /* submitted, not yet handed back */
        unsigned n_ready;          /* workers past worker_init() */
        unsigned busy;             /* workers running a job */
        unsigned per_owner;        /* workers one owner may hold at once */
        unsigned spinners;         /* workers in SPIN_WAITING */
        bool stop;
        unsigned n_workers;
        struct worker workers[POOL_MAX];
        _Atomic uint32_t spin[POOL_MAX]; /* SPIN_*: set under lock, read without */
};

/* Interrupts a worker's blocking call: installed without SA_RESTART. */
static int wake_signal(void)
{
        return SIGRTMIN;
}

static void on_wake_signal(int sig)
{
        (void)sig;
}

/* The oldest queued job whose owner is below its share, or NULL. An
 * owner that already has a job running takes a second worker only while
 * another stays free: owners with nothing running always find one, however
 * many owners block theirs on purpose. Under the lock. */
static struct job *runnable(struct pool *p)
{
        for (struct list_node *n = p->queue.next; n != &p->queue; n = n->next) {
                struct job *job = container_of(n, struct job, node);
                unsigned running = *job->running;

                if (running < p->per_owner && (running == 0 || p->busy + 1 < p->n_workers))
                        return job;
        }
        return NULL;
}

/* Whether the worker at index i may spin after its job: the job says so
 * (struct job's spin_after), nothing queued may run now, and no other
 * worker spins (one CPU at most). Not "the queue is empty": a sandbox
 * keeping its share of jobs queued on purpose would then take the spin
 * from every other listener's calls. Under the lock. */
static bool spin_start(struct pool *p, unsigned i, bool spin_after)
{
        if (!spin_after || p->stop || p->spinners > 0 || runnable(p))
                return false;
        p->spinners++;
        atomic_store(&p->spin[i], SPIN_WAITING);
        return true;
}

/* Wait for a claim (pool_submit), for POOL_SPIN_NS at most; then clear
 * the word under the lock, which next_job holds on return. */
static void spin_end(struct pool *p, unsigned i)
{
        /* It yields between rounds: on a machine with few CPUs the task
         * this worker just answered may wait for its CPU (a spin that did
         * not yield made the emulated open slower: 139 against 107 us in
         * one quick run). */
        offload_spin_while(&p->spin[i], SPIN_WAITING, POOL_SPIN_NS);
        pthread_mutex_lock(&p->lock);
        if (atomic_load(&p->spin[i]) == SPIN_WAITING)
                p->spinners--;
        atomic_store(&p->spin[i], SPIN_NONE);
}

/* A spinner for the job just queued: no futex wake-up needed, it takes
 * the lock and looks at the queue within POOL_SPIN_NS. Under the lock. */
static bool spin_claim(struct pool *p)
{
        if (p->spinners == 0)
                return false;
        for (unsigned i = 0; i < p->n_workers; i++)
                if (atomic_load(&p->spin[i]) == SPIN_WAITING) {
                        atomic_store(&p->spin[i], SPIN_CLAIMED);
                        p->spinners--;
                        return true;
                }
        return false;
}

/* spinning: spin_start() said so, with the lock released since. */
static struct job *next_job(struct pool *p, struct worker *w, bool spinning)
{
        struct job *job = NULL;

        if (spinning)
                spin_end(p, (unsigned)(w - p->workers));
        else
                pthread_mutex_lock(&p->lock);
        while (!(job = runnable(p)) && !p->stop)
                pthread_cond_wait(&p->cond, &p->lock);
        /* Stopping (a restart, an upgrade): what is queued still runs, shares
         * aside; its task waits for this answer, which no next process can
         * give (it cannot receive the notification again). */
        if (!job && p->stop && p->queue.next != &p->queue)
                job = container_of(p->queue.next, struct job, node);
        if (job) {
                list_del(&job->node);
                (*job->running)++;
                p->busy++;
                w->job = job;
        }
        pthread_mutex_unlock(&p->lock);
        return job;
}

static void *worker_main(void *arg)
{
        struct worker *w = arg;
        struct pool *p = w->pool;
        int init = worker_init(w);
        bool spinning = false, spin_after;
        struct job *job;

        pthread_mutex_lock(&p->lock);
        p->n_ready++;
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->lock);
        while ((job = next_job(p, w, spinning))) {
                if (init < 0)
                        job->call.error = -ENOSYS; /* cannot borrow the target's view */
                else
                        job->handler->run(&job->call, w);
                /* A worker left with a task's root or rights serves no one. */
                if (init >= 0 && (worker_restore(w) < 0 || w->broken))
                        init = -EIO;
                pthread_mutex_lock(&p->lock);
                job->abandoned = p->stop && job->call.error == -EINTR;
                pthread_mutex_unlock(&p->lock);
                if (p->answer && !job->abandoned) {
                        pthread_mutex_lock(&p->lock);
                        job->answering = true;
                        pthread_mutex_unlock(&p->lock);
                        p->answer(job);
                }
                spin_after = job->spin_after;
                pthread_mutex_lock(&p->lock);
                w->job = NULL;
                (*job->running)--;
                p->busy--;
                list_add_tail(&p->finished, &job->node);
                atomic_fetch_add(&p->n_finished, 1);
                /* A job of the same owner may have waited for this one.
                 * With nothing queued there is nobody to wake: waking every
                 * idle worker to find nothing cost more than the open. */
                if (!list_empty(&p->queue))
                        pthread_cond_broadcast(&p->cond);
                spinning = spin_start(p, (unsigned)(w - p->workers), spin_after);
                pthread_mutex_unlock(&p->lock);
                /* Read after the job is on `finished` (the lock orders it
                 * with on_collect's check): either the loop is woken, or
                 * its collect timer runs and finds the job. */
                if (atomic_load(&p->wake_loop)) {
                        streak_interrupt();
                        ev_async_send(p->loop, &p->wake);
                }
        }
        worker_done(w);
        return NULL;
}

static void hand_back(struct pool *p, struct list_node *list)
{
        while (!list_empty(list)) {
                struct job *job = container_of(list->next, struct job, node);

                list_del(&job->node);
                p->in_flight--;
                p->done(job, p->userdata);
        }
        if (p->in_flight == 0)
                ev_timer_stop(p->loop, &p->stale);
}

/* Hand the finished jobs to the loop. Returns how many. In the loop. */
unsigned pool_collect(struct pool *p)
{
        struct list_node batch;
        unsigned n;

        list_init(&batch);
        pthread_mutex_lock(&p->lock);
        n = atomic_exchange(&p->n_finished, 0);
        if (!list_empty(&p->finished)) {
                /* Move the whole list over. */
                batch.next = p->finished.next;
                batch.prev = p->finished.prev;
                batch.next->prev = &batch;
                batch.prev->next = &batch;
                list_init(&p->finished);
        }
        pthread_mutex_unlock(&p->lock);
        hand_back(p, &batch);
        return n;
}

static void on_finished(struct ev_loop *loop, ev_async *w, int revents)
{
        struct pool *p = container_of(w, struct pool, wake);

        (void)loop;
        (void)revents;
        streak_interrupt_seen();
        pool_collect(p);
}

/* After each poll, before any other watcher (a stats request sees every
 * job finished before the loop woke): one atomic load when none is. */
static void on_check(struct ev_loop *loop, ev_check *w, int revents)
{
        struct pool *p = container_of(w, struct pool, check);

        (void)loop;
        (void)revents;
        if (atomic_load_explicit(&p->n_finished, memory_order_relaxed))
                pool_collect(p);
}

/* A period without a finished job left for it: back to waking the loop
 * for each one, and the timer stops (an idle pool sets no timer). */
static void on_collect(struct ev_loop *loop, ev_timer *t, int revents)
{
        struct pool *p = container_of(t, struct pool, collect);
        bool idle;

        (void)revents;
        pthread_mutex_lock(&p->lock);
        idle = list_empty(&p->finished);
        if (idle)
                atomic_store(&p->wake_loop, true);
        pthread_mutex_unlock(&p->lock);
        if (idle)
                ev_timer_stop(loop, t);
        else
                pool_collect(p);
}

static void on_stale_check(struct ev_loop *loop, ev_timer *t, int revents)
{
        struct pool *p = container_of(t, struct pool, stale);

        (void)loop;
        (void)revents;
        pthread_mutex_lock(&p->lock);
        for (unsigned i = 0; i < p->n_workers; i++) {
                struct job *job = p->workers[i].job;

                /* Not while it answers (struct job): the task takes the fd. */
                if (job && !job->answering &&
                    target_id_valid(job->call.listener_fd, job->call.req.id) < 0)
                        pthread_kill(p->workers[i].thread, wake_signal());
        }
        pthread_mutex_unlock(&p->lock);
}

static int start_workers(struct pool *p, unsigned n)
{
        sigset_t all, old;
        int r = 0;

        /* Workers take no process signal but the wake-up: libev's handlers
         * and the journald of SIGTERM stay with the loop's thread. */
        sigfillset(&all);
        sigdelset(&all, wake_signal());
        pthread_sigmask(SIG_SETMASK, &all, &old);
        for (unsigned i = 0; i < n && r == 0; i++) {
                struct worker *w = &p->workers[i];

                w->pool = p;
                r = -pthread_create(&w->thread, NULL, worker_main, w);
                if (r == 0) {
                        w->started = true;
                        pthread_mutex_lock(&p->lock);
                        p->n_workers++;
                        pthread_mutex_unlock(&p->lock);
                }
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return r;
}

int pool_new(struct ev_loop *loop, unsigned n, unsigned per_owner, pool_answer_fn answer,
             pool_done_fn done, void *userdata, struct pool **ret)
{
        struct sigaction sa = { .sa_handler = on_wake_signal };
        struct pool *p = calloc(1, sizeof(*p));
        int r;

        if (!p)
                return -ENOMEM;
        p->loop = loop;
        p->answer = answer;
        p->done = done;
        p->userdata = userdata;
        pthread_mutex_init(&p->lock, NULL);
        pthread_cond_init(&p->cond, NULL);
        list_init(&p->queue);
        list_init(&p->finished);
        ev_async_init(&p->wake, on_finished);
        ev_async_start(loop, &p->wake);
        atomic_init(&p->wake_loop, true);
        atomic_init(&p->n_finished, 0);
        ev_check_init(&p->check, on_check);
        ev_set_priority(&p->check, EV_MAXPRI);
        ev_check_start(loop, &p->check);
        ev_timer_init(&p->collect, on_collect, COLLECT_SECONDS, COLLECT_SECONDS);
        ev_timer_init(&p->stale, on_stale_check, STALE_CHECK_SECONDS, STALE_CHECK_SECONDS);
        sigemptyset(&sa.sa_mask);
        sigaction(wake_signal(), &sa, NULL);
        n = n < 2 ? 2 : n < POOL_MAX ? n : POOL_MAX;
        p->per_owner = per_owner < 1 ? 1 : per_owner < n ? per_owner : n - 1;
        r = start_workers(p, n);
        if (r < 0) {
                pool_free(p);
                return r;
        }
        /* Their fds (root, /proc) are open before the daemon says READY:
         * its fd count is settled from then on. */
        pthread_mutex_lock(&p->lock);
        while (p->n_ready < p->n_workers)
                pthread_cond_wait(&p->cond, &p->lock);
        pthread_mutex_unlock(&p->lock);
        *ret = p;
        return 0;
}

/* Its task no longer waits in the job's notification: the kernel says so. */
static bool job_task_gone(const struct job *job, uint32_t unused)
{
        (void)unused;
        return target_id_valid(job->call.listener_fd, job->call.req.id) != 0;
}

/* Its thread has made another notification, so it waits in this one no more. */
static bool job_of_thread(const struct job *job, uint32_t pid)
{
        return job->call.req.pid == pid;
}

static unsigned drop_queued(struct pool *p, const unsigned *running,
                            bool (*over)(const struct job *, uint32_t), uint32_t arg)
{
        struct list_node gone;
        unsigned n = 0;

        list_init(&gone);
        pthread_mutex_lock(&p->lock);
        for (struct list_node *node = p->queue.next, *next; node != &p->queue; node = next) {
                struct job *job = container_of(node, struct job, node);

                next = node->next;
                if (job->running != running || !over(job, arg))
                        continue;
                list_del(&job->node);
                job->sent = true; /* nobody to answer: the task moved on */
                job->send_result = -ENOENT;
                list_add_tail(&gone, &job->node);
                n++;
        }
        pthread_mutex_unlock(&p->lock);
        hand_back(p, &gone);
        return n;
}

unsigned pool_drop_gone(struct pool *p, const unsigned *running)
{
        return drop_queued(p, running, job_task_gone, 0);
}

unsigned pool_drop_thread(struct pool *p, const unsigned *running, uint32_t pid)
{
        return pid ? drop_queued(p, running, job_of_thread, pid) : 0;
}

void pool_submit(struct pool *p, struct job *job)
{
        bool claimed;

        pthread_mutex_lock(&p->lock);
        list_add_tail(&p->queue, &job->node);
        p->in_flight++;
        claimed = spin_claim(p);
        pthread_mutex_unlock(&p->lock);
        /* After the unlock: the woken worker does not find it held. */
        if (!claimed)
                pthread_cond_signal(&p->cond);
        if (!ev_is_active(&p->stale))
                ev_timer_start(p->loop, &p->stale);
        /* Jobs coming: finished ones wait for the loop's next wake-up (at
         * most COLLECT_SECONDS) instead of waking it, each, for the
         * counters. */
        if (atomic_load(&p->wake_loop)) {
                atomic_store(&p->wake_loop, false);
                ev_timer_start(p->loop, &p->collect);
        }
}

/* Join w, interrupting a blocking call until it returns to the queue. */
static void join_worker(struct pool *p, struct worker *w)
{
        for (;;) {
                struct timespec deadline;

                pthread_mutex_lock(&p->lock);
                if (!w->job || !w->job->answering)
                        pthread_kill(w->thread, wake_signal());
                pthread_mutex_unlock(&p->lock);
                clock_gettime(CLOCK_REALTIME, &deadline);
                deadline.tv_nsec += 50 * 1000000;
                if (deadline.tv_nsec >= 1000000000) {
                        deadline.tv_sec++;
                        deadline.tv_nsec -= 1000000000;
                }
                if (pthread_timedjoin_np(w->thread, NULL, &deadline) == 0)
                        return;
                pthread_mutex_lock(&p->lock);
                pthread_cond_broadcast(&p->cond);
                pthread_mutex_unlock(&p->lock);
        }
}

struct pool *pool_free(struct pool *p)
{
        if (!p)
                return NULL;
        pthread_mutex_lock(&p->lock);
        p->stop = true;
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->lock);
        for (unsigned i = 0; i < p->n_workers; i++)
                join_worker(p, &p->workers[i]);
        for (struct list_node *n = p->queue.next; n != &p->queue; n = n->next)
                container_of(n, struct job, node)->call.error = -ENOSYS;
        hand_back(p, &p->finished);
        hand_back(p, &p->queue);
        ev_async_stop(p->loop, &p->wake);
        ev_timer_stop(p->loop, &p->stale);
        ev_timer_stop(p->loop, &p->collect);
        ev_check_stop(p->loop, &p->check);
        pthread_cond_destroy(&p->cond);
        pthread_mutex_destroy(&p->lock);
        free(p);
        return NULL;
}
