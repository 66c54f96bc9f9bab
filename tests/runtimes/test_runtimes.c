/* runc and crun hand real busybox containers' listeners to a real unotifyd:
 * each container's config.json gets its seccomp section from `unotifyctl
 * export-oci`, so what is checked is the whole path an admin would use.
 * Every case runs once per runtime (TEST_BOTH below). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"
#include "runtime.h"

/* clang-format off */
#define SELECT_POD(glob) "\"select\":{\"annotations\":{\"io.kubernetes.pod.name\":\"" glob "\"}},"
/* mkdir and mkdirat fail with ERRNO; getppid returns VAL. */
#define POLICY(name, select, errno_, val)                                                          \
        "{\"name\":\"" name "\"," select "\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["     \
        "{\"names\":[\"mkdir\",\"mkdirat\"],\"notify\":true,\"action\":\"SCMP_ACT_ERRNO\","                       \
        "\"errnoRet\":\"" errno_ "\"},"                                                            \
        "{\"names\":[\"getppid\"],\"notify\":true,\"action\":\"UNOTIFY_ACT_RETURN\",\"returnValue\":" #val "}]}"

/* What the runtimes themselves call between installing the filter and
 * exec when "noNewPrivileges" is false (runc: about 150 calls, mostly
 * prctl(PR_CAPBSET_DROP); crun: about 140). Neither write (runc 1.1
 * refuses to notify it) nor getppid (runc's parent check, see export-oci). */
#define PRE_EXEC_POLICY                                                                            \
        "{\"name\":\"pre-exec\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["               \
        "{\"names\":[\"mkdir\",\"mkdirat\"],\"notify\":true,\"action\":\"SCMP_ACT_ERRNO\","                       \
        "\"errnoRet\":\"EROFS\"},"                                                                \
        "{\"names\":[\"read\",\"close\",\"fcntl\",\"futex\",\"mmap\",\"munmap\",\"mprotect\","     \
        "\"brk\",\"openat\",\"newfstatat\",\"fstat\",\"rt_sigprocmask\",\"rt_sigaction\","         \
        "\"execve\",\"prctl\",\"capset\",\"setgroups\",\"setuid\",\"setgid\",\"getdents64\","     \
        "\"nanosleep\",\"getpid\",\"clone\",\"exit_group\"],\"notify\":true,\"action\":\"SCMP_ACT_ALLOW\"}]}"
/* write goes to the daemon too: the container's output is answered. */
#define WRITE_POLICY                                                                               \
        "{\"name\":\"write\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["                  \
        "{\"names\":[\"mkdir\",\"mkdirat\"],\"notify\":true,\"action\":\"SCMP_ACT_ERRNO\"},"                       \
        "{\"names\":[\"write\"],\"notify\":true,\"action\":\"SCMP_ACT_ALLOW\"}]}"
/* clang-format on */

static const struct test_policy policies[] = {
        { "ctr.json", POLICY("ctr", "", "EPERM", 4242) },
        { "meta-a.json", POLICY("meta-a", "", "EACCES", 1001) },
        { "meta-b.json", POLICY("meta-b", "", "ENOSPC", 1002) },
        { "ann-x.json", POLICY("ann-x", SELECT_POD("x-*"), "EROFS", 2001) },
        { "ann-y.json", POLICY("ann-y", SELECT_POD("y-*"), "EMLINK", 2002) },
        { "none.json", "{\"name\":\"none\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[]}" },
        {},
};

static const struct test_policy pre_exec_policies[] = {
        { "pre-exec.json", PRE_EXEC_POLICY },
        { "write.json", WRITE_POLICY },
        {},
};

/* Make a directory, then print mkdir's status and $PPID (busybox sh reads
 * it with getppid(2) at start). */
#define PROBE_ARGS(dir)                                                                \
        {                                                                              \
                "sh", "-c", "mkdir /tmp/" dir "; echo mkdir=$?; echo ppid=$PPID", NULL \
        }

static struct rt_env env;
static struct test_daemon d;
static bool daemon_up;

static void start(const char *runtime, const struct test_policy *set)
{
        rt_env_init(&env, runtime);
        daemon_start(&d, set, false);
        daemon_up = true;
}

static void fini(void)
{
        rt_env_cleanup(&env);
        if (daemon_up)
                daemon_stop(&d);
        daemon_up = false;
}

static void assert_contains(const char *hay, const char *needle, const char *what)
{
        cr_assert(strstr(hay, needle), "%s: no \"%s\" in:\n%s", what, needle, hay);
}

static void assert_absent(const char *dir)
{
        char path[600];

        snprintf(path, sizeof(path), "%s/tmp/%s", env.rootfs, dir);
        cr_assert_eq(access(path, F_OK), -1, "%s was made: the policy did not decide mkdir", path);
}

/* The line the daemon logs when it binds a listener of container id
 * names the policy and how it was chosen. */
static void assert_bound(const char *id, const char *policy, const char *how)
{
        char needle[256], want[256], line[1024];
        const char *log = daemon_log(&d), *at, *end;

        snprintf(needle, sizeof(needle), ": container %s pid ", id);
        at = strstr(log, needle);
        cr_assert_not_null(at, "no listener of %s in the daemon log:\n%s", id, log);
        end = strchrnul(at, '\n');
        snprintf(line, sizeof(line), "%.*s", (int)(end - at), at);
        snprintf(want, sizeof(want), "policy %s (%s;", policy, how);
        assert_contains(line, want, "the listener's line");
}

static int count_lines_with(const char *hay, const char *needle)
{
        int n = 0;

        for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
                n++;
        return n;
}

/* ---- the cases, each for one runtime ---- */

static void deny_and_return(const char *runtime)
{
        const char *const args[] = PROBE_ARGS("denied");
        struct cmd_result r;
        const char *id;

        start(runtime, policies);
        id = rt_bundle(&env, &d, &(struct container){ .policy = "ctr", .args = args });
        rt_run(&env, id, &r);
        cr_assert_eq(r.status, 0, "%s run: %d\n%s\n%s\n%s", runtime, r.status, r.out, r.err,
                     daemon_log(&d));
        cr_assert_str_eq(r.out, "mkdir=1\nppid=4242\n");
        assert_contains(r.err, "can't create directory '/tmp/denied': Operation not permitted",
                        "stderr");
        assert_absent("denied");
        assert_bound(id, "ctr", "named by metadata");
        assert_contains(daemon_log(&d), "getppid -> UNOTIFY_ACT_RETURN 4242 (ctr /syscalls/1)",
                        "daemon log");
}

/* `exec` makes a new process with a new filter and listener: the daemon
 * must match it to the same container and select the same policy (here
 * by annotation; crun sends pid 0 and bundle "." for it). */
static void exec_joins_the_container(const char *runtime)
{
        static const char *const ann[] = { "io.kubernetes.pod.name", "x-web", NULL };
        const char *const sleeper[] = { "sleep", "60", NULL };
        const char *const probe[] = PROBE_ARGS("exec");
        struct cmd_result r;
        char needle[256];
        const char *id;
        int baseline;

        start(runtime, policies);
        baseline = count_fds(d.pid);
        id = rt_bundle(&env, &d, &(struct container){ .annotations = ann, .args = sleeper });
        rt_run_detached(&env, id);
        rt_exec(&env, id, probe, &r);
        cr_assert_eq(r.status, 0, "%s exec: %d\n%s\n%s", runtime, r.status, r.err, daemon_log(&d));
        cr_assert_str_eq(r.out, "mkdir=1\nppid=2001\n");
        assert_contains(r.err, "Read-only file system", "stderr");
        assert_absent("exec");
        snprintf(needle, sizeof(needle), ": container %s pid ", id);
        cr_assert_eq(count_lines_with(daemon_log(&d), needle), 2, "two listeners (run, exec):\n%s",
                     daemon_log(&d));
        cr_assert_eq(count_lines_with(daemon_log(&d),
                                      "policy ann-x (selected by \"select\" of \"ann-x\";"),
                     2, "%s", daemon_log(&d));
        cr_assert_eq(
                count_lines_with(daemon_log(&d), "; annotations io.kubernetes.pod.name=x-web)"), 2,
                "the log names the pod: %s", daemon_log(&d));
        /* crun connects before it looks for the file, then closes: the
         * daemon must not call that a refused handoff. */
        rt_exec(&env, id, (const char *const[]){ "/no/such/file", NULL }, &r);
        cr_assert_neq(r.status, 0);
        cr_assert_null(strstr(daemon_log(&d), "refused: connection closed"), "%s", daemon_log(&d));
        rt_kill(&env, id);
        /* Both listeners hang up once the container is gone. */
        cr_assert_eq(wait_fd_count(d.pid, baseline, 10000), baseline, "%s", fd_list(d.pid));
}

struct parallel {
        const char *policy; /* NULL: selected by annotation */
        const char *pod;
        const char *answer;
        const char *ppid;
};

static const struct parallel crowd[] = {
        { "meta-a", "y-by-name", "Permission denied", "1001" },
        { "meta-b", "x-by-name", "No space left on device", "1002" },
        { NULL, "x-1", "Read-only file system", "2001" },
        { NULL, "y-1", "Too many links", "2002" },
        { "meta-b", NULL, "No space left on device", "1002" },
        { "meta-a", NULL, "Permission denied", "1001" },
        { NULL, "y-2", "Too many links", "2002" },
        { NULL, "x-2", "Read-only file system", "2001" },
};

#define N_CROWD (sizeof(crowd) / sizeof(crowd[0]))

/* Eight containers at once against one daemon, policies chosen by
 * metadata (which wins over a pod annotation that would select another)
 * and by annotations: each gets its own answers and nothing else. */
static void many_in_parallel(const char *runtime)
{
        const char *const args[] = PROBE_ARGS("p");
        const char *ids[N_CROWD];
        pid_t pids[N_CROWD];
        int pipes[N_CROWD][2];

        start(runtime, policies);
        for (size_t i = 0; i < N_CROWD; i++) {
                const char *const ann[] = { "io.kubernetes.pod.name", crowd[i].pod, NULL };

                ids[i] = rt_bundle(&env, &d,
                                   &(struct container){ .policy = crowd[i].policy,
                                                        .annotations = crowd[i].pod ? ann : NULL,
                                                        .args = args });
        }
        for (size_t i = 0; i < N_CROWD; i++)
                pids[i] = rt_start(&env, ids[i], pipes[i]);
        for (size_t i = 0; i < N_CROWD; i++) {
                struct cmd_result r;
                char want[64];

                rt_wait(pids[i], pipes[i], &r);
                cr_assert_eq(r.status, 0, "%s: %d\n%s\n%s", ids[i], r.status, r.err,
                             daemon_log(&d));
                snprintf(want, sizeof(want), "mkdir=1\nppid=%s\n", crowd[i].ppid);
                cr_assert_str_eq(r.out, want, "%s (%s)", ids[i], crowd[i].policy ?: crowd[i].pod);
                assert_contains(r.err, crowd[i].answer, ids[i]);
                if (crowd[i].policy)
                        assert_bound(ids[i], crowd[i].policy, "named by metadata");
                else if (crowd[i].pod[0] == 'x')
                        assert_bound(ids[i], "ann-x", "selected by \"select\" of \"ann-x\"");
                else
                        assert_bound(ids[i], "ann-y", "selected by \"select\" of \"ann-y\"");
        }
        assert_absent("p");
}

/* With "noNewPrivileges": false the filter is installed while the runtime
 * still has work to do (dropping capabilities, closing fds, exec): those
 * calls are notified too, and the container starts only because the
 * daemon answers each at once. */
static void runtime_calls_before_exec(const char *runtime)
{
        const char *const args[] = PROBE_ARGS("pre");
        struct cmd_result r;
        char needle[256];
        const char *id;
        int n;

        start(runtime, pre_exec_policies);
        id = rt_bundle(&env, &d,
                       &(struct container){ .policy = "pre-exec", .args = args, .privs = true });
        rt_run(&env, id, &r);
        cr_assert_eq(r.status, 0, "%s run: %d\n%s\n%s", runtime, r.status, r.err, daemon_log(&d));
        cr_assert_str_eq(r.out, "mkdir=1\nppid=0\n");
        assert_contains(r.err, "Read-only file system", "stderr");
        snprintf(needle, sizeof(needle), "(%s): pid ", id);
        n = count_lines_with(daemon_log(&d), needle);
        assert_contains(daemon_log(&d), "prctl -> SCMP_ACT_ALLOW", "daemon log");
        cr_assert_geq(n, 50, "only %d notifications answered:\n%s", n, daemon_log(&d));
}

/* What runc 1.1 refuses and crun does: seccomp flags (here the one that
 * makes a received notification's wait killable only), and notifying
 * write. Where the runtime refuses, it says why and runs nothing. */
static void flags_and_write(const char *runtime, bool refuses)
{
        const char *const args[] = PROBE_ARGS("w");
        struct cmd_result r;
        const char *flagged, *writer;

        start(runtime, pre_exec_policies);
        flagged =
                rt_bundle(&env, &d,
                          &(struct container){ .policy = "pre-exec",
                                               .args = args,
                                               .flag = "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" });
        writer = rt_bundle(&env, &d, &(struct container){ .policy = "write", .args = args });
        rt_run(&env, flagged, &r);
        if (refuses) {
                cr_assert_neq(r.status, 0);
                assert_contains(r.err, "seccomp flags are not yet supported by runc", "stderr");
        } else {
                cr_assert_eq(r.status, 0, "%s\n%s", r.err, daemon_log(&d));
                cr_assert_str_eq(r.out, "mkdir=1\nppid=0\n");
        }
        rt_run(&env, writer, &r);
        if (refuses) {
                cr_assert_neq(r.status, 0);
                assert_contains(r.err, "SCMP_ACT_NOTIFY cannot be used for the write syscall",
                                "stderr");
                cr_assert_str_eq(r.out, "");
        } else {
                cr_assert_eq(r.status, 0, "%s\n%s", r.err, daemon_log(&d));
                cr_assert_str_eq(r.out, "mkdir=1\nppid=0\n");
                assert_contains(daemon_log(&d), "write -> SCMP_ACT_ALLOW (write /syscalls/1)",
                                "log");
        }
}

/* The daemon's log once it has `want` lines with `needle` (or after
 * timeout_ms): an emulation's answer reaches the task before the loop
 * collects the finished job and logs it. */
static const char *log_once_lines(const char *needle, int want, int timeout_ms)
{
        for (int waited = 0; count_lines_with(daemon_log(&d), needle) < want; waited += 20) {
                if (waited >= timeout_ms)
                        break;
                usleep(20 * 1000);
        }
        return daemon_log(&d);
}

/* Whether the daemon's log says `needle` within timeout_ms: a runtime
 * may exit before the daemon has read the handoff it sent. */
static bool log_says_within(const char *needle, int timeout_ms)
{
        return strstr(log_once_lines(needle, 1, timeout_ms), needle) != NULL;
}

/* A policy that names no syscall: the section has no SCMP_ACT_NOTIFY
 * rule. crun still connects and hands over a listener that never fires;
 * runc does not connect. Either way the container runs. crun does not
 * wait for the daemon to read its message, so the log line may come
 * after crun has exited; runc's absence is checked after the same wait. */
static void nothing_notified(const char *runtime, bool connects)
{
        const char *const args[] = { "echo", "ran", NULL };
        struct cmd_result r;
        char needle[256];
        const char *id;

        start(runtime, policies);
        id = rt_bundle(&env, &d, &(struct container){ .policy = "none", .args = args });
        rt_run(&env, id, &r);
        cr_assert_eq(r.status, 0, "%s\n%s", r.err, daemon_log(&d));
        cr_assert_str_eq(r.out, "ran\n");
        snprintf(needle, sizeof(needle), ": container %s pid ", id);
        cr_assert_eq(log_says_within(needle, connects ? 5000 : 500), connects, "%s",
                     daemon_log(&d));
}

/* No daemon behind listenerPath (no socket file; a socket nobody listens
 * on): the runtime refuses to start the container and says why; the
 * command never runs. */
static void daemon_down(const char *runtime, const char *before, const char *missing,
                        const char *refused)
{
        const char *const args[] = { "echo", "ran", NULL };
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char path[2][400], want[1024];
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        start(runtime, policies);
        snprintf(path[0], sizeof(path[0]), "%s/nobody.sock", d.dir);
        snprintf(path[1], sizeof(path[1]), "%s/deaf.sock", d.dir);
        cr_assert_lt(snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path[1]),
                     (int)sizeof(sa.sun_path));
        cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0); /* and no listen() */
        for (int i = 0; i < 2; i++) {
                struct cmd_result r;
                const char *id = rt_bundle(&env, &d,
                                           &(struct container){ .policy = "ctr",
                                                                .args = args,
                                                                .listener_path = path[i] });

                rt_run(&env, id, &r);
                cr_assert_neq(r.status, 0, "%s started a container without its seccomp agent",
                              runtime);
                cr_assert_str_eq(r.out, "");
                snprintf(want, sizeof(want), "%s%s%s", before, path[i], i ? refused : missing);
                assert_contains(r.err, want, "stderr");
        }
        close(fd);
}

/* The open handler serves open and openat (busybox-static's glibc calls
 * openat; open is there for other builds). A path condition denies
 * /secret in the container's view; every other open is emulated, so no
 * call that reached the path rule ends in CONTINUE (docs/policy.md,
 * "Deny by path"). /etc/motd is rewritten to a file of the host. The
 * arguments: the policy's name, rules before the path rule, the host
 * file. */
/* clang-format off */
#define EMULATE_POLICY                                                                             \
        "{\"name\":\"%s\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["                     \
        "{\"names\":[\"openat\"],\"notify\":true,\"action\":\"SCMP_ACT_ERRNO\",\"errno\":\"EACCES\","              \
        "\"paths\":[{\"index\":1,\"dirfd\":0,\"prefix\":\"/secret\"}]},"                          \
        "{\"names\":[\"open\"],\"notify\":true,\"action\":\"SCMP_ACT_ERRNO\",\"errno\":\"EACCES\","                \
        "\"paths\":[{\"index\":0,\"prefix\":\"/secret\"}]},"                                      \
        "{\"names\":[\"open\",\"openat\"],\"notify\":true,\"action\":\"UNOTIFY_ACT_EMULATE\",\"handler\":\"open\"," \
        "\"handlerOptions\":{\"rewrite\":[{\"from\":\"/etc/motd\",\"to\":\"%s\"}]}}]}"
/* clang-format on */

/* Files of the container's rootfs that the host does not have at those
 * paths: an open done in the daemon's root would fail with ENOENT. */
static void write_rootfs_files(char *proof, size_t size)
{
        char path[600];

        snprintf(proof, size, "only in the container's root, test pid %d\n", (int)getpid());
        cr_assert_eq(access("/unotify-proof", F_OK), -1, "the host has /unotify-proof");
        cr_assert_eq(access("/secret", F_OK), -1, "the host has /secret");
        snprintf(path, sizeof(path), "%s/unotify-proof", env.rootfs);
        write_file(path, proof);
        snprintf(path, sizeof(path), "%s/secret", env.rootfs);
        cr_assert_eq(mkdir(path, 0755), 0);
        strcat(path, "/key");
        write_file(path, "the container's secret\n");
        /* A harmless name for the secret: the handler checks the object
         * it opened (its real path in the container's root), not the
         * string. */
        snprintf(path, sizeof(path), "%s/innocent", env.rootfs);
        cr_assert_eq(symlink("/secret/key", path), 0);
}

/* The container's opens are done by the daemon, in the container's root
 * (/proc/PID/root, which carries the container's mount namespace) with
 * its credentials, the fd handed over with ADDFD: it reads its own file,
 * creates one in its rootfs, is refused /secret by name and through a
 * symlink, and reads the admin's file in place of /etc/motd (read-only). */
static void emulated_open(const char *runtime, bool reopens_fifo)
{
        static const char script[] = "cat /unotify-proof; echo proof=$?; "
                                     "cat /secret/key; echo secret=$?; "
                                     "cat /innocent; echo symlink=$?; "
                                     "echo made >/tmp/made; echo create=$?; cat /tmp/made; "
                                     "cat /etc/motd; echo motd=$?; "
                                     "echo x >/etc/motd; echo motd_write=$?";
        const char *const args[] = { "sh", "-c", script, NULL };
        char json[2048], motd[400], proof[128], want[512], path[600];
        struct test_policy set[] = { { "emulate.json", json }, {} };
        struct cmd_result r;
        const char *log;

        rt_env_init(&env, runtime);
        snprintf(motd, sizeof(motd), "%s/motd.host", env.dir);
        write_file(motd, "the admin's motd\n");
        snprintf(json, sizeof(json), EMULATE_POLICY, "emulate", motd);
        daemon_start(&d, set, false);
        daemon_up = true;
        write_rootfs_files(proof, sizeof(proof));
        rt_run(&env, rt_bundle(&env, &d, &(struct container){ .policy = "emulate", .args = args }),
               &r);
        /* Every emulated open logged: those that gave an fd and the 2 EACCES. */
        log = log_once_lines("openat -> UNOTIFY_ACT_EMULATE open: ", (reopens_fifo ? 6 : 4) + 2,
                             5000);
        cr_assert_eq(r.status, 0, "%s run: %d\n%s\n%s\n%s", runtime, r.status, r.out, r.err, log);
        snprintf(want, sizeof(want),
                 "%sproof=0\nsecret=1\nsymlink=1\ncreate=0\nmade\nthe admin's motd\nmotd=0\n"
                 "motd_write=1\n",
                 proof);
        cr_assert_str_eq(r.out, want, "stderr:\n%s\nlog:\n%s", r.err, log);
        cr_assert_str_eq(r.err,
                         "cat: can't open '/secret/key': Permission denied\n"
                         "cat: can't open '/innocent': Permission denied\n"
                         "sh: can't create /etc/motd: Permission denied\n",
                         "log:\n%s", log);
        /* Made in the bundle's rootfs, by the daemon, as the task. */
        snprintf(path, sizeof(path), "%s/tmp/made", env.rootfs);
        cr_assert_eq(access(path, F_OK), 0, "the emulated create did not reach the rootfs");
        /* The proof, the create, its read, the rewritten motd; with runc
         * also runc init's reopen of its exec FIFO through the magic link
         * /proc/self/fd/N (O_WRONLY of an O_PATH fd it holds: the daemon
         * takes that fd and reopens the FIFO as the task, waiting for
         * runc's reader as the kernel's open would) and its open of
         * /proc/self/fd (it closes the fds it lists there before exec:
         * Debian's fix for CVE-2024-21626), served in the container's
         * /proc. No extra rule lets any open past the handler. */
        cr_assert_eq(count_lines_with(log, "openat -> UNOTIFY_ACT_EMULATE open: fd "),
                     reopens_fifo ? 6 : 4, "%s", log);
        cr_assert_eq(count_lines_with(log, "ELOOP"), 0, "%s", log);
        /* /secret/key by name; /innocent and the write to /etc/motd. */
        cr_assert_eq(count_lines_with(log, "openat -> SCMP_ACT_ERRNO EACCES (emulate /syscalls/0)"),
                     1, "%s", log);
        cr_assert_eq(count_lines_with(log, "openat -> UNOTIFY_ACT_EMULATE open: EACCES"), 2, "%s",
                     log);
        assert_contains(log,
                        "handler \"open\" answers EACCES: the object's real path is decided "
                        "by another rule",
                        "daemon log");
}

TestSuite(runtimes, .fini = fini, .timeout = 60);

Test(runtimes, runc_denies_mkdir_and_fakes_getppid)
{
        deny_and_return("runc");
}
Test(runtimes, crun_denies_mkdir_and_fakes_getppid)
{
        deny_and_return("crun");
}
Test(runtimes, runc_exec_joins_the_container)
{
        exec_joins_the_container("runc");
}
Test(runtimes, crun_exec_joins_the_container)
{
        exec_joins_the_container("crun");
}
Test(runtimes, runc_many_in_parallel)
{
        many_in_parallel("runc");
}
Test(runtimes, crun_many_in_parallel)
{
        many_in_parallel("crun");
}
Test(runtimes, runc_calls_before_exec_are_answered)
{
        runtime_calls_before_exec("runc");
}
Test(runtimes, crun_calls_before_exec_are_answered)
{
        runtime_calls_before_exec("crun");
}

Test(runtimes, runc_refuses_flags_and_notified_write)
{
        flags_and_write("runc", true);
}
Test(runtimes, crun_takes_flags_and_notified_write)
{
        flags_and_write("crun", false);
}

Test(runtimes, runc_without_daemon_fails_clearly)
{
        daemon_down(
                "runc",
                "failed to connect with seccomp agent specified in the seccomp profile: dial unix ",
                ": connect: no such file or directory", ": connect: connection refused");
}

Test(runtimes, crun_without_daemon_fails_clearly)
{
        daemon_down("crun", "open seccomp receiver: connect socket to `",
                    "`: No such file or directory", "`: Connection refused");
}

Test(runtimes, runc_skips_the_agent_when_nothing_is_notified)
{
        nothing_notified("runc", false);
}

Test(runtimes, crun_hands_over_a_listener_even_when_nothing_is_notified)
{
        nothing_notified("crun", true);
}

Test(runtimes, runc_emulates_open_in_the_container_root)
{
        emulated_open("runc", true);
}

Test(runtimes, crun_emulates_open_in_the_container_root)
{
        emulated_open("crun", false);
}
