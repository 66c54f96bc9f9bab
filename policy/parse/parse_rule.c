/* Rules: "names", the action and what goes with it, "args". */
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"

#define SUGGEST_MAX_PER_FILE 16

static const char *const rule_keys[] = { "names",       "action",   "errnoRet", "errno",
                                         "returnValue", "handler",  "handlerOptions", "args",
                                         "paths",       "includes", "excludes", "comment",
                                         "notify", "name" };
static const char *const cond_keys[] = { "index", "value", "valueTwo", "op", "comment" };

const char *const policy_op_names[COND_MASKED_EQ + 1] = {
        [COND_NE] = "SCMP_CMP_NE",
        [COND_LT] = "SCMP_CMP_LT",
        [COND_LE] = "SCMP_CMP_LE",
        [COND_EQ] = "SCMP_CMP_EQ",
        [COND_GE] = "SCMP_CMP_GE",
        [COND_GT] = "SCMP_CMP_GT",
        [COND_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
};

/* libseccomp actions a supervisor cannot carry out, and why. */
static const struct {
        const char *name;
        const char *why;
} impossible_actions[] = {
        { "SCMP_ACT_TRAP", "the supervisor cannot make the kernel send SIGSYS" },
        { "SCMP_ACT_TRACE", "the supervisor is not the target's tracer" },
        { "SCMP_ACT_NOTIFY", "every rule here is already decided by the supervisor" },
};

static void fail_unknown_action(struct parser *p, const char *key, const char *name)
{
        const char *close = suggest_word(name, action_names, n_action_names);
        char expected[256];

        join(action_names, n_action_names, expected, sizeof(expected));
        for (size_t i = 0; i < ELEMENTSOF(impossible_actions); i++)
                if (strcmp(name, impossible_actions[i].name) == 0) {
                        fail(p, key, "unsupported action \"%s\" (%s; expected one of %s)", name,
                             impossible_actions[i].why, expected);
                        return;
                }
        if (close)
                fail(p, key, "unsupported action \"%s\" (did you mean \"%s\"?)", name, close);
        else
                fail(p, key, "unsupported action \"%s\" (expected one of %s)", name, expected);
}

/* The action named by member key of obj (required), or NULL. */
static const struct action_name *parse_action(struct parser *p, json_t *obj, const char *key)
{
        json_t *v = member(p, obj, key, true);
        const struct action_name *a;

        if (!v)
                return NULL;
        if (!json_is_string(v)) {
                fail(p, key, "expected an action such as \"SCMP_ACT_ERRNO\", got %s", type_name(v));
                return NULL;
        }
        a = action_by_name(json_string_value(v));
        if (!a)
                fail_unknown_action(p, key, json_string_value(v));
        return a;
}

/* Returns 1..ERRNO_MAX, or 0 when v is not a valid errno. */
static int parse_errno(struct parser *p, const char *key, json_t *v, bool numbers)
{
        int error;

        if (json_is_integer(v) && numbers) {
                if (json_integer_value(v) >= 1 && json_integer_value(v) <= ERRNO_MAX)
                        return (int)json_integer_value(v);
                fail(p, key, "\"%s\" must be 1..%d, got %" JSON_INTEGER_FORMAT, key, ERRNO_MAX,
                     json_integer_value(v));
                return 0;
        }
        if (!json_is_string(v)) {
                if (numbers)
                        fail(p, key, "expected an errno name or number, got %s", type_name(v));
                else
                        fail(p, key,
                             "expected an errno name such as \"EPERM\" (numbers go in "
                             "\"errnoRet\"), got %s",
                             type_name(v));
                return 0;
        }
        error = unotify_errno_from_name(json_string_value(v));
        if (error > 0)
                return error;
        if (numbers)
                fail(p, key,
                     "unknown errno name \"%s\" (expected a name such as \"EPERM\", or a number "
                     "1..%d)",
                     json_string_value(v), ERRNO_MAX);
        else
                fail(p, key, "unknown errno name \"%s\" (expected a name such as \"EPERM\")",
                     json_string_value(v));
        return 0;
}

/* Member key of obj, which only `owner` may have; NULL when absent or
 * misplaced (then reported). */
static json_t *option_of(struct parser *p, json_t *obj, const char *key,
                         const struct action_name *a, enum unotify_action owner)
{
        json_t *v = json_object_get(obj, key);

        if (!v)
                return NULL;
        if (a && a->action != owner) {
                fail(p, key, "\"%s\" is only valid with %s, not %s", key,
                     unotify_action_to_string(owner), a->name);
                return NULL;
        }
        return v;
}

/* errnoRet and errno, as podman's profiles write both: they must agree. */
static int errno_pair(struct parser *p, const char *ret_key, json_t *ret, const char *name_key,
                      json_t *name)
{
        int a = ret ? parse_errno(p, ret_key, ret, true) : 0;
        int b = name ? parse_errno(p, name_key, name, false) : 0;

        if (a > 0 && b > 0 && a != b) {
                fail(p, name_key, "\"%s\" (%s) and \"%s\" (%d) disagree", name_key,
                     json_string_value(name), ret_key, a);
                return 0;
        }
        return a ?: b ?: (ret || name ? 0 : EPERM);
}

static int rule_errno(struct parser *p, json_t *obj, const struct action_name *a)
{
        json_t *ret = option_of(p, obj, "errnoRet", a, UNOTIFY_ACTION_ERRNO);
        json_t *name = option_of(p, obj, "errno", a, UNOTIFY_ACTION_ERRNO);

        return errno_pair(p, "errnoRet", ret, "errno", name);
}

/* A value in -4095..-1 would not reach the target as a value: libc reads
 * it as an error. */
static void rule_return(struct parser *p, json_t *obj, const struct action_name *a,
                        struct unotify_decision *d)
{
        json_t *v = option_of(p, obj, "returnValue", a, UNOTIFY_ACTION_RETURN);
        json_int_t val;

        if (a && a->action == UNOTIFY_ACTION_RETURN && !json_object_get(obj, "returnValue"))
                fail(p, NULL, "missing required key \"returnValue\" (what %s returns)", a->name);
        if (!v)
                return;
        if (!json_is_integer(v)) {
                fail(p, "returnValue", "expected an integer (what the syscall returns), got %s",
                     type_name(v));
                return;
        }
        val = json_integer_value(v);
        if (val >= -ERRNO_MAX && val <= -1) {
                const char *name = unotify_errno_name((int)-val);

                fail(p, "returnValue",
                     "%" JSON_INTEGER_FORMAT " would reach the target as errno %d%s%s%s: use "
                     "SCMP_ACT_ERRNO for errors",
                     val, (int)-val, name ? " (" : "", name ? name : "", name ? ")" : "");
                return;
        }
        d->val = val;
}

static void rule_handler(struct parser *p, json_t *obj, const struct action_name *a,
                         struct unotify_decision *d)
{
        json_t *v = option_of(p, obj, "handler", a, UNOTIFY_ACTION_EMULATE);
        char expected[128];
        const char *name;

        if (a && a->action == UNOTIFY_ACTION_EMULATE && !json_object_get(obj, "handler"))
                fail(p, NULL, "missing required key \"handler\" (who %s hands the call to)",
                     a->name);
        if (!v)
                return;
        name = expect_string(p, "handler", v, "a handler name");
        if (!name)
                return;
        d->handler = handler_by_name(name);
        if (d->handler == UNOTIFY_HANDLER_NONE)
                fail(p, "handler", "unknown handler \"%s\" (expected one of %s)", name,
                     join(handler_names, n_handler_names, expected, sizeof(expected)));
}

/* The errno an action the supervisor carries out itself answers with
 * when it cannot (see struct unotify_decision). */
static int fallback_errno(enum unotify_action a)
{
        switch (a) {
        case UNOTIFY_ACTION_KILL_PROCESS:
        case UNOTIFY_ACTION_KILL_THREAD:
                return EPERM;
        case UNOTIFY_ACTION_EMULATE:
                return ENOSYS;
        case UNOTIFY_ACTION_CONTINUE:
        case UNOTIFY_ACTION_ERRNO:
        case UNOTIFY_ACTION_RETURN:
                break;
        }
        return 0;
}

static void parse_rule_decision(struct parser *p, json_t *obj, struct unotify_decision *ret)
{
        const struct action_name *a = parse_action(p, obj, "action");
        int error = rule_errno(p, obj, a);

        *ret = (struct unotify_decision){ .handler = UNOTIFY_HANDLER_NONE };
        rule_return(p, obj, a, ret);
        rule_handler(p, obj, a, ret);
        if (!a)
                return;
        ret->action = a->action;
        ret->log = a->log;
        ret->error = a->action == UNOTIFY_ACTION_ERRNO ? error : fallback_errno(a->action);
}

void parse_default_decision(struct parser *p, json_t *obj, struct unotify_decision *ret)
{
        const struct action_name *a = parse_action(p, obj, "defaultAction");
        json_t *e = json_object_get(obj, "defaultErrnoRet");
        json_t *n = json_object_get(obj, "defaultErrno"); /* podman's profiles */
        int error = EPERM;

        *ret = (struct unotify_decision){ .rule = -1 };
        if (a && (a->action == UNOTIFY_ACTION_RETURN || a->action == UNOTIFY_ACTION_EMULATE)) {
                fail(p, "defaultAction",
                     "\"%s\" cannot be the defaultAction (it needs a rule of its own)", a->name);
                a = NULL;
        }
        if ((e || n) && a && a->action != UNOTIFY_ACTION_ERRNO)
                fail(p, e ? "defaultErrnoRet" : "defaultErrno",
                     "\"%s\" is only valid with SCMP_ACT_ERRNO, not %s",
                     e ? "defaultErrnoRet" : "defaultErrno", a->name);
        else if (e || n)
                error = errno_pair(p, "defaultErrnoRet", e, "defaultErrno", n);
        if (!a)
                return;
        ret->action = a->action;
        ret->log = a->log;
        ret->error = a->action == UNOTIFY_ACTION_ERRNO ? error : fallback_errno(a->action);
}

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
                warn(p, NULL, "syscall \"%s\" does not exist on this machine's ABIs: skipped", name);
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

void parse_arg_index(struct parser *p, const char *key, json_t *v, unsigned *ret)
{
        if (!json_is_integer(v)) {
                fail(p, key, "expected an integer 0..%d, got %s", RULE_MAX_CONDS - 1, type_name(v));
                return;
        }
        if (json_integer_value(v) < 0 || json_integer_value(v) >= RULE_MAX_CONDS) {
                fail(p, key, "\"%s\" must be 0..%d, got %" JSON_INTEGER_FORMAT, key,
                     RULE_MAX_CONDS - 1, json_integer_value(v));
                return;
        }
        *ret = (unsigned)json_integer_value(v);
}

/* Negative integers are cast like libseccomp's scmp_datum_t: -1 is
 * 0xffffffffffffffff. */
static void parse_value(struct parser *p, const char *key, json_t *v, uint64_t *ret)
{
        if (json_is_integer(v)) {
                *ret = (uint64_t)json_integer_value(v);
                return;
        }
        if (json_is_string(v) && parse_hex(json_string_value(v), ret))
                return;
        if (json_is_string(v))
                fail(p, key,
                     "invalid value \"%s\" (expected an integer, or \"0x\" and 1..16 hex digits)",
                     json_string_value(v));
        else
                fail(p, key, "expected an integer or a \"0x...\" string, got %s", type_name(v));
}

/* Returns false when v is not an op. */
static bool parse_op(struct parser *p, json_t *v, enum cond_op *ret)
{
        char expected[160];

        if (!json_is_string(v)) {
                fail(p, "op", "expected an op such as \"SCMP_CMP_EQ\", got %s", type_name(v));
                return false;
        }
        for (size_t i = 0; i < ELEMENTSOF(policy_op_names); i++)
                if (strcmp(json_string_value(v), policy_op_names[i]) == 0) {
                        *ret = (enum cond_op)i;
                        return true;
                }
        fail(p, "op", "unknown op \"%s\" (expected one of %s)", json_string_value(v),
             join(policy_op_names, ELEMENTSOF(policy_op_names), expected, sizeof(expected)));
        return false;
}

/* Returns true when v is a valid condition, written to ret. */
static bool parse_cond(struct parser *p, json_t *v, struct cond *ret)
{
        unsigned errors = p->n_errors;
        bool op_known = false;
        json_t *m;

        if (!json_is_object(v)) {
                fail(p, NULL, "expected an object (a condition), got %s", type_name(v));
                return false;
        }
        check_keys(p, v, cond_keys, ELEMENTSOF(cond_keys));
        *ret = (struct cond){};
        if ((m = member(p, v, "index", true)))
                parse_arg_index(p, "index", m, &ret->index);
        if ((m = member(p, v, "value", true)))
                parse_value(p, "value", m, &ret->value);
        if ((m = json_object_get(v, "valueTwo")))
                parse_value(p, "valueTwo", m, &ret->value_two);
        if ((m = member(p, v, "op", true)))
                op_known = parse_op(p, m, &ret->op);
        parse_comment(p, v);
        /* Docker profiles write "valueTwo": 0 everywhere; anything else
         * with another op is a mistake that would silently be ignored. */
        if (op_known && ret->op != COND_MASKED_EQ && ret->value_two != 0)
                fail(p, "valueTwo", "\"valueTwo\" is only used by SCMP_CMP_MASKED_EQ, not by %s",
                     policy_op_names[ret->op]);
        return p->n_errors == errors;
}

static void parse_args(struct parser *p, json_t *obj, struct rule *r)
{
        json_t *v = json_object_get(obj, "args"), *e;
        size_t i;

        if (!v)
                return;
        if (!json_is_array(v)) {
                fail(p, "args", "expected an array of conditions, got %s", type_name(v));
                return;
        }
        if (json_array_size(v) > RULE_MAX_CONDS)
                fail(p, "args", "expected at most %d conditions, got %zu", RULE_MAX_CONDS,
                     json_array_size(v));
        json_array_foreach(v, i, e) {
                size_t mark = ptr_push(p, "args", i);
                struct cond c;

                if (parse_cond(p, e, &c) && r->n_conds < RULE_MAX_CONDS)
                        r->conds[r->n_conds++] = c;
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
