/* The policy library's vocabulary, shared by all of its rooms (vocab/):
 * the rule as the parser writes it and the compiler keeps it, the names of
 * the language, the ABIs of this machine, x86's multiplexed calls, path
 * normal form, diagnostics and digests. Not part of the public API; the
 * parser's face is parse/draft.h, the compiler's compile/compile.h, the
 * loader's load.h. */
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

/* names.c: "SCMP_CMP_NE" ... by enum cond_op, for parsing and dumping. */
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

/* diag.c: append one diagnostic; diags may be NULL (then nothing is kept).
 * file, pointer: copied; may be NULL. Returns 0 or -ENOMEM. */
int diag_add(struct unotify_diags *diags, const char *file, int line, int column,
             const char *pointer, const char *fmt, ...) _printf_(6, 7);
int diag_add_severity(struct unotify_diags *diags, enum unotify_diag_severity severity,
                      const char *file, int line, int column, const char *pointer, const char *fmt,
                      ...) _printf_(7, 8);

/* names.c: the ABIs of this machine that policies are compiled for, native
 * first. Returns how many were written to ret. */
size_t policy_arches(struct policy_arch ret[static POLICY_MAX_ARCHES]);

/* FNV-1a 64: the empty digest, and one string (with its NUL) added. */
#define DIGEST_INIT 0xcbf29ce484222325ULL
uint64_t digest_add(uint64_t h, const char *s);
/* FNV-1a 64 over names already sorted and unique. */
uint64_t digest_sorted(const char *const *names, size_t count);

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
/* Whether s is one of list[0 .. n). */
bool in_list(const char *s, const char *const *list, size_t n);
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
/* The rule that decides the multiplexed form of e's call on x86: base
 * with the implied condition on argument 0 in place of its own. false:
 * base does not apply there (it allows, and its conditions would have to
 * be read from the target's memory). */
bool mux_variant(const struct mux_entry *e, const struct rule *base, struct rule *ret);
/* How variant rule v (made from base) decides number nr, for dumps. */
json_t *mux_describe(const struct rule *v, const struct rule *base, uint32_t nr);
