#include "emulate/emulate.h"

#include <errno.h>
#include <ev.h> /* before seccomp.h: its linux/elf.h defines EV_NONE */
#include <fcntl.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "loop/daemon.h"
#include "emulate/preempt_journal.h"
#include "emulate/pool.h"
#include "notify/listener_set.h"
#include "restart/inflight.h"
#include "service/log.h"
#include "unotify/clock.h"
#include "unotify/kernel.h"
#include "unotify/macro.h"

/* Enough for a few blocking opens (FIFOs) without starving the rest; the
 * stale-job check frees workers held by tasks that are gone. */

static struct ratelimit answer_errors = RATELIMIT_INIT(10ull * 1000000000u, 10);
static struct ratelimit refusals = RATELIMIT_INIT(10ull * 1000000000u, 10);

/* ADDFD + SEND in one: returns 0, or -errno (-ENOENT: the task was
 * interrupted or died; the fd was not installed). */
/* The kernel's struct seccomp_notif_resp fits (checked at init). */
#define RESP_MAX 256

static int send_fd(const struct emul_call *c, int *ret_fd)
{
        struct seccomp_notif_addfd addfd = {
                .id = c->req.id,
                .flags = SECCOMP_ADDFD_FLAG_SEND,
                .srcfd = (uint32_t)c->fd,
                .newfd_flags = c->cloexec ? O_CLOEXEC : 0,
        };
        int r;

        /* ADDFD waits for the task to take the fd. The pool sends no wake
         * signal to a worker that answers (pool.h, struct job): with
         * ADDFD_FLAG_SEND an interrupted wait cannot be retried (the
         * notification already counts as answered: EINPROGRESS). */
        do
                r = ioctl(c->listener_fd, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return negative_errno();
        *ret_fd = r; /* the task's fd number */
        return 0;
}

/* error: 0, or the negative errno the call fails with. */
static int send_plain(const struct job *job, int error)
{
        const struct emul_call *c = &job->call;
        union {
                struct seccomp_notif_resp resp;
                unsigned char bytes[RESP_MAX];
        } buf = {};

        buf.resp.id = c->req.id;
        buf.resp.error = error;
        buf.resp.val = error ? 0 : c->val;
        if (!error && c->continue_call)
                buf.resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE, buf.resp.val = 0;
        return seccomp_notify_ioctl(c->listener_fd, SECCOMP_IOCTL_NOTIF_SEND, &buf) < 0
                       ? negative_errno()
                       : 0;
}

/* Verbose only, like respond.c's decisions: the name costs an allocation. */
static void log_answer(struct listener *l, const struct job *job, int fd)
{
        const struct emul_call *c = &job->call;
        _cleanup_(freep) char *name =
                seccomp_syscall_resolve_num_arch(c->req.data.arch, c->req.data.nr);
        char result[48];

        if (c->error)
                snprintf(result, sizeof(result), "%s", unotify_errno_name(-c->error) ?: "an errno");
        else if (fd >= 0)
                snprintf(result, sizeof(result), "fd %d", fd);
        else
                snprintf(result, sizeof(result), "%lld", (long long)c->val);
        log_info("listener %llu (%s): pid %u %s -> UNOTIFY_ACT_EMULATE %s: %s%s",
                 (unsigned long long)l->id, l->container_id, c->req.pid, name ? name : "?",
                 job->handler->name, result, c->replayed ? " (from the journal)" : "");
}

static void log_refusal(struct listener *l, const struct job *job)
{
        const struct emul_call *c = &job->call;

        if (!c->why || !ratelimit_allow(&refusals))
                return;
        log_info("listener %llu (%s): pid %u: handler \"%s\" answers %s: %s",
                 (unsigned long long)l->id, l->container_id, c->req.pid, job->handler->name,
                 unotify_errno_name(-c->error) ?: "an errno", c->why);
}

/* In the worker, right after the handler: the task wakes now, not after
 * a round trip through the loop. Only the job and what it borrows are
 * touched (the listener's fd stays open while it has jobs; the journal
 * has its own lock). */
static void send_answer(struct job *job)
{
        struct emul_call *c = &job->call;
        int r;

        job->target_fd = -1;
        if (c->error == 0 && c->fd >= 0) {
                r = send_fd(c, &job->target_fd);
                /* ESRCH: the task was interrupted with the fd queued, which
                 * it then dropped. EMFILE/EBADF: the task's RLIMIT_NOFILE;
                 * it gets that. */
                if (r == -ESRCH)
                        r = -ENOENT;
                else if (r < 0 && r != -ENOENT) {
                        job->answered_error = true;
                        r = send_plain(job, r);
                }
        } else {
                job->answered_error = c->error != 0;
                r = send_plain(job, c->error);
        }
        job->answered_ns = now_ns();
        if (r == 0 && c->journal)
                journal_answered(c->journal, c);
        c->fd = safe_close(c->fd);
        job->send_result = r;
        job->sent = true;
}

static enum metrics_handler_result result_of(const struct job *job)
{
        if (job->send_result == -ENOENT)
                return METRICS_RESULT_GONE;
        if (job->send_result < 0)
                return METRICS_RESULT_FAILED;
        if (job->answered_error)
                return METRICS_RESULT_ERRNO;
        return job->target_fd >= 0 ? METRICS_RESULT_FD : METRICS_RESULT_VALUE;
}

/* The labelled metrics of an emulated call, answered or not. */
static void account_metrics(struct metrics *m, const struct job *job)
{
        unsigned h = (unsigned)job->call.dec.handler < METRICS_HANDLERS
                             ? (unsigned)job->call.dec.handler
                             : 0;
        uint64_t took = job->answered_ns - job->recv_ns;

        m->handler_results[h][result_of(job)]++;
        if (job->send_result != 0)
                return;
        histogram_observe(&m->handler_time[h], took);
        histogram_observe(&m->decision_time[METRICS_EMULATE], took);
}

/* In the loop: count and log what the worker sent. Every notification
 * ends in one counter, also when its listener died meanwhile. */
static void account(struct daemon *d, struct job *job)
{
        struct listener *l = job->listener;
        struct emul_call *c = &job->call;
        int r = job->send_result;

        account_metrics(&d->metrics, job);
        if (r == 0) {
                l->counters.answered++;
                d->stats.answered++;
                log_refusal(l, job);
                if (log_enabled(LOG_INFO))
                        log_answer(l, job, job->target_fd);
                return;
        }
        if (r != -ENOENT) {
                /* Counted all the same (stale: not answered as we meant),
                 * so that every notification ends in one counter. */
                l->counters.stale++;
                d->stats.stale++;
                if (ratelimit_allow(&answer_errors))
                        log_warning_errno(r, "listener %llu: answering an emulated call",
                                          (unsigned long long)l->id);
                return;
        }
        /* Interrupted after RECV: normal (the journal has it). */
        l->send_gone++;
        d->stats.send_gone++;
        if (c->side_effect)
                l->journal_recorded++;
}

/* The next process answers it from the in-flight journal: it cannot
 * receive it again. Counted by neither process as answered. */
static void journal_abandoned(struct daemon *d, struct job *job)
{
        const struct listener *l = job->listener;

        if (inflight_begin(d->set->inflight, l->id, &job->call.req) < 0) {
                send_answer(job); /* EINTR: better than no answer */
                return;
        }
        log_info("listener %llu: notification %llu (pid %u) left to the next process: its "
                 "emulation was interrupted by the stop",
                 (unsigned long long)l->id, (unsigned long long)job->call.req.id,
                 job->call.req.pid);
}

static void on_job_done(struct job *job, void *userdata)
{
        struct listener *l = job->listener;

        if (job->abandoned)
                journal_abandoned(userdata, job);
        else if (!job->sent) /* not run: the pool is being freed */
                send_answer(job);
        if (!job->abandoned || job->sent)
                account(userdata, job);
        if (job->call.replayed)
                l->journal_replayed++;
        safe_close(job->call.fd);
        l->jobs--;
        listener_unref(l); /* the job's reference */
        free(job);
}

int emulate_init(struct daemon *d)
{
        const char *why = NULL;

        /* The loader lets a handler's syscalls reach it: the two lists
         * must be one. A build where they differ does not start. */
        if (handlers_check(&why) < 0)
                return log_error_errno(-EINVAL,
                                       "handler \"%s\": registered syscalls differ from "
                                       "the policy library's",
                                       why);
        if (d->set->resp_size > RESP_MAX)
                return log_error_errno(-EOVERFLOW,
                                       "the kernel's seccomp_notif_resp has %zu bytes, "
                                       "more than the %d this build knows",
                                       d->set->resp_size, RESP_MAX);
        return 0;
}

static bool set_emulates(const struct unotify_policy_set *set)
{
        for (size_t i = 0; set && i < unotify_policy_set_count(set); i++) {
                const struct unotify_policy *p = unotify_policy_set_at(set, i);

                for (size_t j = 0; j < unotify_policy_rule_count(p); j++)
                        if (unotify_policy_rule_handler(p, (int)j) != UNOTIFY_HANDLER_NONE)
                                return true;
        }
        return false;
}

int emulate_ensure(struct daemon *d, const struct unotify_policy_set *set)
{
        int r;

        if (d->pool || !set_emulates(set))
                return 0;
        r = pool_new(d->loop, d->opts->limits.workers, d->opts->limits.listener_workers,
                     send_answer, on_job_done, d, &d->pool);
        if (r < 0)
                return log_error_errno(r, "cannot start the %u emulation workers",
                                       d->opts->limits.workers);
        log_info("%u emulation workers started: a policy emulates", d->opts->limits.workers);
        return 0;
}

void emulate_done(struct daemon *d)
{
        d->pool = pool_free(d->pool);
}

/* A listener's jobs in the pool, running or queued, stay within its
 * share: the workers it may hold plus the queue behind them. */
/* Asking the kernel about every queued job is one ioctl each (some 60 us
 * in the loop for a full queue): at most this often per listener, so that
 * a sandbox retrying its refused calls at once does not take the loop
 * from the others. */
#define SHARE_PRUNE_INTERVAL_NS (50 * 1000 * 1000ull)

static bool over_share(struct daemon *d, struct listener *l, uint32_t pid)
{
        const struct limits *lim = &d->opts->limits;
        const unsigned share = lim->listener_workers + lim->listener_queue;
        uint64_t now;

        if (l->jobs < share)
                return false;
        /* Finished, not yet collected (pool.h: the loop is not woken for
         * each): not in the pool any more. */
        if (pool_collect(d->pool) > 0 && l->jobs < share)
                return false;
        /* Queued for tasks that have moved on (a signal interrupted their
         * call, which they made again): not work any more. The caller's
         * own thread first, which costs no system call. */
        if (pool_drop_thread(d->pool, &l->jobs_running, pid) > 0 && l->jobs < share)
                return false;
        now = now_ns();
        if (now - l->share_pruned_ns >= SHARE_PRUNE_INTERVAL_NS) {
                l->share_pruned_ns = now;
                if (pool_drop_gone(d->pool, &l->jobs_running) > 0 && l->jobs < share)
                        return false;
        }
        d->stats.emulations_refused++;
        l->counters.emulations_refused++;
        if (ratelimit_allow(&refusals))
                log_notice("listener %llu (%s): %u emulations in the pool, its share "
                           "(listener-workers %u + "
                           "listener-queue %u): answering EAGAIN",
                           (unsigned long long)l->id, l->container_id, l->jobs,
                           lim->listener_workers, lim->listener_queue);
        return true;
}

int emulate_start(struct daemon *d, struct listener *l, const struct seccomp_notif *req,
                  const struct unotify_decision *dec, uint64_t recv_ns, bool shared)
{
        const struct handler *h = handler_lookup(dec->handler);
        struct job *job;

        if (!h || !d->pool)
                return -ENOSYS;
        if (over_share(d, l, req->pid))
                return LISTENER_EMULATE_OVER_SHARE;
        if (!l->journal && !(l->journal = journal_new()))
                return -ENOMEM;
        job = calloc(1, sizeof(*job));
        if (!job)
                return -ENOMEM;
        job->handler = h;
        job->listener = listener_ref(l); /* until on_job_done */
        job->running = &l->jobs_running;
        job->recv_ns = recv_ns;
        job->spin_after = !shared;
        job->call = (struct emul_call){
                .req = *req,
                .listener_fd = l->fd,
                .policy = l->policy,
                .dec = *dec,
                .opts = unotify_policy_handler_options(l->policy, dec->rule),
                /* A task of a WAIT_KILLABLE_RECV filter is not woken by a
                 * signal once its call was received: nothing to dedupe,
                 * and an identical call made on purpose right after
                 * (mount, umount, mount again) must run again. */
                .journal = l->wait_killable == LISTENER_WAIT_KILLABLE_YES ? NULL : l->journal,
                .fd = -1,
        };
        l->jobs++;
        pool_submit(d->pool, job);
        return LISTENER_EMULATE_STARTED;
}
