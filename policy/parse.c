/* The policy language: a JSON document in, a checked draft out. This file
 * checks the top level; parse_*.c the parts below it. */
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"

static const char *const root_keys[] = { "name",     "comment", "defaultAction", "defaultErrnoRet",
                                         "syscalls", "include", "select",        "default" };

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
        check_keys(&p, root, root_keys, ELEMENTSOF(root_keys));
        parse_name(&p, root, ret);
        parse_default_decision(&p, root, &ret->default_decision);
        parse_rules(&p, root, ret);
        parse_include(&p, root, ret);
        parse_select(&p, root, ret);
        parse_default(&p, root, ret);
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
        *d = (struct draft){};
}
