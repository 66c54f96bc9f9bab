#include "wakeup.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "log.h"
#include "unotify/kernel.h"

static int set_flag(int fd, bool on)
{
        return ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS,
                     on ? SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP : 0) < 0
                       ? -errno
                       : 0;
}

void wakeup_init(struct wakeup *w, int fd, bool enabled)
{
        int r;

        memset(w, 0, sizeof(*w));
        if (!enabled)
                return;
        r = set_flag(fd, true);
        if (r < 0) {
                log_debug("SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP unavailable: %s", strerror(-r));
                return;
        }
        w->available = w->on = true;
}

static void end_window(struct wakeup *w, int fd)
{
        w->busy = w->threads > WAKEUP_BUSY_THREADS;
        if (w->available && w->busy == w->on && set_flag(fd, !w->busy) == 0)
                w->on = !w->busy;
        memset(w->seen, 0, sizeof(w->seen));
        w->calls = w->threads = 0;
}

void wakeup_note(struct wakeup *w, int fd, uint32_t tid)
{
        /* Fibonacci hashing: consecutive tids land on distant bits. */
        unsigned bit = (unsigned)((tid * 2654435761u) >> 24);
        uint64_t mask = 1ull << (bit & 63);

        if (!(w->seen[bit >> 6] & mask)) {
                w->seen[bit >> 6] |= mask;
                w->threads++;
        }
        if (++w->calls == WAKEUP_WINDOW)
                end_window(w, fd);
}
