/* The handlers for unprivileged containers under the real runc and crun:
 * busybox containers with a user namespace (0..65535 mapped to host
 * 100000..), the runtime's default capabilities (no CAP_SYS_ADMIN, no
 * CAP_SYS_NICE), a 64 MiB memory limit, handing off to unotifyd serving
 * policy/examples/unprivileged-container.json. Each call is shown to fail
 * (or tell the host's figures) with a plain filter and to work with the
 * daemon. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/xattr.h>

#include "runtime.h"

#define UNPRIV_PROBE BIN("tests/unotify-unpriv-probe")
#define POLICY_FILE UNOTIFY_SOURCE_DIR "/policy/examples/unprivileged-container.json"

static struct rt_env env;
static struct test_daemon d;
static bool daemon_up;
static char policy_text[8192];

static void fini(void)
{
        rt_env_cleanup(&env);
        if (daemon_up)
                daemon_stop(&d);
        daemon_up = false;
}

TestSuite(unpriv_runtimes, .fini = fini, .timeout = 120);

static void start(const char *runtime)
{
        FILE *f = fopen(POLICY_FILE, "re");
        size_t n;

        cr_assert_not_null(f);
        n = fread(policy_text, 1, sizeof(policy_text) - 1, f);
        fclose(f);
        policy_text[n] = '\0';
        rt_env_init(&env, runtime);
        rt_install(&env, UNPRIV_PROBE, "probe");
        rt_chown_rootfs(&env, RT_USERNS_HOST_ROOT);
        {
                const struct test_policy set[] = { { "unprivileged-container.json", policy_text },
                                                   {} };

                daemon_start(&d, set, false);
        }
        daemon_up = true;
}

/* What the workload of an unprivileged container tries; stderr merged. */
static const char script[] =
        "mkdir -p /mnt/t /mnt/u; "
        "mount -t tmpfs -o size=1m none /mnt/t 2>&1; echo mount=$?; "
        "grep ' /mnt/t ' /proc/self/mountinfo; "
        "mount -t tmpfs -o size=1g none /mnt/u 2>&1; echo big=$?; "
        "umount /mnt/t 2>&1; echo umount=$?; "
        "umount /proc 2>&1; echo umountproc=$?; "
        "mkdir -p /mnt/n; /bin/probe fsmnt /mnt/n 1m; grep ' /mnt/n ' /proc/self/mountinfo; "
        "/bin/probe fsmnt /mnt/n 1g; /bin/probe fsmnt /bin 1m; umount /mnt/n 2>&1; echo "
        "umountn=$?; "
        "mkdir -p /mnt/ovl; /bin/probe setxattr /mnt/ovl trusted.overlay.opaque y; "
        "/bin/probe setxattr /mnt/ovl trusted.foo y; "
        "free; uptime; /bin/probe sysinfo; /bin/probe nice -5; /bin/probe nice -15; /bin/probe "
        "fifo 5";

/* The probe's sysinfo total, in KiB; busybox free prints the same
 * first on its Mem: line (its "used" column, from the host's
 * /proc/meminfo cache figures, can run into it). */
static long long mem_total_kib(const char *out)
{
        const char *m = strstr(out, "sysinfo=ok ");
        unsigned long long total = 0;

        if (!m || sscanf(m + 11, "%llu", &total) != 1)
                return -1;
        m = strstr(out, "Mem:");
        cr_assert_not_null(m, "%s", out);
        m += 4 + strspn(m + 4, " ");
        cr_assert(!strncmp(m, "65536", 5) == (total == 64ull << 20), "free and sysinfo agree: %s",
                  out);
        return (long long)(total >> 10);
}

static void run_workload(bool with_daemon, struct cmd_result *r)
{
        json_t *plain = json_pack("{ss}", "defaultAction", "SCMP_ACT_ALLOW");
        const struct container c = {
                .policy = "unprivileged-container",
                .args = (const char *[]){ "sh", "-c", script, NULL },
                .userns = true,
                .memory_limit = 64ll << 20,
                .seccomp = with_daemon ? NULL : plain,
        };
        const char *id = rt_bundle(&env, with_daemon ? &d : NULL, &c);

        rt_run(&env, id, r);
        json_decref(plain);
        cr_log_info("%s %s daemon:\n%s\nstderr: %s", env.rt.name, with_daemon ? "with" : "without",
                    r->out, r->err);
        cr_assert_eq(r->status, 0, "status %d: %s %s", r->status, r->out, r->err);
}

static void unprivileged_workload(const char *runtime)
{
        struct cmd_result r;

        start(runtime);
        run_workload(false, &r);
        cr_assert(strstr(r.out, "mount=0\n") == NULL, "no mount without the daemon: %s", r.out);
        cr_assert(strstr(r.out, "Operation not permitted"), "%s", r.out);
        cr_assert(strstr(r.out, "nice=EACCES\n"), "%s", r.out);
        cr_assert(strstr(r.out, "fsmnt=fsopen:EPERM\n"), "%s", r.out);
        cr_assert(strstr(r.out, "fifo=EPERM\n"), "%s", r.out);
        cr_assert(strstr(r.out, "setxattr=EPERM\nsetxattr=EPERM\n"), "%s", r.out);
        cr_assert_neq(mem_total_kib(r.out), 65536, "the host's memory, not the limit: %s", r.out);

        run_workload(true, &r);
        cr_assert(strstr(r.out, "mount=0\n"), "%s", r.out);
        cr_assert(strstr(r.out, " /mnt/t rw,nosuid,nodev,"), "nosuid,nodev forced: %s", r.out);
        cr_assert(strstr(r.out, "size=1024k"), "%s", r.out);
        cr_assert(!strstr(r.out, "big=0\n"), "above maxSize: %s", r.out);
        cr_assert(strstr(r.out, "umount=0\n"), "its own tmpfs: %s", r.out);
        cr_assert(!strstr(r.out, "umountproc=0\n"), "the runtime's /proc: %s", r.out);
        /* The new mount API, driven by the container's own program. */
        cr_assert(strstr(r.out, "fsmnt=ok\n"), "%s", r.out);
        cr_assert(strstr(r.out, " /mnt/n rw,nosuid,nodev,"), "nosuid,nodev forced: %s", r.out);
        cr_assert(strstr(r.out, "fsmnt=fsconfig:EPERM\nfsmnt=move_mount:EPERM\numountn=0\n"),
                  "above maxSize, outside the targets; its own unmounted: %s", r.out);
        cr_assert_eq(mem_total_kib(r.out), 65536, "the 64 MiB limit: %s", r.out);
        cr_assert(strstr(r.out, "up 0 min"), "the container's age: %s", r.out);
        cr_assert(strstr(r.out, "setxattr=ok\nsetxattr=EPERM\n"),
                  "trusted.overlay.opaque on its own directory, not trusted.foo: %s", r.out);
        {
                char dir[400], value[8] = "";

                snprintf(dir, sizeof(dir), "%s/mnt/ovl", env.rootfs);
                cr_assert_eq(getxattr(dir, "trusted.overlay.opaque", value, sizeof(value) - 1), 1);
                cr_assert_str_eq(value, "y");
        }
        cr_assert(strstr(r.out, "nice=ok -5\n"), "%s", r.out);
        cr_assert(strstr(r.out, "nice=EPERM\n"), "beyond minNice: %s", r.out);
        /* SCHED_FIFO: the daemon's call is the kernel's to refuse: a v1
         * cpu cgroup with cpu.rt_runtime_us 0 (what the runtimes leave
         * a container) refuses real-time tasks with EPERM even to it. */
        cr_assert(strstr(r.out, "fifo=ok\n") || strstr(r.out, "fifo=EPERM\n"), "%s", r.out);
}

Test(unpriv_runtimes, runc_user_namespaced_container)
{
        unprivileged_workload("runc");
}

Test(unpriv_runtimes, crun_user_namespaced_container)
{
        unprivileged_workload("crun");
}
