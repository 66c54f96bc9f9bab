/* The parser's state and the helpers its files share (parse*.c). Every
 * problem is reported, not only the first: an admin fixing a file should
 * see all of its mistakes in one run. Each one names the JSON pointer (RFC
 * 6901) of the value at fault, or of the object that misses or has an
 * extra key, and says what was found and what was expected. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "draft.h"

struct parser {
        const char *origin;
        struct unotify_diags *diags;
        struct policy_arch arches[POLICY_MAX_ARCHES];
        size_t n_arches;
        bool strict;       /* warnings count as errors */
        unsigned n_errors; /* errors, and warnings when strict */
        int oom;           /* -ENOMEM once anything could not be allocated */
        /* For "did you mean": filled at the first unknown syscall. */
        char **known;
        size_t n_known;
        unsigned n_suggested;
        /* Unknown syscall names already warned about (borrowed). */
        const char *unknown[64];
        size_t n_unknown;
        /* Pointer of the object being checked. Built from known keys and
         * indices only (never from the document's keys), so it is short
         * and needs no ~0/~1 escaping. */
        char ptr[128];
};

/* ptr_push(p, "syscalls", 3) appends "/syscalls/3" and returns the mark
 * that ptr_pop() goes back to. */
size_t ptr_push(struct parser *p, const char *segment, size_t index);
/* Appends "/key" only. */
size_t ptr_push_key(struct parser *p, const char *key);
void ptr_pop(struct parser *p, size_t mark);

/* Report a problem with member key of the current object, or with the
 * object itself when key is NULL. */
void fail(struct parser *p, const char *key, const char *fmt, ...) _printf_(3, 4);
/* The same as a warning (an error when p->strict). */
void warn(struct parser *p, const char *key, const char *fmt, ...) _printf_(3, 4);

/* "an object", "a string", ...: what was found, for messages. */
const char *type_name(const json_t *v);
bool in_list(const char *s, const char *const *list, size_t n);
/* "A, B, C" into buf; for messages. */
const char *join(const char *const *list, size_t n, char *buf, size_t size);
/* Every key of obj that is not in known[] is an error. */
void check_keys(struct parser *p, json_t *obj, const char *const *known, size_t n);
/* Member key of obj, or NULL; a missing required key is reported. */
json_t *member(struct parser *p, json_t *obj, const char *key, bool required);
/* The optional "comment" of obj must be a string. */
void parse_comment(struct parser *p, json_t *obj);
/* A string member: NULL (reported) when it is not one. */
const char *expect_string(struct parser *p, const char *key, json_t *v, const char *what);
/* An array member with at least one element: false (reported) otherwise. */
bool expect_array(struct parser *p, const char *key, json_t *v, const char *many, const char *one);

/* parse_rule.c: the top level's "syscalls". */
void parse_rules(struct parser *p, json_t *root, struct draft *d);
/* parse_decision.c: "action" of rule object obj, with what goes with it. */
void parse_rule_decision(struct parser *p, json_t *obj, struct unotify_decision *ret);
/* "defaultAction" (required) and its errno key (optional, only with
 * ERRNO) of obj: the policy's default decision. */
void parse_default_decision(struct parser *p, json_t *obj, struct unotify_decision *ret);
/* parse_args.c: "args" of rule object obj. */
void parse_args(struct parser *p, json_t *obj, struct rule *r);
/* parse_util.c: "0x" and 1..16 hex digits. */
bool parse_hex(const char *s, uint64_t *ret);

/* parse_filter.c: "includes" and "excludes" of rule object obj. */
void parse_filters(struct parser *p, json_t *obj, struct draft_rule *r);

/* parse_paths.c: "paths" of rule object obj; after its action. */
void parse_paths(struct parser *p, json_t *obj, struct draft_rule *r);
/* parse_args.c: an argument number 0..5 (member key). */
void parse_arg_index(struct parser *p, const char *key, json_t *v, unsigned *ret);

/* parse_profile.c: the top level's keys from runtimes' profiles:
 * "archMap", "architectures", "flags", "listenerPath", "listenerMetadata". */
void parse_profile_keys(struct parser *p, json_t *root, struct draft *d);

/* parse_select.c: the top level's "include", "select" and "default". */
void parse_include(struct parser *p, json_t *root, struct draft *d);
void parse_select(struct parser *p, json_t *root, struct draft *d);
void parse_default(struct parser *p, json_t *root, struct draft *d);

/* parse_landlock.c: the top level's "landlock". */
void parse_landlock(struct parser *p, json_t *root, struct draft *d);

/* parse_learn.c: the top level's "learn" (after defaultAction). */
void parse_learn(struct parser *p, json_t *root, struct draft *d);

/* handlers.c: the handlers' schemas. Checks that every name of r is a
 * syscall its handler serves and parses "handlerOptions" of rule object
 * obj into r->rule.options (after the decision and names are parsed). */
void parse_handler_options(struct parser *p, json_t *obj, struct draft_rule *r);
/* handlers_unpriv.c: the options of "sched" and "mount", their defaults
 * (also without "handlerOptions"). */
void handler_options_defaults(enum unotify_handler h, struct unotify_handler_options *ret);
void parse_sched_options(struct parser *p, json_t *opts, struct unotify_handler_options *ret);
void parse_mount_options(struct parser *p, json_t *opts, struct unotify_handler_options *ret);
void parse_xattr_options(struct parser *p, json_t *opts, struct unotify_handler_options *ret);
void parse_bpf_options(struct parser *p, json_t *opts, struct unotify_handler_options *ret);
