/* Internals of the policy library shared by its files: the compiled form
 * of a policy, the parser's output, and the diagnostics helper. Not part
 * of the public API. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "unotify/macro.h"
#include "unotify/filter.h"
#include "unotify/landlock.h"
#include "unotify/policy.h"

#define RULE_MAX_CONDS 6
#define RULE_MAX_PATHS 4
#define ERRNO_MAX 4095
/* Native ABI plus at most two compat ABIs (x86_64: x86 and x32). */
#define POLICY_MAX_ARCHES 3
#define INCLUDE_MAX 32
/* The listenerMetadata key that names a policy (unotify.h's
 * UNOTIFY_META_POLICY; the policy library does not include that header). */
#define UNOTIFY_SELECT_POLICY_KEY "policy"

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

/* parse_rule.c: "SCMP_CMP_NE" ... by enum cond_op, for parsing and dumping. */
extern const char *const policy_op_names[COND_MASKED_EQ + 1];

struct cond {
        uint64_t value;
        uint64_t value_two;
        unsigned index;
        enum cond_op op;
};

enum path_kind {
        PATH_EXACT,
        PATH_PREFIX,
        PATH_GLOB,
};

struct path_cond {
        char *pattern; /* normalized; owned by the policy, borrowed in a draft */
        unsigned index;
        int dirfd; /* argument index of the directory fd; -1: AT_FDCWD semantics */
        enum path_kind kind;
};

struct rule {
        struct unotify_decision decision; /* copied out as is when the rule matches */
        uint64_t caps_all;                /* includes.caps: every one must be effective */
        uint64_t caps_none;               /* excludes.caps: none may be effective */
        bool notify;                      /* "notify": the daemon decides, not the kernel */
        unsigned n_conds;
        struct cond conds[RULE_MAX_CONDS];
        unsigned n_paths;
        struct path_cond paths[RULE_MAX_PATHS];
        /* UNOTIFY_ACTION_EMULATE: the handler's options. Owned by the rule
         * in a policy (deep copy, handlers.c), by the draft in a draft
         * (strings borrowed from the document); variants share their
         * rule's. NULL for other actions. */
        struct unotify_handler_options *options;
};

/* includes/excludes evaluated when the policy is compiled. Arches are
 * bits of arch_names[] (names.c); kernels are major << 16 | minor. 0: no
 * condition. */
struct rule_filter {
        uint32_t arches_in;
        uint32_t arches_out;
        uint32_t kernel_in;
        uint32_t kernel_out;
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
        bool needs_view; /* some rule has caps or path conditions */
        struct unotify_kernel_plan *plan; /* the filter made from it (kernel.c) */
        struct sock_fprog launcher_filter; /* built on demand; .filter NULL until then */
        char **flags; /* the profile's "flags", kept for export */
        size_t n_flags;
        bool no_filter; /* deny-all stand-in: no filter was made from it */
        struct unotify_landlock *landlock; /* "landlock"; NULL: none (landlock.c) */
        bool learns; /* "learn": every call the kernel does not decide is recorded */
        struct unotify_learn_limits learn;
};

struct unotify_policy_set {
        struct unotify_policy **items; /* sorted by name, unique */
        size_t count;
};

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
        char *own_name;                         /* name from the file name; owned */
        const char *flags[DRAFT_MAX_FLAGS];     /* "flags", borrowed */
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

/* diag.c: append one diagnostic; diags may be NULL (then nothing is kept).
 * file, pointer: copied; may be NULL. Returns 0 or -ENOMEM. */
int diag_add(struct unotify_diags *diags, const char *file, int line, int column,
             const char *pointer, const char *fmt, ...) _printf_(6, 7);
int diag_add_severity(struct unotify_diags *diags, enum unotify_diag_severity severity,
                      const char *file, int line, int column, const char *pointer, const char *fmt,
                      ...) _printf_(7, 8);

/* compile.c: the ABIs of this machine that policies are compiled for, native
 * first. Returns how many were written to ret. */
size_t policy_arches(struct policy_arch ret[static POLICY_MAX_ARCHES]);

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
/* toctou.c: true when no call can satisfy the conditions (arguments and
 * capabilities) of both rules; sound, not complete. */
bool policy_rules_exclusive(const struct rule *a, const struct rule *b);
/* kernel.c: the policy's own kernel plan (capabilities unknown) and the
 * per-ABI bitmaps of the numbers it notifies. Returns 0 or -ENOMEM. */
int policy_plan_compile(struct unotify_policy *p);
/* plan_check.c: warnings about what the policy's filter notifies (calls
 * runtimes need before exec, process creation without WAIT_KILLABLE_RECV).
 * Returns 0, -EINVAL (strict: a warning was given) or -ENOMEM. */
int policy_check_plan(const struct unotify_policy *p, bool strict, struct unotify_diags *diags);
/* FNV-1a 64: the empty digest, and one string (with its NUL) added. */
#define DIGEST_INIT 0xcbf29ce484222325ULL
uint64_t digest_add(uint64_t h, const char *s);
/* FNV-1a 64 over names already sorted and unique. */
uint64_t digest_sorted(const char *const *names, size_t count);

/* policy.c */
struct unotify_policy *policy_alloc(const char *name, const char *origin);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct unotify_policy *, unotify_policy_unref);
/* Read at most UNOTIFY_POLICY_MAX_FILE_SIZE bytes of the file open at fd
 * and parse them as JSON; path names it in diagnostics. Returns 0, -EINVAL
 * (see diags), -ENOMEM, or the -errno of reading. */
int policy_read_json(int fd, const char *path, json_t **ret, struct unotify_diags *diags);
int policy_load_fd(int fd, const char *path, const struct load_opts *o, struct unotify_policy **ret,
                   struct unotify_diags *diags);
int load_opts_from(const struct unotify_load_options *o, struct load_opts *ret);
/* "5.10" -> 5 << 16 | 10; whole: nothing may follow (else "6.1.0-13" is
 * fine). Returns 0 or -EINVAL. */
int parse_kernel_version(const char *s, bool whole, uint32_t *ret);

/* suggest.c: the candidate closest to a misspelt s, or NULL when none is
 * close. Error path only. */
const char *suggest_word(const char *s, const char *const *candidates, size_t n);
/* Every syscall name libseccomp knows for arches, with repeats: the
 * candidates for suggest_word(). Free with suggest_free_names(). Returns 0
 * or -ENOMEM. */
int suggest_syscall_names(const struct policy_arch *arches, size_t n_arches, char ***ret,
                          size_t *ret_count);
void suggest_free_names(char **names, size_t count);

/* names.c: the vocabulary's tables. */
struct action_name {
        const char *name;
        enum unotify_action action;
        bool log;
};
/* The action called name, or NULL. */
const struct action_name *action_by_name(const char *name);
/* Every action name a rule may use, in documentation order. */
extern const char *const action_names[];
extern const size_t n_action_names;
/* The handler called name, or UNOTIFY_HANDLER_NONE. */
enum unotify_handler handler_by_name(const char *name);
extern const char *const handler_names[];
extern const size_t n_handler_names;

struct arch_name {
        const char *oci;   /* "SCMP_ARCH_X86_64" */
        const char *name;  /* "amd64" */
        const char *alias; /* "x86_64"; may be NULL */
        uint32_t token;    /* SCMP_ARCH_X86_64 */
};
/* Index of the arch called name (any of its spellings), or -1. */
int arch_by_name(const char *name);
/* The arch at index i, or NULL past the end. */
const struct arch_name *arch_at(size_t i);
/* The bit of arch token in struct rule_filter; 0 when unknown. */
uint32_t arch_bit(uint32_t token);
/* The capability called name ("CAP_SYS_ADMIN"), or -1. */
int cap_by_name(const char *name);
/* "CAP_SYS_ADMIN" for 21; NULL when unknown. */
const char *cap_name(unsigned cap);
/* Every capability name, indexed by number. */
const char *const *cap_table(size_t *ret_count);
/* Every arch's OCI name, in table order (for suggestions); returns how
 * many. Arches are bits of a uint32_t. */
#define ARCH_NAMES_MAX 31
size_t arch_oci_names(const char *ret[static ARCH_NAMES_MAX]);

/* paths.c: normalize an absolute path in place ("//", "/./", "..", a
 * trailing "/"); returns its new length. */
size_t path_normalize(char *path);
/* Whether the normalized path satisfies c. */
bool path_matches(const struct path_cond *c, const char *path);

/* select.c: p->select from d's (copied). Returns 0 or -ENOMEM. */
int compile_selector(struct unotify_policy *p, const struct draft *d);
/* Sound, not complete: true only when no string matches both globs. */
bool globs_disjoint(const char *a, const char *b);
/* Sound, not complete: true only when no listener can match both. */
bool selectors_disjoint(const struct selector *a, const struct selector *b);

/* One file of a directory being loaded (set.c, include.c). */
struct unit {
        char *path;
        json_t *root;
        struct draft draft;
        bool ok;            /* parsed without errors, name unique */
        int *includes;      /* draft.includes as unit indices; -1: unknown */
        unsigned char mark; /* for graph walks */
        struct unotify_policy *policy;
};

/* include.c: resolve every unit's includes; report unknown names and
 * cycles (which mark the units not ok). Returns 0, -EINVAL or -ENOMEM. */
int units_link(struct unit *units, size_t n, struct unotify_diags *diags);
/* The parts to compile unit i from: what it includes (transitively, each
 * once, includes before includers) then itself. parts has room for n.
 * Returns how many were written. */
size_t units_expand(struct unit *units, size_t n, size_t i, struct compile_part *parts);
/* select.c: at most one default, no two selectors that may overlap;
 * policies in load order. Returns 0, -EINVAL or -ENOMEM. */
int check_selection(struct unotify_policy *const *policies, size_t n, struct unotify_diags *diags);

/* handlers.c: the handlers' schemas. Checks that every name of r is a
 * syscall its handler serves and parses "handlerOptions" of rule object
 * obj into r->rule.options (after the decision and names are parsed). */
struct parser;
void parse_handler_options(struct parser *p, json_t *obj, struct draft_rule *r);
/* handlers_unpriv.c: the options of "sched" and "mount", their defaults
 * (also without "handlerOptions") and names for dumps. */
void handler_options_defaults(enum unotify_handler h, struct unotify_handler_options *ret);
void parse_sched_options(struct parser *p, json_t *opts, struct unotify_handler_options *ret);
void parse_mount_options(struct parser *p, json_t *opts, struct unotify_handler_options *ret);
void parse_xattr_options(struct parser *p, json_t *opts, struct unotify_handler_options *ret);
void parse_bpf_options(struct parser *p, json_t *opts, struct unotify_handler_options *ret);
const char *mount_type_name(unsigned type);
const char *mount_option_name(unsigned option);
const char *mount_flag_name(uint64_t attr);
const char *sched_policy_name(int policy);
/* A policy's own copy of a draft's options. Returns 0 or -ENOMEM. */
int handler_options_copy(const struct unotify_handler_options *from,
                         struct unotify_handler_options **ret);
/* Free options; owned: the strings too (a policy's copy). Accepts NULL. */
void handler_options_free(struct unotify_handler_options *o, bool owned);

/* landlock.c: p->landlock from d's (copied); the section's part of the
 * plan digest; its dump for -T; the check that no emulation opens or
 * makes files that the section restricts. */
int landlock_compile(struct unotify_policy *p, const struct draft *d);
void landlock_free(struct unotify_landlock *ll);
uint64_t landlock_digest(uint64_t h, const struct unotify_landlock *ll);
json_t *landlock_dump(const struct unotify_policy *p);
int policy_check_landlock(const struct unotify_policy *p, struct unotify_diags *diags);

/* mux.c: how variant rule ref decides number nr, for dumps. */
json_t *mux_describe(const struct unotify_policy *p, uint32_t ref, uint32_t nr);

/* compile.c: the compiler's state, for mux.c. */
struct placement {
        uint32_t idx; /* in the arch's table */
        uint32_t ref; /* in policy->rules */
};

struct compiler {
        struct unotify_policy *p;
        const struct draft_rule **drafts; /* one per effective rule */
        uint32_t kernel;
        size_t cap_rules; /* allocated p->rules */
        struct placement *places;
        size_t n_places, cap_places;
};

/* Rule ref decides number idx (less nr_base) of the table being built. */
int compiler_add_place(struct compiler *c, uint32_t idx, uint32_t ref);
/* Append a variant rule; *ret_ref is its index in p->rules. */
int compiler_add_rule(struct compiler *c, const struct rule *r, uint32_t *ret_ref);

/* mux.c: x86's multiplexed socket and SysV IPC calls. */
enum mux_via {
        MUX_SOCKETCALL,
        MUX_IPC,
};

struct mux_entry {
        const char *name;
        enum mux_via via;
        uint8_t call;   /* socketcall's or ipc's first argument */
        int16_t direct; /* x86's own number since Linux 4.3 / 5.1; -1: none */
};

/* The entry of name, or NULL when it is not multiplexed on x86. */
const struct mux_entry *mux_lookup(const char *name);
/* The entry at index i of the table, or NULL past its end. */
const struct mux_entry *mux_at(size_t i);
/* The x86 number of socketcall or ipc. */
int mux_nr(enum mux_via via);
/* On x86, place rule ref for name under its direct number and under its
 * multiplexer with the implied condition on argument 0. Elsewhere, or
 * for other names: nothing. Returns 0 or -ENOMEM. */
int mux_place(struct compiler *c, const struct policy_arch *a, uint32_t ref, const char *name);
