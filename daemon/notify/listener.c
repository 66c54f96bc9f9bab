#include "notify/listener.h"

#include <errno.h>
#include <ev.h>
#include <poll.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "loop/daemon.h"
#include "emulate/emulate.h"
#include "restart/fdstore.h"
#include "emulate/preempt_journal.h"
#include "restart/inflight.h"
#include "learn/learn.h"
#include "service/log.h"
#include "metrics/metrics.h"
#include "notify/respond.h"
#include "notify/streak.h"
#include "unotify/kernel.h"
#include "unotify/macro.h"
#include "unotify/policy.h"

/* Ready listeners taken per epoll_wait, and rounds per wake-up before
 * other watchers get a turn. */
#define LISTENER_BATCH 64
#define LISTENER_DRAIN_ROUNDS 16
/* Notifications answered in a row from one listener (held answers or a
 * streak); fewer while other listeners are being answered too, so a busy
 * one does not keep them waiting for a whole batch at every call. */
#define LISTENER_BATCH_ALONE 64
#define LISTENER_BATCH_SHARED 8
/* The loop counts as shared this long after it last went from one
 * listener to another within LISTENER_HOT_NS. */
#define LISTENER_SHARED_NS 10000000ull
/* A listener counts as hot when it is ready again this soon after it was
 * last answered. */
#define LISTENER_HOT_NS 200000ull

static struct ratelimit recv_errors = RATELIMIT_INIT(10ull * 1000000000u, 10);
static struct ratelimit send_errors = RATELIMIT_INIT(10ull * 1000000000u, 10);

static void on_listeners_ready(struct ev_loop *loop, ev_io *w, int revents);
static void log_counters(const struct listener *l, const char *why);

static int buffers_init(struct daemon *d)
{
        struct seccomp_notif_sizes sizes = {
                .seccomp_notif = sizeof(struct seccomp_notif),
                .seccomp_notif_resp = sizeof(struct seccomp_notif_resp),
        };

        /* Fails with ENOSYS under valgrind 3.19, which does not know
         * seccomp(2); our own struct sizes are then the right ones. */
        if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
                log_debug("SECCOMP_GET_NOTIF_SIZES: %m; using built-in sizes");
        d->req_size = sizes.seccomp_notif > sizeof(*d->req) ? sizes.seccomp_notif : sizeof(*d->req);
        d->resp_size = sizes.seccomp_notif_resp > sizeof(*d->resp) ? sizes.seccomp_notif_resp
                                                                      : sizeof(*d->resp);
        d->req = calloc(1, d->req_size);
        d->resp = calloc(1, d->resp_size);
        d->req_next = calloc(1, d->req_size);
        d->resp_next = calloc(1, d->resp_size);
        return d->req && d->resp && d->req_next && d->resp_next ? 0 : -ENOMEM;
}

int listener_set_init(struct daemon *d)
{
        int r = buffers_init(d);

        if (r < 0)
                return r;
        r = emulate_init(d);
        if (r < 0)
                return r;
        streak_init(); /* without it, never a streak */
        d->listeners_epfd = epoll_create1(EPOLL_CLOEXEC);
        if (d->listeners_epfd < 0)
                return negative_errno();
        ev_io_init(&d->listeners_io, on_listeners_ready, d->listeners_epfd, EV_READ);
        ev_io_start(d->loop, &d->listeners_io);
        return 0;
}

void listener_set_drain(struct daemon *d)
{
        /* Bounded: a target that keeps calling must not keep us alive. */
        for (int i = 0; i < 64; i++) {
                uint64_t before = d->stats.received;

                on_listeners_ready(d->loop, &d->listeners_io, EV_READ);
                if (d->stats.received == before)
                        return;
        }
}

void listener_set_done(struct daemon *d)
{
        /* First: the pool hands back every job, which may free a listener. */
        emulate_done(d);
        while (!list_empty(&d->listeners)) {
                struct listener *l = container_of(d->listeners.next, struct listener, node);

                log_counters(l, "closed at exit");
                listener_free(l);
        }
        if (d->listeners_epfd >= 0) {
                ev_io_stop(d->loop, &d->listeners_io);
                d->listeners_epfd = safe_close(d->listeners_epfd);
        }
        streak_done();
        free(d->req);
        free(d->resp);
        free(d->req_next);
        free(d->resp_next);
        d->req = d->req_next = NULL;
        d->resp = d->resp_next = NULL;
}

bool listener_fd_is_seccomp(int fd)
{
        char path[64], target[64];
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        n = readlink(path, target, sizeof(target) - 1);
        if (n < 0)
                return false;
        target[n] = '\0';
        return strcmp(target, UNOTIFY_LISTENER_LINK) == 0;
}

/* One notification on its way to its answer: its in-flight journal slot
 * (-1: not journalled), when RECV returned it, the action decided. */
struct pending {
        int slot;
        uint64_t recv_ns;
        enum metrics_action action;
};

/* SEND, then the in-flight journal forgets the notification. */
static void send_response(struct listener *l, struct seccomp_notif_resp *resp, const struct pending *p)
{
        struct daemon *d = l->daemon;
        int r = ioctl(l->fd, SECCOMP_IOCTL_NOTIF_SEND, resp);

        inflight_end(d, p->slot);
        if (r == 0) {
                l->counters.answered++;
                d->stats.answered++;
                histogram_observe(&d->metrics.decision_time[p->action], now_ns() - p->recv_ns);
                return;
        }
        if (errno == ENOENT) {
                /* Interrupted by a signal or killed after RECV: normal. The
                 * kernel has dropped the notification; we hold nothing for
                 * it (an fd injected with ADDFD_FLAG_SEND is never
                 * installed without the answer). */
                l->send_gone++;
                d->stats.send_gone++;
                return;
        }
        /* Not answered as decided, and not for the task's going: counted
         * with the dropped ones, so that every notification ends in one
         * counter (logged, it is a bug or a kernel change). */
        l->counters.stale++;
        d->stats.stale++;
        if (ratelimit_allow(&send_errors))
                log_warning_errno(negative_errno(), "listener %llu: SECCOMP_IOCTL_NOTIF_SEND",
                                  (unsigned long long)l->id);
}

static bool notification_alive(const struct listener *l, uint64_t id)
{
        return ioctl(l->fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

/* After a decision that read the target: false when the notification
 * must be dropped unanswered because its ID is no longer valid (the task
 * died or was interrupted, and its pid may already be another task's:
 * what we read may not be the caller's). The reads validate the ID
 * themselves (target.c); -ENOENT from them says the task is gone, which
 * one more ID_VALID confirms. */
static bool decision_stands(struct listener *l, const struct seccomp_notif *req, int view_result)
{
        if (view_result == -EFAULT)
                l->counters.efault++;
        if (view_result != -ENOENT || notification_alive(l, req->id))
                return true;
        l->counters.stale++;
        l->daemon->stats.stale++;
        log_debug("listener %llu: notification %llu of pid %u went stale while the target was "
                  "read; dropped",
                  (unsigned long long)l->id, (unsigned long long)req->id, req->pid);
        return false;
}

/* Decide req and fill resp. Returns 0 (resp is the answer to send),
 * TAKEN_BY_HANDLER or DROPPED_STALE. */
#define TAKEN_BY_HANDLER 1
#define DROPPED_STALE 2

static int decide_and_fill(struct listener *l, const struct seccomp_notif *req,
                           struct seccomp_notif_resp *resp, struct pending *p)
{
        struct unotify_decision dec;
        int r;

        if (l->learn)
                learn_listener_record(l, req);
        r = respond_decide(l, req, &dec);

        if (!decision_stands(l, req, r))
                return DROPPED_STALE;
        if (dec.action == UNOTIFY_ACTION_EMULATE) {
                int started = emulate_start(l, req, &dec, p->recv_ns);

                if (started == 0) { /* over its share of the pool: try again */
                        dec.action = UNOTIFY_ACTION_ERRNO;
                        dec.error = EAGAIN;
                }
                if (started > 0) {
                        p->action = metrics_action_of(&dec);
                        metrics_decision(l->metrics, &req->data, p->action);
                        return TAKEN_BY_HANDLER; /* answered when its handler is done */
                }
        }
        p->action = metrics_action_of(&dec);
        metrics_decision(l->metrics, &req->data, p->action);
        memset(resp, 0, l->daemon->resp_size);
        respond_fill(l, req, &dec, resp);
        return 0;
}

/* RECV into req, journal it as in flight (p->slot), decide, fill resp.
 * Returns what decide_and_fill does, or -errno when RECV failed. Only a
 * 0 leaves p for send_response. */
static int receive_and_decide(struct listener *l, struct seccomp_notif *req,
                              struct seccomp_notif_resp *resp, struct pending *p)
{
        struct daemon *d = l->daemon;
        int r;

        p->slot = -1;
        /* Since 5.5 RECV wants a zeroed buffer. */
        memset(req, 0, d->req_size);
        if (ioctl(l->fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0)
                return negative_errno();
        p->recv_ns = now_ns();
        l->received++;
        d->stats.received++;
        wakeup_note(&l->wakeup, &d->load, l->fd, req->pid);
        priority_follow(&d->priority, d->load.busy);
        p->slot = inflight_begin(d, l->id, req);
        r = decide_and_fill(l, req, resp, p);
        if (r != 0) {
                /* A handler answers on its own; a stale one has nobody left. */
                inflight_end(d, p->slot);
                p->slot = -1;
        }
        return r;
}

void listener_answer(struct listener *l, const struct seccomp_notif *req)
{
        struct daemon *d = l->daemon;
        struct pending p = { .slot = -1, .recv_ns = now_ns() };

        if (decide_and_fill(l, req, d->resp, &p) == 0)
                send_response(l, d->resp, &p);
}

static bool more_queued(int fd)
{
        struct pollfd p = { .fd = fd, .events = POLLIN };

        return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* A busy listener (wakeup.h): hold each answer until the next notification
 * is received. seccomp's poll walks the queue until it has seen a received
 * and a waiting notification; with the oldest one held that is two steps,
 * not the whole queue (the walk was 15% of the daemon's time with 64
 * threads queueing). Each answer waits one poll and one RECV longer. */
static int answer_held(struct listener *l, int batch)
{
        struct daemon *d = l->daemon;
        struct seccomp_notif *req[2] = { d->req, d->req_next };
        struct seccomp_notif_resp *resp[2] = { d->resp, d->resp_next };
        struct pending p[2];
        int held = 0, r = receive_and_decide(l, req[0], resp[0], &p[0]);

        if (r != 0)
                return r < 0 ? r : 0;
        for (int i = 0; i < batch && more_queued(l->fd); i++) {
                r = receive_and_decide(l, req[!held], resp[!held], &p[!held]);
                if (r < 0)
                        break;
                if (r != 0)
                        continue; /* nothing to send for it here: keep holding */
                send_response(l, resp[held], &p[held]);
                held = !held;
        }
        send_response(l, resp[held], &p[held]);
        return 0;
}

/* Whether a listener other than l has something for the loop: asked every
 * STREAK_FAIR_CHECK answers of a streak, so that one listener flooding the
 * loop keeps the others waiting for a few answers, not for a whole period
 * (1 ms: a hostile sandbox's flood made another listener's p99 16x its
 * idle one). */
#define STREAK_FAIR_CHECK 4
static bool others_ready(struct listener *l)
{
        struct epoll_event ev[2];
        int n = epoll_wait(l->daemon->listeners_epfd, ev, 2, 0);

        for (int i = 0; i < n; i++)
                if (ev[i].data.ptr != l)
                        return true;
        return false;
}

/* The only ready listener, and a hot one: RECV -> decide -> SEND in a row
 * without asking epoll in between (streak.h), until a RECV comes back
 * EINTR (nothing queued for a period), the period is over, or
 * `batch` answers. Returns 0, or -errno when the first RECV
 * failed. */
static int answer_streak(struct listener *l, int batch)
{
        struct daemon *d = l->daemon;
        struct pending p;
        int r = 0;

        d->stats.streaks++;
        for (int i = 0; i < batch && !streak_expired(); i++) {
                if (i > 0 && i % STREAK_FAIR_CHECK == 0 && others_ready(l))
                        return 0;
                r = receive_and_decide(l, d->req, d->resp, &p);
                if (r < 0 && i > 0) {
                        /* Nothing was known to be queued: EINTR is the
                         * timer (or the pool), ENOENT the filter's last
                         * user gone while we waited. */
                        d->stats.streak_waits += r == -EINTR;
                        return 0;
                }
                if (r < 0)
                        return r;
                if (r == TAKEN_BY_HANDLER)
                        break; /* its caller waits for the loop, not for RECV */
                if (r == 0)
                        send_response(l, d->resp, &p);
        }
        return 0;
}

/* One RECV -> decide -> SEND. Returns 0, or -errno when RECV failed. */
static int answer_one(struct listener *l, int batch)
{
        struct daemon *d = l->daemon;
        struct pending p;
        int r;

        if (l->wakeup.window.busy)
                return answer_held(l, batch);
        r = receive_and_decide(l, d->req, d->resp, &p);
        if (r == 0)
                send_response(l, d->resp, &p);
        return r < 0 ? r : 0;
}

static uint64_t monotonic_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Streak when l is the only ready listener and was answered a moment ago
 * too: then it is likely to have more queued, or soon. */
static int answer_ready(struct listener *l, bool alone)
{
        struct daemon *d = l->daemon;
        uint64_t now = monotonic_ns();
        bool hot = alone && now - l->last_answered_ns < LISTENER_HOT_NS;
        int batch, r;

        /* Shared: another listener was answered a moment ago. */
        if (d->last_answered_id != l->id && now - d->last_answered_ns < LISTENER_HOT_NS)
                d->shared_until_ns = now + LISTENER_SHARED_NS;
        d->last_answered_id = l->id;
        batch = now < d->shared_until_ns ? LISTENER_BATCH_SHARED : LISTENER_BATCH_ALONE;
        if (!hot || !streak_begin())
                r = answer_one(l, batch);
        else {
                r = answer_streak(l, batch);
                streak_end();
        }
        d->last_answered_ns = monotonic_ns();
        l->last_answered_ns = alone ? d->last_answered_ns : 0;
        return r;
}

/* One line a test or an admin can read the counters from; the control
 * socket reports the same fields. */
static void log_counters(const struct listener *l, const char *why)
{
        const struct listener_counters *c = &l->counters;

        log_info(
                "listener %llu (%s): %s; %llu notifications, %llu answered, %llu gone before RECV, "
                "%llu gone before SEND, %llu stale dropped, %llu EFAULT; WAIT_KILLABLE_RECV %s",
                (unsigned long long)l->id, l->container_id, why, (unsigned long long)l->received,
                (unsigned long long)c->answered, (unsigned long long)c->recv_gone,
                (unsigned long long)l->send_gone, (unsigned long long)c->stale,
                (unsigned long long)c->efault, listener_wait_killable_str(l));
}

static void listener_ready(struct listener *l, uint32_t events, bool alone)
{
        int r;

        /* Only a real EPOLLIN may lead to RECV outside a streak: RECV
         * blocks on an empty queue (it ignores O_NONBLOCK). */
        if (events & EPOLLIN) {
                r = answer_ready(l, alone);
                if (r == -ENOENT) {
                        /* The target went away first: normal. */
                        l->counters.recv_gone++;
                        l->daemon->stats.recv_gone++;
                } else if (r < 0 && r != -EINTR && ratelimit_allow(&recv_errors))
                        log_warning_errno(r, "listener %llu: SECCOMP_IOCTL_NOTIF_RECV",
                                          (unsigned long long)l->id);
                return;
        }
        if (events & (EPOLLHUP | EPOLLERR)) {
                /* Workers answer by themselves and the loop counts after:
                 * with emulations still out, the summary waits for them. */
                if (l->jobs > 0)
                        l->end_reason = "no task uses the filter any more";
                else
                        log_counters(l, "no task uses the filter any more");
                fdstore_listener_gone(l->daemon, l);
                listener_free(l);
        }
}

/* Answer one notification of every ready listener, and again while more
 * are ready, up to a bound so other watchers get their turn. */
static void on_listeners_ready(struct ev_loop *loop, ev_io *w, int revents)
{
        struct daemon *d = container_of(w, struct daemon, listeners_io);
        struct epoll_event events[LISTENER_BATCH];

        (void)loop;
        (void)revents;
        for (int round = 0; round < LISTENER_DRAIN_ROUNDS; round++) {
                int n = epoll_wait(d->listeners_epfd, events, LISTENER_BATCH, 0);

                if (n <= 0)
                        return;
                for (int i = 0; i < n; i++)
                        listener_ready(events[i].data.ptr, events[i].events, n == 1);
        }
}

int listener_add(struct daemon *d, int fd, struct unotify_policy *policy, const char *container_id,
                 pid_t pid, struct listener **ret)
{
        return listener_add_id(d, fd, policy, container_id, pid, d->next_listener_id + 1, ret);
}

int listener_add_id(struct daemon *d, int fd, struct unotify_policy *policy, const char *container_id,
                    pid_t pid, uint64_t id, struct listener **ret)
{
        struct listener *l = calloc(1, sizeof(*l));

        if (!l || !(l->container_id = strdup(container_id))) {
                free(l);
                safe_close(fd);
                unotify_policy_unref(policy);
                return -ENOMEM;
        }
        l->daemon = d;
        l->fd = fd;
        l->policy = policy;
        l->needs_view = unotify_policy_needs_target_view(policy);
        l->metrics = metrics_policy_get(&d->metrics, policy);
        l->pid = pid;
        l->id = id;
        if (id > d->next_listener_id)
                d->next_listener_id = id;
        list_add_tail(&d->listeners, &l->node);
        d->n_listeners++;
        d->stats.listeners_added++;
        /* Linux 6.6+: SEND wakes the target on this CPU, and its next
         * notification wakes us the same way (KERNEL.md: ~23 -> ~13 us per
         * round trip here); wakeup.h says when it is switched off. */
        wakeup_init(&l->wakeup, fd, d->opts->sync_wake_up);
        if (l->wakeup.available)
                d->stats.sync_wake_up++;
        (void)learn_listener_begin(l);
        if (epoll_ctl(d->listeners_epfd, EPOLL_CTL_ADD, fd,
                      &(struct epoll_event){ .events = EPOLLIN, .data.ptr = l }) < 0) {
                int r = negative_errno();

                listener_free(l);
                return r;
        }
        if (ret)
                *ret = l;
        return 0;
}

static void origin_clear(struct listener *l)
{
        for (size_t i = 0; i < 2 * l->n_annotations; i++)
                free(l->annotations[i]);
        free(l->annotations);
        free(l->metadata);
        l->annotations = NULL;
        l->metadata = NULL;
        l->n_annotations = 0;
}

int listener_set_origin(struct listener *l, const char *metadata, char *const *annotations, size_t n)
{
        origin_clear(l);
        if (metadata && !(l->metadata = strdup(metadata)))
                return -ENOMEM;
        if (n == 0)
                return 0;
        l->annotations = calloc(2 * n, sizeof(char *));
        if (!l->annotations)
                return origin_clear(l), -ENOMEM;
        l->n_annotations = n;
        for (size_t i = 0; i < 2 * n; i++)
                if (!(l->annotations[i] = strdup(annotations[i])))
                        return origin_clear(l), -ENOMEM;
        return 0;
}

static void listener_destroy(struct listener *l)
{
        if (l->end_reason)
                log_counters(l, l->end_reason);
        if (l->journal_recorded)
                log_info("listener %llu: %llu emulated answers lost to signals, %llu restarted "
                         "calls answered from the journal",
                         (unsigned long long)l->id, (unsigned long long)l->journal_recorded,
                         (unsigned long long)l->journal_replayed);
        learn_listener_end(l);
        journal_free(l->journal);
        safe_close(l->fd);
        unotify_policy_unref(l->policy);
        origin_clear(l);
        free(l->container_id);
        free(l);
}

void listener_job_done(struct listener *l)
{
        l->jobs--;
        if (l->dead && l->jobs == 0)
                listener_destroy(l);
}

struct listener *listener_free(struct listener *l)
{
        if (!l || l->dead)
                return NULL;
        /* Out of the set before the fd is closed (a dup elsewhere would keep
         * it registered). ENOENT: it never got in. */
        epoll_ctl(l->daemon->listeners_epfd, EPOLL_CTL_DEL, l->fd, NULL);
        list_del(&l->node);
        l->daemon->n_listeners--;
        l->daemon->stats.listeners_freed++;
        if (l->jobs > 0) {
                l->dead = true;
                return NULL;
        }
        listener_destroy(l);
        return NULL;
}

void listener_set_seccomp_flags(struct listener *l, bool has_flags, uint64_t flags)
{
        l->seccomp_flags = has_flags ? flags : 0;
        if (!has_flags)
                l->wait_killable = LISTENER_WAIT_KILLABLE_UNKNOWN;
        else if (flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
                l->wait_killable = LISTENER_WAIT_KILLABLE_YES;
        else
                l->wait_killable = LISTENER_WAIT_KILLABLE_NO;
}

const char *listener_wait_killable_str(const struct listener *l)
{
        switch (l->wait_killable) {
        case LISTENER_WAIT_KILLABLE_YES:
                return "yes";
        case LISTENER_WAIT_KILLABLE_NO:
                return "no";
        case LISTENER_WAIT_KILLABLE_UNKNOWN:
                break;
        }
        return "unknown";
}
