/* Where a mount comes from and goes to, for mount.c, the new API
 * (mount_api_fs.c, mount_api_tree.c) and mount_fuse.c (mount_target.h):
 * paths resolved as the task in its root and checked against the rule's
 * prefixes, its namespaces, its ids as the host's. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emulate/resolve.h"
#include "handlers/mount_target.h"
#include "unotify/macro.h"

static int refuse(struct emul_call *c, const char *why)
{
        c->why = why;
        return -c->opts->refuse_errno;
}

/* An id of the task's user namespace as the host's (map: "uid_map" or
 * "gid_map"), for a devpts gid= or a FUSE user_id=/group_id=: the kernel
 * reads them in the caller's namespace, the daemon's. */
int mount_host_id(struct worker *w, pid_t pid, const char *map, const char *value, char *buf,
                  size_t size)
{
        _cleanup_(fclosep) FILE *f = NULL;
        unsigned long in, out, count, gid;
        char path[64], *end;
        int fd;

        errno = 0;
        gid = strtoul(value, &end, 10);
        if (*value < '0' || *value > '9' || *end || errno || gid > UINT32_MAX - 1)
                return -EINVAL;
        snprintf(path, sizeof(path), "%d/%s", (int)pid, map);
        fd = openat(w->proc_fd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || !(f = fdopen(fd, "re")))
                return safe_close(fd), -ESRCH;
        while (fscanf(f, "%lu %lu %lu", &in, &out, &count) == 3)
                if (gid >= in && gid - in < count) {
                        snprintf(buf, size, "%lu", out + (gid - in));
                        return 0;
                }
        return -EINVAL; /* unmapped, as the kernel says for an invalid gid */
}

static bool under(const char *path, const char *const *prefixes, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                size_t len = strlen(prefixes[i]);

                if (!strncmp(path, prefixes[i], len) &&
                    (path[len] == '\0' || path[len] == '/' || len == 1))
                        return true;
        }
        return false;
}

/* path opened in the task's root with its credentials (the worker has
 * taken them on), then its real path checked against prefixes. access
 * (an overlay layer: R_OK, W_OK...): a directory opened for reading (the
 * kernel takes layers by fd only from real opens) that the task may use
 * so, else O_PATH. */
int mount_open_checked(struct emul_call *c, struct worker *w, const struct task_dirs *d,
                       const char *path, const char *const *prefixes, size_t n, int access,
                       int *ret_fd)
{
        uint64_t how = access ? O_RDONLY | O_DIRECTORY | O_CLOEXEC : O_PATH | O_CLOEXEC;
        char real[PATH_MAX];
        int fd, r;

        if (!path[0])
                return -ENOENT;
        if (path[0] == '/')
                fd = openat2_fd(d->root_fd, path, how, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
        else
                fd = openat2_fd(d->base_fd, path, how, 0, RESOLVE_NO_MAGICLINKS);
        if (fd < 0)
                return fd;
        r = access && faccessat(fd, "", access, AT_EMPTY_PATH | AT_EACCESS) < 0 ? negative_errno()
                                                                                : 0;
        if (r >= 0)
                r = worker_fd_path(w, fd, real, sizeof(real));
        if (r >= 0 && !under(real, prefixes, n))
                r = refuse(c, "a path outside the rule's prefixes");
        if (r < 0)
                return safe_close(fd), r;
        *ret_fd = fd;
        return 0;
}

int mount_open_ns(struct worker *w, pid_t pid, const char *ns, uint64_t *ret_ino)
{
        char path[64];
        struct stat st;
        int fd;

        snprintf(path, sizeof(path), "%d/ns/%s", (int)pid, ns);
        fd = openat(w->proc_fd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT || errno == ESRCH ? -ENOENT : negative_errno();
        if (ret_ino && fstat(fd, &st) == 0)
                *ret_ino = st.st_ino;
        return fd;
}

int mount_resolve(struct emul_call *c, struct worker *w, const char *path, int dirfd_arg,
                  bool source, int access, int *ret_fd, struct mount_owner *ret_owner)
{
        const struct unotify_handler_options *o = c->opts;
        struct task_creds creds;
        struct task_dirs dirs;
        int r;

        r = task_creds_read(w, (pid_t)c->req.pid, &creds);
        if (r < 0)
                return r;
        r = task_dirs_open(c, w, path, dirfd_arg, false, &dirs);
        if (r >= 0)
                r = worker_enter_root(w, dirs.root_fd);
        if (r >= 0)
                r = worker_assume(w, &creds, 0);
        if (r >= 0)
                r = mount_open_checked(
                        c, w, &dirs, path, source ? o->mount_sources : o->mount_targets,
                        source ? o->n_mount_sources : o->n_mount_targets, access, ret_fd);
        if (worker_restore(w) < 0 && r >= 0)
                r = -EIO, *ret_fd = safe_close(*ret_fd);
        if (ret_owner && r >= 0) {
                snprintf(ret_owner->uid, sizeof(ret_owner->uid), "%u", (unsigned)creds.fsuid);
                snprintf(ret_owner->gid, sizeof(ret_owner->gid), "%u", (unsigned)creds.fsgid);
        }
        task_dirs_close(&dirs);
        task_creds_done(&creds);
        return r;
}
