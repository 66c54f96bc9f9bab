/* Fuzz target for the bpf handler's decoding (daemon/handlers/
 * bpf_attr.h): a union bpf_attr of any size read from a fake address
 * space, a BPF_PROG_LOAD turned into the attr the daemon would load (its
 * license and instructions read through the task's pointers), an
 * attach or detach checked.
 *
 * The read is checked against the running kernel: the same address and
 * size go to a real bpf() with a command that does not exist, which fails
 * with EINVAL exactly when the kernel took the attr itself (E2BIG, EFAULT
 * before). A load the daemon accepts must be a device program of
 * 1..maxInstructions instructions and pass on nothing else: the daemon's
 * copies of the instructions and license (NUL-terminated) equal the
 * task's.
 *
 * Input: byte 0 the command (even: load), 2 bytes size, byte 3 the cap,
 * byte 4 which pointers to aim at the input (bit 0 license, bit 1
 * instructions) and bit 2 the program type forced, then the attr's bytes,
 * then what the pointers point to. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../daemon/handlers/bpf_attr.h"
#include "fake_mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int kernel_verdict(uint64_t addr, uint64_t size)
{
        long r = syscall(SYS_bpf, 0x7fff, (void *)(uintptr_t)addr, (unsigned)size);

        if (r >= 0)
                fuzz_fail(__LINE__);
        return errno == EINVAL ? 0 : -errno;
}

static bool zero(const void *p, size_t n)
{
        const unsigned char *b = p;

        for (size_t i = 0; i < n; i++)
                if (b[i])
                        return false;
        return true;
}

static bool unknown_fields(const struct task_mem *mem, uint64_t at, uint64_t size)
{
        unsigned char b;

        for (uint64_t off = sizeof(union bpf_attr); off < size; off++)
                if (mem->read(mem, at + off, &b, 1) == 0 && b)
                        return true;
        return false;
}

static void check_load(const struct task_mem *mem, const union bpf_attr *a,
                       const struct bpf_load *l, unsigned max)
{
        union bpf_attr rest = l->attr;
        char *copy;

        if (l->attr.prog_type != BPF_PROG_TYPE_CGROUP_DEVICE || !l->attr.insn_cnt ||
            l->attr.insn_cnt > max)
                fuzz_fail(__LINE__);
        if (l->attr.expected_attach_type && l->attr.expected_attach_type != BPF_CGROUP_DEVICE)
                fuzz_fail(__LINE__);
        if (l->attr.insns != (uintptr_t)l->insns || l->attr.license != (uintptr_t)l->license)
                fuzz_fail(__LINE__);
        if (!memchr(l->license, '\0', sizeof(l->license)) ||
            l->attr.prog_name[sizeof(l->attr.prog_name) - 1])
                fuzz_fail(__LINE__);
        rest.prog_type = rest.insn_cnt = rest.expected_attach_type = 0;
        rest.insns = rest.license = 0;
        memset(rest.prog_name, 0, sizeof(rest.prog_name));
        if (!zero(&rest, sizeof(rest)))
                fuzz_fail(__LINE__);
        copy = malloc((size_t)a->insn_cnt * sizeof(struct bpf_insn));
        if (!copy ||
            mem->read(mem, a->insns, copy, (size_t)a->insn_cnt * sizeof(struct bpf_insn)) ||
            memcmp(copy, l->insns, (size_t)a->insn_cnt * sizeof(struct bpf_insn)))
                fuzz_fail(__LINE__);
        free(copy);
        if (strncmp(l->license, (const char *)(uintptr_t)a->license, BPF_LICENSE_MAX - 1))
                fuzz_fail(__LINE__);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static unsigned char extra[4096 * 4];
        const char *why = NULL;
        union bpf_attr a;
        struct bpf_load l;
        struct fake_mem f;
        uint64_t asize, at;
        unsigned max;
        size_t alen;
        int r, theirs;

        if (size < 5)
                return 0;
        asize = (uint64_t)(data[1] | data[2] << 8) % (BPF_ATTR_MAX + 64);
        max = data[3] ? data[3] * 16u : 1000000;
        alen = size - 5 < asize ? size - 5 : (size_t)asize;
        /* The attr ends at the guard page: a size beyond the input runs
         * into it (bit 3: the input then zeros, all mapped). */
        if (alen < asize && (data[4] & 8)) {
                static unsigned char full[BPF_ATTR_MAX + 64];

                memset(full, 0, sizeof(full));
                memcpy(full, data + 5, alen);
                at = fake_mem_place(&f, full, (size_t)asize, extra, sizeof(extra));
        } else {
                at = fake_mem_place(&f, data + 5, alen, extra, sizeof(extra));
        }
        if (data[4] & 16)
                at = 0;
        memset(extra, 0, sizeof(extra));
        if (size - 5 > alen)
                memcpy(extra, data + 5 + alen,
                       size - 5 - alen < sizeof(extra) ? size - 5 - alen : sizeof(extra));

        r = bpf_attr_read(&f.mem, at, asize, &a);
        theirs = kernel_verdict(at, asize);
        /* A kernel whose union is larger takes fields the daemon does not
         * know (and may fault reading them); the daemon refuses them as a
         * non-zero tail (fails closed). */
        if (r != theirs && !(r == -E2BIG && unknown_fields(&f.mem, at, asize))) {
                fprintf(stderr, "ours %d kernel's %d at %#llx size %llu\n", r, theirs,
                        (unsigned long long)at, (unsigned long long)asize);
                fuzz_fail(__LINE__);
        }
        if (r < 0)
                return 0;
        if (data[4] & 1)
                a.license = (uintptr_t)extra + (data[0] >> 1) % 64;
        if (data[4] & 2)
                a.insns = (uintptr_t)extra + 1024 + (data[0] >> 1) % 8;
        if (data[4] & 4)
                a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE, a.insn_cnt %= 512;
        if (data[0] % 2 == 0) {
                r = bpf_load_prepare(&f.mem, &a, max, EPERM, &l, &why);
                if (r == 0)
                        check_load(&f.mem, &a, &l, max);
                else if (r == -EPERM ? !why : r != -EINVAL && r != -EFAULT && r != -ENOMEM)
                        fuzz_fail(__LINE__);
                bpf_load_done(&l);
        } else {
                r = bpf_attach_check(&a, EPERM, &why);
                if (r == 0 &&
                    (a.attach_type != BPF_CGROUP_DEVICE ||
                     (a.attach_flags & ~(uint32_t)(BPF_F_ALLOW_OVERRIDE | BPF_F_ALLOW_MULTI))))
                        fuzz_fail(__LINE__);
                if (r && r != -EINVAL && !(r == -EPERM && why))
                        fuzz_fail(__LINE__);
        }
        return 0;
}
