#include "service.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

void svc_prepare(struct svc *s, const struct test_policy *policies)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        memset(s, 0, sizeof(*s));
        strcpy(s->d.dir, "/tmp/unotify-svc.XXXXXX");
        cr_assert_not_null(mkdtemp(s->d.dir));
        snprintf(s->d.socket, sizeof(s->d.socket), "%s/handoff.sock", s->d.dir);
        snprintf(s->d.control, sizeof(s->d.control), "%s/control.sock", s->d.dir);
        snprintf(s->d.policy_dir, sizeof(s->d.policy_dir), "%s/policies", s->d.dir);
        snprintf(s->d.log, sizeof(s->d.log), "%s/daemon.log", s->d.dir);
        snprintf(s->notify_path, sizeof(s->notify_path), "%s/notify.sock", s->d.dir);
        cr_assert_eq(mkdir(s->d.policy_dir, 0700), 0);
        for (const struct test_policy *p = policies; p && p->file; p++) {
                char path[600];

                snprintf(path, sizeof(path), "%s/%s", s->d.policy_dir, p->file);
                write_file(path, p->json);
        }
        s->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        cr_assert_geq(s->notify_fd, 0);
        strcpy(sa.sun_path, s->notify_path);
        cr_assert_eq(bind(s->notify_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        /* We read the sender's credentials as systemd does (SCM_CREDENTIALS). */
        cr_assert_eq(setsockopt(s->notify_fd, SOL_SOCKET, SO_PASSCRED, &(int){ 1 }, sizeof(int)),
                     0);
}

int svc_listen(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        cr_assert_geq(fd, 0);
        cr_assert_lt(strlen(path), sizeof(sa.sun_path));
        strcpy(sa.sun_path, path);
        cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "bind %s: %s", path,
                     strerror(errno));
        cr_assert_eq(listen(fd, 16), 0);
        return fd;
}

/* In the child: fds[i] -> 3 + i without clobbering one still to move. */
static void child_layout(const int *fds, size_t n)
{
        int high[2 * SVC_MAX_FDS];

        for (size_t i = 0; i < n; i++)
                if ((high[i] = fcntl(fds[i], F_DUPFD, 3 + (int)n + 100)) < 0)
                        _exit(120);
        for (size_t i = 0; i < n; i++)
                if (dup2(high[i], 3 + (int)i) < 0)
                        _exit(121);
        close_range(3 + (unsigned)n, ~0u, 0);
}

/* In the child: a private /run whose journal socket is the test's. */
static void child_fake_journal(const char *socket_path)
{
        struct stat st;
        char v[64];
        int fd;

        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") < 0 ||
            mkdir("/run/systemd", 0755) < 0 || mkdir("/run/systemd/journal", 0755) < 0)
                _exit(122);
        fd = open("/run/systemd/journal/socket", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        if (fd < 0 || mount(socket_path, "/run/systemd/journal/socket", NULL, MS_BIND, NULL) < 0)
                _exit(123);
        close(fd);
        if (fstat(STDERR_FILENO, &st) < 0)
                _exit(124);
        snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
                 (unsigned long long)st.st_ino);
        setenv("JOURNAL_STREAM", v, 1);
}

void svc_exec(struct svc *s, const int *fds, const char *const *names, size_t n,
              const char *const *extra_env)
{
        int all[2 * SVC_MAX_FDS];
        char fdnames[4096] = "";
        size_t total = 0;

        for (size_t i = 0; i < n; i++) {
                all[total++] = fds[i];
                snprintf(fdnames + strlen(fdnames), sizeof(fdnames) - strlen(fdnames), "%s%s",
                         total > 1 ? ":" : "", names[i]);
        }
        for (size_t i = 0; i < s->n_store; i++) {
                all[total++] = s->store[i].fd;
                snprintf(fdnames + strlen(fdnames), sizeof(fdnames) - strlen(fdnames), "%s%s",
                         total > 1 ? ":" : "", s->store[i].name);
        }
        s->d.pid = fork();
        cr_assert_geq(s->d.pid, 0);
        if (s->d.pid == 0) {
                int log = open(s->d.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                char v[32];

                if (log < 0 || null < 0 || dup2(log, 2) < 0 || dup2(null, 0) < 0 ||
                    dup2(null, 1) < 0)
                        _exit(127);
                if (s->journal_socket)
                        child_fake_journal(s->journal_socket);
                child_layout(all, total);
                if (total) {
                        /* The wrapper's job: LISTEN_PID is the pid that execs. */
                        snprintf(v, sizeof(v), "%d", (int)getpid());
                        setenv("LISTEN_PID", v, 1);
                        snprintf(v, sizeof(v), "%zu", total);
                        setenv("LISTEN_FDS", v, 1);
                        setenv("LISTEN_FDNAMES", fdnames, 1);
                }
                setenv("NOTIFY_SOCKET", s->notify_path, 1);
                for (size_t i = 0; extra_env && extra_env[i]; i++)
                        putenv((char *)extra_env[i]);
                if (s->quiet)
                        execl(UNOTIFYD, UNOTIFYD, "--socket", s->d.socket, "--policy-dir",
                              s->d.policy_dir, NULL);
                else
                        execl(UNOTIFYD, UNOTIFYD, "-v", "--socket", s->d.socket, "--policy-dir",
                              s->d.policy_dir, NULL);
                _exit(127);
        }
}

static void store_remove(struct svc *s, const char *name)
{
        for (size_t i = 0; i < s->n_store; i++)
                if (!strcmp(s->store[i].name, name)) {
                        close(s->store[i].fd);
                        s->store[i] = s->store[--s->n_store];
                        return;
                }
}

/* What systemd does with FDSTORE=1 / FDSTOREREMOVE=1 (one fd per name). */
static void handle_store(struct svc *s, const char *msg, const int *fds, size_t n)
{
        const char *name = strstr(msg, "FDNAME=");
        char fdname[64] = "stored";

        if (name)
                sscanf(name + 7, "%63[^\n]", fdname);
        if (strstr(msg, "FDSTOREREMOVE=1")) {
                store_remove(s, fdname);
                return;
        }
        for (size_t i = 0; i < n; i++) {
                if (!strstr(msg, "FDSTORE=1")) {
                        close(fds[i]);
                        continue;
                }
                cr_assert_lt(s->n_store, SVC_MAX_FDS);
                store_remove(s, fdname);
                snprintf(s->store[s->n_store].name, sizeof(s->store[0].name), "%s", fdname);
                s->store[s->n_store++].fd = fds[i];
        }
}

/* One datagram, if there is one within timeout_ms. Returns it or NULL. */
static const char *read_message(struct svc *s, int timeout_ms)
{
        static char buf[4096];
        union {
                struct cmsghdr align;
                char b[CMSG_SPACE(sizeof(int) * SVC_MAX_FDS) + CMSG_SPACE(sizeof(struct ucred))];
        } control;
        struct iovec iov = { buf, sizeof(buf) - 1 };
        struct msghdr mh = { .msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = control.b,
                             .msg_controllen = sizeof(control.b) };
        struct pollfd p = { .fd = s->notify_fd, .events = POLLIN };
        int fds[SVC_MAX_FDS];
        size_t n_fds = 0;
        ssize_t n;

        if (poll(&p, 1, timeout_ms) <= 0)
                return NULL;
        n = recvmsg(s->notify_fd, &mh, MSG_CMSG_CLOEXEC);
        cr_assert_geq(n, 0);
        buf[n] = '\0';
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

                        memcpy(fds + n_fds, CMSG_DATA(c), k * sizeof(int));
                        n_fds += k;
                }
        handle_store(s, buf, fds, n_fds);
        snprintf(s->messages + s->messages_len, sizeof(s->messages) - s->messages_len, "%s\n--\n",
                 buf);
        s->messages_len += strlen(s->messages + s->messages_len);
        cr_assert_lt(s->messages_len, sizeof(s->messages) - 1, "too many notify messages");
        return buf;
}

void svc_drain_messages(struct svc *s)
{
        while (read_message(s, 0))
                ;
}

const char *svc_wait_message(struct svc *s, const char *needle, int timeout_ms)
{
        for (int waited = 0; waited < timeout_ms; waited += 50) {
                const char *m = read_message(s, 50);
                int status;

                if (m && strstr(m, needle))
                        return m;
                if (!m && s->d.pid > 0)
                        cr_assert_eq(waitpid(s->d.pid, &status, WNOHANG), 0,
                                     "unotifyd exited (0x%x) before \"%s\":\n%s", status, needle,
                                     daemon_log(&s->d));
        }
        cr_assert_fail("no \"%s\" within %d ms; messages:\n%s\nlog:\n%s", needle, timeout_ms,
                       s->messages, daemon_log(&s->d));
        return NULL;
}

void svc_stop(struct svc *s, int sig)
{
        int status = 0;

        if (s->d.pid <= 0)
                return;
        cr_assert_eq(kill(s->d.pid, sig), 0);
        for (int waited = 0; waitpid(s->d.pid, &status, WNOHANG) == 0; waited += 20) {
                svc_drain_messages(s);
                if (waited > 20000) {
                        kill(s->d.pid, SIGKILL);
                        waitpid(s->d.pid, &status, 0);
                        cr_assert_fail("unotifyd did not exit:\n%s", daemon_log(&s->d));
                }
                poll(NULL, 0, 20);
        }
        svc_drain_messages(s);
        s->d.pid = 0;
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "unotifyd exit status 0x%x:\n%s",
                  status, daemon_log(&s->d));
}

int svc_stored(const struct svc *s, const char *name)
{
        for (size_t i = 0; i < s->n_store; i++)
                if (!strcmp(s->store[i].name, name))
                        return s->store[i].fd;
        return -1;
}

void svc_cleanup(struct svc *s)
{
        char cmd[400];

        if (s->d.pid > 0) {
                kill(s->d.pid, SIGKILL);
                waitpid(s->d.pid, NULL, 0);
                s->d.pid = 0;
        }
        for (size_t i = 0; i < s->n_store; i++)
                close(s->store[i].fd);
        s->n_store = 0;
        if (s->notify_fd > 0)
                close(s->notify_fd);
        s->notify_fd = -1;
        /* Our own mkdtemp dir, nothing else. */
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->d.dir);
        if (s->d.dir[0])
                cr_assert_eq(system(cmd), 0);
}
