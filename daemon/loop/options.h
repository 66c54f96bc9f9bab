/* Command-line options of unotifyd. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "sockets/peer_limits.h"

#define UNOTIFYD_DEFAULT_SOCKET "/run/unotifyd/handoff.sock"
/* The control socket's default: control.sock next to the handoff socket. */
#define UNOTIFYD_CONTROL_SOCKET_NAME "control.sock"
#define UNOTIFYD_DEFAULT_POLICY_DIR "/etc/unotifyd/policies"
#define UNOTIFYD_DEFAULT_POLICY "default"

struct options {
        const char *socket_path;
        const char *control_path; /* --control-socket, or next to socket_path */
        char control_buf[108];
        const char *policy_dir;
        const char *default_policy;
        mode_t socket_mode;
        int log_level;
        bool test_config;
        bool dump_config;           /* -T */
        bool strict;                /* policy warnings are errors */
        bool sync_wake_up;          /* SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP on each listener */
        int nice;                   /* the loop's nice value while busy (priority.h) */
        const char *metrics_listen; /* --metrics-listen ADDR, NULL: none of our own */
        struct limits limits;       /* --limit */
};

/* Parse argv. Returns 0 to run, 1 when --help/--version was printed (exit
 * 0), or a sysexits code (64) after printing the error. */
int options_parse(int argc, char **argv, struct options *ret);
