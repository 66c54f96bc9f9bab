/* Learn mode in the daemon (docs/learn.md): a listener whose policy has a
 * "learn" section records every call it is notified of (learn_rec.h) and
 * lets it run; when it ends its recording is merged into the daemon's
 * recording of its name (the listenerMetadata "unotify.learn=NAME", else
 * its policy's name), which the control socket's "learn" command lists,
 * saves and drops. */
#pragma once

#include <jansson.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>

struct daemon;
struct learn;
struct listener;
struct unotify_policy;

/* The listenerMetadata key that names a recording. */
#define LEARN_META_NAME "unotify.learn"
/* Recordings the daemon keeps at once; a listener that ends with a new
 * name while that many are kept loses its recording (logged). */
#define LEARN_MAX_RECORDINGS 64
/* The built-in policy "learn" (a directory's own policy of that name wins). */
#define LEARN_BUILTIN_NAME "learn"

/* The built-in policy "learn" into d->learn_policy. Returns 0 or -errno. */
int learn_init(struct daemon *d);
/* Drop every recording and the built-in policy. */
void learn_done(struct daemon *d);

/* The policy called name: the directory's, else the built-in "learn".
 * Borrowed; NULL when there is none. */
struct unotify_policy *learn_find_policy(struct daemon *d, const char *name);
/* The built-in "learn" when metadata names it ("policy=learn") and the
 * directory has no policy of that name; else NULL. Borrowed. */
struct unotify_policy *learn_select_builtin(struct daemon *d, const char *metadata);

/* The listener set's hooks (listener_set.h), with d->learn. */
/* Begin recording for l when its policy learns. Returns 0 or -ENOMEM
 * (then l does not record, said in the log). */
int learn_listener_begin(struct learn *ln, struct listener *l);
/* Record req (before it is answered). */
void learn_listener_record(struct learn *ln, struct listener *l, const struct seccomp_notif *req);
/* l is not served any more: merge its recording into the daemon's. */
void learn_listener_end(struct learn *ln, struct listener *l);

/* Bytes the recordings hold now (live listeners' and kept ones), and how
 * often the learn-bytes cap refused more. */
size_t learn_budget_used(const struct daemon *d);
uint64_t learn_budget_capped(const struct daemon *d);

/* The control socket's "learn" command: {"action": "list"|"save"|"drop",
 * "name": NAME}. Returns the reply or NULL with err set. */
json_t *learn_control(struct daemon *d, const json_t *req, char *err, size_t size);
