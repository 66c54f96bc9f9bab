/* What a handler needs that the daemon may lack, found when the policies
 * load (unotifyd -t says it) rather than at a task's first call. */
#pragma once

#include "unotify/policy.h"

/* Log an error for every rule of set whose handler needs a privilege this
 * daemon does not have (the mknod handler: CAP_MKNOD in the initial user
 * namespace). Returns 0, or -EPERM when some rule was refused. */
int privilege_check_policies(const struct unotify_policy_set *set);
