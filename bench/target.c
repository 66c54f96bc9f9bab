/* Target processes for the benchmark: install a filter, hand the listener
 * to the bench over a socketpair (sendmsg is not notified: only getppid
 * or openat is), then time getppid(2) (or openat(2)) calls in N threads. */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define WARMUP_CALLS 200

/* Reads and writes of files handled, none allowed: every open of a file
 * for reading fails with EACCES, decided by the kernel alone. */
static int landlock_deny_reads(void)
{
        struct landlock_ruleset_attr attr = {
                .handled_access_fs = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE,
        };
        int fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0), r;

        if (fd < 0)
                return -errno;
        r = syscall(SYS_landlock_restrict_self, fd, 0) < 0 ? -errno : 0;
        close(fd);
        return r;
}

/* The syscall the target's call notifies (and a second one: umount2). */
static int notified_nr(enum target_call call, int *ret_second)
{
        *ret_second = -1;
        switch (call) {
        case CALL_GETPPID:
                return SYS_getppid;
        case CALL_SYSINFO:
                return SYS_sysinfo;
        case CALL_SCHED:
                return SYS_sched_setscheduler;
        case CALL_MOUNT:
                *ret_second = SYS_umount2;
                return SYS_mount;
        case CALL_XATTR:
                return SYS_setxattr;
        case CALL_OPEN_DENIED:
        case CALL_OPEN_ALLOWED:
        case CALL_OPEN_EXISTING:
        case CALL_OPEN_FIFO:
        case CALL_TAR_XF:
        case CALL_TRUE:
                break;
        }
        return SYS_openat;
}

/* The mount calls run in a mount namespace of the target's own: the
 * native ones change nothing on the host, the emulated ones land there. */
static int mount_setup(enum target_call call)
{
        if (call != CALL_MOUNT && call != CALL_XATTR)
                return 0;
        if (mkdir(BENCH_MOUNT_DIR, 0755) < 0 && errno != EEXIST)
                return -errno;
        if (call == CALL_XATTR)
                return 0;
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return -errno;
        return 0;
}

uint64_t target_seccomp_flags(enum target_call call)
{
        switch (call) {
        case CALL_SYSINFO:
        case CALL_SCHED:
        case CALL_MOUNT:
        case CALL_XATTR:
                return SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
        case CALL_GETPPID:
        case CALL_OPEN_DENIED:
        case CALL_OPEN_ALLOWED:
        case CALL_OPEN_EXISTING:
        case CALL_OPEN_FIFO:
        case CALL_TAR_XF:
        case CALL_TRUE:
                break;
        }
        return 0;
}

static int install(enum filter_kind kind, enum target_call call)
{
        int second, notified = notified_nr(call, &second);
        struct sock_filter notify[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)notified, 1, 0),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)second, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_filter allow[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
        struct sock_fprog prog = { .len = 8, .filter = notify };
        int r = mount_setup(call);

        if (r < 0)
                return r;
        if (kind == FILTER_NONE)
                return 0;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        if (kind == FILTER_LANDLOCK)
                return landlock_deny_reads();
        if (kind == FILTER_ALLOW) {
                prog = (struct sock_fprog){ .len = 1, .filter = allow };
                return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0 ? -errno : 0;
        }
        return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                            SECCOMP_FILTER_FLAG_NEW_LISTENER | target_seccomp_flags(call), &prog);
}

static int send_fd(int sock, int fd)
{
        char control[CMSG_SPACE(sizeof(int))] = {};
        char byte = 'L';
        struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
        struct cmsghdr *cm;

        if (fd >= 0) {
                msg.msg_control = control;
                msg.msg_controllen = sizeof(control);
                cm = CMSG_FIRSTHDR(&msg);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(cm), &fd, sizeof(int));
        }
        return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

static int recv_fd(int sock)
{
        char control[CMSG_SPACE(sizeof(int))] = {};
        char byte;
        struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
        struct msghdr msg = { .msg_iov = &iov,
                              .msg_iovlen = 1,
                              .msg_control = control,
                              .msg_controllen = sizeof(control) };
        struct cmsghdr *cm;
        int fd = -1;

        if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
                return -EIO;
        cm = CMSG_FIRSTHDR(&msg);
        if (cm && cm->cmsg_type == SCM_RIGHTS)
                memcpy(&fd, CMSG_DATA(cm), sizeof(int));
        return fd;
}

struct worker {
        pthread_t thread;
        pthread_barrier_t *ready;
        enum target_call call;
        uint64_t calls;
        pid_t parent;
        uint64_t start, end, failed;
};

static long call(const struct worker *w)
{
        long fd;

        switch (w->call) {
        case CALL_OPEN_DENIED:
                return syscall(SYS_openat, AT_FDCWD, BENCH_DENIED_PATH, O_RDONLY | O_CLOEXEC);
        case CALL_OPEN_ALLOWED:
                fd = syscall(SYS_openat, AT_FDCWD, BENCH_ALLOWED_PATH, O_RDONLY | O_CLOEXEC);
                if (fd >= 0)
                        close((int)fd);
                return fd;
        case CALL_OPEN_EXISTING:
                fd = syscall(SYS_openat, AT_FDCWD, BENCH_EXISTING_PATH, O_RDONLY | O_CLOEXEC);
                if (fd >= 0)
                        close((int)fd);
                return fd;
        case CALL_OPEN_FIFO:
                fd = syscall(SYS_openat, AT_FDCWD, BENCH_FIFO_PATH, O_RDONLY | O_CLOEXEC);
                if (fd >= 0)
                        close((int)fd);
                return fd;
        case CALL_SYSINFO: {
                struct sysinfo si;

                return syscall(SYS_sysinfo, &si);
        }
        case CALL_SCHED: {
                struct sched_param p = { .sched_priority = 0 };

                return syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, &p);
        }
        case CALL_MOUNT:
                if (syscall(SYS_mount, "none", BENCH_MOUNT_DIR, "tmpfs", 0, "size=64k") < 0)
                        return -1;
                return syscall(SYS_umount2, BENCH_MOUNT_DIR, 0);
        case CALL_XATTR:
                return syscall(SYS_setxattr, BENCH_MOUNT_DIR, "trusted.overlay.opaque", "y", 1, 0);
        case CALL_GETPPID:
        case CALL_TAR_XF:
        case CALL_TRUE:
                break;
        }
        return syscall(SYS_getppid);
}

/* errno answers come back as -1; the denied path is always refused, the
 * allowed one always opened. */
static bool answer_ok(const struct worker *w, long r)
{
        switch (w->call) {
        case CALL_OPEN_DENIED:
                return r == -1;
        case CALL_OPEN_EXISTING: /* under the ruleset that allows no reads */
                return r == -1 && errno == EACCES;
        case CALL_OPEN_ALLOWED:
                return r >= 0;
        case CALL_OPEN_FIFO: /* refused beyond its share: any answer */
                return true;
        case CALL_SYSINFO:
        case CALL_SCHED:
        case CALL_MOUNT:
        case CALL_XATTR:
                return r == 0;
        case CALL_GETPPID:
        case CALL_TAR_XF:
        case CALL_TRUE:
                break;
        }
        return r == w->parent || r == -1;
}

static void *work(void *arg)
{
        struct worker *w = arg;

        for (int i = 0; i < WARMUP_CALLS; i++)
                call(w);
        pthread_barrier_wait(w->ready);
        w->start = bench_now_ns();
        for (uint64_t i = 0; i < w->calls; i++) {
                if (!answer_ok(w, call(w)))
                        w->failed++;
        }
        w->end = bench_now_ns();
        return NULL;
}

static void run_threads(enum target_call what, int threads, uint64_t calls, int go, int result)
{
        struct worker *w = calloc((size_t)threads, sizeof(*w));
        struct target_result res = {};
        pthread_barrier_t ready;
        uint64_t first = UINT64_MAX, last = 0;
        char byte;

        if (!w || read(go, &byte, 1) != 1)
                _exit(1);
        pthread_barrier_init(&ready, NULL, (unsigned)threads);
        for (int i = 0; i < threads; i++) {
                w[i] = (struct worker){ .ready = &ready,
                                        .call = what,
                                        .calls = calls,
                                        .parent = (pid_t)syscall(SYS_getppid) };
                pthread_create(&w[i].thread, NULL, work, &w[i]);
        }
        for (int i = 0; i < threads; i++) {
                pthread_join(w[i].thread, NULL);
                first = w[i].start < first ? w[i].start : first;
                last = w[i].end > last ? w[i].end : last;
                res.calls += w[i].calls;
                res.failed += w[i].failed;
        }
        res.wall_ns = last - first;
        _exit(write(result, &res, sizeof(res)) == sizeof(res) ? 0 : 1);
}

int target_spawn(enum filter_kind kind, enum target_call what, int threads,
                 uint64_t calls_per_thread, int cpu, struct target *ret)
{
        const bool notify = kind == FILTER_NOTIFY;
        int sp[2], go[2], result[2];
        pid_t pid;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0 ||
            pipe2(go, O_CLOEXEC) < 0 || pipe2(result, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                /* Pinned before the threads exist: they inherit it. */
                int listener = bench_pin(0, cpu, false) < 0 ? -1 : install(kind, what);

                if (listener < 0 || send_fd(sp[1], notify ? listener : -1) < 0)
                        _exit(1);
                if (notify)
                        close(listener);
                run_threads(what, threads, calls_per_thread, go[0], result[1]);
        }
        close(sp[1]);
        close(go[0]);
        close(result[1]);
        *ret = (struct target){
                .pid = pid, .listener = recv_fd(sp[0]), .go = go[1], .result = result[0]
        };
        close(sp[0]);
        if (notify && ret->listener < 0)
                return -EIO;
        return 0;
}

void target_start(struct target *t)
{
        if (t->listener >= 0)
                t->listener = (close(t->listener), -1); /* the supervisor has its copy */
        if (write(t->go, "g", 1) != 1)
                kill(t->pid, SIGKILL);
        close(t->go);
}

int target_wait(struct target *t, struct target_result *ret)
{
        int status, r = 0;

        if (read(t->result, ret, sizeof(*ret)) != sizeof(*ret))
                r = -EIO;
        close(t->result);
        if (waitpid(t->pid, &status, 0) != t->pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                r = r ? r : -ECHILD;
        return r;
}
