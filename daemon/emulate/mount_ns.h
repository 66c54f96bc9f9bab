/* What the mount handler does in the task's mount namespace, and the
 * mounts it made there.
 *
 * Why a thread of its own: attaching a mount (move_mount(2)) and cloning
 * one for a bind (open_tree(2) OPEN_TREE_CLONE) are allowed by the kernel
 * only on mounts of the caller's own mount namespace (check_mnt() in
 * fs/namespace.c), so the work runs in a short-lived thread that has
 * unshared CLONE_FS (setns(2) of a mount namespace refuses a shared
 * fs_struct) and joined the task's mount namespace. The thread is started
 * with the daemon's credentials and dies after the one call, so nothing of
 * the namespace or its root has to be undone in a worker. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define MOUNT_LAYERS_MAX 16

struct mount_plan {
        /* In: a filesystem of type fstype (fs_keys/fs_values, n_fs of
         * them, set with fsconfig(2); a NULL value: a flag) or a bind of
         * source_fd; attrs (MOUNT_ATTR_*) set on the new mount; userns_fd
         * >= 0: idmapped to that user namespace. ns_fd >= 0: the task's
         * namespace the context must be made in: the thread joins it
         * (a network or IPC namespace: sysfs, mqueue take current's), or,
         * for a pid namespace (proc takes the pid namespace its opener was
         * born in, which setns(2) does not change), fsopen(2) runs in a
         * child born there that passes the context back. */
        bool bind;
        const char *fstype;
        int ns_fd;
        /* An overlay's layers: fsconfig(FSCONFIG_SET_FD) of each key
         * ("lowerdir+", "upperdir", "workdir") with its directory fd. */
        const char *layer_keys[MOUNT_LAYERS_MAX];
        int layer_fds[MOUNT_LAYERS_MAX];
        unsigned n_layers;
        bool recursive;
        int source_fd;
        const char *fs_keys[16];
        const char *fs_values[16];
        unsigned n_fs;
        uint64_t attrs;
        int userns_fd;
        /* >= 0: the context is opened by a child that has joined
         * mntns_ctx_fd (when >= 0) and then this user namespace, so that
         * it is the task's (FUSE checks its /dev/fuse file against it). */
        int userns_ctx_fd;
        int mntns_ctx_fd;
        int target_fd; /* O_PATH, resolved in the task's root */
        /* Right before the attach: 0 to go on (NOTIF_ID_VALID). */
        int (*still_valid)(void *userdata);
        void *userdata;
        /* Out: the new mount's id (unique where the kernel has them). */
        uint64_t mnt_id;
};

/* Build the mount and attach it at target_fd in the mount namespace
 * mntns_fd. Returns 0 or -errno; on failure nothing is attached and
 * every fd made here is closed. */
int mount_ns_attach(int mntns_fd, struct mount_plan *plan);
/* The delegated contexts' steps (handlers/mount_api_*.c), each in a thread of its own
 * like the attach. mount_ns_fsopen: a context of plan->fstype made in
 * plan->ns_fd's namespace (the daemon's mount namespace); mount_ns_clone:
 * open_tree(OPEN_TREE_CLONE) of plan->source_fd in mntns_fd with
 * plan->attrs (and plan->userns_fd's idmapping) set, not attached;
 * mount_ns_move: the detached mount mnt_fd attached at plan->target_fd
 * after plan->still_valid, its id in plan->mnt_id. Each returns the new
 * fd (the caller's), 0, or -errno. */
int mount_ns_fsopen(const struct mount_plan *plan);
int mount_ns_clone(int mntns_fd, const struct mount_plan *plan);
int mount_ns_move(int mntns_fd, int mnt_fd, struct mount_plan *plan);

/* Unmount (lazily: MNT_DETACH) the mount whose root fd is, in the mount
 * namespace mntns_fd; proc_fd is the daemon's /proc (the path goes
 * through its fd link, so it is that very mount). Returns 0 or -errno. */
int mount_ns_detach(int mntns_fd, int proc_fd, int fd);

/* The id of the mount fd is on (unique where the kernel has them), and
 * whether fd is that mount's root. Returns 0 or -errno. */
int mount_id_of(int fd, uint64_t *ret_id, bool *ret_is_root);

/* The mounts made per mount namespace (its inode), bounded; the oldest
 * is forgotten first (it can then no longer be unmounted by the task).
 * The table lives in a memfd the daemon keeps in systemd's fd store and
 * passes on a re-exec, so the containers can still unmount them after a
 * restart. mount_table_open adopts passed_fd (taken; -1: none) when it
 * is a table, else makes a new one (*ret_created). Returns the fd (the
 * caller's) or -errno: then the table is in memory only. */
int mount_table_open(int passed_fd, bool *ret_created);
void mount_table_add(uint64_t ns_ino, uint64_t mnt_id);
bool mount_table_has(uint64_t ns_ino, uint64_t mnt_id);
void mount_table_remove(uint64_t ns_ino, uint64_t mnt_id);
