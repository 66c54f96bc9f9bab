/* Loading policies for unotifyctl's verbs (ctl_policy.c). Errors are
 * reported on stderr as "WHO: ..."; the functions return 0 or the exit
 * status (sysexits). */
#pragma once

#include <stdint.h>

#include "unotify/macro.h"
#include "unotify/policy.h"

/* The daemon's default policy directory (its --policy-dir). */
#define CTL_DEFAULT_POLICY_DIR "/etc/unotifyd/policies"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct unotify_policy_set *, unotify_policy_set_free);

/* Every diagnostic, one line each, on stderr. */
void ctl_print_diags(const struct unotify_diags *diags);
/* The policies of dir, as the daemon loads them. */
int ctl_load_set(const char *who, const char *dir, const struct unotify_load_options *o,
                 struct unotify_policy_set **ret);
/* POLICY as a name in dir, or as one of the files of its own directory
 * (which is then loaded instead of dir). */
int ctl_load_policy(const char *who, const char *dir, const char *policy,
                    const struct unotify_load_options *o, struct unotify_policy_set **ret_set,
                    struct unotify_policy **ret);
/* "CAP_A,CAP_B" ("" for none) as a capability mask; prefix goes before
 * the message about an unknown name ("--caps: "). */
int ctl_parse_caps(const char *who, const char *prefix, const char *list, uint64_t *ret);
