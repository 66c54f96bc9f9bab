#include "handlers/mount_api_tree.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emulate/mount_ns.h"
#include "handlers/mount_api_call.h"
#include "notify/target.h"
#include "unotify/macro.h"

#ifndef MOVE_MOUNT_BENEATH
#define MOVE_MOUNT_BENEATH 0x00000200 /* Linux 6.5 */
#endif
#define MOVE_MOUNT_KNOWN (0x177 | MOVE_MOUNT_BENEATH)

static int valid_again(void *userdata)
{
        const struct emul_call *c = userdata;

        return target_id_valid(c->listener_fd, c->req.id);
}

/* The target resolved (not under the table's lock: the path may be on a
 * FUSE mount of the container's), then the mount attached. */
int mount_api_move_mount(struct api *x)
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

int mount_api_open_tree(struct api *x)
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

int mount_api_mount_setattr(struct api *x)
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
