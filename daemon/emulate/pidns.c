#include "emulate/pidns.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unotify/macro.h"

#define ANCESTORS_MAX 128

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

int pidns_status_field(int proc_fd, pid_t pid, const char *name, char *buf, size_t size)
{
        char path[64], text[4096];
        _cleanup_(closep) int fd = -1;
        size_t len = strlen(name);
        ssize_t n;

        snprintf(path, sizeof(path), "%d/status", (int)pid);
        fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ESRCH ? -ENOENT : negative_errno();
        n = read(fd, text, sizeof(text) - 1);
        if (n < 0)
                return errno == ESRCH ? -ENOENT : negative_errno();
        text[n] = '\0';
        for (char *line = text; line && *line;
             line = strchr(line, '\n'), line = line ? line + 1 : NULL)
                if (!strncmp(line, name, len) && line[len] == ':') {
                        line += len + 1;
                        snprintf(buf, size, "%.*s", (int)strcspn(line, "\n"), line);
                        return 0;
                }
        return -EBADMSG;
}

/* How deep pid's pid namespace is (ids in NSpid) and its id there. */
static int ns_id(int proc_fd, pid_t pid, const char *field, int *ret_depth, long *ret_inner)
{
        char buf[256], *s, *end;
        int r = pidns_status_field(proc_fd, pid, field, buf, sizeof(buf));

        if (r < 0)
                return r;
        *ret_depth = 0;
        for (s = buf;; s = end) {
                long v = strtol(s, &end, 10);

                if (end == s)
                        break;
                *ret_inner = v;
                (*ret_depth)++;
        }
        return *ret_depth > 0 ? 0 : -EBADMSG;
}

/* PPid and the depth and innermost id of NStgid, from one read. */
static int parent_and_ns(int proc_fd, pid_t pid, pid_t *ret_parent, int *ret_depth, long *ret_inner)
{
        char path[64], text[4096], *l;
        _cleanup_(closep) int fd = -1;
        ssize_t n;

        snprintf(path, sizeof(path), "%d/status", (int)pid);
        fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || (n = read(fd, text, sizeof(text) - 1)) < 0)
                return -ESRCH;
        text[n] = '\0';
        *ret_depth = 0;
        *ret_parent = 0;
        if ((l = strstr(text, "\nPPid:")))
                *ret_parent = (pid_t)atoi(l + 6);
        if ((l = strstr(text, "\nNStgid:"))) {
                char *end;

                for (l += 8;; l = end) {
                        long v = strtol(l, &end, 10);

                        if (end == l)
                                break;
                        *ret_inner = v;
                        (*ret_depth)++;
                }
        }
        return *ret_depth > 0 ? 0 : -EBADMSG;
}

/* Up the parents while they are in the same namespace (the same depth: a
 * child's namespace is its parent's or deeper) until the one that is 1. */
pid_t pidns_init(int proc_fd, pid_t tid)
{
        pid_t p = tid, parent;
        long inner;
        int depth, d;

        if (parent_and_ns(proc_fd, tid, &parent, &depth, &inner) < 0)
                return -1;
        for (int i = 0; i < ANCESTORS_MAX && inner != 1; i++) {
                pid_t grand;

                if (parent <= 0 || parent_and_ns(proc_fd, parent, &grand, &d, &inner) < 0 ||
                    d != depth)
                        return p;
                p = parent;
                parent = grand;
        }
        return p;
}

static int ns_inode(int proc_fd, const char *path, struct stat *ret)
{
        return fstatat(proc_fd, path, ret, 0) < 0 ? negative_errno() : 0;
}

/* In the thread group tgid (known to be in the namespace), the thread
 * whose innermost id is id. */
static pid_t find_thread(int proc_fd, pid_t tgid, pid_t id)
{
        char path[64];
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *e;
        int fd, depth;
        long inner;

        snprintf(path, sizeof(path), "%d/task", (int)tgid);
        fd = openat(proc_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || !(d = fdopendir(fd))) {
                safe_close(fd);
                return -ESRCH;
        }
        while ((e = readdir(d))) {
                pid_t t = (pid_t)atoi(e->d_name);

                if (t > 0 && ns_id(proc_fd, t, "NSpid", &depth, &inner) == 0 && inner == id)
                        return t;
        }
        return -ESRCH;
}

pid_t pidns_translate(int proc_fd, pid_t tid, pid_t id)
{
        _cleanup_(closedirp) DIR *d = NULL;
        char path[64], buf[32];
        struct stat own, st;
        struct dirent *e;
        long inner;
        int depth, fd, r;

        if (id == 0)
                return tid;
        if (id < 0)
                return -ESRCH;
        r = ns_id(proc_fd, tid, "NSpid", &depth, &inner);
        if (r < 0)
                return r;
        if (inner == id)
                return tid;
        if (depth == 1) {
                /* No pid namespace of its own: its own thread group only. */
                if (pidns_status_field(proc_fd, tid, "Tgid", buf, sizeof(buf)) < 0)
                        return -ESRCH;
                return find_thread(proc_fd, (pid_t)atoi(buf), id);
        }
        snprintf(path, sizeof(path), "%d/ns/pid", (int)tid);
        r = ns_inode(proc_fd, path, &own);
        if (r < 0)
                return r;
        fd = openat(proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || !(d = fdopendir(fd))) {
                safe_close(fd);
                return -ENOMEM;
        }
        /* Every thread group of that namespace; the stat of ns/pid rules
         * out the others cheaply. */
        while ((e = readdir(d))) {
                pid_t p = (pid_t)atoi(e->d_name);

                if (p <= 0)
                        continue;
                snprintf(path, sizeof(path), "%d/ns/pid", (int)p);
                if (ns_inode(proc_fd, path, &st) < 0 || st.st_ino != own.st_ino ||
                    st.st_dev != own.st_dev)
                        continue;
                if (ns_id(proc_fd, p, "NStgid", &depth, &inner) == 0 && inner == id)
                        return p;
                r = find_thread(proc_fd, p, id);
                if (r > 0)
                        return r;
        }
        return -ESRCH;
}
