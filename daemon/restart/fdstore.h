/* The restart store: listeners that outlive the process. Each one is put
 * in systemd's fd store (FDSTORE=1, FDNAME=listener-ID) with the daemon's
 * state (restart/state_file.h, FDNAME=state), the in-flight journal
 * (FDNAME=inflight) and the mount handler's table (FDNAME=mounts); a new
 * process gets them back through sd_listen_fds_with_names() or a re-exec,
 * and resumes serving them. */
#pragma once

struct inherited;
struct listener;
struct listener_set;
struct unotify_policy;

struct restart_hooks {
        void *userdata;
        /* The policy a resumed listener was served by, by name (loaded or
         * built in), or NULL: then it is served by deny-all. */
        struct unotify_policy *(*find_policy)(void *userdata, const char *name);
};

/* The memfds an upgrade passes on (borrowed; -1 when there is none). */
struct restart_fds {
        int state, inflight, mounts;
};

struct restart_store;

/* Take the state and journal memfds passed in (or create and store new
 * ones), resume every passed "listener-N" into set under the policy the
 * state names for it (deny_all when that policy is not loaded any more),
 * then answer what the journal says was left in flight. set and deny_all
 * are borrowed and must outlive the store; the set's in-flight journal is
 * the store's until restart_store_free(). Returns 0 or -errno (logged). */
int restart_store_new(struct listener_set *set, struct inherited *in,
                      struct unotify_policy *deny_all, const struct restart_hooks *hooks,
                      struct restart_store **ret);
/* Close the memfds (the service manager keeps its own copies) and detach
 * the journal from the set. NULL is fine; returns NULL. */
struct restart_store *restart_store_free(struct restart_store *s);

/* A new listener: store it and record it in the state. */
void restart_store_added(struct restart_store *s, struct listener *l);
/* A listener whose tasks are all gone (about to be freed): drop it from
 * the store and the state. Not called at exit: those stay stored. */
void restart_store_gone(struct restart_store *s, struct listener *l);
/* Rewrite the state memfd from the listeners being served. 0 or -errno. */
int restart_store_write_state(struct restart_store *s);
void restart_store_fds(const struct restart_store *s, struct restart_fds *ret);
