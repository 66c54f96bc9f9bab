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
static char policy[2048], overlay_policy[1024];

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
                 "{\"names\":[\"mount\",\"umount2\"],\"action\":\"UNOTIFY_ACT_EMULATE\","
                 "\"handler\":\"mount\","
                 "\"handlerOptions\":{\"types\":[\"proc\",\"sysfs\",\"mqueue\",\"devpts\"],"
                 "\"targets\":[\"%s\"],\"options\":[\"hidepid\",\"subset\",\"newinstance\","
                 "\"ptmxmode\",\"mode\",\"gid\"],\"allowFlags\":[\"ro\"]}}]}",
                 mnt);
        snprintf(overlay_policy, sizeof(overlay_policy),
                 "{\"name\":\"o\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                 "{\"names\":[\"mount\",\"umount2\"],\"action\":\"UNOTIFY_ACT_EMULATE\","
                 "\"handler\":\"mount\","
                 "\"handlerOptions\":{\"types\":[\"overlay\"],\"targets\":[\"%s\"],\"sources\":[\"%"
                 "s/src\"],"
                 "\"options\":[\"lowerdir\",\"upperdir\",\"workdir\"]}}]}",
                 mnt, t);
        {
                const struct test_policy policies[] = { { "f.json", policy },
                                                        { "o.json", overlay_policy },
                                                        {} };

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

static const char *policy_name = "f";

static void run(bool daemon, const char *const args[], struct cmd_result *r)
{
        const char *argv[24] = { UTARGET, d.socket, policy_name };
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
        WITH(&r, "mount", "proc", "proc", mnt, "subset=pid", "+", "pids", mnt, "+", "umount", mnt);
        cr_assert(strstr(r.out, "subset=pid"), "%s", r.out);
        cr_assert(strstr(r.out, "\numount: ok\n"), "its own proc it may unmount: %s", r.out);
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
        WITH(&r, "mount", "devpts", "devpts", mnt, "gid=tty");
        expect(&r, "mount: EINVAL\n");
        WITH(&r, "mount", "devpts", "devpts", mnt, "max=4");
        expect(&r, "mount: EPERM\n");
        WITH(&r, "mount", "devpts", "devpts", mnt, "newinstance=1");
        expect(&r, "mount: EPERM\n");
        cr_assert_eq(wait_fd_count(d.pid, before, 5000), before, "%s", fd_list(d.pid));
}

/* dir under t/src, owned by the container's root (owner: HOST_ROOT) or
 * by the host's (0). */
static void make_dir(const char *name, uid_t owner, mode_t mode, char *ret, size_t size)
{
        snprintf(ret, size, "%s/src/%s", t, name);
        cr_assert_eq(mkdir(ret, mode), 0, "%s", ret);
        cr_assert_eq(chown(ret, owner, owner), 0);
        cr_assert_eq(chmod(ret, mode), 0);
}

Test(unpriv_fs, overlay_of_layers_under_the_sources_with_whiteouts)
{
        char src[256], lower[300], upper[300], work[300], hostonly[300], link[300], file[400];
        char opts[2048], path[400], mntfile[300], mntnew[300];
        struct cmd_result r;
        struct stat st;
        int before = count_fds(d.pid);
        FILE *f;

        snprintf(src, sizeof(src), "%s/src", t);
        cr_assert_eq(mkdir(src, 0755), 0);
        make_dir("lower", HOST_ROOT, 0755, lower, sizeof(lower));
        make_dir("upper", HOST_ROOT, 0755, upper, sizeof(upper));
        make_dir("work", HOST_ROOT, 0755, work, sizeof(work));
        make_dir("hostonly", 0, 0755, hostonly, sizeof(hostonly));
        snprintf(link, sizeof(link), "%s/link", src);
        cr_assert_eq(symlink("/etc", link), 0);
        snprintf(file, sizeof(file), "%s/file", lower);
        cr_assert_not_null(f = fopen(file, "w"));
        fclose(f);
        snprintf(mntfile, sizeof(mntfile), "%s/file", mnt);
        snprintf(mntnew, sizeof(mntnew), "%s/new", mnt);
        policy_name = "o";
        snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work);
        WITHOUT(&r, "mount", "overlay", "overlay", mnt, opts);
        expect(&r, "mount: EPERM\n");
        /* A file written lands in the upper layer; one of the lower
         * removed becomes a whiteout there (a 0:0 character device, which
         * the container could not make itself). */
        WITH(&r, "mount", "overlay", "overlay", mnt, opts, "+", "ls", mntfile, "+", "write", mntnew,
             "+", "unlink", mntfile);
        cr_assert(!strncmp(r.out, "mount: ok rw,nosuid,nodev,", 26), "%s", r.out);
        cr_assert(strstr(r.out, "redirect_dir=nofollow"), "%s", r.out);
        cr_assert(strstr(r.out, "\nwrite: ok\nunlink: ok\n"), "%s", r.out);
        snprintf(path, sizeof(path), "%s/new", upper);
        cr_assert_eq(stat(path, &st), 0, "written into the upper layer");
        cr_assert_eq(st.st_uid, HOST_ROOT);
        snprintf(path, sizeof(path), "%s/file", upper);
        cr_assert_eq(lstat(path, &st), 0, "a whiteout in the upper layer");
        cr_assert(S_ISCHR(st.st_mode) && st.st_rdev == 0);
        cr_assert_eq(access(file, F_OK), 0, "the lower layer is untouched");
        /* Layers outside the sources, through a symlink, or not the
         * container's to write: refused. */
        snprintf(opts, sizeof(opts), "lowerdir=/etc,upperdir=%s,workdir=%s", upper, work);
        WITH(&r, "mount", "overlay", "overlay", mnt, opts);
        expect(&r, "mount: EPERM\n");
        snprintf(opts, sizeof(opts), "lowerdir=%s:%s", lower, link);
        WITH(&r, "mount", "overlay", "overlay", mnt, opts);
        expect(&r, "mount: EPERM\n");
        snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s", lower, hostonly, work);
        WITH(&r, "mount", "overlay", "overlay", mnt, opts);
        expect(&r, "mount: EACCES\n");
        WITH(&r, "mount", "overlay", "overlay", mnt, "lowerdir=,upperdir=x");
        expect(&r, "mount: EPERM\n");
        snprintf(opts, sizeof(opts), "lowerdir=%s\\:x", lower);
        WITH(&r, "mount", "overlay", "overlay", mnt, opts);
        expect(&r, "mount: EPERM\n");
        snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s,metacopy=on", lower, upper,
                 work);
        WITH(&r, "mount", "overlay", "overlay", mnt, opts);
        expect(&r, "mount: EPERM\n");
        policy_name = "f";
        cr_assert_eq(wait_fd_count(d.pid, before, 5000), before, "%s", fd_list(d.pid));
}
