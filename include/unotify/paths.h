/* Where unotifyd's sockets are when no option says: the system daemon's
 * /run/unotifyd for root, and for anyone else the per-user daemon's
 * $XDG_RUNTIME_DIR/unotifyd (the user units' %t/unotifyd), so that a
 * user's unotify-run and unotifyctl find their own daemon. */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define UNOTIFY_SYSTEM_RUNTIME_DIR "/run/unotifyd"

/* DIR/name into buf, DIR as above; /run/unotifyd also for a user without
 * an absolute XDG_RUNTIME_DIR. Returns buf, or NULL when it does not fit
 * (or in a unix socket's 108 bytes, if size is that). */
static inline const char *unotify_default_socket(const char *name, char *buf, size_t size)
{
        const char *xdg = geteuid() != 0 ? getenv("XDG_RUNTIME_DIR") : NULL;
        int n;

        if (xdg && xdg[0] == '/')
                n = snprintf(buf, size, "%s/unotifyd/%s", xdg, name);
        else
                n = snprintf(buf, size, UNOTIFY_SYSTEM_RUNTIME_DIR "/%s", name);
        return n < 0 || (size_t)n >= size ? NULL : buf;
}
