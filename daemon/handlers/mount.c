/* The "mount" handler: mount(2) of a tmpfs, proc, sysfs, mqueue, devpts
 * or a bind mount, and
 * umount2(2) of the mounts it made, for a task that may not mount
 * (a user-namespaced container without CAP_SYS_ADMIN).
 *
 * mount: the type must be on the rule's list; the MS_* flags map to
 * MOUNT_ATTR_* and must be among the allowed or forced ones (the forced
 * ones are always set, and each kernel filesystem's own); each option
 * must be on the list and the type's, a tmpfs size= no more than maxSize
 * (which is also the size of a tmpfs that asks for none); proc, sysfs
 * and mqueue are made in the task's pid, network, IPC namespace; the target, and a bind's source, are resolved in the task's root
 * with its credentials (openat2, RESOLVE_IN_ROOT for an absolute path,
 * no magic links) and the real path of what was opened must be under one
 * of the prefixes: a symlink swapped in afterwards changes nothing, the
 * mount is attached to that fd. The daemon builds the mount with the new
 * API (mount_ns.h), the tmpfs root owned by the task's fsuid/fsgid, a bind
 * idmapped to the task's user namespace when the rule says so.
 *
 * umount2: only of a mount this handler made in that mount namespace;
 * done as MNT_DETACH. Anything refused gets the rule's errno. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "mount_ns.h"
#include "resolve.h"
#include "target.h"
#include "unotify/macro.h"

#define DATA_MAX 4096 /* the kernel copies one page of options */
#define FS_OPTIONS_MAX 8

static const char *const served[] = { "mount", "umount2" };

/* MS_* the task may pass, as MOUNT_ATTR_*; MS_SILENT and MS_RELATIME
 * (the default) change nothing. */
static const struct {
        unsigned long ms;
        uint64_t attr;
} flag_map[] = {
        { MS_RDONLY, MOUNT_ATTR_RDONLY },     { MS_NOSUID, MOUNT_ATTR_NOSUID },
        { MS_NODEV, MOUNT_ATTR_NODEV },       { MS_NOEXEC, MOUNT_ATTR_NOEXEC },
        { MS_NOATIME, MOUNT_ATTR_NOATIME },   { MS_NODIRATIME, MOUNT_ATTR_NODIRATIME },
        { MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW },
};

struct mount_call {
        char source[PATH_MAX], target[PATH_MAX], type[64], data[DATA_MAX];
        unsigned long flags;
        uint64_t asked_attrs; /* MOUNT_ATTR_* of the task's flags */
        bool has_data;
        /* The parsed tmpfs options, pointing into data / own buffers. */
        char size[32], uid[16], gid[16], pts_gid[16];
        unsigned fs_type; /* enum unotify_mount_type */
        const char *ns; /* the task's namespace the context is made in */
        const char *layer_paths[MOUNT_LAYERS_MAX]; /* overlay, into data */
        unsigned n_layers;
        struct mount_plan plan;
};

static int refuse(struct emul_call *c, const char *why)
{
        c->why = why;
        return -c->opts->refuse_errno;
}

static int read_strings(struct emul_call *c, struct mount_call *m)
{
        const __u64 *a = c->req.data.args;
        pid_t pid = (pid_t)c->req.pid;
        ssize_t r;

        m->flags = (unsigned long)a[3];
        if ((m->flags & 0xffff0000ul) == MS_MGC_VAL)
                m->flags &= 0xffff; /* the old magic, as the kernel drops it */
        r = target_read_string(pid, a[1], m->target, sizeof(m->target));
        if (r >= 0 && !(m->flags & MS_BIND))
                r = target_read_string(pid, a[2], m->type, sizeof(m->type));
        if (r >= 0 && a[0])
                r = target_read_string(pid, a[0], m->source, sizeof(m->source));
        if (r >= 0 && a[4] && !(m->flags & MS_BIND)) {
                r = target_read_string(pid, a[4], m->data, sizeof(m->data));
                m->has_data = r > 0;
        }
        if (r == -ENAMETOOLONG && m->type[0] == '\0' && !(m->flags & MS_BIND))
                r = -ENODEV; /* a type name longer than any the kernel knows */
        return r < 0 ? (int)r : 0;
}

/* "64m", "1g", "4096": bytes; tmpfs's '%' of RAM is not accepted. */
static bool parse_size(const char *s, uint64_t *ret)
{
        char *end;
        unsigned long long v = strtoull(s, &end, 10);
        unsigned shift = 0;

        if (end == s)
                return false;
        switch (*end) {
        case 'k': case 'K': shift = 10; end++; break;
        case 'm': case 'M': shift = 20; end++; break;
        case 'g': case 'G': shift = 30; end++; break;
        default: break;
        }
        if (*end || v > (UINT64_MAX >> shift))
                return false;
        *ret = (uint64_t)v << shift;
        return true;
}

static int add_fs(struct mount_call *m, const char *key, const char *value)
{
        if (m->plan.n_fs >= ELEMENTSOF(m->plan.fs_keys))
                return -E2BIG;
        m->plan.fs_keys[m->plan.n_fs] = key;
        m->plan.fs_values[m->plan.n_fs++] = value;
        return 0;
}

#define T(x) (1u << UNOTIFY_MOUNT_##x)
/* The types made with fsopen(2), the flags each always gets on top of the
 * rule's forced ones, and the task's namespace its context must be made
 * in (see mount_ns.h): proc, sysfs and mqueue show what their namespace
 * holds; none of them needs set-id or device files or exec. devpts is
 * the exception for nodev: its only nodes are its ptys (no mknod there). */
static const struct {
        const char *name;
        unsigned id;
        uint64_t forced;
        const char *ns;
} fs_types[] = {
        { "tmpfs", UNOTIFY_MOUNT_TMPFS, 0, NULL },
        { "proc", UNOTIFY_MOUNT_PROC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, "pid" },
        { "sysfs", UNOTIFY_MOUNT_SYSFS, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, "net" },
        { "mqueue", UNOTIFY_MOUNT_MQUEUE, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, "ipc" },
        { "devpts", UNOTIFY_MOUNT_DEVPTS, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, NULL },
        { "overlay", UNOTIFY_MOUNT_OVERLAY, 0, NULL },
};

/* Indexed by enum unotify_mount_option: the types it applies to, and
 * whether it is a flag (no value). */
static const struct {
        const char *name;
        uint32_t types;
        bool flag;
} fs_options[] = {
        { "size", T(TMPFS), false },       { "mode", T(TMPFS) | T(DEVPTS), false },
        { "nr_inodes", T(TMPFS), false },  { "hidepid", T(PROC), false },
        { "subset", T(PROC), false },      { "newinstance", T(DEVPTS), true },
        { "ptmxmode", T(DEVPTS), false },  { "gid", T(DEVPTS), false },
        { "lowerdir", T(OVERLAY), false }, { "upperdir", T(OVERLAY), false },
        { "workdir", T(OVERLAY), false },
};
#undef T

/* gid of the task's user namespace as the host's (gid_map), for a devpts
 * gid=: the daemon's context reads ids in its own namespace. */
static int host_gid(struct worker *w, pid_t pid, const char *value, char *buf, size_t size)
{
        _cleanup_(fclosep) FILE *f = NULL;
        unsigned long in, out, count, gid;
        char path[64], *end;
        int fd;

        errno = 0;
        gid = strtoul(value, &end, 10);
        if (*value < '0' || *value > '9' || *end || errno || gid > UINT32_MAX - 1)
                return -EINVAL;
        snprintf(path, sizeof(path), "%d/gid_map", (int)pid);
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

/* An overlay's lowerdir=A:B (top first), upperdir=, workdir=: each one a
 * layer the daemon opens as the task and passes by fd (FSCONFIG_SET_FD,
 * Linux 6.13), never as a path the kernel would look up again. */
static int add_layers(struct emul_call *c, struct mount_call *m, size_t k, char *value)
{
        static const char *const keys[] = { "lowerdir+", "upperdir", "workdir" };
        const char *key = keys[k - UNOTIFY_MOUNT_OPT_LOWERDIR];
        char *save = NULL;

        if (strchr(value, '\\') || !*value || (k > UNOTIFY_MOUNT_OPT_LOWERDIR && strchr(value, ':')))
                return refuse(c, "an overlay layer with an escape, none, or several where one goes");
        for (char *dir = strtok_r(value, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                if (m->n_layers >= MOUNT_LAYERS_MAX)
                        return refuse(c, "too many overlay layers");
                m->plan.layer_keys[m->n_layers] = key;
                m->layer_paths[m->n_layers++] = dir;
        }
        return 0;
}

/* Each option on the rule's list and of this type, size= within the cap. */
static int check_fs_options(struct emul_call *c, struct worker *w, struct mount_call *m)
{
        const struct unotify_handler_options *o = c->opts;
        bool sized = false;
        char *save = NULL;
        unsigned n = 0;

        for (char *opt = m->has_data ? strtok_r(m->data, ",", &save) : NULL; opt;
             opt = strtok_r(NULL, ",", &save)) {
                char *value = strchr(opt, '=');
                size_t k;

                if (++n > FS_OPTIONS_MAX)
                        return refuse(c, "too many filesystem options");
                if (value)
                        *value++ = '\0';
                for (k = 0; k < ELEMENTSOF(fs_options) && strcmp(fs_options[k].name, opt); k++)
                        ;
                if (k == ELEMENTSOF(fs_options) || !(o->mount_options & 1u << k) ||
                    !(fs_options[k].types & 1u << m->fs_type))
                        return refuse(c, "a filesystem option the rule does not allow");
                if (fs_options[k].flag != !value)
                        return refuse(c, "a filesystem option with a value it does not take");
                if (k == UNOTIFY_MOUNT_OPT_NEWINSTANCE)
                        continue; /* every devpts mount is a new instance (Linux 4.7) */
                if (k == UNOTIFY_MOUNT_OPT_SIZE) {
                        uint64_t bytes;

                        if (!parse_size(value, &bytes))
                                return refuse(c, "a tmpfs size= the handler does not take");
                        if (o->mount_max_size && bytes > o->mount_max_size)
                                return refuse(c, "a tmpfs size= above the rule's maxSize");
                        sized = true;
                }
                if (k >= UNOTIFY_MOUNT_OPT_LOWERDIR) {
                        int r = add_layers(c, m, k, value);

                        if (r < 0)
                                return r;
                        continue;
                }
                if (k == UNOTIFY_MOUNT_OPT_GID) {
                        int r = host_gid(w, (pid_t)c->req.pid, value, m->pts_gid, sizeof(m->pts_gid));

                        if (r < 0)
                                return r;
                        value = m->pts_gid;
                }
                if (add_fs(m, fs_options[k].name, value) < 0)
                        return -E2BIG;
        }
        if (m->fs_type == UNOTIFY_MOUNT_OVERLAY) {
                /* No redirects or metacopy: an upper file's xattrs (the
                 * xattr handler may let the container set trusted.overlay.)
                 * must not lead to lower files it could not name itself. */
                if (add_fs(m, "redirect_dir", "nofollow") < 0 || add_fs(m, "metacopy", "off") < 0)
                        return -E2BIG;
        }
        if (!sized && o->mount_max_size && m->fs_type == UNOTIFY_MOUNT_TMPFS) {
                snprintf(m->size, sizeof(m->size), "%llu", (unsigned long long)o->mount_max_size);
                return add_fs(m, "size", m->size);
        }
        return 0;
}

/* The MS_* flags as attributes: allowed or forced ones only. */
static int check_flags(struct emul_call *c, struct mount_call *m)
{
        const struct unotify_handler_options *o = c->opts;
        unsigned long rest = m->flags & ~(MS_SILENT | MS_RELATIME | MS_BIND | MS_REC);
        uint64_t attrs = 0;

        if (m->flags & (MS_REMOUNT | MS_MOVE | MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE))
                return refuse(c, "remounts, moves and propagation changes are not emulated");
        if ((m->flags & MS_REC) && !(m->flags & MS_BIND))
                return refuse(c, "MS_REC without MS_BIND");
        for (size_t i = 0; i < ELEMENTSOF(flag_map); i++)
                if (rest & flag_map[i].ms) {
                        attrs |= flag_map[i].attr;
                        rest &= ~flag_map[i].ms;
                }
        if (rest)
                return refuse(c, "a mount flag the handler does not know");
        if (attrs & ~(o->mount_allow_attrs | o->mount_force_attrs))
                return refuse(c, "a mount flag the rule does not allow");
        m->asked_attrs = attrs;
        m->plan.attrs = attrs | o->mount_force_attrs;
        return 0;
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
static int open_checked(struct emul_call *c, struct worker *w, const struct task_dirs *d,
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
        r = access && faccessat(fd, "", access, AT_EMPTY_PATH | AT_EACCESS) < 0 ? negative_errno() : 0;
        if (r >= 0)
                r = worker_fd_path(w, fd, real, sizeof(real));
        if (r >= 0 && !under(real, prefixes, n))
                r = refuse(c, "a path outside the rule's prefixes");
        if (r < 0)
                return safe_close(fd), r;
        *ret_fd = fd;
        return 0;
}

static int valid_again(void *userdata)
{
        const struct emul_call *c = userdata;

        return target_id_valid(c->listener_fd, c->req.id);
}

static int open_ns(struct worker *w, pid_t pid, const char *ns, uint64_t *ret_ino)
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

/* Resolve target (and source) as the task, in its root. */
static int resolve(struct emul_call *c, struct worker *w, struct mount_call *m,
                   const char *path, int *ret_fd, bool source, int access)
{
        const struct unotify_handler_options *o = c->opts;
        struct task_creds creds;
        struct task_dirs dirs;
        int r;

        r = task_creds_read(w, (pid_t)c->req.pid, &creds);
        if (r < 0)
                return r;
        r = task_dirs_open(c, w, path, -1, false, &dirs);
        if (r >= 0)
                r = worker_enter_root(w, dirs.root_fd);
        if (r >= 0)
                r = worker_assume(w, &creds, 0);
        if (r >= 0)
                r = open_checked(c, w, &dirs, path, source ? o->mount_sources : o->mount_targets,
                                 source ? o->n_mount_sources : o->n_mount_targets, access, ret_fd);
        if (worker_restore(w) < 0 && r >= 0)
                r = -EIO, *ret_fd = safe_close(*ret_fd);
        if (!source && r >= 0) {
                snprintf(m->uid, sizeof(m->uid), "%u", (unsigned)creds.fsuid);
                snprintf(m->gid, sizeof(m->gid), "%u", (unsigned)creds.fsgid);
        }
        task_dirs_close(&dirs);
        task_creds_done(&creds);
        return r;
}

static int check_type(struct emul_call *c, struct worker *w, struct mount_call *m)
{
        const struct unotify_handler_options *o = c->opts;
        size_t k;

        if (m->flags & MS_BIND) {
                m->plan.bind = true;
                m->plan.recursive = m->flags & MS_REC;
                return o->mount_types & 1u << UNOTIFY_MOUNT_BIND ? 0 :
                                                                   refuse(c, "bind mounts are not allowed");
        }
        for (k = 0; k < ELEMENTSOF(fs_types) && strcmp(fs_types[k].name, m->type); k++)
                ;
        if (k == ELEMENTSOF(fs_types) || !(o->mount_types & 1u << fs_types[k].id))
                return refuse(c, "a filesystem type the rule does not allow");
        m->fs_type = fs_types[k].id;
        m->ns = fs_types[k].ns;
        m->plan.fstype = fs_types[k].name;
        if (m->fs_type == UNOTIFY_MOUNT_DEVPTS)
                m->plan.attrs &= ~(o->mount_force_attrs & MOUNT_ATTR_NODEV & ~m->asked_attrs);
        m->plan.attrs |= fs_types[k].forced;
        return check_fs_options(c, w, m);
}

static int do_mount(struct emul_call *c, struct worker *w, struct mount_call *m)
{
        int r, mntns = -1;
        uint64_t ns_ino = 0;

        m->plan.source_fd = m->plan.target_fd = m->plan.userns_fd = m->plan.ns_fd = -1;
        for (unsigned i = 0; i < MOUNT_LAYERS_MAX; i++)
                m->plan.layer_fds[i] = -1;
        r = check_flags(c, m);
        if (r >= 0)
                r = check_type(c, w, m);
        if (r >= 0)
                r = resolve(c, w, m, m->target, &m->plan.target_fd, false, 0);
        if (r >= 0 && m->plan.bind)
                r = resolve(c, w, m, m->source, &m->plan.source_fd, true, 0);
        for (unsigned i = 0; r >= 0 && i < m->n_layers; i++)
                r = resolve(c, w, m, m->layer_paths[i], &m->plan.layer_fds[m->plan.n_layers++], true,
                            strcmp(m->plan.layer_keys[i], "lowerdir+") ? W_OK | X_OK : R_OK | X_OK);
        if (r >= 0 && m->ns)
                r = m->plan.ns_fd = open_ns(w, (pid_t)c->req.pid, m->ns, NULL);
        if (r >= 0 && !m->plan.bind && m->fs_type == UNOTIFY_MOUNT_TMPFS &&
            (r = add_fs(m, "uid", m->uid)) >= 0)
                r = add_fs(m, "gid", m->gid); /* the root is the task's, not the daemon's */
        if (r >= 0 && m->plan.bind && c->opts->mount_idmap)
                r = m->plan.userns_fd = open_ns(w, (pid_t)c->req.pid, "user", NULL);
        if (r >= 0)
                r = mntns = open_ns(w, (pid_t)c->req.pid, "mnt", &ns_ino);
        if (r >= 0) {
                m->plan.still_valid = valid_again;
                m->plan.userdata = c;
                r = mount_ns_attach(mntns, &m->plan);
                c->side_effect = r >= 0;
        }
        if (r >= 0)
                mount_table_add(ns_ino, m->plan.mnt_id);
        safe_close(mntns);
        safe_close(m->plan.target_fd);
        safe_close(m->plan.source_fd);
        safe_close(m->plan.userns_fd);
        safe_close(m->plan.ns_fd);
        for (unsigned i = 0; i < m->plan.n_layers; i++)
                safe_close(m->plan.layer_fds[i]);
        return r;
}

static int do_umount(struct emul_call *c, struct worker *w, const char *target, int flags)
{
        const char *const all[] = { "/" };
        struct task_creds creds;
        struct task_dirs dirs;
        uint64_t ns_ino = 0, id;
        int r, fd = -1, mntns = -1;
        bool root;

        if (flags & ~(MNT_DETACH | MNT_FORCE | UMOUNT_NOFOLLOW))
                return flags & MNT_EXPIRE ? refuse(c, "MNT_EXPIRE is not emulated") : -EINVAL;
        r = task_creds_read(w, (pid_t)c->req.pid, &creds);
        if (r < 0)
                return r;
        r = task_dirs_open(c, w, target, -1, false, &dirs);
        if (r >= 0)
                r = worker_enter_root(w, dirs.root_fd);
        if (r >= 0)
                r = worker_assume(w, &creds, 0);
        if (r >= 0)
                r = open_checked(c, w, &dirs, target, all, 1, 0, &fd);
        if (worker_restore(w) < 0 && r >= 0)
                r = -EIO;
        task_dirs_close(&dirs);
        task_creds_done(&creds);
        if (r >= 0)
                r = mntns = open_ns(w, (pid_t)c->req.pid, "mnt", &ns_ino);
        if (r >= 0)
                r = mount_id_of(fd, &id, &root);
        if (r >= 0 && !root)
                r = -EINVAL; /* not a mount point, as the kernel says */
        if (r >= 0 && !mount_table_has(ns_ino, id))
                r = refuse(c, "a mount the daemon did not make for this container");
        if (r >= 0)
                r = target_id_valid(c->listener_fd, c->req.id);
        if (r >= 0) {
                r = mount_ns_detach(mntns, w->proc_fd, fd);
                c->side_effect = r >= 0;
        }
        if (r >= 0)
                mount_table_remove(ns_ino, id);
        safe_close(fd);
        safe_close(mntns);
        return r;
}

static void mount_run(struct emul_call *c, struct worker *w)
{
        _cleanup_(freep) struct mount_call *m = calloc(1, sizeof(*m));
        int which = syscall_pick(&c->req, served, ELEMENTSOF(served));
        ssize_t r;

        if (!m || which < 0) {
                c->error = m ? ENOSYS : ENOMEM;
                return;
        }
        if (which == 0)
                r = read_strings(c, m);
        else
                r = target_read_string((pid_t)c->req.pid, c->req.data.args[0], m->target,
                                       sizeof(m->target));
        if (r >= 0)
                r = target_id_valid(c->listener_fd, c->req.id);
        if (r < 0) {
                c->error = (int)-r;
                return;
        }
        c->key_digest = journal_digest(&c->req, m->target, strlen(m->target));
        c->key_digest = journal_digest_more(c->key_digest, m->source, strlen(m->source));
        c->key_digest = journal_digest_more(c->key_digest, m->type, strlen(m->type));
        c->key_digest = journal_digest_more(c->key_digest, m->data, strlen(m->data));
        if (c->journal && journal_begin(c->journal, c))
                return;
        r = which == 0 ? do_mount(c, w, m) : do_umount(c, w, m->target, (int)c->req.data.args[1]);
        if (r < 0)
                c->error = (int)-r;
        if (c->journal)
                journal_end(c->journal, c);
}

const struct handler handler_mount = {
        .id = UNOTIFY_HANDLER_MOUNT,
        .name = "mount",
        .syscalls = served,
        .n_syscalls = ELEMENTSOF(served),
        .run = mount_run,
};
