#include "restart/state_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "notify/listener.h"
#include "unotify/macro.h"
#include "unotify/policy.h"

/* Changes appended beyond the number of listeners before the state is
 * rewritten as one snapshot. */
#define STATE_COMPACT_SLACK 64

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

int state_file_snapshot(struct state_file *f, const struct list_node *listeners,
                        const struct listener *skip)
{
        _cleanup_(json_decrefp) json_t *root = NULL;
        _cleanup_(freep) char *text = NULL;
        json_t *list = json_array();
        size_t len;

        if (f->fd < 0)
                return 0;
        root = json_pack("{s:i, s:o*}", "version", 1, "listeners", list);
        for (const struct list_node *n = listeners->next; root && n != listeners; n = n->next) {
                const struct listener *l = container_of(n, struct listener, node);

                if (l != skip && json_array_append_new(list, listener_state(l)) < 0)
                        return -ENOMEM;
        }
        text = root ? json_dumps(root, JSON_COMPACT) : NULL;
        if (!text)
                return -ENOMEM;
        len = strlen(text);
        /* Shrink after writing: a reader never sees a shorter text with
         * the old tail glued to it. */
        if (pwritev(f->fd, (struct iovec[]){ { text, len }, { (char *)"\n", 1 } }, 2, 0) !=
                    (ssize_t)len + 1 ||
            ftruncate(f->fd, (off_t)len + 1) < 0)
                return negative_errno();
        f->len = len + 1;
        f->changes = 0;
        return 0;
}

/* One change line after the snapshot (record is taken). */
static int append(struct state_file *f, json_t *record)
{
        _cleanup_(json_decrefp) json_t *rec = record;
        _cleanup_(freep) char *text = NULL;
        size_t len;

        if (f->fd < 0)
                return 0;
        text = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
        if (!text)
                return -ENOMEM;
        len = strlen(text);
        if (pwritev(f->fd, (struct iovec[]){ { text, len }, { (char *)"\n", 1 } }, 2,
                    (off_t)f->len) != (ssize_t)len + 1)
                return negative_errno();
        f->len += len + 1;
        f->changes++;
        return 0;
}

int state_file_add(struct state_file *f, const struct listener *l)
{
        return append(f, json_pack("{s:o*}", "add", listener_state(l)));
}

int state_file_remove(struct state_file *f, uint64_t id)
{
        return append(f, json_pack("{s:I}", "remove", (json_int_t)id));
}

bool state_file_wants_snapshot(const struct state_file *f, size_t n_listeners)
{
        return f->changes >= n_listeners + STATE_COMPACT_SLACK;
}

/* Resuming thousands of listeners looks each up once, by this key. */
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

/* The change lines from at on, onto by_id; the offset of a torn one, or 0. */
static size_t apply_changes(json_t *by_id, const char *buf, size_t size, size_t at)
{
        for (;;) {
                json_error_t e;
                json_t *change;

                while (at < size && (buf[at] == '\n' || buf[at] == ' '))
                        at++;
                if (at >= size)
                        return 0;
                change = json_loadb(buf + at, size - at, JSON_DISABLE_EOF_CHECK, &e);
                if (!change)
                        return at;
                apply_change(by_id, change);
                json_decref(change);
                at += e.position;
        }
}

int state_file_parse(const char *buf, size_t size, json_t **ret, size_t *torn_at, char *err,
                     size_t err_size)
{
        _cleanup_(json_decrefp) json_t *snapshot = NULL;
        json_t *by_id, *entry, *list;
        json_error_t e;
        size_t i;

        snapshot = json_loadb(buf, size, JSON_DISABLE_EOF_CHECK, &e);
        if (!snapshot)
                return snprintf(err, err_size, "not JSON: %s (byte %d)", e.text, e.position),
                       -EBADMSG;
        list = json_object_get(snapshot, "listeners");
        if (!json_is_array(list))
                return snprintf(err, err_size, "no \"listeners\" array in the snapshot"), -EBADMSG;
        by_id = json_object();
        if (!by_id)
                return snprintf(err, err_size, "out of memory"), -ENOMEM;
        json_array_foreach(list, i, entry)
                index_listener(by_id, entry);
        *torn_at = apply_changes(by_id, buf, size, (size_t)e.position);
        *ret = by_id;
        return 0;
}

int state_file_read(int fd, json_t **ret, size_t *torn_at, char *err, size_t err_size)
{
        _cleanup_(freep) char *buf = NULL;
        struct stat st;

        if (fstat(fd, &st) < 0)
                return snprintf(err, err_size, "fstat: %m"), -EBADMSG;
        if (st.st_size <= 0 || st.st_size > STATE_FILE_MAX)
                return snprintf(err, err_size, "%lld bytes (at most %u)", (long long)st.st_size,
                                STATE_FILE_MAX),
                       -EBADMSG;
        buf = malloc((size_t)st.st_size);
        if (!buf)
                return snprintf(err, err_size, "out of memory"), -ENOMEM;
        if (pread(fd, buf, (size_t)st.st_size, 0) != st.st_size)
                return snprintf(err, err_size, "short read"), -EBADMSG;
        return state_file_parse(buf, (size_t)st.st_size, ret, torn_at, err, err_size);
}

json_t *state_file_entry(json_t *by_id, uint64_t id)
{
        char key[32];

        key_of((json_int_t)id, key, sizeof(key));
        return json_object_get(by_id, key);
}
