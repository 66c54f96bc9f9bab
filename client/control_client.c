/* The client side of the control protocol: one request line, one reply
 * line, rendered as JSON (--json), a table, or Prometheus text. */
#include "control_client.h"
#include "ctl_msg.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include "unotify/macro.h"
#include "unotify/paths.h"

const char *unotifyctl_default_control_socket(void)
{
        static char buf[108];

        return unotify_default_socket("control.sock", buf, sizeof(buf))
                       ?: UNOTIFY_SYSTEM_RUNTIME_DIR "/control.sock";
}

/* A reply is one line; a daemon with very many listeners sends a long one. */
#define REPLY_MAX (64u << 20)
#define REPLY_TIMEOUT_MS 30000

static const char WHO[] = "unotifyctl";

struct ctl_opts {
        const char *socket;
        bool json;
        bool prometheus;
};

static int parse_opts(int argc, char **argv, bool allow_prometheus, struct ctl_opts *ret)
{
        static const struct option longopts[] = {
                { "socket", required_argument, NULL, 's' },
                { "json", no_argument, NULL, 'j' },
                { "prometheus", no_argument, NULL, 'P' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        *ret = (struct ctl_opts){ .socket = UNOTIFYCTL_DEFAULT_CONTROL_SOCKET };
        optind = 1;
        while ((c = getopt_long(argc, argv, "s:jh", longopts, NULL)) >= 0) {
                switch (c) {
                case 's':
                        ret->socket = optarg;
                        break;
                case 'j':
                        ret->json = true;
                        break;
                case 'P':
                        if (!allow_prometheus)
                                return ctl_fail(WHO, EX_USAGE,
                                                "%s: --prometheus is an option of stats only",
                                                argv[0]);
                        ret->prometheus = true;
                        break;
                case 'h':
                        printf("Usage: unotifyctl %s [--socket PATH] [--json]%s\n"
                               "Ask the daemon on its control socket (default %s).\n",
                               argv[0], allow_prometheus ? " [--prometheus]" : "",
                               UNOTIFYCTL_DEFAULT_CONTROL_SOCKET);
                        return -1;
                default:
                        fprintf(stderr, "Try 'unotifyctl --help'.\n");
                        return EX_USAGE;
                }
        }
        if (optind < argc)
                return ctl_fail(WHO, EX_USAGE, "%s: unexpected argument: %s", argv[0],
                                argv[optind]);
        if (strlen(ret->socket) >= sizeof(((struct sockaddr_un *)0)->sun_path))
                return ctl_fail(WHO, EX_USAGE, "--socket: path longer than 107 bytes: %s",
                                ret->socket);
        return 0;
}

static int ctl_connect(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd < 0)
                return negative_errno();
        memcpy(sa.sun_path, path, strlen(path) + 1);
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                int r = negative_errno();

                safe_close(fd);
                return r;
        }
        return fd;
}

/* Read up to the first '\n'. Returns the line (malloc'd) or NULL. */
static char *read_line(int fd, const char *path)
{
        _cleanup_(freep) char *buf = NULL;
        size_t len = 0, cap = 0;

        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t n;
                char *nl;

                if (len + 4096 > cap) {
                        char *b;

                        if (cap >= REPLY_MAX)
                                return ctl_fail(WHO, 0, "%s: reply longer than %u bytes", path,
                                                REPLY_MAX),
                                       NULL;
                        cap = cap ? cap * 2 : 65536;
                        b = realloc(buf, cap + 1);
                        if (!b)
                                return ctl_fail(WHO, 0, "out of memory"), NULL;
                        buf = b;
                }
                if (poll(&p, 1, REPLY_TIMEOUT_MS) == 0)
                        return ctl_fail(WHO, 0, "%s: no reply within %d ms", path,
                                        REPLY_TIMEOUT_MS),
                               NULL;
                n = read(fd, buf + len, cap - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return ctl_fail(WHO, 0,
                                        "%s: the daemon closed the connection without a reply",
                                        path),
                               NULL;
                nl = memchr(buf + len, '\n', (size_t)n);
                len += (size_t)n;
                if (nl) {
                        *nl = '\0';
                        return TAKE_PTR(buf);
                }
        }
}

/* Send the request line req, return the parsed reply via ret_reply.
 * Returns 0, or the exit status after printing why. */
static int request_line(const char *path, const char *req, json_t **ret_reply)
{
        _cleanup_(closep) int fd = ctl_connect(path);
        _cleanup_(freep) char *line = NULL;
        json_error_t jerr;
        json_t *reply;
        ssize_t n = (ssize_t)strlen(req);

        if (fd < 0)
                return ctl_fail(WHO, EX_UNAVAILABLE,
                                "cannot connect to the daemon's control socket %s: %s", path,
                                strerror(-fd));
        /* A daemon that refuses us (peer credentials) answers and closes
         * before reading: the send fails, and the answer is there to read. */
        if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n && errno != EPIPE && errno != ECONNRESET)
                return ctl_fail(WHO, EX_UNAVAILABLE, "%s: send: %s", path, strerror(errno));
        line = read_line(fd, path);
        if (!line)
                return EX_UNAVAILABLE;
        reply = json_loads(line, 0, &jerr);
        if (!json_is_object(reply)) {
                json_decref(reply);
                return ctl_fail(WHO, EX_PROTOCOL, "%s: malformed reply: %s", path, line);
        }
        *ret_reply = reply;
        return 0;
}

static int request(const char *path, const char *verb, json_t **ret_reply)
{
        char req[128];

        snprintf(req, sizeof(req), "{\"command\":\"%s\"}\n", verb);
        return request_line(path, req, ret_reply);
}

int unotifyctl_request(const char *path, const json_t *req, json_t **ret_reply)
{
        _cleanup_(freep) char *line = json_dumps(req, JSON_COMPACT);
        _cleanup_(freep) char *with_nl = NULL;
        json_t *reply = NULL;
        int r;

        if (!line || asprintf(&with_nl, "%s\n", line) < 0)
                return ctl_fail(WHO, EX_OSERR, "out of memory");
        r = request_line(path, with_nl, &reply);
        if (r)
                return r;
        if (!json_is_true(json_object_get(reply, "ok"))) {
                const char *e = json_string_value(json_object_get(reply, "error"));

                r = ctl_fail(WHO, EX_UNAVAILABLE, "%s", e ? e : "the daemon refused the request");
                json_decref(reply);
                return r;
        }
        *ret_reply = reply;
        return 0;
}

/* Connect, ask, check "ok"; print --json output. Returns -1 when the
 * caller should render *ret_reply itself, else the exit status. */
static int run_verb(int argc, char **argv, bool allow_prometheus, int error_code,
                    struct ctl_opts *o, json_t **ret_reply)
{
        json_t *reply = NULL;
        int r;

        r = parse_opts(argc, argv, allow_prometheus, o);
        if (r)
                return r < 0 ? 0 : r;
        /* stats --prometheus: the daemon renders the exposition itself,
         * the same text its metrics endpoint serves. */
        r = request(o->socket, o->prometheus ? "metrics" : argv[0], &reply);
        if (r)
                return r;
        if (!json_is_true(json_object_get(reply, "ok"))) {
                const char *e = json_string_value(json_object_get(reply, "error"));

                if (o->json)
                        json_dumpf(reply, stdout, JSON_INDENT(2)), putchar('\n');
                else
                        ctl_fail(WHO, 0, "%s", e ? e : "the daemon refused the request");
                json_decref(reply);
                return error_code;
        }
        if (o->json) {
                json_dumpf(reply, stdout, JSON_INDENT(2));
                putchar('\n');
                json_decref(reply);
                return 0;
        }
        *ret_reply = reply;
        return -1;
}

static long long num(const json_t *o, const char *key)
{
        return (long long)json_integer_value(json_object_get(o, key));
}

static const char *str(const json_t *o, const char *key)
{
        const char *s = json_string_value(json_object_get(o, key));

        return s ? s : "-";
}

int unotifyctl_status(int argc, char **argv)
{
        _cleanup_(json_decrefp) json_t *r = NULL;
        struct ctl_opts o;
        int code = run_verb(argc, argv, false, EX_UNAVAILABLE, &o, &r);

        if (code >= 0)
                return code;
        printf("unotifyd %s, pid %lld, up %lld s\n", str(r, "version"), num(r, "pid"),
               num(r, "uptime_seconds"));
        printf("handoff socket:  %s\n", str(r, "handoff_socket"));
        printf("control socket:  %s\n", str(r, "control_socket"));
        printf("policies:        %lld from %s\n", num(r, "policies"), str(r, "policy_dir"));
        printf("listeners:       %lld\n", num(r, "listeners"));
        printf("answered:        %lld notifications\n", num(r, "notifications_answered"));
        return 0;
}

/* "k=v,k=v", cut to fit a column. */
static void annotations_summary(const json_t *ann, char *buf, size_t size)
{
        const char *key;
        json_t *v;
        size_t len = 0;

        buf[0] = '\0';
        json_object_foreach((json_t *)ann, key, v) {
                int n = snprintf(buf + len, size - len, "%s%s=%s", len ? "," : "", key,
                                 json_string_value(v));

                if (n < 0 || (size_t)n >= size - len) {
                        if (size > 4)
                                strcpy(buf + size - 4, "...");
                        return;
                }
                len += (size_t)n;
        }
        if (!len)
                snprintf(buf, size, "-");
}

int unotifyctl_list(int argc, char **argv)
{
        _cleanup_(json_decrefp) json_t *r = NULL;
        struct ctl_opts o;
        int code = run_verb(argc, argv, false, EX_UNAVAILABLE, &o, &r);
        json_t *l;
        size_t i;

        if (code >= 0)
                return code;
        printf("%-6s %-20s %-8s %-16s %10s %10s  %s\n", "ID", "CONTAINER", "PID", "POLICY",
               "RECEIVED", "ANSWERED", "ANNOTATIONS");
        json_array_foreach(json_object_get(r, "listeners"), i, l) {
                char ann[48];

                annotations_summary(json_object_get(l, "annotations"), ann, sizeof(ann));
                printf("%-6lld %-20s %-8lld %-16s %10lld %10lld  %s\n", num(l, "id"),
                       str(l, "container_id"), num(l, "pid"), str(l, "policy"), num(l, "received"),
                       num(l, "answered"), ann);
        }
        return 0;
}

int unotifyctl_stats(int argc, char **argv)
{
        _cleanup_(json_decrefp) json_t *r = NULL;
        struct ctl_opts o;
        int code = run_verb(argc, argv, true, EX_UNAVAILABLE, &o, &r);
        const char *key;
        json_t *v;

        if (code >= 0)
                return code;
        if (o.prometheus) {
                const char *text = json_string_value(json_object_get(r, "exposition"));

                if (!text)
                        return ctl_fail(WHO, EX_PROTOCOL, "the daemon sent no exposition");
                fputs(text, stdout);
                return 0;
        }
        json_object_foreach(json_object_get(r, "stats"), key, v)
                printf("%-24s %lld\n", key, (long long)json_integer_value(v));
        return 0;
}

int unotifyctl_reload(int argc, char **argv)
{
        _cleanup_(json_decrefp) json_t *r = NULL;
        struct ctl_opts o;
        int code = run_verb(argc, argv, false, EX_CONFIG, &o, &r);

        if (code >= 0)
                return code;
        printf("reloaded: %lld policies\n", num(r, "policies"));
        return 0;
}

int unotifyctl_upgrade(int argc, char **argv)
{
        _cleanup_(json_decrefp) json_t *r = NULL;
        struct ctl_opts o;
        int code = run_verb(argc, argv, false, EX_UNAVAILABLE, &o, &r);

        if (code >= 0)
                return code;
        printf("upgrading: pid %lld execs %s\n", num(r, "pid"), str(r, "exec"));
        return 0;
}
