#include "engine.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DAEMON_START_MS 60000
#define DAEMON_STOP_MS 30000

static long long ms_now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Debian's own directories first: /usr/local/bin may hold another
 * build (this machine has a Docker 28 client there). */
bool eng_find(const char *name, char *buf, size_t size)
{
        static const char *const dirs[] = { "/usr/sbin", "/usr/bin",        "/sbin",
                                            "/bin",      "/usr/local/sbin", "/usr/local/bin" };

        for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
                snprintf(buf, size, "%s/%s", dirs[i], name);
                if (access(buf, X_OK) == 0)
                        return true;
        }
        return false;
}

/* The holder: a mount namespace of its own (private, so nothing
 * propagates to the host) without the cgroup2 mount; it reports on
 * `ready` and then waits to be killed. */
static void hold_namespace(int ready)
{
        char ok = 1;

        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            umount2("/sys/fs/cgroup/unified", MNT_DETACH) < 0)
                ok = 0;
        if (write(ready, &ok, 1) != 1)
                _exit(1);
        for (;;)
                pause();
}

static void start_holder(struct engine *e)
{
        int p[2];
        char ok = 0, path[64];

        cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
        e->ns_holder = fork();
        cr_assert_geq(e->ns_holder, 0);
        if (e->ns_holder == 0) {
                close(p[0]);
                hold_namespace(p[1]);
        }
        close(p[1]);
        cr_assert_eq(read(p[0], &ok, 1), 1);
        close(p[0]);
        cr_assert_eq(ok, 1, "could not make a mount namespace without /sys/fs/cgroup/unified");
        snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)e->ns_holder);
        e->mnt_ns = open(path, O_RDONLY | O_CLOEXEC);
        cr_assert_geq(e->mnt_ns, 0);
}

void eng_init(struct engine *e, const char *tool, const char *package, const char *runtime)
{
        memset(e, 0, sizeof(*e));
        e->mnt_ns = -1;
        if (geteuid() != 0)
                cr_skip_test("the engine tests run containers: they need root");
        if (!eng_find(tool, e->tool, sizeof(e->tool)))
                cr_skip_test("%s is not installed (apt-get install %s): this test needs it", tool,
                             package);
        /* conmon, shims and their cleanup commands detach from the engine
         * command: as a subreaper the test collects them all before it
         * removes the scratch dir they may still write to. */
        cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
        rt_env_init(&e->rt, runtime);
        e->argv0[e->n0++] = e->tool;
        if (e->rt.rt.hide_unified_cgroup)
                start_holder(e);
}

void eng_opt(struct engine *e, const char *fmt, ...)
{
        va_list ap;
        char *opt;

        cr_assert_lt(e->n0, ENG_MAX_OPTS - 1);
        opt = e->opts[e->n0];
        va_start(ap, fmt);
        vsnprintf(opt, sizeof(e->opts[0]), fmt, ap);
        va_end(ap);
        e->argv0[e->n0++] = opt;
}

/* In the child: into the engine's namespace, stdio wired, argv exec'd. */
static void exec_child(const struct engine *e, const char *const *argv, int out, int err,
                       const char *env)
{
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);

        if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out >= 0 ? out : null, 1) < 0 ||
            dup2(err >= 0 ? err : null, 2) < 0)
                _exit(126);
        /* Before close_range, which closes e->mnt_ns. */
        if (e->mnt_ns >= 0 && setns(e->mnt_ns, CLONE_NEWNS) < 0) {
                dprintf(2, "test harness: setns: %s\n", strerror(errno));
                _exit(125);
        }
        close_range(3, ~0u, 0);
        if (env)
                putenv((char *)env);
        execv(argv[0], (char *const *)argv);
        dprintf(2, "test harness: exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
}

static pid_t spawn(const struct engine *e, const char *const *argv, int out_err[2])
{
        int out[2], err[2];
        pid_t pid;

        cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
        cr_assert_eq(pipe2(err, O_CLOEXEC), 0);
        pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0)
                exec_child(e, argv, out[1], err[1], NULL);
        close(out[1]);
        close(err[1]);
        out_err[0] = out[0];
        out_err[1] = err[0];
        return pid;
}

void eng_cmd(struct engine *e, const char *const *args, struct cmd_result *r)
{
        const char *argv[64];
        size_t n = 0;
        int out_err[2];

        for (size_t i = 0; i < e->n0; i++)
                argv[n++] = e->argv0[i];
        for (size_t i = 0; args[i]; i++) {
                cr_assert_lt(n, sizeof(argv) / sizeof(argv[0]) - 1);
                argv[n++] = args[i];
        }
        argv[n] = NULL;
        rt_wait(spawn(e, argv, out_err), out_err, r);
}

/* ---- a private engine daemon ---- */

static bool accepts(const char *socket_path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool ok;

        cr_assert_lt(strlen(socket_path), sizeof(sa.sun_path));
        strcpy(sa.sun_path, socket_path);
        ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
        if (fd >= 0)
                close(fd);
        return ok;
}

int bound_socket(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        cr_assert_geq(fd, 0);
        cr_assert_lt(strlen(path), sizeof(sa.sun_path));
        strcpy(sa.sun_path, path);
        cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "bind %s", path);
        return fd;
}

static const char *log_tail(const struct engine *e)
{
        static char buf[4096];
        int fd = open(e->daemon_log, O_RDONLY | O_CLOEXEC);
        off_t end = fd >= 0 ? lseek(fd, 0, SEEK_END) : 0;
        ssize_t n = 0;

        if (fd >= 0) {
                n = pread(fd, buf, sizeof(buf) - 1,
                          end > (off_t)sizeof(buf) - 1 ? end - (off_t)sizeof(buf) + 1 : 0);
                close(fd);
        }
        buf[n > 0 ? n : 0] = '\0';
        return buf;
}

void eng_daemon_start(struct engine *e, const char *const *argv, const char *env,
                      const char *socket_path)
{
        long long deadline = ms_now() + DAEMON_START_MS;
        int log, status;

        snprintf(e->daemon_log, sizeof(e->daemon_log), "%s/engine-daemon.log", e->rt.dir);
        log = open(e->daemon_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        cr_assert_geq(log, 0);
        e->daemon = fork();
        cr_assert_geq(e->daemon, 0);
        if (e->daemon == 0)
                exec_child(e, argv, log, log, env);
        close(log);
        while (!accepts(socket_path)) {
                cr_assert_eq(waitpid(e->daemon, &status, WNOHANG), 0, "%s exited:\n%s", argv[0],
                             log_tail(e));
                cr_assert_lt(ms_now(), deadline, "%s: no %s within %d ms:\n%s", argv[0],
                             socket_path, DAEMON_START_MS, log_tail(e));
                poll(NULL, 0, 20);
        }
}

void eng_daemon_stop(struct engine *e)
{
        long long deadline = ms_now() + DAEMON_STOP_MS;
        int status;

        if (e->daemon <= 0)
                return;
        kill(e->daemon, SIGTERM);
        while (waitpid(e->daemon, &status, WNOHANG) == 0) {
                if (ms_now() > deadline) {
                        kill(e->daemon, SIGKILL);
                        waitpid(e->daemon, &status, 0);
                        break;
                }
                poll(NULL, 0, 20);
        }
        e->daemon = 0;
}

/* Every child left, up to DAEMON_STOP_MS; false if some are still there. */
static bool reap_children(void)
{
        long long deadline = ms_now() + DAEMON_STOP_MS;

        for (;;) {
                pid_t pid = waitpid(-1, NULL, WNOHANG);

                if (pid < 0 && errno == ECHILD)
                        return true;
                if (pid > 0)
                        continue;
                if (ms_now() > deadline)
                        return false;
                poll(NULL, 0, 20);
        }
}

void eng_cleanup(struct engine *e)
{
        eng_daemon_stop(e);
        if (e->ns_holder > 0)
                kill(e->ns_holder, SIGKILL);
        e->ns_holder = 0;
        if (e->mnt_ns >= 0)
                close(e->mnt_ns);
        e->mnt_ns = -1;
        if (e->rt.dir[0] && !reap_children()) {
                fprintf(stderr, "engine test: processes still running, %s left behind\n",
                        e->rt.dir);
                return;
        }
        rt_env_cleanup(&e->rt);
}

/* ---- profiles, images ---- */

const char *eng_profile(struct engine *e, const struct test_daemon *d, const char *policy,
                        enum eng_listener how, const char *path)
{
        const char *argv[] = { UNOTIFYCTL, "export-oci", "-p",   d->policy_dir,
                               "-s",       d->socket,    policy, NULL };
        static unsigned n;
        struct cmd_result r;
        json_error_t jerr;
        json_t *section;

        run_cmd(argv, 10000, &r);
        cr_assert_eq(r.status, 0, "export-oci %s: %s", policy, r.err);
        section = json_loads(r.out, 0, &jerr);
        cr_assert(json_is_object(section), "export-oci printed no JSON object: %s", jerr.text);
        if (how == ENG_NO_LISTENER) {
                json_object_del(section, "listenerPath");
                json_object_del(section, "listenerMetadata");
        } else if (how == ENG_OTHER_PATH) {
                json_object_set_new(section, "listenerPath", json_string(path));
        }
        snprintf(e->profile, sizeof(e->profile), "%s/profile-%s-%u.json", e->rt.dir, policy, n++);
        cr_assert_eq(json_dump_file(section, e->profile, JSON_INDENT(1)), 0);
        json_decref(section);
        return e->profile;
}

const char *eng_rootfs_tar(struct engine *e)
{
        static char tar[400];
        const char *argv[] = { "/bin/tar", "-C", e->rt.rootfs, "-cf", tar, ".", NULL };
        struct cmd_result r;

        snprintf(tar, sizeof(tar), "%s/rootfs.tar", e->rt.dir);
        run_cmd(argv, 30000, &r);
        cr_assert_eq(r.status, 0, "tar: %s", r.err);
        return tar;
}

/* ---- assertions ---- */

void eng_assert_contains(const char *hay, const char *needle, const char *what)
{
        cr_assert(strstr(hay, needle), "%s: no \"%s\" in:\n%s", what, needle, hay);
}

int eng_count(const char *hay, const char *needle)
{
        int n = 0;

        for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
                n++;
        return n;
}

void eng_assert_bound(const struct test_daemon *d, const char *id, const char *policy,
                      const char *how)
{
        char needle[256], want[256], line[2048];
        const char *log = daemon_log(d), *at, *end;

        snprintf(needle, sizeof(needle), ": container %s pid ", id);
        at = strstr(log, needle);
        cr_assert_not_null(at, "no listener of %s in the daemon log:\n%s", id, log);
        end = strchrnul(at, '\n');
        snprintf(line, sizeof(line), "%.*s", (int)(end - at), at);
        if (how)
                snprintf(want, sizeof(want), "policy %s (%s;", policy, how);
        else
                snprintf(want, sizeof(want), "policy %s (", policy);
        eng_assert_contains(line, want, "the listener's line");
}
