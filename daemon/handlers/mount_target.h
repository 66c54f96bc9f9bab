/* Where a mount comes from and goes to (mount_target.c): what mount.c,
 * the new API (mount_api_fs.c, mount_api_tree.c) and mount_fuse.c share. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "handlers/handler.h"
#include "emulate/resolve.h"
#include "emulate/worker.h"

/* The task's fsuid and fsgid, as the host sees them. */
struct mount_owner {
        char uid[16], gid[16];
};

/* path (relative ones from the fd in argument dirfd_arg, -1: the
 * cwd) opened as the task in its root, its real path checked against the
 * rule's targets (source: sources); see mount_target.c. Returns 0 with the fd in
 * *ret_fd, the rule's -errno, or the kernel's. */
int mount_resolve(struct emul_call *c, struct worker *w, const char *path, int dirfd_arg,
                  bool source, int access, int *ret_fd, struct mount_owner *ret_owner);
/* path opened in the task's root (d, entered by the worker, which has
 * taken on the task's credentials), its real path under one of prefixes;
 * access: see mount_target.c. Returns 0 with the fd in *ret_fd or -errno. */
int mount_open_checked(struct emul_call *c, struct worker *w, const struct task_dirs *d,
                       const char *path, const char *const *prefixes, size_t n, int access,
                       int *ret_fd);
/* /proc/PID/ns/NS opened (and its inode). Returns the fd or -errno. */
int mount_open_ns(struct worker *w, pid_t pid, const char *ns, uint64_t *ret_ino);
/* An id of the task's user namespace as the host's, through its
 * map ("uid_map", "gid_map"); -EINVAL when unmapped. */
int mount_host_id(struct worker *w, pid_t pid, const char *map, const char *value, char *buf,
                  size_t size);
