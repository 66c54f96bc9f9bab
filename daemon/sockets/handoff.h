/* The handoff server: accepts connections on the handoff socket, reads
 * one message each without ever blocking the loop, and turns it into a
 * listener of the listener set or a query answer. What it needs from
 * above (which policy, the restart store) it asks through its hooks. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "sockets/handoff_hooks.h"

struct ev_loop;
struct listener_set;

struct handoff_server;

/* A server for the listening socket fd (taken; closed by _free, and its
 * path unlinked when own). Not accepting until handoff_start(). Returns
 * 0 or -ENOMEM (fd closed). */
int handoff_server_new(struct ev_loop *loop, int fd, bool own, struct listener_set *set,
                       const struct handoff_config *cfg, const struct handoff_hooks *hooks,
                       struct handoff_server **ret);
/* Close every connection still being read, and the socket. NULL is fine;
 * returns NULL. */
struct handoff_server *handoff_server_free(struct handoff_server *s);

/* The listening socket, and whether we bound it (an upgrade passes both). */
int handoff_server_fd(const struct handoff_server *s, bool *own);
/* Connections being read now. */
size_t handoff_server_pending(const struct handoff_server *s);
/* A handoff_quiesce() is waiting. */
bool handoff_server_quiescing(const struct handoff_server *s);

void handoff_start(struct handoff_server *s);
/* Stop accepting (new connections wait in the listen backlog, which
 * crosses an upgrade, and under socket activation a restart too), and call
 * done(userdata) from the loop once every connection being read has
 * ended: answered, refused, or timed out, so at most handoff-timeout-ms
 * from now. A later call replaces done. Listeners keep being served. */
void handoff_quiesce(struct handoff_server *s, void (*done)(void *userdata), void *userdata);
/* Accept again (an upgrade whose exec failed). */
void handoff_resume(struct handoff_server *s);
