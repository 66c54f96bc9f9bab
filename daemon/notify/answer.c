/* The answer path of the listener set (listener_set.h): RECV -> decide ->
 * SEND for one ready listener, as one answer, held answers (a busy
 * listener) or a streak (a hot one alone), and how many in a row while
 * other listeners are served too. Which listener comes next is
 * listener_set.c's. */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>

#include "metrics/metrics.h"
#include "metrics/stats.h"
#include "notify/listener_set.h"
#include "notify/respond.h"
#include "notify/streak.h"
#include "restart/inflight.h"
#include "service/log.h"
#include "unotify/kernel.h"
#include "unotify/macro.h"
#include "unotify/policy.h"

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

static struct ratelimit send_errors = RATELIMIT_INIT(10ull * 1000000000u, 10);

/* One notification on its way to its answer: its in-flight journal slot
 * (-1: not journalled), when RECV returned it, the action decided. */
struct pending {
        int slot;
        uint64_t recv_ns;
        enum metrics_action action;
};

/* Whether the loop was serving several listeners at time ns (CLOCK_MONOTONIC):
 * another one was answered a moment before (listener_set_answer_ready). */
static bool shared_at(const struct listener_set *s, uint64_t ns)
{
        return ns < s->shared_until_ns;
}

/* A sync wake-up (wakeup.h) runs the answered task on this CPU, on the
 * promise that the loop sleeps next. While the loop is shared it goes on
 * with the other listeners' calls instead, and the task waited behind it
 * (ftrace beside a flood: 40-540 us while the other CPU idled), so the
 * loop gives way once. Another listener's notified getppid beside the
 * fairness test's hostile one, loaded/idle p99: 1.90-3.36x before,
 * 1.16-1.66x after (six tests each). */
static void keep_wake_up_promise(const struct listener_set *s, const struct listener *l,
                                 const struct pending *p)
{
        if (l->wakeup.on && shared_at(s, p->recv_ns))
                sched_yield();
}

/* SEND, then the in-flight journal forgets the notification. */
static void send_response(struct listener_set *s, struct listener *l,
                          struct seccomp_notif_resp *resp, const struct pending *p)
{
        int r = seccomp_notify_ioctl(l->fd, SECCOMP_IOCTL_NOTIF_SEND, resp);

        inflight_end(s->inflight, p->slot);
        if (r == 0) {
                l->counters.answered++;
                s->stats->answered++;
                histogram_observe(&s->metrics->decision_time[p->action], now_ns() - p->recv_ns);
                keep_wake_up_promise(s, l, p);
                return;
        }
        if (errno == ENOENT) {
                /* Interrupted by a signal or killed after RECV: normal. The
                 * kernel has dropped the notification; we hold nothing for
                 * it (an fd injected with ADDFD_FLAG_SEND is never
                 * installed without the answer). */
                l->send_gone++;
                s->stats->send_gone++;
                return;
        }
        /* Not answered as decided, and not for the task's going: counted
         * with the dropped ones, so that every notification ends in one
         * counter (logged, it is a bug or a kernel change). */
        l->counters.stale++;
        s->stats->stale++;
        if (ratelimit_allow(&send_errors))
                log_warning_errno(negative_errno(), "listener %llu: SECCOMP_IOCTL_NOTIF_SEND",
                                  (unsigned long long)l->id);
}

static bool notification_alive(const struct listener *l, uint64_t id)
{
        return seccomp_notify_ioctl(l->fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
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
        l->stats->stale++;
        log_debug("listener %llu: notification %llu of pid %u went stale while the target was "
                  "read; dropped",
                  (unsigned long long)l->id, (unsigned long long)req->id, req->pid);
        return false;
}

/* What became of a notification once decided: only OUTCOME_SEND leaves
 * an answer to send. Not errors: a handler answers on its own, and a
 * stale notification has nobody left to answer. */
enum outcome {
        OUTCOME_SEND,
        OUTCOME_TAKEN_BY_HANDLER,
        OUTCOME_DROPPED_STALE,
};

/* EMULATE: hand the decision to the owner's pool. False when the set
 * answers itself (dec is then what to answer). */
static bool taken_by_handler(struct listener_set *s, struct listener *l,
                             const struct seccomp_notif *req, struct unotify_decision *dec,
                             uint64_t recv_ns)
{
        bool shared = shared_at(s, recv_ns);
        int started = s->hooks.emulate
                              ? s->hooks.emulate(s->hooks.userdata, l, req, dec, recv_ns, shared)
                              : -ENOSYS;

        if (started == LISTENER_EMULATE_OVER_SHARE) { /* try again */
                dec->action = UNOTIFY_ACTION_ERRNO;
                dec->error = EAGAIN;
        }
        return started == LISTENER_EMULATE_STARTED;
}

static enum outcome decide_and_fill(struct listener_set *s, struct listener *l,
                                    const struct seccomp_notif *req,
                                    struct seccomp_notif_resp *resp, struct pending *p)
{
        struct unotify_decision dec;
        bool taken;
        int r;

        if (l->learn && s->hooks.record)
                s->hooks.record(s->hooks.userdata, l, req);
        r = respond_decide(l, req, &dec);

        if (!decision_stands(l, req, r))
                return OUTCOME_DROPPED_STALE;
        taken = dec.action == UNOTIFY_ACTION_EMULATE &&
                taken_by_handler(s, l, req, &dec, p->recv_ns);
        p->action = metrics_action_of(&dec);
        metrics_decision(l->metrics, &req->data, p->action);
        if (taken)
                return OUTCOME_TAKEN_BY_HANDLER; /* answered when its handler is done */
        memset(resp, 0, s->resp_size);
        respond_fill(l, req, &dec, resp);
        return OUTCOME_SEND;
}

/* RECV into req, journal it as in flight (p->slot), decide, fill resp.
 * Returns an enum outcome, or -errno when RECV failed. Only OUTCOME_SEND
 * leaves p for send_response. */
static int receive_and_decide(struct listener_set *s, struct listener *l, struct seccomp_notif *req,
                              struct seccomp_notif_resp *resp, struct pending *p)
{
        int r;

        p->slot = -1;
        /* Since 5.5 RECV wants a zeroed buffer. */
        memset(req, 0, s->req_size);
        if (ioctl(l->fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0)
                return negative_errno();
        p->recv_ns = now_ns();
        l->received++;
        s->stats->received++;
        wakeup_note(&l->wakeup, &s->load, &s->load_listeners, l->fd, req->pid, (uint32_t)l->id);
        /* Raised only for one listener's load: while the loop is shared, a
         * raised loop keeps the targets of the others waiting on its CPU. */
        priority_follow(&s->priority, s->load.busy && !shared_at(s, p->recv_ns));
        p->slot = inflight_begin(s->inflight, l->id, req); /* < 0: not journalled */
        r = decide_and_fill(s, l, req, resp, p);
        if (r != OUTCOME_SEND) {
                /* A handler answers on its own; a stale one has nobody left. */
                inflight_end(s->inflight, p->slot);
                p->slot = -1;
        }
        return r;
}

void listener_set_answer(struct listener_set *s, struct listener *l,
                         const struct seccomp_notif *req)
{
        struct pending p = { .slot = -1, .recv_ns = now_ns() };

        if (decide_and_fill(s, l, req, s->resp, &p) == OUTCOME_SEND)
                send_response(s, l, s->resp, &p);
}

static bool more_queued(int fd)
{
        struct pollfd p = { .fd = fd, .events = POLLIN };

        return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* Whether a listener other than l has something for the loop. A run of
 * answers for one listener asks it after every answer while the loop is
 * shared (another listener's call waits for one answer, not a batch), and
 * every STREAK_FAIR_CHECK answers of a streak otherwise. Asked every 4
 * answers even while shared, a hostile sandbox's flood left another
 * listener's notification queued for 53 us (median; 4-5 answers of the
 * flood, each paying for the preemption of the loop by the task it woke). */
#define STREAK_FAIR_CHECK 4
static bool others_ready(struct listener_set *s, struct listener *l)
{
        struct epoll_event ev[2];
        int n = epoll_wait(s->epfd, ev, 2, 0);

        for (int i = 0; i < n; i++)
                if (ev[i].data.ptr != l)
                        return true;
        return false;
}

/* A busy listener (wakeup.h): hold each answer until the next notification
 * is received. seccomp's poll walks the queue until it has seen a received
 * and a waiting notification; with the oldest one held that is two steps,
 * not the whole queue (the walk was 15% of the daemon's time with 64
 * threads queueing). Each answer waits one poll and one RECV longer. */
static int answer_held(struct listener_set *s, struct listener *l, int batch, bool shared)
{
        struct seccomp_notif *req[2] = { s->req, s->req_next };
        struct seccomp_notif_resp *resp[2] = { s->resp, s->resp_next };
        struct pending p[2];
        int held = 0, r = receive_and_decide(s, l, req[0], resp[0], &p[0]);

        if (r != OUTCOME_SEND)
                return r < 0 ? r : 0;
        for (int i = 0; i < batch && more_queued(l->fd) && !(shared && others_ready(s, l)); i++) {
                r = receive_and_decide(s, l, req[!held], resp[!held], &p[!held]);
                if (r < 0)
                        break;
                if (r != OUTCOME_SEND)
                        continue; /* nothing to send for it here: keep holding */
                send_response(s, l, resp[held], &p[held]);
                held = !held;
        }
        send_response(s, l, resp[held], &p[held]);
        return 0;
}

/* The only ready listener, and a hot one: RECV -> decide -> SEND in a row
 * without asking epoll in between (streak.h), until a RECV comes back
 * EINTR (nothing queued for a period), the period is over, another
 * listener is ready (others_ready), or `batch` answers. Returns 0, or
 * -errno when the first RECV failed. */
static int answer_streak(struct listener_set *s, struct listener *l, int batch, bool shared)
{
        struct pending p;
        int r = 0;

        s->stats->streaks++;
        for (int i = 0; i < batch && !streak_expired(); i++) {
                if (i > 0 && (shared || i % STREAK_FAIR_CHECK == 0) && others_ready(s, l))
                        return 0;
                r = receive_and_decide(s, l, s->req, s->resp, &p);
                if (r < 0 && i > 0) {
                        /* Nothing was known to be queued: EINTR is the
                         * timer (or the pool), ENOENT the filter's last
                         * user gone while we waited. */
                        s->stats->streak_waits += r == -EINTR;
                        return 0;
                }
                if (r < 0)
                        return r;
                if (r == OUTCOME_TAKEN_BY_HANDLER)
                        break; /* its caller waits for the loop, not for RECV */
                if (r == OUTCOME_SEND)
                        send_response(s, l, s->resp, &p);
        }
        return 0;
}

/* One RECV -> decide -> SEND. Returns 0, or -errno when RECV failed. */
static int answer_one(struct listener_set *s, struct listener *l, int batch, bool shared)
{
        struct pending p;
        int r;

        if (l->wakeup.window.busy)
                return answer_held(s, l, batch, shared);
        r = receive_and_decide(s, l, s->req, s->resp, &p);
        if (r == OUTCOME_SEND)
                send_response(s, l, s->resp, &p);
        return r < 0 ? r : 0;
}

/* Streak when l is the only ready listener and was answered a moment ago
 * too: then it is likely to have more queued, or soon. */
int listener_set_answer_ready(struct listener_set *s, struct listener *l, bool alone)
{
        uint64_t now = now_ns();
        bool hot = alone && now - l->last_answered_ns < LISTENER_HOT_NS;
        bool shared;
        int batch, r;

        /* Shared: another listener was answered a moment ago. */
        if (s->last_answered_id != l->id && now - s->last_answered_ns < LISTENER_HOT_NS)
                s->shared_until_ns = now + LISTENER_SHARED_NS;
        s->last_answered_id = l->id;
        shared = shared_at(s, now);
        batch = shared ? LISTENER_BATCH_SHARED : LISTENER_BATCH_ALONE;
        l->served_ns = now; /* the set's order among ready listeners */
        if (!hot || !streak_begin())
                r = answer_one(s, l, batch, shared);
        else {
                r = answer_streak(s, l, batch, shared);
                streak_end();
        }
        s->last_answered_ns = now_ns();
        l->last_answered_ns = alone ? s->last_answered_ns : 0;
        return r;
}
