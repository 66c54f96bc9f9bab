/* The seccomp section's syscall rules as the OCI runtime-spec writes
 * them (oci_rules.c): from a policy's kernel plan, or the plain
 * notify-these-names form, with x86's ipc(2) version rules beside. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "unotify/filter.h"
#include "unotify/policy.h"

/* The ABIs the section names: the native one and its compat ABIs. */
json_t *oci_architectures(void);

/* The spec's action for a decision the kernel can take itself. */
const char *oci_action(const struct unotify_decision *d);

/* One SCMP_ACT_NOTIFY rule for names (sorted, unique), and the ipc(2)
 * version rules of those that are SysV IPC calls. */
json_t *oci_notify_rules(const char *const *names, size_t n);

/* The rules of a plan: the kernel's, grouped by answer, then what goes to
 * the daemon. */
json_t *oci_plan_rules(const struct unotify_kernel_plan *plan);
