/* unotify-bench: the cost of a notified syscall under the reference
 * supervisor and under unotifyd, measured side by side. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum filter_kind {
        FILTER_NONE = 1, /* baseline: no filter */
        FILTER_ALLOW,    /* baseline: a filter that allows everything */
        FILTER_NOTIFY,   /* getppid -> SECCOMP_RET_USER_NOTIF */
};

/* A target process: threads calling getppid(2) in a loop. */
struct target {
        pid_t pid;
        int listener; /* -1 unless FILTER_NOTIFY */
        int go;       /* write a byte: start */
        int result;   /* read: struct target_result */
};

struct target_result {
        uint64_t wall_ns; /* first thread start to last thread end */
        uint64_t calls;
        uint64_t failed; /* calls that did not return the parent pid or an errno */
};

int target_spawn(enum filter_kind kind, int threads, uint64_t calls_per_thread, struct target *ret);
/* Let it go (after the supervisor has the listener), then wait for its
 * result and reap it. target_wait returns 0 or -errno. */
void target_start(struct target *t);
int target_wait(struct target *t, struct target_result *ret);

enum ref_mode {
        REF_CONTINUE = 1,
        REF_ERRNO,
        REF_MEMREAD, /* read 64 bytes of target memory + ID_VALID, then CONTINUE */
};

/* The reference supervisor: a process with one thread per listener, each a
 * blocking RECV/SEND loop. It takes its own copies of the fds. */
pid_t reference_spawn(const int *listeners, size_t n, enum ref_mode mode, bool sync_wake_up);
void reference_stop(pid_t pid);

/* unotifyd under the bench: started once, its policies in a temp dir. */
struct bench_daemon {
        pid_t pid;
        char dir[64];
        char socket[128];
};
/* extra_arg: one more option for unotifyd (e.g. "--no-sync-wake-up"), or NULL. */
int bench_daemon_start(const char *unotifyd, const char *extra_arg, struct bench_daemon *d);
int bench_daemon_hand(const struct bench_daemon *d, int listener, const char *policy);
void bench_daemon_stop(struct bench_daemon *d);
