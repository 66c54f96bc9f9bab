/* The metrics endpoint (metrics_http.h). One connection, one request,
 * one response, then close: all a scraper needs, and nothing to keep. */
#include "sockets/metrics_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "service/activation.h"
#include "metrics/metrics.h"
#include "unotify/list.h"
#include "sockets/acceptor.h"
#include "sockets/http_request.h"
#include "sockets/listen_addr.h"
#include "service/log.h"
#include "unotify/macro.h"

struct metrics_http {
        struct ev_loop *loop;
        int fd; /* -1: no endpoint */
        bool own;
        const char *listen;
        struct acceptor accept;
        struct metrics *metrics;
        struct metrics_http_hooks hooks;
        struct list_node conns; /* struct mconn.node */
        size_t n_conns;
};

struct mconn {
        ev_io io;
        ev_timer deadline;
        struct metrics_http *h;
        struct list_node node;
        int fd;
        char in[HTTP_REQUEST_MAX];
        size_t in_len;
        char *out; /* the response, once there is one */
        size_t out_len, out_off;
        bool draining; /* response sent: reading what is left until EOF */
};

static struct ratelimit http_warnings = RATELIMIT_INIT(10ull * 1000000000u, 5);

static void mconn_free(struct mconn *c)
{
        ev_io_stop(c->h->loop, &c->io);
        ev_timer_stop(c->h->loop, &c->deadline);
        safe_close(c->fd);
        list_del(&c->node);
        c->h->n_conns--;
        free(c->out);
        free(c);
}

static void mconn_watch(struct mconn *c, int events)
{
        ev_io_stop(c->h->loop, &c->io);
        ev_io_set(&c->io, c->fd, events);
        ev_io_start(c->h->loop, &c->io);
}

/* The whole response in one buffer: head, then body unless HEAD. */
static int respond(struct mconn *c, const char *status, const char *extra, const char *type,
                   const char *body, size_t body_len, bool with_body)
{
        char head[512];
        int n = snprintf(head, sizeof(head),
                         "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
                         "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
                         status, type, body_len, extra);

        if (n < 0 || (size_t)n >= sizeof(head))
                return -EINVAL;
        c->out_len = (size_t)n + (with_body ? body_len : 0);
        c->out = malloc(c->out_len);
        if (!c->out)
                return -ENOMEM;
        memcpy(c->out, head, (size_t)n);
        if (with_body)
                memcpy(c->out + n, body, body_len);
        c->out_off = 0;
        return 0;
}

static int respond_error(struct mconn *c, const char *status, const char *extra)
{
        char body[128];
        int n = snprintf(body, sizeof(body), "%s\n", status);

        c->h->metrics->scrapes_refused++;
        return respond(c, status, extra, "text/plain; charset=utf-8", body, (size_t)n, true);
}

static int respond_metrics(struct mconn *c, const struct http_request *req)
{
        _cleanup_(freep) char *text = NULL;
        size_t len;

        text = c->h->hooks.render(c->h->hooks.userdata, &len);
        if (!text)
                return respond_error(c, "503 Service Unavailable", "");
        c->h->metrics->scrapes++;
        return respond(c, "200 OK", "", "text/plain; version=0.0.4; charset=utf-8", text, len,
                       req->method == HTTP_GET);
}

/* What the request asks for -> the response. Returns 0 or -ENOMEM. */
static int answer(struct mconn *c, int parsed, const struct http_request *req)
{
        switch (parsed) {
        case -EMSGSIZE:
                return respond_error(c, "431 Request Header Fields Too Large", "");
        case -ENAMETOOLONG:
                return respond_error(c, "414 URI Too Long", "");
        case -EPROTONOSUPPORT:
                return respond_error(c, "505 HTTP Version Not Supported", "");
        case 1:
                break;
        default:
                return respond_error(c, "400 Bad Request", "");
        }
        if (!http_request_is(req, "/metrics"))
                return respond_error(c, "404 Not Found", "");
        if (req->method == HTTP_OTHER)
                return respond_error(c, "405 Method Not Allowed", "Allow: GET, HEAD\r\n");
        return respond_metrics(c, req);
}

/* Returns 1 when everything went, 0 for later, -errno. */
static int mconn_flush(struct mconn *c)
{
        while (c->out_off < c->out_len) {
                ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
                                 MSG_NOSIGNAL | MSG_DONTWAIT);

                if (n < 0)
                        return errno == EAGAIN || errno == EINTR ? 0 : negative_errno();
                c->out_off += (size_t)n;
        }
        return 1;
}

/* After the response: no more writes, and what the peer still sends is
 * read and dropped until it closes (closing with unread bytes would reset
 * the connection and could cut the response short at the peer). */
static void mconn_finish(struct mconn *c)
{
        (void)shutdown(c->fd, SHUT_WR);
        c->draining = true;
        mconn_watch(c, EV_READ);
}

static void mconn_drain(struct mconn *c)
{
        char junk[1024];
        ssize_t n = recv(c->fd, junk, sizeof(junk), MSG_DONTWAIT);

        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
                mconn_free(c);
}

static void mconn_read(struct mconn *c)
{
        struct http_request req;
        ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
        int r;

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n <= 0) {
                mconn_free(c); /* closed before a whole request: nobody to answer */
                return;
        }
        c->in_len += (size_t)n;
        r = http_request_parse(c->in, c->in_len, &req);
        if (r == 0)
                return;
        if (answer(c, r, &req) < 0) {
                mconn_free(c);
                return;
        }
        mconn_watch(c, EV_WRITE);
}

static void on_mconn_io(struct ev_loop *loop, ev_io *w, int revents)
{
        struct mconn *c = container_of(w, struct mconn, io);
        int r;

        (void)loop;
        if (c->draining) {
                mconn_drain(c);
                return;
        }
        if (!c->out) {
                if (revents & EV_READ)
                        mconn_read(c);
                return;
        }
        r = mconn_flush(c);
        if (r < 0)
                mconn_free(c);
        else if (r > 0)
                mconn_finish(c);
}

/* The deadline counts from accept and is never pushed back: a client that
 * trickles bytes cannot keep its slot longer. */
static void on_mconn_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
        struct mconn *c = container_of(w, struct mconn, deadline);

        (void)loop;
        (void)revents;
        if (!c->out)
                c->h->metrics->scrapes_refused++;
        mconn_free(c);
}

static void mconn_new(struct metrics_http *h, int fd)
{
        struct mconn *c = calloc(1, sizeof(*c));

        if (!c) {
                safe_close(fd);
                return;
        }
        c->h = h;
        c->fd = fd;
        list_add_tail(&h->conns, &c->node);
        h->n_conns++;
        ev_io_init(&c->io, on_mconn_io, fd, EV_READ);
        ev_io_start(h->loop, &c->io);
        ev_timer_init(&c->deadline, on_mconn_deadline, METRICS_HTTP_DEADLINE, 0.);
        ev_timer_start(h->loop, &c->deadline);
}

static void on_metrics_accept(struct acceptor *a, int fd, const struct ucred *peer, bool known)
{
        struct metrics_http *h = container_of(a, struct metrics_http, accept);

        (void)peer;
        (void)known;
        if (h->n_conns >= METRICS_HTTP_MAX_CONNS) {
                h->metrics->scrapes_refused++;
                if (ratelimit_allow(&http_warnings))
                        log_warning("%d metrics connections open; refusing more",
                                    METRICS_HTTP_MAX_CONNS);
                safe_close(fd);
                return;
        }
        mconn_new(h, fd);
}

static int bind_tcp(const char *addr)
{
        struct addrinfo *ai = NULL;
        int fd, r, on = 1;

        if (listen_addr_resolve(addr, &ai) < 0)
                return log_error_errno(-EINVAL, "--metrics-listen %s: not a numeric HOST:PORT",
                                       addr);
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                r = negative_errno();
                freeaddrinfo(ai);
                return log_error_errno(r, "--metrics-listen %s: socket", addr);
        }
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
        if (ai->ai_family == AF_INET6)
                (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
        r = bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 16) < 0 ? negative_errno() : 0;
        freeaddrinfo(ai);
        if (r < 0) {
                safe_close(fd);
                return log_error_errno(r, "--metrics-listen %s: cannot listen", addr);
        }
        return fd;
}

/* A passed socket: any listening stream socket (TCP or unix). */
static int take_passed(struct inherited *in)
{
        int fd = activation_take(in, "metrics"), flags;

        if (fd < 0)
                return -ENOENT;
        if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
                safe_close(fd);
                return log_error_errno(-EINVAL,
                                       "the fd named \"metrics\" is not a listening stream socket");
        }
        flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
                int r = negative_errno();

                safe_close(fd);
                return log_error_errno(r, "\"metrics\" socket: O_NONBLOCK");
        }
        log_info("metrics socket passed in (%s)", in->upgrade ? "upgrade" : "socket activation");
        return fd;
}

/* The socket passed in or bound, -ENOENT when neither is asked for, or
 * another -errno (logged). */
static int open_socket(struct metrics_http *h, struct inherited *in)
{
        const char *addr = h->listen;
        int fd = take_passed(in);

        if (fd >= 0) {
                h->own = in->upgrade && in->own_sockets && addr && addr[0] == '/';
                return fd;
        }
        if (fd != -ENOENT || !addr)
                return fd;
        if (addr[0] == '/') {
                /* Anyone may read the figures, as on a TCP port. */
                fd = activation_bind(addr, 0666);
                h->own = fd >= 0;
        } else {
                fd = bind_tcp(addr);
        }
        if (fd >= 0)
                log_info("serving metrics on %s", addr);
        return fd;
}

int metrics_http_new(struct ev_loop *loop, const char *listen, struct inherited *in,
                     struct metrics *m, const struct metrics_http_hooks *hooks,
                     struct metrics_http **ret)
{
        struct metrics_http *h = calloc(1, sizeof(*h));
        int fd;

        if (!h)
                return log_error_errno(-ENOMEM, "out of memory");
        *h = (struct metrics_http){
                .loop = loop, .fd = -1, .listen = listen, .metrics = m, .hooks = *hooks
        };
        list_init(&h->conns);
        fd = open_socket(h, in);
        if (fd < 0 && fd != -ENOENT) {
                free(h);
                return fd;
        }
        h->fd = fd < 0 ? -1 : fd;
        if (h->fd >= 0)
                acceptor_init(&h->accept, h->fd, "metrics", 16, false, on_metrics_accept);
        *ret = h;
        return 0;
}

int metrics_http_fd(const struct metrics_http *h)
{
        return h->fd;
}

void metrics_http_start(struct metrics_http *h)
{
        if (h->fd >= 0)
                acceptor_start(h->loop, &h->accept);
}

struct metrics_http *metrics_http_free(struct metrics_http *h)
{
        if (!h)
                return NULL;
        if (h->fd >= 0)
                acceptor_stop(h->loop, &h->accept);
        while (!list_empty(&h->conns))
                mconn_free(container_of(h->conns.next, struct mconn, node));
        if (h->fd >= 0 && h->own)
                unlink(h->listen);
        safe_close(h->fd);
        free(h);
        return NULL;
}
