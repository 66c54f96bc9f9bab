/* A rule's "args": conditions on the syscall's arguments, compared as
 * libseccomp compares them (unsigned 64-bit). */
#include <stdio.h>
#include <string.h>

#include "parser.h"

static const char *const cond_keys[] = { "index", "value", "valueTwo", "op", "comment" };

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

void parse_args(struct parser *p, json_t *obj, struct rule *r)
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
