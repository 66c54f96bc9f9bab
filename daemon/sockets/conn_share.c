#include "sockets/conn_share.h"

#include <sys/socket.h>

#define SHARE_UIDS 64 /* distinct uids counted when picking the biggest */

static uid_t peer_uid(struct list_node *n, ptrdiff_t peer_offset)
{
        return ((const struct ucred *)(const void *)((char *)n + peer_offset))->uid;
}

static struct list_node *oldest_of(struct list_node *list, ptrdiff_t peer_offset, uid_t uid)
{
        for (struct list_node *n = list->next; n != list; n = n->next)
                if (peer_uid(n, peer_offset) == uid)
                        return n;
        return NULL;
}

static size_t count_of(struct list_node *list, ptrdiff_t peer_offset, uid_t uid)
{
        size_t k = 0;

        for (struct list_node *n = list->next; n != list; n = n->next)
                k += peer_uid(n, peer_offset) == uid;
        return k;
}

/* The uid with the most connections (the first seen of equals). */
static uid_t biggest_uid(struct list_node *list, ptrdiff_t peer_offset)
{
        uid_t uids[SHARE_UIDS];
        size_t counts[SHARE_UIDS], n_uids = 0, best = 0;

        for (struct list_node *n = list->next; n != list; n = n->next) {
                uid_t u = peer_uid(n, peer_offset);
                size_t i = 0;

                while (i < n_uids && uids[i] != u)
                        i++;
                if (i == n_uids) {
                        if (n_uids == SHARE_UIDS)
                                continue; /* more uids than that: each holds few */
                        uids[n_uids] = u;
                        counts[n_uids++] = 0;
                }
                if (++counts[i] > counts[best])
                        best = i;
        }
        return uids[best];
}

struct list_node *conn_share_victim(struct list_node *list, size_t n, ptrdiff_t peer_offset,
                                    uid_t uid, unsigned total, unsigned per_uid)
{
        if (list->next == list)
                return NULL;
        if (count_of(list, peer_offset, uid) >= per_uid)
                return oldest_of(list, peer_offset, uid);
        if (n >= total)
                return oldest_of(list, peer_offset, biggest_uid(list, peer_offset));
        return NULL;
}
