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
#include "loop/daemon.h"
#include "emulate/mount_ns.h"
#include "restart/inflight.h"
#include "learn/learn.h"
#include "notify/listener_set.h"
#include "service/log.h"
#include "service/notify_nowait.h"
#include "unotify/macro.h"

#define STATE_MAX (64u << 20)
/* Changes appended beyond the number of listeners before the state is
 * rewritten as one snapshot. */
#define STATE_COMPACT_SLACK 64

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

static json_t *listener_state(const struct listener *l)
{
        json_t *ann = json_object();

        for (size_t i = 0; ann && i < l->n_annotations; i++)
                json_object_set_new(ann, l->annotations[2 * i],
                                    json_string(l->annotations[2 * i + 1]));
        return json_pack("{s:I, s:s, s:s, s:I, s:s?, s:o*, s:I, s:I, s:I}", "id", (json_int_t)l->id,
                         "policy", unotify_policy_name(l->policy), "container_id", l->container_id,
                         "pid", (json_int_t)l->pid, "metadata", l->metadata, "annotations", ann,
                         "received", (json_int_t)l->received, "answered",
                         (json_int_t)l->counters.answered, "peer_uid", (json_int_t)l->peer_uid);
}

/* The state memfd is a snapshot, {"version":1,"listeners":[...]}, then one
 * line per change since: {"add":{...}} or {"remove":ID}. Appending keeps a
 * handoff O(1) with thousands of listeners (rewriting everything each time
 * made 10,000 handoffs take minutes); the snapshot is rewritten once the
 * changes outnumber the listeners, so the file stays O(listeners).
 *
 * skip: a listener being freed, left out. */
static int write_state(struct daemon *d, const struct listener *skip)
{
        _cleanup_(json_decrefp) json_t *root = NULL;
        _cleanup_(freep) char *text = NULL;
        json_t *list = json_array();
        size_t len;

        if (d->state_fd < 0)
                return 0;
        root = json_pack("{s:i, s:o*}", "version", 1, "listeners", list);
        for (struct list_node *n = d->set->listeners.next; root && n != &d->set->listeners;
             n = n->next) {
                struct listener *l = container_of(n, struct listener, node);

                if (l != skip)
                        json_array_append_new(list, listener_state(l));
        }
        text = root ? json_dumps(root, JSON_COMPACT) : NULL;
        if (!text)
                return -ENOMEM;
        len = strlen(text);
        /* Shrink after writing: a reader never sees a shorter text with
         * the old tail glued to it. */
        if (pwritev(d->state_fd, (struct iovec[]){ { text, len }, { (char *)"\n", 1 } }, 2, 0) !=
                    (ssize_t)len + 1 ||
            ftruncate(d->state_fd, (off_t)len + 1) < 0)
                return negative_errno();
        d->state_len = len + 1;
        d->state_changes = 0;
        return 0;
}

/* One change line after the snapshot (record is taken). */
static int append_state(struct daemon *d, json_t *record)
{
        _cleanup_(json_decrefp) json_t *rec = record;
        _cleanup_(freep) char *text = NULL;
        size_t len;

        if (d->state_fd < 0)
                return 0;
        text = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
        if (!text)
                return -ENOMEM;
        len = strlen(text);
        if (pwritev(d->state_fd, (struct iovec[]){ { text, len }, { (char *)"\n", 1 } }, 2,
                    (off_t)d->state_len) != (ssize_t)len + 1)
                return negative_errno();
        d->state_len += len + 1;
        d->state_changes++;
        return 0;
}

static bool state_wants_snapshot(const struct daemon *d)
{
        return d->state_changes >= d->set->n_listeners + STATE_COMPACT_SLACK;
}

int fdstore_write_state(struct daemon *d)
{
        int r = write_state(d, NULL);

        if (r < 0)
                log_warning_errno(r, "cannot write the daemon state");
        return r;
}

/* The state's listeners by id ("7" -> entry): resuming thousands of them
 * looks each up once. */
static void key_of(json_int_t id, char *buf, size_t size)
{
        snprintf(buf, size, "%" JSON_INTEGER_FORMAT, id);
}

static void index_listener(json_t *by_id, json_t *entry)
{
        json_t *id = json_object_get(entry, "id");
        char key[32];

        if (!json_is_integer(id))
                return;
        key_of(json_integer_value(id), key, sizeof(key));
        json_object_set(by_id, key, entry);
}

/* One change line onto the listeners by id. */
static void apply_change(json_t *by_id, json_t *change)
{
        json_t *add = json_object_get(change, "add");
        json_t *removed = json_object_get(change, "remove");
        char key[32];

        if (json_is_object(add)) {
                index_listener(by_id, add);
        } else if (json_is_integer(removed)) {
                key_of(json_integer_value(removed), key, sizeof(key));
                json_object_del(by_id, key);
        }
}

/* The listeners by id: the snapshot with the changes after it applied. A
 * torn last line (the writer died mid-write) ends the reading. */
static json_t *parse_state(const char *buf, size_t size)
{
        _cleanup_(json_decrefp) json_t *snapshot = NULL;
        json_error_t e;
        json_t *by_id, *entry;
        size_t at, i;

        snapshot = json_loadb(buf, size, JSON_DISABLE_EOF_CHECK, &e);
        if (!snapshot || !json_is_array(json_object_get(snapshot, "listeners"))) {
                log_warning("the daemon state passed in is not valid: %s (column %d)", e.text,
                            e.column);
                return NULL;
        }
        by_id = json_object();
        if (!by_id)
                return NULL;
        json_array_foreach(json_object_get(snapshot, "listeners"), i, entry)
                index_listener(by_id, entry);
        for (at = e.position;;) {
                json_t *change;

                while (at < size && (buf[at] == '\n' || buf[at] == ' '))
                        at++;
                if (at >= size)
                        break;
                change = json_loadb(buf + at, size - at, JSON_DISABLE_EOF_CHECK, &e);
                if (!change) {
                        log_warning("the daemon state ends in a torn change at byte %zu; ignored",
                                    at);
                        break;
                }
                apply_change(by_id, change);
                json_decref(change);
                at += e.position;
        }
        return by_id;
}

static json_t *read_state(int fd)
{
        _cleanup_(freep) char *buf = NULL;
        struct stat st;

        if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size > STATE_MAX)
                return NULL;
        buf = malloc((size_t)st.st_size);
        if (!buf || pread(fd, buf, (size_t)st.st_size, 0) != st.st_size)
                return NULL;
        return parse_state(buf, (size_t)st.st_size);
}

static json_t *state_entry(json_t *by_id, uint64_t id)
{
        char key[32];

        key_of((json_int_t)id, key, sizeof(key));
        return json_object_get(by_id, key);
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
static void resume_listener(struct daemon *d, int fd, uint64_t id, json_t *state)
{
        json_t *e = state_entry(state, id);
        const char *name = json_string_value(json_object_get(e, "policy"));
        const char *cid = json_string_value(json_object_get(e, "container_id"));
        struct unotify_policy *p = name ? learn_find_policy(d, name) : NULL;
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
        if (listener_set_add(d->set, fd, unotify_policy_ref(p ? p : d->deny_all), cid,
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

static void resume_listeners(struct daemon *d, struct inherited *in, json_t *state)
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
                resume_listener(d, TAKE_FD(in->fds[i].fd), id, state);
        }
}

static int open_state(struct daemon *d, int passed)
{
        if (passed >= 0) {
                d->state_fd = passed;
                return 0;
        }
        d->state_fd = memfd_create("unotifyd-state", MFD_CLOEXEC);
        if (d->state_fd < 0)
                return log_error_errno(negative_errno(), "memfd_create");
        store_fd(d->state_fd, "state");
        return 0;
}

int fdstore_init(struct daemon *d, struct inherited *in)
{
        _cleanup_(json_decrefp) json_t *state = NULL;
        int passed = activation_take(in, "state");
        bool created = false;
        int r;

        if (passed >= 0)
                state = read_state(passed);
        r = open_state(d, passed);
        if (r < 0)
                return r;
        r = inflight_new(activation_take(in, "inflight"), &d->inflight);
        if (r < 0)
                return log_error_errno(r, "cannot set up the in-flight journal");
        d->set->inflight = d->inflight;
        if (inflight_created(d->inflight))
                store_fd(inflight_fd(d->inflight), "inflight");
        r = mount_table_open(activation_take(in, "mounts"), &created);
        if (r < 0)
                log_warning_errno(r, "the mount handler's table is kept in memory only");
        else
                d->mounts_fd = r;
        if (created && d->mounts_fd >= 0)
                store_fd(d->mounts_fd, "mounts");
        resume_listeners(d, in, state);
        if (d->set->n_listeners)
                log_notice("%zu listeners resumed", d->set->n_listeners);
        listener_set_replay(d->set);
        return fdstore_write_state(d);
}

void fdstore_listener_added(struct daemon *d, struct listener *l)
{
        char name[64];

        snprintf(name, sizeof(name), "listener-%" PRIu64, l->id);
        store_fd(l->fd, name);
        if (state_wants_snapshot(d))
                (void)fdstore_write_state(d);
        else if (append_state(d, json_pack("{s:o*}", "add", listener_state(l))) < 0)
                log_warning("cannot write the daemon state");
}

void fdstore_listener_gone(struct daemon *d, struct listener *l)
{
        char msg[96];

        snprintf(msg, sizeof(msg), "FDSTOREREMOVE=1\nFDNAME=listener-%" PRIu64, l->id);
        if (!manager_gone)
                (void)notify_nowait(msg, NULL, 0);
        if (state_wants_snapshot(d)
                    ? write_state(d, l) < 0
                    : append_state(d, json_pack("{s:I}", "remove", (json_int_t)l->id)) < 0)
                log_warning("cannot write the daemon state");
}

void fdstore_done(struct daemon *d)
{
        d->state_fd = safe_close(d->state_fd);
        d->mounts_fd = safe_close(d->mounts_fd);
        if (d->set)
                d->set->inflight = NULL;
        d->inflight = inflight_free(d->inflight);
}
