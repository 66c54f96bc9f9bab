#include "emulate/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unotify/macro.h"

#define LEVELS_MAX 64

/* Where the daemon sees the hierarchies: found once (mounts of
 * /sys/fs/cgroup do not move under a running daemon). "" when absent. */
static char v2_root[PATH_MAX], v1_memory_root[PATH_MAX];
static pthread_once_t roots_once = PTHREAD_ONCE_INIT;

/* mountinfo: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - TYPE SOURCE SUPER" */
static void scan_mount(char *line)
{
        char *fields[5], *save = NULL, *dash, *type, *super, *s = line;

        dash = strstr(line, " - ");
        if (!dash)
                return;
        *dash = '\0';
        for (int i = 0; i < 5; i++, s = NULL)
                if (!(fields[i] = strtok_r(s, " ", &save)))
                        return;
        type = strtok_r(dash + 3, " ", &save);
        (void)strtok_r(NULL, " ", &save); /* source */
        super = strtok_r(NULL, " \n", &save);
        if (!type || strcmp(fields[3], "/") != 0)
                return; /* a bind of a subtree would shift every path */
        if (!strcmp(type, "cgroup2") && !v2_root[0])
                snprintf(v2_root, sizeof(v2_root), "%s", fields[4]);
        else if (!strcmp(type, "cgroup") && super && !v1_memory_root[0]) {
                for (char *o = strtok_r(super, ",", &save); o; o = strtok_r(NULL, ",", &save))
                        if (!strcmp(o, "memory"))
                                snprintf(v1_memory_root, sizeof(v1_memory_root), "%s", fields[4]);
        }
}

static bool has_word(const char *s, const char *word)
{
        size_t n = strlen(word);

        for (const char *p = strstr(s, word); p; p = strstr(p + 1, word))
                if ((p == s || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || !p[n]))
                        return true;
        return false;
}

static void find_roots(void)
{
        _cleanup_(fclosep) FILE *f = fopen("/proc/self/mountinfo", "re");
        _cleanup_(freep) char *line = NULL;
        size_t cap = 0;

        char path[PATH_MAX + 32], buf[512] = "";
        _cleanup_(closep) int fd = -1;

        while (f && getline(&line, &cap, f) > 0)
                scan_mount(line);
        if (!v2_root[0])
                return;
        /* A hybrid host keeps the memory controller on v1: then v2 says
         * nothing about memory. */
        snprintf(path, sizeof(path), "%s/cgroup.controllers", v2_root);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || read(fd, buf, sizeof(buf) - 1) < 0 || !has_word(buf, "memory"))
                v2_root[0] = '\0';
}

/* A number file of the cgroup: "max" is UINT64_MAX. */
static int read_u64(const char *dir, const char *name, uint64_t *ret)
{
        char path[PATH_MAX + 64], buf[64];
        _cleanup_(closep) int fd = -1;
        ssize_t n;

        if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
                return -ENAMETOOLONG;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return n < 0 ? negative_errno() : -EBADMSG;
        buf[n] = '\0';
        if (!strncmp(buf, "max", 3)) {
                *ret = UINT64_MAX;
                return 0;
        }
        *ret = strtoull(buf, NULL, 10);
        return 0;
}

static uint64_t count_lines(const char *dir, const char *name)
{
        char path[PATH_MAX + 64];
        _cleanup_(fclosep) FILE *f = NULL;
        uint64_t n = 0;
        int c;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "re");
        while (f && (c = getc(f)) != EOF)
                n += c == '\n';
        return n;
}

/* The task's path in the hierarchy: v2's "0::" line, or the v1 line
 * whose controllers include memory. */
static int task_cgroup(int proc_fd, pid_t tid, bool v2, char *buf, size_t size)
{
        char path[64];
        _cleanup_(fclosep) FILE *f = NULL;
        _cleanup_(freep) char *line = NULL;
        size_t cap = 0;
        int fd;

        snprintf(path, sizeof(path), "%d/cgroup", (int)tid);
        fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ESRCH ? -ENOENT : negative_errno();
        f = fdopen(fd, "re");
        if (!f)
                return safe_close(fd), -ENOMEM;
        while (getline(&line, &cap, f) > 0) {
                char *ctl = strchr(line, ':'), *p = ctl ? strchr(ctl + 1, ':') : NULL;
                bool match;

                if (!p)
                        continue;
                *p++ = '\0';
                p[strcspn(p, "\n")] = '\0';
                if (v2)
                        match = !strcmp(line, "0") && !strcmp(ctl, ":");
                else {
                        char *save = NULL;

                        match = false;
                        for (char *c = strtok_r(ctl + 1, ",", &save); c && !match;
                             c = strtok_r(NULL, ",", &save))
                                match = !strcmp(c, "memory");
                }
                if (match) {
                        if (snprintf(buf, size, "%s", p) >= (int)size)
                                return -ENAMETOOLONG;
                        return 0;
                }
        }
        return -ENOENT;
}

/* Walk from dir up to (not including) root, keeping the smallest limit
 * and the usage of the cgroup that set it. */
static void walk_limits(const char *root, char *dir, bool v2, uint64_t none, struct memcg *ret)
{
        const char *limit_file = v2 ? "memory.max" : "memory.limit_in_bytes";
        const char *usage_file = v2 ? "memory.current" : "memory.usage_in_bytes";
        size_t root_len = strlen(root);

        for (int level = 0; level < LEVELS_MAX && strlen(dir) > root_len; level++) {
                uint64_t limit, v;
                char *slash;

                if (read_u64(dir, limit_file, &limit) == 0 && limit < ret->limit && limit < none &&
                    read_u64(dir, usage_file, &v) == 0) {
                        ret->limit = limit;
                        ret->usage = v;
                        if (level == 0 || ret->tasks == 0)
                                ret->tasks =
                                        v2 && read_u64(dir, "pids.current", &v) == 0
                                                ? v
                                                : count_lines(dir, v2 ? "cgroup.threads" : "tasks");
                }
                if (v2 && read_u64(dir, "memory.swap.max", &limit) == 0 &&
                    limit < ret->swap_limit && read_u64(dir, "memory.swap.current", &v) == 0) {
                        ret->swap_limit = limit;
                        ret->swap_usage = v;
                }
                /* v1 accounts memory + swap together. */
                if (!v2 && ret->limit < none &&
                    read_u64(dir, "memory.memsw.limit_in_bytes", &limit) == 0 &&
                    read_u64(dir, "memory.memsw.usage_in_bytes", &v) == 0 && limit >= ret->limit &&
                    limit - ret->limit < ret->swap_limit) {
                        ret->swap_limit = limit - ret->limit;
                        ret->swap_usage = v > ret->usage ? v - ret->usage : 0;
                }
                slash = strrchr(dir, '/');
                if (!slash)
                        break;
                *slash = '\0';
        }
}

static int read_hierarchy(int proc_fd, pid_t tid, const char *root, bool v2, uint64_t none,
                          struct memcg *ret)
{
        char rel[PATH_MAX], dir[2 * PATH_MAX];
        int r;

        if (!root[0])
                return -ENOENT;
        r = task_cgroup(proc_fd, tid, v2, rel, sizeof(rel));
        if (r < 0)
                return r;
        if (snprintf(dir, sizeof(dir), "%s%s", root, strcmp(rel, "/") ? rel : "") >=
            (int)sizeof(dir))
                return -ENAMETOOLONG;
        *ret = (struct memcg){ .v2 = v2, .limit = UINT64_MAX, .swap_limit = UINT64_MAX };
        walk_limits(root, dir, v2, none, ret);
        return 0;
}

int memcg_read(int proc_fd, pid_t tid, uint64_t none, struct memcg *ret)
{
        int r;

        pthread_once(&roots_once, find_roots);
        r = read_hierarchy(proc_fd, tid, v2_root, true, none, ret);
        if (r == -ENOENT)
                r = read_hierarchy(proc_fd, tid, v1_memory_root, false, none, ret);
        return r;
}
