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
#include "loop/daemon.h"
#include "sockets/acceptor.h"
#include "sockets/http_request.h"
#include "sockets/listen_addr.h"
#include "service/log.h"
#include "metrics/metrics_text.h"
#include "unotify/macro.h"

struct mconn {
        ev_io io;
        ev_timer deadline;
        struct daemon *d;
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
        ev_io_stop(c->d->loop, &c->io);
        ev_timer_stop(c->d->loop, &c->deadline);
        safe_close(c->fd);
        list_del(&c->node);
        c->d->n_metrics_conns--;
        free(c->out);
        free(c);
}

static void mconn_watch(struct mconn *c, int events)
{
        ev_io_stop(c->d->loop, &c->io);
        ev_io_set(&c->io, c->fd, events);
        ev_io_start(c->d->loop, &c->io);
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

        c->d->metrics.scrapes_refused++;
        return respond(c, status, extra, "text/plain; charset=utf-8", body, (size_t)n, true);
}

static int respond_metrics(struct mconn *c, const struct http_request *req)
{
        _cleanup_(freep) char *text = NULL;
        size_t len;

        text = metrics_text(c->d, &len);
        if (!text)
                return respond_error(c, "503 Service Unavailable", "");
        c->d->metrics.scrapes++;
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
                c->d->metrics.scrapes_refused++;
        mconn_free(c);
}

static void mconn_new(struct daemon *d, int fd)
{
        struct mconn *c = calloc(1, sizeof(*c));

        if (!c) {
                safe_close(fd);
                return;
        }
        c->d = d;
        c->fd = fd;
        list_add_tail(&d->metrics_conns, &c->node);
        d->n_metrics_conns++;
        ev_io_init(&c->io, on_mconn_io, fd, EV_READ);
        ev_io_start(d->loop, &c->io);
        ev_timer_init(&c->deadline, on_mconn_deadline, METRICS_HTTP_DEADLINE, 0.);
        ev_timer_start(d->loop, &c->deadline);
}

static void on_metrics_accept(struct acceptor *a, int fd, const struct ucred *peer, bool known)
{
        struct daemon *d = container_of(a, struct daemon, metrics_accept);

        (void)peer;
        (void)known;
        if (d->n_metrics_conns >= METRICS_HTTP_MAX_CONNS) {
                d->metrics.scrapes_refused++;
                if (ratelimit_allow(&http_warnings))
                        log_warning("%d metrics connections open; refusing more",
                                    METRICS_HTTP_MAX_CONNS);
                safe_close(fd);
                return;
        }
        mconn_new(d, fd);
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

int metrics_http_open(struct daemon *d, struct inherited *in)
{
        const char *addr = d->opts->metrics_listen;
        int fd = take_passed(in);

        if (fd >= 0) {
                d->own_metrics = in->upgrade && in->own_sockets && addr && addr[0] == '/';
                d->metrics_fd = fd;
                return 0;
        }
        if (fd != -ENOENT)
                return fd;
        if (!addr)
                return 0;
        if (addr[0] == '/') {
                /* Anyone may read the figures, as on a TCP port. */
                fd = activation_bind(addr, 0666);
                d->own_metrics = fd >= 0;
        } else {
                fd = bind_tcp(addr);
        }
        if (fd < 0)
                return fd;
        d->metrics_fd = fd;
        log_info("serving metrics on %s", addr);
        return 0;
}

void metrics_http_start(struct daemon *d)
{
        if (d->metrics_fd < 0)
                return;
        acceptor_init(&d->metrics_accept, d->metrics_fd, "metrics", 16, false, on_metrics_accept);
        acceptor_start(d->loop, &d->metrics_accept);
}

void metrics_http_stop(struct daemon *d)
{
        if (d->metrics_fd >= 0)
                acceptor_stop(d->loop, &d->metrics_accept);
        while (!list_empty(&d->metrics_conns))
                mconn_free(container_of(d->metrics_conns.next, struct mconn, node));
}

void metrics_http_close(struct daemon *d)
{
        if (d->metrics_fd >= 0 && d->own_metrics)
                unlink(d->opts->metrics_listen);
        d->metrics_fd = safe_close(d->metrics_fd);
}
