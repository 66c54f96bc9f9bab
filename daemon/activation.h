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
