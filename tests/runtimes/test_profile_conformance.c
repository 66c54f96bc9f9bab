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
#include <unistd.h>

#include "harness.h"
#include "oci_filter.h" /* bench/oci_convert.c: the engine's conversion */
#include "runtime.h"
#include "unotify/policy.h"

#define DOCKER_PROFILE "/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json"
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
static const char *const admin_caps[] = { DOCKER_CAPS, "CAP_SYS_ADMIN", "CAP_BPF",
                                          "CAP_SYS_PTRACE", NULL };
/* podman's default_capabilities (containers.conf): no CAP_AUDIT_WRITE,
 * on which the profile's socket rules depend. */
static const char *const podman_caps[] = { "CAP_CHOWN",    "CAP_DAC_OVERRIDE",     "CAP_FOWNER",
                                           "CAP_FSETID",   "CAP_KILL",             "CAP_NET_BIND_SERVICE",
                                           "CAP_SETFCAP",  "CAP_SETGID",           "CAP_SETPCAP",
                                           "CAP_SETUID",   "CAP_SYS_CHROOT",       NULL };

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
        cr_assert_eq(n_diff, 0, "%s under %s: %zu calls answered differently (profile vs "
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

        id_engine = rt_bundle(&env, NULL,
                              &(struct container){ .args = args, .caps = c->caps, .seccomp = engine });
        id_ours = rt_bundle(&env, &d,
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
