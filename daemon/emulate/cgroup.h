/* A task's memory cgroup as the sysinfo handler needs it: the limit that
 * applies to it (the smallest of its cgroup's and its ancestors'), the
 * usage of the cgroup that sets that limit, the same for swap, and how
 * many tasks are in it. cgroup v2 (memory.max) where the memory
 * controller is there, else v1's memory hierarchy (memory.limit_in_bytes).
 * Read from the daemon's view of /sys/fs/cgroup, found once in its
 * mountinfo. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct memcg {
        bool v2;
        uint64_t limit; /* bytes; UINT64_MAX: none */
        uint64_t usage;
        uint64_t swap_limit; /* UINT64_MAX: none or not accounted */
        uint64_t swap_usage;
        uint64_t tasks; /* 0: unknown */
};

/* The memory cgroup of task tid (its /proc/TID/cgroup read through
 * proc_fd). A limit of at least `none` (the host's RAM) counts as none:
 * its cgroup's usage and tasks are then not read. Returns 0, -ENOENT (no
 * memory controller or the task is gone) or -errno. */
int memcg_read(int proc_fd, pid_t tid, uint64_t none, struct memcg *ret);
