/* Debian 12's Docker (docker.io 20.10.24): its seccomp profile parser
 * drops listenerPath and listenerMetadata, so a profile from `unotifyctl
 * export-oci` reaches runc without them and runc refuses the container.
 * Shown here with a runtime that records the config.json it was given,
 * and the two ways around it that work: contrib/docker/unotify-oci-runtime
 * (a runtime wrapper that puts the policy's section, listener included,
 * into the bundle), and crun with RUN_OCI_SECCOMP_RECEIVER in dockerd's
 * environment. Each test starts a dockerd of its own (data, exec root and
 * socket in the scratch dir; it starts its own containerd). */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"

#define IMAGE "unotify-busybox"
#define WRAPPER UNOTIFY_SOURCE_DIR "/contrib/docker/unotify-oci-runtime"

/* clang-format off */
#define POLICY(name, extra, errno_, val)                                                           \
        "{\"name\":\"" name "\"," extra "\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["      \
        "{\"names\":[\"mkdir\",\"mkdirat\"],\"notify\":true,\"action\":\"SCMP_ACT_ERRNO\","        \
        "\"errnoRet\":\"" errno_ "\"},"                                                            \
        "{\"names\":[\"getppid\"],\"notify\":true,\"action\":\"UNOTIFY_ACT_RETURN\","              \
        "\"returnValue\":" #val "}]}"
/* clang-format on */

static const struct test_policy policies[] = {
        { "ctr.json", POLICY("ctr", "", "EPERM", 4242) },
        { "fallback.json", POLICY("fallback", "\"default\":true,", "EROFS", 3003) },
        {},
};

#define PROBE_SCRIPT "mkdir /tmp/probe; echo mkdir=$?; echo ppid=$PPID"

/* A runtime that keeps a copy of each bundle's config.json, then runs
 * runc: what dockerd really handed over. %s: the copy's path. */
#define DUMP_RUNTIME                                                         \
        "#!/bin/sh\n"                                                        \
        "prev=\n"                                                            \
        "for a in \"$@\"; do\n"                                              \
        "  if [ \"$prev\" = --bundle ]; then cp \"$a/config.json\" %s; fi\n" \
        "  prev=$a\n"                                                        \
        "done\n"                                                             \
        "exec %s \"$@\"\n"

static struct engine e;
static struct test_daemon d;
static bool daemon_up;
static char ids[8][80];
static size_t n_ids;

static void fini(void)
{
        struct cmd_result r;

        for (size_t i = 0; i < n_ids; i++)
                eng_cmd(&e, (const char *const[]){ "rm", "-f", ids[i], NULL }, &r);
        n_ids = 0;
        if (daemon_up)
                daemon_stop(&d);
        daemon_up = false;
        eng_cleanup(&e);
}

/* daemon.json: the recording runtime, the wrapper for policy "ctr" and
 * for a socket nobody serves, and crun. */
static void write_daemon_json(const char *path, const char *missing)
{
        char json[4096];
        const char *dir = e.rt.dir, *ctl = UNOTIFYCTL;

        snprintf(json, sizeof(json),
                 "{\"runtimes\":{"
                 "\"dump\":{\"path\":\"%s/dump-runtime\"},"
                 "\"unotify-ctr\":{\"path\":\"%s\",\"runtimeArgs\":[\"--unotify-policy=ctr\","
                 "\"--unotify-socket=%s\",\"--unotify-policy-dir=%s\",\"--unotify-ctl=%s\","
                 "\"--unotify-runtime=%s\"]},"
                 "\"unotify-nowhere\":{\"path\":\"%s\",\"runtimeArgs\":["
                 "\"--unotify-policy=ctr\",\"--unotify-socket=%s\",\"--unotify-policy-dir=%s\","
                 "\"--unotify-ctl=%s\",\"--unotify-runtime=%s\"]},"
                 "\"crun\":{\"path\":\"%s\"}}}",
                 dir, WRAPPER, d.socket, d.policy_dir, ctl, e.rt.rt.path, WRAPPER, missing,
                 d.policy_dir, ctl, e.rt.rt.path, e.rt.rt.path);
        write_file(path, json);
}

static void write_dump_runtime(void)
{
        char path[400], script[2048], copy[400];

        snprintf(path, sizeof(path), "%s/dump-runtime", e.rt.dir);
        snprintf(copy, sizeof(copy), "%s/config.dumped.json", e.rt.dir);
        snprintf(script, sizeof(script), DUMP_RUNTIME, copy, e.rt.rt.path);
        write_file(path, script);
        cr_assert_eq(chmod(path, 0755), 0);
}

/* dockerd's own paths under the scratch dir, no networking (--network
 * none everywhere), vfs storage (works on any filesystem); receiver_env:
 * RUN_OCI_SECCOMP_RECEIVER=(the daemon's socket) in its environment. */
static void start(const char *runtime, bool receiver_env)
{
        static char env[400];
        char dockerd[300], sock[400], host[420], cfg[400], missing[400], data[400], exec[400],
                pid[400];
        const char *dir;
        struct cmd_result r;

        eng_init(&e, "docker", "docker.io", runtime);
        /* Debian: /usr/bin/docker and /usr/sbin/dockerd */
        if (!eng_find("dockerd", dockerd, sizeof(dockerd)))
                cr_skip_test("no dockerd (apt-get install docker.io): this test needs it");
        dir = e.rt.dir;
        daemon_start(&d, policies, false);
        daemon_up = true;
        snprintf(env, sizeof(env), "RUN_OCI_SECCOMP_RECEIVER=%s", d.socket);
        snprintf(sock, sizeof(sock), "%s/dk.sock", dir);
        snprintf(host, sizeof(host), "unix://%s", sock);
        snprintf(cfg, sizeof(cfg), "%s/daemon.json", dir);
        snprintf(data, sizeof(data), "%s/dk-data", dir);
        snprintf(exec, sizeof(exec), "%s/dk-exec", dir);
        snprintf(pid, sizeof(pid), "%s/dk.pid", dir);
        snprintf(missing, sizeof(missing), "%s/nobody.sock", d.dir);
        write_daemon_json(cfg, missing);
        write_dump_runtime();
        eng_daemon_start(&e,
                         (const char *const[]){ dockerd, "--config-file", cfg, "--host", host,
                                                "--data-root", data, "--exec-root", exec,
                                                "--pidfile", pid, "--storage-driver", "vfs",
                                                "--bridge", "none", "--iptables=false",
                                                "--ip-masq=false", "--userland-proxy=false", NULL },
                         receiver_env ? env : NULL, sock);
        eng_opt(&e, "--host=%s", host);
        eng_cmd(&e, (const char *const[]){ "import", eng_rootfs_tar(&e), IMAGE, NULL }, &r);
        cr_assert_eq(r.status, 0, "docker import: %s", r.err);
}

struct run {
        const char *runtime; /* a name from daemon.json; NULL: runc */
        const char *profile; /* --security-opt seccomp=; NULL: Docker's default */
        bool nnp;            /* --security-opt no-new-privileges */
        bool detach;
        const char *script; /* sh -c SCRIPT; NULL: sleep 60 */
};

/* `docker run`; returns the container's id (what the daemon logs). */
static const char *run(const struct run *c, struct cmd_result *r)
{
        char seccomp[500], cidfile[400], rt[80];
        const char *argv[32] = { "run", "--network=none", "--cidfile", cidfile };
        char *id = ids[n_ids];
        size_t n = 4;
        FILE *f;

        cr_assert_lt(n_ids, sizeof(ids) / sizeof(ids[0]));
        snprintf(cidfile, sizeof(cidfile), "%s/run-%zu.cid", e.rt.dir, n_ids++);
        snprintf(seccomp, sizeof(seccomp), "seccomp=%s", c->profile);
        snprintf(rt, sizeof(rt), "--runtime=%s", c->runtime ? c->runtime : "runc");
        argv[n++] = rt;
        argv[n++] = c->detach ? "-d" : "--rm";
        if (c->profile) {
                argv[n++] = "--security-opt";
                argv[n++] = seccomp;
        }
        if (c->nnp)
                argv[n++] = "--security-opt=no-new-privileges";
        argv[n++] = IMAGE;
        argv[n++] = "sh";
        argv[n++] = "-c";
        argv[n++] = c->script ? c->script : "exec sleep 60";
        argv[n] = NULL;
        eng_cmd(&e, argv, r);
        id[0] = '\0';
        f = fopen(cidfile, "re");
        if (f) {
                cr_assert_not_null(fgets(id, sizeof(ids[0]), f));
                fclose(f);
        }
        return id;
}

static void assert_probe(const struct cmd_result *r, const char *ppid, const char *error)
{
        char want[64];

        cr_assert_eq(r->status, 0, "docker run: %d\n%s\n%s\n%s", r->status, r->out, r->err,
                     daemon_log(&d));
        snprintf(want, sizeof(want), "mkdir=1\nppid=%s\n", ppid);
        cr_assert_str_eq(r->out, want, "stderr: %s", r->err);
        eng_assert_contains(r->err, error, "stderr");
}

/* ---- the cases ---- */

TestSuite(docker, .fini = fini, .timeout = 120);

/* The profile with listenerPath: dockerd hands runc a section with the
 * SCMP_ACT_NOTIFY rule and no listener, which runc refuses. */
Test(docker, drops_the_listener_fields)
{
        char dumped[400];
        struct cmd_result r;
        json_t *config, *seccomp;
        json_error_t jerr;

        start("runc", false);
        run(&(struct run){ .runtime = "dump",
                           .profile = eng_profile(&e, &d, "ctr", ENG_AS_EXPORTED, NULL),
                           .script = "echo ran" },
            &r);
        cr_assert_eq(r.status, 125, "docker run: %d %s", r.status, r.err);
        cr_assert_str_eq(r.out, "");
        eng_assert_contains(r.err,
                            "runc create failed: unable to start container process: "
                            "listenerPath is not set: unknown",
                            "stderr");
        snprintf(dumped, sizeof(dumped), "%s/config.dumped.json", e.rt.dir);
        config = json_load_file(dumped, 0, &jerr);
        cr_assert_not_null(config, "the runtime got no config: %s", jerr.text);
        seccomp = json_object_get(json_object_get(config, "linux"), "seccomp");
        cr_assert_str_eq(
                json_string_value(json_object_get(
                        json_array_get(json_object_get(seccomp, "syscalls"), 0), "action")),
                "SCMP_ACT_NOTIFY");
        cr_assert_null(json_object_get(seccomp, "listenerPath"), "Docker kept listenerPath");
        cr_assert_null(json_object_get(seccomp, "listenerMetadata"));
        cr_assert_eq(daemon_stat(&d, "listeners_added"), 0);
        json_decref(config);
}

/* The wrapper puts the policy's section into the bundle: run and exec
 * are served by the policy the runtime's name stands for. runc needs
 * no-new-privileges when getppid is answered (test_podman.c). */
Test(docker, runc_wrapper_serves_the_policy)
{
        struct cmd_result r;
        char needle[128];
        const char *id;

        start("runc", false);
        id = run(&(struct run){ .runtime = "unotify-ctr", .nnp = true, .script = PROBE_SCRIPT },
                 &r);
        assert_probe(&r, "4242", "can't create directory '/tmp/probe': Operation not permitted");
        eng_assert_bound(&d, id, "ctr", "named by metadata");
        id = run(&(struct run){ .runtime = "unotify-ctr", .nnp = true, .detach = true }, &r);
        cr_assert_eq(r.status, 0, "docker run -d: %s", r.err);
        eng_cmd(&e, (const char *const[]){ "exec", id, "sh", "-c", PROBE_SCRIPT, NULL }, &r);
        assert_probe(&r, "4242", "Operation not permitted");
        snprintf(needle, sizeof(needle), ": container %s pid ", id);
        cr_assert_eq(eng_count(daemon_log(&d), needle), 2, "run and exec:\n%s", daemon_log(&d));
        cr_assert_eq(daemon_stat(&d, "listeners_added"), 3);
}

/* seccomp=unconfined (as --privileged, which this host's root cannot
 * run: it lacks CAP_SYS_RESOURCE) leaves no seccomp section: the wrapper
 * adds none. A socket nobody serves: runc's message, through dockerd. */
Test(docker, runc_wrapper_keeps_unconfined_and_fails_without_daemon)
{
        struct cmd_result r;

        start("runc", false);
        run(&(struct run){ .runtime = "unotify-ctr",
                           .profile = "unconfined",
                           .script = "mkdir /tmp/probe; echo mkdir=$?" },
            &r);
        cr_assert_eq(r.status, 0, "%s", r.err);
        cr_assert_str_eq(r.out, "mkdir=0\n", "%s", r.err);
        run(&(struct run){ .runtime = "unotify-nowhere", .nnp = true, .script = "echo ran" }, &r);
        /* docker, like podman, takes "no such file or directory" in the
         * runtime's error for a missing command: 127, not 125. */
        cr_assert_eq(r.status, 127, "%d %s", r.status, r.err);
        cr_assert_str_eq(r.out, "");
        eng_assert_contains(r.err,
                            "failed to connect with seccomp agent specified in the seccomp "
                            "profile: dial unix ",
                            "stderr");
        eng_assert_contains(r.err, "/nobody.sock: connect: no such file or directory", "stderr");
        cr_assert_eq(daemon_stat(&d, "listeners_added"), 0);
}

/* crun reads the socket from RUN_OCI_SECCOMP_RECEIVER when the section
 * has no listenerPath; dockerd's environment reaches it through
 * containerd and the shim. No metadata and no annotations arrive (Docker
 * 20.10 sets none): the policy with "default": true serves. */
Test(docker, crun_takes_the_receiver_from_the_environment)
{
        struct cmd_result r;
        const char *id;

        start("crun", true);
        id = run(&(struct run){ .runtime = "crun",
                                .profile = eng_profile(&e, &d, "ctr", ENG_NO_LISTENER, NULL),
                                .script = PROBE_SCRIPT },
                 &r);
        assert_probe(&r, "3003", "can't create directory '/tmp/probe': Read-only file system");
        eng_assert_bound(&d, id, "fallback", NULL);
}
