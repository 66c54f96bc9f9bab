/* Which syscall numbers a policy's filter sends to the daemon, as a
 * bitmap per ABI, so that the daemon can tell a notification its own
 * filter would not have made (a filter not built from the policy). */
#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "compile/compile.h"

static int set_bit(struct arch_table *t, uint32_t idx)
{
        if (idx >= t->notified_bits) {
                uint32_t bits = (idx / 64 + 1) * 64;
                uint64_t *grown = reallocarray(t->notified, bits / 64, sizeof(uint64_t));

                if (!grown)
                        return -ENOMEM;
                memset(grown + t->notified_bits / 64, 0, (bits - t->notified_bits) / 8);
                t->notified = grown;
                t->notified_bits = bits;
        }
        t->notified[idx / 64] |= 1ull << (idx % 64);
        return 0;
}

/* The numbers libseccomp's NOTIFY rule for name covers on table t (a
 * learning policy's kernel rules: its own number only, as socketcall and
 * ipc still notify their other calls). */
static int mark_notified(struct arch_table *t, const char *name, bool learns)
{
        const struct mux_entry *m = t->token == SCMP_ARCH_X86 && !learns ? mux_lookup(name) : NULL;
        int64_t idx = policy_name_index(t, name);
        int r = 0;

        if (idx >= 0)
                r = set_bit(t, (uint32_t)idx);
        if (r >= 0 && m)
                r = set_bit(t, (uint32_t)mux_nr(m->via));
        return r;
}

int policy_plan_compile(struct unotify_policy *p)
{
        int r = unotify_kernel_plan_new(p, NULL, &p->plan);

        /* A policy that learns: the bits are what the kernel decides, as
         * every other call is notified. */
        for (size_t i = 0; r >= 0 && i < p->plan->n_entries; i++) {
                if (p->plan->entries[i].kind !=
                    (p->learns ? UNOTIFY_KERNEL_RULES : UNOTIFY_KERNEL_NOTIFY))
                        continue;
                for (size_t k = 0; r >= 0 && k < p->n_tables; k++)
                        r = mark_notified(&p->tables[k], p->plan->entries[i].name, p->learns);
        }
        return r;
}

bool unotify_policy_notifies(const struct unotify_policy *p, const struct seccomp_data *data)
{
        const struct arch_table *best = NULL;
        uint32_t nr = (uint32_t)data->nr, idx;

        if (!p->plan || p->no_filter)
                return true;
        /* x86_64 and x32 share an audit arch: the table is the one with the
         * highest base at or below the number. */
        for (size_t i = 0; i < p->n_tables; i++) {
                const struct arch_table *t = &p->tables[i];

                if (t->audit_arch == data->arch && nr >= t->nr_base &&
                    (!best || t->nr_base > best->nr_base))
                        best = t;
        }
        if (!best)
                return false;
        idx = nr - best->nr_base;
        return p->learns !=
               (idx < best->notified_bits && (best->notified[idx / 64] >> (idx % 64)) & 1);
}
