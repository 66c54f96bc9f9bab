/* One seccomp listener handed to the daemon: its fd, its policy, its
 * counters and what the runtime said about it. The set that watches it
 * and answers its notifications is listener_set.h. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "unotify/list.h"
#include "notify/wakeup.h"

struct daemon_stats;
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
        uint64_t denied; /* answered with an errno or a kill by the policy (not EFAULT) */
};

/* One seccomp listener fd being served. Reference counted: the listener
 * set holds one reference while it watches the fd, each emulation in the
 * worker pool holds one until its answer is counted (emulate.h); the last
 * unref logs the summary and closes the fd. */
struct listener {
        unsigned refs;
        struct list_node node; /* in its set's list while watched */
        bool watched;          /* in the set (listener_set_remove undoes it) */
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
        uint64_t served_ns;        /* CLOCK_MONOTONIC, when the loop last turned to it */
        /* Emulations (emulate.h) in the pool for it, running or queued: its
         * share of the pool is counted on these. The journal is made at
         * the first emulation. */
        unsigned jobs;
        unsigned jobs_running;    /* of those, in a worker now (the pool's lock) */
        uint64_t share_pruned_ns; /* emulate.c: when its queue was last checked for gone tasks */
        const char *end_reason;   /* logged with the counters when the last reference goes */
        struct journal *journal;
        uint64_t journal_recorded; /* answers lost after a side effect */
        uint64_t journal_replayed; /* restarted calls answered from the journal */
        struct listener_counters counters;
        struct daemon_stats *stats;     /* the daemon's, counted into beside counters */
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

/* A listener for fd (taken, also on failure) under policy (its reference
 * taken, also on failure), with one reference; container_id is copied.
 * Not watched yet: listener_set_add does that. Returns 0 or -ENOMEM. */
int listener_new(int fd, struct unotify_policy *policy, const char *container_id, pid_t pid,
                 uint64_t id, struct daemon_stats *stats, struct metrics_policy *metrics,
                 struct listener **ret);
struct listener *listener_ref(struct listener *l);
/* Drop a reference; the last one logs the end and frees. Accepts NULL;
 * returns NULL. */
struct listener *listener_unref(struct listener *l);

/* True when fd is a seccomp listener (its /proc link says so). */
bool listener_fd_is_seccomp(int fd);

/* Remember the handoff's metadata and annotations (n pairs; copied).
 * Returns 0 or -ENOMEM (then l keeps none). */
int listener_keep_origin(struct listener *l, const char *metadata, char *const *annotations,
                         size_t n);

/* Record the seccomp(2) flags the sender says the filter was installed
 * with (has_flags false: it did not say). */
void listener_note_seccomp_flags(struct listener *l, bool has_flags, uint64_t flags);
/* "yes", "no" or "unknown", for logs. */
const char *listener_wait_killable_str(const struct listener *l);
/* One log line with l's counters and why it ends (or is summarised). */
void listener_log_counters(const struct listener *l, const char *why);
