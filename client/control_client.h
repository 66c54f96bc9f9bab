/* unotifyctl's verbs that talk to a running daemon over its control socket
 * (docs/control.md). Each takes the verb's own argv (argv[0] is the verb)
 * and returns the process exit status (sysexits). */
#pragma once

#include <jansson.h>

/* /run/unotifyd/control.sock, or the user's own daemon's in
 * $XDG_RUNTIME_DIR/unotifyd when not root (unotify/paths.h). */
const char *unotifyctl_default_control_socket(void);
#define UNOTIFYCTL_DEFAULT_CONTROL_SOCKET unotifyctl_default_control_socket()

int unotifyctl_status(int argc, char **argv);
int unotifyctl_list(int argc, char **argv);
int unotifyctl_stats(int argc, char **argv);
int unotifyctl_reload(int argc, char **argv);
int unotifyctl_upgrade(int argc, char **argv);

/* Send req (borrowed) to the control socket at path; *ret_reply is the
 * reply (owned by the caller) when the daemon said "ok". Returns 0, or the
 * exit status after printing why (69: unreachable or refused). */
int unotifyctl_request(const char *path, const json_t *req, json_t **ret_reply);
