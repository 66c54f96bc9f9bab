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

/* One diagnostic: where (file, line/column for syntax errors, JSON pointer
 * such as "/syscalls/3/args/0/op" for semantic ones) and what. Any field
 * may be NULL/0 when unknown. */
struct unotify_diag {
        char *file;
        int line;
        int column;
        char *pointer;
        char *message;
};

struct unotify_diags {
        struct unotify_diag *items;
        size_t count;
};

/* Free every diagnostic; leaves an empty list. Accepts NULL. */
void unotify_diags_clear(struct unotify_diags *diags);

/* Format one diagnostic as "file:line:column: message" or
 * "file: /pointer: message" into buf (always NUL-terminated). */
void unotify_diag_format(const struct unotify_diag *d, char *buf, size_t size);

/* What the supervisor answers. Values start at 1 so a zeroed decision is
 * never mistaken for a valid one. */
enum unotify_action {
        UNOTIFY_ACTION_CONTINUE = 1, /* SCMP_ACT_ALLOW: SECCOMP_USER_NOTIF_FLAG_CONTINUE */
        UNOTIFY_ACTION_ERRNO,        /* SCMP_ACT_ERRNO: fail with `error` */
};

struct unotify_decision {
        enum unotify_action action;
        int error; /* positive errno for UNOTIFY_ACTION_ERRNO, else 0 */
        int rule;  /* index in the policy's "syscalls" array; -1: defaultAction */
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

/* A policy with no syscalls whose every decision is ERRNO `error`: what a
 * listener gets when its policy cannot be found (fail closed). */
int unotify_policy_new_deny_all(const char *name, int error, struct unotify_policy **ret);

struct unotify_policy *unotify_policy_ref(struct unotify_policy *p);
/* Drop a reference; frees on the last one. Accepts NULL; returns NULL. */
struct unotify_policy *unotify_policy_unref(struct unotify_policy *p);

const char *unotify_policy_name(const struct unotify_policy *p);
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
 * that syscall in file order; the first whose every arg condition holds
 * wins, else the policy's defaultAction. No allocation, no string work.
 * A syscall or architecture the policy does not know gets defaultAction. */
void unotify_policy_decide(const struct unotify_policy *p, const struct seccomp_data *data,
                           struct unotify_decision *ret);

/* All *.json files of a directory, one policy each, names unique.
 * ret: written only on success. Returns 0, -EINVAL (see diags: every error
 * of every file), -ENOMEM, or the -errno of opening the directory. */
int unotify_policy_set_load_dir(const char *dir, struct unotify_policy_set **ret,
                                struct unotify_diags *diags);
/* Frees the set and drops its references. Accepts NULL; returns NULL. */
struct unotify_policy_set *unotify_policy_set_free(struct unotify_policy_set *s);
/* Borrowed; NULL when no policy has that name. */
struct unotify_policy *unotify_policy_set_find(const struct unotify_policy_set *s, const char *name);
size_t unotify_policy_set_count(const struct unotify_policy_set *s);
/* Borrowed; i < count, in name order. */
struct unotify_policy *unotify_policy_set_at(const struct unotify_policy_set *s, size_t i);

/* Names of actions/ops/errnos, for messages: "SCMP_ACT_ERRNO", "EPERM", ... */
const char *unotify_action_to_string(enum unotify_action a);
/* "EPERM" for 1; NULL when unknown. */
const char *unotify_errno_name(int error);
/* 1 for "EPERM"; -EINVAL when unknown. */
int unotify_errno_from_name(const char *name);
