/* The parser's face (parse/): a checked JSON document becomes a draft,
 * which knows nothing of compilation; the compiler (compile/) consumes
 * it. */
#pragma once

#include "internal.h"

/* What the parser hands to the compiler. Strings are borrowed from the
 * JSON document, which must outlive the draft. */
struct draft_rule {
        struct rule rule;
        struct rule_filter filter;
        const char **names;
        size_t n_names;
};

struct draft_select {
        const char **meta; /* flattened pairs, as struct selector */
        size_t n_meta;
        const char **annotations;
        size_t n_annotations;
        const char *container;
};

/* What a profile asks of the filter, kept for export (parse_profile.c). */
#define DRAFT_MAX_FLAGS 8

struct draft {
        const char *name;
        char *own_name;                     /* name from the file name; owned */
        const char *flags[DRAFT_MAX_FLAGS]; /* "flags", borrowed */
        size_t n_flags;
        struct unotify_decision default_decision;
        struct draft_rule *rules;
        size_t n_rules;
        const char **includes;
        size_t n_includes;
        struct draft_select select;
        bool has_select;
        bool is_default;
        struct unotify_landlock landlock; /* paths borrowed; rules owned */
        bool has_landlock;
        struct unotify_learn_limits learn;
        bool has_learn;
};

/* What a load is asked to do (unotify_load_options, checked). */
struct load_opts {
        uint32_t kernel; /* major << 16 | minor; 0: unknown */
        bool strict;
};

/* parse.c: check a parsed JSON document and fill ret. Every problem is
 * appended to diags with origin as its file. Returns 0, -EINVAL (see
 * diags) or -ENOMEM. ret is to be released with draft_done() either way. */
int policy_parse(json_t *root, const char *origin, const struct load_opts *opts,
                 struct unotify_diags *diags, struct draft *ret);
void draft_done(struct draft *d);

/* "5.10" -> 5 << 16 | 10; whole: nothing may follow (else "6.1.0-13" is
 * fine). Returns 0 or -EINVAL. */
int parse_kernel_version(const char *s, bool whole, uint32_t *ret);
/* handlers_unpriv.c, handlers.c: names of the handlers' options (for
 * dumps), and a draft's options copied for a policy and freed. */
const char *mount_type_name(unsigned type);
const char *mount_option_name(unsigned option);
const char *mount_flag_name(uint64_t attr);
const char *sched_policy_name(int policy);
/* A policy's own copy of a draft's options. Returns 0 or -ENOMEM. */
int handler_options_copy(const struct unotify_handler_options *from,
                         struct unotify_handler_options **ret);
/* Free options; owned: the strings too (a policy's copy). Accepts NULL. */
void handler_options_free(struct unotify_handler_options *o, bool owned);
