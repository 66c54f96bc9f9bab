/* The xattr handler's argument decoding (xattr_args.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "unotify/macro.h"
#include "handlers/xattr_args.h"

static const char *const default_names[] = { "trusted.overlay." };

bool xattr_name_allowed(const struct unotify_handler_options *o, const char *name)
{
        const char *const *l = o->n_xattr_names ? o->xattr_names : default_names;
        size_t n = o->n_xattr_names ? o->n_xattr_names : ELEMENTSOF(default_names);

        for (size_t i = 0; i < n; i++) {
                size_t len = strlen(l[i]);

                if (len && l[i][len - 1] == '.' ? !strncmp(name, l[i], len) : !strcmp(name, l[i]))
                        return true;
        }
        return false;
}

/* As the kernel: the name copied (at most 255 bytes, else -ERANGE). */
static int read_name(const struct task_mem *mem, uint64_t addr, struct xattr_args *x)
{
        ssize_t r = mem->read_string(mem, addr, x->name, sizeof(x->name));

        if (r == -ENAMETOOLONG || (r >= 0 && strlen(x->name) > XATTR_NAME_MAX_LEN))
                return -ERANGE;
        if (r >= 0 && !x->name[0])
                return -ERANGE;
        return r < 0 ? (int)r : 0;
}

int xattr_args_read(const struct task_mem *mem, int which, const __u64 a[6], struct xattr_args *x)
{
        ssize_t r;

        x->which = which;
        x->set = which < 3;
        x->by_fd = which == 2 || which == 5;
        x->follow = which == 0 || which == 3;
        if (!x->by_fd) {
                r = mem->read_string(mem, a[0], x->path, sizeof(x->path));
                if (r < 0)
                        return (int)r;
        }
        if (!x->set)
                return read_name(mem, a[1], x);
        /* setxattr_copy()'s order: flags, name, size, value. */
        x->size = (size_t)a[3];
        x->flags = (int)a[4];
        if ((unsigned)a[4] & ~(unsigned)(XATTR_CREATE | XATTR_REPLACE))
                return -EINVAL;
        r = read_name(mem, a[1], x);
        if (r < 0)
                return (int)r;
        if (x->size > XATTR_VALUE_MAX)
                return -E2BIG;
        x->value = malloc(x->size ?: 1);
        if (!x->value)
                return -ENOMEM;
        return x->size ? mem->read(mem, a[2], x->value, x->size) : 0;
}

void xattr_args_done(struct xattr_args *x)
{
        free(x->value);
        x->value = NULL;
}
