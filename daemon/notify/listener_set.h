/* The listener set: the seccomp listeners being served, watched through
 * one epoll set of its own, and the RECV -> decide -> SEND path that
 * answers their notifications (seccomp_unotify(2)): the set in
 * listener_set.c, the answer path in answer.c.
 *
 * The set is one ev_io in the loop: epoll tells EPOLLIN from EPOLLHUP
 * exactly (libev folds both into EV_READ), so no extra poll() per
 * notification, and one epoll_wait drains every ready listener.
 *
 * What the set does not do itself it asks its owner through the hooks
 * below (emulations, learn mode, the fd store): this file knows nothing
 * of them, and every arrow points down. */
#pragma once

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "notify/listener.h"
#include "notify/priority.h"
#include "notify/wakeup.h"
#include "unotify/list.h"

struct daemon_stats;
struct inflight;
struct metrics;
struct seccomp_notif;
struct seccomp_notif_resp;
struct unotify_decision;
struct unotify_policy;

/* What hooks.emulate made of an EMULATE decision (or -errno when its
 * handler cannot start: the set answers the decision's errno). */
enum listener_emulated {
        LISTENER_EMULATE_OVER_SHARE = 0, /* the listener has its share: the set answers EAGAIN */
        LISTENER_EMULATE_STARTED = 1,    /* the answer follows from the worker pool */
};

/* The owner's part. Every member may be NULL. */
struct listener_hooks {
        void *userdata;
        /* Hand an EMULATE decision to its handler; recv_ns is when RECV
         * returned req; shared: the loop serves other listeners too just
         * now. Returns an enum listener_emulated or -errno. */
        int (*emulate)(void *userdata, struct listener *l, const struct seccomp_notif *req,
                       const struct unotify_decision *dec, uint64_t recv_ns, bool shared);
        /* l is watched now / not any more (learn mode's recording). */
        void (*added)(void *userdata, struct listener *l);
        void (*removed)(void *userdata, struct listener *l);
        /* Before req is decided, for a listener whose l->learn is set. */
        void (*record)(void *userdata, struct listener *l, const struct seccomp_notif *req);
        /* No task uses l's filter any more: it is about to be removed
         * (the fd store forgets it; not called at exit). */
        void (*gone)(void *userdata, struct listener *l);
};

struct listener_set {
        struct ev_loop *loop;
        int epfd;
        ev_io io;
        struct list_node listeners; /* struct listener.node */
        size_t n_listeners;
        uint64_t next_listener_id;
        bool sync_wake_up; /* --sync-wake-up: try SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP */
        /* The distinct threads among the latest notifications, across
         * listeners: whether sync wake-ups pay off (wakeup.h). */
        struct thread_window load;
        struct thread_window load_listeners; /* the distinct listeners among them */
        struct priority priority;            /* the loop's, following load (priority.h) */
        /* Which listener was answered last, and until when the loop counts
         * as shared between several (shorter batches). */
        uint64_t last_answered_id;
        uint64_t last_answered_ns;
        uint64_t shared_until_ns;
        /* RECV/SEND buffers, sized once by SECCOMP_GET_NOTIF_SIZES: the
         * kernel's structs may be larger than the ones we compiled with.
         * The _next pair holds a second notification of a busy listener. */
        struct seccomp_notif *req, *req_next;
        size_t req_size;
        struct seccomp_notif_resp *resp, *resp_next;
        size_t resp_size;
        struct daemon_stats *stats; /* the owner's, counted into */
        struct metrics *metrics;    /* the owner's labelled ones */
        struct inflight *inflight;  /* the owner's in-flight journal; NULL: none */
        struct listener_hooks hooks;
};

/* A set watched in loop: the buffers, the epoll set, its ev_io started.
 * stats and metrics are borrowed for the set's life. Returns 0 or -errno. */
int listener_set_new(struct ev_loop *loop, bool sync_wake_up, struct daemon_stats *stats,
                     struct metrics *metrics, const struct listener_hooks *hooks,
                     struct listener_set **ret);
/* Removes every listener ("closed at exit"), then frees the set. Accepts
 * NULL; returns NULL. */
struct listener_set *listener_set_free(struct listener_set *s);

/* Start serving fd under policy (fd and the policy reference are taken,
 * also on failure; container_id is copied). id 0: the next free id; a
 * listener resumed after a restart keeps its own, and later ids continue
 * above it. *ret (optional) is borrowed. Returns 0 or -errno. */
int listener_set_add(struct listener_set *s, int fd, struct unotify_policy *policy,
                     const char *container_id, pid_t pid, uint64_t id, struct listener **ret);
/* Stop watching l and drop the set's reference (l lives on while
 * emulations hold it). */
void listener_set_remove(struct listener_set *s, struct listener *l);
/* The listener served under id, or NULL. */
struct listener *listener_set_find(struct listener_set *s, uint64_t id);

/* The answer path (answer.c), for listener_set.c: answer what l has
 * queued; l is ready (EPOLLIN), alone when it was the only ready
 * listener. While the loop is shared between listeners, a run of answers
 * for l ends as soon as another listener is ready. Returns 0, or -errno
 * when the first RECV failed. */
int listener_set_answer_ready(struct listener_set *s, struct listener *l, bool alone);

/* Decide req (not from RECV: a journalled one) by l's policy, carry it
 * out and SEND the answer. */
void listener_set_answer(struct listener_set *s, struct listener *l,
                         const struct seccomp_notif *req);
/* Answer whatever is pending on every listener now (SIGTERM: nobody is
 * left waiting for an answer that would never come). */
void listener_set_drain(struct listener_set *s);
/* Answer every notification s->inflight says the previous process left
 * unanswered, of a listener served now and still pending; drop the rest. */
void listener_set_replay(struct listener_set *s);
