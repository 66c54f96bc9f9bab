/* The bpf handler's attr decoding (bpf_attr.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/bpf_attr.h"

static bool all_zero(const void *p, size_t n)
{
        const unsigned char *b = p;

        for (size_t i = 0; i < n; i++)
                if (b[i])
                        return false;
        return true;
}

int bpf_attr_read(const struct task_mem *mem, uint64_t addr, uint64_t size, union bpf_attr *a)
{
        unsigned char chunk[4096];

        memset(a, 0, sizeof(*a));
        if (size > BPF_ATTR_MAX)
                return -E2BIG;
        /* As the kernel: the tail beyond the union first, page by page (a
         * fault is a page's), a non-zero byte before any fault -E2BIG. */
        for (uint64_t off = sizeof(*a); off < size;) {
                uint64_t at = addr + off;
                size_t n = (size_t)(size - off < 4096 - at % 4096 ? size - off : 4096 - at % 4096);
                int r = mem->read(mem, at, chunk, n);

                if (r < 0)
                        return r;
                if (!all_zero(chunk, n))
                        return -E2BIG;
                off += n;
        }
        return mem->read(mem, addr, a, (size_t)(size < sizeof(*a) ? size : sizeof(*a)));
}

/* strncpy_from_user(license, 127) then a NUL at 127: a longer one is cut. */
static int read_license(const struct task_mem *mem, uint64_t addr, char *license)
{
        ssize_t n = mem->read_string(mem, addr, license, BPF_LICENSE_MAX);

        if (n == -ENAMETOOLONG) {
                n = mem->read(mem, addr, license, BPF_LICENSE_MAX - 1);
                license[BPF_LICENSE_MAX - 1] = '\0';
        }
        return n < 0 ? (int)n : 0;
}

static int refuse(int refuse_errno, const char **why, const char *what)
{
        *why = what;
        return -refuse_errno;
}

int bpf_load_prepare(const struct task_mem *mem, const union bpf_attr *a, unsigned max_insns,
                     int refuse_errno, struct bpf_load *l, const char **why)
{
        union bpf_attr rest = *a;
        int r;

        memset(l, 0, sizeof(*l));
        if (a->prog_type != BPF_PROG_TYPE_CGROUP_DEVICE)
                return refuse(refuse_errno, why,
                              "a program type other than BPF_PROG_TYPE_CGROUP_DEVICE");
        if (a->expected_attach_type && a->expected_attach_type != BPF_CGROUP_DEVICE)
                return -EINVAL;
        /* What is passed on; the log is not (the task gets none). */
        rest.prog_type = rest.insn_cnt = rest.log_level = rest.log_size = rest.kern_version = 0;
        rest.insns = rest.license = rest.log_buf = 0;
        rest.expected_attach_type = 0;
        memset(rest.prog_name, 0, sizeof(rest.prog_name));
        if (!all_zero(&rest, sizeof(rest)))
                return refuse(
                        refuse_errno, why,
                        "program load fields the handler does not pass on (flags, BTF, fd arrays)");
        if (a->insn_cnt == 0)
                return -EINVAL;
        if (a->insn_cnt > max_insns)
                return refuse(refuse_errno, why,
                              "more instructions than the rule's maxInstructions");
        r = read_license(mem, a->license, l->license);
        if (r < 0)
                return r;
        l->insns = calloc(a->insn_cnt, sizeof(*l->insns));
        if (!l->insns)
                return -ENOMEM;
        r = mem->read(mem, a->insns, l->insns, (size_t)a->insn_cnt * sizeof(*l->insns));
        if (r < 0)
                return bpf_load_done(l), r;
        l->attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        l->attr.expected_attach_type = a->expected_attach_type;
        l->attr.insn_cnt = a->insn_cnt;
        l->attr.insns = (uint64_t)(uintptr_t)l->insns;
        l->attr.license = (uint64_t)(uintptr_t)l->license;
        memcpy(l->attr.prog_name, a->prog_name, sizeof(l->attr.prog_name) - 1);
        return 0;
}

void bpf_load_done(struct bpf_load *l)
{
        free(l->insns);
        l->insns = NULL;
}

int bpf_attach_check(const union bpf_attr *a, int refuse_errno, const char **why)
{
        const uint32_t flags_ok = BPF_F_ALLOW_OVERRIDE | BPF_F_ALLOW_MULTI;
        union bpf_attr rest = *a;

        if (a->attach_type != BPF_CGROUP_DEVICE || (a->attach_flags & ~flags_ok))
                return refuse(refuse_errno, why,
                              "an attach type other than BPF_CGROUP_DEVICE, or BPF_F_REPLACE");
        rest.target_fd = rest.attach_bpf_fd = rest.attach_type = rest.attach_flags = 0;
        return all_zero(&rest, sizeof(rest)) ? 0 : -EINVAL;
}
