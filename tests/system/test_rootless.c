/* A user's own unotifyd, without root: the daemon and every client run as
 * an unprivileged user made for the test (root only makes the users and
 * the files, and reads the daemon's log). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "users.h"

#define OWNER "unotify-rl1"
#define OTHER "unotify-rl2"

/* mkdir denied and uname allowed by the daemon; every open done by the
 * daemon with the task's credentials (the open handler). */
#define ROOTLESS_POLICY                                                                     \
        "{\"name\":\"rootless\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["        \
        "{\"names\":[\"mkdir\",\"mkdirat\"],\"notify\":true,\"action\":\"SCMP_ACT_ERRNO\"," \
        "\"errnoRet\":\"EPERM\"},"                                                          \
        "{\"names\":[\"uname\"],\"notify\":true,\"action\":\"SCMP_ACT_ALLOW\"},"            \
        "{\"names\":[\"open\",\"openat\"],\"action\":\"UNOTIFY_ACT_EMULATE\",\"handler\":"  \
        "\"open\"}]}"

#define MKNOD_POLICY                                                                         \
        "{\"name\":\"devices\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["          \
        "{\"names\":[\"mknod\",\"mknodat\"],\"action\":\"UNOTIFY_ACT_EMULATE\",\"handler\":" \
        "\"mknod\"}]}"

static const struct test_policy policies[] = { { "rootless.json", ROOTLESS_POLICY }, {} };

static struct test_user owner, other;
static struct test_daemon d;
static char files[64];

static void start_as_owner(const char *extra_arg)
{
        test_user_get(OWNER, &owner);
        test_user_get(OTHER, &other);
        d = (struct test_daemon){ .wrapper = as_user_wrapper(&owner),
                                  .owner = owner.uid,
                                  .owner_gid = owner.gid,
                                  .extra_arg = extra_arg };
        daemon_start(&d, policies, false);
}

static void run_owner(const char *const argv[], struct cmd_result *r)
{
        const char *full[16] = { UNOTIFY_RUN, "--socket", d.socket, "--policy", "rootless", "--" };
        size_t n = 6;

        for (size_t i = 0; argv[i]; i++)
                full[n++] = argv[i];
        full[n] = NULL;
        run_as(&owner, full, r);
}

/* A directory anyone may enter, with a file only root may read and one
 * the owner may. */
static void make_files(void)
{
        char path[128];

        strcpy(files, "/tmp/unotify-rootless.XXXXXX");
        cr_assert_not_null(mkdtemp(files));
        cr_assert_eq(chmod(files, 0755), 0);
        snprintf(path, sizeof(path), "%s/root-only", files);
        write_file(path, "secret\n");
        cr_assert_eq(chmod(path, 0600), 0);
        snprintf(path, sizeof(path), "%s/mine", files);
        write_file(path, "mine\n");
        cr_assert_eq(chown(path, owner.uid, owner.gid), 0);
        cr_assert_eq(chmod(path, 0600), 0);
}

static void remove_files(void)
{
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf %s", files);
        (void)!system(cmd);
}

Test(rootless, daemon_of_a_user_serves_that_user, .timeout = 60)
{
        struct cmd_result r;
        char root_only[128], mine[128];

        start_as_owner(NULL);
        make_files();
        snprintf(root_only, sizeof(root_only), "%s/root-only", files);
        snprintf(mine, sizeof(mine), "%s/mine", files);

        run_owner((const char *const[]){ PROBE, "mkdir", "/tmp/unotify-rootless-x", NULL }, &r);
        cr_assert_str_eq(r.out, "mkdir: EPERM\n", "%s%s", r.out, r.err);
        run_owner((const char *const[]){ PROBE, "uname", NULL }, &r);
        cr_assert_str_eq(r.out, "uname: Linux\n", "%s%s", r.out, r.err);
        /* cat's own opens (its libraries, the file) are the daemon's: it
         * opens with the owner's credentials, which may read "mine" and
         * not "root-only". */
        run_owner((const char *const[]){ "/bin/cat", mine, NULL }, &r);
        cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
        cr_assert_str_eq(r.out, "mine\n");
        run_owner((const char *const[]){ "/bin/cat", root_only, NULL }, &r);
        cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
        cr_assert(strstr(r.err, "Permission denied"), "%s", r.err);
        cr_assert(strstr(daemon_log(&d), "UNOTIFY_ACT_EMULATE open: EACCES"), "%s", daemon_log(&d));

        /* The owner's unotifyctl reads its daemon's counters. */
        run_as(&owner, (const char *const[]){ UNOTIFYCTL, "stats", "--socket", d.control, NULL },
               &r);
        cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
        cr_assert(strstr(r.out, "notifications_received"), "%s", r.out);
        remove_files();
        daemon_stop(&d);
}

Test(rootless, mknod_policy_refused_at_load, .timeout = 30)
{
        char dir[] = "/tmp/unotify-rootless-t.XXXXXX", path[128];
        const char *argv[] = { UNOTIFYD, "-t", "-p", dir, NULL };
        struct cmd_result r;

        test_user_get(OWNER, &owner);
        cr_assert_not_null(mkdtemp(dir));
        cr_assert_eq(chmod(dir, 0755), 0);
        snprintf(path, sizeof(path), "%s/devices.json", dir);
        write_file(path, MKNOD_POLICY);
        cr_assert_eq(chmod(path, 0644), 0);

        run_as(&owner, argv, &r);
        cr_assert_eq(r.status, 78, "%s%s", r.out, r.err);
        cr_assert(strstr(r.err, "devices.json: /syscalls/0: handler \"mknod\" needs CAP_MKNOD"),
                  "%s", r.err);
        /* Root's daemon has CAP_MKNOD: the same directory is fine. */
        run_cmd(argv, 30000, &r);
        cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
        unlink(path);
        rmdir(dir);
}

/* The example for unprivileged containers does privileged work in five
 * of its rules: a user's daemon refuses each at load, naming what it
 * needs; root's loads it. */
Test(rootless, unprivileged_container_policy_refused_at_load, .timeout = 30)
{
        char dir[] = "/tmp/unotify-rootless-u.XXXXXX", path[128], cmd[400];
        const char *argv[] = { UNOTIFYD, "-t", "-p", dir, NULL };
        static const char *const refusals[] = {
                "handler \"mount\" needs CAP_SYS_ADMIN to build mounts",
                "handler \"xattr\" needs CAP_SYS_ADMIN to set trusted.* names",
                "handler \"bpf\" needs CAP_SYS_ADMIN to load and attach device-cgroup BPF programs",
                "handler \"sched\" needs CAP_SYS_NICE",
                "handler \"mknod\" needs CAP_MKNOD",
        };
        struct cmd_result r;

        test_user_get(OWNER, &owner);
        cr_assert_not_null(mkdtemp(dir));
        cr_assert_eq(chmod(dir, 0755), 0);
        snprintf(path, sizeof(path), "%s/unprivileged-container.json", dir);
        snprintf(cmd, sizeof(cmd),
                 "cp %s/policy/examples/unprivileged-container.json %s && chmod 644 %s",
                 UNOTIFY_SOURCE_DIR, path, path);
        cr_assert_eq(system(cmd), 0);

        run_as(&owner, argv, &r);
        cr_assert_eq(r.status, 78, "%s%s", r.out, r.err);
        for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
                cr_assert(strstr(r.err, refusals[i]), "no \"%s\" in:\n%s", refusals[i], r.err);
        cr_assert_null(strstr(r.err, "\"sysinfo\""), "sysinfo needs no privilege: %s", r.err);
        run_cmd(argv, 30000, &r);
        cr_assert_eq(r.status, 0, "root's daemon: %s%s", r.out, r.err);
        unlink(path);
        rmdir(dir);
}

/* The harness's directory is the owner's, mode 0700: another user cannot
 * even reach the sockets. */
Test(rootless, other_user_cannot_reach_the_sockets, .timeout = 60)
{
        const char *run[] = { UNOTIFY_RUN, "--socket", d.socket, "--policy", "rootless",
                              "--",        PROBE,      "uname",  NULL };
        const char *ctl[] = { UNOTIFYCTL, "stats", "--socket", d.control, NULL };
        struct cmd_result r;

        start_as_owner(NULL);
        run_as(&other, run, &r);
        cr_assert_eq(r.status, 69, "%s%s", r.out, r.err);
        cr_assert(strstr(r.err, "Permission denied"), "%s", r.err);
        run_as(&other, ctl, &r);
        cr_assert_neq(r.status, 0, "%s%s", r.out, r.err);
        cr_assert(strstr(r.err, "Permission denied"), "%s", r.err);
        daemon_stop(&d);
}

/* Sockets any user may connect to: the daemon itself refuses another
 * user's listener and control requests (SO_PEERCRED). */
Test(rootless, daemon_refuses_another_users_peer, .timeout = 60)
{
        const char *run[] = { UNOTIFY_RUN, "--socket", d.socket, "--policy", "rootless",
                              "--",        PROBE,      "uname",  NULL };
        const char *ctl[] = { UNOTIFYCTL, "stats", "--socket", d.control, NULL };
        struct cmd_result r;

        start_as_owner("--socket-mode=0666");
        cr_assert_eq(chmod(d.dir, 0755), 0);
        cr_assert_eq(chmod(d.control, 0666), 0);
        run_as(&other, run, &r);
        cr_assert_eq(r.status, 69, "%s%s", r.out, r.err);
        cr_assert(strstr(r.err, "may not hand over listeners"), "%s", r.err);
        cr_assert_str_eq(r.out, "", "the command must not have run");
        run_as(&other, ctl, &r);
        cr_assert_eq(r.status, 69, "%s%s", r.out, r.err);
        cr_assert(strstr(r.err, "may not use the control socket"), "%s", r.err);
        /* The owner still may. */
        run_owner((const char *const[]){ PROBE, "uname", NULL }, &r);
        cr_assert_str_eq(r.out, "uname: Linux\n", "%s%s", r.out, r.err);
        daemon_stop(&d);
}

static char *slurp(const char *path)
{
        static char buf[65536];
        FILE *f = fopen(path, "re");
        size_t n;

        cr_assert_not_null(f, "%s: %s", path, strerror(errno));
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        return buf;
}

/* Learn mode as the user: a command recorded through the user's daemon,
 * its profile loaded by that daemon and enforced: the workload runs, one
 * more mkdir is denied. */
Test(rootless, learn_mode_records_and_enforces, .timeout = 90)
{
        const char *workload = "cat /etc/hostname >/dev/null; date >/dev/null; ls / >/dev/null";
        char out[400], installed[400], more[200];
        const char *learn[] = { UNOTIFYCTL, "learn", "-s",     d.socket, "-c",
                                d.control,  "--out", out,      "--",     "/bin/busybox",
                                "sh",       "-c",    workload, NULL };
        const char *reload[] = { UNOTIFYCTL, "reload", "--socket", d.control, NULL };
        struct cmd_result r;
        char *profile;

        if (access("/bin/busybox", X_OK) != 0)
                cr_skip_test("/bin/busybox is not installed (busybox-static)");
        start_as_owner(NULL);
        snprintf(out, sizeof(out), "%s/learned.json", d.dir);
        run_as(&owner, learn, &r);
        cr_assert_eq(r.status, 0, "learn as the user: %s%s\n%s", r.out, r.err, daemon_log(&d));
        profile = slurp(out);
        cr_assert(strstr(profile, "\"SCMP_ACT_ERRNO\""), "%s", profile);
        snprintf(installed, sizeof(installed), "%s/learned.json", d.policy_dir);
        write_file(installed, profile);
        cr_assert_eq(chown(installed, owner.uid, owner.gid), 0);
        run_as(&owner, reload, &r);
        cr_assert_eq(r.status, 0, "reload as the user: %s%s", r.out, r.err);

        run_as(&owner,
               (const char *const[]){ UNOTIFY_RUN, "--socket", d.socket, "--policy", "learned",
                                      "--", "/bin/busybox", "sh", "-c", workload, NULL },
               &r);
        cr_assert_eq(r.status, 0, "the recorded workload under its profile: %s%s", r.out, r.err);
        snprintf(more, sizeof(more), "%s; mkdir /tmp/unotify-rootless-learn-x", workload);
        run_as(&owner,
               (const char *const[]){ UNOTIFY_RUN, "--socket", d.socket, "--policy", "learned",
                                      "--", "/bin/busybox", "sh", "-c", more, NULL },
               &r);
        cr_assert_neq(r.status, 0);
        cr_assert(strstr(r.err,
                         "can't create directory '/tmp/unotify-rootless-learn-x': Operation not "
                         "permitted"),
                  "%s", r.err);
        daemon_stop(&d);
}
