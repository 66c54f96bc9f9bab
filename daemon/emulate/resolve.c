#include "emulate/resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "notify/target.h"
#include "unotify/macro.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#define X32_SYSCALL_BIT 0x40000000u

int syscall_pick(const struct seccomp_notif *req, const char *const *names, size_t n)
{
        uint32_t token = req->data.arch;

        if (token == SCMP_ARCH_X86_64 && (req->data.nr & X32_SYSCALL_BIT))
                token = SCMP_ARCH_X32;
        for (size_t i = 0; i < n; i++)
                if (seccomp_syscall_resolve_name_arch(token, names[i]) == req->data.nr)
                        return (int)i;
        return -1;
}

int openat2_fd(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve)
{
        struct open_how how = { .flags = flags, .mode = mode, .resolve = resolve };
        long r = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));

        return r < 0 ? negative_errno() : (int)r;
}

static int open_proc_dir(struct worker *w, pid_t tid, const char *what)
{
        char path[64];
        int fd;

        snprintf(path, sizeof(path), "%d/%s", (int)tid, what);
        fd = openat(w->proc_fd, path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT || errno == ESRCH ? -ENOENT : negative_errno();
        return fd;
}

int task_dirs_open(struct emul_call *c, struct worker *w, const char *path, int dirfd_arg,
                   bool scoped, struct task_dirs *ret)
{
        int dirfd = dirfd_arg >= 0 ? (int)c->req.data.args[dirfd_arg] : AT_FDCWD;

        *ret = (struct task_dirs){ .root_fd = -1, .base_fd = AT_FDCWD };
        /* Most tasks share the daemon's root: one statx, no fd. */
        if (worker_root_is_own(w, (pid_t)c->req.pid)) {
                ret->root_fd = w->own_root;
                ret->root_borrowed = true;
        } else
                ret->root_fd = open_proc_dir(w, (pid_t)c->req.pid, "root");
        if (ret->root_fd < 0)
                return ret->root_fd;
        if (path[0] == '/' && !scoped)
                return 0;
        if (dirfd == AT_FDCWD)
                ret->base_fd = open_proc_dir(w, (pid_t)c->req.pid, "cwd");
        else
                ret->base_fd = target_dup_fd(c->listener_fd, &c->req, dirfd);
        if (ret->base_fd < 0) {
                int r = ret->base_fd;

                ret->base_fd = AT_FDCWD;
                return r;
        }
        return 0;
}

void task_dirs_close(struct task_dirs *d)
{
        d->root_fd = d->root_borrowed ? -1 : safe_close(d->root_fd);
        d->root_borrowed = false;
        if (d->base_fd >= 0)
                safe_close(d->base_fd);
        d->base_fd = AT_FDCWD;
}

struct real_view {
        const char *path;
        const struct emul_call *call;
        struct worker *worker;
};

static int read_real_path(void *userdata, unsigned arg_index, int dirfd_arg_index, char *buf,
                          size_t size)
{
        const struct real_view *v = userdata;
        size_t n = strlen(v->path);

        (void)arg_index;
        (void)dirfd_arg_index;
        if (n + 1 > size)
                return -ENAMETOOLONG;
        memcpy(buf, v->path, n + 1);
        return (int)n;
}

/* CapEff through the daemon's /proc: the worker may be in the task's
 * root, where "/proc" is the task's (or nothing). */
static int read_caps(void *userdata, uint64_t *ret)
{
        const struct real_view *v = userdata;
        _cleanup_(fclosep) FILE *f = NULL;
        char path[64], line[256];
        int fd;

        snprintf(path, sizeof(path), "%u/status", v->call->req.pid);
        fd = openat(v->worker->proc_fd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        f = fdopen(fd, "re");
        if (!f)
                return safe_close(fd), -ENOMEM;
        while (fgets(line, sizeof(line), f))
                if (!strncmp(line, "CapEff:", 7)) {
                        *ret = strtoull(line + 7, NULL, 16);
                        return target_id_valid(v->call->listener_fd, v->call->req.id);
                }
        return -EBADMSG;
}

/* Decide again with the real path in place of the one the task passed. */
static int recheck(struct emul_call *c, struct worker *w, const char *real)
{
        struct real_view v = { .path = real, .call = c, .worker = w };
        const struct unotify_target_view view = {
                .read_caps = read_caps,
                .read_path = read_real_path,
                .userdata = &v,
        };
        struct unotify_decision d;

        if (!unotify_policy_needs_target_view(c->policy))
                return 0; /* no rule looks at paths */
        unotify_policy_decide_target(c->policy, &c->req.data, &view, &d);
        if (d.action == UNOTIFY_ACTION_EMULATE && d.rule == c->dec.rule)
                return 0;
        c->why = "the object's real path is decided by another rule";
        return d.action == UNOTIFY_ACTION_ERRNO ? -d.error : -EACCES;
}

/* A procfs object of the daemon itself (reached through a relative
 * "self", or a symlink to it) is not the task's: refused. real: its path
 * in the task's root; the worker is in that root. */
static int refuse_daemon_proc(struct emul_call *c, int fd, const char *real)
{
        char self[32], prefix[64];
        struct statfs s;
        ssize_t n;
        size_t len;

        /* Only a path under /proc/ can be refused below: the rest needs no
         * fstatfs (one system call of every open). */
        if (strncmp(real, "/proc/", 6) != 0)
                return 0;
        if (fstatfs(fd, &s) < 0)
                return negative_errno();
        if (s.f_type != PROC_SUPER_MAGIC)
                return 0;
        /* Our pid in the task's /proc; none: we are not visible there. */
        n = readlink("/proc/self", self, sizeof(self) - 1);
        if (n <= 0)
                return 0;
        self[n] = '\0';
        len = (size_t)snprintf(prefix, sizeof(prefix), "/proc/%s", self);
        if (strncmp(real, prefix, len) != 0 || (real[len] != '/' && real[len] != '\0'))
                return 0;
        c->why = "the object is the daemon's own in procfs";
        return -EACCES;
}

int check_object(struct emul_call *c, struct worker *w, int fd)
{
        char real[PATH_MAX];
        int r = worker_fd_path(w, fd, real, sizeof(real));

        if (r < 0)
                return r;
        r = refuse_daemon_proc(c, fd, real);
        return r < 0 ? r : recheck(c, w, real);
}

int check_new(struct emul_call *c, struct worker *w, int dir_fd, const char *name)
{
        char real[PATH_MAX];
        int r = worker_fd_path(w, dir_fd, real, sizeof(real));
        size_t n;

        if (r < 0)
                return r;
        r = refuse_daemon_proc(c, dir_fd, real);
        if (r < 0)
                return r;
        n = strlen(real);
        if (n + 1 + strlen(name) + 1 > sizeof(real))
                return -ENAMETOOLONG;
        snprintf(real + n, sizeof(real) - n, "%s%s", n > 1 ? "/" : "", name);
        return recheck(c, w, real);
}

int open_parent(int base_fd, const char *path, uint64_t resolve, const char **ret_name)
{
        char dir[PATH_MAX];
        const char *slash = strrchr(path, '/');
        const char *name = slash ? slash + 1 : path;
        size_t n;

        if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
                return -EISDIR;
        if (!slash)
                strcpy(dir, ".");
        else {
                n = (size_t)(slash - path);
                if (n == 0)
                        n = 1; /* "/name": the parent is "/" */
                if (n >= sizeof(dir))
                        return -ENAMETOOLONG;
                memcpy(dir, path, n);
                dir[n] = '\0';
        }
        *ret_name = name;
        return openat2_fd(base_fd, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
                          resolve | RESOLVE_NO_MAGICLINKS);
}
