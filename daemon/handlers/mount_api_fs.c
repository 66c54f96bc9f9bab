/* The mount handler's new-API calls (mount_api.h): the task drives a
 * context the daemon made, each privileged step done by the daemon on its
 * own copy with the rules of mount(2).
 *
 *   fsopen         an allowed type: the daemon's context (in the task's pid,
 *                  network or IPC namespace where the type needs it; a tmpfs
 *                  root owned by the task's fsuid/fsgid), injected
 *   fsconfig       on a context of the daemon's: flags and strings only,
 *                  each key through mount_add_option (the rule's options,
 *                  the size cap), "source" as the name it shows; CMD_CREATE
 *                  with what mount(2) adds (the default size)
 *   fsmount        of a created context: the forced attributes added, the
 *                  detached mount injected
 *   open_tree      OPEN_TREE_CLONE of a source under the rule's sources (bind
 *                  allowed), with the forced attributes (and the idmapping);
 *                  without OPEN_TREE_CLONE it is an O_PATH open the kernel
 *                  checks as for any task: continued
 *   move_mount     of a detached mount of the daemon's to a target under the
 *                  rule's targets, resolved as for mount(2); recorded for
 *                  umount2
 *   mount_setattr  on a detached mount of the daemon's: set allowed
 *                  attributes, clear none that is forced, idmap only to the
 *                  task's own user namespace
 *
 * Anything else (a context or mount of another container, one the daemon
 * forgot, by path instead of by fd) gets the rule's errno, never the
 * kernel: the task could swap another file onto the fd number between the
 * check and the kernel's call. An fd that is no context gets the kernel's
 * errno. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "emulate/mount_ns.h"
#include "emulate/preempt_journal.h"
#include "handlers/mount_api.h"
#include "handlers/mount_api_call.h"
#include "handlers/mount_api_tree.h"
#include "handlers/mount_fuse.h"
#include "unotify/macro.h"

/* The keys of e's plan that mount_add_option or mount_finish just added,
 * set on the daemon's context. */
static int apply(struct mount_ctx *e)
{
        int r = 0;

        for (unsigned i = 0; i < e->a.plan.n_fs && r == 0; i++)
                if (fsconfig(e->fd,
                             e->a.plan.fs_values[i] ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG,
                             e->a.plan.fs_keys[i], e->a.plan.fs_values[i], 0) < 0)
                        r = negative_errno();
        e->a.plan.n_fs = 0;
        return r;
}

/* A tmpfs's root is the task's, as mount(2) makes it. */
static int own_root(struct api *x, struct mount_ctx *e)
{
        struct task_creds creds;
        char uid[16], gid[16];
        int r;

        if (e->a.fs_type != UNOTIFY_MOUNT_TMPFS)
                return 0;
        r = task_creds_read(x->w, x->pid, &creds);
        if (r < 0)
                return r;
        snprintf(uid, sizeof(uid), "%u", (unsigned)creds.fsuid);
        snprintf(gid, sizeof(gid), "%u", (unsigned)creds.fsgid);
        task_creds_done(&creds);
        if (fsconfig(e->fd, FSCONFIG_SET_STRING, "uid", uid, 0) < 0 ||
            fsconfig(e->fd, FSCONFIG_SET_STRING, "gid", gid, 0) < 0)
                return negative_errno();
        return 0;
}

/* A FUSE context is the task's user namespace's: a child that joined its
 * mount and user namespaces opens it (mount_fuse.h). */
static int fuse_context(struct api *x, struct mount_ctx *e, const char *type)
{
        struct mount_fuse f;
        int r = mount_fuse_check_type(&e->a, x->c->opts, type, &f, &x->c->why);

        if (r >= 0)
                r = e->a.plan.userns_ctx_fd = mount_open_ns(x->w, x->pid, "user", NULL);
        if (r >= 0)
                r = e->a.plan.mntns_ctx_fd = mount_open_ns(x->w, x->pid, "mnt", NULL);
        return r;
}

static int api_fsopen(struct api *x)
{
        struct mount_ctx e = { .kind = MCTX_CONTEXT, .fd = -1, .dev_fd = -1 };
        char type[64];
        int r = read_str(x, 0, type, sizeof(type), false);

        if (r == -ENAMETOOLONG)
                return -ENODEV; /* longer than any type the kernel knows */
        if (r < 0)
                return r;
        if (x->a[1] & ~(__u64)FSOPEN_CLOEXEC)
                return -EINVAL;
        if (replayed(x, type, strlen(type)))
                return 0;
        mount_args_init(&e.a, 0);
        r = mount_check_flags(&e.a, x->c->opts, &x->c->why);
        if (r >= 0 && mount_fuse_type(type, NULL))
                r = fuse_context(x, &e, type);
        else if (r >= 0)
                r = mount_check_type(&e.a, x->c->opts, type, &x->c->why);
        if (r >= 0 && e.a.fs_type == UNOTIFY_MOUNT_OVERLAY)
                r = refuse(x,
                           "overlay is made by mount(2) only (its layers are opened as the task)");
        if (r >= 0 && e.a.ns)
                r = e.a.plan.ns_fd = mount_open_ns(x->w, x->pid, e.a.ns, NULL);
        if (r >= 0)
                r = e.fd = mount_ns_fsopen(&e.a.plan);
        e.a.plan.ns_fd = safe_close(e.a.plan.ns_fd);
        e.a.plan.userns_ctx_fd = safe_close(e.a.plan.userns_ctx_fd);
        e.a.plan.mntns_ctx_fd = safe_close(e.a.plan.mntns_ctx_fd);
        e.forced = e.a.plan.attrs;
        if (r >= 0)
                r = own_root(x, &e);
        if (r >= 0)
                r = apply(&e); /* a FUSE subtype */
        if (r < 0)
                return safe_close(e.fd), r;
        return keep_and_give(x, &e, x->a[1] & FSOPEN_CLOEXEC);
}

/* One key on e (locked), checked as a mount(2) option. */
static int set_param(struct api *x, struct mount_ctx *e, unsigned cmd)
{
        char *value = cmd == FSCONFIG_SET_STRING ? x->value : NULL;
        char gid[16];
        int r;

        if (cmd != FSCONFIG_SET_FLAG && cmd != FSCONFIG_SET_STRING)
                return refuse(x, "an fsconfig value that is no flag or string");
        if (e->created)
                return -EBUSY; /* as the kernel says after FSCONFIG_CMD_CREATE */
        if (!strcmp(x->param, "source") && value)
                return fsconfig(e->fd, cmd, x->param, value, 0) < 0 ? negative_errno() : 0;
        if (e->a.fs_type == UNOTIFY_MOUNT_FUSE) {
                struct mount_fuse f;

                mount_fuse_init(&f);
                r = mount_fuse_option(x->c, x->w, &e->a, &f, x->param, value);
                if (r >= 0)
                        r = apply(e);
                if (r >= 0 && f.dev_fd >= 0) {
                        /* The kernel takes the file fd= names at the create. */
                        safe_close(e->dev_fd);
                        e->dev_fd = f.dev_fd;
                        f.dev_fd = -1;
                }
                mount_fuse_done(&f);
                return e->a.plan.n_fs = 0, r;
        }
        e->a.gid_index = -1; /* each gid= is mapped when it comes */
        r = mount_add_option(&e->a, x->c->opts, x->param, value, &x->c->why);
        if (r >= 0 && e->a.gid_index >= 0) {
                r = mount_host_id(x->w, x->pid, "gid_map", value, gid, sizeof(gid));
                e->a.plan.fs_values[e->a.gid_index] = gid;
        }
        if (r < 0)
                return e->a.plan.n_fs = 0, r;
        return apply(e);
}

static int api_fsconfig(struct api *x)
{
        unsigned cmd = (unsigned)x->a[1];
        struct mount_ctx *e;
        int r = mount_api_fsconfig_args(x->a);

        if (r < 0)
                return r;
        if (cmd >= FSCONFIG_CMD_CREATE && replayed(x, NULL, 0))
                return 0; /* no memory read: the arguments say it all */
        r = find(x, 0, &e, EINVAL);
        if (r < 0)
                return r;
        if (e->kind != MCTX_CONTEXT)
                r = -EINVAL; /* a mount is no context */
        else if (x->a[2])
                r = read_str(x, 2, x->param, sizeof(x->param), false);
        if (r == -ENAMETOOLONG)
                r = -EINVAL; /* strndup_user()'s word */
        if (r >= 0 && cmd == FSCONFIG_SET_STRING)
                r = read_str(x, 3, x->value, sizeof(x->value), false);
        if (r == -ENAMETOOLONG)
                r = -EINVAL;
        if (r >= 0 && cmd == FSCONFIG_CMD_RECONFIGURE)
                r = refuse(x, "reconfiguring is not emulated");
        else if (r >= 0 && (cmd == FSCONFIG_CMD_CREATE || cmd == FSCONFIG_CMD_CREATE_EXCL)) {
                r = e->created ? -EBUSY : mount_finish(&e->a, x->c->opts);
                if (r >= 0)
                        r = apply(e);
                if (r >= 0 && fsconfig(e->fd, cmd, NULL, NULL, 0) < 0)
                        r = negative_errno();
                e->created = r >= 0;
                e->dev_fd = safe_close(e->dev_fd);
        } else if (r >= 0)
                r = set_param(x, e, cmd);
        mount_ctx_unlock();
        return r;
}

static int api_fsmount(struct api *x)
{
        const struct unotify_handler_options *o = x->c->opts;
        struct mount_ctx *e, m;
        int r = mount_api_fsmount_args(x->a);

        if (r < 0)
                return r;
        if (replayed(x, NULL, 0))
                return 0;
        r = find(x, 0, &e, EINVAL);
        if (r < 0)
                return r;
        r = e->kind != MCTX_CONTEXT ? -EINVAL : !e->created ? -EBUSY : 0;
        if (r >= 0 && !mount_api_attrs_allowed(o, x->a[2]))
                r = refuse(x, "a mount attribute the rule does not allow");
        m = (struct mount_ctx){
                .kind = MCTX_MOUNT, .fd = -1, .dev_fd = -1, .forced = e->forced, .a = e->a
        };
        if (r >= 0 && (m.fd = fsmount(e->fd, FSMOUNT_CLOEXEC, (unsigned)(x->a[2] | e->forced))) < 0)
                r = negative_errno();
        if (r >= 0)
                mount_ctx_drop(e); /* used up: one mount per context */
        mount_ctx_unlock();
        if (r < 0)
                return safe_close(m.fd), r;
        return keep_and_give(x, &m, x->a[1] & FSMOUNT_CLOEXEC);
}

static int (*const calls[])(struct api *) = {
        [MOUNT_API_FSOPEN] = api_fsopen,
        [MOUNT_API_FSCONFIG] = api_fsconfig,
        [MOUNT_API_FSMOUNT] = api_fsmount,
        [MOUNT_API_MOVE_MOUNT] = mount_api_move_mount,
        [MOUNT_API_OPEN_TREE] = mount_api_open_tree,
        [MOUNT_API_MOUNT_SETATTR] = mount_api_mount_setattr,
};

void mount_api_run(struct emul_call *c, struct worker *w, int which)
{
        _cleanup_(freep) struct api *x = calloc(1, sizeof(*x));
        uint64_t ino = 0;
        int r, ns;

        if (!x || which < 0 || (size_t)which >= ELEMENTSOF(calls)) {
                c->error = x ? -ENOSYS : -ENOMEM;
                return;
        }
        *x = (struct api){ .c = c, .w = w, .pid = (pid_t)c->req.pid, .a = c->req.data.args };
        mount_ctx_gc();
        ns = mount_open_ns(w, x->pid, "user", &ino);
        if (ns < 0) {
                c->error = ns;
                return;
        }
        safe_close(ns);
        x->key = (struct mount_ctx_key){ .listener_fd = c->listener_fd, .userns_ino = ino };
        r = calls[which](x);
        if (c->replayed)
                return;
        if (r < 0)
                c->error = r;
        /* A context or mount made, created or attached: a restarted call
         * gets the same (the journal keeps a copy of the fd). */
        c->side_effect = c->side_effect || (r >= 0 && c->fd >= 0) ||
                         (r >= 0 && which == MOUNT_API_FSCONFIG && c->journaled);
        if (c->journal)
                journal_end(c->journal, c);
}
