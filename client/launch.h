/* Start a command under a seccomp filter whose listener is in a
 * supervisor's hands before anyone needs a notification answered — even
 * when the filter notifies every syscall the launcher itself makes between
 * installing it and exec (read, write, close, futex, exit, execve, ...).
 * The sequence is described in launch.c and docs/protocol.md.
 *
 * Internal to unotify-run and its tests; not installed. */
#pragma once

#include <linux/filter.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

/* Called in the launcher (unfiltered) once the filter is loaded in the
 * child. listener_fd: the launcher's copy of the child's listener, borrowed
 * (closed by launch_start right after the call). pid: the child, which will
 * exec the command. Return 0 to let the command run, -errno to have the
 * child killed and reaped; that value is launch_start's result. */
typedef int (*launch_handoff_fn)(int listener_fd, pid_t pid, void *userdata);

struct launch_shared;

struct launch_result {
        /* Set on success. */
        pid_t pid;                    /* the child: the command once it has exec'ed */
        int pidfd;                    /* owned; closed by launch_wait */
        unsigned long flags;          /* the seccomp(2) flags the filter was installed with */
        bool wait_killable;           /* flags include SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV */
        sigset_t saved_mask;          /* the caller's signal mask before launch_start */
        struct launch_shared *shared; /* owned; unmapped by launch_wait */
        /* Set by launch_wait. */
        int exec_error; /* errno of a failed execvp in the child, else 0 */
        /* Set on failure: the step that failed, for messages ("fork", ...). */
        const char *failed;
};

/* Fork a child that installs prog (with NEW_LISTENER, TSYNC, TSYNC_ESRCH
 * and WAIT_KILLABLE_RECV, the last dropped on kernels older than 5.19: see
 * ret->wait_killable), call handoff, and on success let the child execvp
 * argv. prog and argv are borrowed.
 *
 * Blocks SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGCHLD in the caller, for
 * launch_wait (the child gets the caller's original mask back); on failure
 * the mask is restored. SIGCHLD must not be ignored (SIG_IGN reaps
 * children behind our back). Call from a single-threaded process: the
 * child is killed if the calling thread dies before the command runs.
 *
 * ret is always initialised. Returns 0; the handoff callback's error;
 * -ECHILD if the child died before its filter was loaded; the -errno of
 * seccomp(2) in the child (e.g. -EINVAL for a bad program), of fork,
 * pidfd_open, pidfd_getfd, ... (ret->failed names the step). On any
 * failure the child is dead and reaped: it never runs argv unsupervised. */
int launch_start(const struct sock_fprog *prog, char *const argv[], launch_handoff_fn handoff,
                 void *userdata, struct launch_result *ret);

/* launch_start, and the child restricts itself with the Landlock ruleset
 * landlock_fd (borrowed; -1: none, as launch_start) right after
 * NO_NEW_PRIVS, before its helper thread and the filter exist: the
 * command and every task it starts run in that Landlock domain. A
 * refusal of landlock_restrict_self(2) is the child's setup error. */
int launch_start_landlocked(const struct sock_fprog *prog, int landlock_fd, char *const argv[],
                            launch_handoff_fn handoff, void *userdata, struct launch_result *ret);

/* Wait for the child, forwarding SIGINT, SIGTERM, SIGHUP and SIGQUIT to it.
 * *ret_status: its exit code, or 128 + signal number (like a shell).
 * Frees what launch_start allocated; leaves those signals blocked (restore
 * r->saved_mask to unblock them). Returns 0 or -errno of waitid. */
int launch_wait(struct launch_result *r, int *ret_status);
