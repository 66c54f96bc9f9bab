/* Filter synthesis for launchers: the BPF program that sends a set of
 * syscalls to the supervisor (SECCOMP_RET_USER_NOTIF) and allows the rest,
 * for the native architecture and its compat ABIs (x86_64: x86, x32). */
#pragma once

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

/* exit(2) called with this code is never notified: the launcher's helper
 * thread ends with it right after installing the filter, so that the
 * launcher learns of the listener even when the policy notifies exit.
 * Letting one exit code through costs nothing: the thread ends either way. */
#define UNOTIFY_LAUNCH_EXIT_MAGIC 0x554e4f54u /* "UNOT" */

/* Build the program. names: syscall names (unknown on one arch: skipped
 * there; unknown on every arch: -EINVAL). ret->filter is malloc'ed; free it
 * with unotify_filter_free. Returns 0, -EINVAL, -ENOMEM or a libseccomp
 * error as -errno. */
int unotify_filter_build(const char *const *names, size_t count, struct sock_fprog *ret);
void unotify_filter_free(struct sock_fprog *prog);
