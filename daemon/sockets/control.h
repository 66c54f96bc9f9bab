/* The control server: line-delimited JSON requests from unotifyctl
 * (status, list, stats, reload, upgrade), one JSON reply line each. The
 * protocol is described in docs/control.md. What a command does is its
 * owner's run hook (loop/server.c: sockets/control_cmds.c); this file
 * reads, checks and writes. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct daemon_stats;
struct ev_loop;
struct limits;

struct control_hooks {
        void *userdata;
        /* The reply object of command name ("ok" is added here), or NULL
         * with err set (empty err: out of memory). req is borrowed. */
        json_t *(*run)(void *userdata, const char *name, const json_t *req, char *err,
                       size_t err_size);
};

struct control_server;

/* A server for the listening socket fd (taken; closed by _free, and path
 * unlinked when own; path is borrowed). Not accepting until
 * control_start(). Returns 0 or -ENOMEM (fd closed). */
int control_server_new(struct ev_loop *loop, int fd, bool own, const char *path,
                       const struct limits *limits, struct daemon_stats *stats,
                       const struct control_hooks *hooks, struct control_server **ret);
/* Close every control connection and the socket; returns NULL. */
struct control_server *control_server_free(struct control_server *s);

/* The listening socket, and whether we bound it. */
int control_server_fd(const struct control_server *s, bool *own);
/* Connections open now. */
size_t control_server_conns(const struct control_server *s);

void control_start(struct control_server *s);
