/* The effective policy as JSON (unotifyd -T): what the daemon decides
 * with, written out from the compiled form, not from the files. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "compile/compile.h"

static const char *const path_kinds[] = {
        [PATH_EXACT] = "exact", [PATH_PREFIX] = "prefix", [PATH_GLOB] = "glob"
};

/* Every json_*_set_new() of a dump checks its value through here: a NULL
 * (ENOMEM) sets the flag and the dump fails at the end. */
struct dump {
        bool oom;
};

static json_t *add(struct dump *d, json_t *obj, const char *key, json_t *v)
{
        if (!v || !obj || json_object_set_new(obj, key, v) < 0)
                d->oom = true;
        return v;
}

static void push(struct dump *d, json_t *arr, json_t *v)
{
        if (!v || !arr || json_array_append_new(arr, v) < 0)
                d->oom = true;
}

/* What a policy file would write: an integer, or "0x..." above INT64_MAX. */
static json_t *value(uint64_t v)
{
        char hex[24];

        if (v <= INT64_MAX)
                return json_integer((json_int_t)v);
        snprintf(hex, sizeof(hex), "0x%016" PRIx64, v);
        return json_string(hex);
}

static json_t *strings(struct dump *d, char *const *s, size_t n)
{
        json_t *arr = json_array();

        for (size_t i = 0; i < n; i++)
                push(d, arr, json_string(s[i]));
        return arr;
}

static void dump_decision(struct dump *d, json_t *o, const struct unotify_decision *dec,
                          const char *action_key, const char *errno_key)
{
        add(d, o, action_key, json_string(unotify_decision_action_name(dec)));
        switch (dec->action) {
        case UNOTIFY_ACTION_ERRNO:
                add(d, o, errno_key, json_integer(dec->error));
                break;
        case UNOTIFY_ACTION_RETURN:
                add(d, o, "returnValue", json_integer(dec->val));
                break;
        case UNOTIFY_ACTION_EMULATE:
                add(d, o, "handler", json_string(unotify_handler_name(dec->handler)));
                break;
        case UNOTIFY_ACTION_CONTINUE:
        case UNOTIFY_ACTION_KILL_PROCESS:
        case UNOTIFY_ACTION_KILL_THREAD:
                break;
        }
}

static json_t *string_list(struct dump *d, const char *const *l, size_t n)
{
        json_t *arr = json_array();

        for (size_t i = 0; i < n; i++)
                push(d, arr, json_string(l[i]));
        return arr;
}

static void dump_sched(struct dump *d, json_t *o, const struct unotify_handler_options *h)
{
        json_t *arr = json_array();

        add(d, o, "errno", json_string(unotify_errno_name(h->refuse_errno)));
        add(d, o, "minNice", json_integer(h->sched_min_nice));
        add(d, o, "maxRtPriority", json_integer(h->sched_max_rt_priority));
        for (int i = 0; i < 32; i++)
                if (h->sched_policies & 1u << i && sched_policy_name(i))
                        push(d, arr, json_string(sched_policy_name(i)));
        add(d, o, "policies", arr);
}

static json_t *mount_flags(struct dump *d, uint64_t attrs)
{
        json_t *arr = json_array();

        for (unsigned i = 0; i < 64; i++)
                if (attrs & (uint64_t)1 << i && mount_flag_name((uint64_t)1 << i))
                        push(d, arr, json_string(mount_flag_name((uint64_t)1 << i)));
        return arr;
}

static void dump_mount(struct dump *d, json_t *o, const struct unotify_handler_options *h)
{
        json_t *types = json_array(), *opts = json_array();

        add(d, o, "errno", json_string(unotify_errno_name(h->refuse_errno)));
        for (unsigned i = 0; mount_type_name(i); i++)
                if (h->mount_types & 1u << i)
                        push(d, types, json_string(mount_type_name(i)));
        add(d, o, "types", types);
        add(d, o, "targets", string_list(d, h->mount_targets, h->n_mount_targets));
        if (h->n_mount_sources)
                add(d, o, "sources", string_list(d, h->mount_sources, h->n_mount_sources));
        add(d, o, "forceFlags", mount_flags(d, h->mount_force_attrs));
        add(d, o, "allowFlags", mount_flags(d, h->mount_allow_attrs));
        for (unsigned i = 0; mount_option_name(i); i++)
                if (h->mount_options & 1u << i)
                        push(d, opts, json_string(mount_option_name(i)));
        add(d, o, "options", opts); /* empty arrays mean none: accepted */
        if (h->mount_max_size)
                add(d, o, "maxSize", json_integer((json_int_t)h->mount_max_size));
        add(d, o, "idmap", json_boolean(h->mount_idmap));
}

/* A rule's handlerOptions as a policy would write them. */
static json_t *dump_handler_options(struct dump *d, const struct rule *r)
{
        static const char *const access[] = { "read", "write", "readwrite" };
        const struct unotify_handler_options *h = r->options;
        json_t *o = json_object();

        switch (r->decision.handler) {
        case UNOTIFY_HANDLER_OPEN: {
                json_t *arr = json_array();

                for (size_t i = 0; i < h->n_rewrites; i++) {
                        json_t *rw = json_object();

                        add(d, rw, "from", json_string(h->rewrites[i].from));
                        add(d, rw, "to", json_string(h->rewrites[i].to));
                        push(d, arr, rw);
                }
                add(d, o, "rewrite", arr);
                break;
        }
        case UNOTIFY_HANDLER_MKNOD:
                add(d, o, "errno", json_string(unotify_errno_name(h->refuse_errno)));
                break;
        case UNOTIFY_HANDLER_INJECT:
                add(d, o, "path", json_string(h->inject_path));
                add(d, o, "access",
                    json_string(
                            access[h->inject_access >= 0 && h->inject_access <= 2 ? h->inject_access
                                                                                  : 0]));
                add(d, o, "cloexec", json_boolean(h->inject_cloexec));
                break;
        case UNOTIFY_HANDLER_SYSINFO:
                break;
        case UNOTIFY_HANDLER_SCHED:
                dump_sched(d, o, h);
                break;
        case UNOTIFY_HANDLER_MOUNT:
                dump_mount(d, o, h);
                break;
        case UNOTIFY_HANDLER_BPF:
                add(d, o, "errno", json_string(unotify_errno_name(h->refuse_errno)));
                add(d, o, "maxInstructions", json_integer(h->bpf_max_insns));
                break;
        case UNOTIFY_HANDLER_XATTR: {
                static const char *const overlay[] = { "trusted.overlay." };

                add(d, o, "errno", json_string(unotify_errno_name(h->refuse_errno)));
                add(d, o, "names",
                    h->n_xattr_names ? string_list(d, h->xattr_names, h->n_xattr_names)
                                     : string_list(d, overlay, 1));
                break;
        }
        case UNOTIFY_HANDLER_NONE:
                break;
        }
        return o;
}

static json_t *dump_args(struct dump *d, const struct rule *r)
{
        json_t *arr = json_array();

        for (unsigned i = 0; i < r->n_conds; i++) {
                const struct cond *c = &r->conds[i];
                json_t *o = json_object();

                add(d, o, "index", json_integer(c->index));
                add(d, o, "value", value(c->value));
                if (c->op == COND_MASKED_EQ)
                        add(d, o, "valueTwo", value(c->value_two));
                add(d, o, "op", json_string(policy_op_names[c->op]));
                push(d, arr, o);
        }
        return arr;
}

static json_t *dump_paths(struct dump *d, const struct rule *r)
{
        json_t *arr = json_array();

        for (unsigned i = 0; i < r->n_paths; i++) {
                const struct path_cond *c = &r->paths[i];
                json_t *o = json_object();

                add(d, o, "index", json_integer(c->index));
                if (c->dirfd >= 0)
                        add(d, o, "dirfd", json_integer(c->dirfd));
                add(d, o, path_kinds[c->kind], json_string(c->pattern));
                push(d, arr, o);
        }
        return arr;
}

static json_t *caps(struct dump *d, uint64_t mask)
{
        json_t *o = json_object(), *arr = add(d, o, "caps", json_array());

        for (unsigned i = 0; i < 64; i++)
                if (mask & (UINT64_C(1) << i))
                        push(d, arr, json_string(cap_name(i)));
        return o;
}

static json_t *dump_from(struct dump *d, const struct unotify_policy *p, size_t i)
{
        const struct policy_source *s = &p->sources[p->info[i].source];
        json_t *o = json_object();
        char pointer[32];

        snprintf(pointer, sizeof(pointer), "/syscalls/%" PRIu32, p->info[i].index);
        add(d, o, "policy", json_string(s->name));
        add(d, o, "origin", json_string(s->origin));
        add(d, o, "pointer", json_string(pointer));
        return o;
}

static json_t *dump_rule(struct dump *d, const struct unotify_policy *p, size_t i)
{
        const struct rule *r = &p->rules[i];
        json_t *o = json_object();

        add(d, o, "from", dump_from(d, p, i));
        add(d, o, "names", strings(d, p->info[i].names, p->info[i].n_names));
        dump_decision(d, o, &r->decision, "action", "errnoRet");
        if (r->options)
                add(d, o, "handlerOptions", dump_handler_options(d, r));
        if (r->n_conds)
                add(d, o, "args", dump_args(d, r));
        if (r->n_paths)
                add(d, o, "paths", dump_paths(d, r));
        if (r->caps_all)
                add(d, o, "includes", caps(d, r->caps_all));
        if (r->caps_none)
                add(d, o, "excludes", caps(d, r->caps_none));
        add(d, o, "numbers", json_object());
        return o;
}

static const char *arch_oci(uint32_t token)
{
        const struct arch_name *a;

        for (size_t i = 0; (a = arch_at(i)); i++)
                if (a->token == token)
                        return a->oci;
        return "?";
}

/* Appends every number of table t to the "numbers" of the rule it
 * decides, in number order. */
static void dump_table(struct dump *d, const struct unotify_policy *p, const struct arch_table *t,
                       json_t *rules)
{
        for (uint32_t idx = 0; idx < t->size; idx++)
                for (uint32_t j = 0; j < t->slots[idx].count; j++) {
                        uint32_t ref = t->refs[t->slots[idx].first + j];
                        const struct rule *r = &p->rules[ref];
                        json_t *numbers = json_object_get(
                                json_array_get(rules, (size_t)r->decision.rule), "numbers");
                        json_t *arr = json_object_get(numbers, arch_oci(t->token));

                        if (!arr)
                                arr = add(d, numbers, arch_oci(t->token), json_array());
                        if (ref < p->n_rules)
                                push(d, arr, json_integer(idx + t->nr_base));
                        else
                                push(d, arr,
                                     mux_describe(&p->rules[ref],
                                                  &p->rules[p->rules[ref].decision.rule],
                                                  idx + t->nr_base));
                }
}

static json_t *dump_select(struct dump *d, const struct selector *s)
{
        json_t *o = json_object(), *m;

        if (s->n_meta) {
                m = add(d, o, "metadata", json_object());
                for (size_t i = 0; i < s->n_meta; i++)
                        add(d, m, s->meta[2 * i], json_string(s->meta[2 * i + 1]));
        }
        if (s->n_annotations) {
                m = add(d, o, "annotations", json_object());
                for (size_t i = 0; i < s->n_annotations; i++)
                        add(d, m, s->annotations[2 * i], json_string(s->annotations[2 * i + 1]));
        }
        if (s->container)
                add(d, o, "containerId", json_string(s->container));
        return o;
}

/* "notified": what the policy's filter sends to the daemon, "why": the
 * reason for each, "kernel": the names it decides by rules in the kernel
 * (the rest of the names, and every other syscall: defaultAction). */
static void dump_plan(struct dump *d, json_t *o, const struct unotify_kernel_plan *plan)
{
        json_t *notified = add(d, o, "notified", json_array());
        json_t *why = add(d, o, "why", json_object());
        json_t *kernel = add(d, o, "kernel", json_array());

        for (size_t i = 0; plan && i < plan->n_entries && !d->oom; i++) {
                const struct unotify_kernel_entry *e = &plan->entries[i];

                if (e->kind == UNOTIFY_KERNEL_NOTIFY) {
                        push(d, notified, json_string(e->name));
                        add(d, why, e->name, json_string(e->why));
                } else if (e->kind == UNOTIFY_KERNEL_RULES)
                        push(d, kernel, json_string(e->name));
        }
}

static json_t *dump_policy(struct dump *d, const struct unotify_policy *p)
{
        json_t *o = json_object(), *rules;
        char digest[24];

        add(d, o, "name", json_string(p->name));
        add(d, o, "origin", json_string(p->origin));
        if (p->n_includes)
                add(d, o, "include", strings(d, p->includes, p->n_includes));
        if (p->select)
                add(d, o, "select", dump_select(d, p->select));
        if (p->is_default)
                add(d, o, "default", json_true());
        dump_decision(d, o, &p->default_decision, "defaultAction", "defaultErrnoRet");
        rules = add(d, o, "syscalls", json_array());
        for (size_t i = 0; i < p->n_rules; i++)
                push(d, rules, dump_rule(d, p, i));
        for (size_t i = 0; !d->oom && i < p->n_tables; i++)
                dump_table(d, p, &p->tables[i], rules);
        dump_plan(d, o, p->plan);
        if (p->landlock)
                add(d, o, "landlock", landlock_dump(p));
        /* What no kernel rule decides goes to the daemon, to be recorded. */
        if (p->learns)
                add(d, o, "learn",
                    json_pack("{s:i, s:i, s:i, s:s}", "pathDepth", (int)p->learn.path_depth,
                              "maxValues", (int)p->learn.max_values, "maxPaths",
                              (int)p->learn.max_paths, "kernelDefault", "SCMP_ACT_NOTIFY"));
        snprintf(digest, sizeof(digest), "%016" PRIx64, unotify_policy_syscalls_digest(p));
        add(d, o, "digest", json_string(digest));
        return o;
}

char *unotify_policy_to_json(const struct unotify_policy *p)
{
        struct dump d = {};
        _cleanup_(json_decrefp) json_t *o = dump_policy(&d, p);

        if (!o || d.oom)
                return NULL;
        return json_dumps(o, JSON_INDENT(2));
}
