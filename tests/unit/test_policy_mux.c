/* x86 (32-bit) socketcall(2) and ipc(2): a rule on "socket" decides both
 * the direct number and the multiplexed form, and never allows where its
 * conditions could not be checked. */
#include <linux/audit.h>
#include <linux/net.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "policy_helpers.h"

#define SOCKETCALL 102
#define IPC 117
#define SHMGET 23
#define SEMOP 1

/* The direct numbers the library uses are the kernel's, as libseccomp
 * names them (it knows them by number, not by name). */
Test(mux, direct_numbers_match_libseccomp, .timeout = 60)
{
        static const struct {
                const char *name;
                int nr;
        } rows[] = {
                { "socket", 359 },      { "socketpair", 360 }, { "bind", 361 },
                { "connect", 362 },     { "listen", 363 },     { "accept4", 364 },
                { "getsockopt", 365 },  { "setsockopt", 366 }, { "getsockname", 367 },
                { "getpeername", 368 }, { "sendto", 369 },     { "sendmsg", 370 },
                { "recvfrom", 371 },    { "recvmsg", 372 },    { "shutdown", 373 },
                { "recvmmsg", 337 },    { "sendmmsg", 345 },   { "semget", 393 },
                { "semctl", 394 },      { "shmget", 395 },     { "shmctl", 396 },
                { "shmat", 397 },       { "shmdt", 398 },      { "msgget", 399 },
                { "msgsnd", 400 },      { "msgrcv", 401 },     { "msgctl", 402 },
        };

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                _cleanup_(freep) char *name =
                        seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86, rows[i].nr);

                cr_assert_not_null(name, "%d", rows[i].nr);
                cr_assert_str_eq(name, rows[i].name);
                /* And libseccomp's name lookup gives no number: hence the table. */
                cr_assert_lt(seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86, rows[i].name), 0,
                             "%s", rows[i].name);
        }
}

#if defined(__x86_64__)

#define MUX_POLICY                                                                               \
        "{'name':'mux','defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':'ENOSYS','syscalls':[" \
        "{'names':['socket'],'action':'SCMP_ACT_ERRNO','errnoRet':'EACCES',"                     \
        "'args':[{'index':0,'value':16,'op':'SCMP_CMP_EQ'}]},"                                   \
        "{'names':['socket','connect'],'action':'SCMP_ACT_ALLOW'},"                              \
        "{'names':['shmget'],'action':'SCMP_ACT_ERRNO'},"                                        \
        "{'names':['send'],'action':'SCMP_ACT_LOG'},"                                            \
        "{'names':['accept'],'action':'SCMP_ACT_ALLOW','args':[{'index':2,'value':0,'op':'SCMP_" \
        "CMP_EQ'}]},"                                                                            \
        "{'names':['semop'],'action':'UNOTIFY_ACT_RETURN','returnValue':0,"                      \
        "'includes':{'arches':['x86_64']}}]}"

struct mux_case {
        const char *row;
        uint32_t arch;
        int nr;
        uint64_t a0, a1;
        enum unotify_action action;
        int error;
        int rule;
};

static const struct mux_case mux_cases[] = {
        /* socket(AF_NETLINK) is denied through either door. */
        { "socketcall SOCKET: args not checked, deny applies", AUDIT_ARCH_I386, SOCKETCALL,
          SYS_SOCKET, 0, ERRNO, EACCES, 0 },
        { "direct socket AF_NETLINK", AUDIT_ARCH_I386, 359, 16, 0, ERRNO, EACCES, 0 },
        { "direct socket AF_INET", AUDIT_ARCH_I386, 359, 2, 0, CONTINUE, 0, 1 },
        { "socketcall SOCKET, high bits set", AUDIT_ARCH_I386, SOCKETCALL,
          SYS_SOCKET | 0x100000000ULL, 0, ERRNO, EACCES, 0 },
        { "socketcall CONNECT: allowed, no args", AUDIT_ARCH_I386, SOCKETCALL, SYS_CONNECT, 0,
          CONTINUE, 0, 1 },
        { "direct connect", AUDIT_ARCH_I386, 362, 0, 0, CONTINUE, 0, 1 },
        { "socketcall SEND (no direct number)", AUDIT_ARCH_I386, SOCKETCALL, SYS_SEND, 0, CONTINUE,
          0, 3 },
        { "socketcall ACCEPT: an allow with args does not apply", AUDIT_ARCH_I386, SOCKETCALL,
          SYS_ACCEPT, 0, ERRNO, ENOSYS, -1 },
        { "socketcall BIND: no rule", AUDIT_ARCH_I386, SOCKETCALL, SYS_BIND, 0, ERRNO, ENOSYS, -1 },
        { "socketcall 99", AUDIT_ARCH_I386, SOCKETCALL, 99, 0, ERRNO, ENOSYS, -1 },
        { "ipc SHMGET", AUDIT_ARCH_I386, IPC, SHMGET, 0, ERRNO, EPERM, 2 },
        { "ipc SHMGET with a version", AUDIT_ARCH_I386, IPC, SHMGET | 1 << 16, 0, ERRNO, EPERM, 2 },
        { "direct shmget", AUDIT_ARCH_I386, 395, 0, 0, ERRNO, EPERM, 2 },
        { "ipc SEMOP: its rule excludes x86", AUDIT_ARCH_I386, IPC, SEMOP, 0, ERRNO, ENOSYS, -1 },
        { "x86 41 is dup, not socket", AUDIT_ARCH_I386, 41, 16, 0, ERRNO, ENOSYS, -1 },
        { "x86_64 socket AF_NETLINK", AUDIT_ARCH_X86_64, SYS_socket, 16, 0, ERRNO, EACCES, 0 },
        { "x86_64 socket AF_INET", AUDIT_ARCH_X86_64, SYS_socket, 2, 0, CONTINUE, 0, 1 },
        { "x86_64 102 is getuid, not socketcall", AUDIT_ARCH_X86_64, 102, SYS_SOCKET, 0, ERRNO,
          ENOSYS, -1 },
        { "x86_64 semop", AUDIT_ARCH_X86_64, SYS_semop, 0, 0, UNOTIFY_ACTION_RETURN, 0, 5 },
        { "x32 socket AF_NETLINK", AUDIT_ARCH_X86_64, X32_BIT | 41, 16, 0, ERRNO, EACCES, 0 },
        { "x32 shmget", AUDIT_ARCH_X86_64, X32_BIT | 29, 0, 0, ERRNO, EPERM, 2 },
};

ROWS(mux, table, mux_cases)

ParameterizedTest(size_t *row, mux, table, .timeout = 60)
{
        const struct mux_case *c = &mux_cases[*row];
        struct unotify_policy *p = NULL;
        struct unotify_diags diags = {};
        uint64_t args[6] = { c->a0, c->a1 };
        struct unotify_decision d;

        /* Two warnings: socket and accept have args. */
        cr_assert_eq(load_opts(MUX_POLICY, NULL, &p, &diags), 0);
        cr_assert_eq(diags.count, 2);
        unotify_diags_clear(&diags);
        d = decide(p, c->arch, c->nr, args);
        cr_assert_eq(d.action, c->action, "%s: action %d", c->row, d.action);
        cr_assert_eq(d.error, c->error, "%s: error %d", c->row, d.error);
        cr_assert_eq(d.rule, c->rule, "%s: rule %d", c->row, d.rule);
        unotify_policy_unref(p);
}

Test(mux, warnings, .timeout = 60)
{
        struct unotify_policy *p = NULL;
        struct unotify_diags diags = {};
        _cleanup_(freep) char *text = NULL;

        cr_assert_eq(load_opts(MUX_POLICY, NULL, &p, &diags), 0);
        text = diags_text(&diags);
        cr_assert_str_eq(text,
                         "test.json: /syscalls/0: warning: x86 (32-bit) tasks may call \"socket\" "
                         "through socketcall(2), whose arguments are in their memory: there "
                         "\"args\" cannot be checked and this rule applies to every such call\n"
                         "test.json: /syscalls/4: warning: x86 (32-bit) tasks may call \"accept\" "
                         "through socketcall(2), whose arguments are in their memory: there "
                         "\"args\" cannot be checked and this rule does not apply");
        unotify_diags_clear(&diags);
        unotify_policy_unref(p);
        /* No warning when the rule excludes x86, or has no conditions. */
        p = load_ok("{'name':'m','defaultAction':'SCMP_ACT_ALLOW','syscalls':["
                    "{'names':['shmat'],'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':1,"
                    "'op':'SCMP_CMP_EQ'}],'excludes':{'arches':['x86']}},"
                    "{'names':['shmat','send'],'action':'SCMP_ACT_ERRNO'}]}");
        unotify_policy_unref(p);
}

/* "send" and "recv" exist only multiplexed on x86: known, and decided
 * there only. */
Test(mux, x86_only_names, .timeout = 60)
{
        struct unotify_policy *p =
                load_ok("{'name':'m','defaultAction':'SCMP_ACT_ALLOW','syscalls':["
                        "{'names':['recv'],'action':'SCMP_ACT_ERRNO','errnoRet':'EIO'}]}");
        uint64_t recv_call[6] = { SYS_RECV };
        size_t n;

        cr_assert_eq(decide(p, AUDIT_ARCH_I386, SOCKETCALL, recv_call).error, EIO);
        cr_assert_eq(decide(p, AUDIT_ARCH_X86_64, SOCKETCALL, recv_call).action, CONTINUE);
        cr_assert_str_eq(unotify_policy_syscalls(p, &n)[0], "recv");
        unotify_policy_unref(p);
}

#endif
