/* The seccomp listeners handed to the daemon: the epoll set that watches
 * them, their policies, and the RECV -> decide -> SEND path that answers
 * their notifications. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "list.h"

struct daemon;
struct journal;
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
        uint64_t send_gone;
        /* Emulations (emulate.h): jobs in the pool hold the listener; a
         * listener freed meanwhile is only marked dead and goes with its
         * last job. The journal is made at the first emulation. */
        unsigned jobs;
        unsigned jobs_running; /* of those, in a worker now (the pool's lock) */
        bool dead;
        struct journal *journal;
        uint64_t journal_recorded; /* answers lost after a side effect */
        uint64_t journal_replayed; /* restarted calls answered from the journal */
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

/* Leave the epoll set, close the fd, drop the policy. Accepts NULL.
 * With emulations still running, only leaves the set: the rest happens
 * when the last one is done. */
struct listener *listener_free(struct listener *l);
/* An emulation of l is done (emulate.c). */
void listener_job_done(struct listener *l);
