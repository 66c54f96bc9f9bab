/* A task's pid namespace as the daemon sees it through its /proc: who the
 * namespace's init is, and which task a pid the task names is. */
#pragma once

#include <sys/types.h>

/* One field of /proc/PID/status (its text after "NAME:"), read through
 * proc_fd. Returns 0, -ENOENT (gone), -EBADMSG (no such field), -errno. */
int pidns_status_field(int proc_fd, pid_t pid, const char *name, char *buf, size_t size);
/* The daemon's pid of the init (pid 1) of tid's pid namespace, or the
 * topmost ancestor of tid in it that the daemon sees; -1 on error. */
pid_t pidns_init(int proc_fd, pid_t tid);
/* The daemon's id of the thread that task tid calls `id` (a thread id in
 * tid's own pid namespace; 0: tid itself). Only threads in that same
 * namespace are found; a task in the daemon's own pid namespace (no
 * container) may name only threads of its own thread group. Returns the
 * id, or -ESRCH (none: also for threads outside) or -errno. */
pid_t pidns_translate(int proc_fd, pid_t tid, pid_t id);
