#include "handlers/open_how.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

/* VALID_OPEN_FLAGS and O_PATH_FLAGS of the kernel's fs/fcntl.c and
 * fs/open.c; the resolve bits openat2(2) documents. */
#define VALID_OPEN_FLAGS                                                                      \
        (O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_SYNC | \
         O_DSYNC | FASYNC | O_DIRECT | K_O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | \
         O_CLOEXEC | O_PATH | K_O_TMPFILE)
#define O_PATH_FLAGS (O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC)
#define VALID_RESOLVE_FLAGS                                                                \
        (RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | \
         RESOLVE_IN_ROOT | RESOLVE_CACHED)

struct open_how open_how_legacy(uint64_t flags, uint64_t mode)
{
        struct open_how how = { .flags = flags & (uint64_t)VALID_OPEN_FLAGS, .mode = mode & 07777 };

        if (how.flags & O_PATH)
                how.flags &= O_PATH_FLAGS;
        if (!(how.flags & (O_CREAT | K_O_TMPFILE)))
                how.mode = 0;
        return how;
}

int open_how_size_check(uint64_t size)
{
        if (size < OPEN_HOW_SIZE_VER0)
                return -EINVAL;
        if (size > OPEN_HOW_SIZE_MAX)
                return -E2BIG;
        return 0;
}

static int check_flags(const struct open_how *how)
{
        uint64_t f = how->flags;

        if (f & ~(uint64_t)VALID_OPEN_FLAGS)
                return -EINVAL;
        if (how->mode & ~(uint64_t)07777)
                return -EINVAL;
        if (how->mode && !(f & (O_CREAT | K_O_TMPFILE)))
                return -EINVAL;
        if ((f & O_PATH) && (f & ~(uint64_t)O_PATH_FLAGS))
                return -EINVAL;
        if (f & K_O_TMPFILE) {
                /* O_TMPFILE needs O_DIRECTORY, not O_CREAT, and write access
                 * (the access mode 3 counts as read and write). */
                if ((f & (K_O_TMPFILE | O_DIRECTORY | O_CREAT)) != (K_O_TMPFILE | O_DIRECTORY))
                        return -EINVAL;
                if ((f & O_ACCMODE) == O_RDONLY)
                        return -EINVAL;
        }
        if ((f & (O_CREAT | O_DIRECTORY)) == (O_CREAT | O_DIRECTORY))
                return -EINVAL;
        return 0;
}

static int check_resolve(const struct open_how *how)
{
        if (how->resolve & ~(uint64_t)VALID_RESOLVE_FLAGS)
                return -EINVAL;
        if ((how->resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) ==
            (RESOLVE_BENEATH | RESOLVE_IN_ROOT))
                return -EINVAL;
        if ((how->resolve & RESOLVE_CACHED) && (how->flags & (O_TRUNC | O_CREAT | K_O_TMPFILE)))
                return -EAGAIN;
        return 0;
}

int open_how_decode(const unsigned char *buf, uint64_t size, struct open_how *ret)
{
        struct open_how how = {};
        int r = open_how_size_check(size);

        if (r < 0)
                return r;
        for (size_t i = sizeof(how); i < size; i++)
                if (buf[i])
                        return -E2BIG;
        memcpy(&how, buf, size < sizeof(how) ? (size_t)size : sizeof(how));
        r = check_flags(&how);
        if (r == 0)
                r = check_resolve(&how);
        if (r == 0)
                *ret = how;
        return r;
}
