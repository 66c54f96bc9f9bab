/* A rule's decision: "action" and what goes with it ("errnoRet",
 * "errno", "returnValue", "handler"); and the policy's default one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"

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

void parse_rule_decision(struct parser *p, json_t *obj, struct unotify_decision *ret)
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
