/* The loader's TOCTOU check on compiled policies: once a decision has
 * read a path from the target's memory, it must not end in CONTINUE.
 *
 * After CONTINUE the kernel reads the path again itself, and another
 * thread of the target can have rewritten it since the daemon looked
 * (seccomp_unotify(2): with SECCOMP_USER_NOTIF_FLAG_CONTINUE the target
 * runs the call with whatever its memory holds by then). The parser already refuses a rule with
 * "paths" that allows; this check covers the fall-through: when such a
 * rule's path does not match, the call goes on to the later rules of its
 * syscall and then to defaultAction, and if one of those answers
 * CONTINUE, a racing thread can show the daemon a harmless path and the
 * kernel a forbidden one. A rule there cannot be reached from the path
 * rule only when its conditions contradict the path rule's (argument
 * ranges, masks, capabilities); a rule without conditions catches every
 * call that gets to it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <seccomp.h>

#include "compile/compile.h"

static bool same_cond(const struct cond *a, const struct cond *b)
{
        return a->index == b->index && a->op == b->op && a->value == b->value &&
               (a->op != COND_MASKED_EQ || a->value_two == b->value_two);
}

/* True when every call that fails path rule `from` only on its paths
 * matches `r`: r's argument conditions are among from's, and r reads
 * nothing. */
static bool catches_all_from(const struct rule *r, const struct rule *from)
{
        if (r->n_paths || r->caps_all || r->caps_none)
                return false;
        for (unsigned i = 0; i < r->n_conds; i++) {
                bool found = false;

                for (unsigned j = 0; j < from->n_conds && !found; j++)
                        found = same_cond(&r->conds[i], &from->conds[j]);
                if (!found)
                        return false;
        }
        return true;
}

/* Where a call that fails the path rule refs[at] only on its paths may end
 * in CONTINUE: the index of that rule in p->rules, -1 for defaultAction,
 * -2 when it cannot. */
static long continue_after(const struct unotify_policy *p, const struct arch_table *t,
                           const struct slot *s, uint32_t at)
{
        const struct rule *from = &p->rules[t->refs[s->first + at]];

        for (uint32_t k = at + 1; k < s->count; k++) {
                uint32_t ref = t->refs[s->first + k];
                const struct rule *r = &p->rules[ref];

                if (policy_rules_exclusive(from, r))
                        continue;
                if (r->decision.action == UNOTIFY_ACTION_CONTINUE)
                        return (long)ref;
                if (catches_all_from(r, from))
                        return -2;
        }
        return p->default_decision.action == UNOTIFY_ACTION_CONTINUE ? -1 : -2;
}

/* "defaultAction (SCMP_ACT_ALLOW)", "/syscalls/3 (SCMP_ACT_LOG)" or, for
 * a rule of an included policy, "/syscalls/3 of policy \"base\" (...)".
 * Variants (x86 socketcall/ipc) are named by the rule they come from. */
static void describe_target(const struct unotify_policy *p, long ref, char *buf, size_t size)
{
        const struct unotify_decision *d = ref < 0 ? &p->default_decision : &p->rules[ref].decision;
        const char *name;
        unsigned index;

        if (ref < 0 || unotify_policy_rule_source(p, d->rule, &name, NULL, &index) < 0) {
                snprintf(buf, size, "defaultAction (%s)", unotify_decision_action_name(d));
                return;
        }
        if (strcmp(name, p->name) == 0)
                snprintf(buf, size, "/syscalls/%u (%s)", index, unotify_decision_action_name(d));
        else
                snprintf(buf, size, "/syscalls/%u of policy \"%s\" (%s)", index, name,
                         unotify_decision_action_name(d));
}

static int report(const struct unotify_policy *p, const struct arch_table *t, uint32_t nr,
                  uint32_t ref, long target, struct unotify_diags *diags)
{
        _cleanup_(freep) char *syscall =
                seccomp_syscall_resolve_num_arch(t->token, (int)(nr + t->nr_base));
        const struct rule *r = &p->rules[ref];
        char pointer[64], where[256], to[256];
        const char *name, *origin;
        unsigned index;

        if (unotify_policy_rule_source(p, r->decision.rule, &name, &origin, &index) < 0)
                return -EINVAL; /* not reached: path rules are never variants */
        if (strcmp(name, p->name) == 0) {
                snprintf(pointer, sizeof(pointer), "/syscalls/%u", index);
                snprintf(where, sizeof(where), "this rule");
        } else {
                snprintf(pointer, sizeof(pointer), "/include");
                snprintf(where, sizeof(where), "rule /syscalls/%u of included policy \"%s\" (%s)",
                         index, name, origin);
        }
        describe_target(p, target, to, sizeof(to));
        if (diag_add(diags, p->origin, 0, 0, pointer,
                     "%s decides %s by a path in the target's memory, and a call whose path does "
                     "not match goes on to %s: the kernel then reads the path again, after another "
                     "thread of the target may have changed it (TOCTOU), so the rule would not "
                     "hold. A call that reached a path rule must not end in CONTINUE: deny "
                     "(SCMP_ACT_ERRNO) or emulate (UNOTIFY_ACT_EMULATE) the rest of %s instead, "
                     "with a later rule without \"paths\" or with defaultAction (docs/policy.md, "
                     "\"Deny by path\")",
                     where, syscall ? syscall : "this syscall", to, syscall ? syscall : "it") < 0)
                return -ENOMEM;
        return -EINVAL;
}

static int check_table(const struct unotify_policy *p, const struct arch_table *t, bool *reported,
                       struct unotify_diags *diags)
{
        int ret = 0;

        for (uint32_t nr = 0; nr < t->size; nr++) {
                const struct slot *s = &t->slots[nr];

                for (uint32_t at = 0; at < s->count; at++) {
                        uint32_t ref = t->refs[s->first + at];
                        long target;
                        int r;

                        if (p->rules[ref].n_paths == 0 || reported[ref])
                                continue;
                        target = continue_after(p, t, s, at);
                        if (target == -2)
                                continue;
                        reported[ref] = true;
                        r = report(p, t, nr, ref, target, diags);
                        if (r == -ENOMEM)
                                return r;
                        ret = r;
                }
        }
        return ret;
}

int policy_check_toctou(const struct unotify_policy *p, struct unotify_diags *diags)
{
        _cleanup_(freep) bool *reported = calloc(p->n_rules + p->n_variants + 1, sizeof(bool));
        int ret = 0;

        if (!reported)
                return -ENOMEM;
        for (size_t i = 0; i < p->n_tables; i++) {
                int r = check_table(p, &p->tables[i], reported, diags);

                if (r == -ENOMEM)
                        return r;
                ret = ret ?: r;
        }
        return ret;
}
