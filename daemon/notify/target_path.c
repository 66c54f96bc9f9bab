#include "notify/target_path.h"

#include <errno.h>
#include <string.h>

int target_path_strip_root(char *dir, const char *root)
{
        size_t rl = strlen(root);

        if (dir[0] != '/')
                return -ENOTDIR;
        if (rl > 1 && !strncmp(dir, root, rl) && (dir[rl] == '/' || dir[rl] == '\0'))
                memmove(dir, dir + rl, strlen(dir + rl) + 1);
        if (dir[0] == '\0')
                strcpy(dir, "/");
        return 0;
}

int target_path_join(const char *dir, const char *rel, char *buf, size_t size)
{
        size_t n = strlen(rel), dl = strlen(dir);
        size_t sep = strcmp(dir, "/") != 0;

        if (rel[0] == '/') {
                if (n + 1 > size)
                        return -ENAMETOOLONG;
                memcpy(buf, rel, n + 1);
                return (int)n;
        }
        if (dl + sep + n + 1 > size)
                return -ENAMETOOLONG;
        memmove(buf, dir, dl); /* dir may be buf itself */
        if (sep)
                buf[dl] = '/';
        memcpy(buf + dl + sep, rel, n + 1);
        return (int)(dl + sep + n);
}
