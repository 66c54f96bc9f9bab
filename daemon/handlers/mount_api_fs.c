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
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emulate/preempt_journal.h"
#include "handlers/mount_api.h"
#include "handlers/mount_fuse.h"
#include "emulate/mount_ns.h"
#include "notify/target.h"
#include "unotify/macro.h"

#ifndef FSCONFIG_CMD_CREATE_EXCL
#define FSCONFIG_CMD_CREATE_EXCL 8 /* Linux 6.6 */
#endif
#ifndef MOVE_MOUNT_BENEATH
#define MOVE_MOUNT_BENEATH 0x00000200 /* Linux 6.5 */
#endif
#define MOVE_MOUNT_KNOWN (0x177 | MOVE_MOUNT_BENEATH)
#define PARAM_MAX 256 /* fsconfig's key and string: the kernel's strndup_user() cap */

struct api {
        struct emul_call *c;
        struct worker *w;
        pid_t pid;
        const __u64 *a;
        struct mount_ctx_key key;
        char path[PATH_MAX]; /* move_mount's target, open_tree's source */
        char param[PARAM_MAX], value[PARAM_MAX];
};

static int refuse(struct api *x, const char *why)
{
        x->c->why = why;
        return -x->c->opts->refuse_errno;
}

/* The task's fd (argument i) as the daemon's entry, locked on 0; else the
 * errno: the kernel's for no fd (-EBADF) or not_ours (a file that is not
 * a context or mount at all), the rule's for another's or a forgotten one. */
static int find(struct api *x, unsigned i, struct mount_ctx **ret, int not_ours)
{
        char link[64], what[64] = "";
        int copy, r;

        if ((int)x->a[i] < 0)
                return -EBADF;
        copy = target_dup_fd(x->c->listener_fd, &x->c->req, (int)x->a[i]);
        if (copy < 0)
                return copy;
        r = mount_ctx_lookup(&x->key, copy, ret);
        snprintf(link, sizeof(link), "self/fd/%d", copy);
        if (r == -ENOENT && readlinkat(x->w->proc_fd, link, what, sizeof(what) - 1) < 0)
                what[0] = '\0';
        safe_close(copy);
        if (r == -EPERM)
                return refuse(x, "a context or mount the daemon made for another container");
        if (r == -ENOENT && not_ours && strcmp(what, "anon_inode:[fscontext]"))
                return -not_ours;
        if (r == -ENOENT)
                return refuse(x, "a context or mount the daemon did not make (or no longer knows)");
        return r;
}

/* The task's string at argument i; empty for NULL when null_ok. */
static int read_str(struct api *x, unsigned i, char *buf, size_t size, bool null_ok)
{
        ssize_t r;

        buf[0] = '\0';
        if (!x->a[i] && null_ok)
                return 0;
        r = target_read_string(x->pid, x->a[i], buf, size);
        return r < 0 ? (int)r : 0;
}

/* Whether the journal has this call's result already (then it is in c):
 * after the task's memory is read, before anything is made. */
static bool replayed(struct api *x, const void *mem, size_t n)
{
        x->c->key_digest = journal_digest(&x->c->req, mem, n);
        return x->c->journal && journal_begin(x->c->journal, x->c);
}

/* e (its fd taken) into the table, a copy of its fd (of a mount: of its
 * handle) to the task: ID_VALID
 * right before (the copy is sent with ADDFD, which fails on its own for a
 * call that is gone meanwhile). */
static int keep_and_give(struct api *x, struct mount_ctx *e, bool cloexec)
{
        int pidfd = target_pidfd(x->c->listener_fd, &x->c->req), copy = -1, r = pidfd;

        e->handle = -1;
        if (r >= 0 && e->kind == MCTX_MOUNT)
                r = e->handle = worker_reopen(x->w, e->fd, O_RDONLY | O_DIRECTORY);
        /* A FUSE root lets only its user namespace in: the handle is then
         * a token (an eventfd) the task can only pass back. */
        if (r == -EACCES && e->a.fs_type == UNOTIFY_MOUNT_FUSE) {
                e->handle = eventfd(0, EFD_CLOEXEC);
                r = e->handle < 0 ? negative_errno() : 0;
        }
        if (r >= 0 && (copy = fcntl(e->handle >= 0 ? e->handle : e->fd, F_DUPFD_CLOEXEC, 3)) < 0)
                r = negative_errno();
        if (r < 0) {
                safe_close(pidfd);
                safe_close(e->fd);
                safe_close(e->handle);
                return r;
        }
        mount_ctx_add(&x->key, pidfd, e);
        r = target_id_valid(x->c->listener_fd, x->c->req.id);
        if (r < 0)
                return safe_close(copy), r; /* the entry goes with its creator */
        x->c->fd = copy;
        x->c->cloexec = cloexec;
        return 0;
}

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

static int valid_again(void *userdata)
{
        const struct emul_call *c = userdata;

        return target_id_valid(c->listener_fd, c->req.id);
}

/* The target resolved (not under the table's lock: the path may be on a
 * FUSE mount of the container's), then the mount attached. */
static int api_move_mount(struct api *x)
{
        unsigned flags = (unsigned)x->a[4];
        struct mount_plan plan = { .target_fd = -1, .still_valid = valid_again, .userdata = x->c };
        _cleanup_(closep) int mntns = -1;
        char from[2];
        uint64_t ns_ino = 0;
        struct mount_ctx *e;
        int r = flags & ~MOVE_MOUNT_KNOWN ? -EINVAL : 0;

        if (r >= 0 && flags & (MOVE_MOUNT_SET_GROUP | MOVE_MOUNT_BENEATH))
                r = refuse(x, "sharing groups and mounts beneath are not emulated");
        if (r >= 0 && (r = read_str(x, 1, from, sizeof(from), flags & MOVE_MOUNT_F_EMPTY_PATH)) ==
                              -ENAMETOOLONG)
                r = refuse(x, "moving a mount by its path is not emulated");
        if (r >= 0 && (from[0] || !(flags & MOVE_MOUNT_F_EMPTY_PATH)))
                r = from[0] ? refuse(x, "moving a mount by its path is not emulated") : -ENOENT;
        if (r >= 0)
                r = read_str(x, 3, x->path, sizeof(x->path), flags & MOVE_MOUNT_T_EMPTY_PATH);
        if (r >= 0 && !x->path[0] && flags & MOVE_MOUNT_T_EMPTY_PATH)
                strcpy(x->path, "."); /* the directory to_dfd is */
        if (r >= 0 && replayed(x, x->path, strlen(x->path)))
                return 0;
        if (r >= 0)
                r = mount_resolve(x->c, x->w, x->path, 2, false, 0, &plan.target_fd, NULL);
        if (r >= 0)
                r = mntns = mount_open_ns(x->w, x->pid, "mnt", &ns_ino);
        if (r >= 0 && (r = find(x, 0, &e, 0)) >= 0) {
                r = e->kind == MCTX_MOUNT ? mount_ns_move(mntns, e->fd, &plan) : -EINVAL;
                x->c->side_effect = r >= 0;
                if (r >= 0)
                        mount_ctx_drop(e); /* attached: the task's fd is a plain one now */
                mount_ctx_unlock();
        }
        if (r >= 0)
                mount_table_add(ns_ino, plan.mnt_id);
        safe_close(plan.target_fd);
        return r;
}

static int api_open_tree(struct api *x)
{
        const unsigned known = AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_RECURSIVE |
                               AT_SYMLINK_NOFOLLOW | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;
        unsigned flags = (unsigned)x->a[2];
        struct mount_ctx e = { .kind = MCTX_MOUNT, .fd = -1, .dev_fd = -1 };
        _cleanup_(closep) int mntns = -1;
        int r;

        if (flags & ~known || (flags & (AT_RECURSIVE | OPEN_TREE_CLONE)) == AT_RECURSIVE)
                return -EINVAL;
        if (!(flags & OPEN_TREE_CLONE)) {
                x->c->continue_call = true; /* an O_PATH open, checked by the kernel as the task */
                return 0;
        }
        mount_args_init(&e.a, MS_BIND | (flags & AT_RECURSIVE ? MS_REC : 0));
        r = mount_check_flags(&e.a, x->c->opts, &x->c->why);
        if (r >= 0)
                r = mount_check_type(&e.a, x->c->opts, NULL, &x->c->why);
        if (r >= 0)
                r = read_str(x, 1, x->path, sizeof(x->path), false);
        if (r >= 0 && !x->path[0])
                r = flags & AT_EMPTY_PATH ? (strcpy(x->path, "."), 0) : -ENOENT;
        if (r >= 0 && replayed(x, x->path, strlen(x->path)))
                return 0;
        if (r >= 0)
                r = mount_resolve(x->c, x->w, x->path, 0, true, R_OK | X_OK, &e.a.plan.source_fd,
                                  NULL);
        if (r >= 0 && x->c->opts->mount_idmap)
                r = e.a.plan.userns_fd = mount_open_ns(x->w, x->pid, "user", NULL);
        if (r >= 0)
                r = mntns = mount_open_ns(x->w, x->pid, "mnt", NULL);
        if (r >= 0)
                r = e.fd = mount_ns_clone(mntns, &e.a.plan);
        e.forced = e.a.plan.attrs;
        safe_close(e.a.plan.source_fd);
        safe_close(e.a.plan.userns_fd);
        e.a.plan.source_fd = e.a.plan.userns_fd = -1;
        if (r < 0)
                return safe_close(e.fd), r;
        return keep_and_give(x, &e, flags & OPEN_TREE_CLOEXEC);
}

/* The task's userns_fd must be its own user namespace. */
static int own_userns(struct api *x, uint64_t fd, int *ret_fd)
{
        struct stat mine, given;
        _cleanup_(closep) int copy = -1;
        int own = mount_open_ns(x->w, x->pid, "user", NULL);

        if (own < 0)
                return own;
        copy = fd > INT_MAX ? -EBADF : target_dup_fd(x->c->listener_fd, &x->c->req, (int)fd);
        if (copy < 0 || fstat(own, &mine) < 0 || fstat(copy, &given) < 0 ||
            mine.st_dev != given.st_dev || mine.st_ino != given.st_ino) {
                safe_close(own);
                return copy == -EBADF ? -EBADF
                                      : refuse(x, "an idmapping to another user namespace");
        }
        *ret_fd = own;
        return 0;
}

static int setattr_check(struct api *x, const struct mount_attr *at, const struct mount_ctx *e)
{
        const struct unotify_handler_options *o = x->c->opts;

        if ((at->attr_set | at->attr_clr) & ~(MOUNT_API_ATTRS | MOUNT_ATTR_IDMAP) ||
            at->attr_clr & MOUNT_ATTR_IDMAP)
                return -EINVAL;
        if (at->propagation)
                return refuse(x, "propagation changes are not emulated");
        if (at->attr_clr & e->forced)
                return refuse(x, "clearing an attribute the rule forces");
        if (!mount_api_attrs_allowed(o, at->attr_set & ~(uint64_t)MOUNT_ATTR_IDMAP))
                return refuse(x, "a mount attribute the rule does not allow");
        if (at->attr_set & MOUNT_ATTR_IDMAP && !o->mount_idmap)
                return refuse(x, "idmapped mounts are not allowed");
        return 0;
}

static int api_mount_setattr(struct api *x)
{
        const unsigned known = AT_EMPTY_PATH | AT_RECURSIVE | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT;
        unsigned flags = (unsigned)x->a[2];
        size_t size = x->a[4];
        unsigned char buf[4096] = {};
        struct mount_attr at;
        struct mount_ctx *e;
        char path[2];
        int r, userns = -1;

        if (flags & ~known)
                return -EINVAL;
        if (size > sizeof(buf))
                return -E2BIG;
        if (size < MOUNT_ATTR_SIZE_VER0)
                return -EINVAL;
        r = target_read(x->pid, x->a[3], buf, size);
        for (size_t i = sizeof(at); r >= 0 && i < size; i++)
                if (buf[i])
                        r = -E2BIG; /* a newer struct's field we do not know */
        if (r < 0)
                return r;
        memcpy(&at, buf, sizeof(at));
        if (!at.attr_set && !at.attr_clr && !at.propagation)
                return 0;
        r = read_str(x, 1, path, sizeof(path), flags & AT_EMPTY_PATH);
        if (r == -ENAMETOOLONG || (r >= 0 && path[0]) || (r >= 0 && !(flags & AT_EMPTY_PATH)))
                return refuse(x, "mount_setattr by path (of an attached mount) is not emulated");
        if (r >= 0 && at.attr_set & MOUNT_ATTR_IDMAP && x->c->opts->mount_idmap)
                r = own_userns(x, at.userns_fd, &userns);
        if (r >= 0)
                r = find(x, 0, &e, 0);
        if (r < 0) {
                safe_close(userns);
                return r;
        }
        r = e->kind != MCTX_MOUNT ? -EINVAL : setattr_check(x, &at, e);
        at.userns_fd = (uint64_t)(userns >= 0 ? userns : 0);
        if (r >= 0 &&
            mount_setattr(e->fd, "", AT_EMPTY_PATH | (flags & AT_RECURSIVE), &at, sizeof(at)) < 0)
                r = negative_errno();
        mount_ctx_unlock();
        safe_close(userns);
        return r;
}

static int (*const calls[])(struct api *) = {
        [MOUNT_API_FSOPEN] = api_fsopen,       [MOUNT_API_FSCONFIG] = api_fsconfig,
        [MOUNT_API_FSMOUNT] = api_fsmount,     [MOUNT_API_MOVE_MOUNT] = api_move_mount,
        [MOUNT_API_OPEN_TREE] = api_open_tree, [MOUNT_API_MOUNT_SETATTR] = api_mount_setattr,
};

void mount_api_run(struct emul_call *c, struct worker *w, int which)
{
        _cleanup_(freep) struct api *x = calloc(1, sizeof(*x));
        uint64_t ino = 0;
        int r, ns;

        if (!x || which < 0 || (size_t)which >= ELEMENTSOF(calls)) {
                c->error = x ? ENOSYS : ENOMEM;
                return;
        }
        *x = (struct api){ .c = c, .w = w, .pid = (pid_t)c->req.pid, .a = c->req.data.args };
        mount_ctx_gc();
        ns = mount_open_ns(w, x->pid, "user", &ino);
        if (ns < 0) {
                c->error = -ns;
                return;
        }
        safe_close(ns);
        x->key = (struct mount_ctx_key){ .listener_fd = c->listener_fd, .userns_ino = ino };
        r = calls[which](x);
        if (c->replayed)
                return;
        if (r < 0)
                c->error = -r;
        /* A context or mount made, created or attached: a restarted call
         * gets the same (the journal keeps a copy of the fd). */
        c->side_effect = c->side_effect || (r >= 0 && c->fd >= 0) ||
                         (r >= 0 && which == MOUNT_API_FSCONFIG && c->journaled);
        if (c->journal)
                journal_end(c->journal, c);
}
