/* The daemon's state: one libev loop, the handoff socket, the loaded
 * policies, the listeners and the connections being read. */
#pragma once

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "unotify/list.h"
#include "metrics/metrics.h"
#include "notify/priority.h"
#include "notify/wakeup.h"
#include "loop/options.h"
#include "unotify/policy.h"

struct journal_file;
struct seccomp_notif;
struct seccomp_notif_resp;
struct pool;
struct learn;

struct daemon_stats {
        uint64_t listeners_added;
        uint64_t listeners_freed;
        uint64_t handoffs_refused;
        uint64_t received;
        uint64_t answered;
        uint64_t recv_gone;  /* RECV ENOENT: the target went away first */
        uint64_t send_gone;  /* SEND ENOENT: interrupted or killed after RECV */
        uint64_t stale;      /* dropped: ID invalid after reading the target */
        uint64_t mismatch;   /* calls the policy's own filter would not have notified */
        uint64_t denied;     /* answered with an errno or a kill by a rule or defaultAction */
        uint64_t sync_wake_up; /* listeners with SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP */
        uint64_t streaks;      /* runs of RECVs without epoll in between (streak.h) */
        uint64_t streak_waits; /* streaks ended by the timer in a RECV that found nothing */
        /* The caps (peer_limits.h): what was refused or closed to keep them. */
        uint64_t handoff_conns_evicted; /* closed to make room (conn_share.h) */
        uint64_t handoff_timeouts;      /* no complete message in time */
        uint64_t control_conns_evicted;
        uint64_t emulations_refused;    /* over the listener's share: EAGAIN */
        uint64_t listeners_refused;     /* handoffs over the listeners caps */
        uint64_t control_requests_too_large;
};

struct daemon {
        struct ev_loop *loop;
        const struct options *opts;

        struct unotify_policy_set *policies;
        struct unotify_policy *deny_all; /* fail-closed fallback */

        int socket_fd;
        ev_io accept_io;
        /* handoff_quiesce(): what runs once no handoff is being read. */
        void (*quiesce_done)(struct daemon *d);
        ev_timer quiesce_timer;
        bool stopping; /* SIGTERM/SIGINT: exiting once the handoffs are done */
        ev_signal sigterm, sigint, sighup;

        /* The control socket (control.c) and its connections. */
        int control_fd;
        ev_io control_io;
        struct list_node ctl_conns;
        size_t n_ctl_conns;
        /* Sockets we bound ourselves are unlinked at exit; activated ones
         * belong to systemd. */
        bool own_socket, own_control;

        uint64_t started_ns;
        uint64_t reloads, reload_failures;

        /* sdnotify.c: the heartbeat (WATCHDOG=1, STATUS= updates) and the
         * figures the last STATUS= showed. */
        ev_timer heartbeat;
        uint64_t watchdog_usec;
        size_t notified_listeners;
        uint64_t notified_answered;
        bool notified_once;

        /* fdstore.c, journal.c: the state memfd and the in-flight journal. */
        int state_fd;
        size_t state_len;     /* bytes in it: the snapshot and the changes after it */
        size_t state_changes; /* change lines after the snapshot */
        int inflight_fd;
        int mounts_fd; /* handlers/mount_ns.h: the mounts made for containers */
        bool journal_created;
        struct journal_file *journal;
        unsigned journal_hint;

        /* upgrade.c: how to exec ourselves again. */
        ev_signal sigusr2;
        ev_signal sigfreeze; /* testhook.c */
        ev_timer upgrade_timer;
        char *self_exe;
        char **argv;

        /* Listeners are watched through one epoll set of our own, itself one
         * ev_io in the loop: epoll tells EPOLLIN from EPOLLHUP exactly
         * (libev folds both into EV_READ), so no extra poll() per
         * notification, and one epoll_wait drains every ready listener. */
        int listeners_epfd;
        ev_io listeners_io;
        struct list_node listeners;
        size_t n_listeners;
        uint64_t next_listener_id;
        /* The distinct threads among the latest notifications, across
         * listeners: whether sync wake-ups pay off (wakeup.h). */
        struct thread_window load;
        struct priority priority; /* the loop's, following load (priority.h) */
        /* Which listener was answered last, and until when the loop counts
         * as shared between several (listener.c: shorter batches). */
        uint64_t last_answered_id;
        uint64_t last_answered_ns;
        uint64_t shared_until_ns;
        struct list_node conns;
        size_t n_conns;

        /* RECV/SEND buffers, sized once by SECCOMP_GET_NOTIF_SIZES: the
         * kernel's structs may be larger than the ones we compiled with.
         * The _next pair holds a second notification of a busy listener. */
        struct seccomp_notif *req, *req_next;
        size_t req_size;
        struct seccomp_notif_resp *resp, *resp_next;
        size_t resp_size;

        struct daemon_stats stats;
        struct metrics metrics; /* the labelled ones (metrics.h) */

        /* The metrics endpoint (metrics_http.c): -1 when not serving one. */
        int metrics_fd;
        ev_io metrics_io;
        struct list_node metrics_conns;
        size_t n_metrics_conns;
        bool own_metrics; /* a unix socket we bound: unlinked at exit */

        struct pool *pool; /* emulations' worker threads (emulate.h) */
        struct learn *learn; /* recordings and the built-in "learn" policy (learn.h) */
};

/* Load o->policy_dir (minKernel against the running kernel, --strict).
 * Every diagnostic is logged, warnings as warnings. Returns 0, -EINVAL or
 * the -errno of opening the directory. */
int daemon_load_policies(const struct options *o, struct unotify_policy_set **ret);

/* Reload the policies (SIGHUP, unotifyctl reload). On failure the old ones
 * stay; err says why. Returns 0 or a negative errno. */
int daemon_reload(struct daemon *d, char *err, size_t err_size);

struct inherited;

/* Set up the loop, the sockets (taken from `in` when systemd or an
 * upgrade passed them, else bound), signals. policies is taken on
 * success. Returns 0 or -errno (logged). */
int daemon_init(struct daemon *d, const struct options *opts, struct unotify_policy_set *policies,
                struct inherited *in);
void daemon_run(struct daemon *d);
void daemon_done(struct daemon *d);
