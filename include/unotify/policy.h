/* unotify policy library: JSON policy files -> compiled, immutable,
 * reference-counted policies, and the decision for one notification.
 *
 * Pure: no logging, no globals, no /proc. Diagnostics are returned in a
 * struct unotify_diags that the caller owns. */
#pragma once

#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits on what a policy file may make us allocate. */
#define UNOTIFY_POLICY_MAX_FILE_SIZE (1024 * 1024)
#define UNOTIFY_POLICY_NAME_MAX 64

struct unotify_policy;
struct unotify_policy_set;

enum unotify_diag_severity {
        UNOTIFY_DIAG_ERROR = 0, /* the policy is refused */
        UNOTIFY_DIAG_WARNING,   /* loaded anyway, unless the load is strict */
};

/* One diagnostic: where (file, line/column for syntax errors, JSON pointer
 * such as "/syscalls/3/args/0/op" for semantic ones) and what. Any field
 * may be NULL/0 when unknown. */
struct unotify_diag {
        char *file;
        int line;
        int column;
        char *pointer;
        char *message;
        enum unotify_diag_severity severity;
};

struct unotify_diags {
        struct unotify_diag *items;
        size_t count;
};

/* How many of diags are errors (not warnings). Accepts NULL. */
size_t unotify_diags_errors(const struct unotify_diags *diags);

/* Free every diagnostic; leaves an empty list. Accepts NULL. */
void unotify_diags_clear(struct unotify_diags *diags);

/* Format one diagnostic as "file:line:column: message" or
 * "file: /pointer: message" into buf (always NUL-terminated); a warning's
 * message starts with "warning: ". */
void unotify_diag_format(const struct unotify_diag *d, char *buf, size_t size);

/* What the supervisor answers. Values start at 1 so a zeroed decision is
 * never mistaken for a valid one. */
enum unotify_action {
        /* SCMP_ACT_ALLOW, SCMP_ACT_LOG (then `log` is set):
         * SECCOMP_USER_NOTIF_FLAG_CONTINUE. */
        UNOTIFY_ACTION_CONTINUE = 1,
        UNOTIFY_ACTION_ERRNO, /* SCMP_ACT_ERRNO: fail with `error` */
        UNOTIFY_ACTION_KILL_PROCESS, /* SCMP_ACT_KILL_PROCESS: kill the thread group (pidfd), then answer `error` */
        UNOTIFY_ACTION_KILL_THREAD, /* SCMP_ACT_KILL_THREAD (and SCMP_ACT_KILL): kill the thread, then answer `error` */
        UNOTIFY_ACTION_RETURN,  /* UNOTIFY_ACT_RETURN: the syscall returns `val` without running */
        UNOTIFY_ACTION_EMULATE, /* UNOTIFY_ACT_EMULATE: `handler` does the work in the supervisor */
};

/* The emulation handlers the policy language knows (UNOTIFY_ACT_EMULATE
 * with "handler": NAME, options in "handlerOptions"). The library knows
 * their names, the syscalls each serves and their options; the daemon
 * implements them (docs/handlers.md). When one cannot do its work the
 * daemon answers the decision's `error` (ENOSYS: fail closed). */
enum unotify_handler {
        UNOTIFY_HANDLER_NONE = 0,
        UNOTIFY_HANDLER_OPEN,    /* "open" */
        UNOTIFY_HANDLER_MKNOD,   /* "mknod" */
        UNOTIFY_HANDLER_INJECT,  /* "inject" */
        UNOTIFY_HANDLER_SYSINFO, /* "sysinfo" */
        UNOTIFY_HANDLER_SCHED,   /* "sched" */
        UNOTIFY_HANDLER_MOUNT,   /* "mount" */
        UNOTIFY_HANDLER_XATTR,   /* "xattr" */
        UNOTIFY_HANDLER_BPF,     /* "bpf" */
};

/* The filesystem types the "mount" handler may make (bits of
 * unotify_handler_options.mount_types). */
enum unotify_mount_type {
        UNOTIFY_MOUNT_TMPFS,
        UNOTIFY_MOUNT_BIND,
        UNOTIFY_MOUNT_PROC,    /* of the task's pid namespace */
        UNOTIFY_MOUNT_SYSFS,   /* of the task's network namespace */
        UNOTIFY_MOUNT_MQUEUE,  /* of the task's IPC namespace */
        UNOTIFY_MOUNT_DEVPTS,  /* a new instance */
        UNOTIFY_MOUNT_OVERLAY, /* of layers under the sources */
        UNOTIFY_MOUNT_FUSE,    /* "fuse" and "fuse.SUBTYPE", on the task's /dev/fuse fd */
        _UNOTIFY_MOUNT_TYPE_MAX,
};

/* The filesystem options a task may pass to "mount" (bits of
 * unotify_handler_options.mount_options). */
enum unotify_mount_option {
        UNOTIFY_MOUNT_OPT_SIZE,        /* tmpfs size= */
        UNOTIFY_MOUNT_OPT_MODE,        /* tmpfs and devpts mode= */
        UNOTIFY_MOUNT_OPT_NR_INODES,   /* tmpfs nr_inodes= */
        UNOTIFY_MOUNT_OPT_HIDEPID,     /* proc hidepid= */
        UNOTIFY_MOUNT_OPT_SUBSET,      /* proc subset=pid */
        UNOTIFY_MOUNT_OPT_NEWINSTANCE, /* devpts newinstance (always one) */
        UNOTIFY_MOUNT_OPT_PTMXMODE,    /* devpts ptmxmode= */
        UNOTIFY_MOUNT_OPT_GID,         /* devpts gid= (a container gid) */
        UNOTIFY_MOUNT_OPT_LOWERDIR,    /* overlay lowerdir= (these three last) */
        UNOTIFY_MOUNT_OPT_UPPERDIR,    /* overlay upperdir= */
        UNOTIFY_MOUNT_OPT_WORKDIR,     /* overlay workdir= */
        _UNOTIFY_MOUNT_OPT_MAX,
};

/* One "rewrite" of the open handler: an open of `from` (an absolute,
 * normalized path as the target names it) opens `to` (a file of the
 * supervisor's) instead. */
struct unotify_rewrite {
        const char *from;
        const char *to;
};

/* What a rule's "handlerOptions" say, checked at load. Borrowed from the
 * policy that holds the rule. */
struct unotify_handler_options {
        /* "open": rewrites, in file order; no two share `from`. */
        const struct unotify_rewrite *rewrites;
        size_t n_rewrites;
        /* "inject": the file the supervisor opens (absolute), the open(2)
         * access mode (O_RDONLY, O_WRONLY or O_RDWR) and whether the
         * target's fd gets O_CLOEXEC. NULL for other handlers. */
        const char *inject_path;
        int inject_access;
        bool inject_cloexec;
        /* "mknod", "sched", "mount": the errno for what it refuses
         * (default EPERM, what the unprivileged call gets). */
        int refuse_errno;
        /* "sched": the lowest nice a task may set (-20..19, default 0),
         * the highest SCHED_FIFO/SCHED_RR priority (0..99, default 0: none)
         * and the policies it may choose (bits 1 << SCHED_*; default
         * SCHED_OTHER, SCHED_BATCH, SCHED_IDLE). */
        int sched_min_nice;
        int sched_max_rt_priority;
        uint32_t sched_policies;
        /* "mount": the types (bits 1 << UNOTIFY_MOUNT_*), the path
         * prefixes (absolute, normalized, in the task's root) a target
         * and a bind source must be under, the MOUNT_ATTR_* bits always
         * set and those the task may ask for, the filesystem options it
         * may pass (bits 1 << UNOTIFY_MOUNT_OPT_*), the cap on a tmpfs
         * size= in bytes (0: none; a tmpfs without size= gets it) and
         * whether a bind mount is idmapped to the task's user namespace. */
        uint32_t mount_types;
        const char *const *mount_targets;
        size_t n_mount_targets;
        const char *const *mount_sources;
        size_t n_mount_sources;
        uint64_t mount_force_attrs;
        uint64_t mount_allow_attrs;
        uint32_t mount_options;
        uint64_t mount_max_size;
        bool mount_idmap;
        /* "xattr": the attribute names it sets and removes: an entry that
         * ends in "." is a prefix, any other an exact name; all in the
         * trusted. or user. namespace. Default: trusted.overlay. */
        const char *const *xattr_names;
        size_t n_xattr_names;
        /* "bpf": the most instructions of a device program (default
         * 4096, at most 1000000). */
        unsigned bpf_max_insns;
};

struct unotify_decision {
        enum unotify_action action;
        /* UNOTIFY_ACTION_ERRNO: the errno, 1..4095. For the actions the
         * supervisor carries out itself, the errno to answer with when it
         * cannot (fail closed): EPERM for the kills, ENOSYS for EMULATE.
         * 0 for CONTINUE and RETURN. */
        int error;
        /* Index of the rule that decided in the policy's effective rule list
         * (the rules of included policies first, then its own "syscalls";
         * without "include", the index in "syscalls"); -1: defaultAction.
         * unotify_policy_rule_source() says where a rule was written. */
        int rule;
        int64_t val;                  /* UNOTIFY_ACTION_RETURN: the return value; else 0 */
        enum unotify_handler handler; /* UNOTIFY_ACTION_EMULATE; else UNOTIFY_HANDLER_NONE */
        bool log;                     /* CONTINUE by SCMP_ACT_LOG: record the call */
};

/* Load and compile one policy.
 * path/buf: the JSON text; origin names it in diagnostics.
 * ret: written only on success, with one reference the caller owns.
 * diags: may be NULL; every error found is appended.
 * Returns 0, -EINVAL (invalid policy: see diags), -ENOMEM, or the -errno
 * of reading the file. */
int unotify_policy_load_file(const char *path, struct unotify_policy **ret,
                             struct unotify_diags *diags);
int unotify_policy_load_buffer(const char *buf, size_t len, const char *origin,
                               struct unotify_policy **ret, struct unotify_diags *diags);

/* What a load is asked to do. A NULL options pointer means all defaults. */
struct unotify_load_options {
        /* The running kernel's release as uname(2) gives it ("6.1.0-13-amd64"),
         * against which "minKernel" is evaluated; only its leading
         * MAJOR.MINOR counts. NULL: unknown, older than every minKernel (an
         * includes.minKernel never holds, an excludes.minKernel never
         * excludes). The library itself never asks the system. */
        const char *kernel_release;
        /* Warnings are errors: the load fails on any of them. */
        bool strict;
};

/* unotify_policy_load_buffer/_file with options. A kernel_release that
 * does not start with MAJOR.MINOR is an error (-EINVAL, one diagnostic).
 * A policy loaded alone cannot use "include" (its base policies are found
 * in its directory: use unotify_policy_set_load_dir_full). */
int unotify_policy_load_buffer_full(const char *buf, size_t len, const char *origin,
                                    const struct unotify_load_options *opts,
                                    struct unotify_policy **ret, struct unotify_diags *diags);
int unotify_policy_load_file_full(const char *path, const struct unotify_load_options *opts,
                                  struct unotify_policy **ret, struct unotify_diags *diags);

/* A policy with no syscalls whose every decision is ERRNO `error`: what a
 * listener gets when its policy cannot be found (fail closed). */
int unotify_policy_new_deny_all(const char *name, int error, struct unotify_policy **ret);

struct unotify_policy *unotify_policy_ref(struct unotify_policy *p);
/* Drop a reference; frees on the last one. Accepts NULL; returns NULL. */
struct unotify_policy *unotify_policy_unref(struct unotify_policy *p);

const char *unotify_policy_name(const struct unotify_policy *p);
/* The profile's "flags" (SECCOMP_FILTER_FLAG_* names, each once, in file
 * order), which export-oci passes on to the runtime. Borrowed. */
const char *const *unotify_policy_filter_flags(const struct unotify_policy *p, size_t *ret_count);
/* The file the policy came from ("<origin>" for buffers); borrowed. */
const char *unotify_policy_origin(const struct unotify_policy *p);

/* The sorted, unique syscall names the policy has rules for: the set a
 * launcher's filter must send to the supervisor. Borrowed. */
const char *const *unotify_policy_syscalls(const struct unotify_policy *p, size_t *ret_count);

/* A digest of that set (FNV-1a 64 over the sorted names, each followed by
 * a NUL byte): launchers send it back at handoff so the daemon can refuse a
 * filter built from a different version of the policy. */
uint64_t unotify_policy_syscalls_digest(const struct unotify_policy *p);
/* The same digest over any list of names (sorted and made unique first). */
uint64_t unotify_syscalls_digest(const char *const *names, size_t count);

/* Decide one notification. O(1) lookup by (arch, nr) then the rules for
 * that syscall in file order; the first whose every condition holds wins,
 * else the policy's defaultAction. No allocation, no string work.
 * A syscall or architecture the policy does not know gets defaultAction.
 *
 * Without a view of the target: its capabilities count as none (a rule
 * with includes.caps never matches, one with excludes.caps always does),
 * and a rule with a path condition, once its other conditions hold,
 * decides ERRNO EFAULT (as if reading the path had failed: fail closed).
 * Use it as is when unotify_policy_needs_target_view() is false; then it
 * decides exactly as unotify_policy_decide_target(). */
void unotify_policy_decide(const struct unotify_policy *p, const struct seccomp_data *data,
                           struct unotify_decision *ret);

/* What a decision may need to know about the target beyond its registers.
 * The library calls back instead of reading /proc or target memory itself:
 * it stays pure, and the hot path asks only for what a candidate rule
 * needs. */
struct unotify_target_view {
        /* The target's effective capabilities (CapEff in /proc/PID/status):
         * bit n is capability n. Used when read_caps is NULL. */
        uint64_t caps_effective;
        /* Optional. Called at most once per decision, and only when a rule
         * whose argument conditions hold has "caps" in includes/excludes:
         * write the effective set to *ret. Returns 0 or -errno. */
        int (*read_caps)(void *userdata, uint64_t *ret);
        /* Called when a rule whose other conditions hold has a path
         * condition, at most once per (arg_index, dirfd_arg_index) per
         * decision: write the path that argument arg_index points to, as the
         * kernel would resolve it, into buf (size bytes, >= PATH_MAX),
         * NUL-terminated, and return its length or -errno. It must be
         * absolute: an absolute argument is taken relative to the target's
         * root; a relative one relative to the directory open at the target's
         * fd in argument dirfd_arg_index, or to the target's cwd when
         * dirfd_arg_index is -1 or that argument is AT_FDCWD. The library
         * removes "//", "/./" and resolves ".." lexically; it cannot see
         * symlinks, so a reader should resolve them where it can. NULL: every
         * read fails with -EFAULT. */
        int (*read_path)(void *userdata, unsigned arg_index, int dirfd_arg_index, char *buf,
                         size_t size);
        void *userdata;
};

/* Decide one notification with a view of the target (NULL: none, as
 * unotify_policy_decide()). Returns 0 with the decision in ret. When a
 * callback fails with -E (or returns a relative path: -EFAULT), the rule
 * that needed it cannot be decided and ret is that rule's failure
 * decision: UNOTIFY_ACTION_ERRNO with error E (EFAULT when E is not
 * 1..4095) and `rule` set; the function returns -E. The caller answers that
 * decision as is (a bad pointer fails the syscall with EFAULT, as the
 * kernel would), and may log -E. No allocation: paths are read into the
 * stack. */
int unotify_policy_decide_target(const struct unotify_policy *p, const struct seccomp_data *data,
                                 const struct unotify_target_view *view,
                                 struct unotify_decision *ret);

/* Whether some rule of p has a "caps" or a path condition, i.e. whether
 * unotify_policy_decide() may differ from unotify_policy_decide_target()
 * with a real view. When false the daemon can call the view-less one. */
bool unotify_policy_needs_target_view(const struct unotify_policy *p);

/* All *.json files of a directory, one policy each, names unique.
 * ret: written only on success. Returns 0, -EINVAL (see diags: every error
 * of every file), -ENOMEM, or the -errno of opening the directory.
 * "include" names other policies of the set: their rules come first, in
 * the order named (each included policy once, its own includes before
 * it); a name not in the set or a cycle is an error. At most one policy
 * may have "default": true, and no two policies' "select" may be able to
 * match the same listener (see unotify_policy_set_select). Warnings are
 * appended to diags without failing the load (unless opts->strict). */
int unotify_policy_set_load_dir(const char *dir, struct unotify_policy_set **ret,
                                struct unotify_diags *diags);
int unotify_policy_set_load_dir_full(const char *dir, const struct unotify_load_options *opts,
                                     struct unotify_policy_set **ret, struct unotify_diags *diags);
/* Frees the set and drops its references. Accepts NULL; returns NULL. */
struct unotify_policy_set *unotify_policy_set_free(struct unotify_policy_set *s);
/* Borrowed; NULL when no policy has that name. */
struct unotify_policy *unotify_policy_set_find(const struct unotify_policy_set *s,
                                               const char *name);
size_t unotify_policy_set_count(const struct unotify_policy_set *s);
/* Borrowed; i < count, in name order. */
struct unotify_policy *unotify_policy_set_at(const struct unotify_policy_set *s, size_t i);

/* What a listener looks like to policy selection; every pointer is
 * borrowed and may be NULL. */
struct unotify_annotation {
        const char *key;
        const char *value;
};

struct unotify_selector {
        /* listenerMetadata: "KEY=VALUE" lines separated by '\n'. Only the
         * first line of a key counts. */
        const char *metadata;
        /* The OCI state's annotations; only the first pair of a key counts. */
        const struct unotify_annotation *annotations;
        size_t n_annotations;
        const char *container_id; /* the OCI state's "id" */
        /* Used when nothing selects and no policy has "default": true: the
         * daemon's --default-policy ("default"). */
        const char *fallback_name;
};

/* Choose the policy for a listener, in this order:
 *   1. metadata "policy=NAME": the policy NAME (unknown: -ENOENT);
 *   2. the one policy whose "select" matches: every metadata KEY has that
 *      VALUE, every annotation KEY exists and its value matches the glob,
 *      and the container id matches the containerId glob (fnmatch(3)
 *      without flags: "*" also matches "/"); two or more: -ENOTUNIQ (the
 *      loader refuses sets where that could happen; checked again here);
 *   3. the policy with "default": true;
 *   4. the policy called sel->fallback_name (none: -ENOENT).
 * s NULL: -ENOENT; sel NULL: an empty selector.
 * ret: borrowed from the set, written only on success. why (may be NULL
 * if why_size is 0): on success how the policy was chosen, on failure why
 * none was, for logs and the handoff's answer. Returns 0, -ENOENT or
 * -ENOTUNIQ. No allocation. */
int unotify_policy_set_select(const struct unotify_policy_set *s,
                              const struct unotify_selector *sel, struct unotify_policy **ret,
                              char *why, size_t why_size);

/* The effective policy as JSON, for `unotifyd -T` and `unotifyctl`:
 * "include" resolved (every effective rule, included ones first, with
 * "from": the policy, file and JSON pointer it was written at), each rule's
 * syscall numbers per architecture after includes/excludes arches and
 * minKernel ("numbers": {"SCMP_ARCH_X86_64": [83, ...], ...}; on x86 a
 * multiplexed call appears as {"nr": 102, "socketcall": 1, ...}), errnos
 * as numbers, values above INT64_MAX as "0x..." strings, and the notified
 * syscall set with its digest. Not a policy file: it has keys a policy may
 * not have. Returns a malloc'ed, NUL-terminated string, or NULL (ENOMEM). */
char *unotify_policy_to_json(const struct unotify_policy *p);

/* Where effective rule `rule` (a decision's .rule) was written: the name
 * and file of the policy that holds it (p itself, or a policy it
 * includes) and its index in that policy's "syscalls". Each ret_* may be
 * NULL; strings are borrowed from p. Returns 0, or -ENOENT when rule is
 * not a rule of p (-1 is defaultAction). */
int unotify_policy_rule_source(const struct unotify_policy *p, int rule, const char **ret_policy,
                               const char **ret_origin, unsigned *ret_index);

/* Names of actions/ops/errnos, for messages: "SCMP_ACT_ERRNO", "EPERM", ...
 * CONTINUE is "SCMP_ACT_ALLOW"; "(invalid action)" for other values. */
const char *unotify_action_to_string(enum unotify_action a);
/* The action as a policy writes it: unotify_action_to_string(), except
 * "SCMP_ACT_LOG" for a CONTINUE with `log` set. */
const char *unotify_decision_action_name(const struct unotify_decision *d);
/* The handlerOptions of effective rule `rule` (a decision's .rule) when
 * it is an UNOTIFY_ACT_EMULATE rule; borrowed from p. NULL otherwise.
 * Every EMULATE rule has options (defaults when it gives none). */
const struct unotify_handler_options *unotify_policy_handler_options(const struct unotify_policy *p,
                                                                     int rule);

/* How many effective rules p has (a decision's .rule is below it), and
 * the handler of rule `rule` (UNOTIFY_HANDLER_NONE unless it emulates):
 * what the daemon checks it can do at load (a handler that needs a
 * privilege it lacks). */
size_t unotify_policy_rule_count(const struct unotify_policy *p);
enum unotify_handler unotify_policy_rule_handler(const struct unotify_policy *p, int rule);

/* The syscalls handler h serves, as the loader checks rules against them
 * (borrowed, static). NULL with *ret_count 0: any syscall (inject), or an
 * unknown h. */
const char *const *unotify_handler_syscalls(enum unotify_handler h, size_t *ret_count);

/* Normalize an absolute path in place as path conditions see it ("//",
 * "/./", ".." resolved lexically, no trailing "/"); returns its length. */
size_t unotify_path_normalize(char *path);

/* "open" for UNOTIFY_HANDLER_OPEN; NULL for NONE and unknown values. */
const char *unotify_handler_name(enum unotify_handler h);
/* 21 for "CAP_SYS_ADMIN" (capabilities(7), as in "caps"); -EINVAL when
 * unknown. */
int unotify_capability_from_name(const char *name);
/* "EPERM" for 1; NULL when unknown. */
const char *unotify_errno_name(int error);
/* 1 for "EPERM"; -EINVAL when unknown. */
int unotify_errno_from_name(const char *name);

/* A policy's "learn" section: the policy records the calls of its
 * listeners instead of enforcing anything (docs/learn.md). Its filter
 * sends every call the policy's own rules do not decide in the kernel to
 * the daemon, which records it and answers defaultAction (which must be
 * SCMP_ACT_ALLOW). The limits bound what one listener's recording keeps. */
#define UNOTIFY_LEARN_DEFAULT_PATH_DEPTH 3
#define UNOTIFY_LEARN_DEFAULT_MAX_VALUES 64
#define UNOTIFY_LEARN_DEFAULT_MAX_PATHS 256
#define UNOTIFY_LEARN_MAX_PATH_DEPTH 16
#define UNOTIFY_LEARN_MAX_VALUES 4096
#define UNOTIFY_LEARN_MAX_PATHS 65536

struct unotify_learn_limits {
        unsigned path_depth; /* paths beyond maxPaths fold to this many components */
        unsigned max_values; /* distinct values kept per (syscall, argument) */
        unsigned max_paths;  /* distinct paths (and folded prefixes) kept */
};

/* The policy's "learn" limits, or NULL when it does not learn. Borrowed. */
const struct unotify_learn_limits *unotify_policy_learn(const struct unotify_policy *p);
