/* What the daemon tells its service manager (sd_notify(3)): READY, STATUS
 * with live figures, RELOADING/READY around a reload, STOPPING, and
 * WATCHDOG keep-alives from the loop. All of it is a no-op without
 * NOTIFY_SOCKET, so the daemon runs the same without systemd. */
#pragma once

struct daemon;

/* READY=1 with a STATUS=; call once policies are loaded and the sockets
 * are served. Also starts the heartbeat: WATCHDOG=1 every half
 * WatchdogSec when sd_watchdog_enabled() says so, and STATUS= updates
 * when the figures change. */
void sdnotify_ready(struct daemon *d);
/* RELOADING=1 with MONOTONIC_USEC= (as systemd 253's Type=notify-reload
 * wants it); sdnotify_ready() afterwards ends the reload. */
void sdnotify_reloading(struct daemon *d);
/* STATUS= now, if the figures changed since the last one. */
void sdnotify_status(struct daemon *d);
/* STOPPING=1, and the heartbeat stops. */
void sdnotify_stopping(struct daemon *d);
