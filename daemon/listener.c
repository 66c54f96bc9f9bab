#include "listener.h"

#include <errno.h>
#include <ev.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "daemon.h"
#include "fdstore.h"
#include "journal.h"
#include "log.h"
#include "respond.h"
#include "unotify/kernel.h"
#include "unotify/macro.h"
#include "unotify/policy.h"

/* Ready listeners taken per epoll_wait, and rounds per wake-up before
 * other watchers get a turn. */
#define LISTENER_BATCH 64
#define LISTENER_DRAIN_ROUNDS 16

static struct ratelimit recv_errors = RATELIMIT_INIT(10ull * 1000000000u, 10);
static struct ratelimit send_errors = RATELIMIT_INIT(10ull * 1000000000u, 10);

static void on_listeners_ready(struct ev_loop *loop, ev_io *w, int revents);

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
        return d->req && d->resp ? 0 : -ENOMEM;
}

int listener_set_init(struct daemon *d)
{
        int r = buffers_init(d);

        if (r < 0)
                return r;
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
        while (!list_empty(&d->listeners))
                listener_free(container_of(d->listeners.next, struct listener, node));
        if (d->listeners_epfd >= 0) {
                ev_io_stop(d->loop, &d->listeners_io);
                d->listeners_epfd = safe_close(d->listeners_epfd);
        }
        free(d->req);
        free(d->resp);
        d->req = NULL;
        d->resp = NULL;
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

static void send_response(struct listener *l)
{
        struct daemon *d = l->daemon;

        if (ioctl(l->fd, SECCOMP_IOCTL_NOTIF_SEND, d->resp) == 0) {
                l->answered++;
                d->stats.answered++;
                return;
        }
        if (errno == ENOENT) {
                /* Interrupted by a signal or killed after RECV: normal. */
                l->send_gone++;
                d->stats.send_gone++;
                return;
        }
        if (ratelimit_allow(&send_errors))
                log_warning_errno(negative_errno(), "listener %llu: SECCOMP_IOCTL_NOTIF_SEND",
                                  (unsigned long long)l->id);
}

void listener_answer(struct listener *l, const struct seccomp_notif *req)
{
        struct daemon *d = l->daemon;
        struct unotify_decision dec;

        respond_decide(l, req, &dec);
        memset(d->resp, 0, d->resp_size);
        respond_fill(l, req, &dec, d->resp);
        send_response(l);
}

/* One RECV -> decide -> SEND, journalled in between. Returns 0, or
 * -errno when RECV failed. */
static int answer_one(struct listener *l)
{
        struct daemon *d = l->daemon;
        int slot;

        /* Since 5.5 RECV wants a zeroed buffer. */
        memset(d->req, 0, d->req_size);
        if (ioctl(l->fd, SECCOMP_IOCTL_NOTIF_RECV, d->req) < 0)
                return negative_errno();
        l->received++;
        d->stats.received++;
        slot = journal_begin(d, l->id, d->req);
        listener_answer(l, d->req);
        journal_end(d, slot);
        return 0;
}

static void listener_ready(struct listener *l, uint32_t events)
{
        int r;

        /* Only a real EPOLLIN may lead to RECV: on a listener whose filter
         * has no users left RECV blocks forever (it ignores O_NONBLOCK). */
        if (events & EPOLLIN) {
                r = answer_one(l);
                if (r == -ENOENT)
                        l->daemon->stats.recv_gone++; /* the target went away first */
                else if (r < 0 && r != -EINTR && ratelimit_allow(&recv_errors))
                        log_warning_errno(r, "listener %llu: SECCOMP_IOCTL_NOTIF_RECV",
                                          (unsigned long long)l->id);
                return;
        }
        if (events & (EPOLLHUP | EPOLLERR)) {
                log_info("listener %llu (%s): no task uses the filter any more; %llu notifications",
                         (unsigned long long)l->id, l->container_id, (unsigned long long)l->received);
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
                        listener_ready(events[i].data.ptr, events[i].events);
        }
}

/* Linux 6.6+: SEND wakes the target on this CPU, and its next notification
 * wakes us the same way: a synchronous pair then skips the scheduler's
 * cross-CPU wake-up (KERNEL.md: ~23 -> ~13 us per round trip here). */
static void set_sync_wake_up(struct listener *l)
{
        if (!l->daemon->opts->sync_wake_up)
                return;
        if (ioctl(l->fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0)
                l->daemon->stats.sync_wake_up++;
        else
                log_debug("listener %llu: SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP unavailable: %m",
                          (unsigned long long)l->id);
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
        l->pid = pid;
        l->id = id;
        if (id > d->next_listener_id)
                d->next_listener_id = id;
        list_add_tail(&d->listeners, &l->node);
        d->n_listeners++;
        d->stats.listeners_added++;
        set_sync_wake_up(l);
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

struct listener *listener_free(struct listener *l)
{
        if (!l)
                return NULL;
        /* Out of the set before the fd is closed (a dup elsewhere would keep
         * it registered). ENOENT: it never got in. */
        epoll_ctl(l->daemon->listeners_epfd, EPOLL_CTL_DEL, l->fd, NULL);
        list_del(&l->node);
        l->daemon->n_listeners--;
        l->daemon->stats.listeners_freed++;
        safe_close(l->fd);
        unotify_policy_unref(l->policy);
        origin_clear(l);
        free(l->container_id);
        free(l);
        return NULL;
}
