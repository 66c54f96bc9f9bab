/* The mount handler's FUSE mounts (mount_fuse.h). */
#include "handlers/mount_fuse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "handlers/mount_target.h"
#include "notify/target.h"
#include "unotify/macro.h"

#define FUSE_MAJOR 10
#define FUSE_MINOR 229
#define SUBTYPE_MAX 32

static int refuse(const struct unotify_handler_options *o, const char **why, const char *what)
{
        *why = what;
        return -o->refuse_errno;
}

bool mount_fuse_type(const char *type, const char **ret_subtype)
{
        const char *sub = type + 5;

        if (strncmp(type, "fuse", 4) || (type[4] && type[4] != '.'))
                return false;
        if (ret_subtype)
                *ret_subtype = type[4] ? sub : NULL;
        return true;
}

static bool subtype_ok(const char *s)
{
        size_t n = strlen(s);

        return n > 0 && n <= SUBTYPE_MAX &&
               strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") == n;
}

void mount_fuse_init(struct mount_fuse *f)
{
        f->dev_fd = -1;
        f->fd[0] = '\0';
}

void mount_fuse_done(struct mount_fuse *f)
{
        f->dev_fd = safe_close(f->dev_fd);
}

int mount_fuse_check_type(struct mount_args *m, const struct unotify_handler_options *o,
                          const char *type, struct mount_fuse *f, const char **why)
{
        const char *sub = NULL;

        mount_fuse_init(f);
        if (!mount_fuse_type(type, &sub) || !(o->mount_types & 1u << UNOTIFY_MOUNT_FUSE))
                return refuse(o, why, "a filesystem type the rule does not allow");
        if (sub && !subtype_ok(sub))
                return refuse(o, why,
                              "a FUSE subtype with other than letters, digits, '_', '-', '.'");
        m->fs_type = UNOTIFY_MOUNT_FUSE;
        m->plan.fstype = "fuse";
        m->plan.attrs |= MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV; /* the server's files are its word */
        return sub ? mount_add_fs(m, "subtype", sub) : 0;
}

static bool decimal(const char *s, bool octal)
{
        size_t n = strspn(s, octal ? "01234567" : "0123456789");

        return n > 0 && n <= 10 && !s[n];
}

/* The task's fd number value as the daemon's copy, which must be /dev/fuse
 * (else the kernel's EINVAL). */
static int copy_dev(struct emul_call *c, struct mount_fuse *f, const char *value)
{
        struct stat st;
        int fd;

        if (!decimal(value, false) || f->dev_fd >= 0)
                return -EINVAL;
        fd = target_dup_fd(c->listener_fd, &c->req, atoi(value));
        if (fd < 0)
                return fd == -EBADF ? -EINVAL : fd;
        if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != FUSE_MAJOR ||
            minor(st.st_rdev) != FUSE_MINOR)
                return safe_close(fd), -EINVAL;
        f->dev_fd = fd;
        snprintf(f->fd, sizeof(f->fd), "%d", fd);
        return 0;
}

/* user_id=, group_id=: the host's id for the task's. */
static int host_id(struct emul_call *c, struct worker *w, struct mount_args *m, const char *key,
                   const char *value, char *buf, size_t size)
{
        int r = value ? mount_host_id(w, (pid_t)c->req.pid, key[0] == 'u' ? "uid_map" : "gid_map",
                                      value, buf, size)
                      : -EINVAL;

        return r < 0 ? r : mount_add_fs(m, key, buf);
}

int mount_fuse_option(struct emul_call *c, struct worker *w, struct mount_args *m,
                      struct mount_fuse *f, const char *key, char *value)
{
        static const char *const numbers[] = { "rootmode", "max_read" };
        static const char *const flags[] = { "allow_other", "default_permissions" };
        const struct unotify_handler_options *o = c->opts;
        int r;

        if (++m->n_options > MOUNT_FS_OPTIONS_MAX)
                return refuse(o, &c->why, "too many filesystem options");
        if (!strcmp(key, "fd")) {
                r = value ? copy_dev(c, f, value) : -EINVAL;
                return r < 0 ? r : mount_add_fs(m, "fd", f->fd);
        }
        if (!strcmp(key, "user_id"))
                return host_id(c, w, m, key, value, f->uid, sizeof(f->uid));
        if (!strcmp(key, "group_id"))
                return host_id(c, w, m, key, value, f->gid, sizeof(f->gid));
        for (size_t i = 0; i < ELEMENTSOF(numbers); i++)
                if (!strcmp(key, numbers[i]))
                        return value && decimal(value, i == 0) ? mount_add_fs(m, key, value)
                                                               : -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(flags); i++)
                if (!strcmp(key, flags[i]))
                        return value ? -EINVAL : mount_add_fs(m, key, NULL);
        return refuse(o, &c->why, "a FUSE option the handler does not take");
}

int mount_fuse_data(struct emul_call *c, struct worker *w, struct mount_args *m,
                    struct mount_fuse *f, char *data)
{
        char *save = NULL;

        for (char *opt = data ? strtok_r(data, ",", &save) : NULL; opt;
             opt = strtok_r(NULL, ",", &save)) {
                char *value = strchr(opt, '=');
                int r;

                if (value)
                        *value++ = '\0';
                r = mount_fuse_option(c, w, m, f, opt, value);
                if (r < 0)
                        return r;
        }
        return 0;
}
