/* The "mount" handler: mount(2) of a tmpfs, proc, sysfs, mqueue, devpts
 * or a bind mount, and
 * umount2(2) of the mounts it made, for a task that may not mount
 * (a user-namespaced container without CAP_SYS_ADMIN).
 *
 * mount: the type must be on the rule's list; the MS_* flags map to
 * MOUNT_ATTR_* and must be among the allowed or forced ones (the forced
 * ones are always set, and each kernel filesystem's own); each option
 * must be on the list and the type's, a tmpfs size= no more than maxSize
 * (which is also the size of a tmpfs that asks for none); proc, sysfs
 * and mqueue are made in the task's pid, network, IPC namespace; the target, and a bind's source, are resolved in the task's root
 * with its credentials (openat2, RESOLVE_IN_ROOT for an absolute path,
 * no magic links) and the real path of what was opened must be under one
 * of the prefixes: a symlink swapped in afterwards changes nothing, the
 * mount is attached to that fd. The daemon builds the mount with the new
 * API (mount_ns.h), the tmpfs root owned by the task's fsuid/fsgid, a bind
 * idmapped to the task's user namespace when the rule says so.
 *
 * umount2: only of a mount this handler made in that mount namespace;
 * done as MNT_DETACH. Anything refused gets the rule's errno. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emulate/preempt_journal.h"
#include "emulate/mount_ns.h"
#include "handlers/mount_api.h"
#include "handlers/mount_fuse.h"
#include "handlers/mount_opts.h"
#include "handlers/mount_target.h"
#include "emulate/resolve.h"
#include "notify/target.h"
#include "unotify/macro.h"

#define DATA_MAX 4096 /* the kernel copies one page of options */

/* The new API's calls after these two: mount_api.h. */
static const char *const served[] = { "mount",   "umount2",    "fsopen",    "fsconfig",
                                      "fsmount", "move_mount", "open_tree", "mount_setattr" };

struct mount_call {
        char source[PATH_MAX], target[PATH_MAX], type[64], data[DATA_MAX];
        bool has_data;
        char pts_gid[16];
        struct mount_owner owner; /* the task's fsuid, fsgid */
        struct mount_fuse fuse;
        struct mount_args a;
};

static int refuse(struct emul_call *c, const char *why)
{
        c->why = why;
        return -c->opts->refuse_errno;
}

static int read_strings(struct emul_call *c, struct mount_call *m)
{
        const __u64 *a = c->req.data.args;
        pid_t pid = (pid_t)c->req.pid;
        ssize_t r;

        mount_args_init(&m->a, (unsigned long)a[3]);
        mount_fuse_init(&m->fuse);
        r = target_read_string(pid, a[1], m->target, sizeof(m->target));
        if (r >= 0 && !(m->a.flags & MS_BIND))
                r = target_read_string(pid, a[2], m->type, sizeof(m->type));
        if (r >= 0 && a[0])
                r = target_read_string(pid, a[0], m->source, sizeof(m->source));
        if (r >= 0 && a[4] && !(m->a.flags & MS_BIND)) {
                r = target_read_string(pid, a[4], m->data, sizeof(m->data));
                m->has_data = r > 0;
        }
        if (r == -ENAMETOOLONG && m->type[0] == '\0' && !(m->a.flags & MS_BIND))
                r = -ENODEV; /* a type name longer than any the kernel knows */
        return r < 0 ? (int)r : 0;
}

/* Flags, type and options against the rule (mount_opts.h), a devpts
 * gid= mapped to the host's. */
static int check_args(struct emul_call *c, struct worker *w, struct mount_call *m)
{
        int r = mount_check_flags(&m->a, c->opts, &c->why);

        if (r >= 0 && !(m->a.flags & MS_BIND) && mount_fuse_type(m->type, NULL)) {
                r = mount_fuse_check_type(&m->a, c->opts, m->type, &m->fuse, &c->why);
                return r < 0 ? r
                             : mount_fuse_data(c, w, &m->a, &m->fuse, m->has_data ? m->data : NULL);
        }
        if (r >= 0)
                r = mount_check_type(&m->a, c->opts, m->type, &c->why);
        if (r >= 0 && !m->a.plan.bind)
                r = mount_check_data(&m->a, c->opts, m->has_data ? m->data : NULL, &c->why);
        if (r >= 0 && m->a.gid_index >= 0) {
                r = mount_host_id(w, (pid_t)c->req.pid, "gid_map",
                                  m->a.plan.fs_values[m->a.gid_index], m->pts_gid,
                                  sizeof(m->pts_gid));
                m->a.plan.fs_values[m->a.gid_index] = m->pts_gid;
        }
        return r;
}

static int valid_again(void *userdata)
{
        const struct emul_call *c = userdata;

        return target_id_valid(c->listener_fd, c->req.id);
}

/* Resolve target (and source) as the task, in its root. */
static int resolve(struct emul_call *c, struct worker *w, struct mount_call *m, const char *path,
                   int *ret_fd, bool source, int access)
{
        return mount_resolve(c, w, path, -1, source, access, ret_fd, source ? NULL : &m->owner);
}

static int do_mount(struct emul_call *c, struct worker *w, struct mount_call *m)
{
        int r, mntns = -1;
        uint64_t ns_ino = 0;

        r = check_args(c, w, m);
        if (r >= 0)
                r = resolve(c, w, m, m->target, &m->a.plan.target_fd, false, 0);
        if (r >= 0 && m->a.plan.bind)
                r = resolve(c, w, m, m->source, &m->a.plan.source_fd, true, 0);
        for (unsigned i = 0; r >= 0 && i < m->a.n_layers; i++)
                r = resolve(c, w, m, m->a.layer_paths[i],
                            &m->a.plan.layer_fds[m->a.plan.n_layers++], true,
                            strcmp(m->a.plan.layer_keys[i], "lowerdir+") ? W_OK | X_OK
                                                                         : R_OK | X_OK);
        if (r >= 0 && m->a.ns)
                r = m->a.plan.ns_fd = mount_open_ns(w, (pid_t)c->req.pid, m->a.ns, NULL);
        if (r >= 0 && !m->a.plan.bind && m->a.fs_type == UNOTIFY_MOUNT_TMPFS &&
            (r = mount_add_fs(&m->a, "uid", m->owner.uid)) >= 0)
                r = mount_add_fs(&m->a, "gid",
                                 m->owner.gid); /* the root is the task's, not the daemon's */
        if (r >= 0 && m->a.fs_type == UNOTIFY_MOUNT_FUSE && !m->a.plan.bind)
                r = m->a.plan.userns_ctx_fd = mount_open_ns(w, (pid_t)c->req.pid, "user", NULL);
        if (r >= 0 && m->a.plan.bind && c->opts->mount_idmap)
                r = m->a.plan.userns_fd = mount_open_ns(w, (pid_t)c->req.pid, "user", NULL);
        if (r >= 0)
                r = mntns = mount_open_ns(w, (pid_t)c->req.pid, "mnt", &ns_ino);
        if (r >= 0) {
                m->a.plan.still_valid = valid_again;
                m->a.plan.userdata = c;
                r = mount_ns_attach(mntns, &m->a.plan);
                c->side_effect = r >= 0;
        }
        if (r >= 0)
                mount_table_add(ns_ino, m->a.plan.mnt_id);
        safe_close(mntns);
        safe_close(m->a.plan.target_fd);
        safe_close(m->a.plan.source_fd);
        safe_close(m->a.plan.userns_fd);
        safe_close(m->a.plan.ns_fd);
        safe_close(m->a.plan.userns_ctx_fd);
        mount_fuse_done(&m->fuse);
        for (unsigned i = 0; i < m->a.plan.n_layers; i++)
                safe_close(m->a.plan.layer_fds[i]);
        return r;
}

static int do_umount(struct emul_call *c, struct worker *w, const char *target, int flags)
{
        const char *const all[] = { "/" };
        struct task_creds creds;
        struct task_dirs dirs;
        uint64_t ns_ino = 0, id;
        int r, fd = -1, mntns = -1;
        bool root;

        if (flags & ~(MNT_DETACH | MNT_FORCE | UMOUNT_NOFOLLOW))
                return flags & MNT_EXPIRE ? refuse(c, "MNT_EXPIRE is not emulated") : -EINVAL;
        r = task_creds_read(w, (pid_t)c->req.pid, &creds);
        if (r < 0)
                return r;
        r = task_dirs_open(c, w, target, -1, false, &dirs);
        if (r >= 0)
                r = worker_enter_root(w, dirs.root_fd);
        if (r >= 0)
                r = worker_assume(w, &creds, 0);
        if (r >= 0)
                r = mount_open_checked(c, w, &dirs, target, all, 1, 0, &fd);
        if (worker_restore(w) < 0 && r >= 0)
                r = -EIO;
        task_dirs_close(&dirs);
        task_creds_done(&creds);
        if (r >= 0)
                r = mntns = mount_open_ns(w, (pid_t)c->req.pid, "mnt", &ns_ino);
        if (r >= 0)
                r = mount_id_of(fd, &id, &root);
        if (r >= 0 && !root)
                r = -EINVAL; /* not a mount point, as the kernel says */
        if (r >= 0 && !mount_table_has(ns_ino, id))
                r = refuse(c, "a mount the daemon did not make for this container");
        if (r >= 0)
                r = target_id_valid(c->listener_fd, c->req.id);
        if (r >= 0) {
                r = mount_ns_detach(mntns, w->proc_fd, fd);
                c->side_effect = r >= 0;
        }
        if (r >= 0)
                mount_table_remove(ns_ino, id);
        safe_close(fd);
        safe_close(mntns);
        return r;
}

static void mount_run(struct emul_call *c, struct worker *w)
{
        _cleanup_(freep) struct mount_call *m = calloc(1, sizeof(*m));
        int which = syscall_pick(&c->req, served, ELEMENTSOF(served));
        ssize_t r;

        if (!m || which < 0) {
                c->error = m ? -ENOSYS : -ENOMEM;
                return;
        }
        if (which >= 2) {
                mount_api_run(c, w, which - 2);
                return;
        }
        if (which == 0)
                r = read_strings(c, m);
        else
                r = target_read_string((pid_t)c->req.pid, c->req.data.args[0], m->target,
                                       sizeof(m->target));
        if (r >= 0)
                r = target_id_valid(c->listener_fd, c->req.id);
        if (r < 0) {
                c->error = (int)r;
                return;
        }
        c->key_digest = journal_digest(&c->req, m->target, strlen(m->target));
        c->key_digest = journal_digest_more(c->key_digest, m->source, strlen(m->source));
        c->key_digest = journal_digest_more(c->key_digest, m->type, strlen(m->type));
        c->key_digest = journal_digest_more(c->key_digest, m->data, strlen(m->data));
        if (c->journal && journal_begin(c->journal, c))
                return;
        r = which == 0 ? do_mount(c, w, m) : do_umount(c, w, m->target, (int)c->req.data.args[1]);
        if (r < 0)
                c->error = (int)r;
        if (c->journal)
                journal_end(c->journal, c);
}

const struct handler handler_mount = {
        .id = UNOTIFY_HANDLER_MOUNT,
        .name = "mount",
        .syscalls = served,
        .n_syscalls = ELEMENTSOF(served),
        .run = mount_run,
};
