/* The "mknod" handler: mknod(2) and mknodat(2) of the device nodes a
 * container may have (LXD's list: /dev/null, zero, full, random, urandom,
 * tty, console, and 0:0 overlayfs whiteouts), created in the task's root (and so its
 * mount namespace) at its path, as its fsuid/fsgid with its umask, with
 * CAP_MKNOD added for that one call. Regular files, FIFOs and sockets are
 * created with the task's own rights only. Any other device gets the
 * rule's "errno" (EPERM by default). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "emulate/preempt_journal.h"
#include "emulate/resolve.h"
#include "notify/target.h"
#include "unotify/macro.h"

static const char *const served[] = { "mknod", "mknodat" };

static const struct {
        unsigned major, minor;
} allowed[] = {
        { 1, 3 }, /* null */
        { 1, 5 }, /* zero */
        { 1, 7 }, /* full */
        { 1, 8 }, /* random */
        { 1, 9 }, /* urandom */
        { 5, 0 }, /* tty */
        { 5, 1 }, /* console */
        { 0, 0 }, /* whiteout */
};

struct mknod_call {
        unsigned path_arg;
        int dirfd_arg;
        mode_t mode;
        dev_t dev;
        char path[PATH_MAX];
};

/* The extra capability the node needs, 0 for none, or -errno to refuse. */
static int64_t needed_caps(const struct emul_call *c, const struct mknod_call *m)
{
        switch (m->mode & S_IFMT) {
        case 0:
        case S_IFREG:
        case S_IFIFO:
        case S_IFSOCK:
                return 0;
        case S_IFCHR:
                for (size_t i = 0; i < ELEMENTSOF(allowed); i++)
                        if (major(m->dev) == allowed[i].major && minor(m->dev) == allowed[i].minor)
                                return (int64_t)1 << CAP_MKNOD;
                return -c->opts->refuse_errno;
        case S_IFBLK:
                return -c->opts->refuse_errno;
        case S_IFDIR:
                return -EPERM; /* may_mknod() of fs/namei.c */
        default:
                return -EINVAL;
        }
}

static int make_node(struct emul_call *c, struct worker *w, const struct mknod_call *m,
                     uint64_t caps)
{
        struct task_creds creds;
        struct task_dirs dirs;
        const char *name;
        int r, dir = -1;

        r = task_creds_read(w, (pid_t)c->req.pid, &creds);
        if (r < 0)
                return r;
        r = task_dirs_open(c, w, m->path, m->dirfd_arg, false, &dirs);
        if (r >= 0)
                r = target_id_valid(c->listener_fd, c->req.id);
        if (r >= 0)
                r = worker_enter_root(w, dirs.root_fd);
        if (r >= 0)
                r = worker_assume(w, &creds, caps);
        if (r >= 0)
                r = dir = open_parent(dirs.base_fd, m->path, 0, &name);
        if (r >= 0)
                r = check_new(c, w, dir, name);
        if (r >= 0)
                r = target_id_valid(c->listener_fd, c->req.id); /* right before the side effect */
        if (r >= 0 && mknodat(dir, name, m->mode, m->dev) < 0)
                r = negative_errno();
        c->side_effect = r >= 0;
        safe_close(dir);
        worker_restore(w);
        task_dirs_close(&dirs);
        task_creds_done(&creds);
        return r;
}

static void mknod_run(struct emul_call *c, struct worker *w)
{
        const __u64 *a = c->req.data.args;
        struct mknod_call m;
        int64_t caps;
        ssize_t n;
        int r;

        switch (syscall_pick(&c->req, served, ELEMENTSOF(served))) {
        case 0:
                m = (struct mknod_call){ .path_arg = 0,
                                         .dirfd_arg = -1,
                                         .mode = (mode_t)a[1],
                                         .dev = (dev_t)(unsigned)a[2] };
                break;
        case 1:
                m = (struct mknod_call){ .path_arg = 1,
                                         .dirfd_arg = 0,
                                         .mode = (mode_t)a[2],
                                         .dev = (dev_t)(unsigned)a[3] };
                break;
        default:
                c->error = -ENOSYS;
                return;
        }
        /* The syscall's dev is the kernel's 32-bit encoding (new_decode_dev). */
        m.dev = makedev((m.dev & 0xfff00) >> 8, (m.dev & 0xff) | ((m.dev >> 12) & 0xfff00));
        n = target_read_string((pid_t)c->req.pid, a[m.path_arg], m.path, sizeof(m.path));
        if (n >= 0)
                n = target_id_valid(c->listener_fd, c->req.id);
        if (n < 0) {
                c->error = (int)n;
                return;
        }
        c->key_digest = journal_digest(&c->req, m.path, strlen(m.path));
        if (c->journal && journal_begin(c->journal, c))
                return;
        caps = needed_caps(c, &m);
        if (caps < 0) {
                c->why = "not an allowed device";
                c->error = (int)caps;
                if (c->journal)
                        journal_end(c->journal, c);
                return;
        }
        r = make_node(c, w, &m, (uint64_t)caps);
        if (r < 0)
                c->error = r;
        if (c->journal)
                journal_end(c->journal, c);
}

const struct handler handler_mknod = {
        .id = UNOTIFY_HANDLER_MKNOD,
        .name = "mknod",
        .syscalls = served,
        .n_syscalls = ELEMENTSOF(served),
        .run = mknod_run,
};
