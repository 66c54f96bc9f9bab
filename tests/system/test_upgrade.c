/* Handoffs in progress while the daemon replaces itself: a re-exec
 * upgrade (SIGUSR2) or a restart through the fd store (SIGTERM, then a new
 * process given the same sockets and the stored fds). A handoff the old
 * process has begun to read is finished first, so its listener reaches
 * the new process; one that never completes gets a clear error when its
 * time is up; connections not accepted yet are served by the new process.
 * Never a silent drop or a hang. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "policies.h"
#include "rawclient.h"
#include "service.h"
#include "unotify/unotify.h"

#define STATE_HEAD "{\"ociVersion\":\"1.0.2\",\"fds\":[\"seccompFd\"],\"pid\":1,\"metad"
#define STATE_TAIL "ata\":\"policy=demo\",\"state\":{\"ociVersion\":\"1.0.2\",\"id\":\"%s\"}}"

static long long ms_now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static unsigned occurrences(const char *text, const char *what)
{
        unsigned n = 0;

        for (const char *p = text; (p = strstr(p, what)); p++)
                n++;
        return n;
}

/* A sandboxed child that hands its listener over in two halves: the head
 * (with the fd) at once, the tail when told ("t" on in). It reports
 * "half read=1" once the daemon has read the head (nothing left unread in
 * its socket: SIOCOUTQ 0), "reply <line>" after the tail, then one
 * "mkdir: X" per line. */
struct halfbox {
        pid_t pid;
        int in;
        FILE *out;
};

static const char *box_line(struct halfbox *b)
{
        static char line[4200];

        if (!fgets(line, sizeof(line), b->out))
                return "(the child went away)";
        line[strcspn(line, "\n")] = '\0';
        return line;
}

static void half_child(const char *socket, const char *id, const char *dir)
{
        char tail[512], path[600], line[16];
        int listener = raw_install_mkdir_filter(), fd, unread = 1;

        if (listener < 0)
                _exit(126);
        fd = raw_connect(socket);
        raw_send(fd, STATE_HEAD, strlen(STATE_HEAD), &listener, 1);
        close(listener);
        for (int i = 0; i < 500 && unread > 0; i++) {
                if (ioctl(fd, SIOCOUTQ, &unread) < 0)
                        _exit(124);
                if (unread > 0)
                        poll(NULL, 0, 10);
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        printf("half read=%d\n", unread == 0);
        if (!fgets(line, sizeof(line), stdin))
                _exit(0);
        snprintf(tail, sizeof(tail), STATE_TAIL, id);
        (void)!send(fd, tail, strlen(tail), MSG_NOSIGNAL);
        printf("reply %s", raw_reply(fd, 15000));
        fflush(stdout);
        close(fd);
        snprintf(path, sizeof(path), "%s/x", dir);
        while (fgets(line, sizeof(line), stdin)) {
                long r = syscall(SYS_mkdir, path, 0700);

                printf("mkdir: %s\n", r == 0 ? "ok" : errno == EPERM ? "EPERM" : strerror(errno));
        }
        _exit(0);
}

static void box_start(struct halfbox *b, const char *socket, const char *id, const char *dir)
{
        int pin[2], pout[2];

        cr_assert_eq(pipe2(pin, O_CLOEXEC), 0);
        cr_assert_eq(pipe2(pout, O_CLOEXEC), 0);
        b->pid = fork();
        cr_assert_geq(b->pid, 0);
        if (b->pid == 0) {
                dup2(pin[0], STDIN_FILENO);
                dup2(pout[1], STDOUT_FILENO);
                close_range(3, ~0u, 0); /* else its own stdin never ends */
                half_child(socket, id, dir);
        }
        close(pin[0]);
        close(pout[1]);
        b->in = pin[1];
        b->out = fdopen(pout[0], "r");
        cr_assert_str_eq(box_line(b), "half read=1", "the daemon never read the first half");
}

static const char *box_finish(struct halfbox *b)
{
        cr_assert_eq(write(b->in, "t\n", 2), 2);
        return box_line(b);
}

static const char *box_mkdir(struct halfbox *b)
{
        const char *line;

        cr_assert_eq(write(b->in, "m\n", 2), 2);
        line = box_line(b);
        return strncmp(line, "mkdir: ", 7) ? line : line + 7;
}

static void box_stop(struct halfbox *b)
{
        int status;

        close(b->in);
        cr_assert_eq(waitpid(b->pid, &status, 0), b->pid);
        fclose(b->out);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);
}

static void wait_log(const struct test_daemon *d, const char *what, unsigned n, int timeout_ms)
{
        long long end = ms_now() + timeout_ms;

        while (occurrences(daemon_log(d), what) < n && ms_now() < end)
                poll(NULL, 0, 10);
        cr_assert_geq(occurrences(daemon_log(d), what), n, "no \"%s\" (x%u) within %d ms:\n%s",
                      what, n, timeout_ms, daemon_log(d));
}

/* In a forked child: filter, handoff (policy demo), one mkdir; exits 0
 * when the handoff was accepted and mkdir got EPERM. gap_ms < 0: with
 * libunotify, in one go; else by hand, in two parts gap_ms apart (a slow
 * runtime). No assertion here: this is not the test worker. */
_Noreturn static void handoff_and_mkdir(const char *socket, const char *path, int gap_ms)
{
        struct unotify_handoff h = { .pid = getpid(), .policy = "demo" };
        struct unotify_reply reply = {};
        int listener = raw_install_mkdir_filter(), r = 0, fd;
        char tail[256];

        if (listener < 0)
                _exit(3);
        if (gap_ms < 0) {
                r = unotify_handoff_send(socket, listener, &h, &reply);
                if (r < 0 || !reply.ok)
                        _exit(2);
        } else {
                fd = raw_connect(socket);
                raw_send(fd, STATE_HEAD, strlen(STATE_HEAD), &listener, 1);
                poll(NULL, 0, gap_ms);
                snprintf(tail, sizeof(tail), STATE_TAIL, "racer");
                if (send(fd, tail, strlen(tail), MSG_NOSIGNAL) < 0 ||
                    !strstr(raw_reply(fd, 15000), "\"ok\":true"))
                        _exit(2);
        }
        close(listener);
        _exit(syscall(SYS_mkdir, path, 0700) < 0 && errno == EPERM ? 0 : 1);
}

static struct test_daemon d;

static void stop(void)
{
        daemon_stop(&d);
}

TestSuite(upgrade, .fini = stop, .timeout = 90);

/* Half a message when SIGUSR2 arrives: the upgrade waits for the rest,
 * the listener crosses the exec and the new binary answers it. */
Test(upgrade, a_handoff_half_sent_at_sigusr2_is_served_by_the_new_process)
{
        struct halfbox b;
        struct cmd_result r;
        const char *reply, *log;
        pid_t pid;

        daemon_start(&d, standard_policies, false);
        pid = d.pid;
        box_start(&b, d.socket, "half", d.dir);
        cr_assert_eq(kill(d.pid, SIGUSR2), 0);
        wait_log(&d, "1 handoff being read: finishing it first", 1, 5000);
        poll(NULL, 0, 300);
        cr_assert_null(strstr(daemon_log(&d), "upgrade: exec"),
                       "exec before the handoff was read:\n%s", daemon_log(&d));
        reply = box_finish(&b);
        cr_assert(strstr(reply, "\"ok\":true") && strstr(reply, "\"listener\":1"), "%s", reply);
        wait_log(&d, "serving ", 2, 10000);
        log = daemon_log(&d);
        cr_assert(strstr(log, "upgrade: exec ") && strstr(log, "with 1 listeners"), "%s", log);
        cr_assert_lt(strstr(log, "listener 1: container half"), strstr(log, "upgrade: exec "), "%s",
                     log);
        cr_assert(strstr(log, "fds passed by the process we replaced"), "%s", log);
        cr_assert_eq(d.pid, pid);
        cr_assert_str_eq(box_mkdir(&b), "EPERM");
        {
                const char *argv[] = { UNOTIFYCTL, "list", "--socket", d.control, "--json", NULL };

                run_cmd(argv, 10000, &r);
        }
        cr_assert(strstr(r.out, "\"container_id\": \"half\""), "%s %s", r.out, r.err);
        box_stop(&b);
}

/* A peer that never finishes: told why when its time is up, and the
 * upgrade goes on then, not later. */
Test(upgrade, a_silent_half_handoff_gets_an_error_and_the_upgrade_goes_on)
{
        struct halfbox b;
        const char *reply;
        long long t0, waited;

        d.extra_arg = "--limit=handoff-timeout-ms=1500";
        daemon_start(&d, standard_policies, false);
        box_start(&b, d.socket, "silent", d.dir);
        t0 = ms_now();
        cr_assert_eq(kill(d.pid, SIGUSR2), 0);
        wait_log(&d, "serving ", 2, 10000);
        waited = ms_now() - t0;
        cr_assert(strstr(daemon_log(&d), "no complete message within 1500 ms"), "%s",
                  daemon_log(&d));
        cr_assert_lt(strstr(daemon_log(&d), "no complete message"),
                     strstr(daemon_log(&d), "upgrade: exec"));
        cr_assert_lt(waited, 6000, "the upgrade waited %lld ms", waited);
        /* The error was sent before the exec; the tail now meets a closed
         * connection, not a hang. */
        reply = box_finish(&b);
        cr_assert(strstr(reply, "\"ok\":false") &&
                          strstr(reply, "no complete message within 1500 ms"),
                  "%s", reply);
        cr_log_info("silent half handoff: refused and upgraded after %lld ms (timeout 1500)",
                    waited);
        box_stop(&b);
}

/* Handoffs made one after another while two upgrades run, every other
 * one sent in two parts 30 ms apart: every one is answered by one
 * process or the other, and every task's mkdir gets the
 * policy's EPERM (never ENOSYS: no listener was dropped). */
Test(upgrade, handoffs_racing_upgrades_are_all_served)
{
        enum { N = 30 };
        char path[400];
        int status, good = 0;
        pid_t kids[N];

        daemon_start(&d, standard_policies, false);
        snprintf(path, sizeof(path), "%s/x", d.dir);
        for (int i = 0; i < N; i++) {
                if (i == N / 3 || i == 2 * N / 3)
                        cr_assert_eq(kill(d.pid, SIGUSR2), 0);
                kids[i] = fork();
                cr_assert_geq(kids[i], 0);
                if (kids[i] == 0)
                        handoff_and_mkdir(d.socket, path, i % 2 ? 30 : -1);
                poll(NULL, 0, 10);
        }
        for (int i = 0; i < N; i++) {
                cr_assert_eq(waitpid(kids[i], &status, 0), kids[i]);
                good += WIFEXITED(status) && WEXITSTATUS(status) == 0;
        }
        wait_log(&d, "serving ", 3, 10000);
        cr_log_info("%d of %d handoffs racing 2 upgrades served", good, N);
        cr_assert_eq(good, N, "%s", daemon_log(&d));
        cr_assert_eq(occurrences(daemon_log(&d), "upgrade: exec "), 2, "%s", daemon_log(&d));
}

/* Under a service manager: SIGTERM with half a handoff read. The old
 * process finishes it, stores the listener (FDSTORE=1) and exits 0; a
 * handoff that connected meanwhile waits in the manager's socket and is
 * served by the next process, which also takes the stored listener back. */
Test(upgrade, a_restart_through_the_fd_store_keeps_the_handoff_in_progress)
{
        static struct svc s;
        struct halfbox b;
        const char *names[] = { "handoff", "control" };
        int socks[2], status;
        char path[400];
        const char *reply;
        pid_t kid;

        svc_prepare(&s, standard_policies);
        socks[0] = svc_listen(s.d.socket);
        socks[1] = svc_listen(s.d.control);
        svc_exec(&s, socks, names, 2, NULL);
        svc_wait_message(&s, "READY=1", 10000);
        box_start(&b, s.d.socket, "restart", s.d.dir);
        cr_assert_eq(kill(s.d.pid, SIGTERM), 0);
        wait_log(&s.d, "1 handoff being read: finishing it first", 1, 5000);
        /* Connects while the old process finishes: left in the backlog. */
        snprintf(path, sizeof(path), "%s/y", s.d.dir);
        kid = fork();
        cr_assert_geq(kid, 0);
        if (kid == 0)
                handoff_and_mkdir(s.d.socket, path, -1);
        poll(NULL, 0, 200);
        reply = box_finish(&b);
        cr_assert(strstr(reply, "\"ok\":true"), "%s", reply);
        svc_stop(&s, 0);
        cr_assert(strstr(s.messages, "FDNAME=listener-1"), "%s", s.messages);
        cr_assert_geq(svc_stored(&s, "listener-1"), 0);
        svc_exec(&s, socks, names, 2, NULL);
        svc_wait_message(&s, "READY=1", 10000);
        cr_assert_str_eq(box_mkdir(&b), "EPERM");
        cr_assert(strstr(daemon_log(&s.d), "resumed with policy demo"), "%s", daemon_log(&s.d));
        cr_assert_eq(waitpid(kid, &status, 0), kid);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the handoff made during the restart "
                  "was not served:\n%s",
                  daemon_log(&s.d));
        box_stop(&b);
        svc_stop(&s, SIGTERM);
        close(socks[0]);
        close(socks[1]);
        svc_cleanup(&s);
}
