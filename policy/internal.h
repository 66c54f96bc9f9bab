/* Internals of the policy library shared by its files: the compiled form
 * of a policy, the parser's output, and the diagnostics helper. Not part
 * of the public API. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "unotify/macro.h"
#include "unotify/policy.h"

#define RULE_MAX_CONDS 6
#define ERRNO_MAX      4095
/* Native ABI plus at most two compat ABIs (x86_64: x86 and x32). */
#define POLICY_MAX_ARCHES 3

/* Same order and meaning as libseccomp's enum scmp_compare. */
enum cond_op {
        COND_NE,
        COND_LT,
        COND_LE,
        COND_EQ,
        COND_GE,
        COND_GT,
        COND_MASKED_EQ,
};

struct cond {
        uint64_t value;
        uint64_t value_two;
        unsigned index;
        enum cond_op op;
};

struct rule {
        struct unotify_decision decision; /* copied out as is when the rule matches */
        unsigned n_conds;
        struct cond conds[RULE_MAX_CONDS];
};

/* One ABI the kernel may report in seccomp_data. */
struct policy_arch {
        uint32_t token;      /* libseccomp's SCMP_ARCH_* for name resolution */
        uint32_t audit_arch; /* what seccomp_data.arch says */
        uint32_t nr_base;    /* subtracted from seccomp_data.nr: __X32_SYSCALL_BIT for x32 */
};

/* The rules of one syscall: refs[first .. first + count) of its table. */
struct slot {
        uint32_t first;
        uint32_t count;
};

/* Rules by syscall number for one ABI: slots[nr - nr_base] for nr in range. */
struct arch_table {
        uint32_t audit_arch;
        uint32_t nr_base;
        uint32_t size;
        struct slot *slots;
        uint32_t *refs; /* indices into policy->rules, file order within a slot */
};

struct unotify_policy {
        unsigned n_ref;
        char *name;
        char *origin;
        struct unotify_decision default_decision;
        struct rule *rules;
        size_t n_rules;
        struct arch_table tables[POLICY_MAX_ARCHES];
        size_t n_tables;
        char **syscalls; /* sorted, unique */
        size_t n_syscalls;
        uint64_t digest;
};

/* What the parser hands to the compiler. Strings are borrowed from the
 * JSON document, which must outlive the draft. */
struct draft_rule {
        struct rule rule;
        const char **names;
        size_t n_names;
};

struct draft {
        const char *name;
        struct unotify_decision default_decision;
        struct draft_rule *rules;
        size_t n_rules;
};

/* diag.c: append one diagnostic; diags may be NULL (then nothing is kept).
 * file, pointer: copied; may be NULL. Returns 0 or -ENOMEM. */
int diag_add(struct unotify_diags *diags, const char *file, int line, int column,
             const char *pointer, const char *fmt, ...) _printf_(6, 7);

/* compile.c: the ABIs of this machine that policies are compiled for, native
 * first. Returns how many were written to ret. */
size_t policy_arches(struct policy_arch ret[static POLICY_MAX_ARCHES]);

/* parse.c: check a parsed JSON document and fill ret. Every problem is
 * appended to diags with origin as its file. Returns 0, -EINVAL (see
 * diags) or -ENOMEM. ret is to be released with draft_done() either way. */
int policy_parse(json_t *root, const char *origin, struct unotify_diags *diags, struct draft *ret);
void draft_done(struct draft *d);

/* compile.c: build the immutable policy from a checked draft. Returns 0 or
 * -ENOMEM. */
int policy_compile(const struct draft *d, const char *origin, struct unotify_policy **ret);
/* FNV-1a 64 over names already sorted and unique. */
uint64_t digest_sorted(const char *const *names, size_t count);

/* policy.c */
struct unotify_policy *policy_alloc(const char *name, const char *origin);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct unotify_policy *, unotify_policy_unref);

/* policy.c: read and load the policy file open at fd; path names it in
 * diagnostics. Takes nothing; the caller closes fd. Same returns as
 * unotify_policy_load_file(). */
int policy_load_fd(int fd, const char *path, struct unotify_policy **ret,
                   struct unotify_diags *diags);

/* suggest.c: the candidate closest to a misspelt s, or NULL when none is
 * close. Error path only. */
const char *suggest_word(const char *s, const char *const *candidates, size_t n);
/* Every syscall name libseccomp knows for arches, with repeats: the
 * candidates for suggest_word(). Free with suggest_free_names(). Returns 0
 * or -ENOMEM. */
int suggest_syscall_names(const struct policy_arch *arches, size_t n_arches, char ***ret,
                          size_t *ret_count);
void suggest_free_names(char **names, size_t count);
