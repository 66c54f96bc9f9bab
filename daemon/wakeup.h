/* SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP per listener, switched by load.
 *
 * Sync wake-ups run the woken task on the daemon's CPU. With one or a few
 * threads calling in turn that skips a cross-CPU wake-up per round trip;
 * with dozens of threads queueing notifications it puts every woken task
 * in the daemon's way instead (bench: 64 threads ~1.1x slower with it).
 * So the listener keeps it while its notifications come from few threads
 * and drops it while they come from many: then it is `busy`, which also
 * makes the listener hold each answer until the next notification is in
 * (listener.c). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Notifications per decision, and the distinct threads among them above
 * which the listener counts as busy. */
#define WAKEUP_WINDOW 64
#define WAKEUP_BUSY_THREADS 24

struct wakeup {
        uint64_t seen[4]; /* a 256-bit set of hashed thread ids in this window */
        uint16_t calls;
        uint16_t threads;
        bool available; /* the kernel has the flag (6.6+) and the options allow it */
        bool on;
        bool busy; /* many threads in the last window */
};

/* Turn sync wake-ups on for fd if enabled and the kernel has them. */
void wakeup_init(struct wakeup *w, int fd, bool enabled);
/* Count a notification from thread tid; at the end of a window, say
 * whether the listener is busy and switch the flag to match. No
 * allocation, and a syscall only when the flag changes. */
void wakeup_note(struct wakeup *w, int fd, uint32_t tid);
