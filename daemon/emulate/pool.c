#include "emulate/pool.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "notify/streak.h"
#include "notify/target.h"
#include "unotify/macro.h"
#include "emulate/worker.h"

#define POOL_MAX 16
/* How often jobs still running are checked: a handler blocked for a task
 * that is gone (killed while its open of a FIFO waits for a writer) is
 * interrupted, so dead tasks cannot use up the workers. */
#define STALE_CHECK_SECONDS 1.0

struct pool {
        struct ev_loop *loop;
        pool_answer_fn answer;
        pool_done_fn done;
        void *userdata;
        ev_async wake;
        ev_timer stale;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        struct list_node queue;    /* submitted */
        struct list_node finished; /* run, for the loop */
        unsigned in_flight;        /* submitted, not yet handed back */
        unsigned n_ready;          /* workers past worker_init() */
        unsigned busy;             /* workers running a job */
        unsigned per_owner;        /* workers one owner may hold at once */
        bool stop;
        unsigned n_workers;
        struct worker workers[POOL_MAX];
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

static struct job *next_job(struct pool *p, struct worker *w)
{
        struct job *job = NULL;

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
        struct job *job;

        pthread_mutex_lock(&p->lock);
        p->n_ready++;
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->lock);
        while ((job = next_job(p, w))) {
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
                pthread_mutex_lock(&p->lock);
                w->job = NULL;
                (*job->running)--;
                p->busy--;
                list_add_tail(&p->finished, &job->node);
                /* A job of the same owner may have waited for this one.
                 * With nothing queued there is nobody to wake: waking every
                 * idle worker to find nothing cost more than the open. */
                if (!list_empty(&p->queue))
                        pthread_cond_broadcast(&p->cond);
                pthread_mutex_unlock(&p->lock);
                streak_interrupt();
                ev_async_send(p->loop, &p->wake);
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

static void on_finished(struct ev_loop *loop, ev_async *w, int revents)
{
        struct pool *p = container_of(w, struct pool, wake);
        struct list_node batch;

        (void)loop;
        (void)revents;
        streak_interrupt_seen();
        list_init(&batch);
        pthread_mutex_lock(&p->lock);
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
        pthread_mutex_lock(&p->lock);
        list_add_tail(&p->queue, &job->node);
        p->in_flight++;
        pthread_cond_signal(&p->cond);
        pthread_mutex_unlock(&p->lock);
        if (!ev_is_active(&p->stale))
                ev_timer_start(p->loop, &p->stale);
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
        pthread_cond_destroy(&p->cond);
        pthread_mutex_destroy(&p->lock);
        free(p);
        return NULL;
}
