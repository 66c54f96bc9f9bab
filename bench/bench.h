/* unotify-bench: the cost of a notified syscall under the reference
 * supervisor and under unotifyd, measured side by side. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "notify/priority.h"

enum filter_kind {
        FILTER_NONE = 1,      /* baseline: no filter */
        FILTER_ALLOW,         /* baseline: a filter that allows everything */
        FILTER_NOTIFY,        /* the target's call -> SECCOMP_RET_USER_NOTIF */
        FILTER_OCI_OWN_CAPS,  /* Docker's profile as runc loads it, caps: the bench's own */
        FILTER_OCI_RUNC_CAPS, /* the same, caps: runc's default set */
        FILTER_LANDLOCK,      /* no seccomp filter: a Landlock ruleset that allows no file reads */
};

/* What the target calls in its loop. */
enum target_call {
        CALL_GETPPID = 0,
        CALL_OPEN_DENIED, /* openat(BENCH_DENIED_PATH): the supervisors refuse it after reading it */
        CALL_OPEN_ALLOWED,  /* openat(BENCH_ALLOWED_PATH), then close (not notified) */
        CALL_TAR_XF,        /* no target process: tar xf (profile.h) */
        CALL_TRUE,          /* no target process: true, the launch alone (profile.h) */
        CALL_OPEN_EXISTING, /* openat(BENCH_EXISTING_PATH), then close if it opened */
        CALL_OPEN_FIFO,     /* openat(BENCH_FIFO_PATH): blocks, nobody writes (fairness.c) */
        CALL_SYSINFO,       /* sysinfo(2) */
        CALL_SCHED,         /* sched_setscheduler(0, SCHED_OTHER, 0): no change */
        CALL_MOUNT,         /* mount a tmpfs on BENCH_MOUNT_DIR, umount2 it (two calls),
                             * in a mount namespace of the target's own */
        CALL_XATTR,         /* setxattr(BENCH_MOUNT_DIR, trusted.overlay.opaque, "y") */
};

#define BENCH_MOUNT_DIR "/tmp/unotify-bench-mnt"

#define BENCH_DENIED_PATH "/unotify-bench/denied"
#define BENCH_ALLOWED_PATH "/dev/null"
/* A file that exists: Landlock checks the opened file, so a missing one
 * would fail with ENOENT before Landlock is asked. */
#define BENCH_EXISTING_PATH "/etc/hostname"
#define BENCH_FIFO_PATH "/tmp/unotify-bench.fifo"
/* The reference given unotifyd's default priority. */
#define REF_NICE UNOTIFYD_DEFAULT_NICE

/* Where the supervisor and the target run. */
enum placement {
        PLACE_ANY = 0, /* wherever the scheduler puts them */
        PLACE_SAME_CPU,
        PLACE_SPLIT_CPUS,
};

/* Pin pid (all its threads, when it has several: do it before they exist,
 * or with every_thread) to one CPU, or let it run anywhere (cpu < 0). */
int bench_pin(pid_t pid, int cpu, bool every_thread);
/* CLOCK_MONOTONIC in ns. */
uint64_t bench_now_ns(void);

/* A target process: threads making one call in a loop. */
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

/* The seccomp(2) flags of the target's filter for call: the emulated
 * calls with side effects use WAIT_KILLABLE_RECV, so that the daemon runs
 * each identical call again (no preemption journal to answer it). */
uint64_t target_seccomp_flags(enum target_call call);
/* cpu: the CPU the target runs on, or -1 for any. */
int target_spawn(enum filter_kind kind, enum target_call call, int threads,
                 uint64_t calls_per_thread, int cpu, struct target *ret);
/* Let it go (after the supervisor has the listener), then wait for its
 * result and reap it. target_wait returns 0 or -errno. */
void target_start(struct target *t);
int target_wait(struct target *t, struct target_result *ret);

enum ref_mode {
        REF_CONTINUE = 1,
        REF_ERRNO,
        REF_MEMREAD,         /* read 64 bytes of target memory + ID_VALID, then CONTINUE */
        REF_PATHDENY,        /* read the path (64 bytes) + ID_VALID, then EACCES */
        REF_EMULATE_OPEN,    /* unotifyd only: its open handler (ADDFD + SEND) */
        REF_LEARN,           /* unotifyd only: a policy that learns records, then CONTINUE */
        REF_OPEN_ADDFD,      /* read the path + ID_VALID, open it here, ADDFD with FLAG_SEND:
                         * the least an emulated open can cost */
        REF_EMULATE_SYSINFO, /* unotifyd only: its sysinfo handler */
        REF_EMULATE_SCHED,   /* unotifyd only: its sched handler */
        REF_EMULATE_MOUNT,   /* unotifyd only: its mount handler */
        REF_EMULATE_XATTR,   /* unotifyd only: its xattr handler */
};

/* The reference supervisor: a process with one thread per listener, each a
 * blocking RECV/SEND loop. It takes its own copies of the fds. */
pid_t reference_spawn(const int *listeners, size_t n, enum ref_mode mode, bool sync_wake_up,
                      int cpu, int nice);
void reference_stop(pid_t pid);

/* unotifyd under the bench: started once, its policies in a temp dir. */
struct bench_daemon {
        pid_t pid;
        char dir[64];
        char socket[128];
};
/* extra_arg: one more option for unotifyd (e.g. "--no-sync-wake-up"), or NULL;
 * extra_policy: a file copied as it is into the policy directory, under
 * its own name, or NULL. */
int bench_daemon_start(const char *unotifyd, const char *extra_arg, const char *extra_policy,
                       struct bench_daemon *d);
/* seccomp_flags: the filter's, as the handoff says them (0: not said). */
int bench_daemon_hand(const struct bench_daemon *d, int listener, const char *policy,
                      uint64_t seccomp_flags);
void bench_daemon_stop(struct bench_daemon *d);
/* VmRSS of a process in KiB, or -1. */
long bench_rss_kib(pid_t pid);

/* Idle listeners: a process with one thread per listener, each with a
 * filter of its own (a filter chain has at most one listener) that
 * notifies a syscall nobody calls. The listeners go to d; the threads
 * sleep until idle_farm_stop. */
struct idle_farm {
        pid_t pid;
        int stop; /* close: the farm exits */
        int count;
};
int idle_farm_start(const struct bench_daemon *d, int count, struct idle_farm *ret);
void idle_farm_stop(struct idle_farm *f);

/* The fairness group's hostile listener on d (fairness.c): FIFO opens
 * that hold workers and a flood of notified calls, until hostile_stop. */
struct hostile {
        struct target fifos, callers;
};
int hostile_start(const struct bench_daemon *d, struct hostile *ret);
void hostile_stop(struct hostile *h);
