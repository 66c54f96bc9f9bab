/* Rules: "names", then the decision (parse_decision.c), "args"
 * (parse_args.c), "notify", "paths", the handler's options. */
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"

#define SUGGEST_MAX_PER_FILE 16

static const char *const rule_keys[] = { "names",       "action",   "errnoRet",       "errno",
                                         "returnValue", "handler",  "handlerOptions", "args",
                                         "paths",       "includes", "excludes",       "comment",
                                         "notify",      "name" };

/* On x86 libseccomp has no number for a multiplexed name ("send" has
 * none anywhere else either); mux.c gives them theirs. */
static bool syscall_known(const struct parser *p, const char *name)
{
        for (size_t i = 0; i < p->n_arches; i++) {
                if (seccomp_syscall_resolve_name_arch(p->arches[i].token, name) >= 0)
                        return true;
                if (p->arches[i].token == SCMP_ARCH_X86 && mux_lookup(name))
                        return true;
        }
        return false;
}

/* Suggestions cost a scan of every known name: a file full of garbage
 * gets them for its first few unknown names only. */
static const char *suggest(struct parser *p, const char *name)
{
        if (p->n_suggested >= SUGGEST_MAX_PER_FILE)
                return NULL;
        p->n_suggested++;
        if (!p->known && suggest_syscall_names(p->arches, p->n_arches, &p->known, &p->n_known) < 0)
                return NULL; /* a suggestion is optional */
        return suggest_word(name, (const char *const *)p->known, p->n_known);
}

/* Whether the rule can apply on this machine at all: includes.arches may
 * limit it to other machines' ABIs (Docker's s390 and arm rules). */
static bool applies_here(const struct parser *p, const struct draft_rule *r)
{
        uint32_t here = 0;

        for (size_t i = 0; i < p->n_arches; i++)
                here |= arch_bit(p->arches[i].token);
        return !r->filter.arches_in || (r->filter.arches_in & here);
}

/* Runtimes skip a name their libseccomp does not know (newer syscalls,
 * other machines' ones) and so do we, once per name and file; --strict
 * makes it an error. */
static void warn_unknown_syscall(struct parser *p, const char *name, const struct draft_rule *r)
{
        const char *close;

        if (!applies_here(p, r) || in_list(name, p->unknown, p->n_unknown))
                return;
        if (p->n_unknown < ELEMENTSOF(p->unknown))
                p->unknown[p->n_unknown++] = name;
        if (seccomp_syscall_resolve_name(name) != __NR_SCMP_ERROR) {
                warn(p, NULL, "syscall \"%s\" does not exist on this machine's ABIs: skipped",
                     name);
                return;
        }
        close = suggest(p, name);
        if (close)
                warn(p, NULL, "unknown syscall \"%s\" skipped (did you mean \"%s\"?)", name, close);
        else
                warn(p, NULL, "unknown syscall \"%s\" skipped (newer than this libseccomp?)", name);
}

/* One element of "names"; returns it when it can be compiled. */
static const char *check_syscall(struct parser *p, json_t *v, const struct draft_rule *r)
{
        const char *name;

        if (!json_is_string(v)) {
                fail(p, NULL, "expected a syscall name (a string), got %s", type_name(v));
                return NULL;
        }
        name = json_string_value(v);
        for (size_t i = 0; i < r->n_names; i++)
                if (strcmp(r->names[i], name) == 0) {
                        warn(p, NULL, "syscall \"%s\" is already named in this rule", name);
                        return NULL;
                }
        if (!syscall_known(p, name)) {
                warn_unknown_syscall(p, name, r);
                return NULL;
        }
        return name;
}

/* Docker's old profile format names one syscall per rule: "name". */
static bool parse_single_name(struct parser *p, json_t *obj, struct draft_rule *r)
{
        json_t *one = json_object_get(obj, "name");
        const char *name;
        size_t mark;

        if (!one)
                return false;
        if (json_object_get(obj, "names")) {
                fail(p, "name", "give either \"names\" or \"name\" (the old format), not both");
                return true;
        }
        r->names = calloc(1, sizeof(*r->names));
        if (!r->names) {
                p->oom = -ENOMEM;
                return true;
        }
        mark = ptr_push_key(p, "name");
        name = check_syscall(p, one, r);
        if (name)
                r->names[r->n_names++] = name;
        ptr_pop(p, mark);
        return true;
}

static void parse_names(struct parser *p, json_t *obj, struct draft_rule *r)
{
        json_t *v, *e;
        size_t i;

        if (parse_single_name(p, obj, r))
                return;
        v = member(p, obj, "names", true);
        if (!v || !expect_array(p, "names", v, "syscall names", "syscall name"))
                return;
        r->names = calloc(json_array_size(v), sizeof(*r->names));
        if (!r->names) {
                p->oom = -ENOMEM;
                return;
        }
        json_array_foreach(v, i, e) {
                size_t mark = ptr_push(p, "names", i);
                const char *name = check_syscall(p, e, r);

                if (name)
                        r->names[r->n_names++] = name;
                ptr_pop(p, mark);
        }
}

static bool has_x86(const struct parser *p, const struct rule_filter *f)
{
        uint32_t bit = arch_bit(SCMP_ARCH_X86);

        for (size_t i = 0; i < p->n_arches; i++)
                if (p->arches[i].token == SCMP_ARCH_X86)
                        return !(f->arches_in && !(f->arches_in & bit)) && !(f->arches_out & bit);
        return false;
}

/* See mux.c: what a rule on a multiplexed name does on x86. */
static void check_multiplexed(struct parser *p, const struct draft_rule *r)
{
        const char *what = r->rule.n_conds ? "\"args\"" : "\"paths\"";

        if ((!r->rule.n_conds && !r->rule.n_paths) || !has_x86(p, &r->filter))
                return;
        for (size_t i = 0; i < r->n_names; i++) {
                const struct mux_entry *e = mux_lookup(r->names[i]);

                if (!e)
                        continue;
                warn(p, NULL,
                     "x86 (32-bit) tasks may call \"%s\" through %s(2), whose arguments are in "
                     "their memory: there %s cannot be checked and this rule %s",
                     r->names[i], e->via == MUX_IPC ? "ipc" : "socketcall", what,
                     r->rule.decision.action == UNOTIFY_ACTION_CONTINUE
                             ? "does not apply"
                             : "applies to every such call");
        }
}

/* "notify": true sends the rule's syscalls to the daemon even where the
 * kernel could decide them (for the daemon's log and counters). */
static void parse_notify(struct parser *p, json_t *obj, struct rule *r)
{
        json_t *v = json_object_get(obj, "notify");

        if (!v || json_is_null(v))
                return;
        if (!json_is_boolean(v)) {
                fail(p, "notify", "expected true or false, got %s", type_name(v));
                return;
        }
        r->notify = json_is_true(v);
}

static void parse_rule(struct parser *p, json_t *v, size_t index, struct draft_rule *r)
{
        if (!json_is_object(v)) {
                fail(p, NULL, "expected an object (a rule), got %s", type_name(v));
                return;
        }
        check_keys(p, v, rule_keys, ELEMENTSOF(rule_keys));
        /* includes.arches first: it says whether an unknown name matters. */
        parse_filters(p, v, r);
        parse_names(p, v, r);
        parse_rule_decision(p, v, &r->rule.decision);
        r->rule.decision.rule = (int)index;
        parse_args(p, v, &r->rule);
        parse_notify(p, v, &r->rule);
        parse_paths(p, v, r);
        parse_handler_options(p, v, r);
        parse_comment(p, v);
        check_multiplexed(p, r);
}

void parse_rules(struct parser *p, json_t *root, struct draft *d)
{
        /* A policy that learns needs no rule: it records and lets run. */
        json_t *v = member(p, root, "syscalls", !json_object_get(root, "learn")), *e;
        size_t i;

        if (!v)
                return;
        if (!json_is_array(v)) {
                fail(p, "syscalls", "expected an array of rules, got %s", type_name(v));
                return;
        }
        /* The file size cap bounds this: a rule takes at least 30 bytes. */
        d->rules = calloc(json_array_size(v) ?: 1, sizeof(*d->rules));
        if (!d->rules) {
                p->oom = -ENOMEM;
                return;
        }
        json_array_foreach(v, i, e) {
                size_t mark = ptr_push(p, "syscalls", i);

                parse_rule(p, e, i, &d->rules[d->n_rules++]);
                ptr_pop(p, mark);
        }
}
