/* Emulation handlers end to end: the real daemon, targets that install
 * their own filter (unotify-htarget), files on the real filesystem. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define HTARGET BIN("tests/unotify-htarget")

static struct test_daemon d;
static char t[128]; /* the files the targets work on */
static char policy[4096], journal_policy[1024];

static void path_of(char *buf, size_t size, const char *name)
{
        snprintf(buf, size, "%s/%s", t, name);
}

static void file_at(const char *name, const char *content)
{
        char p[512];

        path_of(p, sizeof(p), name);
        write_file(p, content);
}

static void dir_at(const char *name, mode_t mode)
{
        char p[512];

        path_of(p, sizeof(p), name);
        cr_assert_eq(mkdir(p, mode), 0, "mkdir %s: %s", p, strerror(errno));
        chmod(p, mode);
}

/* Deny T/secret by path (open and openat), emulate every other open with
 * one rewrite, emulate mknod. */
static void make_policies(void)
{
        snprintf(policy, sizeof(policy),
                 "{\"name\":\"h\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                 "{\"names\":[\"open\",\"creat\"],\"notify\":true,\"action\":\"SCMP_ACT_ERRNO\","
                 "\"errno\":"
                 "\"EACCES\","
                 "\"paths\":[{\"index\":0,\"prefix\":\"%s/secret\"}]},"
                 "{\"names\":[\"openat\",\"openat2\"],\"notify\":true,\"action\":\"SCMP_ACT_"
                 "ERRNO\",\"errno\":"
                 "\"EACCES\","
                 "\"paths\":[{\"index\":1,\"dirfd\":0,\"prefix\":\"%s/secret\"}]},"
                 "{\"names\":[\"mknod\"],\"notify\":true,\"action\":\"SCMP_ACT_ERRNO\",\"errno\":"
                 "\"EACCES\","
                 "\"paths\":[{\"index\":0,\"prefix\":\"%s/secret\"}]},"
                 "{\"names\":[\"open\",\"openat\",\"openat2\",\"creat\"],"
                 "\"notify\":true,\"action\":\"UNOTIFY_ACT_EMULATE\",\"handler\":\"open\","
                 "\"handlerOptions\":"
                 "{\"rewrite\":[{\"from\":\"%s/resolv.conf\",\"to\":\"%s/policy-resolv.conf\"}]}},"
                 "{\"names\":[\"mknod\",\"mknodat\"],\"notify\":true,\"action\":\"UNOTIFY_ACT_"
                 "EMULATE\","
                 "\"handler\":\"mknod\"},"
                 "{\"names\":[\"memfd_create\"],\"notify\":true,\"action\":\"UNOTIFY_ACT_EMULATE\","
                 "\"handler\":\"inject\",\"handlerOptions\":{\"path\":\"%s/injected\"}}]}",
                 t, t, t, t, t, t);
        snprintf(journal_policy, sizeof(journal_policy),
                 "{\"name\":\"j\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                 "{\"names\":[\"open\"],\"notify\":true,\"action\":\"UNOTIFY_ACT_EMULATE\","
                 "\"handler\":\"open\"},"
                 "{\"names\":[\"mknod\"],\"notify\":true,\"action\":\"UNOTIFY_ACT_EMULATE\","
                 "\"handler\":\"mknod\"}]"
                 "}");
}

static void setup(void)
{
        char p[512], q[512];

        strcpy(t, "/tmp/unotify-handlers.XXXXXX");
        cr_assert_not_null(mkdtemp(t));
        chmod(t, 0755);
        file_at("allowed", "ALLOWED\n");
        file_at("injected", "INJECTED\n");
        file_at("resolv.conf", "nameserver 10.0.0.1\n");
        file_at("policy-resolv.conf", "nameserver 192.0.2.53\n");
        dir_at("secret", 0755);
        file_at("secret/file", "DENIED\n");
        dir_at("sub", 0755);
        file_at("sub/inner", "INNER\n");
        path_of(p, sizeof(p), "symlink");
        cr_assert_eq(symlink("allowed", p), 0);
        dir_at("swap", 0755);
        file_at("swap/allowed", "ALLOWED\n");
        path_of(p, sizeof(p), "swap/denied");
        cr_assert_eq(symlink("../secret/file", p), 0);
        make_policies();
        {
                const struct test_policy policies[] = {
                        { "h.json", policy },
                        { "j.json", journal_policy },
                        {},
                };

                daemon_start(&d, policies, false);
        }
        (void)q;
}

static void teardown(void)
{
        char cmd[300];

        daemon_stop(&d);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t);
        if (strncmp(t, "/tmp/unotify-handlers.", 22) == 0)
                (void)!system(cmd);
}

TestSuite(handlers, .init = setup, .fini = teardown, .timeout = 120);

/* Run htarget under policy pol with args (NULL-terminated). */
static void target(const char *pol, bool killable, const char *const args[], struct cmd_result *r)
{
        const char *argv[16] = { HTARGET, d.socket, pol };
        size_t n = 3;

        if (!killable)
                argv[n++] = "--no-killable";
        for (size_t i = 0; args[i] && n < 15; i++)
                argv[n++] = args[i];
        argv[n] = NULL;
        run_cmd(argv, 90000,
                r); /* a bound for a hung target, not a timing: ASan on a loaded 2-core machine is slow */
}

#define TARGET(r, ...) target("h", true, (const char *[]){ __VA_ARGS__, NULL }, r)

static void expect_open(const char *path, const char *flags, const char *want)
{
        struct cmd_result r;

        TARGET(&r, "open", path, flags);
        cr_assert_eq(r.status, 0, "open %s %s: status %d, stderr: %s", path, flags, r.status,
                     r.err);
        cr_assert_str_eq(r.out, want, "open %s %s: %s", path, flags, r.out);
}

Test(handlers, open_allowed_denied_rewritten_and_errnos)
{
        char p[512];

        path_of(p, sizeof(p), "allowed");
        expect_open(p, "rdonly", "open: ok ALLOWED\n");
        path_of(p, sizeof(p), "secret/file");
        expect_open(p, "rdonly", "open: EACCES\n");
        path_of(p, sizeof(p), "resolv.conf");
        expect_open(p, "rdonly", "open: ok nameserver 192.0.2.53\n");
        expect_open(p, "rdwr", "open: EACCES\n"); /* a rewritten file is read-only */
        path_of(p, sizeof(p), "missing");
        expect_open(p, "rdonly", "open: ENOENT\n");
        path_of(p, sizeof(p), "symlink");
        expect_open(p, "rdonly", "open: ok ALLOWED\n");
        expect_open(p, "rdonly,nofollow", "open: ELOOP\n");
        path_of(p, sizeof(p), "allowed");
        expect_open(p, "rdonly,directory", "open: ENOTDIR\n");
        expect_open(p, "wronly,creat,excl", "open: EEXIST\n");
        /* Hostile pointers: EFAULT, as the kernel answers. */
        expect_open("0x1", "rdonly", "open: EFAULT\n");
        expect_open("0xffffffffff600000", "rdonly", "open: EFAULT\n");
        /* /proc/self is the task's, not the daemon's. */
        expect_open("/proc/self/comm", "rdonly", "open: ok unotify-htarget\n");
        cr_assert(strstr(daemon_log(&d), " open -> UNOTIFY_ACT_EMULATE open: fd "), "log: %s",
                  daemon_log(&d));
}

Test(handlers, inject_answers_with_the_policys_file)
{
        struct cmd_result r;

        TARGET(&r, "memfd");
        cr_assert_eq(r.status, 0, "stderr: %s", r.err);
        cr_assert_str_eq(r.out, "memfd: ok INJECTED\n");
}

Test(handlers, open_creates_with_the_tasks_mode_and_checks_the_parent)
{
        char p[512];
        struct stat st;

        path_of(p, sizeof(p), "created");
        expect_open(p, "wronly,creat,excl", "open: ok\n");
        cr_assert_eq(stat(p, &st), 0);
        cr_assert_eq(st.st_mode & 07777, 0644 & ~022, "mode %o", st.st_mode & 07777);
        path_of(p, sizeof(p), "secret/new");
        expect_open(p, "wronly,creat", "open: EACCES\n");
        cr_assert_eq(access(p, F_OK), -1, "a denied file must not be created");

        /* Through a dangling symlink: its target is created, as by the
         * kernel, and checked as such. */
        path_of(p, sizeof(p), "dangling");
        cr_assert_eq(symlink("made-through-link", p), 0);
        expect_open(p, "wronly,creat", "open: ok\n");
        expect_open(p, "wronly,creat,excl", "open: EEXIST\n");
        path_of(p, sizeof(p), "made-through-link");
        cr_assert_eq(access(p, F_OK), 0);
        path_of(p, sizeof(p), "to-secret");
        cr_assert_eq(symlink("secret/through", p), 0);
        expect_open(p, "wronly,creat", "open: EACCES\n");
        path_of(p, sizeof(p), "secret/through");
        cr_assert_eq(access(p, F_OK), -1, "a denied file must not be created through a link");
}

Test(handlers, relative_paths_dirfd_and_cwd)
{
        char p[512];
        struct cmd_result r;

        path_of(p, sizeof(p), "sub");
        TARGET(&r, "openat", p, "inner");
        cr_assert_eq(r.status, 0, "stderr: %s", r.err);
        cr_assert_str_eq(r.out, "openat: ok INNER\n");
        TARGET(&r, "openat", p, "../secret/file");
        cr_assert_str_eq(r.out, "openat: EACCES\n");
        TARGET(&r, "cwd", p, "inner");
        cr_assert_str_eq(r.out, "open: ok INNER\n");
        TARGET(&r, "cwd", p, "../allowed");
        cr_assert_str_eq(r.out, "open: ok ALLOWED\n");
        TARGET(&r, "cwd", p, "../secret/file");
        cr_assert_str_eq(r.out, "open: EACCES\n");
        /* openat2's own resolution: "/" is the dirfd, or ".." may not leave it. */
        TARGET(&r, "openat2", p, "/inner", "in_root");
        cr_assert_str_eq(r.out, "openat2: ok INNER\n", "stderr: %s", r.err);
        TARGET(&r, "openat2", p, "../allowed", "beneath");
        cr_assert_str_eq(r.out, "openat2: EXDEV\n");
        TARGET(&r, "openat2", p, "inner", "none");
        cr_assert_str_eq(r.out, "openat2: ok INNER\n");
}

Test(handlers, mount_namespace_and_chroot_are_the_tasks)
{
        char p[512];
        struct cmd_result r;

        dir_at("root", 0755);
        dir_at("root/etc", 0755);
        dir_at("root/mnt", 0755);
        file_at("root/etc/hostname", "chroot-hostname\n");
        path_of(p, sizeof(p), "root");
        TARGET(&r, "chroot", p, "mnt", "/etc/hostname");
        cr_assert_eq(r.status, 0, "stderr: %s", r.err);
        cr_assert_str_eq(r.out, "read: ok chroot-hostname\nmade: ok ns\n");
        path_of(p, sizeof(p), "root/mnt/made");
        cr_assert_eq(access(p, F_OK), -1, "created on the task's tmpfs, not in the host's view");
}

Test(handlers, swapped_symlink_never_opens_the_denied_file)
{
        char p[512];
        struct cmd_result r;
        unsigned allowed, denied, refused, other;

        path_of(p, sizeof(p), "swap");
        TARGET(&r, "swap", p, "2000");
        cr_assert_eq(r.status, 0, "stderr: %s", r.err);
        cr_assert_eq(sscanf(r.out, "swap: allowed %u denied %u refused %u other %u", &allowed,
                            &denied, &refused, &other),
                     4, "%s", r.out);
        cr_log_info("%s%s", r.out, r.err);
        cr_assert_eq(denied, 0, "the denied file was opened: %s", r.out);
        /* "other" (a rare ENOENT while the link is being replaced) is not
         * a security question: only the denied content is. */
        cr_assert_gt(allowed, 0, "%s", r.out);
}

Test(handlers, cloexec_is_honoured_across_exec)
{
        char p[512];
        struct cmd_result r;
        int a, b;

        path_of(p, sizeof(p), "allowed");
        TARGET(&r, "cloexec", p, HTARGET);
        cr_assert_eq(r.status, 0, "stderr: %s", r.err);
        cr_assert_eq(sscanf(r.out, "flags 1 0\nfd %d closed\nfd %d open\n", &a, &b), 2, "%s",
                     r.out);
}

/* The open is the task's: as uid 1000 a root-only file is refused by the
 * kernel's own check, as root it opens (the daemon skips the credential
 * switch only when the credentials are its own already). */
Test(handlers, open_is_checked_with_the_tasks_credentials)
{
        char p[512];
        struct cmd_result r;

        path_of(p, sizeof(p), "root-only");
        write_file(p, "ROOT");
        cr_assert_eq(chmod(p, 0600), 0);
        TARGET(&r, "open", p, "rdonly", "1000");
        cr_assert_str_eq(r.out, "open: EACCES\n", "stderr: %s", r.err);
        expect_open(p, "rdonly", "open: ok ROOT\n");
}

Test(handlers, mknod_allowed_and_forbidden_devices)
{
        char p[512];
        struct cmd_result r;
        struct stat st;

        dir_at("dev", 0777);
        path_of(p, sizeof(p), "dev/null");
        TARGET(&r, "mknod", p, "c", "1", "3", "1000");
        cr_assert_str_eq(r.out, "mknod: ok\n", "stderr: %s", r.err);
        cr_assert_eq(lstat(p, &st), 0);
        cr_assert(S_ISCHR(st.st_mode));
        cr_assert_eq(st.st_rdev, makedev(1, 3));
        cr_assert_eq(st.st_uid, 1000, "the task's ownership");
        cr_assert_eq(st.st_gid, 1000);
        path_of(p, sizeof(p), "dev/sda");
        TARGET(&r, "mknod", p, "b", "8", "0", "1000");
        cr_assert_str_eq(r.out, "mknod: EPERM\n");
        cr_assert_eq(access(p, F_OK), -1);
        path_of(p, sizeof(p), "dev/mem");
        TARGET(&r, "mknod", p, "c", "1", "1");
        cr_assert_str_eq(r.out, "mknod: EPERM\n", "even for root: not on the list");
        path_of(p, sizeof(p), "dev/whiteout");
        TARGET(&r, "mknod", p, "c", "0", "0");
        cr_assert_str_eq(r.out, "mknod: ok\n");
        /* The rest of LXD's list: tty 5:0 and console 5:1; not 5:2 (ptmx). */
        path_of(p, sizeof(p), "dev/console");
        TARGET(&r, "mknod", p, "c", "5", "1", "1000");
        cr_assert_str_eq(r.out, "mknod: ok\n");
        cr_assert_eq(lstat(p, &st), 0);
        cr_assert_eq(st.st_rdev, makedev(5, 1));
        path_of(p, sizeof(p), "dev/ptmx");
        TARGET(&r, "mknod", p, "c", "5", "2", "1000");
        cr_assert_str_eq(r.out, "mknod: EPERM\n");
        path_of(p, sizeof(p), "secret/null");
        TARGET(&r, "mknod", p, "c", "1", "3");
        cr_assert_str_eq(r.out, "mknod: EACCES\n", "a path the policy denies");
        /* The task's own permissions on the directory still count. */
        path_of(p, sizeof(p), "rootonly");
        dir_at("rootonly", 0755);
        strcat(p, "/null");
        TARGET(&r, "mknod", p, "c", "1", "3", "1000");
        cr_assert_str_eq(r.out, "mknod: EACCES\n");
}

Test(handlers, no_fd_leaks_after_thousands_of_calls)
{
        char p[512];
        struct cmd_result r;
        int baseline = count_fds(d.pid), ok, before, after;

        path_of(p, sizeof(p), "allowed");
        TARGET(&r, "count", "3000", p);
        cr_assert_eq(r.status, 0, "stderr: %s", r.err);
        cr_assert_eq(sscanf(r.out, "count: ok %d fds %d %d", &ok, &before, &after), 3, "%s", r.out);
        cr_assert_eq(ok, 3000, "%s", r.out);
        cr_assert_eq(before, after, "target fds leaked: %s", r.out);
        cr_assert_eq(wait_fd_count(d.pid, baseline, 5000), baseline,
                     "daemon fds leaked (%d before):\n%s", baseline, fd_list(d.pid));
}

/* How many worker threads of the daemon are blocked opening a FIFO
 * (fs/pipe.c). */
static int daemon_fifo_waiters(void)
{
        char dir[64], path[384], wchan[64];
        struct dirent *e;
        int found = 0;
        DIR *tasks;

        snprintf(dir, sizeof(dir), "/proc/%d/task", (int)d.pid);
        tasks = opendir(dir);
        if (!tasks)
                return 0;
        while ((e = readdir(tasks))) {
                FILE *f;

                snprintf(path, sizeof(path), "%s/%s/wchan", dir, e->d_name);
                f = fopen(path, "re");
                if (!f)
                        continue;
                found += fgets(wchan, sizeof(wchan), f) && strstr(wchan, "wait_for_partner");
                fclose(f);
        }
        closedir(tasks);
        return found;
}

static bool daemon_waits_on_fifo(void)
{
        return daemon_fifo_waiters() > 0;
}

/* Every notification ends in exactly one counter: answered, gone before
 * SEND, or dropped stale; the one whose task was killed while a worker
 * emulated it too. The loop counts a job after it is back, so wait. */
static void assert_counters_add_up(void)
{
        long long received = 0, ended = 0;

        for (int i = 0; i < 200; i++) {
                received = daemon_stat(&d, "notifications_received");
                ended = daemon_stat(&d, "notifications_answered") +
                        daemon_stat(&d, "gone_before_send") + daemon_stat(&d, "stale_dropped");
                if (received == ended)
                        break;
                poll(NULL, 0, 10);
        }
        cr_assert_eq(received, ended, "received %lld, answered + gone before SEND + stale %lld",
                     received, ended);
}

Test(handlers, blocking_fifo_open_does_not_stall_other_listeners)
{
        char fifo[512], p[512];
        struct cmd_result r;
        int out[2], status, wfd = -1;
        char buf[256] = "";
        pid_t pid;

        path_of(fifo, sizeof(fifo), "fifo");
        cr_assert_eq(mkfifo(fifo, 0666), 0);
        cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
        pid = fork();
        if (pid == 0) {
                dup2(out[1], STDOUT_FILENO);
                execl(HTARGET, HTARGET, d.socket, "h", "fifo", fifo, (char *)NULL);
                _exit(127);
        }
        close(out[1]);
        for (int i = 0; i < 3000 && !daemon_waits_on_fifo(); i++)
                poll(NULL, 0, 10);
        cr_assert(daemon_waits_on_fifo(), "the FIFO's open should be pending in a worker");

        /* Another listener is served meanwhile, emulated opens included. */
        path_of(p, sizeof(p), "allowed");
        TARGET(&r, "count", "200", p);
        cr_assert_eq(r.status, 0, "stderr: %s", r.err);
        cr_assert(!strncmp(r.out, "count: ok 200 ", 14), "%s", r.out);
        cr_assert_eq(waitpid(pid, &status, WNOHANG), 0, "the FIFO reader cannot be done yet");

        wfd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        cr_assert_geq(wfd, 0, "the daemon's worker is the reader: %s", strerror(errno));
        close(wfd);
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert_gt(read(out[0], buf, sizeof(buf) - 1), 0);
        close(out[0]);
        cr_assert_str_eq(buf, "fifo: ok\n");

        /* A reader killed while its open waits frees the worker. */
        pid = fork();
        if (pid == 0) {
                execl(HTARGET, HTARGET, d.socket, "h", "fifo", fifo, (char *)NULL);
                _exit(127);
        }
        for (int i = 0; i < 3000 && !daemon_waits_on_fifo(); i++)
                poll(NULL, 0, 10);
        cr_assert(daemon_waits_on_fifo());
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        for (int i = 0; i < 3000 && daemon_waits_on_fifo(); i++)
                poll(NULL, 0, 10);
        cr_assert_not(daemon_waits_on_fifo(), "the worker is still held by a dead task");
        assert_counters_add_up();
}

/* One listener blocking in more opens than there are workers holds at
 * most all but one: another listener's emulations still run. */
Test(handlers, blocked_listener_never_holds_every_worker)
{
        char fifo[512], p[512];
        struct cmd_result r;
        int out[2], status, wfd;
        char buf[256] = "";
        pid_t pid;

        path_of(fifo, sizeof(fifo), "fifo4");
        cr_assert_eq(mkfifo(fifo, 0666), 0);
        cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
        pid = fork();
        if (pid == 0) {
                dup2(out[1], STDOUT_FILENO);
                execl(HTARGET, HTARGET, d.socket, "h", "fifos", fifo, "8", (char *)NULL);
                _exit(127);
        }
        close(out[1]);
        for (int i = 0; i < 3000 && daemon_fifo_waiters() < 3; i++)
                poll(NULL, 0, 10);
        cr_assert_eq(daemon_fifo_waiters(), 3, "3 of the 4 workers, no more");

        path_of(p, sizeof(p), "allowed");
        TARGET(&r, "count", "100", p);
        cr_assert(!strncmp(r.out, "count: ok 100 ", 14), "%s (stderr %s)", r.out, r.err);

        /* A writer lets every reader through, queued ones too. */
        wfd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        cr_assert_geq(wfd, 0);
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        close(wfd);
        cr_assert_gt(read(out[0], buf, sizeof(buf) - 1), 0);
        close(out[0]);
        cr_assert_str_eq(buf, "fifos: ok 8\n");
}

/* The daemon's "N emulated answers lost ..., M restarted calls answered
 * from the journal" for its listeners; 0 0 when none was lost. */
static void journal_figures(const char *log, unsigned long *lost, unsigned long *replayed)
{
        const char *s = log;

        *lost = *replayed = 0;
        while ((s = strstr(s, "emulated answers lost to signals, "))) {
                const char *start = s;
                unsigned long a, b;

                while (start > log && start[-1] != ':')
                        start--;
                if (sscanf(start, " %lu emulated answers lost to signals, %lu restarted", &a, &b) ==
                    2) {
                        *lost += a;
                        *replayed += b;
                }
                s++;
        }
}

static void hammer(const char *kind)
{
        char dir[512];
        struct cmd_result r;
        unsigned long lost, replayed;

        path_of(dir, sizeof(dir), kind);
        cr_assert_eq(mkdir(dir, 0755), 0);
        target("j", false, (const char *[]){ "hammer", "1500", dir, kind, NULL }, &r);
        cr_assert_eq(r.status, 0, "stderr: %s", r.err);
        cr_assert_str_eq(r.out, "hammer: ok 1500 eexist 0 other 0\n", "%s (%s)", r.out, r.err);
        cr_assert_eq(count_dir_entries(dir, 0), 1500, "each side effect once: %u",
                     count_dir_entries(dir, 0));
        daemon_stop(&d);
        journal_figures(daemon_last_log(), &lost, &replayed);
        cr_log_info("%s: %s; %lu answers lost, %lu replayed", kind, r.err, lost, replayed);
        cr_assert_geq(replayed, lost, "every lost answer is replayed to the restarted call");
}

Test(handlers, journal_mknod_once_under_signals_without_wait_killable)
{
        hammer("mknod");
}

Test(handlers, journal_exclusive_create_once_under_signals_without_wait_killable)
{
        hammer("open");
}
