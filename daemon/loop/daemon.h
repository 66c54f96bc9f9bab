/* The daemon's state: one libev loop, the handoff socket, the loaded
 * policies, the listeners and the connections being read. */
#pragma once

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop/options.h"
#include "metrics/metrics.h"
#include "metrics/stats.h"
#include "sockets/acceptor.h"
#include "notify/listener_set.h"
#include "unotify/list.h"
#include "unotify/policy.h"

struct inflight;
struct pool;
struct learn;

struct daemon {
        struct ev_loop *loop;
        const struct options *opts;

        struct unotify_policy_set *policies;
        struct unotify_policy *deny_all; /* fail-closed fallback */

        int socket_fd;
        struct acceptor handoff_accept; /* sockets/acceptor.h */
        /* handoff_quiesce(): what runs once no handoff is being read. */
        void (*quiesce_done)(struct daemon *d);
        ev_timer quiesce_timer;
        bool stopping; /* SIGTERM/SIGINT: exiting once the handoffs are done */
        ev_signal sigterm, sigint, sighup;

        /* The control socket (control.c) and its connections. */
        int control_fd;
        struct acceptor control_accept;
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

        /* fdstore.c, inflight.c: the state memfd and the in-flight journal. */
        int state_fd;
        size_t state_len;     /* bytes in it: the snapshot and the changes after it */
        size_t state_changes; /* change lines after the snapshot */
        struct inflight *inflight;
        int mounts_fd; /* emulate/mount_ns.h: the mounts made for containers */

        /* upgrade.c: how to exec ourselves again. */
        ev_signal sigusr2;
        ev_signal sigfreeze; /* testhook.c */
        ev_timer upgrade_timer;
        char *self_exe;
        char **argv;

        /* The listeners, their epoll set and the RECV/SEND path
         * (notify/listener_set.h). */
        struct listener_set *set;
        /* handoff.c: the connections being read. */
        struct list_node conns;
        size_t n_conns;

        struct daemon_stats stats;
        struct metrics metrics; /* the labelled ones (metrics.h) */

        /* The metrics endpoint (metrics_http.c): -1 when not serving one. */
        int metrics_fd;
        struct acceptor metrics_accept;
        struct list_node metrics_conns;
        size_t n_metrics_conns;
        bool own_metrics; /* a unix socket we bound: unlinked at exit */

        struct pool *pool;   /* emulations' worker threads (emulate.h) */
        struct learn *learn; /* recordings and the built-in "learn" policy (learn.h) */
};

struct inherited;

/* Set up the loop, the sockets (taken from `in` when systemd or an
 * upgrade passed them, else bound), signals. policies is taken on
 * success. Returns 0 or -errno (logged). */
int daemon_init(struct daemon *d, const struct options *opts, struct unotify_policy_set *policies,
                struct inherited *in);
void daemon_run(struct daemon *d);
void daemon_done(struct daemon *d);
