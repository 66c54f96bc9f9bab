/* unotify-racer: a sandboxed target that races the supervisor on purpose
 * and prints what its calls returned, for tests/system/test_races.c.
 * Syscalls are made with syscall(2) so glibc cannot pick another one.
 *
 *   racer [--own-filter FD NR] MODE ARGS...
 *
 * --own-filter FD NR: install a filter of our own that notifies syscall NR
 *   (native ABI) without SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, send its
 *   listener over the unix socket FD (SCM_RIGHTS), wait for one byte on FD,
 *   then run MODE. (unotify-run installs its filter with the flag.)
 *
 * Modes:
 *   signals N restart|norestart
 *       a worker thread calls getppid N times while the main thread sends
 *       it SIGUSR1 in a tight loop (handler with or without SA_RESTART):
 *       "signals: 4242 xA, eintr E, other O, handled H" (4242: what the
 *       test's policy makes getppid return)
 *   flip N ALLOWED FORBIDDEN
 *       a thread rewrites one buffer between two paths of equal length in a
 *       tight loop while the main thread calls mkdir(buffer) N times:
 *       "flip: ok A EACCES B other C"
 *   badptr PATH
 *       mkdir with hostile pointers, one line each: "NAME: RESULT"; PATH is
 *       a good path placed so that its NUL is the last byte before a
 *       PROT_NONE page
 *   uffd
 *       mkdir with a pointer into a userfaultfd-registered page; when the
 *       supervisor's read faults on it, a thread SIGKILLs the process
 *   uffd-hold
 *       the same, but the thread leaves the fault unresolved until a byte
 *       arrives on stdin; then the process exits
 *   spin PATH
 *       prints "ready PID", then calls mkdir(PATH) until killed */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#endif

static const char *result(long r, int e)
{
        static __thread char buf[32];

        if (r >= 0)
                return "ok";
        switch (e) {
        case EFAULT:
                return "EFAULT";
        case EACCES:
                return "EACCES";
        case ENAMETOOLONG:
                return "ENAMETOOLONG";
        case EINTR:
                return "EINTR";
        default:
                snprintf(buf, sizeof(buf), "errno %d", e);
                return buf;
        }
}

/* ---- --own-filter ---- */

static int install_filter(int nr)
{
#ifdef NATIVE_ARCH
        struct sock_filter code[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]), .filter = code };

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -1;
        /* NEW_LISTENER only: no WAIT_KILLABLE_RECV. */
        return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
                            &prog);
#else
        (void)nr;
        errno = ENOSYS;
        return -1;
#endif
}

static int send_fd(int sock, int fd)
{
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct iovec iov = { .iov_base = "L", .iov_len = 1 };
        struct msghdr msg = { .msg_iov = &iov,
                              .msg_iovlen = 1,
                              .msg_control = control.buf,
                              .msg_controllen = sizeof(control.buf) };
        struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &fd, sizeof(int));
        return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int own_filter(int sock, int nr)
{
        int listener = install_filter(nr);
        char go;

        if (listener < 0 || send_fd(sock, listener) < 0) {
                perror("racer: own filter");
                return -1;
        }
        close(listener);
        if (read(sock, &go, 1) != 1)
                return -1;
        close(sock);
        return 0;
}

/* ---- signals ---- */

static atomic_int handled;
static atomic_bool worker_done;

static void on_usr1(int sig)
{
        (void)sig;
        atomic_fetch_add(&handled, 1);
}

/* What the policy of test_races.c makes getppid return. */
#define RACE_VALUE 4242

struct signals {
        int n;
        atomic_int tid;
        int value, eintr, other;
};

static void *signals_worker(void *arg)
{
        struct signals *s = arg;

        atomic_store(&s->tid, (int)gettid());
        for (int i = 0; i < s->n; i++) {
                long r = syscall(SYS_getppid);

                if (r == RACE_VALUE)
                        s->value++;
                else if (r < 0 && errno == EINTR)
                        s->eintr++;
                else
                        s->other++;
        }
        atomic_store(&worker_done, true);
        return NULL;
}

static int do_signals(int n, bool restart)
{
        struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = restart ? SA_RESTART : 0 };
        struct signals s = { .n = n };
        pthread_t t;
        int tid;

        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGUSR1, &sa, NULL) < 0 || pthread_create(&t, NULL, signals_worker, &s) != 0)
                return 1;
        while ((tid = atomic_load(&s.tid)) == 0)
                sched_yield();
        while (!atomic_load(&worker_done))
                syscall(SYS_tgkill, getpid(), tid, SIGUSR1);
        pthread_join(t, NULL);
        printf("signals: %d x%d, eintr %d, other %d, handled %d\n", RACE_VALUE, s.value, s.eintr,
               s.other, atomic_load(&handled));
        return 0;
}

/* ---- flip ---- */

struct flip {
        char buf[256];
        const char *a, *b;
        size_t len;
        atomic_bool stop;
};

static void *flipper(void *arg)
{
        struct flip *f = arg;

        while (!atomic_load_explicit(&f->stop, memory_order_relaxed)) {
                memcpy(f->buf, f->a, f->len);
                memcpy(f->buf, f->b, f->len);
        }
        return NULL;
}

static int do_flip(int n, const char *allowed, const char *forbidden)
{
        struct flip f = { .a = allowed, .b = forbidden, .len = strlen(allowed) + 1 };
        int ok = 0, eacces = 0, other = 0;
        pthread_t t;

        if (f.len != strlen(forbidden) + 1 || f.len > sizeof(f.buf))
                return 64;
        memcpy(f.buf, allowed, f.len);
        if (pthread_create(&t, NULL, flipper, &f) != 0)
                return 1;
        for (int i = 0; i < n; i++) {
                long r = syscall(SYS_mkdir, f.buf, 0700);

                if (r == 0)
                        ok++;
                else if (errno == EACCES)
                        eacces++;
                else
                        other++;
        }
        atomic_store(&f.stop, true);
        pthread_join(t, NULL);
        printf("flip: ok %d EACCES %d other %d\n", ok, eacces, other);
        return 0;
}

/* ---- badptr ---- */

static void try_mkdir(const char *name, const void *p)
{
        long r = syscall(SYS_mkdir, p, 0700);

        printf("%s: %s\n", name, result(r, errno));
}

static int do_badptr(const char *good)
{
        long page = sysconf(_SC_PAGESIZE);
        size_t len = strlen(good) + 1;
        char *m = mmap(NULL, (size_t)page * 3, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1, 0);
        char *unmapped;

        if (m == MAP_FAILED || len > (size_t)page)
                return 1;
        /* m: a page of 'a' without a NUL, then a PROT_NONE guard page, then
         * a page we unmap. */
        if (mprotect(m + page, (size_t)page, PROT_NONE) < 0 ||
            munmap(m + 2 * page, (size_t)page) < 0)
                return 1;
        unmapped = m + 2 * page;
        try_mkdir("null", NULL);
        try_mkdir("unmapped", unmapped);
        try_mkdir("kernel", (void *)(uintptr_t)0xffffffff80000000ull);
        try_mkdir("noncanonical", (void *)(uintptr_t)0x0000800000000000ull);
        memset(m, 'a', (size_t)page);
        m[0] = '/';
        try_mkdir("into-guard", m + 100);
        /* Valid: ends exactly at the guard. */
        memcpy(m + page - len, good, len);
        try_mkdir("ends-at-guard", m + page - len);
        munmap(m, (size_t)page * 2);
        return 0;
}

static int do_toolong(void)
{
        size_t n = 3 * 4096;
        char *s = malloc(n + 1);

        if (!s)
                return 1;
        memset(s, 'a', n);
        s[0] = '/';
        s[n] = '\0';
        try_mkdir("too-long", s);
        free(s);
        return 0;
}

/* ---- uffd ---- */

struct uffd_monitor {
        int uffd;
        bool hold;
};

static void *uffd_monitor(void *arg)
{
        const struct uffd_monitor *m = arg;
        struct pollfd p = { .fd = m->uffd, .events = POLLIN };
        struct uffd_msg msg;
        char c;

        /* The supervisor is reading our page: it is between RECV and SEND. */
        if (poll(&p, 1, -1) != 1 || read(m->uffd, &msg, sizeof(msg)) != sizeof(msg) ||
            msg.event != UFFD_EVENT_PAGEFAULT) {
                printf("no fault\n");
                _exit(1);
        }
        if (!m->hold) {
                printf("fault seen; killing ourselves\n");
                kill(getpid(), SIGKILL);
        }
        /* Never resolved: the supervisor's read waits until we exit. */
        printf("fault seen; holding it\n");
        if (read(STDIN_FILENO, &c, 1) < 0)
                _exit(1);
        return NULL;
}

static int do_uffd(bool hold)
{
        long page = sysconf(_SC_PAGESIZE);
        struct uffd_monitor mon = { .uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC),
                                    .hold = hold };
        struct uffdio_api api = { .api = UFFD_API };
        struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
        char *m = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                       0);
        pthread_t t;

        if (mon.uffd < 0 || m == MAP_FAILED || ioctl(mon.uffd, UFFDIO_API, &api) < 0) {
                perror("racer: userfaultfd");
                return 2;
        }
        reg.range = (struct uffdio_range){ .start = (uintptr_t)m, .len = (size_t)page };
        if (ioctl(mon.uffd, UFFDIO_REGISTER, &reg) < 0 ||
            pthread_create(&t, NULL, uffd_monitor, &mon) != 0)
                return 2;
        try_mkdir("uffd", m);
        pthread_join(t, NULL);
        return 0;
}

/* ---- spin ---- */

_Noreturn static void do_spin(const char *path)
{
        printf("ready %d\n", (int)getpid());
        for (;;)
                syscall(SYS_mkdir, path, 0700);
}

int main(int argc, char **argv)
{
        setvbuf(stdout, NULL, _IOLBF, 0);
        if (argc > 3 && !strcmp(argv[1], "--own-filter")) {
                if (own_filter(atoi(argv[2]), atoi(argv[3])) < 0)
                        return 70;
                argc -= 3;
                argv += 3;
        }
        if (argc == 4 && !strcmp(argv[1], "signals"))
                return do_signals(atoi(argv[2]), !strcmp(argv[3], "restart"));
        if (argc == 5 && !strcmp(argv[1], "flip"))
                return do_flip(atoi(argv[2]), argv[3], argv[4]);
        if (argc == 3 && !strcmp(argv[1], "badptr"))
                return do_badptr(argv[2]) || do_toolong();
        if (argc == 2 && !strcmp(argv[1], "uffd"))
                return do_uffd(false);
        if (argc == 2 && !strcmp(argv[1], "uffd-hold"))
                return do_uffd(true);
        if (argc == 3 && !strcmp(argv[1], "spin"))
                do_spin(argv[2]);
        fprintf(stderr, "usage: see the comment at the top of racer.c\n");
        return 64;
}
