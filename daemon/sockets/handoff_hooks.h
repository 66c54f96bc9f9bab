/* What the handoff server (handoff.h) asks of its owner and reads: its
 * own header so the server's files can hold them without including the
 * server's face. */
#pragma once

#include <stddef.h>

struct daemon_stats;
struct listener;
struct metrics;
struct options;
struct unotify_policy;
struct unotify_selector;

struct handoff_hooks {
        void *userdata;
        /* The policy a query names (loaded or built in), or NULL. */
        struct unotify_policy *(*find_policy)(void *userdata, const char *name);
        /* The policy a new listener gets, as unotify_policy_set_select()
         * (metadata: what the sender sent, for built-in policies): 0 with
         * *ret set and how said, or -errno with how saying why not. */
        int (*select_policy)(void *userdata, const char *metadata,
                             const struct unotify_selector *sel, struct unotify_policy **ret,
                             char *how, size_t size);
        /* A listener was added to the set (the restart store keeps it). */
        void (*added)(void *userdata, struct listener *l);
};

/* What the server reads and counts into; all borrowed, outliving it. */
struct handoff_config {
        const struct options *opts; /* limits, default policy, the socket's path */
        struct unotify_policy *deny_all;
        struct daemon_stats *stats;
        struct metrics *metrics;
};
