/* The new mount API's arguments as the kernel checks them, and the
 * attributes a rule allows (mount_api.h): pure functions of the
 * arguments. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>

#include "handlers/mount_api.h"

#ifndef FSCONFIG_CMD_CREATE_EXCL
#define FSCONFIG_CMD_CREATE_EXCL 8 /* Linux 6.6 */
#endif

/* MOUNT_ATTR_* (an atime mode among them) the rule lets a task ask for. */
bool mount_api_attrs_allowed(const struct unotify_handler_options *o, uint64_t set)
{
        uint64_t ok = o->mount_allow_attrs | o->mount_force_attrs, atime = set & MOUNT_ATTR__ATIME;

        return !(set & ~MOUNT_ATTR__ATIME & ~ok) &&
               (atime == MOUNT_ATTR_RELATIME ||
                (atime == MOUNT_ATTR_NOATIME && ok & MOUNT_ATTR_NOATIME));
}

/* The kernel's checks of fsconfig's arguments, in its order. */
int mount_api_fsconfig_args(const __u64 *a)
{
        unsigned cmd = (unsigned)a[1];
        int aux = (int)a[4];

        if ((int)a[0] < 0)
                return -EINVAL;
        switch (cmd) {
        case FSCONFIG_SET_FLAG:
                return !a[2] || a[3] || aux ? -EINVAL : 0;
        case FSCONFIG_SET_STRING:
                return !a[2] || !a[3] || aux ? -EINVAL : 0;
        case FSCONFIG_SET_BINARY:
                return !a[2] || !a[3] || aux <= 0 || aux > 1024 * 1024 ? -EINVAL : 0;
        case FSCONFIG_SET_PATH:
        case FSCONFIG_SET_PATH_EMPTY:
                return !a[2] || !a[3] || (aux != AT_FDCWD && aux < 0) ? -EINVAL : 0;
        case FSCONFIG_SET_FD:
                return !a[2] || a[3] || aux < 0 ? -EINVAL : 0;
        case FSCONFIG_CMD_CREATE:
        case FSCONFIG_CMD_CREATE_EXCL:
        case FSCONFIG_CMD_RECONFIGURE:
                return a[2] || a[3] || aux ? -EINVAL : 0;
        default:
                return -EOPNOTSUPP;
        }
}

/* The kernel's checks of fsmount's flags and attributes. */
int mount_api_fsmount_args(const __u64 *a)
{
        uint64_t atime = a[2] & MOUNT_ATTR__ATIME;

        if (a[1] & ~(__u64)FSMOUNT_CLOEXEC || a[2] & ~(__u64)MOUNT_API_ATTRS)
                return -EINVAL;
        return atime == MOUNT_ATTR_RELATIME || atime == MOUNT_ATTR_NOATIME ||
                               atime == MOUNT_ATTR_STRICTATIME
                       ? 0
                       : -EINVAL;
}
