/* Learn mode end to end: unotifyctl learn records real workloads through
 * a real daemon (its built-in policy "learn"), exports their profiles,
 * and the daemon then enforces them: the same workload runs with no
 * denial, one more call is exactly the one denied. Also merging two
 * recordings, the diff against a profile, and a hostile workload within
 * the recording's bounds. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define BUSYBOX "/bin/busybox"
#define PYTHON "/usr/bin/python3"
#define DOCKER_PROFILE \
        "/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json"
#define WORKLOAD "ls /; cat /etc/hostname; wget --help; date"

static const struct test_policy tiny[] = {
        { "tiny.json", "{\"defaultAction\": \"SCMP_ACT_ALLOW\", "
                       "\"learn\": {\"pathDepth\": 2, \"maxValues\": 4, \"maxPaths\": 32}}" },
        { NULL, NULL },
};

static struct test_daemon d;

static void setup(void)
{
        daemon_start(&d, tiny, false);
}

static void teardown(void)
{
        daemon_stop(&d);
}

TestSuite(learn, .init = setup, .fini = teardown, .timeout = 120);

static void need(const char *path)
{
        if (access(path, X_OK) != 0)
                cr_skip_test("%s is not installed", path);
}

static const char *in_dir(const char *name)
{
        static char bufs[8][512];
        static int next;
        char *b = bufs[next++ % 8];

        snprintf(b, 512, "%s/%s", d.dir, name);
        return b;
}

/* unotifyctl learn -s SOCKET -c CONTROL [opts] --out OUT -r REC -- argv. */
static void learn(const char *policy, const char *out, const char *rec, const char *const *cmd,
                  struct cmd_result *r)
{
        const char *argv[32] = { UNOTIFYCTL, "learn", "-s", d.socket, "-c", d.control, "--policy",
                                 policy,     "--out", out,  "-r",     rec,  "--keep",  "--" };
        size_t n = 14;

        for (size_t i = 0; cmd[i]; i++)
                argv[n++] = cmd[i];
        run_cmd(argv, 60000, r);
        cr_assert_eq(r->status, 0, "learn: %s%s", r->out, r->err);
}

/* unotifyctl learn VERB [args] > path. */
static void learn_file(const char *verb, const char *a1, const char *a2, const char *a3,
                       const char *path)
{
        const char *argv[] = { UNOTIFYCTL, "learn", verb, a1, a2, a3, NULL };
        struct cmd_result r;

        run_cmd(argv, 20000, &r);
        cr_assert_eq(r.status, 0, "learn %s: %s%s", verb, r.out, r.err);
        write_file(path, r.out);
}

static void check_strict(const char *dir)
{
        const char *argv[] = { UNOTIFYD, "-t", "--strict", "-p", dir, NULL };
        struct cmd_result r;

        run_cmd(argv, 20000, &r);
        cr_assert_eq(r.status, 0, "unotifyd -t --strict: %s%s", r.out, r.err);
}

/* Put the profile at src into the daemon's directory as NAME.json; reload. */
static void install(const char *src, const char *name)
{
        const char *reload[] = { UNOTIFYCTL, "reload", "--socket", d.control, NULL };
        char dst[512];
        const char *cp[] = { "/bin/cp", src, dst, NULL };
        struct cmd_result r;

        snprintf(dst, sizeof(dst), "%s/%s.json", d.policy_dir, name);
        run_cmd(cp, 5000, &r);
        cr_assert_eq(r.status, 0);
        run_cmd(reload, 10000, &r);
        cr_assert_eq(r.status, 0, "reload: %s%s", r.out, r.err);
}

static json_t *load(const char *path)
{
        json_error_t e;
        json_t *j = json_load_file(path, 0, &e);

        cr_assert_not_null(j, "%s: %s", path, e.text);
        return j;
}

Test(learn, busybox_recorded_exported_enforced)
{
        const char *cmd[] = { BUSYBOX, "sh", "-c", WORKLOAD, NULL };
        const char *more[] = { BUSYBOX, "sh", "-c", WORKLOAD "; mkdir /tmp/unotify-learn-x", NULL };
        struct cmd_result r;
        long long before;
        json_t *p;

        need(BUSYBOX);
        learn("learn", in_dir("bb.json"), in_dir("bb.rec"), cmd, &r);
        cr_assert(strstr(r.err, "Usage: wget"), "%s", r.err);
        p = load(in_dir("bb.json"));
        cr_assert_str_eq(json_string_value(json_object_get(p, "defaultAction")), "SCMP_ACT_ERRNO");
        json_decref(p);
        /* The profile alone passes the strict check. */
        mkdir(in_dir("strict"), 0700);
        learn_file("export", in_dir("bb.rec"), NULL, NULL, in_dir("strict/bb.json"));
        check_strict(in_dir("strict"));
        /* Enforced in the kernel: it runs; with mkdir, mkdir fails. */
        install(in_dir("bb.json"), "bb");
        run_sandboxed(&d, "bb", cmd, &r);
        cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
        cr_assert(strstr(r.err, "Usage: wget"));
        run_sandboxed(&d, "bb", more, &r);
        cr_assert_neq(r.status, 0);
        cr_assert(strstr(r.err,
                         "can't create directory '/tmp/unotify-learn-x': Operation not permitted"),
                  "%s", r.err);
        cr_assert_neq(access("/tmp/unotify-learn-x", F_OK), 0);
        /* With --audit the daemon answers the denials: none, then one. */
        learn_file("export", "--audit", in_dir("bb.rec"), NULL, in_dir("bba.json"));
        install(in_dir("bba.json"), "bba");
        before = daemon_stat(&d, "notifications_denied");
        run_sandboxed(&d, "bba", cmd, &r);
        cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
        cr_assert_eq(daemon_stat(&d, "notifications_denied"), before);
        run_sandboxed(&d, "bba", more, &r);
        cr_assert_neq(r.status, 0);
        cr_assert_eq(daemon_stat(&d, "notifications_denied"), before + 1);
        cr_assert(strstr(daemon_log(&d), " mkdir -> SCMP_ACT_ERRNO EPERM"), "%s", daemon_log(&d));
        cr_assert_neq(access("/tmp/unotify-learn-x", F_OK), 0);
}

Test(learn, python_runs_merged_and_replayed)
{
        const char *one[] = { PYTHON, "-c", "import json, socket; socket.socket()", NULL };
        const char *two[] = {
                PYTHON, "-c",
                "import os, subprocess; subprocess.run(['/bin/true']); "
                "os.mkdir('/tmp/unotify-learn-py'); os.rmdir('/tmp/unotify-learn-py')",
                NULL
        };
        struct cmd_result r;
        long long before;

        need(PYTHON);
        learn("learn", in_dir("p1.json"), in_dir("p1.rec"), one, &r);
        learn("learn", in_dir("p2.json"), in_dir("p2.rec"), two, &r);
        /* Each profile alone replays its own run without a denial. */
        learn_file("export", "--audit", in_dir("p1.rec"), NULL, in_dir("p1a.json"));
        install(in_dir("p1a.json"), "p1a");
        before = daemon_stat(&d, "notifications_denied");
        run_sandboxed(&d, "p1a", one, &r);
        cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
        cr_assert_eq(daemon_stat(&d, "notifications_denied"), before);
        /* ...and denies what only the other run did. */
        run_sandboxed(&d, "p1a", two, &r);
        cr_assert_neq(r.status, 0);
        cr_assert_gt(daemon_stat(&d, "notifications_denied"), before);
        /* Merged: both run, none denied. */
        learn_file("merge", in_dir("p1.rec"), in_dir("p2.rec"), NULL, in_dir("m.rec"));
        learn_file("export", "--audit", in_dir("m.rec"), NULL, in_dir("ma.json"));
        install(in_dir("ma.json"), "ma");
        before = daemon_stat(&d, "notifications_denied");
        run_sandboxed(&d, "ma", one, &r);
        cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
        run_sandboxed(&d, "ma", two, &r);
        cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
        cr_assert_eq(daemon_stat(&d, "notifications_denied"), before);
}

Test(learn, diff_against_own_and_docker_profile)
{
        const char *cmd[] = { BUSYBOX, "sh", "-c", WORKLOAD, NULL };
        const char *own[] = { UNOTIFYCTL, "learn", "diff", "--json", NULL, NULL, NULL };
        struct cmd_result r;
        json_t *j;

        need(BUSYBOX);
        learn("learn", in_dir("bb.json"), in_dir("bb.rec"), cmd, &r);
        /* Its own profile: nothing denied, nothing unused. */
        own[4] = in_dir("bb.rec");
        own[5] = in_dir("bb.json");
        run_cmd(own, 20000, &r);
        cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
        j = json_loads(r.out, 0, NULL);
        cr_assert_eq(json_array_size(json_object_get(j, "denied")), 0, "%s", r.out);
        cr_assert_eq(json_array_size(json_object_get(j, "unused")), 0, "%s", r.out);
        json_decref(j);
        if (access(DOCKER_PROFILE, R_OK) != 0)
                cr_skip_test("Docker's profile is not installed (golang-github-docker-docker-dev)");
        /* Docker's: hundreds of names this workload never used. */
        own[3] = in_dir("bb.rec");
        own[4] = DOCKER_PROFILE;
        own[5] = NULL;
        run_cmd(own, 20000, &r);
        cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
        cr_assert(strstr(r.out, "would deny 0 recorded calls"), "%s", r.out);
        cr_assert(strstr(r.out, "  accept4\n"), "%s", r.out);
        cr_assert(strstr(r.out, "  io_uring_setup\n"), "%s", r.out);
        cr_assert_null(strstr(r.out, "  execve\n"), "%s", r.out);
}

static long rss_kib(pid_t pid)
{
        char path[64], line[256];
        long kib = -1;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        f = fopen(path, "re");
        cr_assert_not_null(f);
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
                        break;
        fclose(f);
        return kib;
}

Test(learn, hostile_workload_stays_within_bounds)
{
        /* 4000 distinct paths (test -e stats each), and a fork loop of 300
         * processes, each started when the last has ended: a SIGCHLD that
         * comes while a fork waits to be received fails that fork with EINTR
         * (docs/learn.md), which a stress test of background jobs shows. */
        const char *cmd[] = { BUSYBOX, "sh", "-c",
                              "i=0; while [ $i -lt 4000 ]; do [ -e /tmp/nope/$i/f$i ]; "
                              "i=$((i+1)); done; i=0; while [ $i -lt 300 ]; do "
                              "/bin/busybox true; i=$((i+1)); done",
                              NULL };
        struct cmd_result r;
        long rss = rss_kib(d.pid);
        json_t *rec, *g;
        size_t i, exact = 0, prefix = 0;

        need(BUSYBOX);
        learn("tiny", in_dir("h.json"), in_dir("h.rec"), cmd, &r);
        rec = load(in_dir("h.rec"));
        cr_assert_gt(
                json_integer_value(json_object_get(json_object_get(rec, "capped"), "pathsFolded")),
                3000, "%s", r.err);
        json_array_foreach(json_object_get(rec, "paths"), i, g) {
                exact += json_array_size(json_object_get(g, "exact"));
                prefix += json_array_size(json_object_get(g, "prefix"));
        }
        cr_assert_leq(exact, 32);
        cr_assert_leq(prefix, 32);
        cr_assert(strstr(r.err, "paths folded to prefixes"), "%s", r.err);
        json_decref(rec);
        /* What the daemon keeps of it is within the bound docs/learn.md
         * gives for these limits: 13 x 4 values, 2 x 32 paths of at most
         * 1 KiB, a table of 128 slots. */
        {
                const char *argv[] = {
                        UNOTIFYCTL, "learn", "list", "--json", "-c", d.control, NULL
                };
                json_t *list, *v;
                size_t k;
                bool found = false;

                run_cmd(argv, 10000, &r);
                cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
                list = json_loads(r.out, 0, NULL);
                json_array_foreach(json_object_get(list, "recordings"), k, v)
                        if (strcmp(json_string_value(json_object_get(v, "policy")), "tiny") == 0) {
                                found = true;
                                cr_assert_lt(json_integer_value(json_object_get(v, "bytes")),
                                             4096 + 13 * 4 * 8 + 64 * 1025 + 128 * 16, "%s", r.out);
                        }
                cr_assert(found, "%s", r.out);
                json_decref(list);
        }
#if !defined(__SANITIZE_ADDRESS__) /* ASan keeps freed memory in quarantine */
        cr_assert_lt(rss_kib(d.pid) - rss, 8 * 1024, "VmRSS %ld -> %ld kB", rss, rss_kib(d.pid));
#else
        (void)rss;
#endif
        /* Still a valid profile, strict. */
        mkdir(in_dir("strict"), 0700);
        learn_file("export", in_dir("h.rec"), NULL, NULL, in_dir("strict/h.json"));
        check_strict(in_dir("strict"));
}

Test(learn, path_rules_open_only_what_was_opened)
{
        const char *cmd[] = { BUSYBOX, "sh", "-c", WORKLOAD, NULL };
        const char *other[] = { BUSYBOX, "sh", "-c", WORKLOAD "; cat /etc/passwd", NULL };
        struct cmd_result r;

        need(BUSYBOX);
        learn("learn", in_dir("bb.json"), in_dir("bb.rec"), cmd, &r);
        mkdir(in_dir("strict"), 0700);
        learn_file("export", "--paths", in_dir("bb.rec"), NULL, in_dir("strict/bbp.json"));
        check_strict(in_dir("strict"));
        install(in_dir("strict/bbp.json"), "bbp");
        /* The daemon opens /etc/hostname for cat (the open handler)... */
        run_sandboxed(&d, "bbp", cmd, &r);
        cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
        cr_assert(strstr(r.err, "Usage: wget"), "%s", r.err);
        /* ...and refuses a file the recording never opened. */
        run_sandboxed(&d, "bbp", other, &r);
        cr_assert_neq(r.status, 0);
        cr_assert(strstr(r.err, "cat: can't open '/etc/passwd': Permission denied"), "%s", r.err);
}

/* A recording whose listener still runs: listed as live, and saved
 * without ending it. */
Test(learn, live_recording_listed_and_saved)
{
        const char *list[] = { UNOTIFYCTL, "learn", "list", "--json", "-c", d.control, NULL };
        const char *save[] = { UNOTIFYCTL, "learn", "save", "-c", d.control, "live1", NULL };
        struct cmd_result r;
        json_t *j = NULL, *v;
        size_t i;
        bool live = false;
        int status;
        pid_t pid;

        need(BUSYBOX);
        pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                execl(UNOTIFY_RUN, UNOTIFY_RUN, "--socket", d.socket, "--policy", "learn",
                      "--metadata", "unotify.learn=live1", "--", BUSYBOX, "sleep", "30",
                      (char *)NULL);
                _exit(127);
        }
        for (int tries = 0; tries < 100 && !live; tries++) {
                usleep(50000);
                run_cmd(list, 10000, &r);
                cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
                json_decref(j);
                j = json_loads(r.out, 0, NULL);
                json_array_foreach(json_object_get(j, "recordings"), i, v)
                        live = live || (strcmp(json_string_value(json_object_get(v, "name")),
                                               "live1") == 0 &&
                                        json_integer_value(json_object_get(v, "live")) == 1 &&
                                        json_integer_value(json_object_get(v, "listeners")) == 0);
        }
        json_decref(j);
        cr_assert(live, "%s", r.out);
        run_cmd(save, 10000, &r);
        cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
        j = json_loads(r.out, 0, NULL);
        cr_assert(json_integer_value(json_object_get(j, "notifications")) > 0, "%s", r.out);
        cr_assert_eq(json_integer_value(json_object_get(j, "listeners")), 1, "%s", r.out);
        json_decref(j);
        kill(pid, SIGTERM);
        cr_assert_eq(waitpid(pid, &status, 0), pid);
}
