/* The control socket. Like the handoff socket, and like OpenSSH's monitor:
 * the peer is checked once (SO_PEERCRED), every request is re-checked, and
 * a table maps each command to its handler. Requests and replies are one
 * JSON object per line; a peer can make us hold at most one line of
 * --limit control-request-bytes (4096 by default) and one reply. */
#include "sockets/control.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockets/control_parse.h"
#include "sockets/conn_share.h"
#include "metrics/stats.h"
#include "sockets/peer_limits.h"
#include "unotify/list.h"
#include "sockets/acceptor.h"
#include "service/log.h"
#include "unotify/macro.h"

#define CONTROL_IDLE_TIMEOUT 30.0 /* seconds */

struct control_server {
        struct ev_loop *loop;
        int fd;
        bool own;
        const char *path;
        struct acceptor accept;
        const struct limits *limits;
        struct daemon_stats *stats;
        struct control_hooks hooks;
        struct list_node conns; /* struct ctl_conn.node */
        size_t n_conns;
};

struct ctl_conn {
        ev_io io;
        ev_timer timer;
        struct control_server *s;
        struct list_node node;
        int fd;
        struct ucred peer;
        char *in; /* control-request-bytes */
        size_t in_len, in_max;
        char *out; /* the reply being written */
        size_t out_len, out_off;
        bool close_after_write;
};

static struct ratelimit ctl_warnings = RATELIMIT_INIT(10ull * 1000000000u, 10);

static void ctl_conn_free(struct ctl_conn *c)
{
        ev_io_stop(c->s->loop, &c->io);
        ev_timer_stop(c->s->loop, &c->timer);
        safe_close(c->fd);
        list_del(&c->node);
        c->s->n_conns--;
        free(c->out);
        free(c->in);
        free(c);
}

/* Queue reply (taken) as one line. Returns 0 or -ENOMEM. */
static int ctl_queue(struct ctl_conn *c, json_t *reply)
{
        char *s = reply ? json_dumps(reply, JSON_COMPACT) : NULL;
        size_t n;

        json_decref(reply);
        if (!s)
                return -ENOMEM;
        n = strlen(s);
        s[n] = '\n'; /* replaces the NUL: n + 1 bytes go out */
        c->out = s;
        c->out_len = n + 1;
        c->out_off = 0;
        return 0;
}

_printf_(2, 3) static json_t *ctl_error(struct ctl_conn *c, const char *fmt, ...)
{
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (ratelimit_allow(&ctl_warnings))
                log_warning("control request from pid %d uid %u refused: %s", (int)c->peer.pid,
                            c->peer.uid, msg);
        return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

/* One request line -> one reply object. */
static json_t *ctl_handle_line(struct ctl_conn *c, const char *line, size_t len)
{
        _cleanup_(json_decrefp) json_t *req = NULL, *body = NULL;
        const char *name;
        char err[512] = "";
        json_t *reply;

        req = control_parse_request(line, len, &name, err, sizeof(err));
        if (!req)
                return ctl_error(c, "%s", err);
        body = c->s->hooks.run(c->s->hooks.userdata, name, req, err, sizeof(err));
        if (!body)
                return err[0] ? ctl_error(c, "%s: %s", name, err)
                              : ctl_error(c, "%s: out of memory", name);
        log_debug("control: %s from pid %d uid %u", name, (int)c->peer.pid, c->peer.uid);
        /* "ok" first, for people reading replies with their eyes. */
        reply = json_pack("{s:b}", "ok", 1);
        if (reply && json_object_update(reply, body) < 0)
                reply = (json_decref(reply), NULL);
        return reply;
}

static void ctl_watch(struct ctl_conn *c, int events)
{
        ev_io_stop(c->s->loop, &c->io);
        ev_io_set(&c->io, c->fd, events);
        ev_io_start(c->s->loop, &c->io);
}

/* Answer the first complete line, if any. Returns true when one was. */
static bool ctl_process(struct ctl_conn *c)
{
        ssize_t line = control_next_line(c->in, c->in_len, c->in_max);
        size_t used;

        if (line == -EAGAIN)
                return false;
        if (line < 0) {
                c->close_after_write = true;
                c->in_len = 0;
                c->s->stats->control_requests_too_large++;
                return ctl_queue(c,
                                 ctl_error(c,
                                           "request longer than %zu bytes (control-request-bytes)",
                                           c->in_max)) == 0;
        }
        used = (size_t)line + 1;
        if (ctl_queue(c, ctl_handle_line(c, c->in, (size_t)line)) < 0)
                c->close_after_write = true;
        memmove(c->in, c->in + used, c->in_len - used);
        c->in_len -= used;
        return c->out != NULL;
}

/* Write what the socket takes. Returns 1 when done, 0 for later, -errno. */
static int ctl_flush(struct ctl_conn *c)
{
        while (c->out_off < c->out_len) {
                ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
                                 MSG_NOSIGNAL | MSG_DONTWAIT);

                if (n < 0)
                        return errno == EAGAIN ? 0 : errno == EINTR ? 0 : negative_errno();
                c->out_off += (size_t)n;
        }
        free(c->out);
        c->out = NULL;
        return 1;
}

/* Read, answer, write; one reply in flight at a time, so a peer that
 * does not read its replies only stalls itself. */
static void on_ctl_io(struct ev_loop *loop, ev_io *w, int revents)
{
        struct ctl_conn *c = container_of(w, struct ctl_conn, io);
        ssize_t n;
        int r;

        (void)loop;
        ev_timer_again(c->s->loop, &c->timer);
        if (revents & EV_READ) {
                n = recv(c->fd, c->in + c->in_len, c->in_max - c->in_len, MSG_DONTWAIT);
                if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                        ctl_conn_free(c);
                        return;
                }
                if (n > 0)
                        c->in_len += (size_t)n;
        }
        for (;;) {
                if (!c->out && !ctl_process(c))
                        break;
                r = ctl_flush(c);
                if (r < 0 || (r > 0 && c->close_after_write)) {
                        ctl_conn_free(c);
                        return;
                }
                if (r == 0) {
                        ctl_watch(c, EV_WRITE);
                        return;
                }
        }
        ctl_watch(c, EV_READ);
}

static void on_ctl_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
        (void)loop;
        (void)revents;
        ctl_conn_free(container_of(w, struct ctl_conn, timer));
}

/* Only root and the daemon's own user: reload and upgrade change how
 * every sandboxed task is answered, and list shows what runs where. */
static bool ctl_peer_allowed(const struct ucred *peer)
{
        return peer->uid == 0 || peer->uid == geteuid();
}

static void ctl_conn_new(struct control_server *s, int fd, const struct ucred *peer,
                         bool peer_known)
{
        struct ctl_conn *c = calloc(1, sizeof(*c));
        size_t max = s->limits->control_request_bytes;

        /* Not touched beyond what arrives: a large cap costs pages only
         * for requests that long. */
        if (!c || !(c->in = malloc(max + 1))) {
                free(c);
                safe_close(fd);
                return;
        }
        c->in_max = max;
        c->s = s;
        c->fd = fd;
        if (peer_known)
                c->peer = *peer;
        list_add_tail(&s->conns, &c->node);
        s->n_conns++;
        ev_io_init(&c->io, on_ctl_io, fd, EV_READ);
        ev_init(&c->timer, on_ctl_timeout);
        c->timer.repeat = CONTROL_IDLE_TIMEOUT;
        if (!peer_known || !ctl_peer_allowed(&c->peer)) {
                if (ctl_queue(c, ctl_error(c, "uid %u may not use the control socket",
                                           c->peer.uid)) == 0)
                        (void)ctl_flush(c);
                ctl_conn_free(c);
                return;
        }
        ev_io_start(s->loop, &c->io);
        ev_timer_again(s->loop, &c->timer);
}

/* Room for one more connection of peer (conn_share.h). */
static void ctl_make_room(struct control_server *s, const struct ucred *peer)
{
        struct list_node *victim = conn_share_victim(
                &s->conns, s->n_conns,
                (ptrdiff_t)offsetof(struct ctl_conn, peer) -
                        (ptrdiff_t)offsetof(struct ctl_conn, node),
                peer->uid, s->limits->control_conns, s->limits->control_conns_per_uid);
        struct ctl_conn *c;

        if (!victim)
                return;
        c = container_of(victim, struct ctl_conn, node);
        s->stats->control_conns_evicted++;
        if (ratelimit_allow(&ctl_warnings))
                log_warning(
                        "%zu control connections open: closing the oldest of uid %u to make room",
                        s->n_conns, c->peer.uid);
        ctl_conn_free(c);
}

static void on_ctl_accept(struct acceptor *a, int fd, const struct ucred *peer, bool known)
{
        struct control_server *s = container_of(a, struct control_server, accept);

        if (known && ctl_peer_allowed(peer))
                ctl_make_room(s, peer);
        ctl_conn_new(s, fd, peer, known);
}

int control_server_new(struct ev_loop *loop, int fd, bool own, const char *path,
                       const struct limits *limits, struct daemon_stats *stats,
                       const struct control_hooks *hooks, struct control_server **ret)
{
        struct control_server *s = calloc(1, sizeof(*s));

        if (!s) {
                safe_close(fd);
                return -ENOMEM;
        }
        *s = (struct control_server){ .loop = loop,
                                      .fd = fd,
                                      .own = own,
                                      .path = path,
                                      .limits = limits,
                                      .stats = stats,
                                      .hooks = *hooks };
        list_init(&s->conns);
        acceptor_init(&s->accept, fd, "control", 16, true, on_ctl_accept);
        *ret = s;
        return 0;
}

int control_server_fd(const struct control_server *s, bool *own)
{
        if (own)
                *own = s->own;
        return s->fd;
}

size_t control_server_conns(const struct control_server *s)
{
        return s->n_conns;
}

void control_start(struct control_server *s)
{
        acceptor_start(s->loop, &s->accept);
}

struct control_server *control_server_free(struct control_server *s)
{
        if (!s)
                return NULL;
        acceptor_stop(s->loop, &s->accept);
        while (!list_empty(&s->conns))
                ctl_conn_free(container_of(s->conns.next, struct ctl_conn, node));
        if (s->fd >= 0 && s->own)
                unlink(s->path);
        safe_close(s->fd);
        free(s);
        return NULL;
}
