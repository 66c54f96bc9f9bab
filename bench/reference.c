/* The yardstick: the least a supervisor can do. One thread per listener,
 * each a blocking RECV/SEND loop with buffers allocated once; nothing else
 * on the path. It never polls, so it is stopped with SIGKILL. */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "unotify/kernel.h"

struct loop {
        int fd;
        enum ref_mode mode;
};

/* Read 64 bytes at addr, then check the id is still valid. */
static int read_target(int fd, const struct seccomp_notif *req, uint64_t addr, char *buf,
                       size_t size)
{
        struct iovec local = { .iov_base = buf, .iov_len = size };
        struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = size };

        if (process_vm_readv((pid_t)req->pid, &local, 1, &remote, 1, 0) < 0 ||
            ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) < 0)
                return -1;
        return 0;
}

/* Open the path the task named with its flags, here, and install the fd
 * in the task as the call's result in one ioctl (ADDFD_FLAG_SEND). No
 * root, no credentials: a floor for any supervisor that emulates open. */
static void open_and_send(int fd, struct seccomp_notif *req, struct seccomp_notif_resp *resp)
{
        char path[64];
        struct seccomp_notif_addfd addfd = {
                .id = req->id,
                .flags = SECCOMP_ADDFD_FLAG_SEND,
                .newfd_flags = (uint32_t)req->data.args[2] & O_CLOEXEC,
        };
        int opened;

        if (read_target(fd, req, req->data.args[1], path, sizeof(path)) < 0)
                return;
        path[sizeof(path) - 1] = '\0';
        opened = openat(AT_FDCWD, path, (int)req->data.args[2] | O_CLOEXEC,
                        (mode_t)req->data.args[3]);
        if (opened < 0) {
                resp->error = -errno;
                ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, resp);
                return;
        }
        addfd.srcfd = (uint32_t)opened;
        ioctl(fd, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
        close(opened);
}

static void answer(int fd, enum ref_mode mode, struct seccomp_notif *req,
                   struct seccomp_notif_resp *resp)
{
        char buf[64];

        memset(resp, 0, sizeof(*resp));
        resp->id = req->id;
        switch (mode) {
        case REF_ERRNO:
                resp->error = -EPERM;
                break;
        case REF_PATHDENY:
                /* openat's path; the bench's is shorter than the buffer */
                if (read_target(fd, req, req->data.args[1], buf, sizeof(buf)) < 0)
                        return;
                if (strncmp(buf, BENCH_DENIED_PATH, sizeof(buf)) == 0)
                        resp->error = -EACCES;
                else
                        resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
                break;
        case REF_MEMREAD:
                if (read_target(fd, req, req->data.instruction_pointer, buf, sizeof(buf)) < 0)
                        return;
                resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
                break;
        case REF_OPEN_ADDFD:
                open_and_send(fd, req, resp);
                return;
        case REF_CONTINUE:
        case REF_EMULATE_OPEN: /* not the reference's: it lets the call run */
        case REF_LEARN:
        case REF_EMULATE_SYSINFO:
        case REF_EMULATE_SCHED:
        case REF_EMULATE_MOUNT:
        case REF_EMULATE_XATTR:
                resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
                break;
        }
        ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, resp);
}

static void *serve(void *arg)
{
        struct loop *l = arg;
        struct seccomp_notif req;
        struct seccomp_notif_resp resp;

        for (;;) {
                memset(&req, 0, sizeof(req));
                if (ioctl(l->fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
                        if (errno == ENOENT || errno == EINTR)
                                continue;
                        return NULL;
                }
                answer(l->fd, l->mode, &req, &resp);
        }
}

pid_t reference_spawn(const int *listeners, size_t n, enum ref_mode mode, bool sync_wake_up,
                      int cpu, int nice)
{
        pid_t pid = fork();

        if (pid != 0)
                return pid;
        if (bench_pin(0, cpu, false) < 0 || (nice != 0 && setpriority(PRIO_PROCESS, 0, nice) < 0))
                _exit(1);
        prctl(PR_SET_NAME, "ref-supervisor"); /* its own name in perf and ps */
        for (size_t i = 0; i < n; i++) {
                struct loop *l = malloc(sizeof(*l));
                pthread_t t;

                if (!l)
                        _exit(1);
                *l = (struct loop){ .fd = listeners[i], .mode = mode };
                if (sync_wake_up && ioctl(l->fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS,
                                          SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, 0) < 0)
                        _exit(2);
                if (i + 1 == n)
                        serve(l); /* the last one on the main thread */
                if (pthread_create(&t, NULL, serve, l) != 0)
                        _exit(1);
        }
        _exit(0);
}

void reference_stop(pid_t pid)
{
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
}
