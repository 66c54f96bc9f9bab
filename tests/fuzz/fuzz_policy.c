/* Fuzz target for the policy loader: an admin's file, or a profile copied
 * from elsewhere, is untrusted text. Whatever it holds, the load either
 * fails with at least one error that says something, or gives a policy
 * whose kernel plan and daemon decisions agree: a syscall the plan leaves
 * to the kernel is never one the policy says it notifies, and the other
 * way round. Built for libFuzzer with -DUNOTIFY_FUZZ=ON; runs in ctest
 * through fuzz_driver.c. */
#include <errno.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unotify/filter.h"
#include "unotify/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_refusal(const struct unotify_diags *diags)
{
        if (unotify_diags_errors(diags) == 0)
                abort(); /* a refused file must say why */
        for (size_t i = 0; i < diags->count; i++)
                if (!diags->items[i].message || !diags->items[i].message[0])
                        abort();
}

/* Every plan entry against the O(1) table the daemon checks with. */
static void check_plan(const struct unotify_policy *p)
{
        const struct unotify_kernel_plan *plan = unotify_policy_kernel_plan(p);
        uint32_t arch = seccomp_arch_native();

        if (!plan)
                abort();
        for (size_t i = 0; i < plan->n_entries; i++) {
                const struct unotify_kernel_entry *e = &plan->entries[i];
                int nr = seccomp_syscall_resolve_name_arch(arch, e->name);
                struct seccomp_data d = { .nr = nr, .arch = arch };

                if (!e->name || (e->kind == UNOTIFY_KERNEL_NOTIFY) != !!e->why)
                        abort();
                if (nr < 0)
                        continue; /* only on a compat ABI */
                /* A policy that learns notifies all the kernel does not decide. */
                if (unotify_policy_notifies(p, &d) !=
                    (e->kind == UNOTIFY_KERNEL_NOTIFY ||
                     (plan->notify_default && e->kind != UNOTIFY_KERNEL_RULES)))
                        abort();
        }
}

static void check_decisions(const struct unotify_policy *p, const uint8_t *data, size_t size)
{
        for (size_t i = 0; i + 1 < size && i < 64; i += 2) {
                struct seccomp_data d = { .nr = data[i] | (data[i + 1] & 1) << 8,
                                          .arch = seccomp_arch_native() };
                struct unotify_decision r = {};

                memcpy(d.args, data, size < sizeof(d.args) ? size : sizeof(d.args));
                unotify_policy_decide(p, &d, &r);
                if (r.action < UNOTIFY_ACTION_CONTINUE || r.action > UNOTIFY_ACTION_EMULATE)
                        abort();
                if (r.action == UNOTIFY_ACTION_ERRNO && (r.error < 1 || r.error > 4095))
                        abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct unotify_load_options opts = { .kernel_release = "6.1.0", .strict = size % 2 };
        struct unotify_diags diags = {};
        struct unotify_policy *p = NULL;
        int r;

        r = unotify_policy_load_buffer_full((const char *)data, size, "fuzz.json", &opts, &p,
                                            &diags);
        if (r < 0) {
                if (r == -EINVAL)
                        check_refusal(&diags);
        } else {
                if (!p || !unotify_policy_name(p)[0])
                        abort();
                check_plan(p);
                check_decisions(p, data, size);
                unotify_policy_unref(p);
        }
        unotify_diags_clear(&diags);
        return 0;
}
