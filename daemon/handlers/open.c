/* The "open" handler: open(2), openat(2), openat2(2), creat(2) done by
 * the supervisor in the task's root with the task's credentials, the fd
 * handed over with ADDFD + SEND.
 *
 * The path is resolved in two steps so that no check and no side effect
 * happens on a different object than the one checked:
 *   1. resolve it to an O_PATH fd (no side effect: no creation, no
 *      truncation, no FIFO wait) and decide the rule again on that
 *      object's real path (resolve.h);
 *   2. open that same inode with the task's flags through
 *      /proc/thread-self/fd (no second path walk).
 * A file to create is created in its parent directory, opened (O_PATH) and
 * checked first, with RESOLVE_NO_SYMLINKS for the last component (a
 * dangling symlink there is followed by hand, step by step). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "emulate/preempt_journal.h"
#include "handlers/magic_link.h"
#include "handlers/open_how.h"
#include "emulate/resolve.h"
#include "notify/target.h"
#include "unotify/macro.h"

static const char *const served[] = { "open", "openat", "openat2", "creat" };

enum { SYS_OPEN, SYS_OPENAT, SYS_OPENAT2, SYS_CREAT };

struct open_call {
        unsigned path_arg;
        int dirfd_arg; /* -1: relative to the cwd */
        struct open_how how;
        char path[PATH_MAX];
};

/* openat2's struct, read only when its size is one openat2 accepts. */
static int read_how(const struct emul_call *c, struct open_how *ret)
{
        uint64_t addr = c->req.data.args[2], size = c->req.data.args[3];
        unsigned char buf[OPEN_HOW_SIZE_MAX];
        int r = open_how_size_check(size);

        if (r < 0)
                return r;
        r = target_read((pid_t)c->req.pid, addr, buf, (size_t)size);
        if (r < 0)
                return r;
        return open_how_decode(buf, size, ret);
}

static int parse_call(struct emul_call *c, struct open_call *o)
{
        const __u64 *a = c->req.data.args;

        switch (syscall_pick(&c->req, served, ELEMENTSOF(served))) {
        case SYS_OPEN:
                *o = (struct open_call){ .path_arg = 0,
                                         .dirfd_arg = -1,
                                         .how = open_how_legacy(a[1], a[2]) };
                return 0;
        case SYS_OPENAT:
                *o = (struct open_call){ .path_arg = 1,
                                         .dirfd_arg = 0,
                                         .how = open_how_legacy(a[2], a[3]) };
                return 0;
        case SYS_CREAT:
                *o = (struct open_call){ .path_arg = 0,
                                         .dirfd_arg = -1,
                                         .how = open_how_legacy(O_CREAT | O_WRONLY | O_TRUNC,
                                                                a[1]) };
                return 0;
        case SYS_OPENAT2:
                *o = (struct open_call){ .path_arg = 1, .dirfd_arg = 0 };
                return read_how(c, &o->how);
        default:
                return -ENOSYS; /* the loader lets "open" serve only these */
        }
}

/* The admin's file instead of the task's: opened by the daemon, read-only. */
static int open_rewritten(const struct open_call *o, const char *to)
{
        int fd;

        if ((o->how.flags & O_ACCMODE) != O_RDONLY ||
            (o->how.flags & (O_CREAT | O_TRUNC | K_O_TMPFILE)))
                return -EACCES;
        fd = open(to,
                  O_RDONLY | O_CLOEXEC | O_NOCTTY | (int)(o->how.flags & (O_NONBLOCK | O_NOATIME)));
        return fd < 0 ? negative_errno() : fd;
}

static bool scoped(const struct open_call *o)
{
        return o->how.resolve & (RESOLVE_IN_ROOT | RESOLVE_BENEATH);
}

static const char *rewrite_of(struct emul_call *c, const struct open_call *o)
{
        const struct target_ctx t = { .listener_fd = c->listener_fd, .req = &c->req };
        char abs[PATH_MAX];

        /* Rewrites name paths of the task's root: not one below a dirfd. */
        if (!c->opts || c->opts->n_rewrites == 0 || scoped(o))
                return NULL;
        if (target_absolute_path(&t, o->dirfd_arg, o->path, abs, sizeof(abs)) < 0)
                return NULL;
        unotify_path_normalize(abs);
        for (size_t i = 0; i < c->opts->n_rewrites; i++)
                if (strcmp(c->opts->rewrites[i].from, abs) == 0)
                        return c->opts->rewrites[i].to;
        return NULL;
}

/* /dev/null, zero, full, random, urandom: opening them does nothing. */
static bool inert_device(const struct stat *st)
{
        unsigned minor_ = minor(st->st_rdev);

        return S_ISCHR(st->st_mode) && major(st->st_rdev) == 1 &&
               (minor_ == 3 || minor_ == 5 || minor_ == 7 || minor_ == 8 || minor_ == 9);
}

static bool side_effect_free(const struct stat *st, uint64_t flags)
{
        return (S_ISREG(st->st_mode) || S_ISDIR(st->st_mode) || inert_device(st)) &&
               (flags & O_ACCMODE) == O_RDONLY && !(flags & (O_TRUNC | O_CREAT | K_O_TMPFILE));
}

/* The checked object opened again with the task's flags. */
static int open_found(struct emul_call *c, struct worker *w, int obj, const struct open_call *o)
{
        uint64_t f = o->how.flags;
        struct stat st;
        int r;

        if ((f & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
                return -EEXIST;
        if (fstat(obj, &st) < 0)
                return negative_errno();
        if (S_ISLNK(st.st_mode) && !(f & O_PATH))
                return -ELOOP; /* O_NOFOLLOW on a symlink */
        r = check_object(c, w, obj);
        if (r < 0)
                return r;
        if (f & O_PATH) {
                r = fcntl(obj, F_DUPFD_CLOEXEC, 0);
                return r < 0 ? negative_errno() : r;
        }
        /* Right before what may have a side effect (a FIFO's or device's
         * open, O_TRUNC, a lease broken by a write open): still the task
         * that asked? A read-only open of a regular file, a directory or
         * /dev/null has none; a stale answer then fails at ADDFD and the
         * fd is closed. */
        if (!side_effect_free(&st, f)) {
                r = target_id_valid(c->listener_fd, c->req.id);
                if (r < 0)
                        return r;
        }
        if (f & K_O_TMPFILE) {
                r = openat(obj, ".", (int)(f | O_CLOEXEC | O_NOCTTY), (mode_t)o->how.mode);
                return r < 0 ? negative_errno() : r;
        }
        r = worker_reopen(w, obj, (int)(f & ~(uint64_t)(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_NOCTTY);
        c->side_effect = r >= 0 && (f & O_TRUNC);
        return r;
}

static int resolve_open(struct emul_call *c, struct worker *w, int base_fd, const char *path,
                        const struct open_call *o, unsigned depth);

/* The last component is a symlink to a name that does not exist: the
 * kernel creates the name it points to (not with O_EXCL or O_NOFOLLOW).
 * So do we, resolving that name from the link's directory. */
static int create_through_link(struct emul_call *c, struct worker *w, int dir, const char *name,
                               const struct open_call *o, unsigned depth)
{
        char target[PATH_MAX];
        ssize_t n;

        if ((o->how.flags & (O_EXCL | O_NOFOLLOW)) || depth >= 40)
                return -ELOOP;
        n = readlinkat(dir, name, target, sizeof(target) - 1);
        if (n < 0)
                return -ELOOP;
        target[n] = '\0';
        return resolve_open(c, w, target[0] == '/' ? AT_FDCWD : dir, target, o, depth + 1);
}

/* O_CREAT and nothing there: create it in its (checked) parent. */
static int create(struct emul_call *c, struct worker *w, int base_fd, const char *path,
                  const struct open_call *o, unsigned depth)
{
        const char *name;
        _cleanup_(closep) int dir = open_parent(base_fd, path, o->how.resolve, &name);
        int r;

        if (dir < 0)
                return dir;
        r = check_new(c, w, dir, name);
        if (r < 0)
                return r;
        /* Right before the side effect: still the task that asked? */
        r = target_id_valid(c->listener_fd, c->req.id);
        if (r < 0)
                return r;
        /* The last component may not be a symlink here: it would be
         * followed after the check. */
        r = openat2_fd(dir, name, (o->how.flags & ~(uint64_t)O_NOFOLLOW) | O_CLOEXEC | O_NOCTTY,
                       o->how.mode, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
        if (r == -ELOOP)
                return create_through_link(c, w, dir, name, o, depth);
        c->side_effect = r >= 0;
        return r;
}

/* Find path from base_fd without side effects, then open or create. */
static int resolve_open(struct emul_call *c, struct worker *w, int base_fd, const char *path,
                        const struct open_call *o, unsigned depth)
{
        uint64_t find = o->how.flags & (O_NOFOLLOW | O_DIRECTORY);
        int obj, r;

        obj = openat2_fd(base_fd, path, O_PATH | O_CLOEXEC | find, 0,
                         o->how.resolve | RESOLVE_NO_MAGICLINKS);
        if (obj == -ENOENT && (o->how.flags & O_CREAT))
                return create(c, w, base_fd, path, o, depth);
        if (obj < 0)
                return obj;
        r = open_found(c, w, obj, o);
        safe_close(obj);
        return r;
}

/* From the object a magic link of the task named (magic_link.h): the
 * object itself, or the rest of the path from it. The worker is in the
 * task's root, so an absolute symlink in the rest stays in it. */
static int open_from_link(struct emul_call *c, struct worker *w, int obj, const char *rest,
                          const struct open_call *o)
{
        bool dir = *rest == '/';
        struct stat st;

        while (*rest == '/')
                rest++;
        if (*rest)
                return resolve_open(c, w, obj, rest, o, 0);
        if ((dir || (o->how.flags & O_DIRECTORY)) && (fstat(obj, &st) < 0 || !S_ISDIR(st.st_mode)))
                return -ENOTDIR;
        return open_found(c, w, obj, o);
}

/* Whether the kernel would follow a magic link of this call: none asked
 * for by openat2's RESOLVE_* (every one of them refuses or scopes magic
 * links), and the link not the last component of an O_NOFOLLOW open. */
static bool follows_magic(const struct open_call *o, const struct magic_link *m)
{
        return o->how.resolve == 0 && (*m->rest || !(o->how.flags & O_NOFOLLOW));
}

/* "/proc/self" and "/proc/thread-self" name whoever resolves them: the
 * task's, in its pid namespace (what its /proc shows), not the daemon's. */
static void name_task_self(struct open_call *o, const struct task_creds *creds)
{
        static const char *const selves[] = { "/proc/self", "/proc/thread-self" };
        char head[64], tail[PATH_MAX];

        for (size_t i = 0; i < ELEMENTSOF(selves); i++) {
                size_t n = strlen(selves[i]);

                if (strncmp(o->path, selves[i], n) != 0 || (o->path[n] != '/' && o->path[n]))
                        continue;
                if (i == 0)
                        snprintf(head, sizeof(head), "/proc/%d", (int)creds->ns_tgid);
                else
                        snprintf(head, sizeof(head), "/proc/%d/task/%d", (int)creds->ns_tgid,
                                 (int)creds->ns_tid);
                snprintf(tail, sizeof(tail), "%s", o->path + n);
                if (strlen(head) + strlen(tail) < sizeof(o->path)) {
                        strcpy(o->path, head);
                        strcat(o->path, tail);
                }
                return;
        }
}

static int open_as_task(struct emul_call *c, struct worker *w, struct open_call *o)
{
        struct task_dirs dirs;
        struct task_creds creds;
        struct magic_link m;
        int link_fd = -1, r;

        r = task_creds_read(w, (pid_t)c->req.pid, &creds);
        if (r < 0)
                return r;
        name_task_self(o, &creds);
        r = task_dirs_open(c, w, o->path, o->dirfd_arg, scoped(o), &dirs);
        /* With the daemon's rights: the task may follow its own links
         * whatever its credentials. */
        if (r >= 0 && magic_link_parse(o->path, &creds, &m) && follows_magic(o, &m))
                r = magic_link_open(c, w, dirs.root_fd, &creds, &m, &link_fd);
        if (r >= 0)
                r = target_id_valid(c->listener_fd, c->req.id); /* the path and /proc reads */
        if (r >= 0)
                r = worker_enter_root(w, dirs.root_fd);
        if (r >= 0)
                r = worker_assume(w, &creds, 0);
        if (r >= 0)
                r = link_fd >= 0 ? open_from_link(c, w, link_fd, m.rest, o)
                                 : resolve_open(c, w, dirs.base_fd, o->path, o, 0);
        worker_restore(w);
        safe_close(link_fd);
        task_dirs_close(&dirs);
        task_creds_done(&creds);
        return r;
}

static void open_run(struct emul_call *c, struct worker *w)
{
        struct open_call o;
        const char *to;
        ssize_t n;
        int r;

        r = parse_call(c, &o);
        n = r < 0 ? r
                  : target_read_string((pid_t)c->req.pid, c->req.data.args[o.path_arg], o.path,
                                       sizeof(o.path));
        /* Acted on before open_as_task's check (the journal, a rewrite)
         * only with these: else that one check, after the /proc reads,
         * covers this read too. */
        if (n >= 0 && ((o.how.flags & (O_CREAT | O_TRUNC)) || (c->opts && c->opts->n_rewrites)))
                n = target_id_valid(c->listener_fd, c->req.id);
        if (n < 0) {
                c->error = (int)n;
                return;
        }
        c->key_digest = journal_digest(&c->req, o.path, strlen(o.path));
        c->key_digest = journal_digest_more(c->key_digest, &o.how, sizeof(o.how));
        /* A restarted call whose first run created or truncated. */
        if ((o.how.flags & (O_CREAT | O_TRUNC)) && c->journal && journal_begin(c->journal, c))
                return;
        to = rewrite_of(c, &o);
        r = to ? open_rewritten(&o, to) : open_as_task(c, w, &o);
        if (r < 0)
                c->error = r;
        else {
                c->fd = r;
                c->cloexec = o.how.flags & O_CLOEXEC;
        }
        if (c->journal)
                journal_end(c->journal, c);
}

const struct handler handler_open = {
        .id = UNOTIFY_HANDLER_OPEN,
        .name = "open",
        .syscalls = served,
        .n_syscalls = ELEMENTSOF(served),
        .run = open_run,
};
