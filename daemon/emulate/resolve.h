/* What path-taking handlers share: which syscall a notification is, the
 * task's root and starting directory, and the check that the object a
 * handler opened or is about to create is one the policy lets it emulate
 * (decided again on the object's real path, not on the string the task
 * passed: a symlink swapped in between cannot lead elsewhere). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "handlers/handler.h"
#include "emulate/worker.h"

/* Index in names of the syscall req makes, or -1. */
int syscall_pick(const struct seccomp_notif *req, const char *const *names, size_t n);

/* The task's root and the directory its relative path starts from, both
 * opened by the daemon (before it takes on the task's credentials). */
struct task_dirs {
        int root_fd; /* /proc/TID/root, or the worker's own_root when the same */
        bool root_borrowed;
        int base_fd; /* /proc/TID/cwd, a copy of its dirfd, or AT_FDCWD for an absolute path */
};

/* dirfd_arg: the argument with the directory fd; -1: the cwd. scoped:
 * the resolution starts at the dirfd even for an absolute path (openat2's
 * RESOLVE_IN_ROOT, RESOLVE_BENEATH). Returns 0, -EBADF (not an fd of the
 * task), -ENOENT (gone) or -errno. */
int task_dirs_open(struct emul_call *c, struct worker *w, const char *path, int dirfd_arg,
                   bool scoped, struct task_dirs *ret);
void task_dirs_close(struct task_dirs *d);

/* Whether the object at fd (opened in the task's root) may be emulated
 * by c's rule: its path decided again by the policy must land on the
 * same rule, and it must not be on procfs (whose self links would name
 * the daemon). Returns 0 or the -errno to answer (the rule's errno that
 * matches now, else -EACCES); sets c->why. */
int check_object(struct emul_call *c, struct worker *w, int fd);
/* The same for name in the directory at dir_fd, before creating it. */
int check_new(struct emul_call *c, struct worker *w, int dir_fd, const char *name);

/* Open the directory path names the last component of, with resolve
 * (RESOLVE_* of openat2(2)) and RESOLVE_NO_MAGICLINKS, and point *ret_name
 * into path at that component. Returns the O_PATH fd or -errno (-EISDIR
 * when path ends with "/" or its last component is "." or ".."). */
int open_parent(int base_fd, const char *path, uint64_t resolve, const char **ret_name);

/* openat2(2) as a function: the fd or -errno. */
int openat2_fd(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve);
