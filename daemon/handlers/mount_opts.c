/* The mount handler's decoding of flags, type and options (mount_opts.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "handlers/mount_opts.h"
#include "unotify/macro.h"
#include "unotify/size.h"

/* MS_* the task may pass, as MOUNT_ATTR_*; MS_SILENT and MS_RELATIME
 * (the default) change nothing. */
static const struct {
        unsigned long ms;
        uint64_t attr;
} flag_map[] = {
        { MS_RDONLY, MOUNT_ATTR_RDONLY },
        { MS_NOSUID, MOUNT_ATTR_NOSUID },
        { MS_NODEV, MOUNT_ATTR_NODEV },
        { MS_NOEXEC, MOUNT_ATTR_NOEXEC },
        { MS_NOATIME, MOUNT_ATTR_NOATIME },
        { MS_NODIRATIME, MOUNT_ATTR_NODIRATIME },
        { MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW },
};

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
        { "proc", UNOTIFY_MOUNT_PROC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
          "pid" },
        { "sysfs", UNOTIFY_MOUNT_SYSFS, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
          "net" },
        { "mqueue", UNOTIFY_MOUNT_MQUEUE, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
          "ipc" },
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

static int refuse(const struct unotify_handler_options *o, const char **why, const char *what)
{
        *why = what;
        return -o->refuse_errno;
}

void mount_args_init(struct mount_args *m, unsigned long flags)
{
        memset(m, 0, sizeof(*m));
        if ((flags & 0xffff0000ul) == MS_MGC_VAL)
                flags &= 0xffff; /* the old magic, as the kernel drops it */
        m->flags = flags;
        m->gid_index = -1;
        m->plan.source_fd = m->plan.target_fd = m->plan.userns_fd = m->plan.ns_fd = -1;
        m->plan.userns_ctx_fd = m->plan.mntns_ctx_fd = -1;
        for (unsigned i = 0; i < MOUNT_LAYERS_MAX; i++)
                m->plan.layer_fds[i] = -1;
}

int mount_add_fs(struct mount_args *m, const char *key, const char *value)
{
        if (m->plan.n_fs >= ELEMENTSOF(m->plan.fs_keys))
                return -E2BIG;
        m->plan.fs_keys[m->plan.n_fs] = key;
        m->plan.fs_values[m->plan.n_fs++] = value;
        return 0;
}

int mount_check_flags(struct mount_args *m, const struct unotify_handler_options *o,
                      const char **why)
{
        unsigned long rest = m->flags & ~(MS_SILENT | MS_RELATIME | MS_BIND | MS_REC);
        uint64_t attrs = 0;

        if (m->flags & (MS_REMOUNT | MS_MOVE | MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE))
                return refuse(o, why, "remounts, moves and propagation changes are not emulated");
        if ((m->flags & MS_REC) && !(m->flags & MS_BIND))
                return refuse(o, why, "MS_REC without MS_BIND");
        for (size_t i = 0; i < ELEMENTSOF(flag_map); i++)
                if (rest & flag_map[i].ms) {
                        attrs |= flag_map[i].attr;
                        rest &= ~flag_map[i].ms;
                }
        if (rest)
                return refuse(o, why, "a mount flag the handler does not know");
        if (attrs & ~(o->mount_allow_attrs | o->mount_force_attrs))
                return refuse(o, why, "a mount flag the rule does not allow");
        m->asked_attrs = attrs;
        m->plan.attrs = attrs | o->mount_force_attrs;
        return 0;
}

int mount_check_type(struct mount_args *m, const struct unotify_handler_options *o,
                     const char *type, const char **why)
{
        size_t k;

        if (m->flags & MS_BIND) {
                m->plan.bind = true;
                m->plan.recursive = m->flags & MS_REC;
                return o->mount_types & 1u << UNOTIFY_MOUNT_BIND
                               ? 0
                               : refuse(o, why, "bind mounts are not allowed");
        }
        for (k = 0; k < ELEMENTSOF(fs_types) && strcmp(fs_types[k].name, type); k++)
                ;
        if (k == ELEMENTSOF(fs_types) || !(o->mount_types & 1u << fs_types[k].id))
                return refuse(o, why, "a filesystem type the rule does not allow");
        m->fs_type = fs_types[k].id;
        m->ns = fs_types[k].ns;
        m->plan.fstype = fs_types[k].name;
        if (m->fs_type == UNOTIFY_MOUNT_DEVPTS)
                m->plan.attrs &= ~(o->mount_force_attrs & MOUNT_ATTR_NODEV & ~m->asked_attrs);
        m->plan.attrs |= fs_types[k].forced;
        return 0;
}

/* An overlay's lowerdir=A:B (top first), upperdir=, workdir=: each one a
 * layer the daemon opens as the task and passes by fd (FSCONFIG_SET_FD,
 * Linux 6.13), never as a path the kernel would look up again. */
static int add_layers(struct mount_args *m, const struct unotify_handler_options *o, size_t k,
                      char *value, const char **why)
{
        static const char *const keys[] = { "lowerdir+", "upperdir", "workdir" };
        const char *key = keys[k - UNOTIFY_MOUNT_OPT_LOWERDIR];
        char *save = NULL;

        if (strchr(value, '\\') || !*value ||
            (k > UNOTIFY_MOUNT_OPT_LOWERDIR && strchr(value, ':')))
                return refuse(o, why,
                              "an overlay layer with an escape, none, or several where one goes");
        for (char *dir = strtok_r(value, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                if (m->n_layers >= MOUNT_LAYERS_MAX)
                        return refuse(o, why, "too many overlay layers");
                m->plan.layer_keys[m->n_layers] = key;
                m->layer_paths[m->n_layers++] = dir;
        }
        return 0;
}

int mount_add_option(struct mount_args *m, const struct unotify_handler_options *o, const char *key,
                     char *value, const char **why)
{
        size_t k;

        if (++m->n_options > MOUNT_FS_OPTIONS_MAX)
                return refuse(o, why, "too many filesystem options");
        for (k = 0; k < ELEMENTSOF(fs_options) && strcmp(fs_options[k].name, key); k++)
                ;
        if (m->plan.bind || k == ELEMENTSOF(fs_options) || !(o->mount_options & 1u << k) ||
            !(fs_options[k].types & 1u << m->fs_type))
                return refuse(o, why, "a filesystem option the rule does not allow");
        if (fs_options[k].flag != !value)
                return refuse(o, why, "a filesystem option with a value it does not take");
        if (k == UNOTIFY_MOUNT_OPT_NEWINSTANCE)
                return 0; /* every devpts mount is a new instance (Linux 4.7) */
        if (k == UNOTIFY_MOUNT_OPT_SIZE) {
                uint64_t bytes;

                /* tmpfs's "%" of RAM is not accepted: a cap must be bytes. */
                if (!unotify_parse_size(value, &bytes))
                        return refuse(o, why, "a tmpfs size= the handler does not take");
                if (o->mount_max_size && bytes > o->mount_max_size)
                        return refuse(o, why, "a tmpfs size= above the rule's maxSize");
                m->sized = true;
        }
        if (k >= UNOTIFY_MOUNT_OPT_LOWERDIR)
                return add_layers(m, o, k, value, why);
        if (k == UNOTIFY_MOUNT_OPT_GID && m->gid_index >= 0) {
                /* One gid= (the last, as the kernel keeps): each is mapped. */
                m->plan.fs_values[m->gid_index] = value;
                return 0;
        }
        if (k == UNOTIFY_MOUNT_OPT_GID)
                m->gid_index = (int)m->plan.n_fs;
        return mount_add_fs(m, fs_options[k].name, value);
}

int mount_check_data(struct mount_args *m, const struct unotify_handler_options *o, char *data,
                     const char **why)
{
        char *save = NULL;

        for (char *opt = data ? strtok_r(data, ",", &save) : NULL; opt;
             opt = strtok_r(NULL, ",", &save)) {
                char *value = strchr(opt, '=');
                int r;

                if (value)
                        *value++ = '\0';
                r = mount_add_option(m, o, opt, value, why);
                if (r < 0)
                        return r;
        }
        return mount_finish(m, o);
}

int mount_finish(struct mount_args *m, const struct unotify_handler_options *o)
{
        if (m->fs_type == UNOTIFY_MOUNT_OVERLAY && !m->plan.bind) {
                /* No redirects or metacopy: an upper file's xattrs (the
                 * xattr handler may let the container set trusted.overlay.)
                 * must not lead to lower files it could not name itself. */
                if (mount_add_fs(m, "redirect_dir", "nofollow") < 0 ||
                    mount_add_fs(m, "metacopy", "off") < 0)
                        return -E2BIG;
        }
        if (!m->sized && o->mount_max_size && m->fs_type == UNOTIFY_MOUNT_TMPFS && !m->plan.bind) {
                snprintf(m->size, sizeof(m->size), "%llu", (unsigned long long)o->mount_max_size);
                return mount_add_fs(m, "size", m->size);
        }
        return 0;
}
