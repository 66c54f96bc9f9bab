/* The mount handler's delegated contexts for a user-namespaced target
 * (unotify-utarget: its own user, mount and pid namespaces, no
 * CAP_SYS_ADMIN): a program in the container drives fsopen, fsconfig,
 * fsmount, move_mount, open_tree and mount_setattr itself; each
 * privileged step is the daemon's, under the rule's checks. Refused
 * without the daemon; forged fds and bad arguments get the kernel's errno
 * or the rule's; no fd is left behind in the container or the daemon. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "harness.h"

#define UTARGET BIN("tests/unotify-utarget")
#define HOST_ROOT 100000 /* the container's uid 0 on the host */

static struct test_daemon d;
static char t[128], mnt[256], src[256];
static char policy[2048];

static void setup(void)
{
        strcpy(t, "/tmp/unotify-unpriv-api.XXXXXX");
        cr_assert_not_null(mkdtemp(t));
        chmod(t, 0755);
        snprintf(mnt, sizeof(mnt), "%s/mnt", t);
        snprintf(src, sizeof(src), "%s/src", t);
        cr_assert_eq(mkdir(mnt, 0755), 0);
        cr_assert_eq(chown(mnt, HOST_ROOT, HOST_ROOT), 0);
        cr_assert_eq(mkdir(src, 0755), 0);
        snprintf(policy, sizeof(policy),
                 "{\"name\":\"a\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                 "{\"names\":[\"mount\",\"umount2\",\"fsopen\",\"fsconfig\",\"fsmount\",\"move_"
                 "mount\","
                 "\"open_tree\",\"mount_setattr\"],\"action\":\"UNOTIFY_ACT_EMULATE\",\"handler\":"
                 "\"mount\","
                 "\"handlerOptions\":{\"types\":[\"tmpfs\",\"bind\",\"fuse\"],\"targets\":[\"%s\"],"
                 "\"sources\":[\"%s\"],\"options\":[\"size\",\"mode\"],\"maxSize\":\"16m\","
                 "\"forceFlags\":[\"nosuid\",\"nodev\"],\"allowFlags\":[\"ro\",\"noexec\"]}}]}",
                 mnt, src);
        {
                const struct test_policy policies[] = { { "a.json", policy }, {} };

                daemon_start(&d, policies, false);
        }
}

static void teardown(void)
{
        char cmd[300];

        daemon_stop(&d);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t);
        if (strncmp(t, "/tmp/unotify-unpriv-api.", 24) == 0)
                (void)!system(cmd);
}

TestSuite(unpriv_mountapi, .init = setup, .fini = teardown, .timeout = 120);

static void run(bool daemon, const char *const args[], struct cmd_result *r)
{
        const char *argv[24] = { UTARGET, d.socket, "a" };
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

static bool host_has_mount(const char *dir)
{
        FILE *f = fopen("/proc/self/mountinfo", "re");
        char line[4096], mp[4096];
        bool found = false;

        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 && !strcmp(mp, dir))
                        found = true;
        if (f)
                fclose(f);
        return found;
}

Test(unpriv_mountapi, tmpfs_by_fsopen_fsconfig_fsmount_move_mount)
{
        int before = count_fds(d.pid);
        struct cmd_result r;

        WITHOUT(&r, "fsmnt", "tmpfs", mnt, "size=1m", "-");
        expect(&r, "fsmnt: fsopen EPERM\nfds: +0\n");
        /* In the container's mountinfo with nosuid,nodev it did not ask
         * for, the size it asked; its root the container's root's; then
         * unmounted by umount2, as a mount the daemon made for it. */
        WITH(&r, "fsmnt", "tmpfs", mnt, "size=1m,mode=755", "-", "+", "ls", mnt, "+", "umount",
             mnt);
        cr_assert(!strncmp(r.out, "fsmnt: ok rw,nosuid,nodev,", 26), "%s", r.out);
        cr_assert(strstr(r.out, "size=1024k"), "%s", r.out);
        cr_assert(strstr(r.out, "\nfds: +0\nls: ok 0:0 755\numount: ok\n"), "%s", r.out);
        cr_assert(!host_has_mount(mnt), "not on the host");
        /* No size=: the cap; attributes asked for: allowed ones only. */
        WITH(&r, "fsmnt", "tmpfs", mnt, "-", "rdonly,noexec", "+", "umount", mnt);
        cr_assert(!strncmp(r.out, "fsmnt: ok ro,nosuid,nodev,noexec,", 33), "%s", r.out);
        cr_assert(strstr(r.out, "size=16384k"), "%s", r.out);
        cr_assert(strstr(r.out, "umount: ok\n"), "%s", r.out);
        WITH(&r, "fsmnt", "tmpfs", mnt, "size=1g", "-");
        expect(&r, "fsmnt: fsconfig EPERM\nfds: +0\n");
        WITH(&r, "fsmnt", "tmpfs", mnt, "size=1m,nr_inodes=4", "-");
        expect(&r, "fsmnt: fsconfig EPERM\nfds: +0\n"); /* not on the rule's list */
        WITH(&r, "fsmnt", "tmpfs", mnt, "size=abc", "-");
        expect(&r, "fsmnt: fsconfig EPERM\nfds: +0\n");
        WITH(&r, "fsmnt", "tmpfs", mnt, "-", "strictatime");
        expect(&r, "fsmnt: fsmount EPERM\nfds: +0\n");
        WITH(&r, "fsmnt", "tmpfs", "/etc", "size=1m", "-");
        expect(&r, "fsmnt: move_mount EPERM\nfds: +0\n");
        WITH(&r, "fsmnt", "tmpfs", "/nonexistent/x", "size=1m", "-");
        expect(&r, "fsmnt: move_mount ENOENT\nfds: +0\n");
        WITH(&r, "fsmnt", "proc", mnt, "-", "-");
        expect(&r, "fsmnt: fsopen EPERM\nfds: +0\n"); /* not among this rule's types */
        WITH(&r, "fsmnt", "nosuchfs", mnt, "-", "-");
        expect(&r, "fsmnt: fsopen EPERM\nfds: +0\n");
        cr_assert(!host_has_mount(mnt), "nothing was left mounted");
        /* The refused contexts of the runs above went with their processes
         * (forgotten at the next call). */
        WITH(&r, "fsmnt", "nosuchfs", mnt, "-", "-");
        cr_assert_eq(wait_fd_count(d.pid, before, 5000), before, "%s", fd_list(d.pid));
}

Test(unpriv_mountapi, forged_fds_bad_arguments_and_restrictions)
{
        int before = count_fds(d.pid);
        struct cmd_result r;

        WITH(&r, "fsforge", mnt);
        expect(&r, "fsopen-badflags: EINVAL\n"
                   "fsopen-badptr: EFAULT\n"
                   "fsopen-type: EPERM\n"
                   "fsconfig-file: EINVAL\n"
                   "fsconfig-badfd: EBADF\n"
                   "fsconfig-nullkey: EINVAL\n"
                   "fsconfig-badptr: EFAULT\n"
                   "fsconfig-longvalue: EINVAL\n"
                   "fsconfig-unknown: EPERM\n"
                   "fsconfig-uid: EPERM\n"
                   "fsconfig-binary: EPERM\n"
                   "fsconfig-bigsize: EPERM\n"
                   "fsconfig-size: ok\n"
                   "nested-userns: EPERM\n" /* another user namespace: another container */
                   "fsmount-uncreated: EBUSY\n"
                   "fsmount-file: EINVAL\n"
                   "open_tree-plain: ok\n" /* no clone: the kernel's, continued */
                   "move-notours: EPERM\n"
                   "fsmount: ok\n"
                   "setattr-clear-forced: EPERM\n"
                   "setattr-bigsize: errno 7\n" /* E2BIG */
                   "setattr-rdonly: ok\n"
                   "setattr-idmap: EPERM\n"
                   "move-outside: EPERM\n"
                   "move-bypath: EPERM\n"
                   "move: ok\n"
                   "move-twice: EPERM\n"
                   "umount: ok\n"
                   "fds: +0\n");
        cr_assert(!host_has_mount(mnt), "not on the host");
        /* A container that exits holding a context: the daemon's copy goes
         * at the next call. */
        WITH(&r, "fsabandon");
        expect(&r, "fsabandon: ok\n");
        WITH(&r, "fsmnt", "nosuchfs", mnt, "-", "-");
        cr_assert_eq(wait_fd_count(d.pid, before, 5000), before, "%s", fd_list(d.pid));
}

Test(unpriv_mountapi, open_tree_clone_of_allowed_sources_only)
{
        int before = count_fds(d.pid);
        struct cmd_result r;
        char file[300];

        snprintf(file, sizeof(file), "%s/hello", src);
        write_file(file, "hi\n");
        WITHOUT(&r, "treemnt", src, mnt);
        expect(&r, "treemnt: open_tree EPERM\n");
        WITH(&r, "treemnt", src, mnt, "+", "ls", mnt, "+", "umount", mnt);
        cr_assert(!strncmp(r.out, "treemnt: ok rw,nosuid,nodev,", 28), "%s", r.out);
        cr_assert(strstr(r.out, "umount: ok\n"), "%s", r.out);
        WITH(&r, "treemnt", "/etc", mnt);
        expect(&r, "treemnt: open_tree EPERM\n");
        WITH(&r, "treemnt", "/nonexistent", mnt);
        expect(&r, "treemnt: open_tree ENOENT\n");
        WITH(&r, "fsmnt", "nosuchfs", mnt, "-", "-");
        cr_assert_eq(wait_fd_count(d.pid, before, 5000), before, "%s", fd_list(d.pid));
}

/* FUSE on a /dev/fuse node the container can open (the host's is root's,
 * 0600: a copy of the node in the test directory, 0666, as a runtime would
 * give a container). No server answers: the mount is made and unmounted,
 * never read. */
Test(unpriv_mountapi, fuse_by_mount_and_by_the_new_api)
{
        int before = count_fds(d.pid);
        struct cmd_result r;
        char dev[300], file[300];

        snprintf(dev, sizeof(dev), "%s/fuse", t);
        snprintf(file, sizeof(file), "%s/plain", t);
        if (access("/dev/fuse", F_OK) != 0)
                cr_skip_test("no /dev/fuse on this machine");
        cr_assert_eq(mknod(dev, S_IFCHR | 0666, makedev(10, 229)), 0);
        cr_assert_eq(chmod(dev, 0666), 0);
        write_file(file, "x\n");
        chmod(file, 0666);
        WITHOUT(&r, "fuse", dev, "fuse.unotest", mnt, "-");
        expect(&r, "fuse: mount EPERM\n");
        WITHOUT(&r, "fusefs", dev, "fuse", mnt, "-");
        expect(&r, "fuse: fsopen EPERM\n");
        WITH(&r, "fuse", dev, "fuse.unotest", mnt, "allow_other", "+", "umount", mnt);
        cr_assert(!strncmp(r.out, "fuse: ok rw,nosuid,nodev,", 25), "%s", r.out);
        cr_assert(strstr(r.out, "user_id=0,group_id=0,allow_other"),
                  "the container's ids, as it sees them: %s", r.out);
        cr_assert(strstr(r.out, "\numount: ok\n"), "%s", r.out);
        cr_assert(!host_has_mount(mnt), "not on the host");
        WITH(&r, "fusefs", dev, "fuse.unotest", mnt, "default_permissions", "+", "umount", mnt);
        cr_assert(!strncmp(r.out, "fuse: ok rw,nosuid,nodev,", 25), "%s", r.out);
        cr_assert(strstr(r.out, "\numount: ok\n"), "%s", r.out);
        /* Not a FUSE device, an option it does not take, a bad subtype, a
         * target outside the rule's. */
        WITH(&r, "fuse", file, "fuse", mnt, "-");
        expect(&r, "fuse: mount EINVAL\n");
        WITH(&r, "fusefs", file, "fuse", mnt, "-");
        expect(&r, "fuse: fsconfig EINVAL\n");
        WITH(&r, "fuse", dev, "fuse", mnt, "blksize=4096");
        expect(&r, "fuse: mount EPERM\n");
        WITH(&r, "fusefs", dev, "fuse", mnt, "max_read=x");
        expect(&r, "fuse: fsconfig EINVAL\n");
        WITH(&r, "fuse", dev, "fuse.a/b", mnt, "-");
        expect(&r, "fuse: mount EPERM\n");
        WITH(&r, "fuse", dev, "fuseblk", mnt, "-");
        expect(&r, "fuse: mount EPERM\n");
        WITH(&r, "fusefs", dev, "fuse", "/etc", "-");
        expect(&r, "fuse: move_mount EPERM\n");
        cr_assert(!host_has_mount(mnt), "nothing left mounted");
        WITH(&r, "fsmnt", "nosuchfs", mnt, "-", "-");
        cr_assert_eq(wait_fd_count(d.pid, before, 5000), before, "%s", fd_list(d.pid));
}
