/* Policies the system tests run under. */
#pragma once

#include "harness.h"

#define DEMO_POLICY                                                                                  \
        "{\"name\":\"demo\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["                     \
        "{\"names\":[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":\"EPERM\"}," \
        "{\"names\":[\"uname\"],\"action\":\"SCMP_ACT_ALLOW\"}]}"

/* umask(0777) -> EPERM, umask(022) -> allowed, any other umask -> EACCES. */
#define ARGS_POLICY                                                                                   \
        "{\"name\":\"args\",\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":\"EACCES\","     \
        "\"syscalls\":["                                                                              \
        "{\"names\":[\"umask\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1,"                        \
        "\"args\":[{\"index\":0,\"value\":511,\"op\":\"SCMP_CMP_EQ\"}]},"                             \
        "{\"names\":[\"umask\"],\"action\":\"SCMP_ACT_ALLOW\","                                       \
        "\"args\":[{\"index\":0,\"value\":18,\"op\":\"SCMP_CMP_EQ\"}]}]}"

/* Every syscall the launcher makes between installing the filter and
 * exec, and what the command makes after: all answered by the daemon. */
#define LAUNCHER_POLICY                                                                              \
        "{\"name\":\"launcher\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":["     \
        "\"read\",\"write\",\"close\",\"sendmsg\",\"recvmsg\",\"execve\",\"exit\",\"exit_group\","   \
        "\"futex\",\"mmap\",\"munmap\",\"mprotect\",\"brk\",\"openat\",\"newfstatat\",\"fstat\","     \
        "\"rt_sigprocmask\",\"rt_sigaction\",\"access\",\"arch_prctl\",\"set_tid_address\","         \
        "\"prlimit64\",\"getrandom\",\"pread64\",\"rseq\",\"set_robust_list\"],"                     \
        "\"action\":\"SCMP_ACT_ALLOW\"}]}"

static const struct test_policy standard_policies[] = {
        { "demo.json", DEMO_POLICY },
        { "args.json", ARGS_POLICY },
        { "launcher.json", LAUNCHER_POLICY },
        {},
};
