/* export-oci of a policy that learns: its filter notifies every call no
 * kernel rule decides. runc refuses SCMP_ACT_NOTIFY as defaultAction, so
 * the section names every syscall of the filter's ABIs instead. */
#include "export_learn.h"

#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "unotify/filter.h"

static bool in_array(const json_t *arr, const char *name)
{
        json_t *v;
        size_t i;

        json_array_foreach(arr, i, v)
                if (strcmp(json_string_value(v), name) == 0)
                        return true;
        return false;
}

static void add_arch(json_t *names, const struct unotify_kernel_plan *plan, uint32_t token,
                     uint32_t base)
{
        for (uint32_t nr = 0; nr < 1024; nr++) {
                char *name = seccomp_syscall_resolve_num_arch(token, (int)(base + nr));
                const struct unotify_kernel_entry *e =
                        name ? unotify_kernel_plan_find(plan, name) : NULL;

                /* A name the kernel decides by the policy's rules keeps them. */
                if (name && (!e || e->kind != UNOTIFY_KERNEL_RULES) && !in_array(names, name))
                        json_array_append_new(names, json_string(name));
                free(name);
        }
}

static int cmp(const void *a, const void *b)
{
        return strcmp(json_string_value(*(json_t *const *)a),
                      json_string_value(*(json_t *const *)b));
}

json_t *export_learn_names(const struct unotify_kernel_plan *plan)
{
        json_t *names = json_array(), **items;
        uint32_t native = seccomp_arch_native();
        size_t n;

        if (!names)
                return NULL;
        add_arch(names, plan, native, 0);
        if (native == SCMP_ARCH_X86_64) {
                add_arch(names, plan, SCMP_ARCH_X86, 0);
                add_arch(names, plan, SCMP_ARCH_X32, 0x40000000u);
        } else if (native == SCMP_ARCH_AARCH64)
                add_arch(names, plan, SCMP_ARCH_ARM, 0);
        n = json_array_size(names);
        items = calloc(n ?: 1, sizeof(*items));
        if (!items)
                return names;
        for (size_t i = 0; i < n; i++)
                items[i] = json_incref(json_array_get(names, i));
        qsort(items, n, sizeof(*items), cmp);
        json_array_clear(names);
        for (size_t i = 0; i < n; i++)
                json_array_append_new(names, items[i]);
        free(items);
        return names;
}
