/* One listening socket's accept loop, shared by the handoff, control and
 * metrics sockets: a burst of non-blocking accepts per wake-up (so one
 * busy socket does not keep the loop from the others), the peer's
 * credentials (SO_PEERCRED) where the socket's owner decides by them, and
 * accept errors logged at a bounded rate. What a connection becomes is
 * the owner's callback. */
#pragma once

#include <ev.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "service/log.h"

struct acceptor;

/* A connection accepted on a's socket (fd non-blocking, close-on-exec,
 * the callee's). peer is known only when peer_known (and asked for). */
typedef void (*acceptor_fn)(struct acceptor *a, int fd, const struct ucred *peer, bool peer_known);

struct acceptor {
        ev_io io;
        const char *what; /* "handoff", "control", "metrics": for the log */
        unsigned burst;   /* accepts per wake-up */
        bool want_peer;
        acceptor_fn accepted;
        struct ratelimit warnings;
};

/* Set a up for the listening socket fd (borrowed); not started. */
void acceptor_init(struct acceptor *a, int fd, const char *what, unsigned burst, bool want_peer,
                   acceptor_fn accepted);
void acceptor_start(struct ev_loop *loop, struct acceptor *a);
void acceptor_stop(struct ev_loop *loop, struct acceptor *a);
