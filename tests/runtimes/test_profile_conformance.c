/* Real container profiles under real runc and crun: Docker's (and
 * podman's) seccomp profile, converted as the engine converts it for a
 * container's capability set and loaded by the runtime as a plain filter,
 * must answer every call of unotify-rtprobe exactly as `unotifyctl
 * export-oci --caps SET` of the same file does with unotifyd serving it
 * unmodified. And a deny-by-default policy's denials must hold in the
 * kernel whether the daemon is up or not. The table of calls and answers
 * is printed, so a reader sees what was compared. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "oci_filter.h" /* bench/oci_convert.c: the engine's conversion */
#include "runtime.h"
#include "unotify/policy.h"

#define DOCKER_PROFILE \
        "/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json"
#define PODMAN_PROFILE "/usr/share/containers/seccomp.json"
#define RTPROBE BIN("tests/unotify-rtprobe")
#define MIN_CALLS 30
#define MAX_ROWS 128

/* clang-format off */
/* What Docker gives a container by default (oci/caps/defaults.go). */
#define DOCKER_CAPS                                                                                \
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",   \
        "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",          \
        "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"
/* clang-format on */
static const char *const docker_caps[] = { DOCKER_CAPS, NULL };
/* The rules of Docker's profile that depend on these. */
static const char *const admin_caps[] = { DOCKER_CAPS, "CAP_SYS_ADMIN", "CAP_BPF", "CAP_SYS_PTRACE",
                                          NULL };
/* podman's default_capabilities (containers.conf): no CAP_AUDIT_WRITE,
 * on which the profile's socket rules depend. */
static const char *const podman_caps[] = {
        "CAP_CHOWN",   "CAP_DAC_OVERRIDE",     "CAP_FOWNER",     "CAP_FSETID",
        "CAP_KILL",    "CAP_NET_BIND_SERVICE", "CAP_SETFCAP",    "CAP_SETGID",
        "CAP_SETPCAP", "CAP_SETUID",           "CAP_SYS_CHROOT", NULL
};

struct row {
        char name[64];
        char result[32];
};

struct table {
        struct row rows[MAX_ROWS];
        size_t n;
};

/* An answer the engine's profile must give: the filter is there, and the
 * capability set changes what it says. */
struct anchor {
        const char *call, *result;
};

struct cap_case {
        const char *label;
        const char *const *caps;
        const struct anchor *anchors; /* ends with { NULL } */
};

static struct rt_env env;
static struct test_daemon d;
static bool daemon_up;
static char *profile; /* the profile file's text */

static void fini(void)
{
        free(profile);
        profile = NULL;
        rt_env_cleanup(&env);
        if (daemon_up)
                daemon_stop(&d);
        daemon_up = false;
}

TestSuite(runtimes_profiles, .fini = fini, .timeout = 60);

/* ---- the probe's table ---- */

static void parse_table(const char *out, struct table *t)
{
        const char *line = out;

        t->n = 0;
        while (*line) {
                const char *end = strchrnul(line, '\n');
                struct row *r = &t->rows[t->n];

                cr_assert_lt(t->n, MAX_ROWS);
                cr_assert_eq(sscanf(line, "%63s %31s", r->name, r->result), 2,
                             "not \"NAME RESULT\": %.*s", (int)(end - line), line);
                t->n++;
                line = *end ? end + 1 : end;
        }
}

static const char *result_of(const struct table *t, const char *call)
{
        for (size_t i = 0; i < t->n; i++)
                if (strcmp(t->rows[i].name, call) == 0)
                        return t->rows[i].result;
        cr_assert_fail("the probe printed no row %s", call);
        return NULL;
}

/* Run container id (its command is the probe) and read its table. */
static void probe_in(const char *id, const char *what, struct table *t)
{
        struct cmd_result r;

        rt_run(&env, id, &r);
        cr_assert_eq(r.status, 0, "%s under %s: exit %d\n%s\n%s\n%s", what, env.rt.name, r.status,
                     r.out, r.err, daemon_up ? daemon_log(&d) : "(daemon stopped)");
        parse_table(r.out, t);
        cr_assert_geq(t->n, MIN_CALLS, "%s: only %zu calls:\n%s", what, t->n, r.out);
}

/* Print both answers to every call; assert they are the same. */
static void compare(const char *label, const struct table *engine, const struct table *ours)
{
        char diff[4096] = "";
        size_t n_diff = 0, len = 0;

        cr_assert_eq(engine->n, ours->n, "%s: %zu calls vs %zu", label, engine->n, ours->n);
        printf("\n%s under %s: %-32s %-16s %s\n", label, env.rt.name, "call", "profile",
               "unotifyd");
        for (size_t i = 0; i < engine->n; i++) {
                const struct row *a = &engine->rows[i], *b = &ours->rows[i];
                bool same = strcmp(a->result, b->result) == 0;

                cr_assert_str_eq(a->name, b->name);
                printf("  %-40s %-16s %s%s\n", a->name, a->result, b->result,
                       same ? "" : "   <-- differs");
                if (!same && len < sizeof(diff) - 128) {
                        len += (size_t)snprintf(diff + len, sizeof(diff) - len, "  %s: %s vs %s\n",
                                                a->name, a->result, b->result);
                        n_diff++;
                }
        }
        fflush(stdout);
        cr_assert_eq(n_diff, 0,
                     "%s under %s: %zu calls answered differently (profile vs "
                     "unotifyd):\n%s",
                     label, env.rt.name, n_diff, diff);
}

static void assert_anchors(const char *label, const struct table *t, const struct anchor *a)
{
        for (; a && a->call; a++)
                cr_assert_str_eq(result_of(t, a->call), a->result,
                                 "%s under %s, engine's profile: %s", label, env.rt.name, a->call);
}

/* ---- the engine's side ---- */

static char *read_text(const char *path)
{
        FILE *f = fopen(path, "re");
        char *text = NULL;
        size_t size = 0;

        cr_assert_not_null(f, "%s", path);
        cr_assert_gt(getdelim(&text, &size, '\0', f), 0, "%s is empty", path);
        fclose(f);
        return text;
}

/* Skips the test when the profile's package is not installed. */
static char *profile_text(const char *path, const char *package)
{
        if (access(path, R_OK) != 0)
                cr_skip_test("%s is missing (apt-get install %s): nothing to compare", path,
                             package);
        return read_text(path);
}

/* The section the engine hands the runtime for a container with caps. */
static json_t *engine_section(const char *const *caps)
{
        json_error_t jerr;
        json_t *parsed = json_loads(profile, 0, &jerr), *section = NULL;
        uint64_t mask = 0;

        cr_assert_not_null(parsed, "%s", jerr.text);
        for (size_t i = 0; caps[i]; i++) {
                int n = unotify_capability_from_name(caps[i]);

                cr_assert_geq(n, 0, "%s", caps[i]);
                mask |= UINT64_C(1) << n;
        }
        cr_assert_eq(oci_from_docker(parsed, mask, &section), 0);
        json_decref(parsed);
        return section;
}

/* ---- 1, 3: same answers as the engine's conversion ---- */

static void start(const struct test_policy *set)
{
        rt_install(&env, RTPROBE, "rtprobe");
        daemon_start(&d, set, false);
        daemon_up = true;
}

/* The daemon bound the listener of id to the policy, and answered the
 * call the policy's plan notifies (arch_prctl, whose rule names x86_64
 * and x32 but not x86: the daemon decides it per ABI). */
static void assert_served(const char *id, const char *policy)
{
        const char *log = daemon_log(&d);
        char needle[256];

        snprintf(needle, sizeof(needle), ": container %s pid ", id);
        cr_assert_not_null(strstr(log, needle), "no listener of %s:\n%s", id, log);
        snprintf(needle, sizeof(needle), "arch_prctl -> SCMP_ACT_ALLOW (%s ", policy);
        cr_assert_not_null(strstr(log, needle), "%s:\n%s", needle, log);
}

static void conform(const char *policy, const struct cap_case *c)
{
        static const char *const args[] = { "/bin/rtprobe", NULL };
        json_t *engine = engine_section(c->caps);
        struct table ours, theirs;
        const char *id_engine, *id_ours;

        id_engine =
                rt_bundle(&env, NULL,
                          &(struct container){ .args = args, .caps = c->caps, .seccomp = engine });
        id_ours = rt_bundle(
                &env, &d,
                &(struct container){
                        .policy = policy, .args = args, .caps = c->caps, .export_caps = true });
        json_decref(engine);
        probe_in(id_engine, c->label, &theirs);
        assert_anchors(c->label, &theirs, c->anchors);
        probe_in(id_ours, c->label, &ours);
        compare(c->label, &theirs, &ours);
        assert_served(id_ours, policy);
}

static void conformance(const char *runtime, const char *path, const char *package,
                        const char *policy, const struct cap_case *cases)
{
        char file[64];

        rt_env_init(&env, runtime);
        profile = profile_text(path, package);
        snprintf(file, sizeof(file), "%s.json", policy);
        start((const struct test_policy[]){ { file, profile }, {} });
        for (; cases->label; cases++)
                conform(policy, cases);
}

/* clang-format off */
static const struct anchor docker_default[] = {
        { "keyctl(GET_KEYRING_ID)", "EPERM" }, { "clone3(NULL,64)", "ENOSYS" },
        { "unshare(0)", "EPERM" },             { "clone(CLONE_NEWUSER)", "EPERM" },
        { "clone(SIGCHLD)", "ok" },            { "personality(PER_LINUX32)", "ok" },
        { "personality(PER_BSD)", "EPERM" },   { "mount(tmpfs,/tmp)", "EPERM" },
        { "kcmp(self,self,FILE,0,0)", "EPERM" }, {}
};
static const struct anchor docker_admin[] = {
        { "keyctl(GET_KEYRING_ID)", "EPERM" }, { "clone3(NULL,64)", "EFAULT" },
        { "unshare(0)", "ok" },                { "clone(CLONE_NEWUSER)", "ok" },
        { "personality(PER_BSD)", "EPERM" },   { "mount(tmpfs,/tmp)", "ok" },
        { "kcmp(self,self,FILE,0,0)", "ok" },  {}
};
static const struct anchor podman_default[] = {
        { "add_key(bad-type)", "ENOSYS" },     { "socket(AF_NETLINK,AUDIT)", "EINVAL" },
        { "socket(AF_NETLINK,ROUTE)", "ok" },  { "swapon(/nonexistent)", "EPERM" }, {}
};
static const struct anchor podman_admin[] = {
        { "add_key(bad-type)", "ENOSYS" },     { "socket(AF_NETLINK,AUDIT)", "ok" },
        { "swapon(/nonexistent)", "EPERM" },   {}
};
/* clang-format on */

static const struct cap_case docker_cases[] = {
        { "docker, Docker's caps", docker_caps, docker_default },
        { "docker, + SYS_ADMIN BPF SYS_PTRACE", admin_caps, docker_admin },
        {},
};
static const struct cap_case podman_cases[] = {
        { "podman, podman's caps", podman_caps, podman_default },
        { "podman, Docker's + SYS_ADMIN BPF SYS_PTRACE", admin_caps, podman_admin },
        {},
};

Test(runtimes_profiles, runc_docker_profile_answers_as_the_engine_converts_it)
{
        conformance("runc", DOCKER_PROFILE, "golang-github-docker-docker-dev", "docker",
                    docker_cases);
}

Test(runtimes_profiles, crun_docker_profile_answers_as_the_engine_converts_it)
{
        conformance("crun", DOCKER_PROFILE, "golang-github-docker-docker-dev", "docker",
                    docker_cases);
}

Test(runtimes_profiles, runc_podman_profile_answers_as_the_engine_converts_it)
{
        conformance("runc", PODMAN_PROFILE, "golang-github-containers-common", "podman",
                    podman_cases);
}

Test(runtimes_profiles, crun_podman_profile_answers_as_the_engine_converts_it)
{
        conformance("crun", PODMAN_PROFILE, "golang-github-containers-common", "podman",
                    podman_cases);
}

/* ---- 2: deny-by-default holds in the kernel, daemon or not ---- */

/* clang-format off */
/* A deny-by-default allow-list: what a static program and the runtimes
 * need between installing the filter and exec (runc's Go runtime may make
 * a thread: clone without namespace flags, Docker's mask), and mkdir
 * notified, so that the daemon has a part. keyctl, add_key, unshare and
 * mount are named nowhere: defaultAction's EPERM. */
#define ALLOWLIST_POLICY                                                                           \
        "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["                                     \
        "{\"names\":[\"execve\",\"brk\",\"arch_prctl\",\"set_tid_address\",\"set_robust_list\","   \
        "\"rseq\",\"prlimit64\",\"mprotect\",\"mmap\",\"munmap\",\"getrandom\",\"read\","          \
        "\"write\",\"writev\",\"close\",\"close_range\",\"exit\",\"exit_group\",\"newfstatat\","   \
        "\"fstat\",\"ioctl\",\"getpid\",\"gettid\",\"getppid\",\"uname\",\"readlink\","            \
        "\"readlinkat\",\"access\",\"faccessat\",\"faccessat2\",\"nanosleep\",\"clock_nanosleep\"," \
        "\"rt_sigaction\",\"rt_sigprocmask\",\"rt_sigreturn\",\"sigaltstack\",\"futex\","          \
        "\"sched_yield\",\"tgkill\",\"fcntl\",\"dup2\",\"dup3\",\"open\",\"openat\",\"capget\","   \
        "\"capset\",\"prctl\",\"setgroups\",\"setuid\",\"setgid\",\"setresuid\",\"setresgid\","    \
        "\"getuid\",\"geteuid\",\"getgid\",\"getegid\",\"wait4\",\"epoll_pwait\",\"pselect6\","     \
        "\"fstatfs\",\"statfs\",\"getdents64\",\"lseek\",\"madvise\",\"sched_getaffinity\"]," \
        "\"action\":\"SCMP_ACT_ALLOW\"},"                                                          \
        "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,"             \
        "\"value\":2114060288,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},"                    \
        "{\"names\":[\"mkdir\"],\"notify\":true,\"action\":\"SCMP_ACT_ERRNO\","                    \
        "\"errnoRet\":\"EROFS\"}]}"
/* clang-format on */

#define GO_FILE "/unotify-go" /* in the rootfs, which the container shares */

static const struct anchor kernel_denials[] = { { "keyctl(GET_KEYRING_ID)", "EPERM" },
                                                { "add_key(bad-type)", "EPERM" },
                                                { "unshare(0)", "EPERM" },
                                                { "unshare(CLONE_NEWUSER)", "EPERM" },
                                                { "mount(tmpfs,/tmp)", "EPERM" },
                                                { "clone(CLONE_NEWUSER)", "EPERM" },
                                                { "clone(SIGCHLD)", "ok" },
                                                { "getpid", "ok" },
                                                {} };

/* Wait (up to 10 s) until the daemon has the listener of container id. */
static void wait_served(const char *id)
{
        const struct timespec tick = { 0, 20 * 1000 * 1000 };
        char needle[256];

        snprintf(needle, sizeof(needle), ": container %s pid ", id);
        for (int i = 0; i < 500 && !strstr(daemon_log(&d), needle); i++)
                nanosleep(&tick, NULL);
        cr_assert_not_null(strstr(daemon_log(&d), needle), "no listener of %s:\n%s", id,
                           daemon_log(&d));
}

static void print_rows(const char *label, const struct table *t)
{
        printf("\n%s under %s:\n", label, env.rt.name);
        for (size_t i = 0; i < t->n; i++)
                printf("  %-40s %s\n", t->rows[i].name, t->rows[i].result);
        fflush(stdout);
}

/* The daemon is stopped while the container waits; then it runs the table. */
static void probe_with_daemon_gone(const char *id, struct table *t)
{
        int out_err[2];
        char go[512];
        struct cmd_result *r = calloc(1, sizeof(*r));
        pid_t pid;

        cr_assert_not_null(r);
        pid = rt_start(&env, id, out_err);
        wait_served(id);
        daemon_stop(&d);
        daemon_up = false;
        snprintf(go, sizeof(go), "%s" GO_FILE, env.rootfs);
        cr_assert(fclose(fopen(go, "we")) == 0, "%s", go);
        rt_wait(pid, out_err, r);
        cr_assert_eq(r->status, 0, "under %s with the daemon gone: exit %d\n%s\n%s", env.rt.name,
                     r->status, r->out, r->err);
        parse_table(r->out, t);
        free(r);
}

static void deny_by_default(const char *runtime)
{
        static const char *const args[] = { "/bin/rtprobe", NULL };
        static const char *const waiting[] = { "/bin/rtprobe", "--wait", GO_FILE, NULL };
        struct table up, down;
        const char *id;

        rt_env_init(&env, runtime);
        start((const struct test_policy[]){ { "allowlist.json", ALLOWLIST_POLICY }, {} });

        probe_in(rt_bundle(&env, &d, &(struct container){ .policy = "allowlist", .args = args }),
                 "deny-by-default", &up);
        print_rows("deny-by-default, daemon up", &up);
        assert_anchors("deny-by-default, daemon up", &up, kernel_denials);
        cr_assert_str_eq(result_of(&up, "mkdir(/tmp/unotify-probe)"), "EROFS",
                         "the daemon answers the notified mkdir");

        id = rt_bundle(&env, &d, &(struct container){ .policy = "allowlist", .args = waiting });
        probe_with_daemon_gone(id, &down);
        print_rows("deny-by-default, daemon stopped", &down);
        assert_anchors("deny-by-default, daemon stopped", &down, kernel_denials);
        /* With nobody on the listener, the kernel fails notified calls. */
        cr_assert_str_eq(result_of(&down, "mkdir(/tmp/unotify-probe)"), "ENOSYS");
}

Test(runtimes_profiles, runc_deny_by_default_holds_in_the_kernel_daemon_or_not)
{
        deny_by_default("runc");
}

Test(runtimes_profiles, crun_deny_by_default_holds_in_the_kernel_daemon_or_not)
{
        deny_by_default("crun");
}
