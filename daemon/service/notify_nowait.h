/* sd_notify(3) messages that must never block the loop: the fd store's
 * FDSTORE=1 and FDSTOREREMOVE=1, one per listener that comes or goes.
 * libsystemd's sender blocks when the service manager's datagram queue is
 * full (a test, a busy or stuck manager); thousands of handoffs then hang
 * the daemon. This sender gives up instead. */
#pragma once

#include <stddef.h>

/* Send msg with fds (n may be 0) to $NOTIFY_SOCKET without waiting.
 * Returns 1 sent, 0 when there is no NOTIFY_SOCKET, -EAGAIN when the
 * queue is full (the message is dropped), or another -errno. */
int notify_nowait(const char *msg, const int *fds, size_t n);
