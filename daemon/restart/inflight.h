/* The in-flight journal: every notification between RECV and SEND is
 * recorded in a memfd kept in the fd store (and passed on a re-exec), so a
 * process that takes over after a crash can answer what its predecessor
 * received but never answered (SEND needs only the listener and the id).
 * Writing is two stores into a shared mapping: no syscall on the hot path.
 * Knows nothing of listeners: a slot is a listener id and a notification. */
#pragma once

#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>

struct inflight;

/* Adopt the memfd passed in (passed_fd >= 0, taken; a bad one is logged
 * and replaced) or create one. Returns 0 or -errno. */
int inflight_new(int passed_fd, struct inflight **ret);
/* Unmaps and closes. Accepts NULL; returns NULL. */
struct inflight *inflight_free(struct inflight *j);
/* The memfd, for the fd store and an upgrade. */
int inflight_fd(const struct inflight *j);
/* Whether inflight_new made a new memfd (it must be stored). */
bool inflight_created(const struct inflight *j);

/* Record req as in flight for listener_id. Returns the slot (>= 0), or
 * -ENOSPC when every slot is taken (the notification is then simply not
 * journalled); j NULL: -EBADF. */
int inflight_begin(struct inflight *j, uint64_t listener_id, const struct seccomp_notif *req);
/* The notification of slot was answered (or is gone). slot < 0: no-op. */
void inflight_end(struct inflight *j, int slot);

/* Hand every journalled notification to fn, emptying its slot first.
 * What fn makes of it (answer it, drop it) is the caller's. */
void inflight_replay(struct inflight *j,
                     void (*fn)(void *userdata, uint64_t listener_id,
                                const struct seccomp_notif *req),
                     void *userdata);
