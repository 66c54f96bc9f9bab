/* The task's own magic links in an absolute path: /proc/self/fd/N,
 * /proc/self/exe, /proc/self/cwd, /proc/self/root, the same under
 * /proc/thread-self and /proc/PID (PID its own id in its pid namespace),
 * each possibly followed by more components.
 *
 * The kernel lets a task follow its own magic links whatever its
 * credentials (same thread group), and then checks the open of the object
 * against the inode, not against the mode of the fd it came from. The
 * daemon takes the same object from outside (pidfd_getfd(2) for an fd,
 * its own /proc/TID for exe, cwd and root) and the open handler reopens
 * it with the task's credentials, after the path rule was decided again
 * on the object's real path. Magic links of other processes are not
 * followed (ELOOP, as before): the kernel's ptrace check for those
 * involves the task's LSM label, which the daemon does not carry. */
#pragma once

#include <stdbool.h>

#include "handlers/handler.h"
#include "emulate/worker.h"

enum magic_kind { MAGIC_FD, MAGIC_EXE, MAGIC_CWD, MAGIC_ROOT };

struct magic_link {
        enum magic_kind kind;
        bool thread;      /* /proc/PID/task/TID/...: the thread's own */
        int fd;           /* MAGIC_FD: N */
        const char *rest; /* into the path: "" or "/..." after the link */
        char dir[64];     /* "proc/PID[/task/TID]", from the task's root */
};

/* Whether path (absolute; /proc/self already spelled /proc/PID, see
 * open.c) starts with one of the task's own magic links, spelled plainly.
 * Returns false for anything else, another process's included. */
bool magic_link_parse(const char *path, const struct task_creds *creds, struct magic_link *ret);

/* The object the link names, as an fd of the daemon: O_PATH for exe, cwd
 * and root, the task's own open file for an fd. Checks first that the
 * task's root has a procfs with that directory at /proc (else the path is
 * an ordinary one: returns 0, *ret_fd -1). Call with the daemon's
 * credentials. Returns 1 with *ret_fd set, 0, or -errno (-ENOENT: no such
 * fd, as the kernel's /proc/self/fd/N). */
int magic_link_open(struct emul_call *c, struct worker *w, int root_fd,
                    const struct task_creds *creds, const struct magic_link *m, int *ret_fd);
