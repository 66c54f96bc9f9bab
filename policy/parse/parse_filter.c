/* A rule's "includes" and "excludes": the architectures, the target's
 * capabilities and the kernel version it applies to (Docker's profile
 * vocabulary). */
#include <stdio.h>
#include <string.h>

#include "parser.h"

static const char *const filter_keys[] = { "arches", "caps", "minKernel", "comment" };

/* What an unknown name in "includes" stands for: something this machine
 * never has, so the rule never applies (as an engine that does not know
 * it would never include it). In "excludes" it excludes nothing. */
#define ARCH_UNKNOWN (UINT32_C(1) << 31)
#define CAP_UNKNOWN (UINT64_C(1) << 63)
_Static_assert(ARCH_NAMES_MAX <= 31, "ARCH_UNKNOWN is a bit of its own");

/* Unknown names are warned about, not refused: upstream profiles name
 * architectures this libseccomp does not know (newer ones, and a typo
 * that moby shipped: "mips3l64n32") and capabilities newer than ours. */
struct name_list {
        const char *key;        /* "arches" */
        const char *many, *one; /* "architecture names" */
        const char *noun;       /* "architecture" */
        const char *never;      /* what an unknown name in "includes" means */
        int (*lookup)(const char *name);
        /* The known names, for suggestions; buf has ARCH_NAMES_MAX room. */
        const char *const *(*known)(const char **buf, size_t *ret_count);
        uint64_t unknown; /* the bit an unknown name sets in "includes" */
};

static const char *const *arch_names_known(const char **buf, size_t *ret_count)
{
        *ret_count = arch_oci_names(buf);
        return buf;
}

static const char *const *cap_names_known(const char **buf, size_t *ret_count)
{
        (void)buf;
        return cap_table(ret_count);
}

static const struct name_list arches_list = {
        "arches",
        "architecture names",
        "architecture name",
        "architecture",
        "the rule never applies to it",
        arch_by_name,
        arch_names_known,
        ARCH_UNKNOWN,
};

static const struct name_list caps_list = {
        "caps",
        "capability names",
        "capability name",
        "capability",
        "no task has it, the rule never applies",
        cap_by_name,
        cap_names_known,
        CAP_UNKNOWN,
};

static void warn_unknown(struct parser *p, const struct name_list *l, const char *name, bool in)
{
        const char *buf[ARCH_NAMES_MAX];
        size_t n;
        const char *const *known = l->known(buf, &n);
        const char *close = suggest_word(name, known, n);

        warn(p, NULL, "unknown %s \"%s\"%s%s%s: %s", l->noun, name,
             close ? " (did you mean \"" : "", close ? close : "", close ? "\"?)" : "",
             in ? l->never : "it excludes nothing");
}

/* The names of array v as bits (each one's index in its table). */
static uint64_t parse_names_bits(struct parser *p, const struct name_list *l, json_t *v, bool in)
{
        char what[64];
        uint64_t bits = 0;
        json_t *e;
        size_t i;

        if (!expect_array(p, l->key, v, l->many, l->one))
                return 0;
        snprintf(what, sizeof(what), "a%s %s (a string)", l->noun[0] == 'a' ? "n" : "", l->one);
        json_array_foreach(v, i, e) {
                size_t mark = ptr_push(p, l->key, i);
                const char *name = expect_string(p, NULL, e, what);
                int bit = name ? l->lookup(name) : -1;

                if (name && bit < 0) {
                        warn_unknown(p, l, name, in);
                        if (in)
                                bits |= l->unknown;
                } else if (name)
                        bits |= UINT64_C(1) << bit;
                ptr_pop(p, mark);
        }
        return bits;
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
                *(in ? &r->filter.arches_in : &r->filter.arches_out) |=
                        (uint32_t)parse_names_bits(p, &arches_list, m, in);
        if ((m = json_object_get(v, "caps")))
                *(in ? &r->rule.caps_all : &r->rule.caps_none) |=
                        parse_names_bits(p, &caps_list, m, in);
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
