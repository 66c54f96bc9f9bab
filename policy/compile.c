/* From a checked draft to the immutable policy the daemon decides with:
 * per-ABI tables indexed by syscall number, the sorted syscall set and its
 * digest. */
#include <linux/audit.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* x32 tasks report AUDIT_ARCH_X86_64 and set this bit in the syscall
 * number (arch/x86/include/uapi/asm/unistd.h); libseccomp's x32 numbers
 * include it too. Not in the uapi headers of other architectures. */
#define X32_SYSCALL_BIT 0x40000000u

#define FNV64_OFFSET 0xcbf29ce484222325ULL
#define FNV64_PRIME  0x100000001b3ULL

/* libseccomp's SCMP_ARCH_* tokens are the AUDIT_ARCH_* values the kernel
 * puts in seccomp_data.arch, except x32 (see above). */
size_t policy_arches(struct policy_arch ret[static POLICY_MAX_ARCHES])
{
        uint32_t native = seccomp_arch_native();
        size_t n = 0;

        ret[n++] = (struct policy_arch){ .token = native, .audit_arch = native };
        if (native == SCMP_ARCH_X86_64) {
                ret[n++] = (struct policy_arch){ .token = SCMP_ARCH_X86,
                                                 .audit_arch = AUDIT_ARCH_I386 };
                ret[n++] = (struct policy_arch){ .token = SCMP_ARCH_X32,
                                                 .audit_arch = AUDIT_ARCH_X86_64,
                                                 .nr_base = X32_SYSCALL_BIT };
        } else if (native == SCMP_ARCH_AARCH64) {
                ret[n++] = (struct policy_arch){ .token = SCMP_ARCH_ARM,
                                                 .audit_arch = AUDIT_ARCH_ARM };
        }
        return n;
}

static size_t total_names(const struct draft *d)
{
        size_t n = 0;

        for (size_t i = 0; i < d->n_rules; i++)
                n += d->rules[i].n_names;
        return n;
}

/* Where name goes in the table of arch a, or -1: not a syscall there
 * (libseccomp gives negative pseudo numbers for those). */
static int64_t table_index(const struct policy_arch *a, const char *name)
{
        int nr = seccomp_syscall_resolve_name_arch(a->token, name);

        if (nr < 0 || (uint32_t)nr < a->nr_base)
                return -1;
        return (int64_t)((uint32_t)nr - a->nr_base);
}

/* The table index of every (rule, name) pair on arch a, flattened in file
 * order; -1 where the name is not a syscall of a, or repeats a number
 * already taken by the same rule. Returns the table size they need. */
static uint32_t resolve_all(const struct draft *d, const struct policy_arch *a, int64_t *idx)
{
        uint32_t size = 0;
        size_t k = 0;

        for (size_t i = 0; i < d->n_rules; i++) {
                size_t start = k;

                for (size_t j = 0; j < d->rules[i].n_names; j++, k++) {
                        idx[k] = table_index(a, d->rules[i].names[j]);
                        for (size_t m = start; m < k && idx[k] >= 0; m++)
                                if (idx[m] == idx[k])
                                        idx[k] = -1;
                        if (idx[k] >= 0 && (uint32_t)idx[k] >= size)
                                size = (uint32_t)idx[k] + 1;
                }
        }
        return size;
}

/* Counting sort of the pairs by number: each slot then lists its rules
 * in file order, which first-match needs. */
static int fill_table(struct arch_table *t, const struct draft *d, const int64_t *idx, size_t n)
{
        uint32_t total = 0;
        size_t k = 0;

        for (size_t i = 0; i < n; i++)
                if (idx[i] >= 0)
                        t->slots[idx[i]].count++;
        for (uint32_t s = 0; s < t->size; s++) {
                t->slots[s].first = total;
                total += t->slots[s].count;
                t->slots[s].count = 0;
        }
        t->refs = calloc(total ?: 1, sizeof(*t->refs));
        if (!t->refs)
                return -ENOMEM;
        for (size_t i = 0; i < d->n_rules; i++)
                for (size_t j = 0; j < d->rules[i].n_names; j++, k++) {
                        struct slot *s;

                        if (idx[k] < 0)
                                continue;
                        s = &t->slots[idx[k]];
                        t->refs[s->first + s->count++] = (uint32_t)i;
                }
        return 0;
}

static int build_table(struct arch_table *t, const struct draft *d, const struct policy_arch *a)
{
        size_t n = total_names(d);
        _cleanup_(freep) int64_t *idx = calloc(n ?: 1, sizeof(*idx));

        if (!idx)
                return -ENOMEM;
        *t = (struct arch_table){ .audit_arch = a->audit_arch, .nr_base = a->nr_base };
        t->size = resolve_all(d, a, idx);
        if (t->size == 0)
                return 0;
        t->slots = calloc(t->size, sizeof(*t->slots));
        if (!t->slots)
                return -ENOMEM;
        return fill_table(t, d, idx, n);
}

static int cmp_names(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int collect_syscalls(struct unotify_policy *p, const struct draft *d)
{
        size_t n = total_names(d), k = 0;
        _cleanup_(freep) const char **all = calloc(n ?: 1, sizeof(*all));

        if (!all)
                return -ENOMEM;
        for (size_t i = 0; i < d->n_rules; i++)
                for (size_t j = 0; j < d->rules[i].n_names; j++)
                        all[k++] = d->rules[i].names[j];
        qsort(all, n, sizeof(*all), cmp_names);
        p->syscalls = calloc(n ?: 1, sizeof(*p->syscalls));
        if (!p->syscalls)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (i > 0 && strcmp(all[i], all[i - 1]) == 0)
                        continue;
                p->syscalls[p->n_syscalls] = strdup(all[i]);
                if (!p->syscalls[p->n_syscalls])
                        return -ENOMEM;
                p->n_syscalls++;
        }
        return 0;
}

static int copy_rules(struct unotify_policy *p, const struct draft *d)
{
        p->rules = calloc(d->n_rules ?: 1, sizeof(*p->rules));
        if (!p->rules)
                return -ENOMEM;
        for (size_t i = 0; i < d->n_rules; i++)
                p->rules[i] = d->rules[i].rule;
        p->n_rules = d->n_rules;
        return 0;
}

int policy_compile(const struct draft *d, const char *origin, struct unotify_policy **ret)
{
        _cleanup_(unotify_policy_unrefp) struct unotify_policy *p = policy_alloc(d->name, origin);
        struct policy_arch arches[POLICY_MAX_ARCHES];
        size_t n_arches = policy_arches(arches);
        int r;

        if (!p)
                return -ENOMEM;
        p->default_decision = d->default_decision;
        r = copy_rules(p, d);
        if (r < 0)
                return r;
        r = collect_syscalls(p, d);
        if (r < 0)
                return r;
        p->digest = digest_sorted((const char *const *)p->syscalls, p->n_syscalls);
        for (size_t i = 0; i < n_arches; i++) {
                r = build_table(&p->tables[p->n_tables++], d, &arches[i]);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(p);
        return 0;
}

static uint64_t fnv1a(uint64_t h, const char *s)
{
        /* The terminating NUL is hashed too: {"ab","c"} != {"a","bc"}. */
        do {
                h ^= (unsigned char)*s;
                h *= FNV64_PRIME;
        } while (*s++);
        return h;
}

uint64_t digest_sorted(const char *const *names, size_t count)
{
        uint64_t h = FNV64_OFFSET;

        for (size_t i = 0; i < count; i++)
                h = fnv1a(h, names[i]);
        return h;
}

/* Selection instead of sorting a copy: no allocation, hence no error to
 * return; the lists are a few hundred names at most, hashed once. */
uint64_t unotify_syscalls_digest(const char *const *names, size_t count)
{
        uint64_t h = FNV64_OFFSET;
        const char *prev = NULL;

        for (;;) {
                const char *next = NULL;

                for (size_t i = 0; i < count; i++)
                        if ((!prev || strcmp(names[i], prev) > 0) &&
                            (!next || strcmp(names[i], next) < 0))
                                next = names[i];
                if (!next)
                        return h;
                h = fnv1a(h, next);
                prev = next;
        }
}
