/* The handoff socket: accepts connections, reads one message each without
 * ever blocking the loop, and turns it into a listener or a query answer. */
#pragma once

struct daemon;

/* Start accepting on d->socket_fd. */
void handoff_start(struct daemon *d);
/* Stop accepting (new connections wait in the listen backlog, which
 * crosses an upgrade, and under socket activation a restart too), and call
 * done from the loop once every connection being read has ended: answered,
 * refused, or timed out, so at most handoff-timeout-ms from now. A later
 * call replaces done. Listeners keep being served meanwhile. */
void handoff_quiesce(struct daemon *d, void (*done)(struct daemon *d));
/* Accept again (an upgrade whose exec failed). */
void handoff_resume(struct daemon *d);
/* Close every connection still being read. */
void handoff_stop(struct daemon *d);
