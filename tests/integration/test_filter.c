/* Integration: the synthesized filter against the real kernel: which
 * names are known, every ABI covered, exactly the named calls notified
 * (also through the x32 and i386 entries), exit's magic left alone. The
 * launch mechanism and the handoff client are in test_filter_launch.c and
 * test_filter_handoff.c; filter_sup.h is their supervisor. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "filter_sup.h"
#include "unotify/filter.h"
#include "unotify/kernel.h"

static const char *result(long r)
{
        return r >= 0            ? "ok"
               : errno == EPERM  ? "EPERM"
               : errno == ENOENT ? "ENOENT"
               : errno == EBADF  ? "EBADF"
                                 : "other";
}

/* ---- filter synthesis ---- */

Test(filter, unknown_names_are_einval, .timeout = 10)
{
        struct sock_fprog prog;

        cr_assert_eq(unotify_filter_build((const char *[]){ "mkdir", "no_such_syscall" }, 2, &prog),
                     -EINVAL);
        cr_assert_eq(unotify_filter_build((const char *[]){ "" }, 1, &prog), -EINVAL);
        cr_assert_eq(unotify_filter_build((const char *[]){ NULL }, 1, &prog), -EINVAL);
        /* Only on a compat ABI (x86's socketcall): known, so accepted. */
#if defined(__x86_64__)
        cr_assert_eq(unotify_filter_build((const char *[]){ "socketcall" }, 1, &prog), 0);
        unotify_filter_free(&prog);
#endif
        cr_assert_eq(unotify_filter_build((const char *[]){ "mkdir" }, 1, &prog), 0);
        cr_assert_gt(prog.len, 0);
        unotify_filter_free(&prog);
        cr_assert_null(prog.filter);
}

/* A classic-BPF interpreter for what libseccomp emits, to check the
 * program's decisions for every ABI without a kernel that runs them all.
 * Returns the action, or 0xdead for an instruction it does not know. */
static uint32_t bpf_run(const struct sock_fprog *p, const struct seccomp_data *d)
{
        uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {};

        for (unsigned pc = 0; pc < p->len; pc++) {
                const struct sock_filter *f = &p->filter[pc];
                uint32_t src = BPF_SRC(f->code) == BPF_X ? x : f->k;

                switch (BPF_CLASS(f->code)) {
                case BPF_LD:
                        if (f->code == (BPF_LD | BPF_W | BPF_ABS) && f->k + 4 <= sizeof(*d))
                                memcpy(&a, (const char *)d + f->k, 4);
                        else if (f->code == (BPF_LD | BPF_MEM) && f->k < BPF_MEMWORDS)
                                a = mem[f->k];
                        else
                                return 0xdead;
                        break;
                case BPF_ST:
                        mem[f->k % BPF_MEMWORDS] = a;
                        break;
                case BPF_ALU:
                        if (BPF_OP(f->code) != BPF_AND)
                                return 0xdead;
                        a &= src;
                        break;
                case BPF_JMP:
                        if (BPF_OP(f->code) == BPF_JA) {
                                pc += f->k;
                                break;
                        }
                        switch (BPF_OP(f->code)) {
                        case BPF_JEQ:
                                pc += a == src ? f->jt : f->jf;
                                break;
                        case BPF_JGT:
                                pc += a > src ? f->jt : f->jf;
                                break;
                        case BPF_JGE:
                                pc += a >= src ? f->jt : f->jf;
                                break;
                        case BPF_JSET:
                                pc += (a & src) ? f->jt : f->jf;
                                break;
                        default:
                                return 0xdead;
                        }
                        break;
                case BPF_RET:
                        return BPF_RVAL(f->code) == BPF_A ? a : f->k;
                default:
                        return 0xdead;
                }
        }
        return 0xdead;
}

#define X32 0x40000000
#define NOTIFY SECCOMP_RET_USER_NOTIF
#define ALLOW SECCOMP_RET_ALLOW
#define MAGIC UNOTIFY_LAUNCH_EXIT_MAGIC

Test(filter, every_abi_is_covered, .timeout = 10)
{
#if !defined(__x86_64__)
        cr_skip_test("the table is for x86_64 (x86_64, x86 and x32 ABIs)");
#else
        static const struct {
                uint32_t arch;
                int nr;
                uint64_t arg0;
                uint32_t want;
        } table[] = {
                { AUDIT_ARCH_X86_64, 83, 0, NOTIFY },              /* mkdir */
                { AUDIT_ARCH_X86_64, 39, 0, ALLOW },               /* getpid */
                { AUDIT_ARCH_X86_64, 46, 0, NOTIFY },              /* sendmsg */
                { AUDIT_ARCH_X86_64, 60, 0, NOTIFY },              /* exit(0) */
                { AUDIT_ARCH_X86_64, 60, MAGIC, ALLOW },           /* exit(MAGIC) */
                { AUDIT_ARCH_X86_64, 60, 0x1554e4f54ull, NOTIFY }, /* all 64 bits count */
                { AUDIT_ARCH_I386, 39, 0, NOTIFY },                /* mkdir */
                { AUDIT_ARCH_I386, 20, 0, ALLOW },                 /* getpid */
                { AUDIT_ARCH_I386, 370, 0, NOTIFY },               /* sendmsg */
                { AUDIT_ARCH_I386, 102, 16, NOTIFY },              /* socketcall(SENDMSG) */
                { AUDIT_ARCH_I386, 102, 1, ALLOW },                /* socketcall(SOCKET) */
                { AUDIT_ARCH_I386, 1, 0, NOTIFY },                 /* exit(0) */
                { AUDIT_ARCH_I386, 1, MAGIC, ALLOW },              /* exit(MAGIC) */
                { AUDIT_ARCH_X86_64, X32 | 83, 0, NOTIFY },        /* x32 mkdir */
                { AUDIT_ARCH_X86_64, X32 | 39, 0, ALLOW },         /* x32 getpid */
                { AUDIT_ARCH_X86_64, X32 | 60, MAGIC, ALLOW },     /* x32 exit(MAGIC) */
                { AUDIT_ARCH_X86_64, X32 | 60, 1, NOTIFY },        /* x32 exit(1) */
        };
        struct sock_fprog prog;

        cr_assert_eq(unotify_filter_build((const char *[]){ "mkdir", "sendmsg", "exit" }, 3, &prog),
                     0);
        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
                struct seccomp_data d = { .nr = table[i].nr,
                                          .arch = table[i].arch,
                                          .args = { table[i].arg0 } };
                uint32_t got = bpf_run(&prog, &d);

                cr_expect_eq(got & SECCOMP_RET_ACTION_FULL, table[i].want,
                             "row %zu: arch %#x nr %#x arg0 %#llx: got %#x, want %#x", i,
                             table[i].arch, table[i].nr, (unsigned long long)table[i].arg0, got,
                             table[i].want);
        }
        /* An ABI the filter does not know is killed, not allowed. */
        cr_expect_neq(
                bpf_run(&prog, &(struct seccomp_data){ .nr = 83, .arch = AUDIT_ARCH_AARCH64 }),
                ALLOW);
        unotify_filter_free(&prog);
#endif
}

/* mkdir, dup and getppid are named; mkdirat, close and getpid are not.
 * Bad arguments make every call harmless and its errno telling. */
static int probe_named(int out)
{
        dprintf(out, "mkdir=%s ", result(syscall(SYS_mkdir, "/nonexistent/unotify", 0700)));
        dprintf(out, "mkdirat=%s ",
                result(syscall(SYS_mkdirat, AT_FDCWD, "/nonexistent/unotify", 0700)));
        dprintf(out, "dup=%s ", result(syscall(SYS_dup, -1)));
        dprintf(out, "close=%s ", result(syscall(SYS_close, -1)));
        dprintf(out, "getppid=%s ", result(syscall(SYS_getppid)));
        dprintf(out, "getpid=%s\n", result(syscall(SYS_getpid)));
        return 0;
}

Test(filter, notifies_exactly_the_named_syscalls, .timeout = 30)
{
        const char *names[] = { "mkdir", "dup", "getppid" };
        struct sup *s;
        char out[256];
        int fd;
        pid_t pid = spawn_filtered(names, 3, probe_named, true, &s, &fd);

        read_all(fd, out, sizeof(out));
        cr_assert_eq(wait_status(pid), 0);
        sup_finish(s);
        cr_assert_str_eq(
                out, "mkdir=EPERM mkdirat=ENOENT dup=EPERM close=EBADF getppid=EPERM getpid=ok\n");
        cr_assert_eq(s->n_rec, 3, "notified %zu calls", s->n_rec);
        cr_assert_eq(sup_count(s, SYS_mkdir), 1);
        cr_assert_eq(sup_count(s, SYS_dup), 1);
        cr_assert_eq(sup_count(s, SYS_getppid), 1);
        free(s);
}

#if defined(__x86_64__)
static long x32_syscall1(long nr, long a)
{
        long ret;

        __asm__ volatile("syscall" : "=a"(ret) : "a"(X32 | nr), "D"(a) : "rcx", "r11", "memory");
        return ret;
}

static long int80_syscall1(long nr, long a)
{
        long ret;

        __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a) : "memory");
        return ret;
}

/* x32 mkdir (83) on a NULL path: EFAULT/ENOSYS without the filter. */
static int probe_x32(int out)
{
        dprintf(out, "%ld\n", x32_syscall1(83, 0));
        return 0;
}

/* i386 mkdir (39) on a NULL path. */
static int probe_int80(int out)
{
        dprintf(out, "%ld\n", int80_syscall1(39, 0));
        return 0;
}

/* Does int $0x80 work here? Some kernels (ia32_emulation=0, some
 * hypervisors) fault on it. Asked in a child: it may die of it. */
static bool have_int80(void)
{
        pid_t pid = fork();

        cr_assert_geq(pid, 0);
        if (pid == 0) {
                /* Die of the fault, not in a sanitizer's or Criterion's handler. */
                signal(SIGSEGV, SIG_DFL);
                _exit(int80_syscall1(20, 0) == syscall(SYS_getpid) ? 0 : 1); /* i386 getpid */
        }
        return wait_status(pid) == 0;
}
#endif

Test(filter, x32_abi_is_notified, .timeout = 30)
{
#if !defined(__x86_64__)
        cr_skip_test("x32 is an x86_64 ABI");
#else
        struct sup *s;
        char out[64];
        int fd;
        pid_t pid = spawn_filtered((const char *[]){ "mkdir" }, 1, probe_x32, true, &s, &fd);

        read_all(fd, out, sizeof(out));
        cr_assert_eq(wait_status(pid), 0);
        sup_finish(s);
        cr_assert_str_eq(out, "-1\n", "x32 mkdir returned %s (want -EPERM from the supervisor)",
                         out);
        cr_assert_eq(s->n_rec, 1);
        cr_assert_eq(s->rec[0].nr, X32 | 83);
        cr_assert_eq(s->rec[0].arch, AUDIT_ARCH_X86_64);
        free(s);
#endif
}

Test(filter, x86_abi_is_notified, .timeout = 30)
{
#if !defined(__x86_64__)
        cr_skip_test("int $0x80 is the x86 ABI of x86_64");
#else
        struct sup *s;
        char out[64];
        int fd;
        pid_t pid;

        if (!have_int80())
                cr_skip_test("int $0x80 faults on this kernel (IA32 emulation off); "
                             "filter::every_abi_is_covered checks the x86 rules");
        pid = spawn_filtered((const char *[]){ "mkdir" }, 1, probe_int80, true, &s, &fd);
        read_all(fd, out, sizeof(out));
        cr_assert_eq(wait_status(pid), 0);
        sup_finish(s);
        cr_assert_str_eq(out, "-1\n", "i386 mkdir returned %s (want -EPERM)", out);
        cr_assert_eq(s->n_rec, 1);
        cr_assert_eq(s->rec[0].arch, AUDIT_ARCH_I386);
        free(s);
#endif
}

static int probe_exit_magic(int out)
{
        (void)out;
        syscall(SYS_exit, UNOTIFY_LAUNCH_EXIT_MAGIC);
        return 99;
}

static int probe_exit_3(int out)
{
        (void)out;
        syscall(SYS_exit, 3);
        return 99;
}

Test(filter, exit_magic_is_not_notified, .timeout = 30)
{
        struct sup *s;
        int fd;
        pid_t pid;

        pid = spawn_filtered((const char *[]){ "exit" }, 1, probe_exit_magic, false, &s, &fd);
        cr_assert_eq(wait_status(pid), UNOTIFY_LAUNCH_EXIT_MAGIC & 0xff);
        close(fd);
        sup_finish(s);
        cr_assert_eq(s->n_rec, 0, "exit(MAGIC) was notified");
        free(s);

        pid = spawn_filtered((const char *[]){ "exit" }, 1, probe_exit_3, false, &s, &fd);
        cr_assert_eq(wait_status(pid), 3);
        close(fd);
        sup_finish(s);
        cr_assert_eq(s->n_rec, 1, "exit(3) must be notified");
        cr_assert_eq(s->rec[0].nr, SYS_exit);
        cr_assert_eq(s->rec[0].arg0, 3);
        free(s);
}
