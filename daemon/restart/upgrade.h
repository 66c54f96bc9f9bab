/* A re-exec upgrade without systemd: on SIGUSR2 or `unotifyctl upgrade`
 * the daemon execs its binary again (a new version installed at the same
 * path) in the same process, passing its sockets, listeners, state and
 * in-flight journal in UNOTIFYD_UPGRADE_FDS. Same pid, so a service
 * manager sees a reload (RELOADING=1 ... READY=1), not a restart. */
#pragma once

struct daemon;

/* Remember the binary's path and argv (borrowed; must outlive the
 * daemon), and start watching SIGUSR2. Returns 0 or -errno. */
int upgrade_setup(struct daemon *d, char **argv);
/* Upgrade once the loop is back (after the current reply is written). */
void upgrade_request(struct daemon *d);
void upgrade_stop(struct daemon *d);
