/* The races the kernel allows, forced on purpose against the real daemon:
 * signals while notified calls are pending (with and without
 * WAIT_KILLABLE_RECV, SA_RESTART or not), a path rewritten by another
 * thread during the check, hostile pointers, targets killed while the
 * daemon reads them. Loops are bounded and every assertion is an invariant
 * that holds whatever the interleaving (docs/security.md says why);
 * counts that depend on timing are only logged. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "policies.h"
#include "rawclient.h"
#include "unotify/macro.h"
#include "unotify/unotify.h"

#define RACER BIN("tests/unotify-racer")
#define FORBIDDEN "/tmp/unotify-race.F"
#define ALLOWED "/tmp/unotify-race.A"
#define CALLS 1000

/* getppid returns 4242 (racer.c's RACE_VALUE); mkdir of FORBIDDEN (or
 * below) fails with EACCES, any other mkdir pretends to succeed without
 * running: neither outcome is CONTINUE, so a rewritten path cannot get a
 * directory created. */
#define RACE_POLICY                                                                          \
        "{\"name\":\"race\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["             \
        "{\"names\":[\"getppid\"],\"notify\":true,\"action\":\"UNOTIFY_ACT_RETURN\","        \
        "\"returnValue\":4242},"                                                             \
        "{\"names\":[\"mkdir\"],\"notify\":true,\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":" \
        "\"EACCES\","                                                                        \
        "\"paths\":[{\"index\":0,\"prefix\":\"" FORBIDDEN "\"}]},"                           \
        "{\"names\":[\"mkdir\"],\"notify\":true,\"action\":\"UNOTIFY_ACT_RETURN\","          \
        "\"returnValue\":0}]}"

/* The same rule with the fall-through the loader must refuse. */
#define UNSAFE_POLICY                                                                        \
        "{\"name\":\"unsafe\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["           \
        "{\"names\":[\"mkdir\"],\"notify\":true,\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":" \
        "\"EACCES\","                                                                        \
        "\"paths\":[{\"index\":0,\"prefix\":\"" FORBIDDEN "\"}]}]}"

static const struct test_policy policies[] = {
        { "demo.json", DEMO_POLICY },
        { "race.json", RACE_POLICY },
        {},
};

static struct test_daemon d;
static int baseline_fds;

static void setup(void)
{
        daemon_start(&d, policies, false);
        baseline_fds = count_fds(d.pid);
        rmdir(FORBIDDEN);
        rmdir(ALLOWED);
}

static void teardown(void)
{
        daemon_stop(&d);
}

TestSuite(races, .init = setup, .fini = teardown, .timeout = 120);

static long long ms_now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* ---- the daemon's per-listener counters, from its log ---- */

struct counters {
        unsigned long long notifications, answered, recv_gone, send_gone, stale, efault;
        char wait_killable[16];
};

static char *read_log(void)
{
        FILE *f = fopen(d.log, "re");
        char *text = NULL;
        size_t size = 0;
        FILE *m = open_memstream(&text, &size);
        char buf[8192];
        size_t n;

        cr_assert_not_null(m);
        while (f && (n = fread(buf, 1, sizeof(buf), f)) > 0)
                fwrite(buf, 1, n, m);
        if (f)
                fclose(f);
        fclose(m);
        return text;
}

/* The line the daemon logs when listener id closes (its last task gone). */
static bool parse_counters(const char *log, uint64_t id, struct counters *c)
{
        char head[64];
        const char *p;

        snprintf(head, sizeof(head), "listener %" PRIu64 " (", id);
        for (p = strstr(log, head); p; p = strstr(p + 1, head)) {
                const char *eol = strchr(p, '\n');
                const char *tail = strstr(p, "no task uses the filter any more; ");

                if (!tail || (eol && tail > eol))
                        continue;
                return sscanf(tail + strlen("no task uses the filter any more; "),
                              "%llu notifications, %llu answered, %llu gone before RECV, %llu gone "
                              "before SEND, %llu stale dropped, %llu EFAULT; WAIT_KILLABLE_RECV "
                              "%15s",
                              &c->notifications, &c->answered, &c->recv_gone, &c->send_gone,
                              &c->stale, &c->efault, c->wait_killable) == 7;
        }
        return false;
}

/* The listener closes once its last task is gone: wait for that line. */
static void listener_counters(uint64_t id, struct counters *c)
{
        long long deadline = ms_now() + 20000;

        for (;;) {
                _cleanup_(freep) char *log = read_log();

                if (parse_counters(log, id, c))
                        break;
                cr_assert_lt(ms_now(), deadline, "no counters for listener %" PRIu64 " in:\n%s", id,
                             daemon_log(&d));
                poll(NULL, 0, 20);
        }
        cr_log_info("listener %" PRIu64
                    ": %llu notifications, %llu answered, %llu gone before RECV, "
                    "%llu gone before SEND, %llu stale, %llu EFAULT, WAIT_KILLABLE_RECV %s",
                    id, c->notifications, c->answered, c->recv_gone, c->send_gone, c->stale,
                    c->efault, c->wait_killable);
        /* Every notification received is answered, found gone at SEND, or
         * dropped as stale: nothing is lost or answered twice. */
        cr_assert_eq(c->notifications, c->answered + c->send_gone + c->stale,
                     "listener %" PRIu64 ": unaccounted notifications", id);
}

/* unotify-run -v says "listener N bound to policy". */
static uint64_t bound_listener(const char *err)
{
        const char *p = strstr(err, ": listener ");
        unsigned long long id = 0;

        cr_assert(p && sscanf(p, ": listener %llu bound", &id) == 1, "no listener in: %s", err);
        return id;
}

static uint64_t run_racer(const char *const args[], struct cmd_result *r)
{
        const char *argv[16] = { UNOTIFY_RUN, "--socket",  d.socket, "--policy",
                                 "race",      "--verbose", "--",     RACER };
        size_t n = 8;

        for (size_t i = 0; args[i]; i++)
                argv[n++] = args[i];
        argv[n] = NULL;
        run_cmd(argv, 60000, r);
        return bound_listener(r->err);
}

/* The racer with a filter of its own, installed without
 * WAIT_KILLABLE_RECV; we hand its listener to the daemon as a runtime
 * would, saying which flags it has. */
static uint64_t run_racer_own_filter(int nr, const char *const args[], struct cmd_result *ret)
{
        struct unotify_reply reply = {};
        char nrbuf[16], fdbuf[16], buf[CMSG_SPACE(sizeof(int))];
        const char *argv[16] = { RACER, "--own-filter", fdbuf, nrbuf };
        struct iovec iov = { .iov_base = (char[1]){ 0 }, .iov_len = 1 };
        struct msghdr msg = {
                .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof(buf)
        };
        int sv[2], out[2], listener, status;
        size_t n = 4, len = 0;
        uint64_t id;
        pid_t pid;
        ssize_t k;

        for (size_t i = 0; args[i]; i++)
                argv[n++] = args[i];
        argv[n] = NULL;
        snprintf(nrbuf, sizeof(nrbuf), "%d", nr);
        snprintf(fdbuf, sizeof(fdbuf), "3");
        cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
        pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                dup2(out[1], STDOUT_FILENO);
                dup2(out[1], STDERR_FILENO);
                dup2(sv[1], 3);
                close_range(4, ~0u, 0);
                execv(RACER, (char *const *)argv);
                _exit(127);
        }
        close(sv[1]);
        close(out[1]);
        cr_assert_eq(recvmsg(sv[0], &msg, MSG_CMSG_CLOEXEC), 1, "the racer sent no listener");
        memcpy(&listener, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(int));
        cr_assert_eq(
                unotify_handoff_send(d.socket, listener,
                                     &(struct unotify_handoff){
                                             .pid = pid,
                                             .policy = "race",
                                             .seccomp_flags = SECCOMP_FILTER_FLAG_NEW_LISTENER },
                                     &reply),
                0, "handoff: %s", reply.error ? reply.error : "");
        id = reply.listener_id;
        unotify_reply_clear(&reply);
        close(listener);
        cr_assert_eq(write(sv[0], "g", 1), 1);
        close(sv[0]);
        memset(ret, 0, sizeof(*ret));
        while (len < sizeof(ret->out) - 1 &&
               (k = read(out[0], ret->out + len, sizeof(ret->out) - 1 - len)) > 0)
                len += (size_t)k;
        close(out[0]);
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        ret->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return id;
}

/* ---- signals while calls are pending ---- */

struct signal_result {
        int value, eintr, other, handled;
};

static void parse_signals(const struct cmd_result *r, struct signal_result *s)
{
        cr_assert_eq(r->status, 0, "racer: %s %s", r->out, r->err);
        cr_assert_eq(sscanf(r->out, "signals: 4242 x%d, eintr %d, other %d, handled %d", &s->value,
                            &s->eintr, &s->other, &s->handled),
                     4, "%s", r->out);
        cr_log_info("%s", r->out);
        cr_assert_eq(s->other, 0, "a wrong answer: %s", r->out);
        cr_assert_eq(s->value + s->eintr, CALLS, "%s", r->out);
}

/* With WAIT_KILLABLE_RECV a received notification can no longer be
 * interrupted: each one received is answered and its answer used, so
 * the decision (and any side effect of it) happens exactly once per call
 * that returned our value, and SEND never finds the target gone. */
Test(races, signals_with_wait_killable)
{
        static const char *const modes[] = { "restart", "norestart" };

        for (size_t i = 0; i < 2; i++) {
                char calls[16];
                struct cmd_result r;
                struct signal_result s;
                struct counters c;
                uint64_t id;

                snprintf(calls, sizeof(calls), "%d", CALLS);
                id = run_racer((const char *[]){ "signals", calls, modes[i], NULL }, &r);
                parse_signals(&r, &s);
                listener_counters(id, &c);
                cr_assert_str_eq(c.wait_killable, "yes");
                cr_assert_eq(c.send_gone, 0, "%s: SEND ENOENT with WAIT_KILLABLE_RECV", modes[i]);
                cr_assert_eq(c.notifications, (unsigned long long)s.value,
                             "%s: one decision per answered call", modes[i]);
                cr_assert_eq(c.answered, (unsigned long long)s.value);
                if (i == 0)
                        cr_assert_eq(s.eintr, 0, "SA_RESTART: no call may fail with EINTR");
        }
        cr_assert_eq(wait_fd_count(d.pid, baseline_fds, 5000), baseline_fds, "fds leaked:\n%s",
                     fd_list(d.pid));
}

/* Without it, a signal can interrupt a call the daemon has received and
 * even answered: SEND then fails with ENOENT, or succeeds and the target
 * discards the answer; the call restarts (SA_RESTART) as a new
 * notification, which the daemon decides again. */
Test(races, signals_without_wait_killable)
{
        static const char *const modes[] = { "restart", "norestart" };

        for (size_t i = 0; i < 2; i++) {
                char calls[16];
                struct cmd_result r;
                struct signal_result s;
                struct counters c;
                uint64_t id;

                snprintf(calls, sizeof(calls), "%d", CALLS);
                id = run_racer_own_filter(SYS_getppid,
                                          (const char *[]){ "signals", calls, modes[i], NULL }, &r);
                parse_signals(&r, &s);
                listener_counters(id, &c);
                cr_assert_str_eq(c.wait_killable, "no");
                cr_assert_geq(c.answered, (unsigned long long)s.value, "%s: an answer nobody sent",
                              modes[i]);
                cr_assert_geq(c.notifications, (unsigned long long)CALLS - s.eintr);
                if (i == 0)
                        cr_assert_eq(s.eintr, 0, "SA_RESTART: no call may fail with EINTR");
        }
        cr_assert_eq(wait_fd_count(d.pid, baseline_fds, 5000), baseline_fds, "fds leaked:\n%s",
                     fd_list(d.pid));
}

/* A sender that does not say how its filter was installed (as runc and
 * crun do not): the daemon records that it does not know. */
Test(races, wait_killable_unknown_without_metadata)
{
        char path[400];

        snprintf(path, sizeof(path), "%s/x", d.dir);
        cr_assert_str_eq(filtered_child_handoff(d.socket, "race", 0, path),
                         "handoff=0 ok=1 error=\nmkdir=ok\n");
        cr_assert(strstr(daemon_log(&d), "policy race (") &&
                          strstr(daemon_log(&d), "; WAIT_KILLABLE_RECV unknown"),
                  "%s", daemon_log(&d));
}

/* ---- a path rewritten while the daemon checks it ---- */

Test(races, path_flip_never_creates_the_forbidden_path)
{
        char calls[16];
        struct cmd_result r;
        struct counters c;
        int ok, eacces, other;
        uint64_t id;

        snprintf(calls, sizeof(calls), "%d", 2 * CALLS);
        id = run_racer((const char *[]){ "flip", calls, ALLOWED, FORBIDDEN, NULL }, &r);
        cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
        cr_assert_eq(sscanf(r.out, "flip: ok %d EACCES %d other %d", &ok, &eacces, &other), 3, "%s",
                     r.out);
        cr_log_info("%s", r.out);
        cr_assert_eq(other, 0, "%s", r.out);
        cr_assert_eq(ok + eacces, 2 * CALLS);
        /* Whatever the daemon saw, it never let the kernel run mkdir. */
        cr_assert_eq(access(FORBIDDEN, F_OK), -1, FORBIDDEN " was created");
        cr_assert_eq(access(ALLOWED, F_OK), -1, ALLOWED " was created");
        listener_counters(id, &c);
        cr_assert_eq(c.notifications, (unsigned long long)(2 * CALLS));
}

/* The variant that would be unsafe (a non-matching path falls through to
 * defaultAction SCMP_ACT_ALLOW) does not load. */
Test(races, loader_refuses_the_continue_variant)
{
        char dir[] = "/tmp/unotify-race-policy.XXXXXX", path[256];
        struct cmd_result r;

        cr_assert_not_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/unsafe.json", dir);
        write_file(path, UNSAFE_POLICY);
        run_cmd((const char *[]){ UNOTIFYD, "-t", "--policy-dir", dir, NULL }, 10000, &r);
        unlink(path);
        rmdir(dir);
        cr_assert_eq(r.status, 78, "%s", r.err);
        cr_assert(strstr(r.err,
                         "/unsafe.json: /syscalls/0: this rule decides mkdir by a path in the "
                         "target's memory, and a call whose path does not match goes on to "
                         "defaultAction (SCMP_ACT_ALLOW)"),
                  "%s", r.err);
}

/* ---- hostile pointers ---- */

Test(races, bad_pointers_get_efault)
{
        struct cmd_result r;
        struct counters c;
        uint64_t id;

        id = run_racer((const char *[]){ "badptr", "/tmp/unotify-race.edge", NULL }, &r);
        cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
        cr_assert_str_eq(r.out, "null: EFAULT\n"
                                "unmapped: EFAULT\n"
                                "kernel: EFAULT\n"
                                "noncanonical: EFAULT\n"
                                "into-guard: EFAULT\n"
                                "ends-at-guard: ok\n"
                                "too-long: ENAMETOOLONG\n");
        listener_counters(id, &c);
        cr_assert_eq(c.efault, 5);
        cr_assert_eq(c.answered, 7);
        /* The target's errors, not the daemon's: nothing logged above -v. */
        cr_assert_null(strstr(daemon_log(&d), "reading what rule"), "%s", daemon_log(&d));
        run_sandboxed(&d, "race", (const char *[]){ PROBE, "getppid", NULL }, &r);
        cr_assert_str_eq(r.out, "getppid: 4242\n", "the daemon must serve on: %s", r.err);
        cr_assert_eq(wait_fd_count(d.pid, baseline_fds, 5000), baseline_fds, "fds leaked:\n%s",
                     fd_list(d.pid));
}

/* ---- targets that die while the daemon reads them ---- */

/* The daemon's read of the path faults on a userfaultfd page; the target
 * sees the fault (so the daemon is between RECV and SEND, mid-read) and
 * SIGKILLs itself. The read ends, ID_VALID says the notification is gone:
 * dropped unanswered and counted as stale. */
Test(races, target_killed_mid_read)
{
        struct cmd_result r;
        struct counters c;
        uint64_t id;

        id = run_racer((const char *[]){ "uffd", NULL }, &r);
        if (r.status == 2)
                cr_skip_test("userfaultfd is not available here: %s", r.out);
        cr_assert_eq(r.status, 128 + SIGKILL, "%s %s", r.out, r.err);
        cr_assert_str_eq(r.out, "fault seen; killing ourselves\n");
        listener_counters(id, &c);
        cr_assert_eq(c.notifications, 1);
        cr_assert_eq(c.stale, 1, "the stale notification must be dropped and counted");
        cr_assert_eq(c.answered, 0);
        run_sandboxed(&d, "race", (const char *[]){ PROBE, "getppid", NULL }, &r);
        cr_assert_str_eq(r.out, "getppid: 4242\n", "the daemon must serve on: %s", r.err);
        cr_assert_eq(wait_fd_count(d.pid, baseline_fds, 5000), baseline_fds, "fds leaked:\n%s",
                     fd_list(d.pid));
}

/* unotify-run -v ... racer ARGS with pipes on its stdio, for tests that
 * talk to the racer while it runs. */
struct spawned {
        pid_t pid;
        int in, out, err;
};

static void spawn_racer(const char *const args[], struct spawned *ret)
{
        const char *argv[16] = { UNOTIFY_RUN, "--socket",  d.socket, "--policy",
                                 "race",      "--verbose", "--",     RACER };
        int in[2], out[2], err[2];
        size_t n = 8;

        for (size_t i = 0; args[i]; i++)
                argv[n++] = args[i];
        argv[n] = NULL;
        cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
        cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
        cr_assert_eq(pipe2(err, O_CLOEXEC), 0);
        ret->pid = fork();
        cr_assert_geq(ret->pid, 0);
        if (ret->pid == 0) {
                dup2(in[0], STDIN_FILENO);
                dup2(out[1], STDOUT_FILENO);
                dup2(err[1], STDERR_FILENO);
                close_range(3, ~0u, 0);
                execv(UNOTIFY_RUN, (char *const *)argv);
                _exit(127);
        }
        close(in[0]);
        close(out[1]);
        close(err[1]);
        ret->in = in[1];
        ret->out = out[0];
        ret->err = err[0];
}

/* One line of the racer's stdout, without its newline (static). */
static const char *read_line(const struct spawned *s)
{
        static char line[256];
        size_t len = 0;

        while (len < sizeof(line) - 1 && read(s->out, line + len, 1) == 1 && line[len] != '\n')
                len++;
        line[len] = '\0';
        return line;
}

/* Wait for unotify-run; returns the listener it reported. */
static uint64_t finish(struct spawned *s, int *ret_status)
{
        char err[4096];
        ssize_t n;
        int status;

        close(s->in);
        cr_assert_eq(waitpid(s->pid, &status, 0), s->pid);
        n = read(s->err, err, sizeof(err) - 1);
        err[n > 0 ? n : 0] = '\0';
        close(s->out);
        close(s->err);
        *ret_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return bound_listener(err);
}

/* A read that faults on a page the target never resolves: the daemon
 * gives up on it after its timeout (the target gets EFAULT) and serves
 * other listeners meanwhile; the abandoned read ends when the target
 * exits. */
Test(races, stuck_read_does_not_stall_the_loop)
{
        struct spawned s;
        struct cmd_result r;
        struct counters c;
        int status;

        spawn_racer((const char *[]){ "uffd-hold", NULL }, &s);
        cr_assert_str_eq(read_line(&s), "fault seen; holding it");
        /* The daemon's read of the racer's page is stuck now. */
        run_sandboxed(&d, "race", (const char *[]){ PROBE, "getppid", NULL }, &r);
        cr_assert_str_eq(r.out, "getppid: 4242\n", "another listener must be served: %s", r.err);
        cr_assert_str_eq(read_line(&s), "uffd: EFAULT");
        cr_assert_eq(write(s.in, "x", 1), 1);
        listener_counters(finish(&s, &status), &c);
        cr_assert_eq(status, 0);
        cr_assert_eq(c.efault, 1);
        cr_assert_eq(c.answered, 1);
        cr_assert(strstr(daemon_log(&d), "gave up reading its memory at 0x"), "%s", daemon_log(&d));
        cr_assert_eq(wait_fd_count(d.pid, baseline_fds, 5000), baseline_fds, "fds leaked:\n%s",
                     fd_list(d.pid));
}

/* Short-lived targets SIGKILLed while their calls are pending, at
 * staggered moments: between RECV and SEND, before RECV, mid-read. The
 * daemon survives, accounts for every notification and keeps no fd. */
Test(races, targets_killed_while_pending)
{
        for (int i = 0; i < 12; i++) {
                struct spawned s;
                struct counters c;
                int status, target = 0;

                spawn_racer((const char *[]){ "spin", i % 2 ? FORBIDDEN "/x" : ALLOWED, NULL }, &s);
                cr_assert_eq(sscanf(read_line(&s), "ready %d", &target), 1);
                /* Let it make 0..9 ms of calls. */
                poll(NULL, 0, i % 10);
                cr_assert_eq(kill(target, SIGKILL), 0);
                listener_counters(finish(&s, &status), &c);
                cr_assert_eq(status, 128 + SIGKILL);
        }
        cr_assert_eq(access(FORBIDDEN, F_OK), -1);
        cr_assert_eq(wait_fd_count(d.pid, baseline_fds, 5000), baseline_fds, "fds leaked:\n%s",
                     fd_list(d.pid));
        {
                struct cmd_result r;

                run_sandboxed(&d, "race", (const char *[]){ PROBE, "getppid", NULL }, &r);
                cr_assert_str_eq(r.out, "getppid: 4242\n", "the daemon must serve on: %s", r.err);
        }
}
