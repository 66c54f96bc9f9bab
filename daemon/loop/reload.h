/* The policies the daemon serves: the directory loaded (at start), and
 * loaded again in place of the old ones (SIGHUP, unotifyctl reload). */
#pragma once

#include <stddef.h>

struct daemon;
struct options;
struct unotify_policy_set;

/* Load o->policy_dir (minKernel against the running kernel, --strict).
 * Every diagnostic is logged, warnings as warnings. Returns 0, -EINVAL or
 * the -errno of opening the directory. */
int daemon_load_policies(const struct options *o, struct unotify_policy_set **ret);

/* Reload the policies (SIGHUP, unotifyctl reload). On failure the old ones
 * stay; err says why. Returns 0 or a negative errno. */
int daemon_reload(struct daemon *d, char *err, size_t err_size);
