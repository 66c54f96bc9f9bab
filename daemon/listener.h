/* The seccomp listeners handed to the daemon: the epoll set that watches
 * them, their policies, and the RECV -> decide -> SEND path that answers
 * their notifications. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "list.h"

struct daemon;
struct unotify_policy;

struct listener {
        struct daemon *daemon;
        struct list_node node;
        int fd;
        uint64_t id;
        struct unotify_policy *policy;
        bool needs_view; /* the policy has caps or path conditions */
        char *container_id;
        pid_t pid;
        uint64_t received;
        uint64_t answered;
        uint64_t send_gone;
        /* What the runtime said about it, for unotifyctl list and for
         * resuming after a restart. NULL/0 when it said nothing. */
        char *metadata;
        char **annotations; /* key, value, key, value, ... */
        size_t n_annotations;
};

/* The listener set: the RECV/SEND buffers, sized by SECCOMP_GET_NOTIF_SIZES
 * (or our own structs where the call is unavailable, e.g. under valgrind),
 * and the epoll set watched by the loop. Returns 0 or -errno. */
int listener_set_init(struct daemon *d);
/* Frees every listener, then the set. */
void listener_set_done(struct daemon *d);

/* True when fd is a seccomp listener (its /proc link says so). */
bool listener_fd_is_seccomp(int fd);

/* Start serving fd. fd and the policy reference are taken (also on
 * failure); container_id is copied. Returns 0 or -errno. */
int listener_add(struct daemon *d, int fd, struct unotify_policy *policy, const char *container_id,
                 pid_t pid, struct listener **ret);

/* The same with a given id (a listener resumed after a restart keeps its
 * id); later ids continue above it. */
int listener_add_id(struct daemon *d, int fd, struct unotify_policy *policy, const char *container_id,
                    pid_t pid, uint64_t id, struct listener **ret);

struct seccomp_notif;
/* Decide req by l's policy, carry it out and SEND the answer. */
void listener_answer(struct listener *l, const struct seccomp_notif *req);

/* Answer whatever is pending on every listener now (SIGTERM: nobody is
 * left waiting for an answer that would never come). */
void listener_set_drain(struct daemon *d);

/* Remember the handoff's metadata and annotations (n pairs; copied).
 * Returns 0 or -ENOMEM (then l keeps none). */
int listener_set_origin(struct listener *l, const char *metadata, char *const *annotations, size_t n);

/* Leave the epoll set, close the fd, drop the policy. Accepts NULL. */
struct listener *listener_free(struct listener *l);
