/* unotifyd as a systemd service: socket activation (by
 * systemd-socket-activate and by LISTEN_* set here), and every sd_notify
 * message it sends, read from a NOTIFY_SOCKET this test owns. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "policies.h"
#include "rawclient.h"
#include "sandbox.h"
#include "service.h"

static struct svc s;

static void setup(void)
{
        svc_prepare(&s, standard_policies);
}

static void teardown(void)
{
        svc_cleanup(&s);
}

TestSuite(service, .init = setup, .fini = teardown, .timeout = 60);

static void ctl(const char *verb, struct cmd_result *r)
{
        const char *argv[] = { UNOTIFYCTL, verb, "--socket", s.d.control, NULL };

        run_cmd(argv, 10000, r);
}

static void assert_serves_both_sockets(void)
{
        struct cmd_result r;
        struct sandbox box;
        char path[400];

        ctl("status", &r);
        cr_assert_eq(r.status, 0, "%s\n%s", r.err, daemon_log(&s.d));
        cr_assert(strstr(r.out, "policies:        3"), "%s", r.out);
        snprintf(path, sizeof(path), "%s/x", s.d.dir);
        sandbox_start_run(&box, s.d.socket, "demo", path);
        cr_assert_str_eq(sandbox_mkdir(&box), "EPERM");
        sandbox_stop(&box);
}

/* Whether path is listening: a connection that is closed at once (the
 * activator starts the daemon, which then finds nothing to read). */
static bool accepts(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;
        bool ok;

        if (strlen(path) >= sizeof(sa.sun_path))
                return false;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        memcpy(sa.sun_path, path, strlen(path) + 1);
        ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
        if (fd >= 0)
                close(fd);
        return ok;
}

Test(service, socket_activation_by_systemd_socket_activate)
{
        char notify[400];
        struct stat st;
        int fd;

        snprintf(notify, sizeof(notify), "NOTIFY_SOCKET=%s", s.notify_path);
        s.d.pid = fork();
        cr_assert_geq(s.d.pid, 0);
        if (s.d.pid == 0) {
                int log = open(s.d.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

                dup2(log, 2);
                close_range(3, ~0u, 0);
                execlp("systemd-socket-activate", "systemd-socket-activate", "-l", s.d.socket, "-l",
                       s.d.control, "--fdname=handoff:control", "-E", notify, UNOTIFYD, "-v",
                       "--socket", s.d.socket, "--control-socket", s.d.control, "--policy-dir",
                       s.d.policy_dir, NULL);
                _exit(127);
        }
        /* systemd-socket-activate binds, then listens, then starts the
         * daemon on the first connection: the file exists a moment before
         * a connection is accepted (ECONNREFUSED in between). */
        for (int waited = 0; stat(s.d.control, &st) < 0 || !accepts(s.d.control); waited += 10) {
                cr_assert_lt(waited, 10000, "no control socket: %s", daemon_log(&s.d));
                poll(NULL, 0, 10);
        }
        fd = raw_connect(s.d.control);
        raw_send(fd, "{\"command\":\"status\"}\n", 21, NULL, 0);
        cr_assert(strstr(raw_reply(fd, 10000), "\"ok\":true"), "%s", daemon_log(&s.d));
        close(fd);
        svc_wait_message(&s, "READY=1", 10000);
        assert_serves_both_sockets();
        cr_assert(strstr(daemon_log(&s.d), "handoff socket passed in (socket activation)"), "%s",
                  daemon_log(&s.d));
        cr_assert(strstr(daemon_log(&s.d), "control socket passed in (socket activation)"));
        svc_stop(&s, SIGTERM);
        /* The sockets belong to whoever passed them: left in place. */
        cr_assert_eq(stat(s.d.socket, &st), 0);
        cr_assert_eq(stat(s.d.control, &st), 0);
}

Test(service, socket_activation_by_listen_fds)
{
        int fds[2] = { svc_listen(s.d.socket), svc_listen(s.d.control) };
        const char *names[] = { "handoff", "control" };
        struct stat st;

        svc_exec(&s, fds, names, 2, NULL);
        close(fds[0]);
        close(fds[1]);
        svc_wait_message(&s, "READY=1", 10000);
        assert_serves_both_sockets();
        cr_assert(strstr(daemon_log(&s.d), "2 fds passed by the service manager"), "%s",
                  daemon_log(&s.d));
        svc_stop(&s, SIGTERM);
        cr_assert_eq(stat(s.d.socket, &st), 0, "an activated socket must not be removed");
}

Test(service, only_the_handoff_socket_activated_binds_the_control_socket)
{
        int fd = svc_listen(s.d.socket);
        const char *names[] = { "handoff" };
        struct stat st;

        svc_exec(&s, &fd, names, 1, NULL);
        close(fd);
        svc_wait_message(&s, "READY=1", 10000);
        assert_serves_both_sockets();
        cr_assert_eq(stat(s.d.control, &st), 0);
        cr_assert_eq(st.st_mode & 07777, 0600);
        svc_stop(&s, SIGTERM);
        cr_assert_neq(stat(s.d.control, &st), 0, "the control socket we bound is removed at exit");
}

Test(service, fds_it_cannot_use_are_closed_with_a_warning)
{
        int p[2], fds[3];
        const char *names[] = { "handoff", "bogus", "control" };
        struct cmd_result r;

        cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
        fds[0] = svc_listen(s.d.socket);
        fds[1] = p[0];
        fds[2] = p[1]; /* a pipe where a socket should be */
        svc_exec(&s, fds, names, 3, NULL);
        for (int i = 0; i < 3; i++)
                close(fds[i]);
        /* "control" is not a listening socket: a start-up error. */
        cr_assert_eq(waitpid(s.d.pid, &r.status, 0), s.d.pid);
        s.d.pid = 0;
        cr_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 69, "status 0x%x", r.status);
        cr_assert(strstr(daemon_log(&s.d),
                         "the fd named \"control\" is not a listening unix stream socket"),
                  "%s", daemon_log(&s.d));

        /* An fd with a name nobody asks for is closed, not leaked. */
        cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
        fds[0] = svc_listen(s.d.control);
        fds[1] = p[0];
        names[0] = "control";
        svc_exec(&s, fds, names, 2, NULL);
        close(fds[0]);
        close(p[0]);
        svc_wait_message(&s, "READY=1", 10000);
        cr_assert(strstr(daemon_log(&s.d), "closing fd 4 passed as \"bogus\": not ours to use"),
                  "%s", daemon_log(&s.d));
        cr_assert_eq(fcntl(p[1], F_GETFD) >= 0, true);
        /* The daemon holds no copy of the pipe: its read end is gone (EPIPE). */
        signal(SIGPIPE, SIG_IGN);
        cr_assert_eq(write(p[1], "x", 1), -1);
        close(p[1]);
        svc_stop(&s, SIGTERM);
}

Test(service, notify_ready_status_reloading_stopping)
{
        struct cmd_result r;
        const char *m;
        char path[400];

        svc_exec(&s, NULL, NULL, 0, NULL);
        m = svc_wait_message(&s, "READY=1", 10000);
        cr_assert(strstr(m, "STATUS=0 listeners, 0 notifications answered, 3 policies"), "%s", m);

        ctl("reload", &r);
        cr_assert_eq(r.status, 0, "%s", r.err);
        m = svc_wait_message(&s, "RELOADING=1", 10000);
        cr_assert(strstr(m, "MONOTONIC_USEC="), "%s", m);
        svc_wait_message(&s, "READY=1", 10000);

        /* A failed reload is still followed by READY=1 (the old set serves). */
        snprintf(path, sizeof(path), "%s/demo.json", s.d.policy_dir);
        write_file(path, "{ broken");
        cr_assert_eq(kill(s.d.pid, SIGHUP), 0);
        svc_wait_message(&s, "RELOADING=1", 10000);
        svc_wait_message(&s, "READY=1", 10000);

        cr_assert_eq(kill(s.d.pid, SIGTERM), 0);
        svc_wait_message(&s, "STOPPING=1", 10000);
        svc_stop(&s, SIGTERM);
}

Test(service, watchdog_and_live_status)
{
        const char *env[] = { "WATCHDOG_USEC=200000", NULL };
        struct sandbox box;
        char path[400];
        const char *m;

        svc_exec(&s, NULL, NULL, 0, env);
        svc_wait_message(&s, "READY=1", 10000);
        svc_wait_message(&s, "WATCHDOG=1", 5000);
        svc_wait_message(&s, "WATCHDOG=1", 5000);
        cr_assert(strstr(daemon_log(&s.d), "watchdog: every 0.100 s"), "%s", daemon_log(&s.d));

        snprintf(path, sizeof(path), "%s/x", s.d.dir);
        sandbox_start_run(&box, s.d.socket, "demo", path);
        cr_assert_str_eq(sandbox_mkdir(&box), "EPERM");
        /* The heartbeat reports the figures as they change. */
        m = svc_wait_message(&s, "STATUS=1 listeners, 1 notifications answered", 5000);
        cr_assert(strstr(m, "3 policies"), "%s", m);
        sandbox_stop(&box);
        svc_stop(&s, SIGTERM);
}

Test(service, no_watchdog_unless_asked)
{
        svc_exec(&s, NULL, NULL, 0, NULL);
        svc_wait_message(&s, "READY=1", 10000);
        svc_stop(&s, SIGTERM);
        cr_assert_null(strstr(s.messages, "WATCHDOG=1"), "%s", s.messages);
        cr_assert_null(strstr(daemon_log(&s.d), "watchdog:"));
}

/* A native-protocol datagram containing every one of fields. */
static const char *journal_entry_with(int fd, const char *const fields[], int timeout_ms)
{
        static char buf[4096];

        for (int waited = 0; waited < timeout_ms; waited += 50) {
                bool all = true;
                ssize_t n;

                if (poll(&(struct pollfd){ .fd = fd, .events = POLLIN }, 1, 50) <= 0)
                        continue;
                n = recv(fd, buf, sizeof(buf) - 1, 0);
                cr_assert_geq(n, 0);
                buf[n] = '\0';
                for (size_t i = 0; fields[i]; i++)
                        all = all && strstr(buf, fields[i]);
                if (all)
                        return buf;
        }
        cr_assert_fail("no journal entry with %s ... within %d ms", fields[0], timeout_ms);
        return NULL;
}

Test(service, journal_entries_when_stderr_is_the_journal)
{
        char path[400], moved[400], opid[64];
        struct sandbox box;
        struct cmd_result r;
        int jfd;

        snprintf(path, sizeof(path), "%s/journal.sock", s.d.dir);
        jfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        cr_assert_geq(jfd, 0);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        strcpy(sa.sun_path, path);
        cr_assert_eq(bind(jfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        s.journal_socket = path;
        svc_exec(&s, NULL, NULL, 0, NULL);
        svc_wait_message(&s, "READY=1", 10000);
        journal_entry_with(jfd,
                           (const char *[]){ "MESSAGE=serving ", "PRIORITY=5\n",
                                             "SYSLOG_IDENTIFIER=unotifyd\n",
                                             "MESSAGE_ID=535dbac5627747aa91c22eb93500d414\n",
                                             NULL },
                           5000);

        snprintf(path, sizeof(path), "%s/x", s.d.dir);
        sandbox_start_run(&box, s.d.socket, "demo", path);
        cr_assert_str_eq(sandbox_mkdir(&box), "EPERM");
        snprintf(opid, sizeof(opid), "OBJECT_PID=%d\n", (int)box.task);
        journal_entry_with(jfd,
                           (const char *[]){ "MESSAGE=listener 1: container ",
                                             "MESSAGE_ID=0798160cdc28415685f9c10b8e2283b2\n", opid,
                                             NULL },
                           5000);
        sandbox_stop(&box);

        /* An error with its errno: the policy directory has gone. */
        snprintf(moved, sizeof(moved), "%s.gone", s.d.policy_dir);
        cr_assert_eq(rename(s.d.policy_dir, moved), 0);
        ctl("reload", &r);
        cr_assert_eq(r.status, 78, "%s", r.err);
        journal_entry_with(jfd,
                           (const char *[]){ "cannot load policies: No such file or directory\n",
                                             "PRIORITY=3\n", "ERRNO=2\n", NULL },
                           5000);
        journal_entry_with(
                jfd, (const char *[]){ "MESSAGE_ID=d329d9acbd884c7a8d0e9f21d700315b\n", NULL },
                5000);
        cr_assert_eq(rename(moved, s.d.policy_dir), 0);
        svc_stop(&s, SIGTERM);
        /* Nothing went to the stderr stream instead. */
        cr_assert_null(strstr(daemon_log(&s.d), "serving "), "%s", daemon_log(&s.d));
        close(jfd);
}
