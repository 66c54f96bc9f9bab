/* The Landlock access rights by name, and the ABI that brought each
 * (landlock(7); the kernel's Documentation/userspace-api/landlock.rst).
 * Built into both the policy library and libunotify. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "unotify/landlock.h"

static const struct {
        const char *name;
        unsigned abi;
} rights[UNOTIFY_LANDLOCK_RIGHTS] = {
        { "execute", 1 },    { "write_file", 1 },  { "read_file", 1 }, { "read_dir", 1 },
        { "remove_dir", 1 }, { "remove_file", 1 }, { "make_char", 1 }, { "make_dir", 1 },
        { "make_reg", 1 },   { "make_sock", 1 },   { "make_fifo", 1 }, { "make_block", 1 },
        { "make_sym", 1 },   { "refer", 2 },       { "truncate", 3 },  { "ioctl_dev", 5 },
};

const char *unotify_landlock_right_name(unsigned bit)
{
        return bit < UNOTIFY_LANDLOCK_RIGHTS ? rights[bit].name : NULL;
}

int unotify_landlock_right_from_name(const char *name)
{
        for (unsigned i = 0; i < UNOTIFY_LANDLOCK_RIGHTS; i++)
                if (strcmp(rights[i].name, name) == 0)
                        return (int)i;
        return -EINVAL;
}

unsigned unotify_landlock_right_abi(unsigned bit)
{
        return bit < UNOTIFY_LANDLOCK_RIGHTS ? rights[bit].abi : 0;
}

uint64_t unotify_landlock_abi_rights(int abi)
{
        uint64_t mask = 0;

        for (unsigned i = 0; i < UNOTIFY_LANDLOCK_RIGHTS; i++)
                if (abi > 0 && rights[i].abi <= (unsigned)abi)
                        mask |= UINT64_C(1) << i;
        return mask;
}

void unotify_landlock_clear(struct unotify_landlock *ll)
{
        if (!ll)
                return;
        for (size_t i = 0; i < ll->n_rules; i++)
                free(ll->rules[i].path);
        free(ll->rules);
        *ll = (struct unotify_landlock){};
}
