/* A child that installs a filter of its own (getppid notified, no
 * privilege needed: no_new_privs), sends us its listener and waits to be
 * killed: a real seccomp listener fd for the unit tests. */
#pragma once

#include <sys/types.h>

/* The listener (ours to close); *ret_pid the child. Asserts. */
int seccomp_child_listener(pid_t *ret_pid);
/* SIGKILL and reap it. */
void seccomp_child_kill(pid_t pid);
