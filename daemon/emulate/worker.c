#include "emulate/worker.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "unotify/macro.h"

#define GROUPS_MAX 65536

static int capget_self(uint32_t ret[6])
{
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2];

        if (syscall(SYS_capget, &h, d) < 0)
                return negative_errno();
        for (int i = 0; i < 2; i++) {
                ret[3 * i] = d[i].effective;
                ret[3 * i + 1] = d[i].permitted;
                ret[3 * i + 2] = d[i].inheritable;
        }
        return 0;
}

/* capset(2) on this thread only (the kernel's credentials are per thread). */
static int capset_self(const uint32_t caps[6])
{
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2];

        for (int i = 0; i < 2; i++)
                d[i] = (struct __user_cap_data_struct){ .effective = caps[3 * i],
                                                        .permitted = caps[3 * i + 1],
                                                        .inheritable = caps[3 * i + 2] };
        return syscall(SYS_capset, &h, d) < 0 ? negative_errno() : 0;
}

#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x4000U /* Linux 6.8: never reused */
#endif

/* The mount id of own_root: the unique one where the kernel has it. */
static void own_root_mount(struct worker *w)
{
        struct statx stx;

        if (statx(w->own_root, "", AT_EMPTY_PATH, STATX_INO | STATX_MNT_ID_UNIQUE, &stx) < 0)
                return;
        w->root_mnt_mask = stx.stx_mask & (STATX_MNT_ID_UNIQUE | STATX_MNT_ID);
        if (w->root_mnt_mask & STATX_MNT_ID_UNIQUE)
                w->root_mnt_mask = STATX_MNT_ID_UNIQUE;
        w->root_mnt_id = w->root_mnt_mask ? stx.stx_mnt_id : 0;
}

bool worker_root_is_own(struct worker *w, pid_t tid)
{
        struct statx stx;
        char path[64];

        if (!w->root_mnt_mask)
                return false;
        snprintf(path, sizeof(path), "%d/root", (int)tid);
        /* Follows the link: the task's root directory, on its mount. */
        if (statx(w->proc_fd, path, 0, STATX_INO | w->root_mnt_mask, &stx) < 0)
                return false;
        return (stx.stx_mask & w->root_mnt_mask) && stx.stx_mnt_id == w->root_mnt_id &&
               stx.stx_ino == w->root_ino &&
               makedev(stx.stx_dev_major, stx.stx_dev_minor) == w->root_dev;
}

int worker_init(struct worker *w)
{
        struct stat st;
        int r;

        w->own_root = w->proc_fd = w->status_fd = -1;
        w->status_tid = 0;
        /* A private fs_struct: chroot/fchdir/umask here stay here. */
        if (unshare(CLONE_FS) < 0)
                return negative_errno();
        w->own_root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        w->proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        /* The status slot's fd number, held from the start (status_slot). */
        w->status_fd = w->proc_fd < 0 ? -1 : fcntl(w->proc_fd, F_DUPFD_CLOEXEC, 0);
        if (w->own_root < 0 || w->proc_fd < 0 || w->status_fd < 0)
                return negative_errno();
        /* cwd "/" from the start: relative walks never start from the
         * daemon's cwd (only a task's root or dirfd). */
        if (fstat(w->own_root, &st) < 0 || fchdir(w->own_root) < 0)
                return negative_errno();
        w->root_dev = st.st_dev;
        w->root_ino = st.st_ino;
        own_root_mount(w);
        if (stat("/proc/self/ns/user", &st) < 0)
                return negative_errno();
        w->userns_dev = st.st_dev;
        w->userns_ino = st.st_ino;
        r = capget_self(w->caps);
        if (r < 0)
                return r;
        w->n_groups = getgroups(0, NULL);
        if (w->n_groups < 0)
                return negative_errno();
        w->groups = calloc((size_t)w->n_groups + 1, sizeof(gid_t));
        if (!w->groups)
                return -ENOMEM;
        if (getgroups(w->n_groups, w->groups) < 0)
                return negative_errno();
        w->fsuid = (uid_t)syscall(SYS_setfsuid, -1);
        w->fsgid = (gid_t)syscall(SYS_setfsgid, -1);
        w->umask = umask(022);
        umask(w->umask);
        w->cur_umask = w->umask;
        return 0;
}

void worker_done(struct worker *w)
{
        w->own_root = safe_close(w->own_root);
        w->proc_fd = safe_close(w->proc_fd);
        w->status_fd = safe_close(w->status_fd);
        free(w->groups);
        w->groups = NULL;
}

static int parse_ids(const char *s, unsigned field, unsigned long *ret)
{
        char *end;

        for (unsigned i = 0; i <= field; i++) {
                unsigned long v = strtoul(s, &end, 10);

                if (end == s)
                        return -EBADMSG;
                *ret = v;
                s = end;
        }
        return 0;
}

static int parse_groups(const char *s, struct task_creds *ret)
{
        size_t n = 1;
        char *end;

        for (const char *c = s; *c; c++)
                n += *c == ' ' || *c == '\t';
        if (n > GROUPS_MAX)
                return -E2BIG;
        ret->groups = calloc(n, sizeof(gid_t));
        if (!ret->groups)
                return -ENOMEM;
        for (;;) {
                unsigned long g = strtoul(s, &end, 10);

                if (end == s)
                        return 0;
                if (ret->n_groups == n)
                        return -E2BIG;
                ret->groups[ret->n_groups++] = (gid_t)g;
                s = end;
        }
}

/* Whether tid is in the daemon's user namespace: its capabilities mean
 * the same only then. Asked each call: a task may unshare one. */
static bool same_userns(const struct worker *w, pid_t tid)
{
        char path[64];
        struct stat a;

        snprintf(path, sizeof(path), "%d/ns/user", (int)tid);
        return fstatat(w->proc_fd, path, &a, 0) == 0 && a.st_ino == w->userns_ino &&
               a.st_dev == w->userns_dev;
}

/* The last of the ids of an NStgid/NSpid line: the innermost namespace's. */
static pid_t last_id(const char *s)
{
        const char *end = s + strlen(s);

        while (end > s && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
                end--;
        while (end > s && end[-1] >= '0' && end[-1] <= '9')
                end--;
        return (pid_t)strtol(end, NULL, 10);
}

static int parse_status_line(const char *line, struct task_creds *ret, unsigned *seen)
{
        unsigned long v = 0;
        int r = 0;

        if (!strncmp(line, "Tgid:", 5)) {
                ret->tgid = (pid_t)strtol(line + 5, NULL, 10);
                *seen |= 1;
        } else if (!strncmp(line, "NStgid:", 7)) {
                ret->ns_tgid = last_id(line + 7);
        } else if (!strncmp(line, "NSpid:", 6)) {
                ret->ns_tid = last_id(line + 6);
        } else if (!strncmp(line, "Uid:", 4)) {
                r = parse_ids(line + 4, 3, &v); /* real, effective, saved, fs */
                ret->fsuid = (uid_t)v;
                *seen |= 2;
        } else if (!strncmp(line, "Gid:", 4)) {
                r = parse_ids(line + 4, 3, &v);
                ret->fsgid = (gid_t)v;
                *seen |= 4;
        } else if (!strncmp(line, "Groups:", 7)) {
                r = parse_groups(line + 7, ret);
                *seen |= 8;
        } else if (!strncmp(line, "CapEff:", 7)) {
                ret->caps = strtoull(line + 7, NULL, 16);
                *seen |= 16;
        } else if (!strncmp(line, "Umask:", 6)) {
                ret->umask = (mode_t)strtoul(line + 6, NULL, 8);
                *seen |= 32;
        }
        return r;
}

static int parse_status(FILE *f, struct task_creds *ret)
{
        _cleanup_(freep) char *line = NULL;
        size_t cap = 0;
        unsigned seen = 0;
        int r = 0;

        while (r >= 0 && getline(&line, &cap, f) > 0)
                r = parse_status_line(line, ret, &seen);
        return r >= 0 && seen != 63 ? -EBADMSG : r;
}

/* The fd of tid's status in the worker's status slot. Kept for the next
 * call of the same thread: it names that task for good (a pid reused
 * since fails its read with ESRCH), and pread() at 0 makes procfs write
 * the file anew, so nothing read through it is old. The slot is an fd
 * number reserved at init, replaced with dup3(): the daemon's fd count
 * does not move. Returns 0 or -errno. */
static int status_slot(struct worker *w, pid_t tid)
{
        char path[64];
        int fd;

        w->status_tid = 0;
        snprintf(path, sizeof(path), "%d/status", (int)tid);
        fd = openat(w->proc_fd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT || errno == ESRCH ? -ENOENT : negative_errno();
        if (dup3(fd, w->status_fd, O_CLOEXEC) < 0)
                return safe_close(fd), negative_errno();
        safe_close(fd);
        w->status_tid = tid;
        return 0;
}

/* One pread into a buffer (stdio would fstat and read three times); a
 * file that fills it (thousands of groups) is read again by stdio. */
static int read_status(struct worker *w, pid_t tid, struct task_creds *ret)
{
        char buf[4096];
        _cleanup_(fclosep) FILE *f = NULL;
        ssize_t n = -1;
        int r;

        if (w->status_tid == tid)
                n = pread(w->status_fd, buf, sizeof(buf), 0);
        if (n < 0) { /* not this thread's, or its thread is gone */
                r = status_slot(w, tid);
                if (r < 0)
                        return r;
                n = pread(w->status_fd, buf, sizeof(buf), 0);
        }
        if (n < 0) {
                w->status_tid = 0;
                return errno == ESRCH ? -ENOENT : negative_errno();
        }
        if ((size_t)n < sizeof(buf))
                f = fmemopen(buf, (size_t)n, "r");
        else
                f = fdopen(dup(w->status_fd), "re");
        if (!f)
                return negative_errno();
        if ((size_t)n == sizeof(buf))
                rewind(f);
        return parse_status(f, ret);
}

int task_creds_read(struct worker *w, pid_t tid, struct task_creds *ret)
{
        int r;

        *ret = (struct task_creds){};
        r = read_status(w, tid, ret);
        /* Without capabilities there is nothing to drop: no stat. */
        if (r >= 0 && ret->caps && !same_userns(w, tid))
                ret->caps = 0; /* its caps are over its namespace, not ours */
        if (r < 0)
                task_creds_done(ret);
        return r;
}

void task_creds_done(struct task_creds *c)
{
        free(c->groups);
        c->groups = NULL;
        c->n_groups = 0;
}

int worker_enter_root(struct worker *w, int root_fd)
{
        /* Not skipped for the same directory on another mount: a task
         * that unshared its mount namespace has the daemon's root
         * directory, and its own mounts below it. */
        if (root_fd == w->own_root)
                return 0;
        /* CAP_SYS_CHROOT; this thread's fs_struct only. */
        if (fchdir(root_fd) < 0 || chroot(".") < 0)
                return negative_errno();
        w->chrooted = true;
        return 0;
}

static int set_fsid(long nr, unsigned id)
{
        syscall(nr, id);
        /* setfsuid(2) reports no error: read it back. */
        return (unsigned)syscall(nr, -1) == id ? 0 : -EPERM;
}

static bool same_ids(const struct worker *w, const struct task_creds *c)
{
        return c->fsuid == w->fsuid && c->fsgid == w->fsgid && c->n_groups == (size_t)w->n_groups &&
               (c->n_groups == 0 || memcmp(c->groups, w->groups, c->n_groups * sizeof(gid_t)) == 0);
}

int worker_assume(struct worker *w, const struct task_creds *c, uint64_t extra_caps)
{
        uint64_t permitted = (uint64_t)w->caps[4] << 32 | w->caps[1];
        uint64_t own_eff = (uint64_t)w->caps[3] << 32 | w->caps[0];
        uint64_t eff = (c->caps | extra_caps) & permitted;
        uint32_t caps[6];

        /* The umask needs no privilege. */
        if (c->umask != w->cur_umask) {
                umask(c->umask);
                w->cur_umask = c->umask;
        }
        /* A task of the daemon's own user, groups and capabilities (a
         * rootless daemon serving its user's tasks) needs nothing else, and
         * an unprivileged daemon could not call setgroups(2) at all. */
        if (same_ids(w, c) && eff == own_eff)
                return 0;
        /* Refused (no CAP_SETGID): nothing changed, nothing to restore. */
        if (syscall(SYS_setgroups, c->n_groups, c->groups) < 0)
                return -EPERM;
        w->assumed = true;
        if (set_fsid(SYS_setfsgid, c->fsgid) < 0 || set_fsid(SYS_setfsuid, c->fsuid) < 0)
                return -EPERM;
        /* After setfsuid: moving fsuid off 0 clears the fs capabilities,
         * this sets exactly the ones wanted. */
        memcpy(caps, w->caps, sizeof(caps));
        caps[0] = (uint32_t)eff;
        caps[3] = (uint32_t)(eff >> 32);
        return capset_self(caps) < 0 ? -EPERM : 0;
}

int worker_restore(struct worker *w)
{
        int r = 0;

        if (w->cur_umask != w->umask) {
                umask(w->umask);
                w->cur_umask = w->umask;
        }
        if (w->assumed) {
                /* Capabilities first: setgroups needs CAP_SETGID back. */
                if (capset_self(w->caps) < 0 || set_fsid(SYS_setfsuid, w->fsuid) < 0 ||
                    set_fsid(SYS_setfsgid, w->fsgid) < 0 ||
                    syscall(SYS_setgroups, (size_t)w->n_groups, w->groups) < 0 ||
                    capset_self(w->caps) < 0)
                        r = -EIO;
                w->assumed = false;
        }
        if (w->chrooted) {
                /* own_root was opened before: fchdir to it leaves the
                 * chroot, and chroot(".") makes it the root again. */
                if (fchdir(w->own_root) == 0 && chroot(".") == 0)
                        w->chrooted = false;
                else
                        r = -EIO;
        }
        /* Only entering a root moves this thread's cwd (to that root), and
         * leaving one puts it back on own_root: nothing else to undo. */
        if (r < 0)
                w->broken = true;
        return r;
}

int worker_fd_path(struct worker *w, int fd, char *buf, size_t size)
{
        char link[64];
        ssize_t n;

        snprintf(link, sizeof(link), "thread-self/fd/%d", fd);
        n = readlinkat(w->proc_fd, link, buf, size - 1);
        if (n < 0)
                return negative_errno();
        if ((size_t)n >= size - 1)
                return -ENAMETOOLONG;
        buf[n] = '\0';
        return (int)n;
}

int worker_reopen(struct worker *w, int fd, int flags)
{
        char link[64];
        int r;

        snprintf(link, sizeof(link), "thread-self/fd/%d", fd);
        r = openat(w->proc_fd, link, flags | O_CLOEXEC);
        return r < 0 ? negative_errno() : r;
}
