/* The handoff server's inside, shared by its files (nothing else
 * includes this): the server, one connection being read, and what every
 * file does to a connection (reply, refuse, free, read). handoff.c
 * accepts and ends connections; handoff_answer.c turns a message into a
 * listener or a query's answer. */
#pragma once

#include <ev.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "metrics/metrics.h"
#include "sockets/acceptor.h"
#include "sockets/handoff_hooks.h"
#include "sockets/handoff_msg.h"
#include "unotify/list.h"
#include "unotify/macro.h"
#include "unotify/unotify.h"

struct handoff_server {
        struct ev_loop *loop;
        int fd;
        bool own; /* a socket we bound: unlinked at the end */
        struct acceptor accept;
        struct listener_set *set;
        struct handoff_config cfg;
        struct handoff_hooks hooks;
        struct list_node conns; /* struct conn.node */
        size_t n_conns;
        /* handoff_quiesce(): what runs once no handoff is being read. */
        void (*quiesce_done)(void *userdata);
        void *quiesce_userdata;
        ev_timer quiesce_timer;
};

struct conn {
        ev_io io; /* first: libev hands us &io */
        ev_timer timer;
        struct handoff_server *s;
        struct list_node node;
        int fd;
        struct ucred peer;
        char *buf;
        size_t len, cap;
        int fds[UNOTIFY_HANDOFF_MAX_FDS];
        size_t n_fds;
        bool got_data;
        struct json_scan scan;
};

/* Stop watching c, close it and its fds, and free it; the last one of a
 * quiescing server starts its quiesce timer. */
void conn_free(struct conn *c);
/* Best effort: a runtime may never read the answer, and must not be able
 * to stall us by not reading it. */
void conn_reply(struct conn *c, json_t *reply);
/* Count the refusal, log it (rate-limited) and tell the peer why. */
_printf_(3, 4) void conn_refuse(struct conn *c, enum metrics_refusal reason, const char *fmt, ...);
/* Read what is there. Returns 1 when a whole JSON value is in, 0 for more
 * later, -ENODATA when the peer closed without sending anything, -errno
 * with err set when the connection must be refused. */
int conn_read(struct conn *c, char *err, size_t size);
