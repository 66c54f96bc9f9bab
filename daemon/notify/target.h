/* What a decision may need from the target beyond its registers: its
 * capabilities and the paths its pointer arguments name. These are the
 * policy library's unotify_target_view callbacks. Every read from the
 * target is followed by SECCOMP_IOCTL_NOTIF_ID_VALID: the bytes count only
 * if the task that made the call is still the one we read (pid reuse,
 * preemption). */
#pragma once

#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct target_ctx {
        int listener_fd;
        const struct seccomp_notif *req;
};

/* unotify_target_view.read_caps: CapEff of the notifying task. */
int target_read_caps(void *userdata, uint64_t *ret);
/* unotify_target_view.read_path: the string argument arg_index points to,
 * made absolute against the task's cwd or the directory of its fd in
 * argument dirfd_arg_index, as the task sees them. Returns its length or
 * -EFAULT (bad pointer), -ENAMETOOLONG, -ENOENT (the task is gone). */
int target_read_path(void *userdata, unsigned arg_index, int dirfd_arg_index, char *buf,
                     size_t size);

/* Read a NUL-terminated string of at most size - 1 bytes at addr in pid,
 * never reading past the page that holds its end. Returns its length or
 * -EFAULT / -ENAMETOOLONG / -errno. */
ssize_t target_read_string(pid_t pid, uint64_t addr, char *buf, size_t size);

/* True for the errors of the target_read_* functions that the target
 * caused (a bad pointer or dirfd, a path too long) or that say it is gone:
 * answered to the target, not logged as the daemon's. */
bool target_error_is_targets(int error);

/* The thread group of a task, for signalling through a pidfd; then checks
 * the notification is still alive, so the pidfd is the notifying task's.
 * Returns the pidfd or -errno. */
int target_pidfd(int listener_fd, const struct seccomp_notif *req);

/* SECCOMP_IOCTL_NOTIF_ID_VALID: 0 while notification id is pending,
 * -ENOENT once it is not (answered, interrupted, the task gone). */
int target_id_valid(int listener_fd, uint64_t id);

/* Read exactly n bytes at addr in pid, page by page. Returns 0, -EFAULT
 * (some byte is unmapped) or -errno. */
int target_read(pid_t pid, uint64_t addr, void *buf, size_t n);

/* Write n bytes at addr in pid (process_vm_writev(2)): what an emulated
 * call returns through a pointer. Check NOTIF_ID_VALID right before.
 * Returns 0, -EFAULT (NULL, a kernel address, an unmapped or read-only
 * page), -ENOENT (gone) or -errno. */
int target_write(pid_t pid, uint64_t addr, const void *buf, size_t n);

/* rel (read from the task) made absolute as target_read_path() does:
 * against the task's cwd, or the directory of its fd in argument
 * dirfd_arg_index (-1: cwd), as the task sees them. For messages and
 * rewrites: nothing here follows symlinks. Returns the length or -errno. */
int target_absolute_path(const struct target_ctx *t, int dirfd_arg_index, const char *rel,
                         char *buf, size_t size);

/* A copy of the task's fd (pidfd_getfd(2), Linux 5.6), through a pidfd
 * validated against req. Returns the new fd (O_CLOEXEC) or -EBADF (no such
 * fd), -ENOENT (the task is gone), -errno. */
int target_dup_fd(int listener_fd, const struct seccomp_notif *req, int fd);
