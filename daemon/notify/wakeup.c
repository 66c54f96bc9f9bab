#include "notify/wakeup.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "service/log.h"
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

static void window_note(struct thread_window *t, uint32_t tid, unsigned busy_above)
{
        /* Fibonacci hashing: consecutive tids land on distant bits. */
        unsigned bit = (unsigned)((tid * 2654435761u) >> 24);
        uint64_t mask = 1ull << (bit & 63);

        if (!(t->seen[bit >> 6] & mask)) {
                t->seen[bit >> 6] |= mask;
                t->threads++;
        }
        if (++t->calls < WAKEUP_WINDOW)
                return;
        t->busy = t->threads > busy_above;
        t->last_threads = t->threads;
        memset(t->seen, 0, sizeof(t->seen));
        t->calls = t->threads = 0;
}

void wakeup_note(struct wakeup *w, struct thread_window *load, struct thread_window *listeners,
                 int fd, uint32_t tid, uint32_t listener_id)
{
        bool on;

        window_note(&w->window, tid, WAKEUP_HOLD_THREADS);
        window_note(load, tid, WAKEUP_LOAD_BUSY_THREADS);
        window_note(listeners, listener_id, WAKEUP_FEW_LISTENERS);
        on = !load->busy ||
             (w->window.last_threads <= 1 && listeners->last_threads <= WAKEUP_FEW_LISTENERS);
        if (w->available && w->on != on && set_flag(fd, on) == 0)
                w->on = on;
}
