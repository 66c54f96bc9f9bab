/* Raw protocol helpers for system tests: talk to the handoff socket
 * without libunotify, the way a buggy or hostile peer would. */
#pragma once

#include <stddef.h>

/* Connect to the daemon's socket (asserts). */
int raw_connect(const char *socket_path);
/* Send data (with fds in SCM_RIGHTS when n_fds > 0); asserts. */
void raw_send(int fd, const void *data, size_t len, const int *fds, size_t n_fds);
/* Read the reply line until '\n' or EOF, up to timeout_ms; returns it
 * (static buffer), "" if the daemon closed without answering. */
const char *raw_reply(int fd, int timeout_ms);
/* One round trip on a fresh connection; returns the reply. */
const char *raw_exchange(const char *socket_path, const char *data, const int *fds, size_t n_fds);

/* In a child about to be sandboxed: NO_NEW_PRIVS and a filter that
 * notifies mkdir(2) (x86_64). Returns the listener fd or -1 (errno). */
int raw_install_mkdir_filter(void);

/* Fork a child that installs a filter notifying mkdir(2) (x86_64), hands
 * its listener over with libunotify (policy may be NULL; digest 0 = none)
 * and then calls mkdir(path). Returns its report: "handoff=<r> ok=<0|1>
 * error=<text>\nmkdir=<result>\n". */
const char *filtered_child_handoff(const char *socket_path, const char *policy,
                                   unsigned long long digest, const char *path);

/* The same, with a raw state JSON sent by hand instead of libunotify:
 * "handoff reply=<the daemon's reply line>mkdir=<result>\n". */
const char *filtered_child_handoff_state(const char *socket_path, const char *state,
                                         const char *path);
