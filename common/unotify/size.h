/* "64m", "1g", "4096": a size in bytes with an optional k, m or g suffix
 * (powers of 1024, either case), as tmpfs's size= and the policy's
 * maxSize take it. One parser for both, so the daemon never accepts a size
 * the policy loader would read otherwise. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/* Returns false on anything else: a sign or space first (strtoull would
 * take them), another suffix, trailing bytes, or a value past UINT64_MAX. */
static inline bool unotify_parse_size(const char *s, uint64_t *ret)
{
        unsigned long long v;
        unsigned shift = 0;
        char *end;

        if (*s < '0' || *s > '9')
                return false;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno)
                return false;
        switch (*end) {
        case 'k':
        case 'K':
                shift = 10;
                break;
        case 'm':
        case 'M':
                shift = 20;
                break;
        case 'g':
        case 'G':
                shift = 30;
                break;
        default:
                break;
        }
        if (shift)
                end++;
        if (*end || v > (UINT64_MAX >> shift))
                return false;
        *ret = (uint64_t)v << shift;
        return true;
}
