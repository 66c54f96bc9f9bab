/* The daemon state memfd: which listener is which, for the process that
 * takes over after a restart or an upgrade. A snapshot,
 * {"version":1,"listeners":[...]}, then one line per change since:
 * {"add":{...}} or {"remove":ID}. Appending keeps a handoff O(1) with
 * thousands of listeners (rewriting everything each time made 10,000
 * handoffs take minutes); the snapshot is rewritten once the changes
 * outnumber the listeners, so the file stays O(listeners). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "unotify/list.h"

struct listener;

#define STATE_FILE_MAX (64u << 20)

struct state_file {
        int fd;         /* borrowed; -1: nothing is written */
        size_t len;     /* bytes in it: the snapshot and the changes after it */
        size_t changes; /* change lines after the snapshot */
};

/* Rewrite the whole file from listeners (struct listener.node), leaving
 * out skip (a listener being freed; may be NULL). Returns 0 or -errno. */
int state_file_snapshot(struct state_file *f, const struct list_node *listeners,
                        const struct listener *skip);
/* One change line: l added, or the listener id removed. 0 or -errno. */
int state_file_add(struct state_file *f, const struct listener *l);
int state_file_remove(struct state_file *f, uint64_t id);
/* The changes outnumber n_listeners (and some slack): time for a snapshot. */
bool state_file_wants_snapshot(const struct state_file *f, size_t n_listeners);

/* The listeners by id ("7" -> the entry), the snapshot with the changes
 * after it applied, into *ret (the caller's). A torn last change (the
 * writer died mid-write) ends the reading: 0, with *torn_at its offset
 * (0 when none). A snapshot that is not one: -EBADMSG, err says why. */
int state_file_parse(const char *buf, size_t size, json_t **ret, size_t *torn_at, char *err,
                     size_t err_size);
/* state_file_parse() of the whole file fd; -EBADMSG also for an empty or
 * oversized one, or a failed read (err says which). */
int state_file_read(int fd, json_t **ret, size_t *torn_at, char *err, size_t err_size);
/* The entry of listener id in what state_file_parse() returned, or NULL. */
json_t *state_file_entry(json_t *by_id, uint64_t id);
