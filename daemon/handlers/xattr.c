/* The "xattr" handler: setxattr(2), lsetxattr, fsetxattr, removexattr,
 * lremovexattr and fremovexattr of the attribute names on the rule's list
 * (default: overlayfs's trusted.overlay.*, what overlayfs in a container
 * sets on its upper directories), on files in the task's root that the
 * container's ids own, done with the daemon's CAP_SYS_ADMIN (what the
 * kernel demands for trusted.*). Any other name gets the rule's errno.
 *
 * The file is resolved as the task (its root and credentials, no magic
 * links), its owner checked on the opened inode, and the attribute set on
 * that inode through /proc/self/fd/N: no second path walk. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "emulate/resolve.h"
#include "handlers/xattr_args.h"
#include "notify/target.h"
#include "unotify/macro.h"

static const char *const served[] = { "setxattr",    "lsetxattr",    "fsetxattr",
                                      "removexattr", "lremovexattr", "fremovexattr" };

/* Whether uid (as the host sees it) is one of the task's user namespace's
 * (its uid_map); in the daemon's own namespace: only the task's fsuid. */
static bool owned_by_container(struct worker *w, pid_t pid, uid_t uid, uid_t fsuid)
{
        char path[64];
        _cleanup_(fclosep) FILE *f = NULL;
        unsigned long in, out, count;
        int fd;

        snprintf(path, sizeof(path), "%d/uid_map", (int)pid);
        fd = openat(w->proc_fd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || !(f = fdopen(fd, "re"))) {
                safe_close(fd);
                return false;
        }
        while (fscanf(f, "%lu %lu %lu", &in, &out, &count) == 3) {
                if (in == 0 && out == 0 && count == 4294967295ul)
                        return uid == fsuid; /* the initial namespace */
                if (uid >= out && uid - out < count)
                        return true;
        }
        return false;
}

/* The object, opened O_PATH as the task would find it. */
static int open_object(struct emul_call *c, struct worker *w, const struct xattr_args *x,
                       const struct task_creds *creds)
{
        struct task_dirs dirs;
        uint64_t flags = O_PATH | O_CLOEXEC | (x->follow ? 0 : O_NOFOLLOW);
        int r, fd = -1;

        if (x->by_fd)
                return target_dup_fd(c->listener_fd, &c->req, (int)c->req.data.args[0]);
        if (!x->path[0])
                return -ENOENT;
        r = task_dirs_open(c, w, x->path, -1, false, &dirs);
        if (r >= 0)
                r = worker_enter_root(w, dirs.root_fd);
        if (r >= 0)
                r = worker_assume(w, creds, 0);
        if (r >= 0)
                r = fd = x->path[0] == '/' ? openat2_fd(dirs.root_fd, x->path, flags, 0,
                                                        RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
                                           : openat2_fd(dirs.base_fd, x->path, flags, 0,
                                                        RESOLVE_NO_MAGICLINKS);
        if (worker_restore(w) < 0 && r >= 0)
                r = -EIO, fd = safe_close(fd);
        task_dirs_close(&dirs);
        return r;
}

static int apply(const struct xattr_args *x, int fd)
{
        char link[64];
        int r;

        /* Through the daemon's procfs: the inode of fd, O_PATH or not (a
         * symlink too: the jump lands on it and goes no further). */
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        r = x->set ? setxattr(link, x->name, x->value, x->size, x->flags)
                   : removexattr(link, x->name);
        return r < 0 ? negative_errno() : 0;
}

static int run(struct emul_call *c, struct worker *w, struct xattr_args *x)
{
        struct task_mem mem = task_mem_of((pid_t)c->req.pid);
        struct task_creds creds;
        struct stat st;
        int r, fd;

        r = xattr_args_read(&mem, x->which, c->req.data.args, x);
        if (r >= 0)
                r = target_id_valid(c->listener_fd, c->req.id);
        if (r < 0)
                return r;
        if (!xattr_name_allowed(c->opts, x->name)) {
                c->why = "an attribute name the rule does not allow";
                return -c->opts->refuse_errno;
        }
        r = task_creds_read(w, (pid_t)c->req.pid, &creds);
        if (r < 0)
                return r;
        r = fd = open_object(c, w, x, &creds);
        if (r >= 0 && fstat(fd, &st) < 0)
                r = negative_errno();
        if (r >= 0 && !owned_by_container(w, (pid_t)c->req.pid, st.st_uid, creds.fsuid)) {
                c->why = "a file the container's ids do not own";
                r = -c->opts->refuse_errno;
        }
        if (r >= 0)
                r = target_id_valid(c->listener_fd, c->req.id); /* right before the change */
        if (r >= 0)
                r = apply(x, fd);
        if (fd >= 0)
                safe_close(fd);
        task_creds_done(&creds);
        return r;
}

static void xattr_run(struct emul_call *c, struct worker *w)
{
        struct xattr_args *x = calloc(1, sizeof(*x));
        int r;

        if (!x) {
                c->error = -ENOMEM;
                return;
        }
        x->which = syscall_pick(&c->req, served, ELEMENTSOF(served));
        r = x->which < 0 ? -ENOSYS : run(c, w, x);
        if (r < 0)
                c->error = r;
        xattr_args_done(x);
        free(x);
}

const struct handler handler_xattr = {
        .id = UNOTIFY_HANDLER_XATTR,
        .name = "xattr",
        .syscalls = served,
        .n_syscalls = ELEMENTSOF(served),
        .run = xattr_run,
};
