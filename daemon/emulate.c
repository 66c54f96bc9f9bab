#include "emulate.h"

#include <errno.h>
#include <ev.h> /* before seccomp.h: its linux/elf.h defines EV_NONE */
#include <fcntl.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "daemon.h"
#include "handlers/journal.h"
#include "handlers/pool.h"
#include "listener.h"
#include "log.h"
#include "unotify/kernel.h"
#include "unotify/macro.h"

/* Enough for a few blocking opens (FIFOs) without starving the rest; the
 * stale-job check frees workers held by tasks that are gone. */
#define EMULATE_WORKERS 4

static struct ratelimit answer_errors = RATELIMIT_INIT(10ull * 1000000000u, 10);
static struct ratelimit refusals = RATELIMIT_INIT(10ull * 1000000000u, 10);

/* ADDFD + SEND in one: returns 0, or -errno (-ENOENT: the task was
 * interrupted or died; the fd was not installed). */
static int send_fd(struct listener *l, const struct emul_call *c)
{
        struct seccomp_notif_addfd addfd = {
                .id = c->req.id,
                .flags = SECCOMP_ADDFD_FLAG_SEND,
                .srcfd = (uint32_t)c->fd,
                .newfd_flags = c->cloexec ? O_CLOEXEC : 0,
        };

        return ioctl(l->fd, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd) < 0 ? negative_errno() : 0;
}

static int send_plain(struct listener *l, const struct emul_call *c, int error)
{
        struct seccomp_notif_resp *resp = l->daemon->resp;

        memset(resp, 0, l->daemon->resp_size);
        resp->id = c->req.id;
        resp->error = -error;
        resp->val = error ? 0 : c->val;
        return ioctl(l->fd, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 ? negative_errno() : 0;
}

static void log_refusal(struct listener *l, const struct job *job)
{
        const struct emul_call *c = &job->call;

        if (!c->why || !ratelimit_allow(&refusals))
                return;
        log_info("listener %llu (%s): pid %u: handler \"%s\" answers %s: %s",
                 (unsigned long long)l->id, l->container_id, c->req.pid, job->handler->name,
                 unotify_errno_name(c->error) ?: "an errno", c->why);
}

static void answer(struct job *job)
{
        struct listener *l = job->listener;
        struct emul_call *c = &job->call;
        int r;

        if (c->error == 0 && c->fd >= 0) {
                r = send_fd(l, c);
                /* EMFILE/EBADF: the task's RLIMIT_NOFILE; it gets that. */
                if (r < 0 && r != -ENOENT)
                        r = send_plain(l, c, -r);
        } else {
                r = send_plain(l, c, c->error);
        }
        if (r == 0) {
                l->daemon->stats.answered++;
                log_refusal(l, job);
                return;
        }
        if (r != -ENOENT) {
                if (ratelimit_allow(&answer_errors))
                        log_warning_errno(r, "listener %llu: answering an emulated call",
                                          (unsigned long long)l->id);
                return;
        }
        /* Interrupted after RECV: a restarted call must not redo it. */
        l->send_gone++;
        l->daemon->stats.send_gone++;
        if (c->side_effect && l->journal) {
                journal_record(l->journal, c);
                l->journal_recorded++;
        }
}

static void on_job_done(struct job *job, void *userdata)
{
        struct listener *l = job->listener;

        (void)userdata;
        if (!l->dead)
                answer(job);
        if (job->call.replayed)
                l->journal_replayed++;
        safe_close(job->call.fd);
        listener_job_done(l);
        free(job);
}

int emulate_init(struct daemon *d)
{
        return pool_new(d->loop, EMULATE_WORKERS, on_job_done, d, &d->pool);
}

void emulate_done(struct daemon *d)
{
        d->pool = pool_free(d->pool);
}

bool emulate_start(struct listener *l, const struct seccomp_notif *req,
                   const struct unotify_decision *dec)
{
        const struct handler *h = handler_lookup(dec->handler);
        struct job *job;

        if (!h || !l->daemon->pool)
                return false;
        if (!l->journal && !(l->journal = journal_new()))
                return false;
        job = calloc(1, sizeof(*job));
        if (!job)
                return false;
        job->handler = h;
        job->listener = l;
        job->call = (struct emul_call){
                .req = *req,
                .listener_fd = l->fd,
                .policy = l->policy,
                .dec = *dec,
                .opts = unotify_policy_handler_options(l->policy, dec->rule),
                .journal = l->journal,
                .fd = -1,
        };
        l->jobs++;
        pool_submit(l->daemon->pool, job);
        return true;
}
