/* containerd (Debian 12: 1.6.20) with its shim io.containerd.runc.v2
 * running busybox containers with runc, and with crun as the shim's
 * binary (`ctr run --runc-binary`), whose listeners go to a real unotifyd:
 * `ctr run --seccomp --seccomp-profile FILE` decodes the profile as the
 * runtime-spec's LinuxSeccomp, listenerPath and listenerMetadata
 * included. Each test starts a containerd of its own (root, state and
 * sockets in the scratch dir) and stops it after. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"

/* clang-format off */
/* mkdir and mkdirat fail with ERRNO; getppid returns VAL. */
#define POLICY(name, select, errno_, val)                                                          \
        "{\"name\":\"" name "\"," select "\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["     \
        "{\"names\":[\"mkdir\",\"mkdirat\"],\"notify\":true,\"action\":\"SCMP_ACT_ERRNO\","        \
        "\"errnoRet\":\"" errno_ "\"},"                                                            \
        "{\"names\":[\"getppid\"],\"notify\":true,\"action\":\"UNOTIFY_ACT_RETURN\","              \
        "\"returnValue\":" #val "}]}"
#define SELECT_PROFILE(v) "\"select\":{\"annotations\":{\"unotify.example/profile\":\"" v "\"}},"
/* Every open and openat emulated (runc init's reopen of its exec FIFO
 * through /proc/self/fd/N too), /etc/motd read from the host file %s. */
#define EMULATE_POLICY                                                                             \
        "{\"name\":\"emulate\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["                \
        "{\"names\":[\"open\",\"openat\"],\"notify\":true,\"action\":\"UNOTIFY_ACT_EMULATE\","     \
        "\"handler\":\"open\",\"handlerOptions\":{\"rewrite\":[{\"from\":\"/etc/motd\","           \
        "\"to\":\"%s\"}]}}]}"
/* clang-format on */

static const struct test_policy policies[] = {
        { "ctr.json", POLICY("ctr", "", "EPERM", 4242) },
        { "web.json", POLICY("web", SELECT_PROFILE("web"), "EROFS", 2001) },
        {},
};

#define PROBE_SCRIPT "mkdir /tmp/probe; echo mkdir=$?; echo ppid=$PPID"

static struct engine e;
static struct test_daemon d;
static bool daemon_up;
static char ids[8][64];
static size_t n_ids;

static void fini(void)
{
        struct cmd_result r;

        for (size_t i = 0; i < n_ids; i++) {
                eng_cmd(&e, (const char *const[]){ "task", "rm", "-f", ids[i], NULL }, &r);
                eng_cmd(&e, (const char *const[]){ "containers", "rm", ids[i], NULL }, &r);
        }
        n_ids = 0;
        if (daemon_up)
                daemon_stop(&d);
        daemon_up = false;
        eng_cleanup(&e);
}

/* A containerd with every path in the scratch dir, without the CRI
 * plugin (no Kubernetes here); on a hybrid cgroup host in the engine's
 * namespace, so that the shims it starts can run crun. */
static void start_containerd(void)
{
        char bin[300], config[400], toml[2048], sock[400];
        const char *dir = e.rt.dir, *slash = strrchr(e.tool, '/');
        const char *argv[] = { bin, "--config", config, NULL };

        snprintf(config, sizeof(config), "%s/containerd.toml", dir);
        snprintf(sock, sizeof(sock), "%s/ctd.sock", dir);
        snprintf(toml, sizeof(toml),
                 "version = 2\n"
                 "root = \"%s/ctd-root\"\n"
                 "state = \"%s/ctd-state\"\n"
                 "disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n"
                 "[grpc]\n  address = \"%s\"\n"
                 "[ttrpc]\n  address = \"%s.ttrpc\"\n"
                 "[plugins.\"io.containerd.internal.v1.opt\"]\n  path = \"%s/ctd-opt\"\n",
                 dir, dir, sock, sock, dir);
        write_file(config, toml);
        /* the containerd of the package that installed this ctr */
        snprintf(bin, sizeof(bin), "%.*s/containerd", (int)(slash - e.tool), e.tool);
        eng_daemon_start(&e, argv, NULL, sock);
        eng_opt(&e, "--address=%s", sock);
        eng_opt(&e, "--namespace=unotify-test");
}

static void ctr_init(const char *runtime)
{
        char proof[400];

        eng_init(&e, "ctr", "containerd", runtime);
        snprintf(proof, sizeof(proof), "%s/unotify-proof", e.rt.rootfs);
        write_file(proof, "only in the rootfs\n");
        start_containerd();
}

static void start(const char *runtime, const struct test_policy *set)
{
        ctr_init(runtime);
        daemon_start(&d, set, false);
        daemon_up = true;
}

struct run {
        const char *profile;
        const char *const *annotations; /* "k=v", ..., NULL; may be NULL */
        bool detach;
        const char *script; /* sh -c SCRIPT; NULL: sleep 60 */
};

/* `ctr run` of the scratch rootfs (no image); returns the container id. */
static const char *run(const struct run *c, struct cmd_result *r)
{
        const char *argv[32] = { "run", "--rootfs", "--seccomp", "--seccomp-profile", c->profile,
                                 /* a busybox rootfs has no /usr/bin, ctr's default */
                                 "--env", "PATH=/bin" };
        size_t n = 7;
        char *id = ids[n_ids];

        cr_assert_lt(n_ids, sizeof(ids) / sizeof(ids[0]));
        snprintf(id, sizeof(ids[0]), "unotify-ctr-%d-%zu", (int)getpid(), n_ids++);
        if (!strcmp(e.rt.rt.name, "crun")) {
                argv[n++] = "--runc-binary";
                argv[n++] = e.rt.rt.path;
        }
        for (size_t i = 0; c->annotations && c->annotations[i]; i++) {
                argv[n++] = "--annotation";
                argv[n++] = c->annotations[i];
        }
        argv[n++] = c->detach ? "--detach" : "--rm";
        if (c->detach)
                argv[n++] = "--null-io";
        argv[n++] = e.rt.rootfs;
        argv[n++] = id;
        argv[n++] = "sh";
        argv[n++] = "-c";
        argv[n++] = c->script ? c->script : "exec sleep 60";
        argv[n] = NULL;
        eng_cmd(&e, argv, r);
        return id;
}

static void assert_probe(const struct cmd_result *r, const char *ppid, const char *error)
{
        char want[64];

        cr_assert_eq(r->status, 0, "ctr: %d\n%s\n%s\n%s", r->status, r->out, r->err,
                     daemon_log(&d));
        snprintf(want, sizeof(want), "mkdir=1\nppid=%s\n", ppid);
        cr_assert_str_eq(r->out, want, "stdout: %s\nstderr: %s\n%s", r->out, r->err,
                         daemon_log(&d));
        eng_assert_contains(r->err, error, "stderr");
}

/* ---- the cases ---- */

static void profile_names_the_policy(const char *runtime)
{
        struct cmd_result r;
        const char *id;

        start(runtime, policies);
        id = run(&(struct run){ .profile = eng_profile(&e, &d, "ctr", ENG_AS_EXPORTED, NULL),
                                .script = PROBE_SCRIPT },
                 &r);
        assert_probe(&r, "4242", "can't create directory '/tmp/probe': Operation not permitted");
        eng_assert_bound(&d, id, "ctr", "named by metadata");
        eng_assert_contains(daemon_log(&d), "getppid -> UNOTIFY_ACT_RETURN 4242 (ctr /syscalls/1)",
                            "daemon log");
        eng_assert_contains(daemon_log(&d), "mkdir -> SCMP_ACT_ERRNO EPERM (ctr /syscalls/0)",
                            "daemon log");
        cr_assert_eq(daemon_stat(&d, "listeners_added"), 1);
        cr_assert_geq(daemon_stat(&d, "notifications_answered"), 2);
}

/* ctr --annotation reaches the runtime: crun takes its socket from it,
 * the daemon the policy from the other one; runc refuses. */
static void receiver_annotation(const char *runtime, bool works)
{
        char receiver[400];
        const char *ann[] = { receiver, "unotify.example/profile=web", NULL };
        struct cmd_result r;
        const char *id;

        start(runtime, policies);
        snprintf(receiver, sizeof(receiver), "run.oci.seccomp.receiver=%s", d.socket);
        id = run(&(struct run){ .profile = eng_profile(&e, &d, "web", ENG_NO_LISTENER, NULL),
                                .annotations = ann,
                                .script = PROBE_SCRIPT },
                 &r);
        if (!works) {
                cr_assert_eq(r.status, 1);
                cr_assert_str_eq(r.out, "");
                eng_assert_contains(r.err,
                                    "runc create failed: unable to start container "
                                    "process: listenerPath is not set: unknown",
                                    "stderr");
                cr_assert_eq(daemon_stat(&d, "listeners_added"), 0);
                return;
        }
        assert_probe(&r, "2001", "can't create directory '/tmp/probe': Read-only file system");
        eng_assert_bound(&d, id, "web", "selected by \"select\" of \"web\"");
}

/* `ctr task exec` hands over a second listener of the same container. */
static void exec_joins(const char *runtime)
{
        struct cmd_result r;
        char needle[128], exec_id[80];
        const char *id;

        start(runtime, policies);
        id = run(&(struct run){ .profile = eng_profile(&e, &d, "ctr", ENG_AS_EXPORTED, NULL),
                                .detach = true },
                 &r);
        cr_assert_eq(r.status, 0, "ctr run -d: %s", r.err);
        snprintf(exec_id, sizeof(exec_id), "%s-exec", id);
        eng_cmd(&e,
                (const char *const[]){ "task", "exec", "--exec-id", exec_id, id, "sh", "-c",
                                       PROBE_SCRIPT, NULL },
                &r);
        assert_probe(&r, "4242", "Operation not permitted");
        snprintf(needle, sizeof(needle), ": container %s pid ", id);
        cr_assert_eq(eng_count(daemon_log(&d), needle), 2, "run and exec:\n%s", daemon_log(&d));
        cr_assert_eq(eng_count(daemon_log(&d), " policy ctr (named by metadata;"), 2);
        cr_assert_eq(daemon_stat(&d, "listeners_added"), 2);
}

/* The daemon opens in the container's root: the rootfs's own file, a
 * create in its /tmp, the admin's file for /etc/motd. */
static void emulated_open(const char *runtime)
{
        static const char script[] = "cat /unotify-proof; echo proof=$?; "
                                     "echo made >/tmp/made; cat /tmp/made; cat /etc/motd";
        char json[1024], motd[400], made[400];
        struct test_policy set[] = { { "emulate.json", json }, {} };
        struct cmd_result r;

        ctr_init(runtime);
        snprintf(motd, sizeof(motd), "%s/motd.host", e.rt.dir);
        write_file(motd, "the admin's motd\n");
        snprintf(json, sizeof(json), EMULATE_POLICY, motd);
        daemon_start(&d, set, false);
        daemon_up = true;
        run(&(struct run){ .profile = eng_profile(&e, &d, "emulate", ENG_AS_EXPORTED, NULL),
                           .script = script },
            &r);
        cr_assert_eq(r.status, 0, "%s\n%s", r.err, daemon_log(&d));
        cr_assert_str_eq(r.out, "only in the rootfs\nproof=0\nmade\nthe admin's motd\n",
                         "stderr: %s\n%s", r.err, daemon_log(&d));
        cr_assert_geq(eng_count(daemon_log(&d), "openat -> UNOTIFY_ACT_EMULATE open: fd "), 4, "%s",
                      daemon_log(&d));
        cr_assert_eq(eng_count(daemon_log(&d), "ELOOP"), 0, "%s", daemon_log(&d));
        snprintf(made, sizeof(made), "%s/tmp/made", e.rt.rootfs);
        cr_assert_eq(access(made, F_OK), 0, "the emulated create did not reach the rootfs");
}

/* No socket file, then a socket nobody listens on: the runtime refuses,
 * ctr passes its message on (with ": unknown") and exits 1. */
static void daemon_down(const char *runtime, const char *before, const char *missing,
                        const char *refused)
{
        char path[2][300], want[1400];

        start(runtime, policies);
        snprintf(path[0], sizeof(path[0]), "%s/nobody.sock", d.dir);
        snprintf(path[1], sizeof(path[1]), "%s/deaf.sock", d.dir);
        close(bound_socket(path[1]));
        for (int i = 0; i < 2; i++) {
                struct cmd_result r;

                run(&(struct run){ .profile = eng_profile(&e, &d, "ctr", ENG_OTHER_PATH, path[i]),
                                   .script = "echo ran" },
                    &r);
                cr_assert_eq(r.status, 1, "ctr run: %d %s", r.status, r.err);
                cr_assert_str_eq(r.out, "");
                snprintf(want, sizeof(want),
                         "ctr: failed to create shim task: OCI runtime create "
                         "failed: %s%s%s: unknown",
                         before, path[i], i ? refused : missing);
                eng_assert_contains(r.err, want, "stderr");
        }
        cr_assert_eq(daemon_stat(&d, "listeners_added"), 0);
}

TestSuite(containerd, .fini = fini, .timeout = 90);

Test(containerd, runc_profile_names_the_policy)
{
        profile_names_the_policy("runc");
}
Test(containerd, crun_profile_names_the_policy)
{
        profile_names_the_policy("crun");
}
Test(containerd, crun_takes_the_receiver_annotation)
{
        receiver_annotation("crun", true);
}
Test(containerd, runc_refuses_the_receiver_annotation)
{
        receiver_annotation("runc", false);
}
Test(containerd, runc_exec_joins_the_container)
{
        exec_joins("runc");
}
Test(containerd, crun_exec_joins_the_container)
{
        exec_joins("crun");
}
Test(containerd, runc_emulates_open)
{
        emulated_open("runc");
}
Test(containerd, crun_emulates_open)
{
        emulated_open("crun");
}
Test(containerd, runc_without_daemon_fails_clearly)
{
        daemon_down("runc",
                    "runc create failed: unable to start container process: failed to connect "
                    "with seccomp agent specified in the seccomp profile: dial unix ",
                    ": connect: no such file or directory", ": connect: connection refused");
}
Test(containerd, crun_without_daemon_fails_clearly)
{
        daemon_down("crun", "open seccomp receiver: connect socket to `",
                    "`: No such file or directory", "`: Connection refused");
}
