/* The in-flight journal: every notification between RECV and SEND is
 * recorded in a memfd kept in the fd store (and passed on a re-exec), so a
 * process that takes over after a crash can answer what its predecessor
 * received but never answered (SEND needs only the listener and the id).
 * Writing is two stores into a shared mapping: no syscall on the hot path. */
#pragma once

#include <linux/seccomp.h>
#include <stdint.h>

struct daemon;

/* Adopt the memfd passed as "inflight" (taken), or create one. Returns the
 * fd the daemon keeps (d->inflight_fd) or -errno. */
int inflight_open(struct daemon *d, int passed_fd);
void inflight_close(struct daemon *d);

/* Record req as in flight for listener_id; returns the slot, or -1 when
 * the journal is full or absent (the notification is then simply not
 * journalled). */
int inflight_begin(struct daemon *d, uint64_t listener_id, const struct seccomp_notif *req);
/* The notification of slot was answered (or is gone). slot < 0: no-op. */
void inflight_end(struct daemon *d, int slot);

/* Answer every journalled notification of a listener we serve now, by its
 * policy, after checking its id is still valid; drop the others. */
void inflight_replay(struct daemon *d);
