/* The handoff server (handoff.h): accepting, making room, the
 * connections' timers, quiescing before an upgrade or an exit. */
#include "sockets/handoff.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "loop/options.h"
#include "metrics/stats.h"
#include "service/log.h"
#include "sockets/conn_share.h"
#include "sockets/handoff_answer.h"
#include "sockets/handoff_conn.h"

#define HANDOFF_ACCEPT_BURST 16

static void on_conn_io(struct ev_loop *loop, ev_io *w, int revents)
{
        struct conn *c = container_of(w, struct conn, io);
        char err[256];
        int r;

        (void)loop;
        (void)revents;
        r = conn_read(c, err, sizeof(err));
        if (r == 0)
                return;
        if (r == -ENODATA)
                /* crun connects to the agent before it sets the process up
                 * and closes without a word when that fails (cgroups, exec
                 * of a missing file): nothing to refuse. */
                log_info("handoff connection from pid %d closed without a message",
                         (int)c->peer.pid);
        else if (r < 0)
                conn_refuse(c,
                            r == -EMSGSIZE ? METRICS_REFUSED_TOO_LARGE
                            : r == -ENOMEM ? METRICS_REFUSED_NO_MEMORY
                                           : METRICS_REFUSED_MALFORMED,
                            "%s", err);
        else
                handoff_answer(c);
        conn_free(c);
}

static void on_conn_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
        struct conn *c = container_of(w, struct conn, timer);

        (void)loop;
        (void)revents;
        c->s->cfg.stats->handoff_timeouts++;
        conn_refuse(c, METRICS_REFUSED_TIMEOUT,
                    "no complete message within %u ms (%zu bytes received)",
                    c->s->cfg.opts->limits.handoff_timeout_ms, c->len);
        conn_free(c);
}

/* Only root and the daemon's own user may hand over listeners: a listener
 * decides what another process's syscalls return. */
static bool peer_allowed(const struct ucred *peer)
{
        return peer->uid == 0 || peer->uid == geteuid();
}

static void conn_new(struct handoff_server *s, int fd, const struct ucred *peer, bool peer_known)
{
        struct conn *c = calloc(1, sizeof(*c));

        if (!c) {
                safe_close(fd);
                return;
        }
        c->s = s;
        c->fd = fd;
        if (peer_known)
                c->peer = *peer;
        list_add_tail(&s->conns, &c->node);
        s->n_conns++;
        if (!peer_known || !peer_allowed(&c->peer)) {
                conn_refuse(c, METRICS_REFUSED_PEER, "uid %u may not hand over listeners",
                            c->peer.uid);
                conn_free(c);
                return;
        }
        ev_io_init(&c->io, on_conn_io, fd, EV_READ);
        ev_io_start(s->loop, &c->io);
        ev_timer_init(&c->timer, on_conn_timeout, s->cfg.opts->limits.handoff_timeout_ms / 1000.0,
                      0.);
        ev_timer_start(s->loop, &c->timer);
}

/* Room for one more connection of peer (conn_share.h): the connection
 * closed for it, if any, is told why. */
static void make_room(struct handoff_server *s, const struct ucred *peer)
{
        static struct ratelimit full = RATELIMIT_INIT(10ull * 1000000000u, 5);
        const struct limits *lim = &s->cfg.opts->limits;
        struct list_node *victim = conn_share_victim(
                &s->conns, s->n_conns,
                (ptrdiff_t)offsetof(struct conn, peer) - (ptrdiff_t)offsetof(struct conn, node),
                peer->uid, lim->handoff_conns, lim->handoff_conns_per_uid);
        struct conn *c;

        if (!victim)
                return;
        c = container_of(victim, struct conn, node);
        s->cfg.stats->handoff_conns_evicted++;
        if (ratelimit_allow(&full))
                log_warning("%zu handoff connections pending (uid %u holds its share of %u, or all "
                            "%u are taken): closing the oldest of uid %u",
                            s->n_conns, peer->uid, lim->handoff_conns_per_uid, lim->handoff_conns,
                            c->peer.uid);
        conn_refuse(c, METRICS_REFUSED_BUSY,
                    "closed to make room: too many handoff connections pending");
        conn_free(c);
}

static void on_accept(struct acceptor *a, int fd, const struct ucred *peer, bool known)
{
        struct handoff_server *s = container_of(a, struct handoff_server, accept);

        /* Only a peer that may hand over can make room. */
        if (known && peer_allowed(peer))
                make_room(s, peer);
        conn_new(s, fd, peer, known);
}

/* A timer, not a call from conn_free: the last connection may end deep in
 * a callback that still uses the daemon's state. */
static void on_quiesced(struct ev_loop *loop, ev_timer *w, int revents)
{
        struct handoff_server *s = container_of(w, struct handoff_server, quiesce_timer);
        void (*done)(void *userdata) = s->quiesce_done;

        (void)loop;
        (void)revents;
        s->quiesce_done = NULL;
        if (done)
                done(s->quiesce_userdata);
}

int handoff_server_new(struct ev_loop *loop, int fd, bool own, struct listener_set *set,
                       const struct handoff_config *cfg, const struct handoff_hooks *hooks,
                       struct handoff_server **ret)
{
        struct handoff_server *s = calloc(1, sizeof(*s));

        if (!s) {
                safe_close(fd);
                return -ENOMEM;
        }
        *s = (struct handoff_server){
                .loop = loop, .fd = fd, .own = own, .set = set, .cfg = *cfg, .hooks = *hooks
        };
        list_init(&s->conns);
        acceptor_init(&s->accept, fd, "handoff", HANDOFF_ACCEPT_BURST, true, on_accept);
        ev_timer_init(&s->quiesce_timer, on_quiesced, 0., 0.);
        *ret = s;
        return 0;
}

int handoff_server_fd(const struct handoff_server *s, bool *own)
{
        if (own)
                *own = s->own;
        return s->fd;
}

size_t handoff_server_pending(const struct handoff_server *s)
{
        return s->n_conns;
}

bool handoff_server_quiescing(const struct handoff_server *s)
{
        return s->quiesce_done != NULL;
}

void handoff_start(struct handoff_server *s)
{
        acceptor_start(s->loop, &s->accept);
}

void handoff_quiesce(struct handoff_server *s, void (*done)(void *userdata), void *userdata)
{
        acceptor_stop(s->loop, &s->accept);
        s->quiesce_done = done;
        s->quiesce_userdata = userdata;
        if (s->n_conns == 0) {
                ev_timer_start(s->loop, &s->quiesce_timer);
                return;
        }
        log_notice("%zu handoff%s being read: finishing %s first (at most %u ms)", s->n_conns,
                   s->n_conns == 1 ? "" : "s", s->n_conns == 1 ? "it" : "them",
                   s->cfg.opts->limits.handoff_timeout_ms);
}

void handoff_resume(struct handoff_server *s)
{
        s->quiesce_done = NULL;
        ev_timer_stop(s->loop, &s->quiesce_timer);
        acceptor_start(s->loop, &s->accept);
}

struct handoff_server *handoff_server_free(struct handoff_server *s)
{
        if (!s)
                return NULL;
        s->quiesce_done = NULL;
        ev_timer_stop(s->loop, &s->quiesce_timer);
        acceptor_stop(s->loop, &s->accept);
        while (!list_empty(&s->conns))
                conn_free(container_of(s->conns.next, struct conn, node));
        if (s->fd >= 0 && s->own)
                unlink(s->cfg.opts->socket_path);
        safe_close(s->fd);
        free(s);
        return NULL;
}
