/* Whether two rules can both match one call: sound, not complete (only
 * the certain cases count as exclusive). For the kernel plan's ordering
 * (kernel.c) and the TOCTOU check (toctou.c). */
#include "compile/compile.h"

/* A comparison as the closed range of values it admits, for the ops that
 * have one. false: NE and MASKED_EQ, or no value at all (LT 0). */
static bool cond_range(const struct cond *c, uint64_t *lo, uint64_t *hi)
{
        switch (c->op) {
        case COND_EQ:
                *lo = *hi = c->value;
                return true;
        case COND_LT:
                *lo = 0;
                *hi = c->value - 1;
                return c->value > 0;
        case COND_LE:
                *lo = 0;
                *hi = c->value;
                return true;
        case COND_GT:
                *lo = c->value + 1;
                *hi = UINT64_MAX;
                return c->value < UINT64_MAX;
        case COND_GE:
                *lo = c->value;
                *hi = UINT64_MAX;
                return true;
        case COND_NE:
        case COND_MASKED_EQ:
                break;
        }
        return false;
}

/* True when no argument value satisfies both a and b (same index). Only
 * the cases that are certain; anything else counts as overlapping. */
static bool conds_exclusive(const struct cond *a, const struct cond *b)
{
        uint64_t alo, ahi, blo, bhi;

        if (a->op == COND_MASKED_EQ && b->op == COND_MASKED_EQ)
                return ((a->value_two ^ b->value_two) & a->value & b->value) != 0;
        if (a->op == COND_MASKED_EQ || b->op == COND_MASKED_EQ) {
                const struct cond *m = a->op == COND_MASKED_EQ ? a : b;
                const struct cond *e = m == a ? b : a;

                return e->op == COND_EQ && (e->value & m->value) != m->value_two;
        }
        if ((a->op == COND_NE && b->op == COND_EQ) || (a->op == COND_EQ && b->op == COND_NE))
                return a->value == b->value;
        if (!cond_range(a, &alo, &ahi) || !cond_range(b, &blo, &bhi))
                return false;
        return ahi < blo || bhi < alo;
}

bool policy_rules_exclusive(const struct rule *a, const struct rule *b)
{
        if ((a->caps_all & b->caps_none) || (a->caps_none & b->caps_all))
                return true;
        for (unsigned i = 0; i < a->n_conds; i++)
                for (unsigned j = 0; j < b->n_conds; j++)
                        if (a->conds[i].index == b->conds[j].index &&
                            conds_exclusive(&a->conds[i], &b->conds[j]))
                                return true;
        return false;
}
