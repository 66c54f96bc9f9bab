/* What the daemon tells a launcher about a policy's Landlock section. */
#pragma once

#include <jansson.h>

#include "unotify/policy.h"

/* {"handled":N,"minAbi":N,"allow":[{"path":P,"access":N},...]} (rights
 * as the kernel's bit masks), or NULL when p has no section or on ENOMEM:
 * a reply without it makes a launcher run the command without Landlock,
 * so the caller refuses the query then. New reference. */
json_t *landlock_reply(const struct unotify_policy *p);
