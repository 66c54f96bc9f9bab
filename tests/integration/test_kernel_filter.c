/* The filter of a policy's kernel plan, loaded for real in a forked child
 * with no daemon anywhere: what the policy decides without the daemon, the
 * kernel decides, defaultAction included. */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unotify/filter.h"
#include "unotify/macro.h"
#include "unotify/policy.h"

/* Deny by default; the child needs write and exit_group after the filter,
 * and a sanitizer's runtime what it calls on its own (memory, signals,
 * /proc reads): none of them is a call under test. */
#define ALLOW_LIST                                                                                \
        "{\"name\":\"k\",\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["                     \
        "{\"names\":[\"getpid\",\"write\",\"exit_group\",\"exit\",\"mmap\",\"munmap\","           \
        "\"mprotect\",\"madvise\",\"brk\",\"sigaltstack\",\"rt_sigaction\",\"rt_sigprocmask\","   \
        "\"gettid\",\"tgkill\",\"futex\",\"sched_yield\",\"prctl\",\"openat\",\"open\",\"read\"," \
        "\"close\",\"fstat\",\"newfstatat\",\"readlink\",\"clock_gettime\",\"getrusage\"],"       \
        "\"action\":\"SCMP_ACT_ALLOW\"},"                                                         \
        "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,"      \
        "\"value\":4294967295,\"op\":\"SCMP_CMP_EQ\"}]},"                                         \
        "{\"names\":[\"umask\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":\"EROFS\"}]}"

enum { KEYCTL, ADD_KEY, UNSHARE, MOUNT, GETPID, PERSONALITY_QUERY, PERSONALITY_SET, UMASK, N };

static const char *const labels[N] = { "keyctl",
                                       "add_key",
                                       "unshare",
                                       "mount",
                                       "getpid",
                                       "personality(0xffffffff)",
                                       "personality(0x400000)",
                                       "umask" };

static long call(int which)
{
        switch (which) {
        case KEYCTL:
                return syscall(SYS_keyctl, 0, 0, 0, 0, 0);
        case ADD_KEY:
                return syscall(SYS_add_key, "user", "x", "y", 1, -2);
        case UNSHARE:
                return syscall(SYS_unshare, CLONE_NEWNS);
        case MOUNT:
                return syscall(SYS_mount, "none", "/nonexistent", "tmpfs", 0, NULL);
        case GETPID:
                return syscall(SYS_getpid);
        case PERSONALITY_QUERY:
                return syscall(SYS_personality, 0xffffffffUL);
        case PERSONALITY_SET:
                return syscall(SYS_personality, 0x0400000UL);
        case UMASK:
                return syscall(SYS_umask, 022);
        }
        return -1;
}

/* In the child, under the filter: only write and exit_group remain. */
_Noreturn static void child(const struct sock_fprog *prog, int out)
{
        int errs[N];

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
            syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) < 0)
                _exit(2);
        for (int i = 0; i < N; i++)
                errs[i] = call(i) < 0 ? errno : 0;
        _exit(syscall(SYS_write, out, errs, sizeof(errs)) == sizeof(errs) ? 0 : 3);
}

Test(kernel_filter, deny_by_default_holds_without_a_daemon, .timeout = 30)
{
        static const int want[N] = { EPERM, EPERM, EPERM, EPERM, 0, 0, EPERM, EROFS };
        _cleanup_(unotify_filter_free) struct sock_fprog prog = {};
        struct unotify_policy *p = NULL;
        int errs[N], fds[2], status;
        pid_t pid;

        cr_assert_eq(unotify_policy_load_buffer(ALLOW_LIST, strlen(ALLOW_LIST), "k.json", &p, NULL),
                     0);
        cr_assert_eq(unotify_filter_build_plan(unotify_policy_kernel_plan(p), false, &prog), 0);
        cr_assert_eq(pipe(fds), 0);
        pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0)
                child(&prog, fds[1]);
        close(fds[1]);
        cr_assert_eq(read(fds[0], errs, sizeof(errs)), (ssize_t)sizeof(errs));
        close(fds[0]);
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
        for (int i = 0; i < N; i++)
                cr_assert_eq(errs[i], want[i], "%s: errno %d (%s), want %d", labels[i], errs[i],
                             strerrorname_np(errs[i]) ?: "0", want[i]);
        unotify_policy_unref(p);
}
