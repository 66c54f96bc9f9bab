#include "handlers/magic_link.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "emulate/resolve.h"
#include "notify/target.h"
#include "unotify/macro.h"

/* A decimal component as procfs takes it (no sign, no leading zero):
 * its value, or -1. *s moves past it. */
static long component_number(const char **s)
{
        const char *p = *s;
        long v = 0;

        if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
                return -1;
        for (; *p >= '0' && *p <= '9'; p++) {
                v = v * 10 + (*p - '0');
                if (v > INT32_MAX)
                        return -1;
        }
        if (*p != '/' && *p != '\0')
                return -1;
        *s = p;
        return v;
}

/* s names the component exactly (then "/" or the end): moves past it. */
static bool component(const char **s, const char *name)
{
        size_t n = strlen(name);

        if (strncmp(*s, name, n) != 0 || ((*s)[n] != '/' && (*s)[n] != '\0'))
                return false;
        *s += n;
        return true;
}

static bool parse_kind(const char **s, struct magic_link *ret)
{
        long fd;

        if (component(s, "exe"))
                ret->kind = MAGIC_EXE;
        else if (component(s, "cwd"))
                ret->kind = MAGIC_CWD;
        else if (component(s, "root"))
                ret->kind = MAGIC_ROOT;
        else if (component(s, "fd") && **s == '/') {
                ++*s;
                fd = component_number(s);
                if (fd < 0)
                        return false;
                ret->kind = MAGIC_FD;
                ret->fd = (int)fd;
        } else
                return false;
        return true;
}

bool magic_link_parse(const char *path, const struct task_creds *creds, struct magic_link *ret)
{
        const char *s = path;
        long pid, tid = -1;

        *ret = (struct magic_link){ .fd = -1 };
        if (!component(&s, "/proc") || *s++ != '/')
                return false;
        pid = component_number(&s);
        if (pid < 0 || pid != creds->ns_tgid || *s++ != '/')
                return false;
        if (component(&s, "task")) {
                if (*s++ != '/')
                        return false;
                tid = component_number(&s);
                /* Another thread's: not ours to vouch for. */
                if (tid < 0 || tid != creds->ns_tid || *s++ != '/')
                        return false;
                ret->thread = true;
        }
        if (!parse_kind(&s, ret))
                return false;
        ret->rest = s;
        if (ret->thread)
                snprintf(ret->dir, sizeof(ret->dir), "proc/%ld/task/%ld", pid, tid);
        else
                snprintf(ret->dir, sizeof(ret->dir), "proc/%ld", pid);
        return true;
}

/* The task's root shows a procfs directory for it at m->dir: the path is
 * the task's magic link, not an ordinary file tree that looks alike. */
static bool proc_shows_task(int root_fd, const struct magic_link *m)
{
        struct statfs s;
        int fd = openat2_fd(root_fd, m->dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
                            RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
        bool r;

        if (fd < 0)
                return false;
        r = fstatfs(fd, &s) == 0 && s.f_type == PROC_SUPER_MAGIC;
        safe_close(fd);
        return r;
}

/* The task's fd N, taken from it (pidfd_getfd: the same open file). */
static int task_fd(const struct task_creds *creds, int n)
{
        int pidfd = (int)syscall(SYS_pidfd_open, creds->tgid, 0);
        int r;

        if (pidfd < 0)
                return errno == ESRCH ? -ENOENT : negative_errno();
        r = (int)syscall(SYS_pidfd_getfd, pidfd, n, 0);
        if (r < 0)
                r = errno == EBADF ? -ENOENT : errno == ESRCH ? -ENOENT : negative_errno();
        safe_close(pidfd);
        return r;
}

/* exe, cwd or root through the daemon's own /proc (the daemon may follow
 * the task's links; it hands over only what the task could reach). */
static int task_link(struct worker *w, pid_t pid, const char *what)
{
        char path[64];
        int fd;

        snprintf(path, sizeof(path), "%d/%s", (int)pid, what);
        fd = openat(w->proc_fd, path, O_PATH | O_CLOEXEC);
        if (fd < 0)
                return errno == ESRCH ? -ENOENT : negative_errno();
        return fd;
}

int magic_link_open(struct emul_call *c, struct worker *w, int root_fd,
                    const struct task_creds *creds, const struct magic_link *m, int *ret_fd)
{
        static const char *const names[] = {
                [MAGIC_EXE] = "exe", [MAGIC_CWD] = "cwd", [MAGIC_ROOT] = "root"
        };
        pid_t pid = m->thread ? (pid_t)c->req.pid : creds->tgid;
        int fd;

        *ret_fd = -1;
        if (!proc_shows_task(root_fd, m))
                return 0;
        fd = m->kind == MAGIC_FD ? task_fd(creds, m->fd) : task_link(w, pid, names[m->kind]);
        if (fd < 0)
                return fd;
        *ret_fd = fd;
        return 1;
}
