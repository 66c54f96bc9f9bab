/* The policy language: a JSON document in, a checked draft out. This file
 * checks the top level; parse_*.c the parts below it. */
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"

/* Ours, then what runtimes' profiles have (parse_profile.c). */
static const char *const root_keys[] = {
        "name",         "comment",          "defaultAction", "defaultErrnoRet",
        "syscalls",     "include",          "select",        "default",
        "defaultErrno", "archMap",          "architectures", "flags",
        "listenerPath", "listenerMetadata", "landlock",      "learn"
};

/* A profile without "name" is named after its file: "default.json" is
 * "default". */
static void name_from_origin(struct parser *p, struct draft *d)
{
        const char *base = strrchr(p->origin, '/');
        size_t n;

        base = base ? base + 1 : p->origin;
        n = strlen(base);
        if (n > 5 && strcmp(base + n - 5, ".json") == 0)
                n -= 5;
        if (n == 0 || n >= UNOTIFY_POLICY_NAME_MAX ||
            strspn(base, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") < n) {
                fail(p, NULL,
                     "missing key \"name\" (the file name \"%s\" cannot be the policy's name: "
                     "1..%d of A-Z a-z 0-9 . _ -)",
                     base, UNOTIFY_POLICY_NAME_MAX - 1);
                return;
        }
        d->own_name = strndup(base, n);
        if (!d->own_name)
                p->oom = -ENOMEM;
        d->name = d->own_name;
}

static void parse_name(struct parser *p, json_t *root, struct draft *d)
{
        json_t *v = member(p, root, "name", false);
        const char *name;
        size_t n;

        if (!v) {
                name_from_origin(p, d);
                return;
        }
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

/* Drop the members that are null, in every object but the data maps of
 * "select" (whose values are strings anyway). */
static void strip_nulls(json_t *v)
{
        const char *key;
        json_t *m;
        void *tmp;
        size_t i;

        if (json_is_array(v))
                json_array_foreach(v, i, m)
                        strip_nulls(m);
        if (!json_is_object(v))
                return;
        json_object_foreach_safe(v, tmp, key, m)
        {
                if (json_is_null(m))
                        json_object_del(v, key);
                else
                        strip_nulls(m);
        }
}

int policy_parse(json_t *root, const char *origin, const struct load_opts *opts,
                 struct unotify_diags *diags, struct draft *ret)
{
        struct parser p = { .origin = origin, .diags = diags, .strict = opts->strict };

        *ret = (struct draft){ .default_decision.rule = -1 };
        p.n_arches = policy_arches(p.arches);
        if (!json_is_object(root)) {
                fail(&p, NULL, "expected an object (a policy), got %s", type_name(root));
                return p.oom ?: -EINVAL;
        }
        /* Go's encoders write null (and {}) for what is not set. */
        strip_nulls(root);
        check_keys(&p, root, root_keys, ELEMENTSOF(root_keys));
        parse_name(&p, root, ret);
        parse_profile_keys(&p, root, ret);
        parse_default_decision(&p, root, &ret->default_decision);
        parse_rules(&p, root, ret);
        parse_include(&p, root, ret);
        parse_select(&p, root, ret);
        parse_default(&p, root, ret);
        parse_landlock(&p, root, ret);
        parse_learn(&p, root, ret);
        parse_comment(&p, root);
        suggest_free_names(p.known, p.n_known);
        if (p.oom)
                return p.oom;
        return p.n_errors > 0 ? -EINVAL : 0;
}

void draft_done(struct draft *d)
{
        for (size_t i = 0; i < d->n_rules; i++) {
                free(d->rules[i].names);
                handler_options_free(d->rules[i].rule.options, false);
        }
        free(d->rules);
        free(d->includes);
        free(d->select.meta);
        free(d->select.annotations);
        free(d->own_name);
        free(d->landlock.rules);
        *d = (struct draft){};
}
