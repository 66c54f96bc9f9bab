/* The control socket: line-delimited JSON requests from unotifyctl
 * (status, list, stats, reload, upgrade), one JSON reply line each.
 * The protocol is described in docs/control.md. */
#pragma once

struct daemon;

/* Start accepting on d->control_fd. */
void control_start(struct daemon *d);
/* Close every control connection and stop accepting. */
void control_stop(struct daemon *d);
