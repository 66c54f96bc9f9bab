/* Policies the system tests run under. */
#pragma once

#include "harness.h"

#define DEMO_POLICY                                                                         \
        "{\"name\":\"demo\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["            \
        "{\"names\":[\"mkdir\",\"mkdirat\"],\"notify\":true,\"action\":\"SCMP_ACT_ERRNO\"," \
        "\"errnoRet\":\"EPERM\"},"                                                          \
        "{\"names\":[\"uname\"],\"notify\":true,\"action\":\"SCMP_ACT_ALLOW\"}]}"

/* umask(0777) -> EPERM, umask(022) -> EACCES, any other umask -> allowed
 * by defaultAction, which the daemon answers for a notified call that no
 * rule matches. (A deny-by-default policy would deny every other syscall
 * in the kernel, the probe's own exec first.) */
#define ARGS_POLICY                                                                             \
        "{\"name\":\"args\",\"defaultAction\":\"SCMP_ACT_ALLOW\","                              \
        "\"syscalls\":["                                                                        \
        "{\"names\":[\"umask\"],\"notify\":true,\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1,"  \
        "\"args\":[{\"index\":0,\"value\":511,\"op\":\"SCMP_CMP_EQ\"}]},"                       \
        "{\"names\":[\"umask\"],\"notify\":true,\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13," \
        "\"args\":[{\"index\":0,\"value\":18,\"op\":\"SCMP_CMP_EQ\"}]}]}"

/* Every syscall the launcher makes between installing the filter and
 * exec, and what the command makes after: all answered by the daemon. */
#define LAUNCHER_POLICY                                                                            \
        "{\"name\":\"launcher\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":["   \
        "\"read\",\"write\",\"close\",\"sendmsg\",\"recvmsg\",\"execve\",\"exit\",\"exit_group\"," \
        "\"futex\",\"mmap\",\"munmap\",\"mprotect\",\"brk\",\"openat\",\"newfstatat\",\"fstat\","  \
        "\"rt_sigprocmask\",\"rt_sigaction\",\"access\",\"arch_prctl\",\"set_tid_address\","       \
        "\"prlimit64\",\"getrandom\",\"pread64\",\"rseq\",\"set_robust_list\"],"                   \
        "\"notify\":true,\"action\":\"SCMP_ACT_ALLOW\"}]}"

static const struct test_policy standard_policies[] = {
        { "demo.json", DEMO_POLICY },
        { "args.json", ARGS_POLICY },
        { "launcher.json", LAUNCHER_POLICY },
        {},
};
