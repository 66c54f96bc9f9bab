/* The digest of a policy's syscall set: launchers send it back at handoff
 * so the daemon can refuse a filter built from another version. */
#include <string.h>

#include "internal.h"

#define FNV64_PRIME 0x100000001b3ULL

uint64_t digest_add(uint64_t h, const char *s)
{
        /* The terminating NUL is hashed too: {"ab","c"} != {"a","bc"}. */
        do {
                h ^= (unsigned char)*s;
                h *= FNV64_PRIME;
        } while (*s++);
        return h;
}

uint64_t digest_sorted(const char *const *names, size_t count)
{
        uint64_t h = DIGEST_INIT;

        for (size_t i = 0; i < count; i++)
                h = digest_add(h, names[i]);
        return h;
}

/* Selection instead of sorting a copy: no allocation, hence no error to
 * return; the lists are a few hundred names at most, hashed once. */
uint64_t unotify_syscalls_digest(const char *const *names, size_t count)
{
        uint64_t h = DIGEST_INIT;
        const char *prev = NULL;

        for (;;) {
                const char *next = NULL;

                for (size_t i = 0; i < count; i++)
                        if ((!prev || strcmp(names[i], prev) > 0) &&
                            (!next || strcmp(names[i], next) < 0))
                                next = names[i];
                if (!next)
                        return h;
                h = digest_add(h, next);
                prev = next;
        }
}
