#include "restart/fdstore.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "service/activation.h"
#include "emulate/mount_ns.h"
#include "restart/inflight.h"
#include "restart/state_file.h"
#include "notify/listener_set.h"
#include "service/log.h"
#include "service/notify_nowait.h"
#include "unotify/macro.h"
#include "unotify/policy.h"

struct restart_store {
        struct listener_set *set;
        struct unotify_policy *deny_all;
        struct restart_hooks hooks;
        struct state_file state;
        struct inflight *inflight;
        int mounts_fd; /* emulate/mount_ns.h: the mounts made for containers */
};

static struct ratelimit store_errors = RATELIMIT_INIT(10ull * 1000000000u, 5);
/* NOTIFY_SOCKET names a socket nobody reads any more (the service manager
 * that started us is gone, or a launcher closed it after READY=1): said
 * once, and no fd is sent after. */
static bool manager_gone;

static void store_fd(int fd, const char *name)
{
        char msg[128];
        int r;

        if (manager_gone)
                return;
        snprintf(msg, sizeof(msg), "FDSTORE=1\nFDNAME=%s", name);
        r = notify_nowait(msg, &fd, 1);
        if (r == -ECONNREFUSED || r == -ENOENT) {
                manager_gone = true;
                log_warning_errno(
                        r, "nobody reads NOTIFY_SOCKET any more; no listener is put in the "
                           "service manager's fd store from now on, so none survives a restart");
                return;
        }
        if (r < 0 && ratelimit_allow(&store_errors))
                log_warning_errno(
                        r, "cannot put %s in the service manager's fd store%s", name,
                        r == -EAGAIN ? " (its queue is full; it will not survive a restart)" : "");
}

int restart_store_write_state(struct restart_store *s)
{
        int r = state_file_snapshot(&s->state, &s->set->listeners, NULL);

        if (r < 0)
                log_warning_errno(r, "cannot write the daemon state");
        return r;
}

/* The state passed in, by listener id; NULL when there is none or it is
 * not valid (every listener is then resumed with deny-all). */
static json_t *read_state(int fd)
{
        json_t *by_id = NULL;
        size_t torn_at = 0;
        char err[256];

        if (state_file_read(fd, &by_id, &torn_at, err, sizeof(err)) < 0) {
                log_warning("the daemon state passed in is not valid: %s", err);
                return NULL;
        }
        if (torn_at)
                log_warning("the daemon state ends in a torn change at byte %zu; ignored", torn_at);
        return by_id;
}

static void restore_origin(struct listener *l, json_t *e)
{
        const char *key;
        json_t *v;
        char **ann;
        size_t n = 0, cap = 2 * json_object_size(json_object_get(e, "annotations"));

        ann = calloc(cap + 1, sizeof(char *));
        json_object_foreach(json_object_get(e, "annotations"), key, v)
                if (ann && json_is_string(v)) {
                        ann[2 * n] = (char *)key;
                        ann[2 * n + 1] = (char *)json_string_value(v);
                        n++;
                }
        if (listener_keep_origin(l, json_string_value(json_object_get(e, "metadata")), ann,
                                 ann ? n : 0) < 0)
                log_warning("listener %llu: out of memory restoring its metadata",
                            (unsigned long long)l->id);
        free(ann);
}

/* "listener-N" with its state entry -> a listener served again. */
static void resume_listener(struct restart_store *s, int fd, uint64_t id, json_t *state)
{
        json_t *e = state ? state_file_entry(state, id) : NULL;
        const char *name = json_string_value(json_object_get(e, "policy"));
        const char *cid = json_string_value(json_object_get(e, "container_id"));
        struct unotify_policy *p = name ? s->hooks.find_policy(s->hooks.userdata, name) : NULL;
        struct listener *l;
        char fallback[64];

        if (!listener_fd_is_seccomp(fd)) {
                log_warning("fd passed as listener-%" PRIu64 " is not a seccomp listener; closed",
                            id);
                safe_close(fd);
                return;
        }
        if (!cid) {
                snprintf(fallback, sizeof(fallback), "restored-%" PRIu64, id);
                cid = fallback;
        }
        if (listener_set_add(s->set, fd, unotify_policy_ref(p ? p : s->deny_all), cid,
                             (pid_t)json_integer_value(json_object_get(e, "pid")), id, &l) < 0) {
                log_error("listener %" PRIu64 ": out of memory resuming it", id);
                return;
        }
        if (e)
                restore_origin(l, e);
        /* Counted against who handed it over; an older state: root. */
        l->peer_uid = (uid_t)json_integer_value(json_object_get(e, "peer_uid"));
        if (p)
                log_emit_id(LOG_NOTICE, 0, LOG_MID_LISTENER_RESUMED, l->pid,
                            "listener %" PRIu64 ": container %s resumed with policy %s", id, cid,
                            name);
        else
                log_emit_id(LOG_WARNING, 0, LOG_MID_LISTENER_RESUMED, l->pid,
                            "listener %" PRIu64 ": container %s resumed with deny-all: %s%s%s", id,
                            cid, !e ? "the state does not describe it" : "policy \"",
                            e ? (name ? name : "?") : "", e ? "\" is not loaded" : "");
}

static void resume_listeners(struct restart_store *s, struct inherited *in, json_t *state)
{
        for (size_t i = 0; i < in->n; i++) {
                char *end;
                uint64_t id;

                if (in->fds[i].fd < 0 || strncmp(in->fds[i].name, "listener-", 9) != 0)
                        continue;
                errno = 0;
                id = strtoull(in->fds[i].name + 9, &end, 10);
                if (errno || *end || id == 0)
                        continue; /* activation_done() closes it, naming it */
                resume_listener(s, TAKE_FD(in->fds[i].fd), id, state);
        }
}

static int open_state(struct restart_store *s, int passed)
{
        if (passed >= 0) {
                s->state.fd = passed;
                return 0;
        }
        s->state.fd = memfd_create("unotifyd-state", MFD_CLOEXEC);
        if (s->state.fd < 0)
                return log_error_errno(negative_errno(), "memfd_create");
        store_fd(s->state.fd, "state");
        return 0;
}

/* The journal and the mount table: passed in, or new and stored. */
static int open_journals(struct restart_store *s, struct inherited *in)
{
        bool created = false;
        int r = inflight_new(activation_take(in, "inflight"), &s->inflight);

        if (r < 0)
                return log_error_errno(r, "cannot set up the in-flight journal");
        if (inflight_created(s->inflight))
                store_fd(inflight_fd(s->inflight), "inflight");
        r = mount_table_open(activation_take(in, "mounts"), &created);
        if (r < 0)
                log_warning_errno(r, "the mount handler's table is kept in memory only");
        else
                s->mounts_fd = r;
        if (created && s->mounts_fd >= 0)
                store_fd(s->mounts_fd, "mounts");
        return 0;
}

int restart_store_new(struct listener_set *set, struct inherited *in,
                      struct unotify_policy *deny_all, const struct restart_hooks *hooks,
                      struct restart_store **ret)
{
        _cleanup_(json_decrefp) json_t *state = NULL;
        int passed = activation_take(in, "state");
        struct restart_store *s = calloc(1, sizeof(*s));
        int r;

        if (!s) {
                safe_close(passed);
                return log_error_errno(-ENOMEM, "out of memory");
        }
        *s = (struct restart_store){
                .set = set, .deny_all = deny_all, .hooks = *hooks, .state.fd = -1, .mounts_fd = -1
        };
        if (passed >= 0)
                state = read_state(passed);
        r = open_state(s, passed);
        if (r == 0)
                r = open_journals(s, in);
        if (r < 0) {
                restart_store_free(s);
                return r;
        }
        set->inflight = s->inflight;
        resume_listeners(s, in, state);
        if (set->n_listeners)
                log_notice("%zu listeners resumed", set->n_listeners);
        listener_set_replay(set);
        /* A state that cannot be written at start would lose every
         * listener at the next restart: refuse to start instead. */
        r = restart_store_write_state(s);
        if (r < 0) {
                restart_store_free(s);
                return r;
        }
        *ret = s;
        return 0;
}

void restart_store_added(struct restart_store *s, struct listener *l)
{
        char name[64];

        snprintf(name, sizeof(name), "listener-%" PRIu64, l->id);
        store_fd(l->fd, name);
        if (state_file_wants_snapshot(&s->state, s->set->n_listeners))
                (void)restart_store_write_state(s);
        else if (state_file_add(&s->state, l) < 0)
                log_warning("cannot write the daemon state");
}

void restart_store_gone(struct restart_store *s, struct listener *l)
{
        char msg[96];

        snprintf(msg, sizeof(msg), "FDSTOREREMOVE=1\nFDNAME=listener-%" PRIu64, l->id);
        if (!manager_gone)
                (void)notify_nowait(msg, NULL, 0);
        if (state_file_wants_snapshot(&s->state, s->set->n_listeners)
                    ? state_file_snapshot(&s->state, &s->set->listeners, l) < 0
                    : state_file_remove(&s->state, l->id) < 0)
                log_warning("cannot write the daemon state");
}

void restart_store_fds(const struct restart_store *s, struct restart_fds *ret)
{
        *ret = (struct restart_fds){ .state = s->state.fd,
                                     .inflight = inflight_fd(s->inflight),
                                     .mounts = s->mounts_fd };
}

struct restart_store *restart_store_free(struct restart_store *s)
{
        if (!s)
                return NULL;
        if (s->set->inflight == s->inflight)
                s->set->inflight = NULL;
        safe_close(s->state.fd);
        safe_close(s->mounts_fd);
        inflight_free(s->inflight);
        free(s);
        return NULL;
}
