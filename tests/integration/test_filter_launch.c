/* Integration: the launch mechanism (launch.h) against the real kernel:
 * it works when its own calls are notified, loads the filter with
 * WAIT_KILLABLE_RECV, kills the child on a refused handoff, reports exec
 * failures and forwards signals. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "filter_sup.h"
#include "launch.h"
#include "unotify/filter.h"
#include "unotify/kernel.h"

struct take {
        int hold_nr;
        int result; /* what the callback returns */
        bool was_listener;
        struct sup *sup;
};

static bool is_listener(int fd)
{
        char path[64], link[64] = "";

        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        return readlink(path, link, sizeof(link) - 1) > 0 &&
               strcmp(link, UNOTIFY_LISTENER_LINK) == 0;
}

/* The test's handoff: keep a copy of the listener for a supervisor thread. */
static int take_listener(int fd, pid_t pid, void *userdata)
{
        struct take *t = userdata;
        int copy;

        t->was_listener = is_listener(fd) && pid > 0;
        if (t->result < 0)
                return t->result;
        copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (copy < 0)
                return -errno;
        t->sup = sup_start(copy, false, t->hold_nr);
        return 0;
}

/* launch_start with the command's stdout on out (its copy is made at
 * fork, so the worker's own stdout is back right after). */
static int start_with_stdout(const char *const *names, size_t n, char *const argv[], struct take *t,
                             struct launch_result *lr, int out)
{
        struct sock_fprog prog;
        int saved = dup(STDOUT_FILENO), k;

        cr_assert_eq(unotify_filter_build(names, n, &prog), 0);
        cr_assert_eq(dup2(out, STDOUT_FILENO), STDOUT_FILENO);
        k = launch_start(&prog, argv, take_listener, t, lr);
        cr_assert_eq(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
        close(saved);
        close(out);
        unotify_filter_free(&prog);
        return k;
}

/* Launch argv under names with a CONTINUE supervisor; wait for it. The
 * command's output goes to *out. */
static int launch_and_wait(const char *const *names, size_t n, char *const argv[], struct take *t,
                           struct launch_result *lr, char *out, size_t size)
{
        int p[2], status;

        cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
        cr_assert_eq(start_with_stdout(names, n, argv, t, lr, p[1]), 0, "launch: %s", lr->failed);
        cr_assert_eq(launch_wait(lr, &status), 0);
        sigprocmask(SIG_SETMASK, &lr->saved_mask, NULL);
        read_all(p[0], out, size);
        sup_finish(t->sup);
        return status;
}

static bool recorded_arg0(const struct sup *s, int nr, uint64_t arg0)
{
        for (size_t i = 0; i < s->n_rec; i++)
                if (s->rec[i].nr == nr && s->rec[i].arg0 == arg0)
                        return true;
        return false;
}

Test(launch, works_when_its_own_syscalls_are_notified, .timeout = 30)
{
        static const char *const names[] = {
                "read",
                "write",
                "close",
                "futex",
                "exit",
                "exit_group",
                "execve",
                "sendmsg",
                "recvmsg",
                "mmap",
                "munmap",
                "mprotect",
                "brk",
                "openat",
                "newfstatat",
                "fstat",
                "prctl",
                "rt_sigprocmask",
                "rt_sigaction",
                "access",
                "arch_prctl",
                "set_tid_address",
                "prlimit64",
                "getrandom",
                "pread64",
                "rseq",
                "set_robust_list",
                "dup2",
                "fcntl",
        };
        struct take t = { .hold_nr = -1 };
        struct launch_result lr;
        char out[64];
        int status;

        status = launch_and_wait(names, sizeof(names) / sizeof(names[0]),
                                 (char *const[]){ "/bin/echo", "hi", NULL }, &t, &lr, out,
                                 sizeof(out));
        cr_assert_eq(status, 0);
        cr_assert_str_eq(out, "hi\n");
        cr_assert(lr.wait_killable);
        cr_assert(sup_count(t.sup, SYS_execve) >= 1, "execve was not notified");
        cr_assert(sup_count(t.sup, SYS_write) >= 1, "write was not notified");
        cr_assert(sup_count(t.sup, SYS_exit_group) >= 1, "exit_group was not notified");
        cr_assert(!recorded_arg0(t.sup, SYS_exit, UNOTIFY_LAUNCH_EXIT_MAGIC),
                  "the helper's exit was notified");
        free(t.sup);
}

/* The filter is loaded with WAIT_KILLABLE_RECV: once the supervisor has
 * received a notification, a non-fatal signal (here SIGSTOP) no longer
 * interrupts the call, so the answer still lands (SEND does not fail with
 * ENOENT). */
Test(launch, uses_wait_killable_recv, .timeout = 30)
{
        static const char *const names[] = { "clock_nanosleep", "nanosleep" };
        struct take t = { .hold_nr = SYS_clock_nanosleep };
        struct sock_fprog prog;
        struct launch_result lr;
        pid_t parked;
        int status;

        cr_assert_eq(unotify_filter_build(names, 2, &prog), 0);
        cr_assert_eq(launch_start(&prog, (char *const[]){ "/bin/sleep", "0.01", NULL },
                                  take_listener, &t, &lr),
                     0, "launch: %s", lr.failed);
        unotify_filter_free(&prog);
        cr_assert(lr.flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, "flags %#lx", lr.flags);
        cr_assert(lr.wait_killable);
        cr_assert_eq(read(t.sup->held[0], &parked, sizeof(parked)), (ssize_t)sizeof(parked));
        cr_assert_eq(parked, lr.pid);
        cr_assert_eq(kill(lr.pid, SIGSTOP), 0);
        nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000 * 1000 }, NULL);
        cr_assert_eq(write(t.sup->release[1], "", 1), 1);
        cr_assert_eq(kill(lr.pid, SIGCONT), 0);
        cr_assert_eq(launch_wait(&lr, &status), 0);
        sigprocmask(SIG_SETMASK, &lr.saved_mask, NULL);
        sup_finish(t.sup);
        cr_assert_eq(status, 0);
        cr_assert_eq(t.sup->rec[0].nr, SYS_clock_nanosleep);
        cr_assert_eq(t.sup->rec[0].send_result, 0, "SEND: %s (the signal interrupted the call)",
                     strerror(t.sup->rec[0].send_result));
        free(t.sup);
}

Test(launch, refused_handoff_kills_the_child, .timeout = 30)
{
        struct take t = { .hold_nr = -1, .result = -EPERM };
        struct launch_result lr;
        char out[64];
        int p[2];

        cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
        cr_assert_eq(start_with_stdout((const char *[]){ "mkdir" }, 1,
                                       (char *const[]){ "/bin/echo", "ran", NULL }, &t, &lr, p[1]),
                     -EPERM);
        read_all(p[0], out, sizeof(out));
        cr_assert(t.was_listener, "the callback did not get a seccomp listener");
        cr_assert_str_eq(out, "", "the command ran without a supervisor");
        cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "a child was left behind");
        cr_assert_eq(errno, ECHILD);
}

Test(launch, exec_failure_is_reported, .timeout = 30)
{
        struct take t = { .hold_nr = -1 };
        struct launch_result lr;
        char out[16];
        int status;

        status = launch_and_wait((const char *[]){ "execve" }, 1,
                                 (char *const[]){ "/nonexistent/cmd", NULL }, &t, &lr, out,
                                 sizeof(out));
        cr_assert_eq(status, 127);
        cr_assert_eq(lr.exec_error, ENOENT);
        cr_assert_eq(sup_count(t.sup, SYS_execve), 1);
        free(t.sup);
}

Test(launch, signals_are_forwarded, .timeout = 30)
{
        struct take t = { .hold_nr = -1 };
        struct sock_fprog prog;
        struct launch_result lr;
        int status;

        cr_assert_eq(unotify_filter_build((const char *[]){ "mkdir" }, 1, &prog), 0);
        cr_assert_eq(launch_start(&prog, (char *const[]){ "/bin/sleep", "30", NULL }, take_listener,
                                  &t, &lr),
                     0);
        unotify_filter_free(&prog);
        /* Blocked by launch_start: pending until launch_wait forwards it. */
        cr_assert_eq(kill(getpid(), SIGTERM), 0);
        cr_assert_eq(launch_wait(&lr, &status), 0);
        sigprocmask(SIG_SETMASK, &lr.saved_mask, NULL);
        sup_finish(t.sup);
        cr_assert_eq(status, 128 + SIGTERM);
        free(t.sup);
}
