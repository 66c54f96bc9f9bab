/* Where the daemon's sockets come from: systemd's socket activation, the
 * previous process of a re-exec upgrade, or a bind of our own. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Bind and listen on a unix stream socket at path with mode (the parent
 * directory is created 0755 if missing). A socket file left by a dead
 * daemon is replaced; one a live daemon answers is not (-EADDRINUSE); any
 * other file there is an error (-EEXIST). Logs. Returns the fd or -errno. */
int activation_bind(const char *path, mode_t mode);

/* One fd the daemon was started with, and the name it was passed under
 * ("handoff", "control", "listener-7", "state", "inflight", ...). */
struct inherited_fd {
        int fd; /* -1 once taken */
        char *name;
};

struct inherited {
        struct inherited_fd *fds;
        size_t n;
        bool upgrade;     /* passed by the process we replaced (SIGUSR2) */
        bool own_sockets; /* ... which had bound its sockets itself */
};

/* The environment variable a re-exec upgrade passes its fds in:
 * "FD:NAME FD:NAME ...". */
#define UNOTIFYD_UPGRADE_ENV "UNOTIFYD_UPGRADE_FDS"

/* Collect the fds passed by systemd (sd_listen_fds_with_names: LISTEN_PID,
 * LISTEN_FDS, LISTEN_FDNAMES; unnamed ones are "unknown") or by a re-exec
 * (UNOTIFYD_UPGRADE_FDS), and unset those variables. Every fd is made
 * O_CLOEXEC. *ret is empty when nothing was passed. Returns 0 or -errno. */
int activation_collect(struct inherited *ret);

/* Take the first fd called name: the caller owns it. -1 when none. */
int activation_take(struct inherited *in, const char *name);

/* Take a passed listening socket called name, if any: it must be a unix
 * stream socket in the listening state (else it is closed, -EINVAL); it is
 * made non-blocking for the accept loop. Returns the fd, -ENOENT when none
 * was passed, or -errno. Logs. */
int activation_take_socket(struct inherited *in, const char *name);

/* Close every fd nobody took, with a warning naming it, and free. */
void activation_done(struct inherited *in);
