/* A rule's "includes" and "excludes": the architectures, the target's
 * capabilities and the kernel version it applies to (Docker's profile
 * vocabulary). */
#include <string.h>

#include "parser.h"

static const char *const filter_keys[] = { "arches", "caps", "minKernel", "comment" };

/* What an unknown name in "includes" stands for: something this machine
 * never has, so the rule never applies (as an engine that does not know
 * it would never include it). In "excludes" it excludes nothing. */
#define ARCH_UNKNOWN (UINT32_C(1) << 31)
#define CAP_UNKNOWN (UINT64_C(1) << 63)
_Static_assert(ARCH_NAMES_MAX <= 31, "ARCH_UNKNOWN is a bit of its own");

/* Upstream profiles name architectures this libseccomp does not know
 * (newer ones, and a typo that moby shipped: "mips3l64n32"). */
static void warn_unknown_arch(struct parser *p, const char *name, bool in)
{
        const char *names[ARCH_NAMES_MAX];
        size_t n = arch_oci_names(names);
        const char *close = suggest_word(name, names, n);

        warn(p, NULL, "unknown architecture \"%s\"%s%s%s: %s", name, close ? " (did you mean \"" : "",
             close ? close : "", close ? "\"?)" : "",
             in ? "the rule never applies to it" : "it excludes nothing");
}

static void parse_arches(struct parser *p, json_t *v, bool in, uint32_t *ret)
{
        json_t *e;
        size_t i;

        if (!expect_array(p, "arches", v, "architecture names", "architecture name"))
                return;
        json_array_foreach(v, i, e) {
                size_t mark = ptr_push(p, "arches", i);
                const char *name = expect_string(p, NULL, e, "an architecture name (a string)");
                int a = name ? arch_by_name(name) : -1;

                if (name && a < 0) {
                        warn_unknown_arch(p, name, in);
                        if (in)
                                *ret |= ARCH_UNKNOWN;
                } else if (name)
                        *ret |= 1u << a;
                ptr_pop(p, mark);
        }
}

static void warn_unknown_cap(struct parser *p, const char *name, bool in)
{
        size_t n;
        const char *const *caps = cap_table(&n);
        const char *close = suggest_word(name, caps, n);

        warn(p, NULL, "unknown capability \"%s\"%s%s%s: %s", name, close ? " (did you mean \"" : "",
             close ? close : "", close ? "\"?)" : "",
             in ? "no task has it, the rule never applies" : "it excludes nothing");
}

static void parse_caps(struct parser *p, json_t *v, bool in, uint64_t *ret)
{
        json_t *e;
        size_t i;

        if (!expect_array(p, "caps", v, "capability names", "capability name"))
                return;
        json_array_foreach(v, i, e) {
                size_t mark = ptr_push(p, "caps", i);
                const char *name = expect_string(p, NULL, e, "a capability name (a string)");
                int cap = name ? cap_by_name(name) : -1;

                if (name && cap < 0) {
                        warn_unknown_cap(p, name, in);
                        if (in)
                                *ret |= CAP_UNKNOWN;
                } else if (name)
                        *ret |= UINT64_C(1) << cap;
                ptr_pop(p, mark);
        }
}

static void parse_min_kernel(struct parser *p, json_t *v, uint32_t *ret)
{
        const char *s = expect_string(p, "minKernel", v, "a kernel version such as \"5.10\"");

        if (s && parse_kernel_version(s, true, ret) < 0)
                fail(p, "minKernel",
                     "invalid kernel version \"%s\" (expected MAJOR.MINOR such as "
                     "\"5.10\")",
                     s);
}

/* One of "includes" (in) or "excludes" (!in). */
static void parse_filter(struct parser *p, json_t *obj, const char *key, bool in,
                         struct draft_rule *r)
{
        json_t *v = json_object_get(obj, key), *m;
        size_t mark;

        if (!v)
                return;
        if (!json_is_object(v)) {
                fail(p, key, "expected an object with arches, caps or minKernel, got %s",
                     type_name(v));
                return;
        }
        mark = ptr_push_key(p, key);
        check_keys(p, v, filter_keys, ELEMENTSOF(filter_keys));
        if ((m = json_object_get(v, "arches")))
                parse_arches(p, m, in, in ? &r->filter.arches_in : &r->filter.arches_out);
        if ((m = json_object_get(v, "caps")))
                parse_caps(p, m, in, in ? &r->rule.caps_all : &r->rule.caps_none);
        if ((m = json_object_get(v, "minKernel")))
                parse_min_kernel(p, m, in ? &r->filter.kernel_in : &r->filter.kernel_out);
        parse_comment(p, v);
        ptr_pop(p, mark);
}

void parse_filters(struct parser *p, json_t *obj, struct draft_rule *r)
{
        parse_filter(p, obj, "includes", true, r);
        parse_filter(p, obj, "excludes", false, r);
}
