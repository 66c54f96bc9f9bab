/* A task's memory for the handler-argument fuzz targets (task_mem.h):
 * regions of this process's own memory, the first one ending right
 * before a PROT_NONE page, so that the same address given to a real
 * syscall faults exactly where the fake reader says -EFAULT. */
#pragma once

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../daemon/handlers/task_mem.h"

#define FAKE_MEM_SIZE (16 * 4096)

struct fake_mem {
        struct task_mem mem;
        uintptr_t start[2], end[2];
};

/* Bytes at addr..addr+n all inside one region: how many are (0: none). */
static inline size_t fake_mem_avail(const struct task_mem *m, uint64_t addr)
{
        const struct fake_mem *f = (const struct fake_mem *)m;

        for (int i = 0; i < 2; i++)
                if (addr >= f->start[i] && addr < f->end[i])
                        return f->end[i] - (uintptr_t)addr;
        return 0;
}

static inline ssize_t fake_read_string(const struct task_mem *m, uint64_t addr, char *buf,
                                       size_t size)
{
        size_t avail = fake_mem_avail(m, addr);
        const char *p = (const char *)(uintptr_t)addr;

        for (size_t i = 0; i < size; i++) {
                if (i >= avail)
                        return -EFAULT;
                buf[i] = p[i];
                if (!p[i])
                        return (ssize_t)i;
        }
        buf[size - 1] = '\0';
        return -ENAMETOOLONG;
}

static inline int fake_read(const struct task_mem *m, uint64_t addr, void *buf, size_t n)
{
        if (n == 0)
                return 0;
        if (fake_mem_avail(m, addr) < n)
                return -EFAULT;
        memcpy(buf, (const void *)(uintptr_t)addr, n);
        return 0;
}

/* The guarded region (made once); data copied to its end. Returns the
 * address of the copy; extra (extra_len bytes) is the second region. */
static inline uint64_t fake_mem_place(struct fake_mem *f, const void *data, size_t len, void *extra,
                                      size_t extra_len)
{
        static char *region;

        if (!region) {
                region = mmap(NULL, FAKE_MEM_SIZE + 4096, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (region == MAP_FAILED || mprotect(region + FAKE_MEM_SIZE, 4096, PROT_NONE) < 0)
                        abort();
        }
        if (len > FAKE_MEM_SIZE)
                len = FAKE_MEM_SIZE;
        memcpy(region + FAKE_MEM_SIZE - len, data, len);
        f->mem = (struct task_mem){ .read_string = fake_read_string, .read = fake_read };
        f->start[0] = (uintptr_t)region;
        f->end[0] = (uintptr_t)region + FAKE_MEM_SIZE;
        f->start[1] = (uintptr_t)extra;
        f->end[1] = (uintptr_t)extra + extra_len;
        return (uint64_t)(uintptr_t)(region + FAKE_MEM_SIZE - len);
}

/* A broken invariant: which one, then the crash libFuzzer keeps. */
#include <stdio.h>
static inline void fuzz_fail(int line)
{
        fprintf(stderr, "invariant at line %d broken\n", line);
        abort();
}
