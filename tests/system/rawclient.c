#include "rawclient.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unotify/unotify.h"

int raw_connect(const char *socket_path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        cr_assert_geq(fd, 0);
        cr_assert_lt(strlen(socket_path), sizeof(sa.sun_path));
        memcpy(sa.sun_path, socket_path, strlen(socket_path) + 1);
        cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "connect: %s",
                     strerror(errno));
        return fd;
}

void raw_send(int fd, const void *data, size_t len, const int *fds, size_t n_fds)
{
        char control[CMSG_SPACE(sizeof(int) * 16)] = {};
        struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

        cr_assert_leq(n_fds, 16);
        if (n_fds > 0) {
                struct cmsghdr *cm;

                msg.msg_control = control;
                msg.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
                cm = CMSG_FIRSTHDR(&msg);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
                memcpy(CMSG_DATA(cm), fds, sizeof(int) * n_fds);
        }
        cr_assert_eq(sendmsg(fd, &msg, MSG_NOSIGNAL), (ssize_t)len, "sendmsg: %s", strerror(errno));
}

const char *raw_reply(int fd, int timeout_ms)
{
        static char buf[4096];
        size_t len = 0;
        struct pollfd p = { .fd = fd, .events = POLLIN };

        while (len < sizeof(buf) - 1 && poll(&p, 1, timeout_ms) > 0) {
                ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);

                if (n <= 0)
                        break;
                len += (size_t)n;
                if (memchr(buf, '\n', len))
                        break;
        }
        buf[len] = '\0';
        return buf;
}

const char *raw_exchange(const char *socket_path, const char *data, const int *fds, size_t n_fds)
{
        int fd = raw_connect(socket_path);
        const char *reply;

        raw_send(fd, data, strlen(data), fds, n_fds);
        reply = raw_reply(fd, 10000);
        close(fd);
        return reply;
}

int raw_install_mkdir_filter(void)
{
        struct sock_filter f[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mkdir, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -1;
        return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
                            &prog);
}

struct handoff_args {
        const char *socket_path;
        const char *policy;
        unsigned long long digest;
        const char *state; /* raw state JSON instead of libunotify */
};

static void hand_over(int out, int listener, const struct handoff_args *a)
{
        struct unotify_handoff h = { .pid = getpid(),
                                     .policy = a->policy,
                                     .syscalls_digest = a->digest };
        struct unotify_reply reply;
        int r;

        if (a->state) {
                int fd = raw_connect(a->socket_path);

                raw_send(fd, a->state, strlen(a->state), &listener, 1);
                dprintf(out, "handoff reply=%s", raw_reply(fd, 10000));
                close(fd);
                return;
        }
        r = unotify_handoff_send(a->socket_path, listener, &h, &reply);
        dprintf(out, "handoff=%d ok=%d error=%s\n", r, reply.ok, reply.error ? reply.error : "");
        unotify_reply_clear(&reply);
}

/* Runs in the forked child only: the filter never touches the test worker. */
static void child_handoff(int out, const struct handoff_args *a, const char *path)
{
        int listener = raw_install_mkdir_filter();
        int r;

        if (listener < 0) {
                dprintf(out, "filter=%s\n", strerror(errno));
                _exit(1);
        }
        hand_over(out, listener, a);
        close(listener);
        r = (int)syscall(SYS_mkdir, path, 0700);
        dprintf(out, "mkdir=%s\n", r == 0 ? "ok" : strerror(errno));
        _exit(0);
}

static const char *run_child(const struct handoff_args *a, const char *path);

const char *filtered_child_handoff(const char *socket_path, const char *policy,
                                   unsigned long long digest, const char *path)
{
        const struct handoff_args a = { .socket_path = socket_path,
                                        .policy = policy,
                                        .digest = digest };

        return run_child(&a, path);
}

const char *filtered_child_handoff_state(const char *socket_path, const char *state,
                                         const char *path)
{
        const struct handoff_args a = { .socket_path = socket_path, .state = state };

        return run_child(&a, path);
}

static const char *run_child(const struct handoff_args *a, const char *path)
{
        static char buf[2048];
        size_t len = 0;
        int p[2], status;
        pid_t pid;
        ssize_t n;

#ifndef __x86_64__
        cr_skip_test("the raw test filter is written for x86_64");
#endif
        cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
        pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                close(p[0]);
                child_handoff(p[1], a, path);
        }
        close(p[1]);
        while (len < sizeof(buf) - 1 && (n = read(p[0], buf + len, sizeof(buf) - 1 - len)) > 0)
                len += (size_t)n;
        buf[len] = '\0';
        close(p[0]);
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed: %s", buf);
        return buf;
}
