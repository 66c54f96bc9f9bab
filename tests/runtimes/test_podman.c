/* podman (Debian 12: 4.3.1) running busybox containers with crun and with
 * runc, whose listeners go to a real unotifyd: the profile given with
 * `--security-opt seccomp=FILE` is `unotifyctl export-oci`'s section, so
 * its listenerPath/listenerMetadata reach the runtime; with crun the
 * socket can also come from the `run.oci.seccomp.receiver` annotation.
 * podman keeps all its state in the test's scratch dir. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"

#define IMAGE "localhost/unotify-busybox"

/* clang-format off */
/* mkdir and mkdirat fail with ERRNO; getppid returns VAL. */
#define POLICY(name, select, errno_, val)                                                          \
        "{\"name\":\"" name "\"," select "\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["     \
        "{\"names\":[\"mkdir\",\"mkdirat\"],\"notify\":true,\"action\":\"SCMP_ACT_ERRNO\","        \
        "\"errnoRet\":\"" errno_ "\"},"                                                            \
        "{\"names\":[\"getppid\"],\"notify\":true,\"action\":\"UNOTIFY_ACT_RETURN\","              \
        "\"returnValue\":" #val "}]}"
#define SELECT_PROFILE(v) "\"select\":{\"annotations\":{\"unotify.example/profile\":\"" v "\"}},"
/* Every open and openat emulated (the open handler), /etc/motd read from
 * the host file %s instead. runc init's reopen of its exec FIFO through
 * /proc/self/fd/N is emulated too (a magic link of its own). */
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

/* mkdir's status and $PPID (busybox sh asks getppid(2) at start). */
#define PROBE_SCRIPT "mkdir /tmp/probe; echo mkdir=$?; echo ppid=$PPID"

static struct engine e;
static struct test_daemon d;
static bool daemon_up;
static char names[8][64];
static size_t n_names;

static void fini(void)
{
        struct cmd_result r;

        for (size_t i = 0; i < n_names; i++)
                eng_cmd(&e, (const char *const[]){ "rm", "-f", "-t", "0", names[i], NULL }, &r);
        n_names = 0;
        if (daemon_up)
                daemon_stop(&d);
        daemon_up = false;
        eng_cleanup(&e);
}

/* podman with every path of its own in the scratch dir; no network (none
 * is needed, and it keeps netavark/CNI out); vfs storage, which works on
 * any filesystem (overlay does not on an overlay root). */
static void podman_init(const char *runtime)
{
        char proof[400];
        const char *dir;
        struct cmd_result r;

        eng_init(&e, "podman", "podman", runtime);
        dir = e.rt.dir;
        eng_opt(&e, "--root=%s/pm-root", dir);
        eng_opt(&e, "--runroot=%s/pm-run", dir);
        eng_opt(&e, "--tmpdir=%s/pm-tmp", dir);
        eng_opt(&e, "--volumepath=%s/pm-volumes", dir);
        eng_opt(&e, "--network-config-dir=%s/pm-net", dir);
        eng_opt(&e, "--storage-driver=vfs");
        eng_opt(&e, "--cgroup-manager=cgroupfs");
        eng_opt(&e, "--events-backend=none");
        eng_opt(&e, "--runtime=%s", e.rt.rt.path);
        snprintf(proof, sizeof(proof), "%s/unotify-proof", e.rt.rootfs);
        write_file(proof, "only in the image\n");
        eng_cmd(&e, (const char *const[]){ "import", eng_rootfs_tar(&e), IMAGE, NULL }, &r);
        cr_assert_eq(r.status, 0, "podman import: %s", r.err);
}

static void start(const char *runtime, const struct test_policy *set)
{
        podman_init(runtime);
        daemon_start(&d, set, false);
        daemon_up = true;
}

struct run {
        const char *profile;
        const char *const *annotations; /* "k=v", ..., NULL */
        bool nnp;                       /* --security-opt no-new-privileges */
        bool detach;
        const char *script; /* sh -c SCRIPT; NULL: sleep 60 */
};

/* `podman run`; returns the container's id (what the daemon logs). */
static const char *run(const struct run *c, struct cmd_result *r)
{
        static char id[80];
        char seccomp[500], cidfile[400], *name = names[n_names];
        const char *argv[40] = { "run", "--network=none", "--cidfile", cidfile };
        size_t n = 4;
        FILE *f;

        cr_assert_lt(n_names, sizeof(names) / sizeof(names[0]));
        snprintf(name, sizeof(names[0]), "unotify-pm-%d-%zu", (int)getpid(), n_names++);
        snprintf(cidfile, sizeof(cidfile), "%s/%s.cid", e.rt.dir, name);
        snprintf(seccomp, sizeof(seccomp), "seccomp=%s", c->profile);
        argv[n++] = "--name";
        argv[n++] = name;
        argv[n++] = c->detach ? "-d" : "--rm";
        /* Rootful podman raises RLIMIT_NOFILE and RLIMIT_NPROC to 1048576;
         * a root without CAP_SYS_RESOURCE (this machine's) cannot go past
         * its hard limits, and runc and crun fail with EPERM. */
        argv[n++] = "--ulimit=nofile=1024:1024";
        argv[n++] = "--ulimit=nproc=1024:1024";
        argv[n++] = "--security-opt";
        argv[n++] = seccomp;
        if (c->nnp)
                argv[n++] = "--security-opt=no-new-privileges";
        for (size_t i = 0; c->annotations && c->annotations[i]; i++) {
                argv[n++] = "--annotation";
                argv[n++] = c->annotations[i];
        }
        argv[n++] = IMAGE;
        if (c->script) {
                argv[n++] = "sh";
                argv[n++] = "-c";
                argv[n++] = c->script;
        } else {
                argv[n++] = "sleep";
                argv[n++] = "60";
        }
        argv[n] = NULL;
        eng_cmd(&e, argv, r);
        f = fopen(cidfile, "re");
        id[0] = '\0';
        if (f) {
                cr_assert_not_null(fgets(id, sizeof(id), f));
                fclose(f);
        }
        return id;
}

/* The container's output and the daemon's answers for a PROBE_SCRIPT run. */
static void assert_probe(const struct cmd_result *r, const char *ppid, const char *error)
{
        char want[64];

        cr_assert_eq(r->status, 0, "podman run: %d\n%s\n%s\n%s", r->status, r->out, r->err,
                     daemon_log(&d));
        snprintf(want, sizeof(want), "mkdir=1\nppid=%s\n", ppid);
        cr_assert_str_eq(r->out, want, "stderr: %s", r->err);
        eng_assert_contains(r->err, error, "stderr");
}

/* ---- the cases ---- */

/* runc needs no-new-privileges whenever getppid is answered: podman's
 * default ("noNewPrivileges": false) has runc load the filter before it
 * checks getppid() against its parent, and kill the container. */
static void profile_names_the_policy(const char *runtime)
{
        struct cmd_result r;
        const char *id;

        start(runtime, policies);
        id = run(&(struct run){ .profile = eng_profile(&e, &d, "ctr", ENG_AS_EXPORTED, NULL),
                                .nnp = !strcmp(runtime, "runc"),
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

/* The profile without listenerPath or metadata: crun takes the socket
 * from the annotation, the daemon the policy from another annotation. */
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
                cr_assert_neq(r.status, 0);
                cr_assert_str_eq(r.out, "");
                eng_assert_contains(r.err, "listenerPath is not set", "stderr");
                cr_assert_eq(daemon_stat(&d, "listeners_added"), 0);
                return;
        }
        assert_probe(&r, "2001", "can't create directory '/tmp/probe': Read-only file system");
        eng_assert_bound(&d, id, "web", "selected by \"select\" of \"web\"");
        eng_assert_contains(daemon_log(&d), "annotations io.container.manager=libpod ",
                            "daemon log");
}

/* `podman exec` hands over a second listener of the same container id,
 * which gets the same policy. */
static void exec_joins(const char *runtime)
{
        struct cmd_result r;
        char needle[128];
        const char *id;

        start(runtime, policies);
        id = run(&(struct run){ .profile = eng_profile(&e, &d, "ctr", ENG_AS_EXPORTED, NULL),
                                .nnp = !strcmp(runtime, "runc"),
                                .detach = true },
                 &r);
        cr_assert_eq(r.status, 0, "podman run -d: %s", r.err);
        eng_cmd(&e, (const char *const[]){ "exec", names[0], "sh", "-c", PROBE_SCRIPT, NULL }, &r);
        assert_probe(&r, "4242", "Operation not permitted");
        snprintf(needle, sizeof(needle), ": container %s pid ", id);
        cr_assert_eq(eng_count(daemon_log(&d), needle), 2, "run and exec:\n%s", daemon_log(&d));
        cr_assert_eq(eng_count(daemon_log(&d), " policy ctr (named by metadata;"), 2);
        cr_assert_eq(daemon_stat(&d, "listeners_added"), 2);
}

/* Opens done by the daemon in the container's root (the image's file,
 * a create in the container's /tmp) and the admin's file for /etc/motd. */
static void emulated_open(const char *runtime)
{
        static const char script[] = "cat /unotify-proof; echo proof=$?; "
                                     "echo made >/tmp/made; cat /tmp/made; cat /etc/motd";
        char json[1024], motd[400];
        struct test_policy set[] = { { "emulate.json", json }, {} };
        struct cmd_result r;

        podman_init(runtime);
        snprintf(motd, sizeof(motd), "%s/motd.host", e.rt.dir);
        write_file(motd, "the admin's motd\n");
        snprintf(json, sizeof(json), EMULATE_POLICY, motd);
        daemon_start(&d, set, false);
        daemon_up = true;
        /* podman's default "noNewPrivileges": false: runc loads the
         * filter early and opens more of its own files (its exec FIFO and
         * /proc/self/fd/N among them) through the handler. */
        run(&(struct run){ .profile = eng_profile(&e, &d, "emulate", ENG_AS_EXPORTED, NULL),
                           .script = script },
            &r);
        cr_assert_eq(r.status, 0, "%s\n%s", r.err, daemon_log(&d));
        cr_assert_str_eq(r.out, "only in the image\nproof=0\nmade\nthe admin's motd\n",
                         "stderr: %s\n%s", r.err, daemon_log(&d));
        cr_assert_geq(eng_count(daemon_log(&d), "openat -> UNOTIFY_ACT_EMULATE open: fd "), 4, "%s",
                      daemon_log(&d));
        cr_assert_eq(eng_count(daemon_log(&d), "ELOOP"), 0, "%s", daemon_log(&d));
}

/* No daemon behind listenerPath (or the annotation): no socket file, or
 * a socket nobody listens on. The runtime refuses to start the container
 * and podman passes its message on; for the missing file podman takes the
 * runtime's "no such file or directory" for a missing command (exit 127,
 * "OCI runtime attempted to invoke a command that was not found"). */
static void daemon_down(const char *runtime, bool annotation, const char *before,
                        const char *missing, const char *refused)
{
        char path[2][300], receiver[700], want[1400];
        const char *ann[] = { receiver, NULL };

        start(runtime, policies);
        snprintf(path[0], sizeof(path[0]), "%s/nobody.sock", d.dir);
        snprintf(path[1], sizeof(path[1]), "%s/deaf.sock", d.dir);
        close(bound_socket(path[1])); /* bound, never listened on, closed */
        for (int i = 0; i < 2; i++) {
                struct cmd_result r;
                const char *profile = annotation
                                              ? eng_profile(&e, &d, "web", ENG_NO_LISTENER, NULL)
                                              : eng_profile(&e, &d, "ctr", ENG_OTHER_PATH, path[i]);

                snprintf(receiver, sizeof(receiver), "run.oci.seccomp.receiver=%s", path[i]);
                run(&(struct run){ .profile = profile,
                                   .annotations = annotation ? ann : NULL,
                                   .script = "echo ran" },
                    &r);
                cr_assert_eq(r.status, i ? 126 : 127, "podman run: %d %s", r.status, r.err);
                cr_assert_str_eq(r.out, "");
                snprintf(want, sizeof(want), "%s%s%s", before, path[i], i ? refused : missing);
                eng_assert_contains(r.err, want, "stderr");
        }
        cr_assert_eq(daemon_stat(&d, "listeners_added"), 0);
}

TestSuite(podman, .fini = fini, .timeout = 90);

Test(podman, crun_profile_names_the_policy)
{
        profile_names_the_policy("crun");
}
Test(podman, runc_profile_names_the_policy)
{
        profile_names_the_policy("runc");
}
Test(podman, crun_takes_the_receiver_annotation)
{
        receiver_annotation("crun", true);
}
Test(podman, runc_refuses_the_receiver_annotation)
{
        receiver_annotation("runc", false);
}
Test(podman, crun_exec_joins_the_container)
{
        exec_joins("crun");
}
Test(podman, runc_exec_joins_the_container)
{
        exec_joins("runc");
}
Test(podman, crun_emulates_open)
{
        emulated_open("crun");
}
Test(podman, runc_emulates_open)
{
        emulated_open("runc");
}
Test(podman, crun_without_daemon_fails_clearly)
{
        daemon_down("crun", false, "crun: open seccomp receiver: connect socket to `",
                    "`: No such file or directory: OCI runtime attempted to invoke a command "
                    "that was not found",
                    "`: Connection refused");
}
Test(podman, crun_without_daemon_behind_the_annotation_fails_clearly)
{
        daemon_down("crun", true, "crun: open seccomp receiver: connect socket to `",
                    "`: No such file or directory: OCI runtime attempted to invoke a command "
                    "that was not found",
                    "`: Connection refused");
}
Test(podman, runc_without_daemon_fails_clearly)
{
        daemon_down("runc", false,
                    "runc create failed: unable to start container process: failed to connect "
                    "with seccomp agent specified in the seccomp profile: dial unix ",
                    ": connect: no such file or directory: OCI runtime attempted to invoke a "
                    "command that was not found",
                    ": connect: connection refused");
}
