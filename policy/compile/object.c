/* The compiled policy as an object: its lifetime (shared, immutable once
 * compiled) and what it says about itself. */
#include <stdlib.h>
#include <string.h>

#include "compile/compile.h"

struct unotify_policy *policy_alloc(const char *name, const char *origin)
{
        _cleanup_(unotify_policy_unrefp) struct unotify_policy *p = calloc(1, sizeof(*p));

        if (!p)
                return NULL;
        p->n_ref = 1;
        p->name = strdup(name);
        p->origin = strdup(origin);
        if (!p->name || !p->origin)
                return NULL;
        return TAKE_PTR(p);
}

static void free_strings(char **s, size_t n)
{
        for (size_t i = 0; s && i < n; i++)
                free(s[i]);
        free(s);
}

static void selector_free(struct selector *s)
{
        if (!s)
                return;
        free_strings(s->meta, 2 * s->n_meta);
        free_strings(s->annotations, 2 * s->n_annotations);
        free(s->container);
        free(s);
}

static void free_rules(struct unotify_policy *p)
{
        /* Variants (after n_rules) share nothing that is freed. */
        for (size_t i = 0; i < p->n_rules; i++) {
                for (unsigned j = 0; j < p->rules[i].n_paths; j++)
                        free(p->rules[i].paths[j].pattern);
                handler_options_free(p->rules[i].options, true);
                if (p->info)
                        free_strings(p->info[i].names, p->info[i].n_names);
        }
        free(p->rules);
        free(p->info);
}

static void policy_free(struct unotify_policy *p)
{
        for (size_t i = 0; i < p->n_tables; i++) {
                free(p->tables[i].slots);
                free(p->tables[i].refs);
                free(p->tables[i].notified);
        }
        unotify_kernel_plan_free(p->plan);
        landlock_free(p->landlock);
        unotify_filter_free(&p->launcher_filter);
        free_rules(p);
        free_strings(p->syscalls, p->n_syscalls);
        free_strings(p->flags, p->n_flags);
        for (size_t i = 0; i < p->n_sources; i++) {
                free(p->sources[i].name);
                free(p->sources[i].origin);
        }
        free(p->sources);
        free_strings(p->includes, p->n_includes);
        selector_free(p->select);
        free(p->name);
        free(p->origin);
        free(p);
}

/* Atomic: listeners may hand references to helper threads. */
struct unotify_policy *unotify_policy_ref(struct unotify_policy *p)
{
        if (p)
                __atomic_add_fetch(&p->n_ref, 1, __ATOMIC_RELAXED);
        return p;
}

struct unotify_policy *unotify_policy_unref(struct unotify_policy *p)
{
        if (p && __atomic_sub_fetch(&p->n_ref, 1, __ATOMIC_ACQ_REL) == 0)
                policy_free(p);
        return NULL;
}

const char *unotify_policy_name(const struct unotify_policy *p)
{
        return p->name;
}

const char *const *unotify_policy_filter_flags(const struct unotify_policy *p, size_t *ret_count)
{
        *ret_count = p->n_flags;
        return (const char *const *)p->flags;
}

const char *unotify_policy_origin(const struct unotify_policy *p)
{
        return p->origin;
}

const char *const *unotify_policy_syscalls(const struct unotify_policy *p, size_t *ret_count)
{
        *ret_count = p->n_syscalls;
        return (const char *const *)p->syscalls;
}

uint64_t unotify_policy_syscalls_digest(const struct unotify_policy *p)
{
        return p->plan ? p->plan->digest : p->digest;
}

int unotify_policy_rule_source(const struct unotify_policy *p, int rule, const char **ret_policy,
                               const char **ret_origin, unsigned *ret_index)
{
        const struct policy_source *s;

        if (rule < 0 || (size_t)rule >= p->n_rules)
                return -ENOENT;
        s = &p->sources[p->info[rule].source];
        if (ret_policy)
                *ret_policy = s->name;
        if (ret_origin)
                *ret_origin = s->origin;
        if (ret_index)
                *ret_index = p->info[rule].index;
        return 0;
}

const struct unotify_handler_options *unotify_policy_handler_options(const struct unotify_policy *p,
                                                                     int rule)
{
        if (rule < 0 || (size_t)rule >= p->n_rules)
                return NULL;
        return p->rules[rule].options;
}

size_t unotify_policy_rule_count(const struct unotify_policy *p)
{
        return p->n_rules;
}

enum unotify_handler unotify_policy_rule_handler(const struct unotify_policy *p, int rule)
{
        if (rule < 0 || (size_t)rule >= p->n_rules)
                return UNOTIFY_HANDLER_NONE;
        return p->rules[rule].decision.handler;
}

const struct unotify_learn_limits *unotify_policy_learn(const struct unotify_policy *p)
{
        return p && p->learns ? &p->learn : NULL;
}
