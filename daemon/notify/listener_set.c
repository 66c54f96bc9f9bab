#include "notify/listener_set.h"

#include <errno.h>
#include <ev.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "metrics/metrics.h"
#include "metrics/stats.h"
#include "notify/streak.h"
#include "restart/inflight.h"
#include "service/log.h"
#include "unotify/kernel.h"
#include "unotify/macro.h"
#include "unotify/policy.h"

/* Ready listeners taken per epoll_wait, and rounds per wake-up before
 * other watchers get a turn. */
#define LISTENER_BATCH 64
#define LISTENER_DRAIN_ROUNDS 16

static struct ratelimit recv_errors = RATELIMIT_INIT(10ull * 1000000000u, 10);

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

static void listener_ready(struct listener_set *s, struct listener *l, uint32_t events, bool alone)
{
        int r;

        /* Only a real EPOLLIN may lead to RECV outside a streak: RECV
         * blocks on an empty queue (it ignores O_NONBLOCK). */
        if (events & EPOLLIN) {
                r = listener_set_answer_ready(s, l, alone);
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

/* The listener the loop turned to longest ago first: one that calls now
 * and then is not kept behind one that is ready at every pass. */
static void quiet_first(struct epoll_event *ev, int n)
{
        for (int i = 1; i < n; i++) {
                struct epoll_event e = ev[i];
                uint64_t t = ((struct listener *)e.data.ptr)->served_ns;
                int j = i;

                for (; j > 0 && ((struct listener *)ev[j - 1].data.ptr)->served_ns > t; j--)
                        ev[j] = ev[j - 1];
                ev[j] = e;
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
                if (n > 1)
                        quiet_first(events, n);
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
        if (seccomp_notify_ioctl(l->fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0) {
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
