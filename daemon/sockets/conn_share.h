/* Shares of a socket's pending connections among peer uids, so that one
 * peer holding silent connections cannot lock the others out: a uid at
 * its share makes room by losing its own oldest connection, and a full
 * socket makes room by closing the oldest connection of the uid that holds
 * the most. A new peer always gets in; a peer that keeps connecting
 * churns its own connections, not the others'. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "unotify/list.h"

/* In list (connections oldest first, n of them), each with its peer's
 * struct ucred at peer_offset from its list node: the node of the
 * connection to close before one more of uid is taken, or NULL when it
 * fits (fewer than per_uid of uid's and fewer than total in all). */
struct list_node *conn_share_victim(struct list_node *list, size_t n, ptrdiff_t peer_offset,
                                    uid_t uid, unsigned total, unsigned per_uid);
