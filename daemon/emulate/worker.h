/* A worker thread's view of the world, and how a handler borrows the
 * target's for one call.
 *
 * Each worker has its own fs_struct (unshare(CLONE_FS)), so chroot(2),
 * fchdir(2) and umask(2) in it change nothing for the other threads; and
 * the kernel keeps credentials per thread, so raw setfsuid(2),
 * setfsgid(2), setgroups(2) and capset(2) (not glibc's setgroups, which
 * changes every thread) change this thread's only. A handler resolves and
 * opens paths with the task's root, umask, fsuid, fsgid, groups and (in
 * the same user namespace) capabilities: the kernel then checks them as it
 * would for the task (docs/handlers.md, "Credential model"). */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct job;

/* What the task's credentials are, from /proc/TID/status. */
struct task_creds {
        pid_t tgid;
        pid_t ns_tgid; /* its thread group and thread ids in its own pid namespace */
        pid_t ns_tid;
        uid_t fsuid;
        gid_t fsgid;
        gid_t *groups; /* malloc'ed */
        size_t n_groups;
        uint64_t caps; /* CapEff; 0 when the task is in another user namespace */
        mode_t umask;
};

struct worker {
        pthread_t thread;
        struct pool *pool;
        struct job *job; /* running; under the pool's lock */
        bool started;
        int own_root;  /* O_PATH "/" of the daemon */
        int proc_fd;   /* the daemon's /proc */
        int status_fd; /* /proc/status_tid/status, or a placeholder (worker.c) */
        pid_t status_tid;
        /* The daemon's credentials, put back after each call. */
        uint32_t caps[6]; /* effective, permitted, inheritable x 2 (capget v3) */
        gid_t *groups;
        int n_groups;
        uid_t fsuid;
        gid_t fsgid;
        mode_t umask;
        mode_t cur_umask; /* what this thread's umask is now */
        dev_t root_dev;   /* own_root's, to tell a task's root from ours */
        ino_t root_ino;
        uint64_t root_mnt_id;   /* own_root's mount (statx), 0: unknown */
        unsigned root_mnt_mask; /* which id it is: STATX_MNT_ID(_UNIQUE) */
        dev_t userns_dev;       /* the daemon's user namespace */
        ino_t userns_ino;
        bool chrooted;
        bool assumed;
        bool broken; /* a restore failed: it serves no more calls */
};

/* In the worker thread, once: its own fs_struct, fds, saved credentials.
 * Returns 0 or -errno. */
int worker_init(struct worker *w);
void worker_done(struct worker *w);

/* Read tid's credentials (now, not cached). Returns 0, -ENOENT (gone)
 * or -errno. */
int task_creds_read(struct worker *w, pid_t tid, struct task_creds *ret);
void task_creds_done(struct task_creds *c);

/* Whether tid's root is the daemon's own: the same directory on the same
 * mount (statx of /proc/TID/root: one call, no fd), so the worker needs
 * no root of its own for it. false when unsure. */
bool worker_root_is_own(struct worker *w, pid_t tid);
/* Make root_fd (a directory, e.g. /proc/TID/root) this thread's root: paths
 * then resolve as for the task (absolute symlinks, "..", its mounts).
 * Skipped when it is own_root itself (worker_root_is_own). Returns 0 or -errno. */
int worker_enter_root(struct worker *w, int root_fd);
/* Take on the task's fsuid, fsgid, groups, umask and capabilities (only
 * those the daemon has), plus extra_caps (a mask of CAP_* bits) on top.
 * Returns 0 or -EPERM (the daemon cannot take them: a call then fails
 * rather than running with the daemon's rights). */
int worker_assume(struct worker *w, const struct task_creds *c, uint64_t extra_caps);
/* Back to the daemon's root and credentials. Returns 0, or -EIO when
 * that failed (then w->broken: it must not serve another call). */
int worker_restore(struct worker *w);

/* The path of this thread's fd as the thread sees it (after
 * worker_enter_root: as the task does). Returns its length or -errno. */
int worker_fd_path(struct worker *w, int fd, char *buf, size_t size);
/* The object open at fd (any fd, O_PATH too) opened again with flags,
 * through /proc/thread-self/fd: no path walk, so it is the same inode,
 * with permission checked for this thread's credentials. */
int worker_reopen(struct worker *w, int fd, int flags);
