#include "harness.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rawclient.h"

static long long ms_now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void write_file(const char *path, const char *content)
{
        FILE *f = fopen(path, "we");

        cr_assert_not_null(f, "open %s: %s", path, strerror(errno));
        cr_assert_eq(fputs(content, f) >= 0, true);
        cr_assert_eq(fclose(f), 0);
}

static int notify_socket(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        cr_assert_geq(fd, 0);
        cr_assert_lt(strlen(path), sizeof(sa.sun_path));
        memcpy(sa.sun_path, path, strlen(path) + 1);
        cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "bind %s: %s", path,
                     strerror(errno));
        return fd;
}

/* The daemon's command line: d->wrapper first if set (say, setpriv),
 * valgrind if asked, then unotifyd and its options. A wrapper has at
 * most a few words: argv has room for 64. */
static void daemon_argv(const struct test_daemon *d, const char *argv[], size_t size)
{
        size_t n = 0;

        for (const char *const *w = d->wrapper; w && *w && n < 16; w++)
                argv[n++] = *w;
        /* valgrind 3.19 reads SET_FLAGS' value argument as a pointer (a
         * false "unaddressable byte"), so that run leaves it out. */
        if (d->valgrind) {
                static const char *const vg[] = { "valgrind",
                                                  "--quiet",
                                                  "--error-exitcode=99",
                                                  "--leak-check=full",
                                                  "--show-leak-kinds=definite,indirect",
                                                  "--errors-for-leak-kinds=definite,indirect" };

                for (size_t i = 0; i < sizeof(vg) / sizeof(vg[0]); i++)
                        argv[n++] = vg[i];
        }
        argv[n++] = UNOTIFYD;
        if (d->valgrind)
                argv[n++] = "--no-sync-wake-up";
        if (!d->default_log_level)
                argv[n++] = "-v";
        if (d->extra_arg)
                argv[n++] = d->extra_arg;
        argv[n++] = "--socket";
        argv[n++] = d->socket;
        argv[n++] = "--policy-dir";
        argv[n++] = d->policy_dir;
        argv[n] = NULL;
        if (n >= size)
                _exit(127); /* a child of the test: no assertion here */
}

static void exec_daemon(const struct test_daemon *d, const char *notify_path)
{
        const char *argv[64];
        int log = open(d->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        int null = open("/dev/null", O_RDWR | O_CLOEXEC);

        /* Nothing of the test's own stdio: a daemon left behind by a failed
         * test must not hold the runner's pipes open. */
        if (log < 0 || null < 0 || dup2(log, STDERR_FILENO) < 0 || dup2(null, STDIN_FILENO) < 0 ||
            dup2(null, STDOUT_FILENO) < 0)
                _exit(127);
        close_range(3, ~0u, 0); /* nothing of the test worker's */
        setenv("NOTIFY_SOCKET", notify_path, 1);
        daemon_argv(d, argv, sizeof(argv) / sizeof(argv[0]));
        execvp(argv[0], (char *const *)argv);
        _exit(127);
}

/* READY=1 arrives on the notify socket once the handoff socket is served. */
static void wait_ready(struct test_daemon *d, int nfd, int timeout_ms)
{
        long long deadline = ms_now() + timeout_ms;

        for (;;) {
                struct pollfd p = { .fd = nfd, .events = POLLIN };
                char buf[256];
                ssize_t n;
                int status;

                cr_assert_eq(waitpid(d->pid, &status, WNOHANG), 0,
                             "unotifyd exited before READY=1:\n%s", daemon_log(d));
                cr_assert_lt(ms_now(), deadline, "no READY=1 within %d ms", timeout_ms);
                if (poll(&p, 1, 100) <= 0)
                        continue;
                n = recv(nfd, buf, sizeof(buf) - 1, 0);
                cr_assert_geq(n, 0);
                buf[n] = '\0';
                if (strstr(buf, "READY=1"))
                        return;
        }
}

/* READY=1 is sent before the loop runs, while sd_notify's own socket may
 * still be open. A query answered and its connection closed by the daemon
 * (EOF) means the loop is serving and holds no extra fd: from then on its
 * fd count is its baseline. */
static void settle(const struct test_daemon *d)
{
        static const char query[] = "{\"unotifyQuery\":\"policy\",\"policy\":\"demo\"}";
        int fd = raw_connect(d->socket);
        char buf[4096];

        raw_send(fd, query, sizeof(query) - 1, NULL, 0);
        while (read(fd, buf, sizeof(buf)) > 0)
                ;
        close(fd);
}

void daemon_start(struct test_daemon *d, const struct test_policy *policies, bool valgrind)
{
        char notify_path[320];
        int nfd;

        *d = (struct test_daemon){ .default_log_level = d->default_log_level,
                                   .extra_arg = d->extra_arg,
                                   .wrapper = d->wrapper,
                                   .owner = d->owner,
                                   .owner_gid = d->owner_gid };
        d->valgrind = valgrind;
        strcpy(d->dir, "/tmp/unotify-test.XXXXXX");
        cr_assert_not_null(mkdtemp(d->dir));
        snprintf(d->socket, sizeof(d->socket), "%s/handoff.sock", d->dir);
        snprintf(d->control, sizeof(d->control), "%s/control.sock", d->dir);
        snprintf(d->policy_dir, sizeof(d->policy_dir), "%s/policies", d->dir);
        snprintf(d->log, sizeof(d->log), "%s/daemon.log", d->dir);
        snprintf(notify_path, sizeof(notify_path), "%s/notify.sock", d->dir);
        cr_assert_eq(mkdir(d->policy_dir, 0700), 0);
        for (const struct test_policy *p = policies; p && p->file; p++) {
                char path[600];

                snprintf(path, sizeof(path), "%s/%s", d->policy_dir, p->file);
                write_file(path, p->json);
                if (d->owner)
                        cr_assert_eq(chown(path, d->owner, d->owner_gid), 0);
        }
        nfd = notify_socket(notify_path);
        if (d->owner)
                cr_assert(chown(d->dir, d->owner, d->owner_gid) == 0 &&
                                  chown(d->policy_dir, d->owner, d->owner_gid) == 0 &&
                                  chown(notify_path, d->owner, d->owner_gid) == 0,
                          "chown to uid %u: %s", (unsigned)d->owner, strerror(errno));
        d->pid = fork();
        cr_assert_geq(d->pid, 0);
        if (d->pid == 0)
                exec_daemon(d, notify_path);
        wait_ready(d, nfd, valgrind ? 60000 : 10000);
        close(nfd);
        settle(d);
}

static void remove_tree(const char *dir)
{
        DIR *dh = opendir(dir);
        struct dirent *e;

        if (!dh)
                return;
        while ((e = readdir(dh))) {
                char path[600];

                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                if (e->d_type == DT_DIR)
                        remove_tree(path);
                else
                        unlink(path);
        }
        closedir(dh);
        rmdir(dir);
}

static char last_log[65536];

const char *daemon_last_log(void)
{
        return last_log;
}

void daemon_stop(struct test_daemon *d)
{
        long long deadline = ms_now() + (d->valgrind ? 60000 : 10000);
        int status = 0;
        pid_t r;

        if (d->pid <= 0)
                return; /* stopped already by the test */
        cr_assert_eq(kill(d->pid, SIGTERM), 0);
        while ((r = waitpid(d->pid, &status, WNOHANG)) == 0 && ms_now() < deadline)
                poll(NULL, 0, 20);
        if (r == 0) {
                kill(d->pid, SIGKILL);
                waitpid(d->pid, &status, 0);
                cr_assert_fail("unotifyd did not exit on SIGTERM:\n%s", daemon_log(d));
        }
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "unotifyd did not exit cleanly (status 0x%x):\n%s", status, daemon_log(d));
        cr_assert_eq(access(d->socket, F_OK), -1, "the socket file must be removed at exit");
        snprintf(last_log, sizeof(last_log), "%s", daemon_log(d));
        /* SEND is made again when a signal interrupts it (unotify/kernel.h):
         * one logged as failed with EINTR left its task waiting for good. */
        cr_assert_null(strstr(last_log, "SECCOMP_IOCTL_NOTIF_SEND: Interrupted"), "%s", last_log);
        remove_tree(d->dir);
        d->pid = 0;
}

char *daemon_log(const struct test_daemon *d)
{
        static char buf[65536];
        FILE *f = fopen(d->log, "re");
        size_t n = 0;

        if (f) {
                /* The last 64 KiB: the end of a long verbose log is what counts. */
                if (fseek(f, -(long)(sizeof(buf) - 1), SEEK_END) < 0)
                        rewind(f);
                n = fread(buf, 1, sizeof(buf) - 1, f);
                fclose(f);
        }
        buf[n] = '\0';
        return buf;
}

unsigned count_dir_entries(const char *dir, char prefix)
{
        DIR *dh = opendir(dir);
        unsigned n = 0;

        cr_assert_not_null(dh, "%s: %m", dir);
        for (struct dirent *e; (e = readdir(dh));)
                n += prefix ? e->d_name[0] == prefix : e->d_name[0] != '.';
        closedir(dh);
        return n;
}

int count_fds(pid_t pid)
{
        char path[64];

        snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
        return (int)count_dir_entries(path, 0);
}

/* Calls fn with each open fd's name and what it points to; none for a
 * process that is gone (fd_list is called in failure messages). */
static void each_fd(pid_t pid, void (*fn)(const char *name, const char *target, void *arg),
                    void *arg)
{
        char dir[64], path[384], target[256];
        struct dirent *e;
        DIR *dh;

        snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
        dh = opendir(dir);
        if (!dh)
                return;
        while ((e = readdir(dh))) {
                ssize_t n;

                if (e->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                n = readlink(path, target, sizeof(target) - 1);
                target[n < 0 ? 0 : n] = '\0';
                fn(e->d_name, target, arg);
        }
        closedir(dh);
}

struct fd_text {
        char buf[8192];
        size_t len;
};

static void add_line(const char *name, const char *target, void *arg)
{
        struct fd_text *t = arg;

        if (t->len < sizeof(t->buf))
                t->len += (size_t)snprintf(t->buf + t->len, sizeof(t->buf) - t->len, "%s -> %s\n",
                                           name, target);
}

const char *fd_list(pid_t pid)
{
        static struct fd_text t;

        t.len = 0;
        t.buf[0] = '\0';
        each_fd(pid, add_line, &t);
        return t.buf;
}

static void count_non_listener(const char *name, const char *target, void *arg)
{
        (void)name;
        *(int *)arg += strcmp(target, "anon_inode:seccomp notify") != 0;
}

/* Open fds of a process, without its seccomp listeners if asked. */
static int count_fds_of(pid_t pid, bool listeners)
{
        int n = 0;

        if (listeners)
                return count_fds(pid);
        each_fd(pid, count_non_listener, &n);
        return n;
}

static int settled_count(pid_t pid, bool listeners)
{
        long long deadline = ms_now() + 3000, since = ms_now();
        int n = count_fds_of(pid, listeners), m;

        while (ms_now() - since < 100 && ms_now() < deadline) {
                poll(NULL, 0, 10);
                m = count_fds_of(pid, listeners);
                if (m != n) {
                        n = m;
                        since = ms_now();
                }
        }
        return n;
}

int settled_fd_count(pid_t pid)
{
        return settled_count(pid, true);
}

int settled_fd_count_beside_listeners(pid_t pid)
{
        return settled_count(pid, false);
}

int wait_fd_count(pid_t pid, int want, int timeout_ms)
{
        long long deadline = ms_now() + timeout_ms;
        int n;

        while ((n = count_fds(pid)) != want && ms_now() < deadline)
                poll(NULL, 0, 10);
        return n;
}

static void drain(int fd, char *buf, size_t size, size_t *len)
{
        ssize_t n = read(fd, buf + *len, size - 1 - *len);

        if (n > 0)
                *len += (size_t)n;
        buf[*len] = '\0';
}

static int collect(pid_t pid, int out, int err, int timeout_ms, struct cmd_result *ret)
{
        long long deadline = ms_now() + timeout_ms;
        size_t olen = 0, elen = 0;
        struct pollfd p[2] = { { .fd = out, .events = POLLIN }, { .fd = err, .events = POLLIN } };
        int status;

        while ((p[0].fd >= 0 || p[1].fd >= 0) && ms_now() < deadline) {
                if (poll(p, 2, 100) <= 0)
                        continue;
                for (int i = 0; i < 2; i++) {
                        size_t before = i ? elen : olen;

                        if (!(p[i].revents & (POLLIN | POLLHUP)))
                                continue;
                        drain(p[i].fd, i ? ret->err : ret->out,
                              i ? sizeof(ret->err) : sizeof(ret->out), i ? &elen : &olen);
                        if ((i ? elen : olen) == before)
                                p[i].fd = -1; /* EOF */
                }
        }
        if (ms_now() >= deadline)
                kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void run_cmd(const char *const argv[], int timeout_ms, struct cmd_result *ret)
{
        int out[2], err[2];
        pid_t pid;

        memset(ret, 0, sizeof(*ret));
        cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
        cr_assert_eq(pipe2(err, O_CLOEXEC), 0);
        pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                dup2(out[1], STDOUT_FILENO);
                dup2(err[1], STDERR_FILENO);
                close_range(3, ~0u, 0);
                execv(argv[0], (char *const *)argv);
                _exit(127);
        }
        close(out[1]);
        close(err[1]);
        ret->status = collect(pid, out[0], err[0], timeout_ms, ret);
        close(out[0]);
        close(err[0]);
}

void run_sandboxed(const struct test_daemon *d, const char *policy, const char *const argv[],
                   struct cmd_result *ret)
{
        const char *full[32] = { UNOTIFY_RUN, "--socket", d->socket, "--policy", policy, "--" };
        size_t n = 6;

        for (size_t i = 0; argv[i]; i++) {
                cr_assert_lt(n, sizeof(full) / sizeof(full[0]) - 1);
                full[n++] = argv[i];
        }
        full[n] = NULL;
        run_cmd(full, 30000, ret);
}

void wait_parked_in_mkdir(pid_t pid)
{
        char path[64], buf[64], want[16];

        snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
        snprintf(want, sizeof(want), "%d ", SYS_mkdir);
        for (int waited = 0;; waited += 5) {
                FILE *f = fopen(path, "re");
                bool parked = f && fgets(buf, sizeof(buf), f) && !strncmp(buf, want, strlen(want));

                if (f)
                        fclose(f);
                if (parked)
                        return;
                cr_assert_lt(waited, 5000, "pid %d never blocked in mkdir", (int)pid);
                poll(NULL, 0, 5);
        }
}

long long daemon_stat(const struct test_daemon *d, const char *name)
{
        const char *argv[] = { UNOTIFYCTL, "stats", "--json", "--socket", d->control, NULL };
        struct cmd_result r;
        json_t *j, *v;
        long long n;

        run_cmd(argv, 10000, &r);
        cr_assert_eq(r.status, 0, "unotifyctl stats: %s%s", r.out, r.err);
        j = json_loads(r.out, 0, NULL);
        v = json_object_get(json_object_get(j, "stats"), name);
        cr_assert(json_is_integer(v), "no counter \"%s\" in %s", name, r.out);
        n = (long long)json_integer_value(v);
        json_decref(j);
        return n;
}

void skip_unless_valgrind_runs(void)
{
#if defined(__SANITIZE_ADDRESS__)
        cr_skip_test("valgrind cannot run an AddressSanitizer build");
#endif
        if (system("valgrind --version >/dev/null 2>&1") != 0)
                cr_skip_test("valgrind is not installed");
}

long process_rss_kib(pid_t pid)
{
        char path[64], line[256];
        long kib = -1;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        f = fopen(path, "re");
        cr_assert_not_null(f);
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
                        break;
        fclose(f);
        return kib;
}

long daemon_log_size(const struct test_daemon *d)
{
        struct stat st;

        cr_assert_eq(stat(d->log, &st), 0);
        return (long)st.st_size;
}

long long daemon_log_count(const struct test_daemon *d, long from, const char *what)
{
        FILE *f = fopen(d->log, "re");
        char line[4096];
        long long n = 0;

        cr_assert_not_null(f);
        cr_assert_eq(fseek(f, from, SEEK_SET), 0);
        while (fgets(line, sizeof(line), f))
                n += strstr(line, what) != NULL;
        fclose(f);
        return n;
}
