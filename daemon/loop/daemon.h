/* What the wiring owns: one libev loop, the loaded policies, and the
 * objects loop/server.c ties together (each has its own header; none of
 * them includes this one). */
#pragma once

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop/options.h"
#include "metrics/metrics.h"
#include "metrics/stats.h"
#include "notify/listener_set.h"
#include "unotify/list.h"
#include "unotify/policy.h"

struct control_server;
struct handoff_server;
struct learn;
struct metrics_http;
struct pool;
struct restart_store;

struct daemon {
        struct ev_loop *loop;
        const struct options *opts;

        struct unotify_policy_set *policies;
        struct unotify_policy *deny_all; /* fail-closed fallback */

        struct handoff_server *handoff;    /* sockets/handoff.h */
        struct control_server *control;    /* sockets/control.h */
        struct metrics_http *metrics_http; /* sockets/metrics_http.h */
        struct restart_store *store;       /* restart/fdstore.h */
        bool stopping;                     /* SIGTERM/SIGINT: exiting once the handoffs are done */
        ev_signal sigterm, sigint, sighup;

        uint64_t started_ns;
        uint64_t reloads, reload_failures;

        /* sdnotify.c: the heartbeat (WATCHDOG=1, STATUS= updates) and the
         * figures the last STATUS= showed. */
        ev_timer heartbeat;
        uint64_t watchdog_usec;
        size_t notified_listeners;
        uint64_t notified_answered;
        bool notified_once;

        /* upgrade.c: how to exec ourselves again. */
        ev_signal sigusr2;
        ev_signal sigfreeze; /* testhook.c */
        ev_timer upgrade_timer;
        char *self_exe;
        char **argv;

        /* The listeners, their epoll set and the RECV/SEND path
         * (notify/listener_set.h). */
        struct listener_set *set;

        struct daemon_stats stats;
        struct metrics metrics; /* the labelled ones (metrics.h) */

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
