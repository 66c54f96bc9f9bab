/* What the xattr handler makes of a call's arguments, without the task
 * (the fuzz target calls these alone): the path, name, value, size and
 * flags read and checked in the kernel's order, and the name against the
 * rule's list. */
#pragma once

#include <limits.h>
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "handlers/task_mem.h"
#include "unotify/policy.h"

#define XATTR_NAME_MAX_LEN 255 /* XATTR_NAME_MAX */
#define XATTR_VALUE_MAX 65536  /* XATTR_SIZE_MAX */

struct xattr_args {
        int which; /* index in the handler's list: set, lset, fset, remove, lremove, fremove */
        bool set, by_fd, follow;
        char path[PATH_MAX];
        char name[XATTR_NAME_MAX_LEN + 1]; /* the kernel reads 256 bytes at most */
        void *value;                       /* malloc'd; xattr_args_done */
        size_t size;
        int flags;
};

/* Read what which's call passes (args: its six registers). Returns 0 or
 * the kernel's errno for it: -EINVAL (flags), -ERANGE (a name empty or
 * too long), -E2BIG (a value above 64 KiB), -EFAULT, -ENOMEM. */
int xattr_args_read(const struct task_mem *mem, int which, const __u64 args[6],
                    struct xattr_args *x);
void xattr_args_done(struct xattr_args *x);

/* name on the rule's list (an entry ending in "." a prefix), or on the
 * default one (trusted.overlay.). */
bool xattr_name_allowed(const struct unotify_handler_options *o, const char *name);
