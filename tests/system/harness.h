/* Test harness for system tests: a real unotifyd on a temporary socket,
 * real commands run through unotify-run, their output captured. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define BIN(name) UNOTIFY_BUILD_DIR "/" name
#define UNOTIFYD BIN("daemon/unotifyd")
#define UNOTIFY_RUN BIN("client/unotify-run")
#define PROBE BIN("tests/unotify-probe")
#define UNOTIFYCTL BIN("client/unotifyctl")

struct test_policy {
        const char *file; /* name inside the policy dir */
        const char *json;
};

struct test_daemon {
        pid_t pid;
        char dir[256];
        char socket[300];
        char control[300]; /* the control socket, next to the handoff socket */
        char policy_dir[300];
        char log[300];
        bool valgrind;
        bool default_log_level;     /* set before daemon_start: no -v */
        const char *extra_arg;      /* set before daemon_start: one more option */
        const char *const *wrapper; /* set before daemon_start: argv run first */
        /* set before daemon_start: a uid other than 0 owns the temp dir,
         * the policies and the notify socket (a daemon run as that user
         * through wrapper). */
        uid_t owner;
        gid_t owner_gid;
};

/* Start unotifyd with these policies (NULL-terminated by .file == NULL)
 * and wait until it reports READY=1 on a NOTIFY_SOCKET we own. Asserts. */
void daemon_start(struct test_daemon *d, const struct test_policy *policies, bool valgrind);
/* Skips the test when daemon_start(..., true) cannot work: an
 * AddressSanitizer build, or no valgrind installed. */
void skip_unless_valgrind_runs(void);
/* SIGTERM, wait, assert a clean exit (status 0); removes the temp dir. */
void daemon_stop(struct test_daemon *d);
/* The whole log of the daemon daemon_stop() stopped last (static). */
const char *daemon_last_log(void);
/* The daemon's log so far, its last 64 KiB (static buffer). */
char *daemon_log(const struct test_daemon *d);
/* One counter of `unotifyctl stats --json` (docs/control.md). Asserts. */
long long daemon_stat(const struct test_daemon *d, const char *name);
/* Wait (asserting, up to 5 s) until task pid is blocked in mkdir(2), as
 * /proc/PID/syscall says: its notification is then pending. */
void wait_parked_in_mkdir(pid_t pid);
/* Number of open fds of a process. */
int count_fds(pid_t pid);
/* count_fds once it has not changed for 100 ms (at most 3 s): a baseline
 * taken right after daemon_stat() would otherwise count the control
 * connection the daemon has not yet seen closed. */
int settled_fd_count(pid_t pid);
/* settled_fd_count without the seccomp listener fds: a baseline taken
 * while sandboxes and containers still run beside it (their listeners
 * come and go) that the count with no listener left must equal. */
int settled_fd_count_beside_listeners(pid_t pid);
/* Entries of dir whose name starts with prefix, or (prefix 0) all but
 * "." and "..". Asserts that dir opens. */
unsigned count_dir_entries(const char *dir, char prefix);
/* The fds of a process with what they point to, one a line (static). */
const char *fd_list(pid_t pid);
/* Wait up to timeout_ms for the daemon's fd count to equal `want`;
 * returns the last count seen. */
int wait_fd_count(pid_t pid, int want, int timeout_ms);

/* VmRSS of a process, in KiB. */
long process_rss_kib(pid_t pid);
/* The daemon's log file: its size now, and how many of its lines from
 * byte `from` on contain `what` (the whole file, not the last 64 KiB). */
long daemon_log_size(const struct test_daemon *d);
long long daemon_log_count(const struct test_daemon *d, long from, const char *what);

struct cmd_result {
        int status;      /* exit code, or 128 + signal */
        char out[65536]; /* export-oci of Docker's profile: ~14 KB */
        char err[8192];
};

/* Run argv (NULL-terminated) with a timeout; capture stdout/stderr. */
void run_cmd(const char *const argv[], int timeout_ms, struct cmd_result *ret);

/* unotify-run --socket d->socket --policy policy -- argv... */
void run_sandboxed(const struct test_daemon *d, const char *policy, const char *const argv[],
                   struct cmd_result *ret);

/* Write a file (asserts). */
void write_file(const char *path, const char *content);
