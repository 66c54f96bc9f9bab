/* The v1 policy language: a JSON document in, a checked draft out.
 *
 * Every problem is reported, not only the first: an admin fixing a file
 * should see all of its mistakes in one run. Each one names the JSON
 * pointer (RFC 6901) of the value at fault, or of the object that misses
 * or has an extra key, and says what was found and what was expected. */
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct parser {
        const char *origin;
        struct unotify_diags *diags;
        struct policy_arch arches[POLICY_MAX_ARCHES];
        size_t n_arches;
        unsigned n_errors;
        int oom; /* -ENOMEM once anything could not be allocated */
        /* For "did you mean": filled at the first unknown syscall. */
        char **known;
        size_t n_known;
        unsigned n_suggested;
        /* Pointer of the object being checked. Built from known keys and
         * indices only (never from the document's keys), so it is short
         * and needs no ~0/~1 escaping. */
        char ptr[128];
};

#define SUGGEST_MAX_PER_FILE 16

static const char *const root_keys[] = { "name", "comment", "defaultAction", "defaultErrnoRet",
                                         "syscalls" };
static const char *const rule_keys[] = { "names", "action", "errnoRet", "args", "comment" };
static const char *const cond_keys[] = { "index", "value", "valueTwo", "op" };

static const char *const op_names[] = {
        [COND_NE] = "SCMP_CMP_NE",
        [COND_LT] = "SCMP_CMP_LT",
        [COND_LE] = "SCMP_CMP_LE",
        [COND_EQ] = "SCMP_CMP_EQ",
        [COND_GE] = "SCMP_CMP_GE",
        [COND_GT] = "SCMP_CMP_GT",
        [COND_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
};

static size_t ptr_push(struct parser *p, const char *segment, size_t index)
{
        size_t mark = strlen(p->ptr);

        snprintf(p->ptr + mark, sizeof(p->ptr) - mark, "/%s/%zu", segment, index);
        return mark;
}

static void ptr_pop(struct parser *p, size_t mark)
{
        p->ptr[mark] = '\0';
}

/* Report a problem with member key of the current object, or with the
 * object itself when key is NULL. */
_printf_(3, 4) static void fail(struct parser *p, const char *key, const char *fmt, ...)
{
        _cleanup_(freep) char *msg = NULL;
        char pointer[sizeof(p->ptr) + 32];
        va_list ap;
        int n;

        p->n_errors++;
        va_start(ap, fmt);
        n = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (n < 0) {
                msg = NULL;
                p->oom = -ENOMEM;
                return;
        }
        snprintf(pointer, sizeof(pointer), "%s%s%s", p->ptr, key ? "/" : "", key ? key : "");
        if (diag_add(p->diags, p->origin, 0, 0, pointer, "%s", msg) < 0)
                p->oom = -ENOMEM;
}

static const char *type_name(const json_t *v)
{
        switch (json_typeof(v)) {
        case JSON_OBJECT:
                return "an object";
        case JSON_ARRAY:
                return "an array";
        case JSON_STRING:
                return "a string";
        case JSON_INTEGER:
                return "an integer";
        case JSON_REAL:
                return "a real number";
        case JSON_TRUE:
                return "true";
        case JSON_FALSE:
                return "false";
        case JSON_NULL:
                return "null";
        }
        return "an unknown JSON value";
}

static bool in_list(const char *s, const char *const *list, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(s, list[i]) == 0)
                        return true;
        return false;
}

/* "A, B, C" into buf; for messages. */
static const char *join(const char *const *list, size_t n, char *buf, size_t size)
{
        size_t len = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < n && len < size; i++)
                len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "", list[i]);
        return buf;
}

static void check_keys(struct parser *p, json_t *obj, const char *const *known, size_t n)
{
        char expected[128];

        for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
                const char *key = json_object_iter_key(it);
                const char *close;

                if (in_list(key, known, n))
                        continue;
                close = suggest_word(key, known, n);
                if (close)
                        fail(p, NULL, "unknown key \"%s\" (did you mean \"%s\"?)", key, close);
                else
                        fail(p, NULL, "unknown key \"%s\" (expected one of %s)", key,
                             join(known, n, expected, sizeof(expected)));
        }
}

/* Member key of obj, or NULL; a missing required key is reported. */
static json_t *member(struct parser *p, json_t *obj, const char *key, bool required)
{
        json_t *v = json_object_get(obj, key);

        if (!v && required)
                fail(p, NULL, "missing required key \"%s\"", key);
        return v;
}

static void parse_name(struct parser *p, json_t *root, struct draft *d)
{
        json_t *v = member(p, root, "name", true);
        const char *name;
        size_t n;

        if (!v)
                return;
        if (!json_is_string(v)) {
                fail(p, "name", "expected a string, got %s", type_name(v));
                return;
        }
        name = json_string_value(v);
        n = strlen(name);
        if (n == 0 || n >= UNOTIFY_POLICY_NAME_MAX) {
                fail(p, "name", "expected 1..%d characters, got %zu", UNOTIFY_POLICY_NAME_MAX - 1,
                     n);
                return;
        }
        /* The name travels in handoff metadata, logs and file names. */
        if (strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") !=
            n) {
                fail(p, "name", "invalid name \"%s\" (expected only A-Z a-z 0-9 . _ -)", name);
                return;
        }
        d->name = name;
}

static void parse_comment(struct parser *p, json_t *obj)
{
        json_t *v = json_object_get(obj, "comment");

        if (v && !json_is_string(v))
                fail(p, "comment", "expected a string, got %s", type_name(v));
}

/* Returns the action, or 0 when it is not one v1 knows. */
static enum unotify_action parse_action(struct parser *p, const char *key, json_t *v)
{
        static const enum unotify_action actions[] = { UNOTIFY_ACTION_CONTINUE,
                                                       UNOTIFY_ACTION_ERRNO };

        if (!json_is_string(v)) {
                fail(p, key, "expected an action such as \"SCMP_ACT_ERRNO\", got %s", type_name(v));
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(actions); i++)
                if (strcmp(json_string_value(v), unotify_action_to_string(actions[i])) == 0)
                        return actions[i];
        fail(p, key, "unsupported action \"%s\" (v1 supports SCMP_ACT_ALLOW and SCMP_ACT_ERRNO)",
             json_string_value(v));
        return 0;
}

/* Returns 1..ERRNO_MAX, or 0 when v is not a valid errno. */
static int parse_errno(struct parser *p, const char *key, json_t *v)
{
        int error;

        if (json_is_integer(v)) {
                if (json_integer_value(v) >= 1 && json_integer_value(v) <= ERRNO_MAX)
                        return (int)json_integer_value(v);
                fail(p, key, "\"%s\" must be 1..%d, got %" JSON_INTEGER_FORMAT, key, ERRNO_MAX,
                     json_integer_value(v));
                return 0;
        }
        if (!json_is_string(v)) {
                fail(p, key, "expected an errno name or number, got %s", type_name(v));
                return 0;
        }
        error = unotify_errno_from_name(json_string_value(v));
        if (error > 0)
                return error;
        fail(p, key,
             "unknown errno name \"%s\" (expected a name such as \"EPERM\", or a number 1..%d)",
             json_string_value(v), ERRNO_MAX);
        return 0;
}

/* action_key (required) and errno_key (optional, only with ERRNO) of obj. */
static void parse_decision(struct parser *p, json_t *obj, const char *action_key,
                           const char *errno_key, struct unotify_decision *ret)
{
        json_t *a = member(p, obj, action_key, true);
        json_t *e = json_object_get(obj, errno_key);
        enum unotify_action action = a ? parse_action(p, action_key, a) : 0;
        int error = EPERM;

        if (e && action == UNOTIFY_ACTION_CONTINUE)
                fail(p, errno_key, "\"%s\" is only valid with SCMP_ACT_ERRNO, not SCMP_ACT_ALLOW",
                     errno_key);
        else if (e)
                error = parse_errno(p, errno_key, e);
        ret->action = action;
        ret->error = action == UNOTIFY_ACTION_ERRNO ? error : 0;
}

static bool syscall_known(const struct parser *p, const char *name)
{
        for (size_t i = 0; i < p->n_arches; i++)
                if (seccomp_syscall_resolve_name_arch(p->arches[i].token, name) >= 0)
                        return true;
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

static void fail_unknown_syscall(struct parser *p, const char *name)
{
        const char *close = suggest(p, name);

        if (close)
                fail(p, NULL, "unknown syscall \"%s\" (did you mean \"%s\"?)", name, close);
        else
                fail(p, NULL, "unknown syscall \"%s\"", name);
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
                        fail(p, NULL, "syscall \"%s\" is already named in this rule", name);
                        return NULL;
                }
        if (!syscall_known(p, name)) {
                fail_unknown_syscall(p, name);
                return NULL;
        }
        return name;
}

static void parse_names(struct parser *p, json_t *obj, struct draft_rule *r)
{
        json_t *v = member(p, obj, "names", true), *e;
        size_t i;

        if (!v)
                return;
        if (!json_is_array(v)) {
                fail(p, "names", "expected an array of syscall names, got %s", type_name(v));
                return;
        }
        if (json_array_size(v) == 0) {
                fail(p, "names", "expected at least one syscall name, got an empty array");
                return;
        }
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

static void parse_index(struct parser *p, json_t *v, unsigned *ret)
{
        if (!json_is_integer(v)) {
                fail(p, "index", "expected an integer 0..%d, got %s", RULE_MAX_CONDS - 1,
                     type_name(v));
                return;
        }
        if (json_integer_value(v) < 0 || json_integer_value(v) >= RULE_MAX_CONDS) {
                fail(p, "index", "\"index\" must be 0..%d, got %" JSON_INTEGER_FORMAT,
                     RULE_MAX_CONDS - 1, json_integer_value(v));
                return;
        }
        *ret = (unsigned)json_integer_value(v);
}

/* "0x" and 1..16 hex digits: how values above INT64_MAX are written,
 * since jansson's integers are int64_t. */
static bool parse_hex(const char *s, uint64_t *ret)
{
        uint64_t value = 0;
        size_t n;

        if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
                return false;
        s += 2;
        n = strlen(s);
        if (n == 0 || n > 16 || strspn(s, "0123456789abcdefABCDEF") != n)
                return false;
        for (; *s; s++)
                value = value << 4 | (uint64_t)(*s <= '9' ? *s - '0' : (*s | 0x20) - 'a' + 10);
        *ret = value;
        return true;
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
        for (size_t i = 0; i < ELEMENTSOF(op_names); i++)
                if (strcmp(json_string_value(v), op_names[i]) == 0) {
                        *ret = (enum cond_op)i;
                        return true;
                }
        fail(p, "op", "unknown op \"%s\" (expected one of %s)", json_string_value(v),
             join(op_names, ELEMENTSOF(op_names), expected, sizeof(expected)));
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
                parse_index(p, m, &ret->index);
        if ((m = member(p, v, "value", true)))
                parse_value(p, "value", m, &ret->value);
        if ((m = json_object_get(v, "valueTwo")))
                parse_value(p, "valueTwo", m, &ret->value_two);
        if ((m = member(p, v, "op", true)))
                op_known = parse_op(p, m, &ret->op);
        /* Docker profiles write "valueTwo": 0 everywhere; anything else
         * with another op is a mistake that would silently be ignored. */
        if (op_known && ret->op != COND_MASKED_EQ && ret->value_two != 0)
                fail(p, "valueTwo", "\"valueTwo\" is only used by SCMP_CMP_MASKED_EQ, not by %s",
                     op_names[ret->op]);
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

static void parse_rule(struct parser *p, json_t *v, size_t index, struct draft_rule *r)
{
        if (!json_is_object(v)) {
                fail(p, NULL, "expected an object (a rule), got %s", type_name(v));
                return;
        }
        check_keys(p, v, rule_keys, ELEMENTSOF(rule_keys));
        parse_names(p, v, r);
        parse_decision(p, v, "action", "errnoRet", &r->rule.decision);
        r->rule.decision.rule = (int)index;
        parse_args(p, v, &r->rule);
        parse_comment(p, v);
}

static void parse_rules(struct parser *p, json_t *root, struct draft *d)
{
        json_t *v = member(p, root, "syscalls", true), *e;
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

int policy_parse(json_t *root, const char *origin, struct unotify_diags *diags, struct draft *ret)
{
        struct parser p = { .origin = origin, .diags = diags };

        *ret = (struct draft){ .default_decision.rule = -1 };
        p.n_arches = policy_arches(p.arches);
        if (!json_is_object(root)) {
                fail(&p, NULL, "expected an object (a policy), got %s", type_name(root));
                return p.oom ?: -EINVAL;
        }
        check_keys(&p, root, root_keys, ELEMENTSOF(root_keys));
        parse_name(&p, root, ret);
        parse_decision(&p, root, "defaultAction", "defaultErrnoRet", &ret->default_decision);
        parse_rules(&p, root, ret);
        parse_comment(&p, root);
        suggest_free_names(p.known, p.n_known);
        if (p.oom)
                return p.oom;
        return p.n_errors > 0 ? -EINVAL : 0;
}

void draft_done(struct draft *d)
{
        for (size_t i = 0; i < d->n_rules; i++)
                free(d->rules[i].names);
        free(d->rules);
        *d = (struct draft){};
}
