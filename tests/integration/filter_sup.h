/* The integration tests' supervisor and filtered children: filters are
 * loaded only in forked children, never in the Criterion worker; a
 * supervisor thread in the worker holds their listener and answers. */
#pragma once

#include <linux/seccomp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MAX_RECORDS 4096

/* One notification as the supervisor saw it. */
struct record {
        int nr;
        uint32_t arch;
        uint64_t arg0;
        int send_result; /* 0 or errno of NOTIF_SEND */
};

struct sup {
        int fd;                  /* the listener; owned */
        bool deny;               /* answer EPERM instead of CONTINUE */
        int hold_nr;             /* park the first notification of this syscall (-1: none) */
        int held[2], release[2]; /* pipes: "parked" to the test, "answer now" back */
        pthread_t thread;
        struct record rec[MAX_RECORDS];
        size_t n_rec;
};

/* A thread answering listener (CONTINUE, or EPERM with deny) until no
 * task uses the filter; it parks the first call of hold_nr (-1: none). */
struct sup *sup_start(int listener, bool deny, int hold_nr);
/* Join once the target is gone; the records are then stable. */
void sup_finish(struct sup *s);
/* How many notifications of syscall nr it saw. */
size_t sup_count(const struct sup *s, int nr);

/* A child's probe: writes what it saw to out, returns its exit status. */
typedef int (*probe_fn)(int out);

/* Fork a child that loads the filter for names (NEW_LISTENER), gives the
 * listener to a supervisor thread here, and runs probe (its output goes
 * to *ret_out). The names must not include sendmsg/close/write/exit_group. */
pid_t spawn_filtered(const char *const *names, size_t n, probe_fn probe, bool deny,
                     struct sup **ret_sup, int *ret_out);
/* Its exit status, or 128 + the signal that killed it. */
int wait_status(pid_t pid);
/* Read fd to EOF into buf (NUL-terminated, truncated), then close it. */
void read_all(int fd, char *buf, size_t size);
