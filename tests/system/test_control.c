/* The control socket and every unotifyctl verb that uses it, against a
 * real daemon: status, list, stats (table, JSON, Prometheus), reload, and
 * what a bad or unauthorised peer gets. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "policies.h"
#include "rawclient.h"
#include "sandbox.h"

static struct test_daemon d;

static void setup(void)
{
        daemon_start(&d, standard_policies, false);
}

static void teardown(void)
{
        daemon_stop(&d);
}

TestSuite(control, .init = setup, .fini = teardown, .timeout = 60);

/* unotifyctl VERB --socket CONTROL [extra]. */
static void ctl(const char *verb, const char *extra, struct cmd_result *r)
{
        const char *argv[] = { UNOTIFYCTL, verb, "--socket", d.control, extra, NULL };

        run_cmd(argv, 10000, r);
}

static json_t *ctl_json(const char *verb)
{
        static struct cmd_result r;
        json_error_t e;
        json_t *j;

        ctl(verb, "--json", &r);
        cr_assert_eq(r.status, 0, "%s: %s%s", verb, r.out, r.err);
        j = json_loads(r.out, 0, &e);
        cr_assert_not_null(j, "%s --json is not JSON (%s): %s", verb, e.text, r.out);
        cr_assert(json_is_true(json_object_get(j, "ok")), "%s", r.out);
        return j;
}

static long long jint(const json_t *o, const char *key)
{
        cr_assert(json_is_integer(json_object_get(o, key)), "no integer \"%s\"", key);
        return (long long)json_integer_value(json_object_get(o, key));
}

Test(control, socket_is_private)
{
        struct stat st;

        cr_assert_eq(stat(d.control, &st), 0);
        cr_assert(S_ISSOCK(st.st_mode));
        cr_assert_eq(st.st_mode & 07777, 0600);
}

Test(control, status_in_both_forms)
{
        struct cmd_result r;
        json_t *j = ctl_json("status");

        cr_assert_eq(jint(j, "pid"), d.pid);
        cr_assert_eq(jint(j, "policies"), 3);
        cr_assert_eq(jint(j, "listeners"), 0);
        cr_assert_str_eq(json_string_value(json_object_get(j, "handoff_socket")), d.socket);
        cr_assert_str_eq(json_string_value(json_object_get(j, "policy_dir")), d.policy_dir);
        json_decref(j);

        ctl("status", NULL, &r);
        cr_assert_eq(r.status, 0, "%s", r.err);
        cr_assert(strstr(r.out, "policies:        3 from "), "%s", r.out);
        cr_assert(strstr(r.out, "listeners:       0\n"), "%s", r.out);
}

#define STATE_ANNOTATED                                                                      \
        "{\"ociVersion\":\"1.0.2\",\"fds\":[\"seccompFd\"],\"pid\":4242,"                    \
        "\"metadata\":\"policy=demo\",\"state\":{\"ociVersion\":\"1.0.2\",\"id\":\"web-1\"," \
        "\"status\":\"creating\",\"bundle\":\"/"                                             \
        "\",\"annotations\":{\"team\":\"blue\",\"tier\":\"db\"}}}"

Test(control, list_shows_each_listener_with_its_counts)
{
        struct sandbox s;
        struct cmd_result r;
        char path[400];
        json_t *j, *l;

        snprintf(path, sizeof(path), "%s/x", d.dir);
        sandbox_start_raw(&s, d.socket, STATE_ANNOTATED, path);
        cr_assert_str_eq(sandbox_mkdir(&s), "EPERM");
        cr_assert_str_eq(sandbox_mkdir(&s), "EPERM");

        j = ctl_json("list");
        cr_assert_eq(json_array_size(json_object_get(j, "listeners")), 1);
        l = json_array_get(json_object_get(j, "listeners"), 0);
        cr_assert_eq(jint(l, "id"), 1);
        cr_assert_eq(jint(l, "pid"), 4242);
        cr_assert_str_eq(json_string_value(json_object_get(l, "container_id")), "web-1");
        cr_assert_str_eq(json_string_value(json_object_get(l, "policy")), "demo");
        cr_assert_str_eq(json_string_value(json_object_get(l, "metadata")), "policy=demo");
        cr_assert_str_eq(
                json_string_value(json_object_get(json_object_get(l, "annotations"), "tier")),
                "db");
        cr_assert_eq(jint(l, "received"), 2);
        cr_assert_eq(jint(l, "answered"), 2);
        json_decref(j);

        ctl("list", NULL, &r);
        cr_assert_eq(r.status, 0, "%s", r.err);
        cr_assert(strstr(r.out, "ID     CONTAINER"), "%s", r.out);
        cr_assert(strstr(r.out, "web-1"), "%s", r.out);
        cr_assert(strstr(r.out, "  team=blue,tier=db\n"), "%s", r.out);
        sandbox_stop(&s);
}

Test(control, stats_as_table_json_and_prometheus)
{
        struct sandbox s;
        struct cmd_result r;
        char path[400];
        json_t *j, *st;

        snprintf(path, sizeof(path), "%s/x", d.dir);
        sandbox_start_run(&s, d.socket, "demo", path);
        cr_assert_str_eq(sandbox_mkdir(&s), "EPERM");

        j = ctl_json("stats");
        st = json_object_get(j, "stats");
        cr_assert_eq(jint(st, "listeners"), 1);
        cr_assert_geq(jint(st, "notifications_answered"), 1);
        cr_assert_eq(jint(st, "notifications_received"), jint(st, "notifications_answered"));
        json_decref(j);

        ctl("stats", "--prometheus", &r);
        cr_assert_eq(r.status, 0, "%s", r.err);
        cr_assert(strstr(r.out, "# TYPE unotifyd_listeners gauge\nunotifyd_listeners 1\n"), "%s",
                  r.out);
        cr_assert(strstr(r.out, "# TYPE unotifyd_notifications_answered_total counter\n"), "%s",
                  r.out);
        ctl("stats", NULL, &r);
        cr_assert(strstr(r.out, "listeners                1\n"), "%s", r.out);
        sandbox_stop(&s);
}

Test(control, reload_applies_and_a_bad_reload_says_why)
{
        struct cmd_result r;
        char path[400];

        snprintf(path, sizeof(path), "%s/extra.json", d.policy_dir);
        write_file(path,
                   "{\"name\":\"extra\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[]}");
        ctl("reload", NULL, &r);
        cr_assert_eq(r.status, 0, "%s", r.err);
        cr_assert_str_eq(r.out, "reloaded: 4 policies\n");

        write_file(path, "{\"name\":\"extra\", broken");
        ctl("reload", NULL, &r);
        cr_assert_eq(r.status, 78, "%s", r.out);
        cr_assert(strstr(r.err, "reload: ") &&
                          strstr(r.err, "the policies loaded before stay in force"),
                  "%s", r.err);
        ctl("reload", "--json", &r);
        cr_assert_eq(r.status, 78);
        cr_assert(strstr(r.out, "\"ok\": false"), "%s", r.out);
        ctl("status", NULL, &r);
        cr_assert(strstr(r.out, "policies:        4 from "), "%s", r.out);
}

Test(control, bad_requests_get_an_error_line_and_the_connection_stays)
{
        int fd = raw_connect(d.control);
        const char *rep;

        raw_send(fd, "garbage\n", 8, NULL, 0);
        rep = raw_reply(fd, 5000);
        cr_assert(strstr(rep, "{\"ok\":false,\"error\":\"not valid JSON"), "%s", rep);
        raw_send(fd, "[1]\n", 4, NULL, 0);
        cr_assert(strstr(raw_reply(fd, 5000), "a request is a JSON object"));
        raw_send(fd, "{\"command\":\"format-disk\"}\n", 26, NULL, 0);
        rep = raw_reply(fd, 5000);
        cr_assert(strstr(rep,
                         "unknown command \\\"format-disk\\\" (one of status, list, stats, reload"),
                  "%s", rep);
        raw_send(fd, "{\"command\":\"status\"}\n{\"command\":\"stats\"}\n", 42, NULL, 0);
        /* Two replies, in order; one read may bring both. */
        rep = raw_reply(fd, 5000);
        cr_assert(strstr(rep, "\"version\""), "%s", rep);
        if (!strstr(rep, "\"stats\""))
                rep = raw_reply(fd, 5000);
        cr_assert(strstr(rep, "\"stats\""), "%s", rep);
        close(fd);
}

Test(control, an_overlong_request_is_refused_and_nothing_leaks)
{
        static char big[8192];
        int baseline = count_fds(d.pid);
        int fd = raw_connect(d.control);

        memset(big, 'x', sizeof(big));
        raw_send(fd, big, sizeof(big), NULL, 0);
        cr_assert(strstr(raw_reply(fd, 5000), "request longer than 4096 bytes"));
        close(fd);
        fd = raw_connect(d.control);
        raw_send(fd, "{\"comm", 6, NULL, 0);
        close(fd);
        cr_assert_eq(wait_fd_count(d.pid, baseline, 5000), baseline, "fds leaked: %s",
                     fd_list(d.pid));
}

Test(control, other_users_are_refused)
{
        struct cmd_result r;
        pid_t pid;
        int p[2], status;
        char buf[512] = "";

        cr_assert_eq(pipe(p), 0);
        pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                /* nobody; the socket is 0600 root, so open the door for
                 * the peer check to be what refuses. No Criterion asserts
                 * in this child: the daemon answers and closes at once. */
                struct sockaddr_un sa = { .sun_family = AF_UNIX };
                char reply[512];
                ssize_t n;
                int fd;

                close(p[0]);
                chmod(d.control, 0666);
                chmod(d.dir, 0755);
                if (setgid(65534) < 0 || setuid(65534) < 0)
                        _exit(2);
                strcpy(sa.sun_path, d.control);
                fd = socket(AF_UNIX, SOCK_STREAM, 0);
                if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                        _exit(3);
                n = read(fd, reply, sizeof(reply) - 1);
                if (n > 0 && write(p[1], reply, (size_t)n) != n)
                        _exit(4);
                _exit(0);
        }
        close(p[1]);
        cr_assert_geq(read(p[0], buf, sizeof(buf) - 1), 0);
        close(p[0]);
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);
        cr_assert(strstr(buf, "uid 65534 may not use the control socket"), "%s", buf);
        ctl("status", NULL, &r);
        cr_assert_eq(r.status, 0);
}

Test(control, no_daemon_no_socket, .init = NULL, .fini = NULL)
{
        const char *argv[] = { UNOTIFYCTL, "status", "--socket", "/nonexistent/control.sock",
                               NULL };
        struct cmd_result r;

        run_cmd(argv, 10000, &r);
        cr_assert_eq(r.status, 69);
        cr_assert(strstr(r.err,
                         "cannot connect to the daemon's control socket /nonexistent/control.sock"),
                  "%s", r.err);
        const char *bad[] = { UNOTIFYCTL, "list", "--prometheus", NULL };
        run_cmd(bad, 10000, &r);
        cr_assert_eq(r.status, 64);
        cr_assert(strstr(r.err, "--prometheus is an option of stats only"), "%s", r.err);
}
