/* The launch mechanism of unotify-run.
 *
 * The problem: once the child C loads a filter that notifies read, write,
 * sendmsg, futex, exit, execve..., every such call C makes waits for an
 * answer that only the holder of the listener can give. So the supervisor
 * must hold the listener before C needs any answer, and the unfiltered
 * parent P must learn that the filter is loaded without C making a
 * syscall the filter could notify (crun #1002, runc #4328).
 *
 * The sequence:
 *  P  maps a shared page (helper_tid = -1), makes the "go" socketpair,
 *     forks C, opens a pidfd for it, then futex-waits on helper_tid.
 *  C  (unfiltered) sets PDEATHSIG and NO_NEW_PRIVS, clones helper thread
 *     T2 with CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID on helper_tid, and
 *     blocks in read() on the go socket.
 *  T2 seccomp(NEW_LISTENER|TSYNC|TSYNC_ESRCH|WAIT_KILLABLE_RECV): TSYNC
 *     puts the filter on C's main thread too. It stores the listener's fd
 *     number in the page and calls exit(UNOTIFY_LAUNCH_EXIT_MAGIC), the one
 *     exit the filter lets through. The kernel then clears helper_tid and
 *     FUTEX_WAKEs it (CLONE_CHILD_CLEARTID): that is P's wake-up, and no
 *     notified syscall was needed for it.
 *  P  pidfd_getfd()s the listener, hands it to the supervisor (callback),
 *     closes its copy, and only then sends the go byte.
 *  C  wakes; its next syscalls (prctl, execve, ...) may be notified: the
 *     supervisor answers them. It execs the command.
 * C holds its own listener copy until exec (O_CLOEXEC), so its notified
 * calls wait for the supervisor instead of failing with ENOSYS; if P dies
 * before the go, PDEATHSIG kills C. On any failure P kills and reaps C. */
#include "launch.h"

#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "unotify/filter.h"
#include "unotify/kernel.h"
#include "unotify/landlock.h"
#include "unotify/macro.h"

#define HELPER_STACK_SIZE (64 * 1024)
#define GO_BYTE 'g'
/* C's exit code when P went away or said no before the go. */
#define EXIT_NO_GO 125

#define LAUNCH_FLAGS                                                    \
        (SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_TSYNC | \
         SECCOMP_FILTER_FLAG_TSYNC_ESRCH | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)

/* MAP_SHARED between P and C: C writes, P reads. */
struct launch_shared {
        int32_t helper_tid;  /* -1 before T2 exists, its tid while it lives, 0 after */
        int32_t listener_fd; /* the listener's fd number in C */
        int32_t error;       /* 0, or -errno of C's setup or of seccomp(2) */
        int32_t flags_used;  /* the seccomp(2) flags the filter was loaded with */
        int32_t exec_error;  /* errno of a failed execvp */
};

struct helper_args {
        const struct sock_fprog *prog;
        struct launch_shared *shared;
        int landlock_fd; /* -1: none */
};

/* ---- the helper thread T2 ----
 *
 * T2 is a raw clone: no TLS of its own (it shares C's main thread's), no
 * sanitizer state. So it makes its syscalls without glibc's errno and runs
 * uninstrumented, and does nothing but seccomp(2), two stores and exit. */

#if defined(__x86_64__)
static inline long raw_syscall3(long nr, long a, long b, long c)
{
        long ret;

        __asm__ volatile("syscall"
                         : "=a"(ret)
                         : "a"(nr), "D"(a), "S"(b), "d"(c)
                         : "rcx", "r11", "memory");
        return ret;
}
#elif defined(__aarch64__)
static inline long raw_syscall3(long nr, long a, long b, long c)
{
        register long x8 __asm__("x8") = nr;
        register long x0 __asm__("x0") = a;
        register long x1 __asm__("x1") = b;
        register long x2 __asm__("x2") = c;

        __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
        return x0;
}
#else
/* glibc's syscall() stores errno in the TLS T2 borrows from C's main
 * thread; that thread is blocked in read() and does not look at it. */
static inline long raw_syscall3(long nr, long a, long b, long c)
{
        long r = syscall(nr, a, b, c);

        return r < 0 ? -errno : r;
}
#endif

__attribute__((no_sanitize("address", "undefined"))) static int helper_main(void *arg)
{
        const struct helper_args *a = arg;
        unsigned long flags = LAUNCH_FLAGS;
        long fd;

        fd = raw_syscall3(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (long)flags, (long)a->prog);
        if (fd == -EINVAL) {
                /* Linux < 5.19: no WAIT_KILLABLE_RECV; P warns. */
                flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
                fd = raw_syscall3(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (long)flags, (long)a->prog);
        }
        a->shared->flags_used = (int32_t)flags;
        a->shared->listener_fd = fd >= 0 ? (int32_t)fd : -1;
        __atomic_store_n(&a->shared->error, fd >= 0 ? 0 : (int32_t)fd, __ATOMIC_RELEASE);
        /* Allowed by the filter (filter.h); CLONE_CHILD_CLEARTID wakes P. */
        for (;;)
                raw_syscall3(SYS_exit, UNOTIFY_LAUNCH_EXIT_MAGIC, 0, 0);
        return 0; /* not reached */
}

/* ---- the child C ---- */

static long futex_op(int32_t *addr, int op, int32_t val, const struct timespec *timeout)
{
        /* Not FUTEX_PRIVATE_FLAG: the word is shared between processes. */
        return syscall(SYS_futex, addr, op, val, timeout, NULL, 0);
}

/* Before T2 exists: report to P through the page, wake it, give up. */
_Noreturn static void child_fail(struct launch_shared *s, int error)
{
        __atomic_store_n(&s->error, error, __ATOMIC_RELEASE);
        __atomic_store_n(&s->helper_tid, 0, __ATOMIC_RELEASE);
        futex_op(&s->helper_tid, FUTEX_WAKE, 1, NULL);
        _exit(EXIT_NO_GO);
}

/* Runs unfiltered: any syscall is fine here. */
static int child_setup(const sigset_t *mask, pid_t parent, struct helper_args *args)
{
        void *stack;

        if (sigprocmask(SIG_SETMASK, mask, NULL) < 0)
                return negative_errno();
        /* If P dies before the go, nobody would answer our notified calls:
         * die with it. Cleared again before exec. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
                return negative_errno();
        if (getppid() != parent)
                return -ESRCH;
        /* Required for an unprivileged seccomp filter, and keeps the command
         * from gaining privileges the filter could not account for. */
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return negative_errno();
        /* Landlock restricts the calling thread and what it starts later:
         * here, before T2 exists, C is the only thread, so T2 and the
         * command inherit the domain. NO_NEW_PRIVS is what allows it. */
        if (args->landlock_fd >= 0) {
                int r = unotify_landlock_enforce(args->landlock_fd);

                if (r < 0)
                        return r;
                args->landlock_fd = safe_close(args->landlock_fd);
        }
        stack = mmap(NULL, HELPER_STACK_SIZE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (stack == MAP_FAILED)
                return negative_errno();
        /* A bare thread (not pthread): it only runs helper_main(). The kernel
         * writes its tid to helper_tid at clone, and clears and wakes it
         * when it exits. */
        if (clone(helper_main, (char *)stack + HELPER_STACK_SIZE,
                  CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
                          CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID,
                  args, &args->shared->helper_tid, NULL, &args->shared->helper_tid) < 0)
                return negative_errno();
        return 0;
}

/* Wait for P's go. From here on the filter may be loaded (T2 might even
 * have loaded it before we enter read(): then read() itself is notified
 * and answered once the supervisor has the listener). */
static bool child_wait_go(int go)
{
        for (;;) {
                char c;
                ssize_t n = read(go, &c, 1);

                if (n == 1)
                        return c == GO_BYTE;
                if (n < 0 && errno == EINTR)
                        continue;
                return false; /* EOF: P is gone */
        }
}

_Noreturn static void child_run(struct launch_shared *s, int go, const struct sock_fprog *prog,
                                int landlock_fd, char *const argv[], const sigset_t *mask,
                                pid_t parent)
{
        struct helper_args args = { .prog = prog, .shared = s, .landlock_fd = landlock_fd };
        int r, e;

        r = child_setup(mask, parent, &args);
        if (r < 0)
                child_fail(s, r);
        if (!child_wait_go(go))
                _exit(EXIT_NO_GO);
        /* Filtered from here on: every syscall may wait for the supervisor. */
        (void)prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
        execvp(argv[0], argv);
        e = errno;
        s->exec_error = e;
        /* Best effort: write(2) may be notified and denied. */
        dprintf(STDERR_FILENO, "unotify-run: %s: %s\n", argv[0], strerror(e));
        _exit(e == EACCES || e == EPERM || e == ENOEXEC ? 126 : 127);
}

/* ---- the parent P ---- */

static void forwarded_signals(sigset_t *set)
{
        sigemptyset(set);
        sigaddset(set, SIGINT);
        sigaddset(set, SIGTERM);
        sigaddset(set, SIGHUP);
        sigaddset(set, SIGQUIT);
        sigaddset(set, SIGCHLD);
}

static bool child_exited(pid_t pid)
{
        siginfo_t si = {};

        /* WNOWAIT: leave the status for launch_wait / kill_and_reap. */
        return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == pid;
}

/* Until T2 has exited, i.e. the filter is loaded (or failed). Each second
 * without news, check that C is still there. */
static int wait_helper(struct launch_shared *s, pid_t pid)
{
        int32_t v;

        while ((v = __atomic_load_n(&s->helper_tid, __ATOMIC_ACQUIRE)) != 0) {
                struct timespec timeout = { .tv_sec = 1 };

                if (futex_op(&s->helper_tid, FUTEX_WAIT, v, &timeout) < 0 && errno != EAGAIN &&
                    errno != EINTR && errno != ETIMEDOUT)
                        return negative_errno();
                if (__atomic_load_n(&s->helper_tid, __ATOMIC_ACQUIRE) != 0 && child_exited(pid))
                        return -ECHILD;
        }
        if (__atomic_load_n(&s->error, __ATOMIC_ACQUIRE) < 0)
                return s->error;
        return s->listener_fd >= 0 ? 0 : -EBADF;
}

static void kill_and_reap(int pidfd, pid_t pid)
{
        if (pidfd < 0 || syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) < 0)
                kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
}

static void release(struct launch_result *r)
{
        if (r->shared)
                munmap(r->shared, sizeof(*r->shared));
        r->shared = NULL;
        r->pidfd = safe_close(r->pidfd);
        r->pid = 0;
}

static int fail(struct launch_result *r, const char *step, int error)
{
        if (r->pid > 0)
                kill_and_reap(r->pidfd, r->pid);
        release(r);
        sigprocmask(SIG_SETMASK, &r->saved_mask, NULL);
        r->failed = step;
        return error;
}

/* The filter is loaded in C: take the listener, hand it over, say go. */
static int hand_over(struct launch_result *r, int go, launch_handoff_fn handoff, void *userdata)
{
        _cleanup_(closep) int listener = -1;
        int k;

        listener = (int)syscall(SYS_pidfd_getfd, r->pidfd, r->shared->listener_fd, 0);
        if (listener < 0)
                return fail(r, "take the listener (pidfd_getfd)", negative_errno());
        k = handoff(listener, r->pid, userdata);
        if (k < 0)
                return fail(r, "hand the listener over", k);
        listener = safe_close(listener);
        /* EPIPE: C died meanwhile; launch_wait reports how. */
        if (send(go, (char[]){ GO_BYTE }, 1, MSG_NOSIGNAL) < 0 && errno != EPIPE &&
            errno != ECONNRESET)
                return fail(r, "start the command", negative_errno());
        return 0;
}

int launch_start(const struct sock_fprog *prog, char *const argv[], launch_handoff_fn handoff,
                 void *userdata, struct launch_result *ret)
{
        return launch_start_landlocked(prog, -1, argv, handoff, userdata, ret);
}

int launch_start_landlocked(const struct sock_fprog *prog, int landlock_fd, char *const argv[],
                            launch_handoff_fn handoff, void *userdata, struct launch_result *ret)
{
        _cleanup_(closep) int go = -1;
        pid_t parent = getpid();
        sigset_t block;
        int sv[2], k;

        *ret = (struct launch_result){ .pidfd = -1 };
        if (!prog || !argv || !argv[0] || !handoff)
                return -EINVAL;
        forwarded_signals(&block);
        if (sigprocmask(SIG_BLOCK, &block, &ret->saved_mask) < 0)
                return (ret->failed = "block signals"), negative_errno();
        ret->shared = mmap(NULL, sizeof(*ret->shared), PROT_READ | PROT_WRITE,
                           MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (ret->shared == MAP_FAILED) {
                ret->shared = NULL;
                return fail(ret, "map the shared page", negative_errno());
        }
        *ret->shared =
                (struct launch_shared){ .helper_tid = -1, .listener_fd = -1, .error = -ECHILD };
        /* A socket, not a pipe: MSG_NOSIGNAL spares P a SIGPIPE if C died. */
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return fail(ret, "create the go socket", negative_errno());
        go = sv[0];
        ret->pid = fork();
        if (ret->pid < 0) {
                close(sv[1]);
                return fail(ret, "fork", negative_errno());
        }
        if (ret->pid == 0) {
                close(go);
                child_run(ret->shared, sv[1], prog, landlock_fd, argv, &ret->saved_mask, parent);
        }
        close(sv[1]);
        ret->pidfd = (int)syscall(SYS_pidfd_open, ret->pid, 0);
        if (ret->pidfd < 0)
                return fail(ret, "open a pidfd for the child", negative_errno());
        k = wait_helper(ret->shared, ret->pid);
        if (k < 0)
                return fail(ret,
                            k == -ECHILD ? "start the child (it died before loading the filter)"
                                         : "install the seccomp filter",
                            k);
        ret->flags = (unsigned long)ret->shared->flags_used;
        ret->wait_killable = ret->flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
        return hand_over(ret, go, handoff, userdata);
}

static void forward(const struct launch_result *r, int sig)
{
        if (syscall(SYS_pidfd_send_signal, r->pidfd, sig, NULL, 0) < 0)
                kill(r->pid, sig);
}

int launch_wait(struct launch_result *r, int *ret_status)
{
        sigset_t set;
        siginfo_t si;

        forwarded_signals(&set);
        for (;;) {
                int sig;

                si = (siginfo_t){};
                if (waitid(P_PID, (id_t)r->pid, &si, WEXITED | WNOHANG) < 0) {
                        int k = negative_errno();

                        if (k == -EINTR)
                                continue;
                        release(r);
                        return k;
                }
                if (si.si_pid == r->pid)
                        break;
                /* Blocked since launch_start: none is lost between waitid
                 * and here. */
                sig = sigwaitinfo(&set, NULL);
                if (sig > 0 && sig != SIGCHLD)
                        forward(r, sig);
        }
        r->exec_error = __atomic_load_n(&r->shared->exec_error, __ATOMIC_ACQUIRE);
        *ret_status = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
        release(r);
        return 0;
}
