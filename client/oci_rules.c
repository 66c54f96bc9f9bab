/* A policy's syscall rules in the OCI runtime-spec's vocabulary, for
 * export-oci: the kernel's rules grouped by answer, the names the daemon
 * decides as SCMP_ACT_NOTIFY, and the ipc(2) version rules x86 needs. */
#include "oci_rules.h"

#include <seccomp.h>
#include <stdbool.h>
#include <string.h>

#include "export_learn.h"
#include "unotify/macro.h"

/* x86's ipc(2) call numbers (ipc/syscall.c): the filter also notifies
 * ipc(CALL | version << 16), which a runtime's libseccomp would let pass
 * (policy/compile/filter.c, add_ipc_versions). */
static const struct {
        const char *name;
        unsigned call;
} ipc_calls[] = {
        { "semop", 1 },   { "semget", 2 },  { "semctl", 3 },  { "semtimedop", 4 },
        { "msgsnd", 11 }, { "msgrcv", 12 }, { "msgget", 13 }, { "msgctl", 14 },
        { "shmat", 21 },  { "shmdt", 22 },  { "shmget", 23 }, { "shmctl", 24 },
};

json_t *oci_architectures(void)
{
        uint32_t native = seccomp_arch_native();

        if (native == SCMP_ARCH_X86_64)
                return json_pack("[s, s, s]", "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32");
        if (native == SCMP_ARCH_AARCH64)
                return json_pack("[s, s]", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM");
        return json_array(); /* the runtime's native ABI only */
}

static json_t *notify_rule(const char *const *names, size_t n)
{
        json_t *arr = json_array();

        for (size_t i = 0; arr && i < n; i++)
                json_array_append_new(arr, json_string(names[i]));
        return json_pack("{s:o, s:s}", "names", arr, "action", "SCMP_ACT_NOTIFY");
}

static json_t *ipc_version_rule(unsigned call, const char *action)
{
        return json_pack("{s:[s], s:s, s:[{s:i, s:i, s:i, s:s}]}", "names", "ipc", "action", action,
                         "args", "index", 0, "value", 0xffff, "valueTwo", (int)call, "op",
                         "SCMP_CMP_MASKED_EQ");
}

json_t *oci_notify_rules(const char *const *names, size_t n)
{
        json_t *rules = json_array();

        if (!rules)
                return NULL;
        if (n > 0)
                json_array_append_new(rules, notify_rule(names, n));
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < ELEMENTSOF(ipc_calls); j++)
                        if (strcmp(names[i], ipc_calls[j].name) == 0)
                                json_array_append_new(rules, ipc_version_rule(ipc_calls[j].call,
                                                                              "SCMP_ACT_NOTIFY"));
        return rules;
}

const char *oci_action(const struct unotify_decision *d)
{
        switch (d->action) {
        case UNOTIFY_ACTION_CONTINUE:
                return d->log ? "SCMP_ACT_LOG" : "SCMP_ACT_ALLOW";
        case UNOTIFY_ACTION_ERRNO:
                return "SCMP_ACT_ERRNO";
        case UNOTIFY_ACTION_KILL_PROCESS:
                return "SCMP_ACT_KILL_PROCESS";
        case UNOTIFY_ACTION_KILL_THREAD:
                return "SCMP_ACT_KILL_THREAD";
        case UNOTIFY_ACTION_RETURN:
        case UNOTIFY_ACTION_EMULATE:
                break;
        }
        return "SCMP_ACT_NOTIFY"; /* never planned for the kernel */
}

/* The spec's op names by libseccomp's enum scmp_compare. */
static const char *oci_op(int op)
{
        static const char *const names[] = {
                [SCMP_CMP_NE] = "SCMP_CMP_NE",
                [SCMP_CMP_LT] = "SCMP_CMP_LT",
                [SCMP_CMP_LE] = "SCMP_CMP_LE",
                [SCMP_CMP_EQ] = "SCMP_CMP_EQ",
                [SCMP_CMP_GE] = "SCMP_CMP_GE",
                [SCMP_CMP_GT] = "SCMP_CMP_GT",
                [SCMP_CMP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
        };

        return op > 0 && (size_t)op < ELEMENTSOF(names) ? names[op] : "SCMP_CMP_EQ";
}

/* One kernel rule without its names; json integers are signed 64-bit, the
 * spec's values unsigned: runtimes read them as Go uint64, so write the
 * bits as they are (jansson prints the int64). */
static json_t *oci_rule(const struct unotify_kernel_rule *k)
{
        json_t *o = json_pack("{s:s}", "action", oci_action(&k->decision));
        json_t *args = json_array();

        if (!o || !args)
                return json_decref(o), json_decref(args), NULL;
        if (k->decision.action == UNOTIFY_ACTION_ERRNO)
                json_object_set_new(o, "errnoRet", json_integer(k->decision.error));
        for (unsigned i = 0; i < k->n_conds; i++)
                json_array_append_new(args, json_pack("{s:i, s:I, s:I, s:s}", "index",
                                                      (int)k->conds[i].index, "value",
                                                      (json_int_t)k->conds[i].value, "valueTwo",
                                                      (json_int_t)k->conds[i].value_two, "op",
                                                      oci_op(k->conds[i].op)));
        if (k->n_conds)
                json_object_set_new(o, "args", args);
        else
                json_decref(args);
        return o;
}

/* Add name to the rule of rules that equals r but for its names, or
 * append r with that name. Takes r (which has no names). Profiles give
 * hundreds of names one answer: one rule. */
static void add_grouped(json_t *rules, json_t *r, const char *name)
{
        size_t i;
        json_t *e;

        if (!r)
                return;
        json_array_foreach(rules, i, e) {
                json_t *bare = json_copy(e);
                bool same;

                json_object_del(bare, "names");
                same = json_equal(bare, r);
                json_decref(bare);
                if (same && json_is_array(json_object_get(e, "names"))) {
                        json_array_append_new(json_object_get(e, "names"), json_string(name));
                        json_decref(r);
                        return;
                }
        }
        json_object_set_new(r, "names", json_pack("[s]", name));
        json_array_append_new(rules, r);
}

static const unsigned *ipc_call_of(const char *name)
{
        for (size_t j = 0; j < ELEMENTSOF(ipc_calls); j++)
                if (strcmp(name, ipc_calls[j].name) == 0)
                        return &ipc_calls[j].call;
        return NULL;
}

/* The rules of a plan: the kernel's, then what goes to the daemon. */
json_t *oci_plan_rules(const struct unotify_kernel_plan *plan)
{
        json_t *rules = json_array(), *notify = json_array();

        for (size_t i = 0; rules && notify && i < plan->n_entries; i++) {
                const struct unotify_kernel_entry *e = &plan->entries[i];
                const unsigned *call = ipc_call_of(e->name);

                if (e->kind == UNOTIFY_KERNEL_NOTIFY) {
                        json_array_append_new(notify, json_string(e->name));
                        continue;
                }
                for (size_t j = 0; j < e->n_rules; j++) {
                        add_grouped(rules, oci_rule(&e->rules[j]), e->name);
                        /* The kernel reads only ipc's low 16 bits (filter.c). */
                        if (call && e->rules[j].n_conds == 0)
                                json_array_append_new(
                                        rules,
                                        ipc_version_rule(*call, oci_action(&e->rules[j].decision)));
                }
        }
        /* A policy that learns: every name no kernel rule decides. */
        if (plan->notify_default) {
                json_decref(notify);
                notify = export_learn_names(plan);
        }
        if (json_array_size(notify) > 0)
                json_array_append_new(rules, json_pack("{s:O, s:s}", "names", notify, "action",
                                                       "SCMP_ACT_NOTIFY"));
        for (size_t i = 0; i < json_array_size(notify); i++) {
                const unsigned *call = ipc_call_of(json_string_value(json_array_get(notify, i)));

                if (call)
                        json_array_append_new(rules, ipc_version_rule(*call, "SCMP_ACT_NOTIFY"));
        }
        json_decref(notify);
        return rules;
}
