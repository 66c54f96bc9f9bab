/* What the bpf handler makes of a task's union bpf_attr, without the task
 * (the fuzz target calls these alone): the attr read as the kernel's
 * copy_struct_from_user takes it, a BPF_PROG_LOAD checked against the rule
 * and turned into the attr the daemon loads (its own copies of the
 * instructions and license), an attach or detach checked. */
#pragma once

#include <linux/bpf.h>
#include <stdint.h>

#include "handlers/task_mem.h"

#define BPF_LICENSE_MAX 128 /* as the kernel's buffer */
#define BPF_ATTR_MAX 4096   /* a page, as the kernel bounds it */

/* size bytes at addr: -E2BIG above a page or for a non-zero tail beyond
 * our union, -EFAULT, else 0 with *a zero-filled past size. */
int bpf_attr_read(const struct task_mem *mem, uint64_t addr, uint64_t size, union bpf_attr *a);

struct bpf_load {
        union bpf_attr attr; /* what the daemon passes to BPF_PROG_LOAD */
        char license[BPF_LICENSE_MAX];
        struct bpf_insn *insns; /* malloc'd: bpf_load_done */
};

/* A device program of 1..max_insns instructions and nothing the handler
 * does not pass on; its instructions and license read from the task (a
 * license cut at 127 bytes, as the kernel does). Returns 0,
 * -refuse_errno with *why set, or the kernel's errno (-EINVAL, -EFAULT,
 * -ENOMEM). */
int bpf_load_prepare(const struct task_mem *mem, const union bpf_attr *a, unsigned max_insns,
                     int refuse_errno, struct bpf_load *l, const char **why);
void bpf_load_done(struct bpf_load *l);

/* BPF_PROG_ATTACH/DETACH: attach type BPF_CGROUP_DEVICE, flags
 * ALLOW_OVERRIDE/ALLOW_MULTI only (else -refuse_errno, *why), no other
 * field set (-EINVAL). */
int bpf_attach_check(const union bpf_attr *a, int refuse_errno, const char **why);
