/* Integration: the synthesized filter, the launch mechanism and the
 * handoff client against the real kernel. Filters are loaded only in
 * forked children, never in the Criterion worker; a supervisor thread in
 * the worker holds their listener and answers. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "launch.h"
#include "unotify/filter.h"
#include "unotify/kernel.h"
#include "unotify/unotify.h"

#define MAX_RECORDS 4096

/* ---- a tiny supervisor: a thread holding a listener ---- */

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

static void sup_answer(struct sup *s, const struct seccomp_notif *req,
                       struct seccomp_notif_resp *resp, size_t resp_size)
{
        struct record *rec = s->n_rec < MAX_RECORDS ? &s->rec[s->n_rec++] : NULL;

        if (rec)
                *rec = (struct record){ req->data.nr, req->data.arch, req->data.args[0], 0 };
        if (s->hold_nr >= 0 && req->data.nr == s->hold_nr) {
                char c;

                s->hold_nr = -1;
                (void)!write(s->held[1], &req->pid, sizeof(req->pid));
                (void)!read(s->release[0], &c, 1);
        }
        memset(resp, 0, resp_size);
        resp->id = req->id;
        if (s->deny)
                resp->error = -EPERM;
        else
                resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        if (ioctl(s->fd, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && rec)
                rec->send_result = errno;
}

/* RECV/SEND until no task uses the filter any more (POLLHUP). */
static void *sup_main(void *arg)
{
        struct sup *s = arg;
        struct seccomp_notif_sizes sz = { sizeof(struct seccomp_notif),
                                          sizeof(struct seccomp_notif_resp) };
        size_t req_size, resp_size;
        struct seccomp_notif *req;
        struct seccomp_notif_resp *resp;

        syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz);
        req_size = sz.seccomp_notif > sizeof(*req) ? sz.seccomp_notif : sizeof(*req);
        resp_size = sz.seccomp_notif_resp > sizeof(*resp) ? sz.seccomp_notif_resp : sizeof(*resp);
        req = calloc(1, req_size);
        resp = calloc(1, resp_size);
        for (;;) {
                struct pollfd p = { .fd = s->fd, .events = POLLIN };

                if (poll(&p, 1, 20000) <= 0 || !(p.revents & POLLIN))
                        break;
                memset(req, 0, req_size);
                if (ioctl(s->fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
                        if (errno == ENOENT || errno == EINTR)
                                continue;
                        break;
                }
                sup_answer(s, req, resp, resp_size);
        }
        free(req);
        free(resp);
        return NULL;
}

static struct sup *sup_start(int listener, bool deny, int hold_nr)
{
        struct sup *s = calloc(1, sizeof(*s));

        cr_assert(s);
        s->fd = listener;
        s->deny = deny;
        s->hold_nr = hold_nr;
        cr_assert_eq(pipe2(s->held, O_CLOEXEC), 0);
        cr_assert_eq(pipe2(s->release, O_CLOEXEC), 0);
        cr_assert_eq(pthread_create(&s->thread, NULL, sup_main, s), 0);
        return s;
}

/* Join once the target is gone; the records are then stable. */
static void sup_finish(struct sup *s)
{
        cr_assert_eq(pthread_join(s->thread, NULL), 0);
        close(s->fd);
        close(s->held[0]);
        close(s->held[1]);
        close(s->release[0]);
        close(s->release[1]);
}

static size_t sup_count(const struct sup *s, int nr)
{
        size_t n = 0;

        for (size_t i = 0; i < s->n_rec; i++)
                n += s->rec[i].nr == nr;
        return n;
}

/* ---- a filtered child running a probe ---- */

typedef int (*probe_fn)(int out);

static void send_fd(int sock, int fd)
{
        char control[CMSG_SPACE(sizeof(int))] = {};
        struct iovec iov = { .iov_base = "L", .iov_len = 1 };
        struct msghdr msg = { .msg_iov = &iov,
                              .msg_iovlen = 1,
                              .msg_control = control,
                              .msg_controllen = sizeof(control) };
        struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &fd, sizeof(int));
        if (sendmsg(sock, &msg, MSG_NOSIGNAL) != 1)
                _exit(90);
}

static int recv_fd(int sock)
{
        char control[CMSG_SPACE(sizeof(int))] = {}, c;
        struct iovec iov = { .iov_base = &c, .iov_len = 1 };
        struct msghdr msg = { .msg_iov = &iov,
                              .msg_iovlen = 1,
                              .msg_control = control,
                              .msg_controllen = sizeof(control) };
        struct cmsghdr *cm;
        int fd;

        cr_assert_eq(recvmsg(sock, &msg, MSG_CMSG_CLOEXEC), 1, "the child sent no listener");
        cm = CMSG_FIRSTHDR(&msg);
        cr_assert(cm && cm->cmsg_type == SCM_RIGHTS);
        memcpy(&fd, CMSG_DATA(cm), sizeof(int));
        return fd;
}

/* Fork a child that loads the filter for names (NEW_LISTENER), gives the
 * listener to a supervisor thread here, and runs probe (its output goes
 * to *ret_out). The names must not include sendmsg/close/write/exit_group. */
static pid_t spawn_filtered(const char *const *names, size_t n, probe_fn probe, bool deny,
                            struct sup **ret_sup, int *ret_out)
{
        struct sock_fprog prog;
        int sv[2], out[2];
        pid_t pid;

        cr_assert_eq(unotify_filter_build(names, n, &prog), 0);
        cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
        pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                int fd;

                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        _exit(91);
                fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                                  SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
                if (fd < 0)
                        _exit(92);
                send_fd(sv[1], fd);
                close(fd);
                _exit(probe(out[1]));
        }
        unotify_filter_free(&prog);
        close(sv[1]);
        close(out[1]);
        *ret_sup = sup_start(recv_fd(sv[0]), deny, -1);
        close(sv[0]);
        *ret_out = out[0];
        return pid;
}

static int wait_status(pid_t pid)
{
        int status;

        cr_assert_eq(waitpid(pid, &status, 0), pid);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void read_all(int fd, char *buf, size_t size)
{
        size_t len = 0;
        ssize_t n;

        while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
                len += (size_t)n;
        buf[len] = '\0';
        close(fd);
}

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

/* ---- the launch mechanism ---- */

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

/* ---- the handoff client against a fake daemon ---- */

struct fake {
        char dir[64], path[128];
        int sock;
        const char *reply; /* sent back verbatim */
        char got[4096];    /* what the client sent */
        int fds[4];
        size_t n_fds;
        ino_t first_fd_ino;
        bool fds_with_first_bytes;
        pthread_t thread;
};

/* Accept one connection, read until EOF, answer, close. */
static void *fake_main(void *arg)
{
        struct fake *f = arg;
        struct stat st;
        size_t len = 0;
        int c = accept4(f->sock, NULL, NULL, SOCK_CLOEXEC);

        for (;;) {
                char control[CMSG_SPACE(sizeof(int) * 4)] = {};
                struct iovec iov = { .iov_base = f->got + len,
                                     .iov_len = sizeof(f->got) - 1 - len };
                struct msghdr msg = { .msg_iov = &iov,
                                      .msg_iovlen = 1,
                                      .msg_control = control,
                                      .msg_controllen = sizeof(control) };
                ssize_t n = recvmsg(c, &msg, MSG_CMSG_CLOEXEC);

                if (n <= 0)
                        break;
                for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
                        size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

                        if (len == 0)
                                f->fds_with_first_bytes = true;
                        memcpy(f->fds + f->n_fds, CMSG_DATA(cm), k * sizeof(int));
                        f->n_fds += k;
                }
                len += (size_t)n;
        }
        f->got[len] = '\0';
        if (f->n_fds > 0 && fstat(f->fds[0], &st) == 0)
                f->first_fd_ino = st.st_ino;
        (void)!write(c, f->reply, strlen(f->reply));
        close(c);
        return NULL;
}

static struct fake *fake_start(const char *reply)
{
        struct fake *f = calloc(1, sizeof(*f));
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        cr_assert(f);
        strcpy(f->dir, "/tmp/unotify-test.XXXXXX");
        cr_assert(mkdtemp(f->dir));
        snprintf(f->path, sizeof(f->path), "%s/s", f->dir);
        strcpy(sa.sun_path, f->path);
        f->reply = reply;
        f->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        cr_assert_eq(bind(f->sock, (struct sockaddr *)&sa, sizeof(sa)), 0);
        cr_assert_eq(listen(f->sock, 4), 0);
        cr_assert_eq(pthread_create(&f->thread, NULL, fake_main, f), 0);
        return f;
}

static void fake_finish(struct fake *f)
{
        cr_assert_eq(pthread_join(f->thread, NULL), 0);
        for (size_t i = 0; i < f->n_fds; i++)
                close(f->fds[i]);
        close(f->sock);
        unlink(f->path);
        rmdir(f->dir);
}

Test(handoff, sends_the_oci_state_with_the_fd, .timeout = 30)
{
        struct fake *f = fake_start("{\"ok\":true,\"policy\":\"deny-mkdir\",\"listener\":7}\n");
        struct unotify_handoff h = { .pid = 1234,
                                     .policy = "deny-mkdir",
                                     .syscalls_digest = 0x0123456789abcdefull,
                                     .extra_metadata = "x=y\n" };
        struct unotify_reply r;
        struct stat st;
        int p[2];

        cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
        cr_assert_eq(unotify_handoff_send(f->path, p[0], &h, &r), 0, "%s", r.error ? r.error : "");
        fake_finish(f);
        cr_assert_str_eq(f->got, "{\"ociVersion\":\"1.0.2\",\"fds\":[\"seccompFd\"],\"pid\":1234,"
                                 "\"metadata\":\"policy=deny-mkdir\\nunotify.syscalls-digest="
                                 "0123456789abcdef\\nx=y\\n\","
                                 "\"state\":{\"ociVersion\":\"1.0.2\",\"id\":\"unotify-1234\","
                                 "\"status\":\"creating\","
                                 "\"pid\":1234,\"bundle\":\"/\",\"annotations\":{}}}");
        cr_assert_eq(f->n_fds, 1);
        cr_assert(f->fds_with_first_bytes);
        cr_assert(fstat(p[0], &st) == 0 && st.st_ino == f->first_fd_ino, "another fd arrived");
        cr_assert(r.ok);
        cr_assert_str_eq(r.policy, "deny-mkdir");
        cr_assert_eq(r.listener_id, 7);
        unotify_reply_clear(&r);
        free(f);
}

Test(handoff, refusal_carries_the_daemons_reason, .timeout = 30)
{
        struct fake *f = fake_start("{\"ok\":false,\"error\":\"policy \\\"demo\\\" changed\"}\n");
        struct unotify_handoff h = { .pid = 42, .container_id = "c1" };
        struct unotify_reply r;
        int p[2];

        cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
        cr_assert_eq(unotify_handoff_send(f->path, p[0], &h, &r), -EREMOTEIO);
        fake_finish(f);
        cr_assert(strstr(f->got, "\"id\":\"c1\""), "%s", f->got);
        cr_assert_null(strstr(f->got, "metadata"), "no field set, no metadata: %s", f->got);
        cr_assert(!r.ok);
        cr_assert_str_eq(r.error, "policy \"demo\" changed");
        unotify_reply_clear(&r);
        free(f);
}

struct query_case {
        const char *reply;
        int want;
};

static const struct query_case query_cases[] = {
        { "{\"ok\":true,\"policy\":\"demo\",\"syscalls\":[\"mkdir\",\"mkdirat\"],\"filter\":"
          "\"0600000000000000\",\"digest\":"
          "\"0123456789abcdef\"}\n",
          0 },
        { "{\"ok\":true,\"policy\":\"demo\",\"syscalls\":[],\"filter\":\"0600000000000000\","
          "\"digest\":\"0123456789abcdef\"}",
          0 },
        { "{\"ok\":false,\"error\":\"unknown policy \\\"demo\\\"\"}\n", -EREMOTEIO },
        { "{\"ok\":true,\"policy\":\"demo\",\"syscalls\":[\"mkdir\"],\"filter\":"
          "\"0600000000000000\",\"digest\":"
          "\"0123456789ABCDEF\"}\n",
          -EBADMSG },
        { "{\"ok\":true,\"policy\":\"demo\",\"syscalls\":[\"mkdir\"],\"filter\":"
          "\"0600000000000000\",\"digest\":"
          "\"0123456789abcde\"}\n",
          -EBADMSG },
        { "{\"ok\":true,\"policy\":\"demo\",\"syscalls\":[\"mkdir\"]}\n", -EBADMSG },
        { "{\"ok\":true,\"policy\":\"other\",\"syscalls\":[],\"filter\":\"0600000000000000\","
          "\"digest\":\"0123456789abcdef\"}\n",
          -EBADMSG },
        { "{\"ok\":true,\"policy\":\"demo\",\"syscalls\":\"mkdir\",\"filter\":\"0600000000000000\","
          "\"digest\":\"0123456789abcdef\"}"
          "\n",
          -EBADMSG },
        { "{\"ok\":true,\"policy\":\"demo\",\"syscalls\":[1],\"filter\":\"0600000000000000\","
          "\"digest\":\"0123456789abcdef\"}\n",
          -EBADMSG },
        { "{\"ok\":true,\"policy\":\"demo\",\"syscalls\":[\"a "
          "b\"],\"filter\":\"0600000000000000\",\"digest\":\"0123456789abcdef\"}\n",
          -EBADMSG },
        { "{\"ok\":1,\"policy\":\"demo\",\"syscalls\":[],\"filter\":\"0600000000000000\","
          "\"digest\":\"0123456789abcdef\"}\n",
          -EBADMSG },
        { "{\"ok\":false}\n", -EBADMSG },
        { "{\"ok\":true,\"ok\":true}\n", -EBADMSG },
        { "[]\n", -EBADMSG },
        { "garbage\n", -EBADMSG },
        { "", -EBADMSG },
        /* The filter: whole 8-byte instructions, lower-case hex, required. */
        { "{\"ok\":true,\"policy\":\"demo\",\"syscalls\":[],\"digest\":\"0123456789abcdef\"}\n",
          -EBADMSG },
        { "{\"ok\":true,\"policy\":\"demo\",\"syscalls\":[],\"filter\":\"06000000000000\","
          "\"digest\":\"0123456789abcdef\"}\n",
          -EBADMSG },
        { "{\"ok\":true,\"policy\":\"demo\",\"syscalls\":[],\"filter\":\"060000000000000g\","
          "\"digest\":\"0123456789abcdef\"}\n",
          -EBADMSG },
};

/* Criterion re-executes the worker: pass row numbers, not pointers. */
ParameterizedTestParameters(handoff, query_replies_are_validated)
{
        static size_t rows[sizeof(query_cases) / sizeof(query_cases[0])];

        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
                rows[i] = i;
        return cr_make_param_array(size_t, rows, sizeof(rows) / sizeof(rows[0]));
}

ParameterizedTest(size_t *row, handoff, query_replies_are_validated, .timeout = 30)
{
        const struct query_case *c = &query_cases[*row];
        struct fake *f = fake_start(c->reply);
        struct unotify_reply r;
        int k = unotify_query_policy(f->path, "demo", &r);

        fake_finish(f);
        cr_assert_str_eq(f->got, "{\"unotifyQuery\":\"policy\",\"policy\":\"demo\"}");
        cr_assert_eq(f->n_fds, 0);
        cr_assert_eq(k, c->want, "reply %s: got %d", c->reply, k);
        if (k == 0) {
                cr_assert(r.ok);
                cr_assert_eq(r.digest, 0x0123456789abcdefull);
                cr_assert_str_eq(r.policy, "demo");
                cr_assert_eq(r.filter_len, 1);
                cr_assert_eq(r.filter[0].code, 6); /* BPF_RET | BPF_K, little-endian */
        } else if (k == -EREMOTEIO) {
                cr_assert_str_eq(r.error, "unknown policy \"demo\"");
        } else {
                cr_assert(!r.ok && !r.error && !r.policy && !r.syscalls,
                          "a malformed reply left data behind");
        }
        unotify_reply_clear(&r);
        free(f);
}

Test(handoff, too_many_syscalls_are_refused, .timeout = 30)
{
        size_t size = 64 + 4097 * 9;
        char *reply = malloc(size), *p = reply;
        struct fake *f;
        struct unotify_reply r;

        p += sprintf(
                p,
                "{\"ok\":true,\"policy\":\"demo\",\"digest\":\"0123456789abcdef\",\"syscalls\":[");
        for (int i = 0; i < 4097; i++)
                p += sprintf(p, "%s\"s%04d\"", i ? "," : "", i);
        strcpy(p, "]}\n");
        f = fake_start(reply);
        cr_assert_eq(unotify_query_policy(f->path, "demo", &r), -EBADMSG);
        fake_finish(f);
        free(f);
        free(reply);
}

Test(handoff, unreachable_daemon_is_an_errno, .timeout = 10)
{
        struct unotify_reply r;
        struct unotify_handoff h = { .pid = 1 };

        cr_assert_eq(unotify_query_policy("/nonexistent/unotify.sock", "demo", &r), -ENOENT);
        cr_assert(!r.ok && !r.error);
        cr_assert_eq(unotify_handoff_send("/nonexistent/unotify.sock", -1, &h, &r), -EBADF);
        cr_assert_eq(unotify_query_policy("/nonexistent/unotify.sock", "", &r), -EINVAL);
}
