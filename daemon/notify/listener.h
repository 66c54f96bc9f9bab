/* The seccomp listeners handed to the daemon: the epoll set that watches
 * them, their policies, and the RECV -> decide -> SEND path that answers
 * their notifications. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "unotify/list.h"
#include "notify/wakeup.h"

struct daemon;
struct journal;
struct unotify_policy;
struct metrics_policy;
struct learn_rec;

/* Whether the filter was installed with SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
 * (Linux 5.19): once received, only a fatal signal interrupts the target's
 * wait. Nothing in the listener fd tells; the sender may say so in the
 * handoff ("unotify.seccomp-flags" metadata, sent by libunotify users such
 * as unotify-run). Informational only: no decision depends on it. */
enum listener_wait_killable {
        LISTENER_WAIT_KILLABLE_UNKNOWN,
        LISTENER_WAIT_KILLABLE_NO,
        LISTENER_WAIT_KILLABLE_YES,
};

/* Per-listener counters, for logs and the control socket. */
struct listener_counters {
        uint64_t answered;  /* SEND succeeded */
        uint64_t recv_gone; /* RECV ENOENT: the target went away before we read it */
        uint64_t stale;     /* dropped unanswered: the ID was no longer valid after
                             * reading the target (task gone, pid reused) */
        uint64_t efault;    /* answered EFAULT: a pointer argument could not be read */
        uint64_t mismatch;  /* notified of a call the policy's own filter decides in the kernel */
        uint64_t emulations_refused; /* over its share of the workers' pool (emulate.h) */
        uint64_t denied;    /* answered with an errno or a kill by the policy (not EFAULT) */
};

struct listener {
        struct daemon *daemon;
        struct list_node node;
        int fd;
        uint64_t id;
        struct unotify_policy *policy;
        bool needs_view; /* the policy has caps or path conditions */
        char *container_id;
        pid_t pid;
        uid_t peer_uid; /* who handed it over (the listeners-per-uid cap) */
        uint64_t received;
        uint64_t send_gone; /* SEND ENOENT: interrupted or killed after RECV */
        struct wakeup wakeup;
        uint64_t last_answered_ns; /* CLOCK_MONOTONIC, when last answered as the only ready one */
        /* Emulations (emulate.h): jobs in the pool hold the listener; a
         * listener freed meanwhile is only marked dead and goes with its
         * last job. The journal is made at the first emulation. */
        unsigned jobs;
        unsigned jobs_running; /* of those, in a worker now (the pool's lock) */
        bool dead;
        const char *end_reason; /* freed with jobs out: log the summary after them */
        struct journal *journal;
        uint64_t journal_recorded; /* answers lost after a side effect */
        uint64_t journal_replayed; /* restarted calls answered from the journal */
        struct listener_counters counters;
        struct metrics_policy *metrics; /* its policy's labelled counters (metrics.h) */
        enum listener_wait_killable wait_killable;
        uint64_t seccomp_flags; /* as the sender said; valid unless wait_killable is UNKNOWN */
        /* What the runtime said about it, for unotifyctl list and for
         * resuming after a restart. NULL/0 when it said nothing. */
        char *metadata;
        char **annotations; /* key, value, key, value, ... */
        size_t n_annotations;
        struct learn_rec *learn; /* its policy learns: what it recorded (learn.h) */
};

/* The listener set: the RECV/SEND buffers, sized by SECCOMP_GET_NOTIF_SIZES
 * (or our own structs where the call is unavailable, e.g. under valgrind),
 * and the epoll set watched by the loop. Returns 0 or -errno. */
int listener_set_init(struct daemon *d);
/* Frees every listener, then the set. */
void listener_set_done(struct daemon *d);

/* True when fd is a seccomp listener (its /proc link says so). */
bool listener_fd_is_seccomp(int fd);

/* Start serving fd. fd and the policy reference are taken (also on
 * failure); container_id is copied. Returns 0 or -errno. */
int listener_add(struct daemon *d, int fd, struct unotify_policy *policy, const char *container_id,
                 pid_t pid, struct listener **ret);

/* The same with a given id (a listener resumed after a restart keeps its
 * id); later ids continue above it. */
int listener_add_id(struct daemon *d, int fd, struct unotify_policy *policy, const char *container_id,
                    pid_t pid, uint64_t id, struct listener **ret);

struct seccomp_notif;
/* Decide req by l's policy, carry it out and SEND the answer. */
void listener_answer(struct listener *l, const struct seccomp_notif *req);

/* Answer whatever is pending on every listener now (SIGTERM: nobody is
 * left waiting for an answer that would never come). */
void listener_set_drain(struct daemon *d);

/* Remember the handoff's metadata and annotations (n pairs; copied).
 * Returns 0 or -ENOMEM (then l keeps none). */
int listener_set_origin(struct listener *l, const char *metadata, char *const *annotations, size_t n);

/* Record the seccomp(2) flags the sender says the filter was installed
 * with (has_flags false: it did not say). */
void listener_set_seccomp_flags(struct listener *l, bool has_flags, uint64_t flags);
/* "yes", "no" or "unknown", for logs. */
const char *listener_wait_killable_str(const struct listener *l);

/* Leave the epoll set, close the fd, drop the policy. Accepts NULL.
 * With emulations still running, only leaves the set: the rest happens
 * when the last one is done. */
struct listener *listener_free(struct listener *l);
/* An emulation of l is done (emulate.c). */
void listener_job_done(struct listener *l);
