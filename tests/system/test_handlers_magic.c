/* The open handler and the task's own magic links (/proc/self/fd/N,
 * /proc/self/exe, /proc/thread-self/..., /proc/PID/...): followed as the
 * kernel follows them for the task, the object reopened with the task's
 * credentials (the inode's permission, not the fd's mode), the path rule
 * decided on the object reached. The fds are opened by the kernel before
 * the target loads its filter (unotify-htarget "magic"). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define HTARGET BIN("tests/unotify-htarget")

static struct test_daemon d;
static char t[128];
static char policy[2048];

static void setup(void)
{
        char p[300];

        strcpy(t, "/tmp/unotify-magic.XXXXXX");
        cr_assert_not_null(mkdtemp(t));
        chmod(t, 0755);
        snprintf(p, sizeof(p), "%s/allowed", t);
        write_file(p, "ALLOWED\n");
        chmod(p, 0644); /* root's: others may read, not write */
        snprintf(p, sizeof(p), "%s/secret", t);
        cr_assert_eq(mkdir(p, 0755), 0);
        snprintf(p, sizeof(p), "%s/secret/file", t);
        write_file(p, "DENIED\n");
        snprintf(policy, sizeof(policy),
                 "{\"name\":\"m\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                 "{\"names\":[\"open\"],\"notify\":true,\"action\":\"SCMP_ACT_ERRNO\",\"errno\":"
                 "\"EACCES\",\"paths\":[{\"index\":0,\"prefix\":\"%s/secret\"}]},"
                 "{\"names\":[\"open\"],\"notify\":true,\"action\":\"UNOTIFY_ACT_EMULATE\","
                 "\"handler\":\"open\"}]}",
                 t);
        {
                const struct test_policy policies[] = { { "m.json", policy }, {} };

                daemon_start(&d, policies, false);
        }
}

static void teardown(void)
{
        char cmd[300];

        daemon_stop(&d);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t);
        if (strncmp(t, "/tmp/unotify-magic.", 19) == 0)
                (void)!system(cmd);
}

static unsigned count_of(const char *s, const char *needle)
{
        unsigned n = 0;

        for (; (s = strstr(s, needle)); s += strlen(needle))
                n++;
        return n;
}

TestSuite(magic, .init = setup, .fini = teardown, .timeout = 120);

/* name (under t) opened with pre before the filter, then link opened
 * with flags (as uid when not NULL): the target prints what it got. */
static void expect(const char *name, const char *pre, const char *link, const char *flags,
                   const char *uid, const char *want)
{
        const char *argv[10] = {
                HTARGET, d.socket, "m", "magic", NULL, pre, link, flags, uid, NULL
        };
        struct cmd_result r;
        char path[300];

        snprintf(path, sizeof(path), "%s/%s", t, name);
        argv[4] = path;
        run_cmd(argv, 90000, &r);
        cr_assert_eq(r.status, 0, "%s via %s: status %d, stderr %s", name, link, r.status, r.err);
        cr_assert_str_eq(r.out, want, "%s via %s %s%s%s: %s\nlog:\n%s", name, link, flags,
                         uid ? " as " : "", uid ? uid : "", r.out, daemon_log(&d));
}

Test(magic, own_fd_links_reopen_the_object)
{
        expect("allowed", "rdonly", "/proc/self/fd/{fd}", "rdonly", NULL, "open: ok ALLOWED\n");
        expect("allowed", "rdonly", "/proc/thread-self/fd/{fd}", "rdonly", NULL,
               "open: ok ALLOWED\n");
        expect("allowed", "rdonly", "/proc/{pid}/fd/{fd}", "rdonly", NULL, "open: ok ALLOWED\n");
        expect("allowed", "rdonly", "/proc/{pid}/task/{tid}/fd/{fd}", "rdonly", NULL,
               "open: ok ALLOWED\n");
        /* An O_PATH fd reopened for reading, as runc does with its FIFO. */
        expect("allowed", "path", "/proc/self/fd/{fd}", "rdonly", NULL, "open: ok ALLOWED\n");
        /* A directory fd with more components after it. */
        expect(".", "rdonly,directory", "/proc/self/fd/{fd}/allowed", "rdonly", NULL,
               "open: ok ALLOWED\n");
        expect("allowed", "rdonly", "/proc/self/fd/{fd}/x", "rdonly", NULL, "open: ENOTDIR\n");
        expect("allowed", "rdonly", "/proc/self/fd/{fd}", "rdonly,directory", NULL,
               "open: ENOTDIR\n");
        expect("allowed", "rdonly", "/proc/self/fd/{fd}", "rdonly,nofollow", NULL, "open: ELOOP\n");
        expect("allowed", "rdonly", "/proc/self/fd/{fd}", "wronly,creat,excl", NULL,
               "open: EEXIST\n");
        expect("allowed", "rdonly", "/proc/self/fd/999", "rdonly", NULL, "open: ENOENT\n");
        cr_assert_eq(count_of(daemon_log(&d), "ELOOP"), 1, "%s", daemon_log(&d));
}

/* The kernel checks the reopen against the inode, not the fd's mode: a
 * read-only fd of root's 0644 file reopens for writing as root, not as
 * uid 1000, which still reads it. */
Test(magic, reopen_is_checked_against_the_inode_as_the_task)
{
        expect("allowed", "rdonly", "/proc/self/fd/{fd}", "wronly", NULL, "open: ok\n");
        expect("allowed", "rdonly", "/proc/self/fd/{fd}", "wronly", "1000", "open: EACCES\n");
        expect("allowed", "rdonly", "/proc/self/fd/{fd}", "rdonly", "1000", "open: ok ALLOWED\n");
        expect("allowed", "path", "/proc/self/fd/{fd}", "rdwr", "1000", "open: EACCES\n");
}

/* The path rule is decided on the object the link reaches: an fd of the
 * denied file, taken before the filter, does not open it again. */
Test(magic, path_rule_applies_to_the_object_reached)
{
        expect("secret/file", "rdonly", "/proc/self/fd/{fd}", "rdonly", NULL, "open: EACCES\n");
        expect("secret/file", "path", "/proc/thread-self/fd/{fd}", "rdonly", NULL,
               "open: EACCES\n");
        expect(".", "rdonly,directory", "/proc/self/fd/{fd}/secret/file", "rdonly", NULL,
               "open: EACCES\n");
        expect("secret", "rdonly,directory", "/proc/self/fd/{fd}/../allowed", "rdonly", NULL,
               "open: ok ALLOWED\n");
        cr_assert(strstr(daemon_log(&d), "the object's real path is decided by another rule"), "%s",
                  daemon_log(&d));
}

/* exe, cwd and root are the task's; another process's links are not
 * followed (ELOOP, as before). */
Test(magic, exe_cwd_root_and_other_processes)
{
        char link[400], secret[400];

        /* Its ELF header (64-bit, little-endian: the build's). */
        expect("allowed", "rdonly", "/proc/self/exe", "rdonly", NULL,
               "open: ok \x7f"
               "ELF\x02\x01\x01\n");
        /* The running binary: the kernel refuses it for writing. */
        expect("allowed", "rdonly", "/proc/self/exe", "wronly", NULL, "open: errno 26\n");
        expect("allowed", "rdonly", "/proc/self/cwd", "rdonly,directory", NULL, "open: ok\n");
        snprintf(link, sizeof(link), "/proc/self/root%s/allowed", t);
        expect("allowed", "rdonly", link, "rdonly", NULL, "open: ok ALLOWED\n");
        snprintf(secret, sizeof(secret), "/proc/thread-self/root%s/secret/file", t);
        expect("allowed", "rdonly", secret, "rdonly", NULL, "open: EACCES\n");
        /* The test's own process, which the (root) task could ptrace. */
        expect("allowed", "rdonly", "/proc/{ppid}/cwd", "rdonly,directory", NULL, "open: ELOOP\n");
        expect("allowed", "rdonly", "/proc/{ppid}/root/etc/hostname", "rdonly", NULL,
               "open: ELOOP\n");
}
