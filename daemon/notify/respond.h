/* From a received notification to the response: the decision by the
 * listener's policy (with a view of the target where the policy needs
 * one), what the supervisor carries out itself (kills), and the answer. */
#pragma once

#include <linux/seccomp.h>

#include "unotify/policy.h"

struct listener;

/* Decide req for l. Always fills ret: a target the view cannot read gets
 * the failing rule's errno (EFAULT for a bad pointer), as the policy says.
 * Returns 0, or what reading the target failed with: -EFAULT (a bad
 * pointer), -ENOENT (the task is gone or the ID no longer valid), ... */
int respond_decide(struct listener *l, const struct seccomp_notif *req,
                   struct unotify_decision *ret);

/* Carry out dec and fill resp (zeroed by the caller). */
void respond_fill(struct listener *l, const struct seccomp_notif *req,
                  const struct unotify_decision *dec, struct seccomp_notif_resp *resp);
