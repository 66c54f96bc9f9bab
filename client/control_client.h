/* unotifyctl's verbs that talk to a running daemon over its control socket
 * (docs/control.md). Each takes the verb's own argv (argv[0] is the verb)
 * and returns the process exit status (sysexits). */
#pragma once

#define UNOTIFYCTL_DEFAULT_CONTROL_SOCKET "/run/unotifyd/control.sock"

int unotifyctl_status(int argc, char **argv);
int unotifyctl_list(int argc, char **argv);
int unotifyctl_stats(int argc, char **argv);
int unotifyctl_reload(int argc, char **argv);
int unotifyctl_upgrade(int argc, char **argv);
