/* The compiler's face (compile/): drafts become the immutable policy the
 * daemon decides with, its kernel plan and filter; and the checks run on
 * a compiled policy before it is loaded. */
#pragma once

#include "parse/draft.h"

/* The rules of one syscall: refs[first .. first + count) of its table. */
struct slot {
        uint32_t first;
        uint32_t count;
};

/* Rules by syscall number for one ABI: slots[nr - nr_base] for nr in range. */
struct arch_table {
        uint32_t token;
        uint32_t audit_arch;
        uint32_t nr_base;
        uint32_t size;
        struct slot *slots;
        uint32_t *refs; /* indices into policy->rules, file order within a slot */
        /* Bit idx set: the policy's own filter notifies number idx + nr_base
         * (kernel.c); the others the kernel decides without the daemon. */
        uint64_t *notified;
        uint32_t notified_bits;
};

/* Where an effective rule was written, and its names (for dumps). */
struct rule_info {
        uint32_t source; /* index into policy->sources */
        uint32_t index;  /* in that policy's "syscalls" */
        char **names;
        size_t n_names;
};

struct policy_source {
        char *name;
        char *origin;
};

/* "select": flattened pairs, key at 2i, value (metadata) or glob
 * (annotations) at 2i + 1. */
struct selector {
        char **meta;
        size_t n_meta;
        char **annotations;
        size_t n_annotations;
        char *container; /* glob; NULL: any */
};

struct unotify_policy {
        unsigned n_ref;
        char *name;
        char *origin;
        struct unotify_decision default_decision;
        /* The effective rules (included policies' first), then the
         * variants of rules on multiplexed x86 calls (mux.c). */
        struct rule *rules;
        size_t n_rules;
        size_t n_variants;
        struct rule_info *info; /* one per effective rule */
        struct arch_table tables[POLICY_MAX_ARCHES];
        size_t n_tables;
        char **syscalls; /* sorted, unique */
        size_t n_syscalls;
        uint64_t digest;
        struct policy_source *sources; /* [0]: this policy, then what it includes */
        size_t n_sources;
        char **includes; /* "include" as written */
        size_t n_includes;
        struct selector *select; /* NULL: selected by name or as default only */
        bool is_default;
        bool needs_view;                   /* some rule has caps or path conditions */
        struct unotify_kernel_plan *plan;  /* the filter made from it (kernel.c) */
        struct sock_fprog launcher_filter; /* built on demand; .filter NULL until then */
        char **flags;                      /* the profile's "flags", kept for export */
        size_t n_flags;
        bool no_filter;                    /* deny-all stand-in: no filter was made from it */
        struct unotify_landlock *landlock; /* "landlock"; NULL: none (landlock.c) */
        bool learns; /* "learn": every call the kernel does not decide is recorded */
        struct unotify_learn_limits learn;
};

struct unotify_policy_set {
        struct unotify_policy **items; /* sorted by name, unique */
        size_t count;
};

/* One policy as the compiler sees it: its own draft, and the drafts it
 * includes in the order their rules come (every one once). */
struct compile_part {
        const struct draft *draft;
        const char *origin;
};

/* compile.c: build the immutable policy from checked drafts: parts[n - 1]
 * is the policy itself, the others what it includes. Returns 0 or
 * -ENOMEM. */
int policy_compile(const struct compile_part *parts, size_t n_parts, const struct load_opts *opts,
                   struct unotify_policy **ret);
/* toctou.c: refuse a policy where a call whose decision read a path can
 * still end in CONTINUE (a later rule or defaultAction after a path rule
 * that did not match). Returns 0, -EINVAL (see diags) or -ENOMEM. */
int policy_check_toctou(const struct unotify_policy *p, struct unotify_diags *diags);
/* exclusive.c: true when no call can satisfy the conditions (arguments
 * and capabilities) of both rules; sound, not complete. */
bool policy_rules_exclusive(const struct rule *a, const struct rule *b);
/* notified.c: the policy's own kernel plan (capabilities unknown) and the
 * per-ABI bitmaps of the numbers it notifies. Returns 0 or -ENOMEM. */
int policy_plan_compile(struct unotify_policy *p);
/* Where name goes in table t, or -1: not a syscall on that ABI. On x86
 * libseccomp knows the multiplexed names only as socketcall/ipc; their
 * own numbers are mux.c's (kernel.c). */
int64_t policy_name_index(const struct arch_table *t, const char *name);
/* plan_check.c: warnings about what the policy's filter notifies (calls
 * runtimes need before exec, process creation without WAIT_KILLABLE_RECV).
 * Returns 0, -EINVAL (strict: a warning was given) or -ENOMEM. */
int policy_check_plan(const struct unotify_policy *p, bool strict, struct unotify_diags *diags);
/* object.c: a policy with one reference, its name and origin copied;
 * NULL when out of memory. */
struct unotify_policy *policy_alloc(const char *name, const char *origin);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct unotify_policy *, unotify_policy_unref);

/* landlock.c: p->landlock from d's (copied); the section's part of the
 * plan digest; its dump for -T; the check that no emulation opens or
 * makes files that the section restricts. */
int landlock_compile(struct unotify_policy *p, const struct draft *d);
void landlock_free(struct unotify_landlock *ll);
uint64_t landlock_digest(uint64_t h, const struct unotify_landlock *ll);
json_t *landlock_dump(const struct unotify_policy *p);
int policy_check_landlock(const struct unotify_policy *p, struct unotify_diags *diags);
