/* From checked drafts to the immutable policy the daemon decides with:
 * the effective rules (included policies' first), per-ABI tables indexed
 * by syscall number, the sorted syscall set and its digest. */
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "compile/compile.h"

/* The compiler's state while it builds one policy. */
struct placement {
        uint32_t idx; /* in the arch's table */
        uint32_t ref; /* in policy->rules */
};

struct compiler {
        struct unotify_policy *p;
        const struct draft_rule **drafts; /* one per effective rule */
        uint32_t kernel;
        size_t cap_rules; /* allocated p->rules */
        struct placement *places;
        size_t n_places, cap_places;
};

static int grow(void **items, size_t *cap, size_t need, size_t size)
{
        size_t n = *cap ?: 16;
        void *grown;

        if (need <= *cap)
                return 0;
        while (n < need)
                n *= 2;
        grown = reallocarray(*items, n, size);
        if (!grown)
                return -ENOMEM;
        *items = grown;
        *cap = n;
        return 0;
}

static int compiler_add_place(struct compiler *c, uint32_t idx, uint32_t ref)
{
        /* One rule once per slot, even if it names the same syscall twice
         * through aliases ("fcntl" and "fcntl64" are one number on x86). */
        for (size_t i = c->n_places; i-- > 0 && c->places[i].ref == ref;)
                if (c->places[i].idx == idx)
                        return 0;
        if (grow((void **)&c->places, &c->cap_places, c->n_places + 1, sizeof(*c->places)) < 0)
                return -ENOMEM;
        c->places[c->n_places++] = (struct placement){ .idx = idx, .ref = ref };
        return 0;
}

static int compiler_add_rule(struct compiler *c, const struct rule *r, uint32_t *ret_ref)
{
        struct unotify_policy *p = c->p;
        size_t n = p->n_rules + p->n_variants;

        if (grow((void **)&p->rules, &c->cap_rules, n + 1, sizeof(*p->rules)) < 0)
                return -ENOMEM;
        p->rules[n] = *r;
        p->n_variants++;
        *ret_ref = (uint32_t)n;
        return 0;
}

/* includes/excludes that do not depend on the target. An unknown kernel
 * (0) is older than every minKernel. */
static bool rule_applies(const struct rule_filter *f, uint32_t token, uint32_t kernel)
{
        uint32_t bit = arch_bit(token);

        if (f->arches_in && !(f->arches_in & bit))
                return false;
        if (f->arches_out & bit)
                return false;
        if (f->kernel_in && kernel < f->kernel_in)
                return false;
        if (f->kernel_out && kernel >= f->kernel_out)
                return false;
        return true;
}

/* Where name goes in the table of arch a, or -1: not a syscall there
 * (libseccomp gives negative pseudo numbers for those). */
static int64_t table_index(const struct policy_arch *a, const char *name)
{
        int nr = seccomp_syscall_resolve_name_arch(a->token, name);

        if (nr < 0 || (uint32_t)nr < a->nr_base)
                return -1;
        return (int64_t)((uint32_t)nr - a->nr_base);
}

/* On x86, rule ref for a multiplexed name (mux.c) decides its direct
 * number too and, as a variant with the implied condition, its
 * multiplexer. Elsewhere, or for other names: nothing. */
static int place_mux(struct compiler *c, const struct policy_arch *a, uint32_t ref,
                     const char *name)
{
        const struct mux_entry *e = a->token == SCMP_ARCH_X86 ? mux_lookup(name) : NULL;
        struct rule variant;
        uint32_t vref;
        int r;

        if (!e)
                return 0;
        if (e->direct >= 0) {
                r = compiler_add_place(c, (uint32_t)e->direct, ref);
                if (r < 0)
                        return r;
        }
        if (!mux_variant(e, &c->p->rules[ref], &variant))
                return 0;
        r = compiler_add_rule(c, &variant, &vref);
        if (r < 0)
                return r;
        return compiler_add_place(c, (uint32_t)mux_nr(e->via), vref);
}

static int place_rule(struct compiler *c, const struct policy_arch *a, uint32_t ref)
{
        const struct draft_rule *d = c->drafts[ref];
        int r;

        if (!rule_applies(&d->filter, a->token, c->kernel))
                return 0;
        for (size_t j = 0; j < d->n_names; j++) {
                int64_t idx = table_index(a, d->names[j]);

                if (idx >= 0) {
                        r = compiler_add_place(c, (uint32_t)idx, ref);
                        if (r < 0)
                                return r;
                }
                r = place_mux(c, a, ref, d->names[j]);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Counting sort of the placements by number: each slot then lists its
 * rules in file order, which first-match needs. */
static int fill_table(struct arch_table *t, const struct compiler *c)
{
        uint32_t total = 0;

        for (size_t i = 0; i < c->n_places; i++)
                if (c->places[i].idx >= t->size)
                        t->size = c->places[i].idx + 1;
        if (t->size == 0)
                return 0;
        t->slots = calloc(t->size, sizeof(*t->slots));
        t->refs = calloc(c->n_places, sizeof(*t->refs));
        if (!t->slots || !t->refs)
                return -ENOMEM;
        for (size_t i = 0; i < c->n_places; i++)
                t->slots[c->places[i].idx].count++;
        for (uint32_t s = 0; s < t->size; s++) {
                t->slots[s].first = total;
                total += t->slots[s].count;
                t->slots[s].count = 0;
        }
        for (size_t i = 0; i < c->n_places; i++) {
                struct slot *s = &t->slots[c->places[i].idx];

                t->refs[s->first + s->count++] = c->places[i].ref;
        }
        return 0;
}

static int build_table(struct compiler *c, const struct policy_arch *a, struct arch_table *t)
{
        int r;

        *t = (struct arch_table){ .token = a->token,
                                  .audit_arch = a->audit_arch,
                                  .nr_base = a->nr_base };
        c->n_places = 0;
        for (size_t i = 0; i < c->p->n_rules; i++) {
                r = place_rule(c, a, (uint32_t)i);
                if (r < 0)
                        return r;
        }
        return fill_table(t, c);
}

static int cmp_names(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int collect_syscalls(struct unotify_policy *p)
{
        size_t n = 0, k = 0;
        _cleanup_(freep) const char **all = NULL;

        for (size_t i = 0; i < p->n_rules; i++)
                n += p->info[i].n_names;
        all = calloc(n ?: 1, sizeof(*all));
        p->syscalls = calloc(n ?: 1, sizeof(*p->syscalls));
        if (!all || !p->syscalls)
                return -ENOMEM;
        for (size_t i = 0; i < p->n_rules; i++)
                for (size_t j = 0; j < p->info[i].n_names; j++)
                        all[k++] = p->info[i].names[j];
        qsort(all, n, sizeof(*all), cmp_names);
        for (size_t i = 0; i < n; i++) {
                if (i > 0 && strcmp(all[i], all[i - 1]) == 0)
                        continue;
                p->syscalls[p->n_syscalls] = strdup(all[i]);
                if (!p->syscalls[p->n_syscalls])
                        return -ENOMEM;
                p->n_syscalls++;
        }
        return 0;
}

static int copy_strings(const char *const *from, size_t n, char ***ret)
{
        *ret = calloc(n ?: 1, sizeof(**ret));
        if (!*ret)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                (*ret)[i] = strdup(from[i]);
                if (!(*ret)[i])
                        return -ENOMEM;
        }
        return 0;
}

/* p->select from d's "select" (the draft's strings are borrowed). */
static int copy_selector(struct unotify_policy *p, const struct draft *d)
{
        struct selector *s;
        int r;

        if (!d->has_select)
                return 0;
        s = p->select = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->n_meta = d->select.n_meta;
        s->n_annotations = d->select.n_annotations;
        r = copy_strings(d->select.meta, 2 * s->n_meta, &s->meta);
        if (r >= 0)
                r = copy_strings(d->select.annotations, 2 * s->n_annotations, &s->annotations);
        if (r >= 0 && d->select.container) {
                s->container = strdup(d->select.container);
                if (!s->container)
                        r = -ENOMEM;
        }
        return r;
}

/* The rule with its path patterns copied: the draft's are borrowed. */
static int copy_rule(struct unotify_policy *p, size_t k, const struct draft_rule *d,
                     uint32_t source)
{
        struct rule *r = &p->rules[k];
        int ret;

        *r = d->rule;
        r->decision.rule = (int)k;
        for (unsigned i = 0; i < r->n_paths; i++)
                r->paths[i].pattern = NULL;
        r->options = NULL;
        if (d->rule.options && handler_options_copy(d->rule.options, &r->options) < 0)
                return -ENOMEM;
        for (unsigned i = 0; i < r->n_paths; i++) {
                r->paths[i].pattern = strdup(d->rule.paths[i].pattern);
                if (!r->paths[i].pattern)
                        return -ENOMEM;
        }
        if (r->caps_all || r->caps_none || r->n_paths)
                p->needs_view = true;
        p->info[k] = (struct rule_info){ .source = source,
                                         .index = (uint32_t)d->rule.decision.rule,
                                         .n_names = d->n_names };
        ret = copy_strings(d->names, d->n_names, &p->info[k].names);
        if (!p->info[k].names)
                p->info[k].n_names = 0;
        return ret;
}

static int add_sources(struct unotify_policy *p, const struct compile_part *parts, size_t n)
{
        p->sources = calloc(n, sizeof(*p->sources));
        if (!p->sources)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                /* parts[n - 1] is the policy itself: source 0. */
                const struct compile_part *part = &parts[(i + n - 1) % n];

                p->sources[i].name = strdup(part->draft->name);
                p->sources[i].origin = strdup(part->origin);
                p->n_sources++;
                if (!p->sources[i].name || !p->sources[i].origin)
                        return -ENOMEM;
        }
        return 0;
}

static int copy_rules(struct compiler *c, const struct compile_part *parts, size_t n_parts)
{
        struct unotify_policy *p = c->p;
        size_t n = 0, k = 0;
        int r;

        for (size_t i = 0; i < n_parts; i++)
                n += parts[i].draft->n_rules;
        p->rules = calloc(n ?: 1, sizeof(*p->rules));
        p->info = calloc(n ?: 1, sizeof(*p->info));
        c->drafts = calloc(n ?: 1, sizeof(*c->drafts));
        if (!p->rules || !p->info || !c->drafts)
                return -ENOMEM;
        c->cap_rules = n ?: 1;
        for (size_t i = 0; i < n_parts; i++)
                for (size_t j = 0; j < parts[i].draft->n_rules; j++, k++) {
                        c->drafts[k] = &parts[i].draft->rules[j];
                        r = copy_rule(p, k, c->drafts[k], (uint32_t)((i + 1) % n_parts));
                        p->n_rules++;
                        if (r < 0)
                                return r;
                }
        return 0;
}

static int compile_rules(struct compiler *c, const struct compile_part *parts, size_t n_parts)
{
        struct policy_arch arches[POLICY_MAX_ARCHES];
        size_t n_arches = policy_arches(arches);
        int r;

        r = copy_rules(c, parts, n_parts);
        if (r < 0)
                return r;
        r = collect_syscalls(c->p);
        if (r < 0)
                return r;
        c->p->digest = digest_sorted((const char *const *)c->p->syscalls, c->p->n_syscalls);
        for (size_t i = 0; i < n_arches; i++) {
                r = build_table(c, &arches[i], &c->p->tables[c->p->n_tables++]);
                if (r < 0)
                        return r;
        }
        return policy_plan_compile(c->p);
}

int policy_compile(const struct compile_part *parts, size_t n_parts, const struct load_opts *opts,
                   struct unotify_policy **ret)
{
        const struct draft *d = parts[n_parts - 1].draft;
        _cleanup_(unotify_policy_unrefp) struct unotify_policy *p =
                policy_alloc(d->name, parts[n_parts - 1].origin);
        struct compiler c = { .p = p, .kernel = opts->kernel };
        int r;

        if (!p)
                return -ENOMEM;
        p->default_decision = d->default_decision;
        p->is_default = d->is_default;
        p->learns = d->has_learn;
        p->learn = d->learn;
        r = add_sources(p, parts, n_parts);
        if (r >= 0)
                r = copy_strings(d->includes, d->n_includes, &p->includes);
        p->n_includes = d->n_includes;
        if (r >= 0)
                r = copy_strings(d->flags, d->n_flags, &p->flags);
        p->n_flags = d->n_flags;
        if (r >= 0)
                r = copy_selector(p, d);
        if (r >= 0)
                r = landlock_compile(p, d);
        if (r >= 0)
                r = compile_rules(&c, parts, n_parts);
        free(c.drafts);
        free(c.places);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}
