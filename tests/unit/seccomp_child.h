/* A child that installs a filter of its own (getppid notified, no
 * privilege needed: no_new_privs) and sends us its listener: a real
 * seccomp listener fd for the unit tests. */
#pragma once

#include <sys/types.h>

/* The listener (ours to close); *ret_pid the child, which then waits to
 * be killed. Asserts. */
int seccomp_child_listener(pid_t *ret_pid);
/* The same, but the child then calls getppid(2) once and exits with 0
 * when the call failed with EPERM, 1 when it returned, 2 on any other
 * error (3 when the filter could not be set up). Asserts. */
int seccomp_child_caller(pid_t *ret_pid);
/* SIGKILL and reap it. */
void seccomp_child_kill(pid_t pid);
