/* An OCI linux.seccomp section loaded as runc 1.1 loads it (libcontainer's
 * InitSeccomp): seccomp_init(defaultAction), every architecture added, the
 * no_new_privs bit left to the caller, then for each syscall name one rule
 * with the rule's action: unconditional without args, one rule with all the
 * conditions, or a rule per condition when two compare the same argument.
 * Names libseccomp does not know and rules whose action is the default are
 * skipped, as runc skips them. runc's own ENOSYS stub for syscalls newer
 * than the profile (patchbpf) is not reproduced: seccomp_load loads
 * libseccomp's program as it is. */
#include <ctype.h>
#include <errno.h>
#include <seccomp.h>
#include <stdbool.h>
#include <string.h>

#include "oci_filter.h"
#include "unotify/macro.h"

#define MAX_CONDITIONS 16

DEFINE_TRIVIAL_CLEANUP_FUNC(scmp_filter_ctx, seccomp_release);

static const struct {
        const char *name;
        enum scmp_compare op;
} ops[] = {
        { "SCMP_CMP_NE", SCMP_CMP_NE },
        { "SCMP_CMP_LT", SCMP_CMP_LT },
        { "SCMP_CMP_LE", SCMP_CMP_LE },
        { "SCMP_CMP_EQ", SCMP_CMP_EQ },
        { "SCMP_CMP_GE", SCMP_CMP_GE },
        { "SCMP_CMP_GT", SCMP_CMP_GT },
        { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

/* runc's getAction: ERRNO and TRACE without errnoRet mean EPERM. */
static int action_of(const char *name, const json_t *errno_ret, uint32_t *ret)
{
        uint16_t e = errno_ret ? (uint16_t)json_integer_value(errno_ret) : EPERM;

        if (!name)
                return -EINVAL;
        if (!strcmp(name, "SCMP_ACT_KILL") || !strcmp(name, "SCMP_ACT_KILL_THREAD"))
                *ret = SCMP_ACT_KILL_THREAD;
        else if (!strcmp(name, "SCMP_ACT_KILL_PROCESS"))
                *ret = SCMP_ACT_KILL_PROCESS;
        else if (!strcmp(name, "SCMP_ACT_ERRNO"))
                *ret = SCMP_ACT_ERRNO(e);
        else if (!strcmp(name, "SCMP_ACT_TRACE"))
                *ret = SCMP_ACT_TRACE(e);
        else if (!strcmp(name, "SCMP_ACT_TRAP"))
                *ret = SCMP_ACT_TRAP;
        else if (!strcmp(name, "SCMP_ACT_ALLOW"))
                *ret = SCMP_ACT_ALLOW;
        else if (!strcmp(name, "SCMP_ACT_LOG"))
                *ret = SCMP_ACT_LOG;
        else
                return -EINVAL; /* SCMP_ACT_NOTIFY needs an agent: not a plain filter */
        return 0;
}

/* "SCMP_ARCH_X86_64" -> libseccomp's "x86_64". */
static int add_arch(scmp_filter_ctx ctx, const char *oci)
{
        char name[32];
        size_t n = 0;
        uint32_t token;
        int r;

        if (!oci || strncmp(oci, "SCMP_ARCH_", 10))
                return -EINVAL;
        for (const char *p = oci + 10; *p && n < sizeof(name) - 1; p++)
                name[n++] = (char)tolower((unsigned char)*p);
        name[n] = '\0';
        token = seccomp_arch_resolve_name(name);
        if (!token)
                return -EINVAL;
        r = seccomp_arch_add(ctx, token);
        return r == -EEXIST ? 0 : r;
}

/* Whether two conditions compare the same argument: runc then adds one
 * rule per condition (an OR) instead of one with all of them (an AND). */
static int conditions_of(const json_t *args, struct scmp_arg_cmp *c, unsigned *n, bool *split)
{
        unsigned per_index[6] = {};
        const json_t *a;
        size_t i, k;

        *n = 0;
        *split = false;
        json_array_foreach(args, i, a) {
                const char *op = json_string_value(json_object_get(a, "op"));
                json_int_t index = json_integer_value(json_object_get(a, "index"));

                if (*n == MAX_CONDITIONS || index < 0 || index > 5 || !op)
                        return -EINVAL;
                for (k = 0; k < ELEMENTSOF(ops) && strcmp(ops[k].name, op); k++)
                        ;
                if (k == ELEMENTSOF(ops))
                        return -EINVAL;
                c[*n] = (struct scmp_arg_cmp){
                        .arg = (unsigned)index,
                        .op = ops[k].op,
                        .datum_a = (scmp_datum_t)json_integer_value(json_object_get(a, "value")),
                        .datum_b = (scmp_datum_t)json_integer_value(json_object_get(a, "valueTwo")),
                };
                *split |= ++per_index[index] > 1;
                (*n)++;
        }
        return 0;
}

static int add_name(scmp_filter_ctx ctx, uint32_t action, const char *name,
                    const struct scmp_arg_cmp *c, unsigned n, bool split)
{
        int nr = name ? seccomp_syscall_resolve_name(name) : __NR_SCMP_ERROR, r = 0;

        if (nr == __NR_SCMP_ERROR)
                return 0; /* runc: "not supported by this kernel", ignored */
        if (!split)
                return seccomp_rule_add_array(ctx, action, nr, n, c);
        for (unsigned i = 0; i < n && r == 0; i++)
                r = seccomp_rule_add_array(ctx, action, nr, 1, &c[i]);
        return r;
}

static int add_rule(scmp_filter_ctx ctx, const json_t *rule, uint32_t default_action)
{
        struct scmp_arg_cmp c[MAX_CONDITIONS];
        const json_t *name;
        uint32_t action;
        unsigned n;
        bool split;
        size_t i;
        int r;

        r = action_of(json_string_value(json_object_get(rule, "action")),
                      json_object_get(rule, "errnoRet"), &action);
        if (r < 0 || action == default_action)
                return r; /* runc: a redundant rule, skipped */
        r = conditions_of(json_object_get(rule, "args"), c, &n, &split);
        json_array_foreach(json_object_get(rule, "names"), i, name)
                if (r >= 0)
                        r = add_name(ctx, action, json_string_value(name), c, n, split);
        return r;
}

int oci_filter_load(const json_t *section)
{
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
        const json_t *v;
        uint32_t def;
        size_t i;
        int r;

        r = action_of(json_string_value(json_object_get(section, "defaultAction")),
                      json_object_get(section, "defaultErrnoRet"), &def);
        if (r < 0)
                return r;
        ctx = seccomp_init(def);
        if (!ctx)
                return -EINVAL;
        /* runc sets no_new_privs itself when the spec asks for it. */
        r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
        json_array_foreach(json_object_get(section, "architectures"), i, v)
                if (r >= 0)
                        r = add_arch(ctx, json_string_value(v));
        json_array_foreach(json_object_get(section, "syscalls"), i, v)
                if (r >= 0)
                        r = add_rule(ctx, v, def);
        return r < 0 ? r : seccomp_load(ctx);
}
