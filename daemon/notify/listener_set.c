#include "notify/listener_set.h"

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

#include "metrics/metrics.h"
#include "metrics/stats.h"
#include "notify/respond.h"
#include "notify/streak.h"
#include "restart/inflight.h"
#include "service/log.h"
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

static int buffers_init(struct listener_set *s)
{
        struct seccomp_notif_sizes sizes = {
                .seccomp_notif = sizeof(struct seccomp_notif),
                .seccomp_notif_resp = sizeof(struct seccomp_notif_resp),
        };

        /* Fails with ENOSYS under valgrind 3.19, which does not know
         * seccomp(2); our own struct sizes are then the right ones. */
        if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
                log_debug("SECCOMP_GET_NOTIF_SIZES: %m; using built-in sizes");
        s->req_size = sizes.seccomp_notif > sizeof(*s->req) ? sizes.seccomp_notif : sizeof(*s->req);
        s->resp_size = sizes.seccomp_notif_resp > sizeof(*s->resp) ? sizes.seccomp_notif_resp
                                                                   : sizeof(*s->resp);
        s->req = calloc(1, s->req_size);
        s->resp = calloc(1, s->resp_size);
        s->req_next = calloc(1, s->req_size);
        s->resp_next = calloc(1, s->resp_size);
        return s->req && s->resp && s->req_next && s->resp_next ? 0 : -ENOMEM;
}

int listener_set_new(struct ev_loop *loop, bool sync_wake_up, struct daemon_stats *stats,
                     struct metrics *metrics, const struct listener_hooks *hooks,
                     struct listener_set **ret)
{
        struct listener_set *s = calloc(1, sizeof(*s));
        int r;

        if (!s)
                return -ENOMEM;
        s->loop = loop;
        s->epfd = -1;
        s->sync_wake_up = sync_wake_up;
        s->stats = stats;
        s->metrics = metrics;
        if (hooks)
                s->hooks = *hooks;
        list_init(&s->listeners);
        r = buffers_init(s);
        if (r < 0)
                return listener_set_free(s), r;
        s->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (s->epfd < 0) {
                r = negative_errno();
                return listener_set_free(s), r;
        }
        streak_init(); /* without it, never a streak */
        ev_io_init(&s->io, on_listeners_ready, s->epfd, EV_READ);
        ev_io_start(loop, &s->io);
        *ret = s;
        return 0;
}

void listener_set_drain(struct listener_set *s)
{
        /* Bounded: a target that keeps calling must not keep us alive. */
        for (int i = 0; i < 64; i++) {
                uint64_t before = s->stats->received;

                on_listeners_ready(s->loop, &s->io, EV_READ);
                if (s->stats->received == before)
                        return;
        }
}

struct listener_set *listener_set_free(struct listener_set *s)
{
        if (!s)
                return NULL;
        while (!list_empty(&s->listeners)) {
                struct listener *l = container_of(s->listeners.next, struct listener, node);

                l->end_reason = "closed at exit";
                listener_set_remove(s, l);
        }
        if (s->epfd >= 0) {
                ev_io_stop(s->loop, &s->io);
                s->epfd = safe_close(s->epfd);
                streak_done();
        }
        free(s->req);
        free(s->resp);
        free(s->req_next);
        free(s->resp_next);
        free(s);
        return NULL;
}

/* One notification on its way to its answer: its in-flight journal slot
 * (-1: not journalled), when RECV returned it, the action decided. */
struct pending {
        int slot;
        uint64_t recv_ns;
        enum metrics_action action;
};

/* SEND, then the in-flight journal forgets the notification. */
static void send_response(struct listener_set *s, struct listener *l,
                          struct seccomp_notif_resp *resp, const struct pending *p)
{
        int r = ioctl(l->fd, SECCOMP_IOCTL_NOTIF_SEND, resp);

        inflight_end(s->inflight, p->slot);
        if (r == 0) {
                l->counters.answered++;
                s->stats->answered++;
                histogram_observe(&s->metrics->decision_time[p->action], now_ns() - p->recv_ns);
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
        int started = s->hooks.emulate ? s->hooks.emulate(s->hooks.userdata, l, req, dec, recv_ns)
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
        wakeup_note(&l->wakeup, &s->load, l->fd, req->pid);
        priority_follow(&s->priority, s->load.busy);
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

/* A busy listener (wakeup.h): hold each answer until the next notification
 * is received. seccomp's poll walks the queue until it has seen a received
 * and a waiting notification; with the oldest one held that is two steps,
 * not the whole queue (the walk was 15% of the daemon's time with 64
 * threads queueing). Each answer waits one poll and one RECV longer. */
static int answer_held(struct listener_set *s, struct listener *l, int batch)
{
        struct seccomp_notif *req[2] = { s->req, s->req_next };
        struct seccomp_notif_resp *resp[2] = { s->resp, s->resp_next };
        struct pending p[2];
        int held = 0, r = receive_and_decide(s, l, req[0], resp[0], &p[0]);

        if (r != OUTCOME_SEND)
                return r < 0 ? r : 0;
        for (int i = 0; i < batch && more_queued(l->fd); i++) {
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

/* Whether a listener other than l has something for the loop: asked every
 * STREAK_FAIR_CHECK answers of a streak, so that one listener flooding the
 * loop keeps the others waiting for a few answers, not for a whole period
 * (1 ms: a hostile sandbox's flood made another listener's p99 16x its
 * idle one). */
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

/* The only ready listener, and a hot one: RECV -> decide -> SEND in a row
 * without asking epoll in between (streak.h), until a RECV comes back
 * EINTR (nothing queued for a period), the period is over, or
 * `batch` answers. Returns 0, or -errno when the first RECV
 * failed. */
static int answer_streak(struct listener_set *s, struct listener *l, int batch)
{
        struct pending p;
        int r = 0;

        s->stats->streaks++;
        for (int i = 0; i < batch && !streak_expired(); i++) {
                if (i > 0 && i % STREAK_FAIR_CHECK == 0 && others_ready(s, l))
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
static int answer_one(struct listener_set *s, struct listener *l, int batch)
{
        struct pending p;
        int r;

        if (l->wakeup.window.busy)
                return answer_held(s, l, batch);
        r = receive_and_decide(s, l, s->req, s->resp, &p);
        if (r == OUTCOME_SEND)
                send_response(s, l, s->resp, &p);
        return r < 0 ? r : 0;
}

/* Streak when l is the only ready listener and was answered a moment ago
 * too: then it is likely to have more queued, or soon. */
static int answer_ready(struct listener_set *s, struct listener *l, bool alone)
{
        uint64_t now = now_ns();
        bool hot = alone && now - l->last_answered_ns < LISTENER_HOT_NS;
        int batch, r;

        /* Shared: another listener was answered a moment ago. */
        if (s->last_answered_id != l->id && now - s->last_answered_ns < LISTENER_HOT_NS)
                s->shared_until_ns = now + LISTENER_SHARED_NS;
        s->last_answered_id = l->id;
        batch = now < s->shared_until_ns ? LISTENER_BATCH_SHARED : LISTENER_BATCH_ALONE;
        if (!hot || !streak_begin())
                r = answer_one(s, l, batch);
        else {
                r = answer_streak(s, l, batch);
                streak_end();
        }
        s->last_answered_ns = now_ns();
        l->last_answered_ns = alone ? s->last_answered_ns : 0;
        return r;
}

static void listener_ready(struct listener_set *s, struct listener *l, uint32_t events, bool alone)
{
        int r;

        /* Only a real EPOLLIN may lead to RECV outside a streak: RECV
         * blocks on an empty queue (it ignores O_NONBLOCK). */
        if (events & EPOLLIN) {
                r = answer_ready(s, l, alone);
                if (r == -ENOENT) {
                        /* The target went away first: normal. */
                        l->counters.recv_gone++;
                        s->stats->recv_gone++;
                } else if (r < 0 && r != -EINTR && ratelimit_allow(&recv_errors))
                        log_warning_errno(r, "listener %llu: SECCOMP_IOCTL_NOTIF_RECV",
                                          (unsigned long long)l->id);
                return;
        }
        if (events & (EPOLLHUP | EPOLLERR)) {
                /* Workers answer by themselves and the loop counts after:
                 * with emulations still out, the summary waits for them
                 * (the last reference logs it). */
                l->end_reason = "no task uses the filter any more";
                if (s->hooks.gone)
                        s->hooks.gone(s->hooks.userdata, l);
                listener_set_remove(s, l);
        }
}

/* Answer one notification of every ready listener, and again while more
 * are ready, up to a bound so other watchers get their turn. */
static void on_listeners_ready(struct ev_loop *loop, ev_io *w, int revents)
{
        struct listener_set *s = container_of(w, struct listener_set, io);
        struct epoll_event events[LISTENER_BATCH];

        (void)loop;
        (void)revents;
        for (int round = 0; round < LISTENER_DRAIN_ROUNDS; round++) {
                int n = epoll_wait(s->epfd, events, LISTENER_BATCH, 0);

                if (n <= 0)
                        return;
                for (int i = 0; i < n; i++)
                        listener_ready(s, events[i].data.ptr, events[i].events, n == 1);
        }
}

int listener_set_add(struct listener_set *s, int fd, struct unotify_policy *policy,
                     const char *container_id, pid_t pid, uint64_t id, struct listener **ret)
{
        struct listener *l;
        int r;

        if (id == 0)
                id = s->next_listener_id + 1;
        r = listener_new(fd, policy, container_id, pid, id, s->stats,
                         metrics_policy_get(s->metrics, policy), &l);
        if (r < 0)
                return r;
        if (id > s->next_listener_id)
                s->next_listener_id = id;
        list_add_tail(&s->listeners, &l->node);
        l->watched = true;
        s->n_listeners++;
        s->stats->listeners_added++;
        /* Linux 6.6+: SEND wakes the target on this CPU, and its next
         * notification wakes us the same way (~23 -> ~13 us per round
         * trip measured here); wakeup.h says when it is switched off. */
        wakeup_init(&l->wakeup, fd, s->sync_wake_up);
        if (l->wakeup.available)
                s->stats->sync_wake_up++;
        if (s->hooks.added)
                s->hooks.added(s->hooks.userdata, l);
        if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd,
                      &(struct epoll_event){ .events = EPOLLIN, .data.ptr = l }) < 0) {
                r = negative_errno();
                listener_set_remove(s, l);
                return r;
        }
        if (ret)
                *ret = l;
        return 0;
}

void listener_set_remove(struct listener_set *s, struct listener *l)
{
        if (!l->watched)
                return;
        /* Out of the set before the fd is closed (a dup elsewhere would keep
         * it registered). ENOENT: it never got in. */
        epoll_ctl(s->epfd, EPOLL_CTL_DEL, l->fd, NULL);
        list_del(&l->node);
        l->watched = false;
        s->n_listeners--;
        s->stats->listeners_freed++;
        /* Nothing else holds it: its summary comes before what learn mode
         * says of its recording, as it always did. */
        if (l->refs == 1 && l->end_reason) {
                listener_log_counters(l, l->end_reason);
                l->end_reason = NULL;
        }
        if (s->hooks.removed)
                s->hooks.removed(s->hooks.userdata, l);
        listener_unref(l);
}

struct listener *listener_set_find(struct listener_set *s, uint64_t id)
{
        for (struct list_node *n = s->listeners.next; n != &s->listeners; n = n->next) {
                struct listener *l = container_of(n, struct listener, node);

                if (l->id == id)
                        return l;
        }
        return NULL;
}

/* One slot of the in-flight journal (inflight.h): answered by the policy
 * of a listener still served, when its id is still pending. */
static void replay_one(void *userdata, uint64_t listener_id, const struct seccomp_notif *req)
{
        struct listener_set *s = userdata;
        struct listener *l = listener_set_find(s, listener_id);
        uint64_t id = req->id;

        if (!l) {
                log_warning("journal: notification %llu of listener %llu: that listener is not "
                            "served any more",
                            (unsigned long long)req->id, (unsigned long long)listener_id);
                return;
        }
        /* The task may have died or been answered since: only a
         * still-pending id is answered (SEND would say ENOENT). */
        if (ioctl(l->fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0) {
                log_info("journal: notification %llu of listener %llu is gone",
                         (unsigned long long)req->id, (unsigned long long)listener_id);
                return;
        }
        log_emit_id(LOG_NOTICE, 0, LOG_MID_ORPHAN_ANSWERED, (pid_t)req->pid,
                    "journal: answering notification %llu (pid %u) of listener %llu, left "
                    "unanswered by "
                    "the previous process",
                    (unsigned long long)req->id, req->pid, (unsigned long long)listener_id);
        s->stats->journal_answered++;
        listener_set_answer(s, l, req);
}

void listener_set_replay(struct listener_set *s)
{
        inflight_replay(s->inflight, replay_one, s);
}
