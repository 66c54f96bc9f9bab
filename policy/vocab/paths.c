/* Path conditions: normalizing what a reader returns, and matching it.
 * Pure string work on the caller's buffer; no allocation. */
#include <fnmatch.h>
#include <string.h>

#include "internal.h"

/* In place: "//" and "/./" collapse, ".." removes the component before it
 * (lexically; at the root it stays at the root), no trailing "/" except
 * for the root itself. path starts with '/'. Returns the new length. */
size_t path_normalize(char *path)
{
        char *out = path + 1; /* after the leading '/' */
        const char *in = path;

        while (*in) {
                const char *seg, *end;
                size_t n;

                while (*in == '/')
                        in++;
                seg = in;
                end = strchrnul(seg, '/');
                n = (size_t)(end - seg);
                in = end;
                if (n == 0 || (n == 1 && seg[0] == '.'))
                        continue;
                if (n == 2 && seg[0] == '.' && seg[1] == '.') {
                        /* Back to the '/' before the last component. */
                        while (out > path + 1 && out[-1] != '/')
                                out--;
                        if (out > path + 1)
                                out--;
                        continue;
                }
                if (out > path + 1)
                        *out++ = '/';
                memmove(out, seg, n);
                out += n;
        }
        *out = '\0';
        return (size_t)(out - path);
}

/* "/etc" is a prefix of "/etc" and "/etc/x", not of "/etcx"; "/" of every
 * path. Both are normalized. */
static bool has_prefix(const char *path, const char *prefix)
{
        size_t n = strlen(prefix);

        if (n == 1)
                return true;
        return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

bool path_matches(const struct path_cond *c, const char *path)
{
        switch (c->kind) {
        case PATH_EXACT:
                return strcmp(path, c->pattern) == 0;
        case PATH_PREFIX:
                return has_prefix(path, c->pattern);
        case PATH_GLOB:
                /* FNM_PATHNAME: "*" stays within one component. */
                return fnmatch(c->pattern, path, FNM_PATHNAME) == 0;
        }
        return false;
}

size_t unotify_path_normalize(char *path)
{
        return path_normalize(path);
}
