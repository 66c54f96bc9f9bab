/* The daemon as a service manager sees it: started with fds in LISTEN_FDS
 * (a fork-exec wrapper sets LISTEN_PID to the child's pid, as systemd
 * does), its sd_notify messages read from a NOTIFY_SOCKET the test owns,
 * and the fds it stores there (FDSTORE=1) kept and handed back on the
 * next start, like systemd's fd store. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "harness.h"

#define SVC_MAX_FDS 64

struct svc_fd {
        char name[64];
        int fd;
};

struct svc {
        struct test_daemon d; /* dir, sockets, policy dir, log, pid */
        char notify_path[320];
        int notify_fd;
        struct svc_fd store[SVC_MAX_FDS]; /* the emulated fd store */
        size_t n_store;
        char messages[65536]; /* every message so far, each ending in "\n--\n" */
        /* When set, the daemon runs in its own mount namespace where this
         * datagram socket is /run/systemd/journal/socket, and its stderr
         * is "the journal" (JOURNAL_STREAM). */
        const char *journal_socket;
        size_t messages_len;
        bool quiet; /* set before svc_exec: no -v (the daemon's default level) */
};

/* A temp dir with these policies and a notify socket; nothing runs yet. */
void svc_prepare(struct svc *s, const struct test_policy *policies);
/* Start unotifyd with `fds` at 3.. named `names` (LISTEN_FDNAMES), then
 * the fd store's contents; extra_env: NULL-terminated "K=V" strings or
 * NULL. Does not wait. */
void svc_exec(struct svc *s, const int *fds, const char *const *names, size_t n,
              const char *const *extra_env);
/* Read notify messages (keeping FDSTORE fds, dropping FDSTOREREMOVE ones)
 * until one contains needle; asserts within timeout_ms. Returns it. */
const char *svc_wait_message(struct svc *s, const char *needle, int timeout_ms);
/* Read whatever messages are queued now, without waiting. */
void svc_drain_messages(struct svc *s);
/* Send sig (0: none, only wait) and wait for a clean exit (status 0);
 * messages are drained. */
void svc_stop(struct svc *s, int sig);
/* Stop (if running), close the store, remove the temp dir. */
void svc_cleanup(struct svc *s);
/* The stored fd called name, or -1. */
int svc_stored(const struct svc *s, const char *name);
/* Listening unix stream socket at path (asserts). */
int svc_listen(const char *path);
