/* unotifyd as the bench runs it: default configuration, its own policies
 * in a temporary directory, ready when READY=1 arrives on NOTIFY_SOCKET. */
#include <errno.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "unotify/macro.h"
#include "unotify/unotify.h"

static const char *const policies[][2] = {
        { "bench-continue",
          "{\"name\":\"bench-continue\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
          "[{\"names\":[\"getppid\"],\"notify\":true,\"action\":\"SCMP_ACT_ALLOW\"}]}" },
        { "bench-errno",
          "{\"name\":\"bench-errno\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
          "[{\"names\":[\"getppid\"],\"notify\":true,\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":"
          "\"EPERM\"}]}" },
        /* Read and resolve the path, refuse it; any other openat fails too,
         * so no path decision ends in CONTINUE. */
        { "bench-path",
          "{\"name\":\"bench-path\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
          "{\"names\":[\"openat\"],\"notify\":true,\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":"
          "\"EACCES\","
          "\"paths\":[{\"index\":1,\"dirfd\":0,\"prefix\":\"" BENCH_DENIED_PATH "\"}]},"
          "{\"names\":[\"openat\"],\"notify\":true,\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":"
          "\"ENOENT\"}]}" },
        /* Learn mode: every notification is recorded (the openat's path
         * read too), then CONTINUE. */
        { "bench-learn",
          "{\"name\":\"bench-learn\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"learn\":{}}" },
        /* The open handler opens the file in the daemon and injects the fd
         * with ADDFD + SEND. */
        { "bench-open",
          "{\"name\":\"bench-open\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
          "{\"names\":[\"openat\"],\"notify\":true,\"action\":\"UNOTIFY_ACT_EMULATE\",\"handler\":"
          "\"open\"}]}" },
        /* The handlers for unprivileged containers (handlers.md). */
        { "bench-sysinfo",
          "{\"name\":\"bench-sysinfo\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
          "{\"names\":[\"sysinfo\"],\"action\":\"UNOTIFY_ACT_EMULATE\",\"handler\":\"sysinfo\"}]"
          "}" },
        { "bench-sched",
          "{\"name\":\"bench-sched\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
          "{\"names\":[\"sched_setscheduler\"],\"action\":\"UNOTIFY_ACT_EMULATE\",\"handler\":"
          "\"sched\"}]}" },
        { "bench-mount",
          "{\"name\":\"bench-mount\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
          "{\"names\":[\"mount\",\"umount2\"],\"action\":\"UNOTIFY_ACT_EMULATE\",\"handler\":"
          "\"mount\","
          "\"handlerOptions\":{\"types\":[\"tmpfs\"],\"targets\":[\"" BENCH_MOUNT_DIR "\"],"
          "\"options\":[\"size\"]}}]}" },
        { "bench-xattr",
          "{\"name\":\"bench-xattr\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
          "{\"names\":[\"setxattr\"],\"action\":\"UNOTIFY_ACT_EMULATE\",\"handler\":\"xattr\"}]}" },
};

static int copy_file(const char *from, const char *to)
{
        _cleanup_(fclosep) FILE *in = fopen(from, "re"), *out = fopen(to, "wxe");
        char buf[8192];
        size_t n;

        if (!in || !out)
                return negative_errno();
        while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
                if (fwrite(buf, 1, n, out) != n)
                        return -EIO;
        return ferror(in) || fflush(out) != 0 ? -EIO : 0;
}

static int write_policies(const char *dir, const char *extra_policy)
{
        _cleanup_(freep) char *copy = extra_policy ? strdup(extra_policy) : NULL;
        char path[256];

        snprintf(path, sizeof(path), "%s/policies", dir);
        if (mkdir(path, 0700) < 0)
                return -errno;
        for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++) {
                FILE *f;

                snprintf(path, sizeof(path), "%s/policies/%s.json", dir, policies[i][0]);
                f = fopen(path, "we");
                if (!f)
                        return -errno;
                fputs(policies[i][1], f);
                fclose(f);
        }
        if (!extra_policy)
                return 0;
        if (!copy)
                return -ENOMEM;
        snprintf(path, sizeof(path), "%s/policies/%s", dir, basename(copy));
        return copy_file(extra_policy, path);
}

static int wait_ready(int nfd, pid_t pid)
{
        char buf[128];

        for (int i = 0; i < 100; i++) {
                struct pollfd p = { .fd = nfd, .events = POLLIN };
                ssize_t n;

                if (waitpid(pid, NULL, WNOHANG) == pid)
                        return -ECHILD;
                if (poll(&p, 1, 100) <= 0)
                        continue;
                n = recv(nfd, buf, sizeof(buf) - 1, 0);
                if (n > 0 && (buf[n] = '\0', strstr(buf, "READY=1")))
                        return 0;
        }
        return -ETIMEDOUT;
}

int bench_daemon_start(const char *unotifyd, const char *extra_arg, const char *extra_policy,
                       struct bench_daemon *d)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char pdir[128];
        int nfd, r;

        strcpy(d->dir, "/tmp/unotify-bench.XXXXXX");
        if (!mkdtemp(d->dir))
                return -errno;
        r = write_policies(d->dir, extra_policy);
        if (r < 0)
                return r;
        snprintf(d->socket, sizeof(d->socket), "%s/handoff.sock", d->dir);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify.sock", d->dir);
        snprintf(pdir, sizeof(pdir), "%s/policies", d->dir);
        nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (nfd < 0 || bind(nfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return -errno;
        d->pid = fork();
        if (d->pid == 0) {
                setenv("NOTIFY_SOCKET", sa.sun_path, 1);
                execl(unotifyd, unotifyd, "-q", "--socket", d->socket, "--policy-dir", pdir,
                      extra_arg, (char *)NULL);
                _exit(127);
        }
        r = wait_ready(nfd, d->pid);
        close(nfd);
        if (r == -ECHILD)
                d->pid = 0; /* reaped */
        return r;
}

int bench_daemon_hand(const struct bench_daemon *d, int listener, const char *policy,
                      uint64_t seccomp_flags)
{
        struct unotify_handoff h = { .pid = getpid(),
                                     .policy = policy,
                                     .seccomp_flags = seccomp_flags };
        struct unotify_reply reply;
        int r = unotify_handoff_send(d->socket, listener, &h, &reply);

        if (r < 0)
                fprintf(stderr, "unotify-bench: handoff: %s\n",
                        reply.error ? reply.error : strerror(-r));
        unotify_reply_clear(&reply);
        return r;
}

void bench_daemon_stop(struct bench_daemon *d)
{
        char cmd[128];

        if (d->pid > 0) {
                kill(d->pid, SIGTERM);
                waitpid(d->pid, NULL, 0);
        }
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->dir);
        if (system(cmd) != 0)
                fprintf(stderr, "unotify-bench: could not remove %s\n", d->dir);
}
