/* unotify-run's use of a policy's Landlock section. */
#pragma once

#include <stdbool.h>

#include "unotify/landlock.h"

/* Make the ruleset of ll (NULL: none, *ret_fd -1) for this kernel and say
 * what it cannot do: rights left unrestricted (always, on stderr), paths
 * that do not exist (with verbose). Returns 0 with *ret_fd the ruleset or
 * -1, or an exit code (reported): 69 when the kernel's Landlock is older
 * than the section's minAbi, 71 when the ruleset cannot be made. */
int run_landlock_prepare(const struct unotify_landlock *ll, const char *policy, bool verbose,
                         int *ret_fd);
