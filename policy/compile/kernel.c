/* The kernel plan: which of a policy's decisions the seccomp filter makes
 * itself, and which go to the daemon.
 *
 * The daemon decides first match in file order; libseccomp, which builds
 * the filter for runc, crun and unotify-run, keeps no order between the
 * rules of one syscall. So the kernel gets a syscall's rules only when
 * order cannot matter: rules with different answers never overlap, and
 * every rule is one libseccomp can compile as written (no path, no
 * capability, no RETURN or emulation, each argument compared once). The
 * answer must also be the same on every ABI where the name exists, since
 * an OCI profile names syscalls, not numbers per ABI. Everything else is
 * notified, and the daemon answers from the whole policy. */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile/compile.h"

/* The rules of one name on one ABI, as the kernel would apply them. */
struct lane {
        size_t n;
        struct unotify_kernel_rule *rules;
        const char *why; /* set: the daemon must decide */
};

static bool same_decision(const struct unotify_decision *a, const struct unotify_decision *b)
{
        return a->action == b->action && a->error == b->error && a->log == b->log &&
               a->val == b->val && a->handler == b->handler;
}

static bool same_rule(const struct unotify_kernel_rule *a, const struct unotify_kernel_rule *b)
{
        if (!same_decision(&a->decision, &b->decision) || a->n_conds != b->n_conds)
                return false;
        for (unsigned i = 0; i < a->n_conds; i++)
                if (a->conds[i].index != b->conds[i].index || a->conds[i].op != b->conds[i].op ||
                    a->conds[i].value != b->conds[i].value ||
                    a->conds[i].value_two != b->conds[i].value_two)
                        return false;
        return true;
}

/* Back to the compiled form, for policy_rules_exclusive(). */
static struct rule as_rule(const struct unotify_kernel_rule *k)
{
        struct rule r = { .decision = k->decision, .n_conds = k->n_conds };

        for (unsigned i = 0; i < k->n_conds; i++)
                r.conds[i] = (struct cond){ .index = k->conds[i].index,
                                            .op = (enum cond_op)(k->conds[i].op - SCMP_CMP_NE),
                                            .value = k->conds[i].value,
                                            .value_two = k->conds[i].value_two };
        return r;
}

static bool kernel_exclusive(const struct unotify_kernel_rule *a,
                             const struct unotify_kernel_rule *b)
{
        struct rule ra = as_rule(a), rb = as_rule(b);

        return policy_rules_exclusive(&ra, &rb);
}

/* Why rule r cannot be in the kernel as written, or NULL. caps: see
 * unotify_kernel_plan_new(); *skip: r never applies with those caps. */
static const char *kernel_unfit(const struct rule *r, const uint64_t *caps, bool *skip)
{
        uint32_t seen = 0;

        *skip = false;
        if (r->notify)
                return "a rule asks for the daemon (\"notify\": true)";
        if (r->n_paths)
                return "a rule has a path condition";
        if (caps && (r->caps_all || r->caps_none)) {
                *skip = (*caps & r->caps_all) != r->caps_all || (*caps & r->caps_none);
                if (*skip)
                        return NULL;
        } else if (r->caps_all || r->caps_none)
                return "a rule depends on the task's capabilities";
        switch (r->decision.action) {
        case UNOTIFY_ACTION_CONTINUE:
        case UNOTIFY_ACTION_ERRNO:
        case UNOTIFY_ACTION_KILL_PROCESS:
        case UNOTIFY_ACTION_KILL_THREAD:
                break;
        case UNOTIFY_ACTION_RETURN:
                return "a rule returns a value (UNOTIFY_ACT_RETURN)";
        case UNOTIFY_ACTION_EMULATE:
                return "a rule is emulated by a handler";
        }
        for (unsigned i = 0; i < r->n_conds; i++) {
                if (seen & (1u << r->conds[i].index))
                        return "a rule compares one argument twice, which libseccomp cannot "
                               "compile";
                seen |= 1u << r->conds[i].index;
        }
        return NULL;
}

static struct unotify_kernel_rule kernel_rule(const struct rule *r)
{
        struct unotify_kernel_rule k = { .decision = r->decision, .n_conds = r->n_conds };

        for (unsigned i = 0; i < r->n_conds; i++)
                k.conds[i] = (struct unotify_kernel_cond){ .index = r->conds[i].index,
                                                           .op = (int)r->conds[i].op + SCMP_CMP_NE,
                                                           .value = r->conds[i].value,
                                                           .value_two = r->conds[i].value_two };
        return k;
}

/* The reachable rules of a slot, in order: nothing after the first rule
 * without conditions. Returns 0 or -ENOMEM; lane->why set when one cannot
 * go to the kernel. */
static int lane_collect(const struct unotify_policy *p, const struct arch_table *t,
                        const struct slot *s, const uint64_t *caps, struct lane *lane)
{
        lane->rules = calloc(s->count ?: 1, sizeof(*lane->rules));
        if (!lane->rules)
                return -ENOMEM;
        for (uint32_t j = 0; j < s->count; j++) {
                const struct rule *r = &p->rules[t->refs[s->first + j]];
                bool skip;

                lane->why = kernel_unfit(r, caps, &skip);
                if (lane->why)
                        return 0;
                if (skip)
                        continue;
                lane->rules[lane->n++] = kernel_rule(r);
                if (r->n_conds == 0)
                        break;
        }
        return 0;
}

/* A rule that answers as defaultAction changes nothing when no later rule
 * with another answer overlaps it; libseccomp refuses such rules anyway. */
static bool redundant(const struct lane *lane, size_t i, const struct unotify_decision *dflt)
{
        if (!same_decision(&lane->rules[i].decision, dflt))
                return false;
        for (size_t k = i + 1; k < lane->n; k++)
                if (!same_decision(&lane->rules[k].decision, dflt) &&
                    !kernel_exclusive(&lane->rules[i], &lane->rules[k]))
                        return false;
        return true;
}

/* Make the lane order-free, or say why it cannot be. */
static void lane_reduce(struct lane *lane, const struct unotify_decision *dflt)
{
        size_t n = 0;

        for (size_t i = 0; i < lane->n; i++)
                if (!redundant(lane, i, dflt))
                        lane->rules[n++] = lane->rules[i];
        lane->n = n;
        for (size_t i = 0; i < n; i++) {
                if (same_decision(&lane->rules[i].decision, dflt)) {
                        lane->why =
                                "a rule answers like defaultAction before rules that overlap it";
                        return;
                }
                for (size_t k = i + 1; k < n; k++)
                        if (!same_decision(&lane->rules[i].decision, &lane->rules[k].decision) &&
                            !kernel_exclusive(&lane->rules[i], &lane->rules[k])) {
                                lane->why = "rules with different answers overlap, and the kernel "
                                            "filter cannot keep their order";
                                return;
                        }
        }
        /* Only rules with one answer remain; one without conditions covers
         * the others (it is the last: lane_collect stops there). */
        if (n > 1 && lane->rules[n - 1].n_conds == 0) {
                lane->rules[0] = lane->rules[n - 1];
                lane->n = 1;
        }
}

static bool lanes_equal(const struct lane *a, const struct lane *b)
{
        if (a->n != b->n)
                return false;
        for (size_t i = 0; i < a->n; i++)
                if (!same_rule(&a->rules[i], &b->rules[i]))
                        return false;
        return true;
}

int64_t policy_name_index(const struct arch_table *t, const char *name)
{
        const struct mux_entry *m = t->token == SCMP_ARCH_X86 ? mux_lookup(name) : NULL;
        int nr = seccomp_syscall_resolve_name_arch(t->token, name);

        if (m)
                return m->direct;
        if (nr < 0 || (uint32_t)nr < t->nr_base)
                return -1;
        return (int64_t)((uint32_t)nr - t->nr_base);
}

static const struct slot empty_slot;

static const struct slot *slot_of(const struct arch_table *t, int64_t idx)
{
        return idx < (int64_t)t->size ? &t->slots[idx] : &empty_slot;
}

static const char *mux_unfit(const char *name, const struct lane *lane)
{
        if (!mux_lookup(name))
                return NULL;
        for (size_t i = 0; i < lane->n; i++)
                if (lane->rules[i].n_conds)
                        return "x86 tasks may make this call through socketcall(2) or ipc(2), "
                               "with its arguments in memory";
        return NULL;
}

/* What the kernel does with a call no rule decides: defaultAction, or
 * for a policy that learns, notify (a decision no rule has: action 0). */
static const struct unotify_decision *kernel_default(const struct unotify_policy *p)
{
        static const struct unotify_decision notify = { .rule = -1 };

        return p->learns ? &notify : &p->default_decision;
}

/* Fill e from the lanes of every ABI where name exists. */
static int plan_entry(const struct unotify_policy *p, const char *name, const uint64_t *caps,
                      struct unotify_kernel_entry *e)
{
        struct lane first = {};
        bool have = false;
        int r = 0;

        e->name = strdup(name);
        if (!e->name)
                return -ENOMEM;
        for (size_t i = 0; i < p->n_tables && !e->why; i++) {
                const struct arch_table *t = &p->tables[i];
                int64_t idx = policy_name_index(t, name);
                struct lane lane = {};

                if (idx < 0)
                        continue;
                r = lane_collect(p, t, slot_of(t, idx), caps, &lane);
                if (r >= 0 && !lane.why)
                        lane_reduce(&lane, kernel_default(p));
                if (r >= 0 && !lane.why)
                        lane.why = mux_unfit(name, &lane);
                if (lane.why)
                        e->why = lane.why;
                else if (have && !lanes_equal(&first, &lane))
                        e->why = "its rules differ between this machine's ABIs";
                if (!have && r >= 0) {
                        first = lane;
                        have = true;
                } else
                        free(lane.rules);
                if (r < 0)
                        break;
        }
        /* The launcher's helper thread must be able to exit (filter.h):
         * filter.c can exempt it from an unconditional rule only. */
        if (r >= 0 && strcmp(name, "exit") == 0 && first.n && first.rules[0].n_conds && !e->why)
                e->why = "a rule on exit has conditions, and the launcher's helper thread must be "
                         "able to exit";
        if (r < 0 || e->why || !have || first.n == 0) {
                free(first.rules);
                e->kind = e->why ? UNOTIFY_KERNEL_NOTIFY : UNOTIFY_KERNEL_DEFAULT;
                return r;
        }
        e->kind = UNOTIFY_KERNEL_RULES;
        e->rules = first.rules;
        e->n_rules = first.n;
        return 0;
}

static void make_notify(struct unotify_kernel_entry *e, const char *why)
{
        free(e->rules);
        e->rules = NULL;
        e->n_rules = 0;
        e->kind = UNOTIFY_KERNEL_NOTIFY;
        e->why = why;
}

/* socketcall's one answer, given per call number to the calls the policy
 * has no rule for, so that it cannot overlap the others' rules (libseccomp
 * makes "socket" socketcall with argument 0 = 1). The bits compared are
 * the kernel's (mux.c). Returns 0, -EINVAL when m is not one unconditional
 * rule, or -ENOMEM. */
static int split_multiplexer(struct unotify_kernel_plan *plan, struct unotify_kernel_entry *m,
                             enum mux_via via)
{
        struct unotify_kernel_rule one, *rules;
        size_t n = 0;

        if (m->kind != UNOTIFY_KERNEL_RULES || m->n_rules != 1 || m->rules[0].n_conds)
                return -EINVAL;
        one = m->rules[0];
        rules = calloc(32, sizeof(*rules));
        if (!rules)
                return -ENOMEM;
        for (size_t i = 0; mux_at(i) && n < 32; i++) {
                const struct mux_entry *x = mux_at(i);
                const struct unotify_kernel_entry *e = unotify_kernel_plan_find(plan, x->name);

                if (x->via != via || (e && e->kind != UNOTIFY_KERNEL_DEFAULT))
                        continue;
                rules[n] = one;
                rules[n].n_conds = 1;
                rules[n].conds[0] = (struct unotify_kernel_cond){
                        .index = 0,
                        .op = SCMP_CMP_MASKED_EQ,
                        .value = via == MUX_IPC ? 0xffff : 0xffffffff,
                        .value_two = x->call,
                };
                n++;
        }
        free(m->rules);
        m->rules = rules;
        m->n_rules = n;
        return 0;
}

/* On x86, libseccomp turns a rule on "socket" into one on socketcall with
 * argument 0 = SYS_SOCKET. A rule the policy has on socketcall itself
 * covers the same calls: the kernel can keep both only when they answer
 * alike. Otherwise the whole family goes to the daemon, which knows the
 * policy's order. */
static void reconcile_multiplexer(struct unotify_kernel_plan *plan, const char *mux,
                                  enum mux_via via)
{
        struct unotify_kernel_entry *m =
                (struct unotify_kernel_entry *)unotify_kernel_plan_find(plan, mux);
        const char *why = "the policy also has rules on socketcall(2) or ipc(2), which x86 tasks "
                          "use for this call, and they answer differently";
        bool clash = false;

        if (!m || m->kind == UNOTIFY_KERNEL_DEFAULT)
                return;
        for (size_t i = 0; i < plan->n_entries; i++) {
                struct unotify_kernel_entry *e = &plan->entries[i];
                const struct mux_entry *x = mux_lookup(e->name);

                if (!x || x->via != via || e->kind == UNOTIFY_KERNEL_DEFAULT)
                        continue;
                if (m->kind == UNOTIFY_KERNEL_NOTIFY || e->kind == UNOTIFY_KERNEL_NOTIFY ||
                    m->n_rules != 1 || m->rules[0].n_conds || e->n_rules != 1 ||
                    !same_decision(&m->rules[0].decision, &e->rules[0].decision))
                        clash = true;
        }
        if (!clash || split_multiplexer(plan, m, via) == 0)
                return;
        for (size_t i = 0; i < plan->n_entries; i++) {
                const struct mux_entry *x = mux_lookup(plan->entries[i].name);

                if (x && x->via == via && plan->entries[i].kind != UNOTIFY_KERNEL_DEFAULT)
                        make_notify(&plan->entries[i], why);
        }
        if (m->kind != UNOTIFY_KERNEL_NOTIFY)
                make_notify(m, why);
}

static uint64_t digest_decision(uint64_t h, const struct unotify_decision *d)
{
        char buf[96];

        snprintf(buf, sizeof(buf), "%d/%d/%d/%lld/%d", (int)d->action, d->error, (int)d->log,
                 (long long)d->val, (int)d->handler);
        return digest_add(h, buf);
}

static uint64_t plan_digest(const struct unotify_kernel_plan *plan)
{
        uint64_t h = digest_decision(DIGEST_INIT, &plan->default_decision);

        /* Nothing is added for other policies: their digests stay. */
        if (plan->notify_default)
                h = digest_add(h, "learn");

        for (size_t i = 0; i < plan->n_entries; i++) {
                const struct unotify_kernel_entry *e = &plan->entries[i];
                char buf[128];

                h = digest_add(h, e->name);
                snprintf(buf, sizeof(buf), "%d:%zu", (int)e->kind, e->n_rules);
                h = digest_add(h, buf);
                for (size_t j = 0; j < e->n_rules; j++) {
                        h = digest_decision(h, &e->rules[j].decision);
                        for (unsigned k = 0; k < e->rules[j].n_conds; k++) {
                                const struct unotify_kernel_cond *c = &e->rules[j].conds[k];

                                snprintf(buf, sizeof(buf), "%u %d %llx %llx", c->index, c->op,
                                         (unsigned long long)c->value,
                                         (unsigned long long)c->value_two);
                                h = digest_add(h, buf);
                        }
                }
        }
        return h;
}

int unotify_kernel_plan_new(const struct unotify_policy *p, const uint64_t *caps,
                            struct unotify_kernel_plan **ret)
{
        struct unotify_kernel_plan *plan;
        int r = 0;

        plan = calloc(1, sizeof(*plan));
        if (!plan)
                return -ENOMEM;
        plan->default_decision = p->default_decision;
        plan->notify_default = p->learns;
        plan->entries = calloc(p->n_syscalls ?: 1, sizeof(*plan->entries));
        if (!plan->entries)
                r = -ENOMEM;
        /* p->syscalls is sorted: so are the entries. */
        for (size_t i = 0; r >= 0 && i < p->n_syscalls; i++) {
                r = plan_entry(p, p->syscalls[i], caps, &plan->entries[plan->n_entries]);
                plan->n_entries++;
        }
        if (r >= 0)
                reconcile_multiplexer(plan, "socketcall", MUX_SOCKETCALL);
        if (r >= 0)
                reconcile_multiplexer(plan, "ipc", MUX_IPC);
        if (r < 0) {
                unotify_kernel_plan_free(plan);
                return r;
        }
        plan->digest = landlock_digest(plan_digest(plan), p->landlock);
        *ret = plan;
        return 0;
}

struct unotify_kernel_plan *unotify_kernel_plan_free(struct unotify_kernel_plan *plan)
{
        if (!plan)
                return NULL;
        for (size_t i = 0; i < plan->n_entries; i++) {
                free(plan->entries[i].name);
                free(plan->entries[i].rules);
        }
        free(plan->entries);
        free(plan);
        return NULL;
}

static int cmp_entry_name(const void *key, const void *item)
{
        return strcmp(key, ((const struct unotify_kernel_entry *)item)->name);
}

const struct unotify_kernel_entry *unotify_kernel_plan_find(const struct unotify_kernel_plan *plan,
                                                            const char *name)
{
        if (!plan || !name)
                return NULL;
        return bsearch(name, plan->entries, plan->n_entries, sizeof(*plan->entries),
                       cmp_entry_name);
}

const struct unotify_kernel_plan *unotify_policy_kernel_plan(const struct unotify_policy *p)
{
        return p->plan;
}
