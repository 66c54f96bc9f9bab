/* SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP per listener, switched by load.
 *
 * Sync wake-ups run the woken task on the daemon's CPU, on the promise
 * that the daemon sleeps next. With one or a few threads calling in turn
 * that holds and skips a cross-CPU wake-up per round trip; while the
 * daemon has more to answer it does not, and every woken task waits in
 * the daemon's way instead (bench: 64 threads on one listener ~1.1x
 * slower with it, 64 listeners of one thread each ~1.3x). So the daemon
 * counts the distinct threads among its last notifications, across all
 * listeners, and every listener keeps the flag while they are few and
 * drops it while they are many. A listener whose calls all come from one
 * thread keeps it while those many are still few (the other listeners'
 * threads: one sandbox flooding the daemon must not take it from the
 * others, whose targets would then be woken on another CPU each time).
 *
 * Each listener also counts its own threads: a listener whose
 * notifications come from many threads is `busy`, and holds each answer
 * until its next notification is in (answer.c). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Notifications per decision, and the distinct threads among them above
 * which the daemon counts as busy (sync wake-ups off, priority.h raised),
 * or a listener does (answers held). Measured on 2 CPUs: with the daemon
 * busy from 6 threads on instead of 25, 6 and 8 threads took 0.70-0.75x
 * the time per call; at 3 and 4 threads sync wake-ups still pay. Holding
 * answers from a few threads on (before streaks) made 64 threads 1.2x
 * slower, so that threshold stays high. */
#define WAKEUP_WINDOW 64
#define WAKEUP_LOAD_BUSY_THREADS 5
#define WAKEUP_HOLD_THREADS 24
/* At most this many listeners among the daemon's window, a listener with
 * one thread keeps sync wake-ups though the load is busy. A hostile
 * sandbox's 6 callers beside one other target: that target's p99 round
 * trip 50-61 us without, 38-41 us with (medians of 7 runs; 20-29 us
 * alone). Counted by listeners, not threads: a flood of any number of
 * threads from one sandbox leaves it, 64 one-thread listeners are above
 * it (each woken target would wait on the daemon's CPU). */
#define WAKEUP_FEW_LISTENERS 4

/* Distinct threads (or listeners) among a window of notifications. */
struct thread_window {
        uint64_t seen[4]; /* a 256-bit set of hashed thread ids */
        uint16_t calls;
        uint16_t threads;
        uint16_t last_threads; /* distinct ids in the last full window */
        bool busy;             /* as of the last full window */
};

struct wakeup {
        struct thread_window window; /* this listener's threads: .busy holds answers */
        bool available;              /* the kernel has the flag (6.6+) and the options allow it */
        bool on;
};

/* Turn sync wake-ups on for fd if enabled and the kernel has them. */
void wakeup_init(struct wakeup *w, int fd, bool enabled);
/* Count a notification from thread tid in the listener's window and the
 * daemon's (load; the listener's id in `listeners`, the daemon's window of
 * listeners), and switch the listener's flag to match the daemon's load.
 * No allocation, and a syscall only when the flag changes. */
void wakeup_note(struct wakeup *w, struct thread_window *load, struct thread_window *listeners,
                 int fd, uint32_t tid, uint32_t listener_id);
