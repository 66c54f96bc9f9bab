/* The handlers for unprivileged containers end to end: the real daemon
 * and a target in a user namespace (unotify-utarget: ids mapped to host
 * 100000+, its own mount and pid namespaces, no CAP_SYS_ADMIN or
 * CAP_SYS_NICE). Each call is shown to fail (or to tell the host's
 * figures) without the daemon and to work with it, within the policy. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "harness.h"

#define UTARGET BIN("tests/unotify-utarget")
#define HOST_ROOT 100000 /* the container's uid 0 on the host */

static struct test_daemon d;
static char t[128];
static char policy[4096], idmap_policy[1024];
static const char *policy_name = "u"; /* what run() hands the target */

static void make_policy(void)
{
        snprintf(policy, sizeof(policy),
                 "{\"name\":\"u\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                 "{\"names\":[\"sysinfo\"],\"action\":\"UNOTIFY_ACT_EMULATE\",\"handler\":"
                 "\"sysinfo\"},"
                 "{\"names\":[\"setpriority\",\"sched_setscheduler\",\"sched_setattr\",\"sched_"
                 "setparam\"],"
                 "\"action\":\"UNOTIFY_ACT_EMULATE\",\"handler\":\"sched\",\"handlerOptions\":"
                 "{\"minNice\":-10,\"maxRtPriority\":10,\"policies\":[\"SCHED_OTHER\",\"SCHED_"
                 "BATCH\","
                 "\"SCHED_IDLE\",\"SCHED_FIFO\",\"SCHED_RR\"]}},"
                 "{\"names\":[\"mount\",\"umount2\"],\"action\":\"UNOTIFY_ACT_EMULATE\","
                 "\"handler\":\"mount\","
                 "\"handlerOptions\":{\"types\":[\"tmpfs\",\"bind\"],\"targets\":[\"%s/mnt\"],"
                 "\"sources\":[\"%s/src\"],\"options\":[\"size\",\"mode\"],\"maxSize\":\"16m\","
                 "\"forceFlags\":[\"nosuid\",\"nodev\"],\"allowFlags\":[\"ro\",\"noexec\"]}},"
                 "{\"names\":[\"setxattr\",\"lsetxattr\",\"fsetxattr\",\"removexattr\","
                 "\"lremovexattr\","
                 "\"fremovexattr\"],\"action\":\"UNOTIFY_ACT_EMULATE\",\"handler\":\"xattr\"},"
                 "{\"names\":[\"bpf\"],\"action\":\"UNOTIFY_ACT_EMULATE\",\"handler\":\"bpf\"}]}",
                 t, t);
        snprintf(idmap_policy, sizeof(idmap_policy),
                 "{\"name\":\"ui\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                 "{\"names\":[\"mount\",\"umount2\"],\"action\":\"UNOTIFY_ACT_EMULATE\","
                 "\"handler\":\"mount\","
                 "\"handlerOptions\":{\"types\":[\"bind\"],\"targets\":[\"%s/mnt\"],"
                 "\"sources\":[\"%s/src\"],\"idmap\":true}}]}",
                 t, t);
}

static void setup(void)
{
        char p[256];

        strcpy(t, "/tmp/unotify-unpriv.XXXXXX");
        cr_assert_not_null(mkdtemp(t));
        chmod(t, 0755);
        snprintf(p, sizeof(p), "%s/mnt", t);
        cr_assert_eq(mkdir(p, 0755), 0);
        cr_assert_eq(chown(p, HOST_ROOT, HOST_ROOT), 0);
        snprintf(p, sizeof(p), "%s/src", t);
        cr_assert_eq(mkdir(p, 0755), 0);
        make_policy();
        {
                const struct test_policy policies[] = { { "u.json", policy },
                                                        { "ui.json", idmap_policy },
                                                        {} };

                daemon_start(&d, policies, false);
        }
}

static void teardown(void)
{
        char cmd[300];

        daemon_stop(&d);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t);
        if (strncmp(t, "/tmp/unotify-unpriv.", 20) == 0)
                (void)!system(cmd);
}

TestSuite(unpriv, .init = setup, .fini = teardown, .timeout = 120);

/* utarget SOCKET u [OPTS...] SCENARIO ARGS...; NULL ends both lists. */
static void run(const char *const opts[], const char *const args[], struct cmd_result *r)
{
        const char *argv[24] = { UTARGET, d.socket, policy_name };
        size_t n = 3;

        for (size_t i = 0; opts && opts[i] && n < 12; i++)
                argv[n++] = opts[i];
        for (size_t i = 0; args[i] && n < 23; i++)
                argv[n++] = args[i];
        argv[n] = NULL;
        run_cmd(argv, 60000, r);
        cr_assert_eq(r->status, 0, "%s: status %d, stderr: %s", args[0], r->status, r->err);
}

#define WITH(r, ...) run(NULL, (const char *[]){ __VA_ARGS__, NULL }, r)
#define WITHOUT(r, ...) \
        run((const char *[]){ "--no-daemon", NULL }, (const char *[]){ __VA_ARGS__, NULL }, r)

static void expect(struct cmd_result *r, const char *want)
{
        cr_assert_str_eq(r->out, want, "got %s (stderr %s)", r->out, r->err);
}

/* A memory cgroup with limit bytes for the target: v2 where
 * /sys/fs/cgroup is cgroup2, else v1's memory hierarchy. NULL (after
 * saying why) when neither can be made. */
static const char *make_cgroup(unsigned long long limit, char *buf, size_t size)
{
        char file[512], value[32];
        const char *limit_file;

        snprintf(value, sizeof(value), "%llu", limit);
        if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0) {
                FILE *f = fopen("/sys/fs/cgroup/cgroup.subtree_control", "we");

                if (f) {
                        fputs("+memory", f);
                        fclose(f);
                }
                snprintf(buf, size, "/sys/fs/cgroup/unotify-test-%d", (int)getpid());
                limit_file = "memory.max";
        } else if (access("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK) == 0) {
                snprintf(buf, size, "/sys/fs/cgroup/memory/unotify-test-%d", (int)getpid());
                limit_file = "memory.limit_in_bytes";
        } else {
                cr_log_warn("no cgroup2 hierarchy nor v1 memory controller: cgroup part skipped");
                return NULL;
        }
        if (mkdir(buf, 0755) < 0 && errno != EEXIST) {
                cr_log_warn("cannot make %s (%s): cgroup part skipped", buf, strerror(errno));
                return NULL;
        }
        snprintf(file, sizeof(file), "%s/%s", buf, limit_file);
        write_file(file, value);
        return buf;
}

Test(unpriv, sysinfo_tells_the_cgroups_limit_and_the_containers_age)
{
        unsigned long long host_ram, total;
        struct cmd_result r;
        struct sysinfo si;
        char cg[256], want[64];
        long uptime;

        cr_assert_eq(sysinfo(&si), 0);
        host_ram = (unsigned long long)si.totalram * si.mem_unit;
        WITHOUT(&r, "sysinfo");
        cr_assert_eq(sscanf(r.out, "sysinfo: ok totalram=%llu", &total), 1, "%s", r.out);
        cr_assert_eq(total, host_ram, "without the daemon: the host's");
        /* In no memory limit: the host's memory, the container's age. */
        WITH(&r, "sysinfo");
        cr_assert_eq(
                sscanf(r.out, "sysinfo: ok totalram=%llu freeram=%*u uptime=%ld", &total, &uptime),
                2, "%s", r.out);
        cr_assert_eq(total, host_ram, "%s", r.out);
        cr_assert(uptime >= 0 && uptime <= 30, "the container's init just started: %s", r.out);
        if (si.uptime > 60)
                cr_assert_lt(uptime, si.uptime - 30, "not the host's uptime: %s", r.out);
        if (!make_cgroup(64ull << 20, cg, sizeof(cg)))
                return;
        run((const char *[]){ "--cgroup", cg, NULL }, (const char *[]){ "sysinfo", NULL }, &r);
        rmdir(cg);
        snprintf(want, sizeof(want), "sysinfo: ok totalram=%llu ", 64ull << 20);
        cr_assert(!strncmp(r.out, want, strlen(want)), "64 MiB limit: %s", r.out);
        cr_assert(!strstr(r.out, "procs=0\n"), "%s", r.out);
}

Test(unpriv, sysinfo_bad_pointers_get_efault_and_leak_nothing)
{
        int before = count_fds(d.pid);
        struct cmd_result r;

        WITH(&r, "sysinfo-ptr", "0");
        expect(&r, "sysinfo: EFAULT\n");
        WITH(&r, "sysinfo-ptr", "1");
        expect(&r, "sysinfo: EFAULT\n");
        WITH(&r, "sysinfo-ptr", "ffffffffff600000");
        expect(&r, "sysinfo: EFAULT\n");
        WITH(&r, "sysinfo-ptr", "ffff888000000000");
        expect(&r, "sysinfo: EFAULT\n");
        WITHOUT(&r, "sysinfo-ptr", "1");
        expect(&r, "sysinfo: EFAULT\n"); /* what the kernel says */
        WITH(&r, "sysinfo");
        cr_assert(!strncmp(r.out, "sysinfo: ok", 11), "still serving: %s", r.out);
        cr_assert_eq(wait_fd_count(d.pid, before, 5000), before, "%s", fd_list(d.pid));
}

Test(unpriv, nice_within_the_bounds_only_and_in_the_container_only)
{
        int before = count_fds(d.pid), init_nice = getpriority(PRIO_PROCESS, 1);
        struct cmd_result r;

        WITHOUT(&r, "nice", "-5");
        expect(&r, "nice: EACCES\n"); /* no CAP_SYS_NICE over the host */
        WITH(&r, "nice", "-5");
        expect(&r, "nice: ok -5\n");
        WITH(&r, "nice", "-10");
        expect(&r, "nice: ok -10\n");
        WITH(&r, "nice", "-11");
        expect(&r, "nice: EPERM\n");
        WITH(&r, "nice", "5");
        expect(&r, "nice: ok 5\n");
        WITH(&r, "nice-child", "-7");
        expect(&r, "nice: ok -7\n");
        /* Pid 1 of the host is no thread of the container: its pid 1 is
         * the target itself; 4000 is nobody there. */
        WITH(&r, "nice-pid", "4000", "-1");
        expect(&r, "nice: ESRCH\n");
        WITH(&r, "nice-pid", "1", "-2");
        expect(&r, "nice: ok -2\n");
        cr_assert_eq(getpriority(PRIO_PROCESS, 1), init_nice, "the host's init untouched");
        WITH(&r, "attr", "-3");
        expect(&r, "attr: ok -3\n");
        WITH(&r, "attr", "-15");
        expect(&r, "attr: EPERM\n");
        cr_assert_eq(wait_fd_count(d.pid, before, 5000), before, "%s", fd_list(d.pid));
}

Test(unpriv, realtime_priorities_up_to_the_bound)
{
        struct cmd_result r;

        WITHOUT(&r, "fifo", "5");
        expect(&r, "fifo: EPERM\n");
        WITH(&r, "fifo", "5");
        expect(&r, "fifo: ok 1\n"); /* SCHED_FIFO */
        WITH(&r, "fifo", "11");
        expect(&r, "fifo: EPERM\n");
        WITH(&r, "fifo", "100");
        expect(&r, "fifo: EINVAL\n"); /* the kernel's range */
}

/* The mount's options and superblock options in the host's mountinfo,
 * "-" when nothing is mounted there. */
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

Test(unpriv, tmpfs_within_the_rules_with_nosuid_nodev_forced)
{
        int before = count_fds(d.pid);
        struct cmd_result r;
        char mnt[256], file[300];

        snprintf(mnt, sizeof(mnt), "%s/mnt", t);
        snprintf(file, sizeof(file), "%s/f", mnt);
        WITHOUT(&r, "mount", "tmpfs", "none", mnt, "size=1m");
        expect(&r, "mount: EPERM\n");
        /* In the container's mountinfo with nosuid,nodev it did not ask
         * for, the size asked, its root the container's root's; written. */
        WITH(&r, "mount", "tmpfs", "none", mnt, "size=1m", "+", "ls", mnt, "+", "write", file);
        cr_assert(!strncmp(r.out, "mount: ok rw,nosuid,nodev,", 26), "%s", r.out);
        cr_assert(strstr(r.out, "size=1024k"), "%s", r.out);
        cr_assert(strstr(r.out, "ls: ok 0:0 "), "the container's root owns it: %s", r.out);
        cr_assert(strstr(r.out, "write: ok\n"), "%s", r.out);
        cr_assert(!host_has_mount(mnt), "not on the host");
        cr_assert_neq(access(file, F_OK), 0, "written into the tmpfs, not the host's directory");
        /* Without size=: the cap. Flags asked for: allowed ones only. */
        WITH(&r, "mount", "tmpfs", "none", mnt, "flags:rdonly,noexec;mode=700");
        cr_assert(!strncmp(r.out, "mount: ok ro,nosuid,nodev,noexec,", 33), "%s", r.out);
        cr_assert(strstr(r.out, "size=16384k"), "%s", r.out);
        WITH(&r, "mount", "tmpfs", "none", mnt, "size=1g");
        expect(&r, "mount: EPERM\n");
        WITH(&r, "mount", "tmpfs", "none", mnt, "size=1m,uid=0");
        expect(&r, "mount: EPERM\n");
        WITH(&r, "mount", "tmpfs", "none", mnt, "flags:remount;size=1m");
        expect(&r, "mount: EPERM\n");
        WITH(&r, "mount", "ramfs", "none", mnt, "");
        expect(&r, "mount: EPERM\n");
        WITH(&r, "mount", "ext4", "/dev/sda", mnt, "");
        expect(&r, "mount: EPERM\n");
        WITH(&r, "mount", "tmpfs", "none", "/etc", "size=1m");
        expect(&r, "mount: EPERM\n");
        WITH(&r, "mount", "tmpfs", "none", "/nonexistent/x", "size=1m");
        expect(&r, "mount: ENOENT\n");
        cr_assert_eq(wait_fd_count(d.pid, before, 5000), before, "%s", fd_list(d.pid));
}

Test(unpriv, umount_of_its_own_mounts_only)
{
        struct cmd_result r;
        char mnt[256];

        snprintf(mnt, sizeof(mnt), "%s/mnt", t);
        WITH(&r, "mount", "tmpfs", "none", mnt, "size=1m", "+", "umount", mnt, "+", "umount", mnt,
             "+", "umount", "/proc");
        cr_assert(!strncmp(r.out, "mount: ok ", 10), "%s", r.out);
        cr_assert(strstr(r.out, "\numount: ok\numount: EINVAL\numount: EPERM\n"),
                  "own, then no longer a mount point, then the runtime's: %s", r.out);
        WITHOUT(&r, "umount", "/proc");
        expect(&r, "umount: EPERM\n");
}

Test(unpriv, bind_from_the_allowed_sources_only)
{
        struct cmd_result r;
        char mnt[256], src[256], file[300];

        snprintf(mnt, sizeof(mnt), "%s/mnt", t);
        snprintf(src, sizeof(src), "%s/src", t);
        snprintf(file, sizeof(file), "%s/src/hello", t);
        write_file(file, "hello\n");
        snprintf(file, sizeof(file), "%s/mnt/hello", t);
        WITHOUT(&r, "mount", "bind", src, mnt, "");
        expect(&r, "mount: EPERM\n");
        WITH(&r, "mount", "bind", src, mnt, "", "+", "ls", file);
        cr_assert(!strncmp(r.out, "mount: ok rw,nosuid,nodev,", 26), "%s", r.out);
        cr_assert(strstr(r.out, "ls: ok 65534:65534 644"), "host root's file, not idmapped: %s",
                  r.out);
        WITH(&r, "mount", "bind", "/etc", mnt, "");
        expect(&r, "mount: EPERM\n");
        WITH(&r, "mount", "bind", src, "/etc", "");
        expect(&r, "mount: EPERM\n");
}

Test(unpriv, a_swapped_symlink_never_mounts_outside_the_prefix)
{
        struct cmd_result r;
        char dir[256], p[300];
        unsigned mounted, refused, outside;

        snprintf(dir, sizeof(dir), "%s/mnt/race", t);
        cr_assert_eq(mkdir(dir, 0755), 0);
        cr_assert_eq(chown(dir, HOST_ROOT, HOST_ROOT), 0);
        snprintf(p, sizeof(p), "%s/allowed", dir);
        cr_assert_eq(mkdir(p, 0755), 0);
        cr_assert_eq(chown(p, HOST_ROOT, HOST_ROOT), 0);
        WITH(&r, "swap", dir, "2000");
        cr_assert_eq(sscanf(r.out, "swap: mounted=%u refused=%u outside=%u", &mounted, &refused,
                            &outside),
                     3, "%s", r.out);
        cr_log_info("%s", r.out);
        cr_assert_eq(outside, 0, "%s", r.out);
        cr_assert(strstr(r.out, " etc=clean "), "%s", r.out);
        cr_assert_gt(mounted, 0, "%s", r.out);
        cr_assert_gt(refused, 0, "the swap was seen: %s", r.out);
        cr_assert_eq(mounted + refused, 2000);
}

Test(unpriv, mount_bad_pointers_get_efault)
{
        int before = count_fds(d.pid);
        struct cmd_result r;

        char mnt[256];

        snprintf(mnt, sizeof(mnt), "%s/mnt", t);
        WITH(&r, "mount", "tmpfs", "none", "0x1", "");
        expect(&r, "mount: EFAULT\n");
        WITH(&r, "mount", "tmpfs", "none", "0xffffffffff600000", "");
        expect(&r, "mount: EFAULT\n");
        WITH(&r, "mount", "0x10", "none", mnt, "");
        expect(&r, "mount: EFAULT\n");
        WITH(&r, "umount", "0x0");
        expect(&r, "umount: EFAULT\n");
        WITH(&r, "mount", "tmpfs", "none", mnt, "size=1m");
        cr_assert(!strncmp(r.out, "mount: ok", 9), "still serving: %s", r.out);
        cr_assert_eq(wait_fd_count(d.pid, before, 5000), before, "%s", fd_list(d.pid));
}

Test(unpriv, an_idmapped_bind_shows_host_roots_files_as_the_containers_root)
{
        struct cmd_result r;
        char mnt[256], file[300], made[300];
        struct stat st;

        snprintf(mnt, sizeof(mnt), "%s/mnt", t);
        snprintf(file, sizeof(file), "%s/src/hello", t);
        write_file(file, "hello\n"); /* host root's, 0644, in a 0755 directory of host root */
        snprintf(file, sizeof(file), "%s/mnt/hello", t);
        snprintf(made, sizeof(made), "%s/mnt/made", t);
        policy_name = "ui";
        run(NULL, (const char *[]){ "mount", "bind", t, mnt, "", NULL }, &r);
        expect(&r, "mount: EPERM\n"); /* not under the sources */
        {
                char src[256];

                snprintf(src, sizeof(src), "%s/src", t);
                run(NULL,
                    (const char *[]){ "mount", "bind", src, mnt, "", "+", "ls", file, "+", "write",
                                      made, NULL },
                    &r);
        }
        policy_name = "u";
        if (strstr(r.out, "mount: EINVAL") || strstr(r.out, "mount: errno 95")) {
                cr_log_warn("this filesystem (%s) cannot be idmapped here: %s", t, r.out);
                return;
        }
        cr_assert(!strncmp(r.out, "mount: ok ", 10), "%s", r.out);
        cr_assert(strstr(r.out, "\nls: ok 0:0 644\n"), "root's inside: %s", r.out);
        cr_assert(strstr(r.out, "\nwrite: ok\n"), "and writable by it: %s", r.out);
        snprintf(made, sizeof(made), "%s/src/made", t);
        cr_assert_eq(stat(made, &st), 0, "written through to the host directory");
        cr_assert_eq(st.st_uid, 0, "host root's on the host, not 100000's");
        snprintf(made, sizeof(made), "%s/src", t);
        cr_assert_eq(stat(made, &st), 0);
        cr_assert_eq(st.st_mode & 0022, 0, "nobody else may write it outside");
}

Test(unpriv, overlay_xattrs_on_the_containers_files_only)
{
        int before = count_fds(d.pid);
        struct cmd_result r;
        char dir[256], host[256], value[16] = "";
        char longname[300];

        snprintf(dir, sizeof(dir), "%s/mnt/ovl", t);
        cr_assert_eq(mkdir(dir, 0755), 0);
        cr_assert_eq(chown(dir, HOST_ROOT, HOST_ROOT), 0);
        snprintf(host, sizeof(host), "%s/src", t); /* host root's */
        WITHOUT(&r, "setxattr", dir, "trusted.overlay.opaque", "y");
        expect(&r, "setxattr: EPERM\n");
        WITH(&r, "setxattr", dir, "trusted.overlay.opaque", "y");
        expect(&r, "setxattr: ok\n");
        cr_assert_eq(getxattr(dir, "trusted.overlay.opaque", value, sizeof(value) - 1), 1);
        cr_assert_str_eq(value, "y");
        WITH(&r, "setxattr", dir, "trusted.foo", "y");
        expect(&r, "setxattr: EPERM\n");
        WITH(&r, "setxattr", dir, "security.capability", "y");
        expect(&r, "setxattr: EPERM\n");
        WITH(&r, "setxattr", host, "trusted.overlay.opaque", "y");
        expect(&r, "setxattr: EPERM\n"); /* not the container's */
        cr_assert_lt(getxattr(host, "trusted.overlay.opaque", value, sizeof(value)), 0);
        WITH(&r, "setxattr", dir, "0x1", "y");
        expect(&r, "setxattr: EFAULT\n");
        memset(longname, 'a', sizeof(longname) - 1);
        memcpy(longname, "trusted.overlay.", 16);
        longname[sizeof(longname) - 1] = '\0';
        WITH(&r, "setxattr", dir, longname, "y");
        expect(&r, "setxattr: ERANGE\n");
        WITH(&r, "removexattr", dir, "trusted.overlay.opaque", "+", "removexattr", dir,
             "trusted.overlay.opaque");
        expect(&r, "removexattr: ok\nremovexattr: ENODATA\n");
        cr_assert_eq(wait_fd_count(d.pid, before, 5000), before, "%s", fd_list(d.pid));
}

/* Without WAIT_KILLABLE_RECV a signal loses the answer of a mount that
 * was made; the restarted call must get it from the journal, not mount
 * again. */
Test(unpriv, mounts_exactly_once_under_a_signal_storm_without_wait_killable)
{
        struct cmd_result r;
        char dir[256];
        int once = 0, twice = -1, none = -1, failed = -1;

        snprintf(dir, sizeof(dir), "%s/mnt/h", t);
        cr_assert_eq(mkdir(dir, 0755), 0);
        cr_assert_eq(chown(dir, HOST_ROOT, HOST_ROOT), 0);
        run((const char *[]){ "--no-killable", NULL },
            (const char *[]){ "hammer-mount", dir, "300", NULL }, &r);
        cr_log_info("%s", r.out);
        cr_assert_eq(sscanf(r.out, "hammer: calls=300 failed=%d (%*[^)]) once=%d twice=%d none=%d",
                            &failed, &once, &twice, &none),
                     4, "%s", r.out);
        cr_assert_eq(failed, 0, "%s", r.out);
        cr_assert_eq(twice, 0, "no mount made twice: %s", r.out);
        cr_assert_eq(once, 300, "%s", r.out);
        cr_assert(strstr(r.out, "signals=many"), "%s", r.out);
        /* The storm did lose answers, and the journal answered the restarts. */
        for (int i = 0; i < 50 && !strstr(daemon_log(&d), "answered from the journal"); i++)
                usleep(100000);
        cr_assert(strstr(daemon_log(&d), "restarted calls answered from the journal"), "%s",
                  daemon_log(&d));
}

/* A cgroup v2 directory for the target, owned by the container's root
 * (its cgroup.procs too: a child cgroup is joined through it); NULL
 * after saying why when there is no cgroup2 hierarchy. */
static const char *make_cgroup2(char *buf, size_t size)
{
        static const char *const roots[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
        static const char *const files[] = { "", "/cgroup.procs", "/cgroup.threads",
                                             "/cgroup.subtree_control" };
        char probe[300], f[400];

        for (size_t i = 0; i < 2; i++) {
                snprintf(probe, sizeof(probe), "%s/cgroup.controllers", roots[i]);
                if (access(probe, F_OK) < 0)
                        continue;
                snprintf(buf, size, "%s/unotify-bpf-%d", roots[i], (int)getpid());
                if (mkdir(buf, 0755) < 0)
                        return NULL;
                for (size_t k = 0; k < 4; k++) {
                        snprintf(f, sizeof(f), "%s%s", buf, files[k]);
                        (void)!chown(f, HOST_ROOT, HOST_ROOT);
                }
                return buf;
        }
        cr_log_warn("no cgroup2 hierarchy: the bpf device-program part is skipped");
        return NULL;
}

Test(unpriv, device_programs_in_the_containers_own_cgroup_only)
{
        int before = count_fds(d.pid);
        struct cmd_result r;
        char cg[256];

        if (!make_cgroup2(cg, sizeof(cg)))
                cr_skip_test("no cgroup2 hierarchy");
        run((const char *[]){ "--no-daemon", "--cgroup", cg, NULL },
            (const char *[]){ "bpf-dev", cg, NULL }, &r);
        cr_assert(strstr(r.out, "load: EPERM\n"), "no bpf without the daemon: %s", r.out);
        run((const char *[]){ "--cgroup", cg, NULL }, (const char *[]){ "bpf-dev", cg, NULL }, &r);
        rmdir(cg);
        cr_log_info("%s", r.out);
        cr_assert(strstr(r.out, "load-socket-filter: EPERM\n"), "%s", r.out);
        cr_assert(strstr(r.out, "load: ok\nattach: ok\n"), "%s", r.out);
        cr_assert(strstr(r.out, "child-write-null: EPERM\nchild-read-zero: ok\n"),
                  "the program denies /dev/null writes in the child cgroup: %s", r.out);
        cr_assert(strstr(r.out, "parent-write-null: ok\n"), "not above it: %s", r.out);
        cr_assert(strstr(r.out, "attach-outside: EPERM\n"), "%s", r.out);
        cr_assert(strstr(r.out, "attach-file: EBADF\n"), "%s", r.out);
        cr_assert(strstr(r.out, "detach: ok\n"), "%s", r.out);
        cr_assert_eq(wait_fd_count(d.pid, before, 5000), before, "%s", fd_list(d.pid));
}

/* The mounts made for a container survive a re-exec upgrade (SIGUSR2) of
 * the daemon: its table is a memfd passed on, and the container can
 * still unmount its tmpfs after. */
Test(unpriv, own_mounts_survive_a_daemon_upgrade)
{
        char mnt[256], out[300], buf[4096] = "";
        pid_t pid;
        int status, fd;

        snprintf(mnt, sizeof(mnt), "%s/mnt", t);
        snprintf(out, sizeof(out), "%s/upgrade.out", t);
        pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                int o = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

                dup2(o, 1);
                execl(UTARGET, UTARGET, d.socket, "u", "mount", "tmpfs", "none", mnt, "size=1m",
                      "+", "sleep", "4", "+", "umount", mnt, (char *)NULL);
                _exit(127);
        }
        for (int i = 0; i < 100; i++) {
                fd = open(out, O_RDONLY | O_CLOEXEC);
                if (fd >= 0) {
                        ssize_t n = read(fd, buf, sizeof(buf) - 1);

                        buf[n > 0 ? n : 0] = '\0';
                        close(fd);
                }
                if (strstr(buf, "mount: ok"))
                        break;
                usleep(50000);
        }
        cr_assert(strstr(buf, "mount: ok"), "%s", buf);
        cr_assert_eq(kill(d.pid, SIGUSR2), 0);
        for (int i = 0; i < 100 && !strstr(daemon_log(&d), "fds passed by the process we replaced");
             i++)
                usleep(50000);
        cr_assert(strstr(daemon_log(&d), "fds passed by the process we replaced"), "%s",
                  daemon_log(&d));
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        fd = open(out, O_RDONLY | O_CLOEXEC);
        cr_assert_geq(fd, 0);
        buf[read(fd, buf, sizeof(buf) - 1)] = '\0';
        close(fd);
        cr_assert(strstr(buf, "\numount: ok\n"), "unmounted after the upgrade: %s", buf);
}
