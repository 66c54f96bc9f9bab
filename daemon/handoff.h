/* The handoff socket: accepts connections, reads one message each without
 * ever blocking the loop, and turns it into a listener or a query answer. */
#pragma once

struct daemon;

/* Start accepting on d->socket_fd. */
void handoff_start(struct daemon *d);
/* Close every connection still being read. */
void handoff_stop(struct daemon *d);
