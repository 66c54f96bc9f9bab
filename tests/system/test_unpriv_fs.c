/* The mount handler's kernel filesystems for a user-namespaced target
 * (unotify-utarget: its own user, mount, pid, network and IPC
 * namespaces, no CAP_SYS_ADMIN): proc, sysfs, mqueue and devpts, each
 * refused without the daemon, made with it with the flags the handler
 * forces, and of the target's own namespaces (proc lists its pids). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define UTARGET BIN("tests/unotify-utarget")
#define HOST_ROOT 100000 /* the container's uid 0 on the host */

static struct test_daemon d;
static char t[128], mnt[256];
static char policy[2048];

static void setup(void)
{
        strcpy(t, "/tmp/unotify-unpriv-fs.XXXXXX");
        cr_assert_not_null(mkdtemp(t));
        chmod(t, 0755);
        snprintf(mnt, sizeof(mnt), "%s/mnt", t);
        cr_assert_eq(mkdir(mnt, 0755), 0);
        cr_assert_eq(chown(mnt, HOST_ROOT, HOST_ROOT), 0);
        snprintf(policy, sizeof(policy),
                 "{\"name\":\"f\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                 "{\"names\":[\"mount\",\"umount2\"],\"action\":\"UNOTIFY_ACT_EMULATE\",\"handler\":\"mount\","
                 "\"handlerOptions\":{\"types\":[\"proc\",\"sysfs\",\"mqueue\",\"devpts\"],"
                 "\"targets\":[\"%s\"],\"options\":[\"hidepid\",\"subset\",\"newinstance\","
                 "\"ptmxmode\",\"mode\",\"gid\"],\"allowFlags\":[\"ro\"]}}]}",
                 mnt);
        {
                const struct test_policy policies[] = { { "f.json", policy }, {} };

                daemon_start(&d, policies, false);
        }
}

static void teardown(void)
{
        char cmd[300];

        daemon_stop(&d);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t);
        if (strncmp(t, "/tmp/unotify-unpriv-fs.", 23) == 0)
                (void)!system(cmd);
}

TestSuite(unpriv_fs, .init = setup, .fini = teardown, .timeout = 120);

static void run(bool daemon, const char *const args[], struct cmd_result *r)
{
        const char *argv[24] = { UTARGET, d.socket, "f" };
        size_t n = 3;

        if (!daemon)
                argv[n++] = "--no-daemon";
        for (size_t i = 0; args[i] && n < 23; i++)
                argv[n++] = args[i];
        argv[n] = NULL;
        run_cmd(argv, 60000, r);
        cr_assert_eq(r->status, 0, "%s: status %d, stderr: %s", args[0], r->status, r->err);
}

#define WITH(r, ...) run(true, (const char *[]){ __VA_ARGS__, NULL }, r)
#define WITHOUT(r, ...) run(false, (const char *[]){ __VA_ARGS__, NULL }, r)

static void expect(struct cmd_result *r, const char *want)
{
        cr_assert_str_eq(r->out, want, "got %s (stderr %s)", r->out, r->err);
}

Test(unpriv_fs, proc_of_the_containers_pid_namespace)
{
        int before = count_fds(d.pid);
        struct cmd_result r;

        WITHOUT(&r, "mount", "proc", "proc", mnt, "");
        expect(&r, "mount: EPERM\n");
        /* The target is pid 1 of its namespace and alone there: the host's
         * proc would say otherwise. */
        WITH(&r, "mount", "proc", "proc", mnt, "hidepid=invisible", "+", "pids", mnt);
        cr_assert(!strncmp(r.out, "mount: ok rw,nosuid,nodev,noexec,", 33), "%s", r.out);
        cr_assert(strstr(r.out, "hidepid=invisible"), "%s", r.out);
        cr_assert(strstr(r.out, "\npids: ok self=1 count=1\n"), "%s", r.out);
        WITH(&r, "mount", "proc", "proc", mnt, "subset=pid", "+", "pids", mnt);
        cr_assert(strstr(r.out, "subset=pid"), "%s", r.out);
        WITH(&r, "mount", "proc", "proc", mnt, "gid=0");
        expect(&r, "mount: EPERM\n"); /* not on the rule's list */
        WITH(&r, "mount", "proc", "proc", mnt, "hidepid=7");
        expect(&r, "mount: EINVAL\n"); /* the kernel's word on the value */
        WITH(&r, "mount", "proc", "proc", "/etc", "");
        expect(&r, "mount: EPERM\n");
        cr_assert_eq(wait_fd_count(d.pid, before, 5000), before, "%s", fd_list(d.pid));
}

Test(unpriv_fs, sysfs_and_mqueue_with_nosuid_nodev_noexec_forced)
{
        struct cmd_result r;

        WITHOUT(&r, "mount", "sysfs", "sysfs", mnt, "");
        expect(&r, "mount: EPERM\n");
        WITH(&r, "mount", "sysfs", "sysfs", mnt, "flags:rdonly;", "+", "ls", mnt);
        cr_assert(!strncmp(r.out, "mount: ok ro,nosuid,nodev,noexec,", 33), "%s", r.out);
        WITH(&r, "mount", "sysfs", "sysfs", mnt, "flags:rdonly;mode=600");
        expect(&r, "mount: EPERM\n"); /* mode= is tmpfs's and devpts's */
        WITHOUT(&r, "mount", "mqueue", "mqueue", mnt, "");
        expect(&r, "mount: EPERM\n");
        WITH(&r, "mount", "mqueue", "mqueue", mnt, "");
        cr_assert(!strncmp(r.out, "mount: ok rw,nosuid,nodev,noexec,", 33), "%s", r.out);
        WITH(&r, "mount", "tmpfs", "none", mnt, "");
        expect(&r, "mount: EPERM\n"); /* not among this rule's types */
}

Test(unpriv_fs, devpts_a_new_instance_whose_ptys_work)
{
        int before = count_fds(d.pid);
        struct cmd_result r;

        WITHOUT(&r, "mount", "devpts", "devpts", mnt, "newinstance,ptmxmode=0666");
        expect(&r, "mount: EPERM\n");
        /* nosuid,noexec forced; no nodev: the ptys are device nodes. gid=5
         * is the container's 5: the host's 100005, as the superblock (of
         * the daemon's user namespace) shows it. */
        WITH(&r, "mount", "devpts", "devpts", mnt, "newinstance,ptmxmode=0666,mode=620,gid=5", "+",
             "pty", mnt, "+", "ls", mnt);
        cr_assert(!strncmp(r.out, "mount: ok rw,nosuid,noexec,", 27), "%s", r.out);
        cr_assert(strstr(r.out, "gid=100005,mode=620,ptmxmode=666"), "%s", r.out);
        cr_assert(strstr(r.out, "\npty: ok 0\n"), "%s", r.out);
        WITH(&r, "mount", "devpts", "devpts", mnt, "gid=70000");
        expect(&r, "mount: EINVAL\n"); /* not mapped in the container */
        WITH(&r, "mount", "devpts", "devpts", mnt, "max=4");
        expect(&r, "mount: EPERM\n");
        WITH(&r, "mount", "devpts", "devpts", mnt, "newinstance=1");
        expect(&r, "mount: EPERM\n");
        cr_assert_eq(wait_fd_count(d.pid, before, 5000), before, "%s", fd_list(d.pid));
}
