/* The handoff socket against runtimes and against bad peers, the daemon's
 * lifecycle (reload, targets dying mid-call), and a valgrind run. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "policies.h"
#include "rawclient.h"
#include "unotify/unotify.h"

static struct test_daemon d;

static void setup(void)
{
        daemon_start(&d, standard_policies, false);
}

static void teardown(void)
{
        daemon_stop(&d);
}

#define STATE_WITH(meta)                                                                         \
        "{\"ociVersion\":\"1.0.2\",\"fds\":[\"seccompFd\"],\"pid\":1," meta                      \
        "\"state\":{\"ociVersion\":\"1.0.2\",\"id\":\"raw\",\"status\":\"creating\",\"bundle\":" \
        "\"/\"}}"

TestSuite(handoff, .init = setup, .fini = teardown, .timeout = 60);

Test(handoff, runtime_style_handoff_binds_the_named_policy)
{
        char path[400];
        const char *rep;

        snprintf(path, sizeof(path), "%s/x", d.dir);
        rep = filtered_child_handoff(d.socket, "demo", 0, path);
        cr_assert_str_eq(rep, "handoff=0 ok=1 error=\nmkdir=Operation not permitted\n");
}

/* The harness closes its NOTIFY_SOCKET after READY=1, as the bench and
 * some launchers do: one warning, not one per listener handed over. */
Test(handoff, a_notify_socket_nobody_reads_is_reported_once)
{
        const char *log;
        const char *first;

        for (int i = 0; i < 3; i++) {
                struct cmd_result r;

                run_sandboxed(&d, "demo", (const char *[]){ PROBE, "uname", NULL }, &r);
                cr_assert_eq(r.status, 0, "stderr: %s", r.err);
        }
        log = daemon_log(&d);
        first = strstr(log, "nobody reads NOTIFY_SOCKET any more");
        cr_assert_not_null(first, "%s", log);
        cr_expect_null(strstr(first + 1, "nobody reads NOTIFY_SOCKET"), "%s", log);
        cr_expect_null(strstr(log, "cannot put listener"), "%s", log);
}

Test(handoff, unknown_policy_fails_closed)
{
        char path[400];
        const char *rep;

        snprintf(path, sizeof(path), "%s/x", d.dir);
        rep = filtered_child_handoff(d.socket, "nope", 0, path);
        cr_assert(strstr(rep, "handoff=-121 ok=0 error=unknown policy \"nope\" (named by "
                              "metadata); the listener is "
                              "served by deny-all\n"),
                  "%s", rep);
        cr_assert(strstr(rep, "mkdir=Operation not permitted\n"), "%s", rep);
        rep = filtered_child_handoff(d.socket, NULL, 0, path);
        cr_assert(strstr(rep,
                         "error=no policy selects this listener, none has \"default\": true, and "
                         "there is no policy \"default\"; the listener is served by deny-all"),
                  "%s", rep);
        cr_assert(strstr(rep, "mkdir=Operation not permitted\n"), "%s", rep);
}

Test(handoff, filter_built_from_another_policy_version_is_refused)
{
        char path[400];
        const char *rep;

        snprintf(path, sizeof(path), "%s/x", d.dir);
        rep = filtered_child_handoff(d.socket, "demo", 0x1234, path);
        cr_assert(strstr(rep, "ok=0 error=policy \"demo\" changed since the filter was built"),
                  "%s", rep);
        cr_assert(strstr(rep, "mkdir=Operation not permitted\n"), "%s", rep);
}

Test(handoff, query_describes_a_policy)
{
        struct unotify_reply r;

        cr_assert_eq(unotify_query_policy(d.socket, "demo", &r), 0, "%s", r.error ? r.error : "");
        cr_assert_eq(r.n_syscalls, 3);
        cr_assert_str_eq(r.syscalls[0], "mkdir");
        cr_assert_str_eq(r.syscalls[1], "mkdirat");
        cr_assert_str_eq(r.syscalls[2], "uname");
        cr_assert_neq(r.digest, 0);
        unotify_reply_clear(&r);
        cr_assert_eq(unotify_query_policy(d.socket, "nope", &r), -EREMOTEIO);
        cr_assert(strstr(r.error, "unknown policy \"nope\""), "%s", r.error);
        unotify_reply_clear(&r);
}

struct bad_peer {
        const char *name;
        const char *data;
        int n_pipes; /* pipe read ends sent as fds */
        const char *reply;
};

static const struct bad_peer bad_peers[] = {
        { "garbage", "garbage\n", 0, "not a JSON object" },
        { "array", "[1,2]", 0, "not a JSON object" },
        { "broken JSON", "{\"a\":}", 0, "not valid JSON" },
        { "trailing data", "{\"a\":1} x", 0, "unexpected data after the JSON value" },
        { "missing fd", STATE_WITH(""), 0, "\\\"fds\\\" names 1 fds but 0 were received" },
        { "pipe as listener", STATE_WITH(""), 1,
          "the \\\"seccompFd\\\" fd is not a seccomp listener" },
        { "crun pretty JSON, pipe as listener",
          "{\n  \"ociVersion\": \"1.0.0\",\n  \"fds\": [\n    \"seccompFd\"\n  ],\n  \"pid\": 0,\n"
          "  \"state\": {\n    \"id\": \"c\",\n    \"pid\": 0,\n    \"bundle\": \".\"\n  }\n}\n",
          1, "is not a seccomp listener" },
        { "too many fds", STATE_WITH(""), 9, "more than 8 fds" },
        { "bad metadata", STATE_WITH("\"metadata\":\"policy\","), 1, "is not KEY=VALUE" },
        { "query with fds", "{\"unotifyQuery\":\"policy\",\"policy\":\"demo\"}", 1,
          "a query carries no fds" },
};

static void send_bad_peer(const struct bad_peer *b)
{
        int fds[16] = { 0 }, n = 0;
        const char *reply;

        for (int i = 0; i < b->n_pipes; i++) {
                int p[2];

                cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
                fds[n++] = p[0];
                close(p[1]);
        }
        reply = raw_exchange(d.socket, b->data, fds, (size_t)n);
        for (int i = 0; i < n; i++)
                close(fds[i]);
        cr_assert(strncmp(reply, "{\"ok\": false", 12) == 0 ||
                          strncmp(reply, "{\"ok\":false", 11) == 0,
                  "%s: %s", b->name, reply);
        cr_assert(strstr(reply, b->reply), "%s: got %s", b->name, reply);
}

Test(handoff, bad_peers_get_an_error_and_leak_nothing)
{
        int baseline = count_fds(d.pid);
        char path[400];

        for (size_t i = 0; i < sizeof(bad_peers) / sizeof(bad_peers[0]); i++)
                send_bad_peer(&bad_peers[i]);
        cr_assert_eq(wait_fd_count(d.pid, baseline, 5000), baseline, "fds leaked: %s",
                     daemon_log(&d));
        snprintf(path, sizeof(path), "%s/x", d.dir);
        cr_assert_str_eq(filtered_child_handoff(d.socket, "demo", 0, path),
                         "handoff=0 ok=1 error=\nmkdir=Operation not permitted\n");
}

Test(handoff, oversized_half_sent_and_abandoned_messages)
{
        static char big[UNOTIFY_HANDOFF_MAX_MESSAGE + 4096];
        int baseline = count_fds(d.pid);
        int fd;

        /* Larger than the cap and never complete. */
        memset(big, 'x', sizeof(big));
        memcpy(big, "{\"a\":\"", 6);
        fd = raw_connect(d.socket);
        raw_send(fd, big, sizeof(big), NULL, 0);
        cr_assert(strstr(raw_reply(fd, 10000), "message longer than 262144 bytes"));
        close(fd);

        /* Half a message, then the peer goes away. */
        fd = raw_connect(d.socket);
        raw_send(fd, "{\"ociVersion\":", 14, NULL, 0);
        close(fd);

        cr_assert_eq(wait_fd_count(d.pid, baseline, 5000), baseline, "fds leaked: %s",
                     daemon_log(&d));
}

Test(handoff, a_stalled_sender_times_out, .timeout = 30)
{
        int fd = raw_connect(d.socket);
        struct timespec a, b;
        const char *reply;

        clock_gettime(CLOCK_MONOTONIC, &a);
        raw_send(fd, "{\"ociVersion\":", 14, NULL, 0);
        reply = raw_reply(fd, 20000);
        clock_gettime(CLOCK_MONOTONIC, &b);
        cr_assert(strstr(reply, "no complete message within 5000 ms (14 bytes received)"), "%s",
                  reply);
        cr_assert_geq(b.tv_sec - a.tv_sec, 4, "the timeout fired too early");
        close(fd);
}

static void wait_log(const char *needle, int timeout_ms)
{
        for (int waited = 0; !strstr(daemon_log(&d), needle); waited += 10) {
                cr_assert_lt(waited, timeout_ms, "no \"%s\" in the log: %s", needle,
                             daemon_log(&d));
                poll(NULL, 0, 10);
        }
}

static const char *sandboxed_mkdir(void)
{
        static struct cmd_result r;
        char path[400];

        snprintf(path, sizeof(path), "%s/x", d.dir);
        run_sandboxed(&d, "demo", (const char *[]){ PROBE, "mkdir", path, NULL }, &r);
        cr_assert_eq(r.status, 0, "%s", r.err);
        return r.out;
}

Test(handoff, sighup_reloads_and_a_bad_reload_keeps_the_old_policies)
{
        char path[400];

        cr_assert_str_eq(sandboxed_mkdir(), "mkdir: EPERM\n");
        snprintf(path, sizeof(path), "%s/demo.json", d.policy_dir);
        write_file(path, "{\"name\":\"demo\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                         "{\"names\":[\"mkdir\",\"mkdirat\"],\"notify\":true,\"action\":\"SCMP_ACT_"
                         "ERRNO\",\"errnoRet\":\"EACCES\"},"
                         "{\"names\":[\"uname\"],\"notify\":true,\"action\":\"SCMP_ACT_ALLOW\"}]}");
        cr_assert_eq(kill(d.pid, SIGHUP), 0);
        wait_log("3 policies loaded", 5000);
        cr_assert_str_eq(sandboxed_mkdir(), "mkdir: EACCES\n");

        write_file(path, "{\"name\":\"demo\", broken");
        cr_assert_eq(kill(d.pid, SIGHUP), 0);
        wait_log("reload failed", 5000);
        cr_assert_str_eq(sandboxed_mkdir(), "mkdir: EACCES\n");
}

/* Spawn unotify-run -- probe block PATH with pipes on stdin and stdout. */
static pid_t spawn_blocking_probe(const char *path, int *in, int *out)
{
        int pin[2], pout[2];
        pid_t pid;

        cr_assert_eq(pipe2(pin, O_CLOEXEC), 0);
        cr_assert_eq(pipe2(pout, O_CLOEXEC), 0);
        pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                dup2(pin[0], STDIN_FILENO);
                dup2(pout[1], STDOUT_FILENO);
                execl(UNOTIFY_RUN, UNOTIFY_RUN, "--socket", d.socket, "--policy", "demo", "--",
                      PROBE, "block", path, NULL);
                _exit(127);
        }
        close(pin[0]);
        close(pout[1]);
        *in = pin[1];
        *out = pout[0];
        return pid;
}

Test(handoff, target_killed_while_its_notification_is_pending)
{
        int baseline = count_fds(d.pid), in, out, status, probe_pid = 0;
        char path[400], line[64] = "";
        FILE *f;
        pid_t run;

        snprintf(path, sizeof(path), "%s/x", d.dir);
        run = spawn_blocking_probe(path, &in, &out);
        f = fdopen(out, "r");
        cr_assert(fgets(line, sizeof(line), f) && sscanf(line, "ready %d", &probe_pid) == 1,
                  "got %s", line);

        /* With the daemon stopped the notification can only wait. */
        cr_assert_eq(kill(d.pid, SIGSTOP), 0);
        cr_assert_eq(write(in, "\n", 1), 1);
        wait_parked_in_mkdir(probe_pid);
        cr_assert_eq(kill(probe_pid, SIGKILL), 0);
        cr_assert_eq(waitpid(run, &status, 0), run);
        cr_assert_eq(kill(d.pid, SIGCONT), 0);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGKILL, "status 0x%x", status);
        fclose(f);
        close(in);

        cr_assert_eq(wait_fd_count(d.pid, baseline, 5000), baseline, "fds leaked: %s",
                     daemon_log(&d));
        cr_assert_str_eq(sandboxed_mkdir(), "mkdir: EPERM\n");
}

/* The same daemon under valgrind: every path above once, and a clean exit
 * (valgrind's --error-exitcode turns any error or leak into a failure). */
Test(valgrind, daemon_is_clean, .timeout = 240)
{
        char path[400];
        struct cmd_result r;

        skip_unless_valgrind_runs();
        daemon_start(&d, standard_policies, true);
        snprintf(path, sizeof(path), "%s/x", d.dir);
        run_sandboxed(&d, "demo", (const char *[]){ PROBE, "mkdir", path, NULL }, &r);
        cr_assert_str_eq(r.out, "mkdir: EPERM\n", "%s", r.err);
        run_sandboxed(&d, "launcher", (const char *[]){ "/bin/echo", "hi", NULL }, &r);
        cr_assert_str_eq(r.out, "hi\n", "%s", r.err);
        run_sandboxed(&d, "nope", (const char *[]){ "/bin/true", NULL }, &r);
        cr_assert_eq(r.status, 78);
        cr_assert(strstr(filtered_child_handoff(d.socket, "nope", 0, path),
                         "mkdir=Operation not permitted"));
        for (size_t i = 0; i < sizeof(bad_peers) / sizeof(bad_peers[0]); i++)
                send_bad_peer(&bad_peers[i]);
        cr_assert_eq(kill(d.pid, SIGHUP), 0);
        wait_log("3 policies loaded", 30000);
        daemon_stop(&d);
}

/* Reloads while a multi-threaded target hammers the daemon: every call is
 * answered exactly once, by the policy the listener was given at handoff
 * (a reload changes what new listeners get, not running ones). */
Test(handoff, reload_under_load_loses_nothing_and_keeps_the_bound_policy, .timeout = 120)
{
        char path[400], dir[400];
        struct cmd_result r;
        pid_t hupper;

        snprintf(path, sizeof(path), "%s/demo.json", d.policy_dir);
        snprintf(dir, sizeof(dir), "%s/t", d.dir);
        hupper = fork();
        cr_assert_geq(hupper, 0);
        if (hupper == 0) {
                /* Flip the policy and reload, over and over, while the target runs. */
                for (int i = 0; i < 50; i++) {
                        FILE *f = fopen(path, "we");

                        if (f) {
                                fprintf(f,
                                        "{\"name\":\"demo\",\"defaultAction\":\"SCMP_ACT_ALLOW\","
                                        "\"syscalls\":"
                                        "[{\"names\":[\"mkdir\",\"mkdirat\"],\"notify\":true,"
                                        "\"action\":\"SCMP_ACT_ERRNO\","
                                        "\"errnoRet\":\"%s\"},{\"names\":[\"uname\"],\"action\":"
                                        "\"SCMP_ACT_ALLOW\"}]}",
                                        i % 2 ? "EPERM" : "EACCES");
                                fclose(f);
                        }
                        kill(d.pid, SIGHUP);
                        usleep(20000);
                }
                _exit(0);
        }
        run_sandboxed(&d, "demo", (const char *[]){ PROBE, "threads", "4", "2000", dir, NULL }, &r);
        cr_assert_eq(waitpid(hupper, NULL, 0), hupper);
        cr_assert_eq(r.status, 0, "%s", r.err);
        /* Whichever version was in force at handoff answers all 8000
         * (EACCES counts as "other"); a mix would mean a listener changed
         * policy mid-run, a shortfall a lost notification. */
        cr_assert(!strcmp(r.out, "threads: ok 0 EPERM 8000 other 0\n") ||
                          !strcmp(r.out, "threads: ok 0 EPERM 0 other 8000\n"),
                  "got %s", r.out);
        daemon_stop(&d);
        cr_assert(strstr(daemon_last_log(), "reloading policies"), "no reload happened");
        /* The launcher's own notified calls are none here: demo notifies
         * mkdir, mkdirat, uname only. */
        cr_assert(strstr(daemon_last_log(),
                         "8000 notifications received, 8000 answered, 0 gone before RECV, "
                         "0 gone before SEND"),
                  "%s", daemon_last_log());
}
