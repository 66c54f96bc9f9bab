/* How the handlers' argument decoding reads the task's memory: through
 * these two calls, so the same decoding runs on a fake address space in
 * the fuzz targets (tests/fuzz/) and on the real task in the daemon
 * (task_mem.c: target_read_string and target_read). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct task_mem {
        /* A NUL-terminated string of at most size - 1 bytes: its length,
         * or -EFAULT, -ENAMETOOLONG, -errno. */
        ssize_t (*read_string)(const struct task_mem *m, uint64_t addr, char *buf, size_t size);
        /* n bytes: 0 or -EFAULT, -errno. */
        int (*read)(const struct task_mem *m, uint64_t addr, void *buf, size_t n);
        pid_t pid;
        void *userdata;
};

/* The real task's memory (the daemon only). */
struct task_mem task_mem_of(pid_t pid);
