/* The socket objects alone, each on a real unix socket in a temporary
 * directory, served by a libev loop this test turns by hand: the handoff
 * server (sockets/handoff.h) answering queries, binding a real seccomp
 * listener into a real listener set and refusing garbage; the control
 * server (sockets/control.h) and the metrics endpoint
 * (sockets/metrics_http.h), each through its owner's hook. Every object is
 * freed, its socket closed and unlinked; leaks show under ASan. */
#include <criterion/criterion.h>
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "loop/options.h"
#include "metrics/metrics.h"
#include "metrics/stats.h"
#include "notify/listener_set.h"
#include "service/activation.h"
#include "sockets/control.h"
#include "sockets/handoff.h"
#include "sockets/metrics_http.h"
#include "unotify/policy.h"

#include "seccomp_child.h"

static char dir[64];
static char path[96];

static void make_dir(void)
{
        snprintf(dir, sizeof(dir), "/tmp/unotify-servers-XXXXXX");
        cr_assert_not_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/s.sock", dir);
}

static void remove_dir(void)
{
        cr_assert_eq(rmdir(dir), 0, "left in %s: the socket was not unlinked", dir);
}

static bool exists(const char *p)
{
        struct stat st;

        return stat(p, &st) == 0;
}

static int client(void)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        cr_assert_geq(fd, 0);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "connect: %m");
        return fd;
}

/* Send text, with fd (>= 0) as SCM_RIGHTS. */
static void send_msg(int sock, const char *text, int fd)
{
        struct iovec iov = { .iov_base = (void *)text, .iov_len = strlen(text) };
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } u = {};
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

        if (fd >= 0) {
                struct cmsghdr *cm;

                msg.msg_control = u.buf;
                msg.msg_controllen = sizeof(u.buf);
                cm = CMSG_FIRSTHDR(&msg);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(cm), &fd, sizeof(int));
        }
        cr_assert_eq(sendmsg(sock, &msg, MSG_NOSIGNAL), (ssize_t)strlen(text));
}

/* Turn the loop until sock has a whole line (until_eof: until the server
 * closes) or 5 s pass; the bytes, NUL-terminated, into buf. */
static size_t pump(struct ev_loop *loop, int sock, char *buf, size_t size, bool until_eof)
{
        size_t len = 0;

        for (int i = 0; i < 5000; i++) {
                ssize_t n;

                ev_run(loop, EVRUN_NOWAIT);
                n = recv(sock, buf + len, size - 1 - len, MSG_DONTWAIT);
                if (n > 0)
                        len += (size_t)n;
                buf[len] = '\0';
                if (n == 0 || (!until_eof && memchr(buf, '\n', len)))
                        return len;
                usleep(1000);
        }
        cr_assert_fail("no %s within 5 s (got \"%s\")", until_eof ? "EOF" : "line", buf);
        return 0;
}

static json_t *ask(struct ev_loop *loop, const char *text, int fd)
{
        char buf[65536];
        int sock = client();
        json_error_t e;
        json_t *reply;

        send_msg(sock, text, fd);
        pump(loop, sock, buf, sizeof(buf), false);
        close(sock);
        reply = json_loads(buf, JSON_DISABLE_EOF_CHECK, &e);
        cr_assert_not_null(reply, "not JSON: \"%s\"", buf);
        return reply;
}

static bool reply_ok(const json_t *r)
{
        return json_is_true(json_object_get(r, "ok"));
}

static const char *reply_str(const json_t *r, const char *key)
{
        return json_string_value(json_object_get(r, key));
}

struct owner {
        struct unotify_policy *web;
        unsigned added, selected;
        struct listener *last;
        bool quiesced;
};

static struct unotify_policy *find_policy(void *userdata, const char *name)
{
        struct owner *o = userdata;

        return strcmp(name, "web") == 0 ? o->web : NULL;
}

static int select_policy(void *userdata, const char *metadata, const struct unotify_selector *sel,
                         struct unotify_policy **ret, char *how, size_t size)
{
        struct owner *o = userdata;

        (void)sel;
        o->selected++;
        if (!metadata || !strstr(metadata, "policy=web"))
                return snprintf(how, size, "no policy for it"), -ENOENT;
        snprintf(how, size, "metadata policy=web");
        *ret = o->web;
        return 0;
}

static void added(void *userdata, struct listener *l)
{
        struct owner *o = userdata;

        o->added++;
        o->last = l;
}

static void quiesced(void *userdata)
{
        ((struct owner *)userdata)->quiesced = true;
}

#define STATE(meta)                                                                         \
        "{\"ociVersion\":\"1.0.2\",\"fds\":[\"seccompFd\"],\"pid\":42,\"metadata\":\"" meta \
        "\",\"state\":{\"ociVersion\":\"1.0.2\",\"id\":\"c1\",\"status\":\"creating\","     \
        "\"pid\":42,\"bundle\":\"/b\"}}"

Test(handoff_server, answers_binds_refuses_and_frees, .timeout = 30)
{
        struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
        struct daemon_stats stats = {};
        struct metrics metrics = {};
        struct options opts = { .policy_dir = "(test)", .limits = LIMITS_DEFAULT };
        struct owner o = {};
        struct unotify_policy *deny;
        struct listener_set *set;
        struct handoff_server *s;
        const struct handoff_hooks hooks = { .userdata = &o,
                                             .find_policy = find_policy,
                                             .select_policy = select_policy,
                                             .added = added };
        struct handoff_config cfg = { .opts = &opts, .stats = &stats, .metrics = &metrics };
        json_t *r;
        bool own = false;
        pid_t pids[2];
        int fd, server_fd;

        make_dir();
        opts.socket_path = path;
        cr_assert_eq(unotify_policy_new_deny_all("web", EPERM, &o.web), 0);
        cr_assert_eq(unotify_policy_new_deny_all("(deny-all)", EPERM, &deny), 0);
        cfg.deny_all = deny;
        cr_assert_eq(listener_set_new(loop, false, &stats, &metrics, NULL, &set), 0);
        fd = activation_bind(path, 0600);
        cr_assert_geq(fd, 0);
        cr_assert_eq(handoff_server_new(loop, fd, true, set, &cfg, &hooks, &s), 0);
        server_fd = fd;
        cr_assert_eq(handoff_server_fd(s, &own), fd);
        cr_assert(own);
        handoff_start(s);

        r = ask(loop, "{\"unotifyQuery\":\"policy\",\"policy\":\"nope\"}", -1);
        cr_assert_not(reply_ok(r));
        cr_assert_not_null(strstr(reply_str(r, "error"), "unknown policy \"nope\""), "%s",
                           reply_str(r, "error"));
        json_decref(r);
        cr_assert_eq(stats.handoffs_refused, 1);
        cr_assert_eq(metrics.refusals[METRICS_REFUSED_POLICY], 1);

        r = ask(loop, "{\"unotifyQuery\":\"policy\",\"policy\":\"web\"}", -1);
        cr_assert(reply_ok(r), "%s", reply_str(r, "error"));
        cr_assert_str_eq(reply_str(r, "policy"), "web");
        cr_assert_gt(strlen(reply_str(r, "filter")), 0);
        cr_assert_eq(strlen(reply_str(r, "digest")), 16);
        json_decref(r);

        /* A real listener, handed over as a runtime does. */
        fd = seccomp_child_listener(&pids[0]);
        r = ask(loop, STATE("policy=web\\nk=v"), fd);
        close(fd); /* ours; the server has its own copy */
        cr_assert(reply_ok(r), "%s", reply_str(r, "error"));
        cr_assert_str_eq(reply_str(r, "policy"), "web");
        cr_assert_eq(json_integer_value(json_object_get(r, "listener")), 1);
        json_decref(r);
        cr_assert_eq(set->n_listeners, 1);
        cr_assert_eq(o.added, 1);
        cr_assert_eq(o.last->policy, o.web);
        cr_assert_str_eq(o.last->container_id, "c1");
        cr_assert_str_eq(o.last->metadata, "policy=web\nk=v");
        cr_assert_eq(o.last->peer_uid, getuid());

        /* No policy selected: served by deny-all, and told so. */
        fd = seccomp_child_listener(&pids[1]);
        r = ask(loop, STATE("k=v"), fd);
        close(fd);
        cr_assert_not(reply_ok(r));
        cr_assert_not_null(strstr(reply_str(r, "error"), "deny-all"), "%s", reply_str(r, "error"));
        json_decref(r);
        cr_assert_eq(set->n_listeners, 2);
        cr_assert_eq(o.last->policy, deny);

        /* The listener fd must be one. */
        fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        r = ask(loop, STATE("policy=web"), fd);
        close(fd);
        cr_assert_not(reply_ok(r));
        cr_assert_eq(metrics.refusals[METRICS_REFUSED_NOT_LISTENER], 1);
        json_decref(r);

        r = ask(loop, "[1, 2]", -1);
        cr_assert_not(reply_ok(r));
        cr_assert_str_eq(reply_str(r, "error"), "not a JSON object");
        json_decref(r);
        cr_assert_eq(metrics.refusals[METRICS_REFUSED_MALFORMED], 1);
        cr_assert_eq(o.selected, 2);
        cr_assert_eq(handoff_server_pending(s), 0);

        /* Nothing being read: the quiesce callback runs at the next turn. */
        handoff_quiesce(s, quiesced, &o);
        cr_assert(handoff_server_quiescing(s));
        ev_run(loop, EVRUN_NOWAIT);
        cr_assert(o.quiesced);
        cr_assert_not(handoff_server_quiescing(s));

        cr_assert_null(handoff_server_free(s));
        cr_assert_not(exists(path), "own socket unlinked");
        cr_assert_lt(fcntl(server_fd, F_GETFD), 0, "the socket is closed");
        listener_set_free(set);
        seccomp_child_kill(pids[0]);
        seccomp_child_kill(pids[1]);
        unotify_policy_unref(o.web);
        unotify_policy_unref(deny);
        metrics_done(&metrics);
        ev_loop_destroy(loop);
        remove_dir();
}

/* A connection still being read when the server is freed: closed with it. */
Test(handoff_server, free_closes_a_half_sent_handoff, .timeout = 30)
{
        struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
        struct daemon_stats stats = {};
        struct metrics metrics = {};
        struct options opts = { .limits = LIMITS_DEFAULT };
        struct owner o = {};
        const struct handoff_hooks hooks = { .userdata = &o,
                                             .find_policy = find_policy,
                                             .select_policy = select_policy };
        const struct handoff_config cfg = { .opts = &opts, .stats = &stats, .metrics = &metrics };
        struct handoff_server *s;
        char buf[16];
        ssize_t n;
        int fd, sock;

        make_dir();
        opts.socket_path = path;
        fd = activation_bind(path, 0600);
        cr_assert_geq(fd, 0);
        cr_assert_eq(handoff_server_new(loop, fd, false, NULL, &cfg, &hooks, &s), 0);
        handoff_start(s);
        sock = client();
        send_msg(sock, "{\"unotifyQuery\":", -1);
        for (int i = 0; i < 1000 && handoff_server_pending(s) == 0; i++) {
                ev_run(loop, EVRUN_NOWAIT);
                usleep(1000);
        }
        cr_assert_eq(handoff_server_pending(s), 1);
        handoff_server_free(s);
        /* Closed with our bytes unread: EOF or a reset. */
        n = recv(sock, buf, sizeof(buf), 0);
        cr_assert(n == 0 || (n < 0 && errno == ECONNRESET), "the connection was closed: %zd %m", n);
        cr_assert(exists(path), "a socket we did not bind stays");
        close(sock);
        cr_assert_eq(unlink(path), 0);
        metrics_done(&metrics);
        ev_loop_destroy(loop);
        remove_dir();
}

static json_t *run_command(void *userdata, const char *name, const json_t *req, char *err,
                           size_t err_size)
{
        unsigned *calls = userdata;

        (*calls)++;
        if (strcmp(name, "reload") == 0)
                return snprintf(err, err_size, "boom"), NULL;
        return json_pack("{s:s, s:O?}", "seen", name, "echo", json_object_get(req, "echo"));
}

Test(control_server, runs_commands_through_its_hook, .timeout = 30)
{
        struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
        struct daemon_stats stats = {};
        struct limits limits = LIMITS_DEFAULT;
        unsigned calls = 0;
        const struct control_hooks hooks = { .userdata = &calls, .run = run_command };
        struct control_server *s;
        char big[200];
        json_t *r;
        int fd;

        make_dir();
        limits.control_request_bytes = 128;
        fd = activation_bind(path, 0600);
        cr_assert_geq(fd, 0);
        cr_assert_eq(control_server_new(loop, fd, true, path, &limits, &stats, &hooks, &s), 0);
        control_start(s);

        r = ask(loop, "{\"command\":\"status\",\"echo\":7}\n", -1);
        cr_assert(reply_ok(r), "%s", reply_str(r, "error"));
        cr_assert_str_eq(reply_str(r, "seen"), "status");
        cr_assert_eq(json_integer_value(json_object_get(r, "echo")), 7);
        json_decref(r);

        r = ask(loop, "{\"command\":\"reload\"}\n", -1);
        cr_assert_not(reply_ok(r));
        cr_assert_str_eq(reply_str(r, "error"), "reload: boom");
        json_decref(r);

        /* Refused before the hook. */
        r = ask(loop, "{\"command\":\"rm -rf\"}\n", -1);
        cr_assert_not(reply_ok(r));
        cr_assert_not_null(strstr(reply_str(r, "error"), "unknown command"));
        json_decref(r);
        memset(big, 'x', sizeof(big) - 2);
        big[sizeof(big) - 2] = '\n';
        big[sizeof(big) - 1] = '\0';
        r = ask(loop, big, -1);
        cr_assert_not(reply_ok(r));
        cr_assert_not_null(strstr(reply_str(r, "error"), "longer than 128 bytes"));
        json_decref(r);
        cr_assert_eq(stats.control_requests_too_large, 1);
        cr_assert_eq(calls, 2);

        cr_assert_null(control_server_free(s));
        cr_assert_not(exists(path));
        ev_loop_destroy(loop);
        remove_dir();
}

static char *render(void *userdata, size_t *ret_len)
{
        unsigned *renders = userdata;
        char *text = strdup("unotifyd_test 1\n");

        (*renders)++;
        *ret_len = text ? strlen(text) : 0;
        return text;
}

static void http_get(struct ev_loop *loop, const char *target, char *buf, size_t size)
{
        char req[256];
        int sock = client();

        snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: test\r\n\r\n", target);
        send_msg(sock, req, -1);
        pump(loop, sock, buf, size, true);
        close(sock);
}

Test(metrics_http, serves_its_hooks_text_on_a_unix_socket, .timeout = 30)
{
        struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
        struct metrics metrics = {};
        unsigned renders = 0;
        const struct metrics_http_hooks hooks = { .userdata = &renders, .render = render };
        struct inherited in = {};
        struct metrics_http *h;
        char buf[4096];

        make_dir();
        cr_assert_eq(metrics_http_new(loop, path, &in, &metrics, &hooks, &h), 0);
        cr_assert_geq(metrics_http_fd(h), 0);
        cr_assert(exists(path));
        metrics_http_start(h);

        http_get(loop, "/metrics", buf, sizeof(buf));
        cr_assert_eq(strncmp(buf, "HTTP/1.1 200 OK\r\n", 17), 0, "%s", buf);
        cr_assert_not_null(strstr(buf, "\r\n\r\nunotifyd_test 1\n"), "%s", buf);
        cr_assert_eq(metrics.scrapes, 1);
        http_get(loop, "/other", buf, sizeof(buf));
        cr_assert_eq(strncmp(buf, "HTTP/1.1 404", 12), 0, "%s", buf);
        cr_assert_eq(metrics.scrapes_refused, 1);
        cr_assert_eq(renders, 1);

        cr_assert_null(metrics_http_free(h));
        cr_assert_not(exists(path));
        ev_loop_destroy(loop);
        remove_dir();
}

Test(metrics_http, nothing_to_listen_on_serves_nothing, .timeout = 30)
{
        struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
        struct metrics metrics = {};
        const struct metrics_http_hooks hooks = { .render = render };
        struct inherited in = {};
        struct metrics_http *h;

        cr_assert_eq(metrics_http_new(loop, NULL, &in, &metrics, &hooks, &h), 0);
        cr_assert_eq(metrics_http_fd(h), -1);
        metrics_http_start(h);
        ev_run(loop, EVRUN_NOWAIT);
        cr_assert_null(metrics_http_free(h));
        cr_assert_eq(metrics_http_new(loop, "not-an-address", &in, &metrics, &hooks, &h), -EINVAL);
        ev_loop_destroy(loop);
}
