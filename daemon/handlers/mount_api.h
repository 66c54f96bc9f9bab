/* The mount handler's part for the new mount API (mount_api_fs.c,
 * mount_api_tree.c, mount_api_call.c): delegated contexts the daemon
 * makes for the task, and what mount.c shares with it.
 *
 * The daemon keeps its own copy of every context and detached mount it
 * hands out (mount_ctx.c); a call on an fd is mediated only when that fd
 * is one of them, made for this listener and user namespace: the same
 * open file (kcmp(2) KCMP_FILE of the daemon's copy and of the task's fd
 * taken with pidfd_getfd(2)). An inode would not do: every context and
 * every detached mount fd share an anonymous inode or a mount's root. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include <sys/mount.h>
#include <sys/types.h>

#include "handlers/handler.h"
#include "handlers/mount_opts.h"
#include "handlers/mount_target.h"
#include "emulate/worker.h"

/* Index of the call after mount(2) and umount2(2) in the handler's list. */
enum mount_api_call {
        MOUNT_API_FSOPEN,
        MOUNT_API_FSCONFIG,
        MOUNT_API_FSMOUNT,
        MOUNT_API_MOVE_MOUNT,
        MOUNT_API_OPEN_TREE,
        MOUNT_API_MOUNT_SETATTR,
};

/* Run one of them (in the worker; fills c's result). */
void mount_api_run(struct emul_call *c, struct worker *w, int which);

/* The MOUNT_ATTR_* bits fsmount(2) and mount_setattr(2) know. */
#define MOUNT_API_ATTRS                                                                 \
        (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | \
         MOUNT_ATTR__ATIME | MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW)

/* mount_api_args.c: the kernel's checks of fsconfig's and fsmount's
 * arguments (0, -EINVAL, -EOPNOTSUPP), and whether MOUNT_ATTR_* set (an
 * atime mode among them) is within the rule's allowed and forced ones. */
int mount_api_fsconfig_args(const __u64 *a);
int mount_api_fsmount_args(const __u64 *a);
bool mount_api_attrs_allowed(const struct unotify_handler_options *o, uint64_t set);

/* The daemon's own contexts and detached mounts (mount_ctx.c). */
enum mount_ctx_kind {
        MCTX_CONTEXT, /* fsopen'ed; created: FSCONFIG_CMD_CREATE done */
        MCTX_MOUNT,   /* fsmount or open_tree(OPEN_TREE_CLONE): not attached yet */
};

struct mount_ctx {
        enum mount_ctx_kind kind;
        bool created;
        int fd; /* the daemon's copy */
        /* A mount: what the task was given in its stead, a directory fd of
         * the mount's root (ADDFD cannot send an O_PATH file, which a mount
         * fd is). The daemon keeps fd, which holds the detached mount.
         * -1: the task has fd itself. */
        int handle;
        /* A FUSE context: the daemon's copy of the task's /dev/fuse fd, whose
         * number its fd= names until FSCONFIG_CMD_CREATE; -1. */
        int dev_fd;
        uint64_t forced;     /* MOUNT_ATTR_* the mount must keep */
        struct mount_args a; /* the type and the options seen so far */
};

/* Who an entry is for: the listener and the task's user namespace. */
struct mount_ctx_key {
        int listener_fd;
        uint64_t userns_ino;
};

/* Keep e (its fd taken) for key, the creator's process (a pidfd, taken)
 * telling when it may be forgotten. Returns 0 or -errno (e->fd closed). */
int mount_ctx_add(const struct mount_ctx_key *key, int pidfd, const struct mount_ctx *e);
/* The entry whose file (or handle) is task_fd (the daemon's copy of the task's fd),
 * locked until mount_ctx_unlock: 0 (*ret set); -ENOENT: none of the
 * daemon's; -EPERM: one made for another listener or user namespace. */
int mount_ctx_lookup(const struct mount_ctx_key *key, int task_fd, struct mount_ctx **ret);
void mount_ctx_unlock(void);
/* Under the lock: forget *e (closing its fd unless it was taken: -1). */
void mount_ctx_drop(struct mount_ctx *e);
/* Forget the entries whose creator's process is gone (at each call: a
 * container that exits holding contexts costs the daemon nothing after
 * its next new-API call or any other container's). */
void mount_ctx_gc(void);
/* Entries held now (for tests and stats). */
unsigned mount_ctx_count(void);
