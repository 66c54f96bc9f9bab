/* One seccomp listener handed to the daemon: its ev_io, its policy, and
 * the RECV -> decide -> SEND path that answers its notifications. */
#pragma once

#include <ev.h>
#include <stdint.h>
#include <sys/types.h>

#include "list.h"

struct daemon;
struct unotify_policy;

struct listener {
        ev_io io; /* first: libev hands us &io */
        struct daemon *daemon;
        struct list_node node;
        int fd;
        uint64_t id;
        struct unotify_policy *policy;
        char *container_id;
        pid_t pid;
        uint64_t received;
        uint64_t send_gone;
};

/* Size d->req/d->resp by SECCOMP_GET_NOTIF_SIZES (or our own structs where
 * the call is unavailable, e.g. under valgrind). Returns 0 or -ENOMEM. */
int listener_buffers_init(struct daemon *d);
void listener_buffers_free(struct daemon *d);

/* True when fd is a seccomp listener (its /proc link says so). */
bool listener_fd_is_seccomp(int fd);

/* Start serving fd. fd and the policy reference are taken (also on
 * failure); container_id is copied. Returns 0 or -ENOMEM. */
int listener_add(struct daemon *d, int fd, struct unotify_policy *policy, const char *container_id,
                 pid_t pid, struct listener **ret);

/* Stop the watcher, close the fd, drop the policy. Accepts NULL. */
struct listener *listener_free(struct listener *l);
