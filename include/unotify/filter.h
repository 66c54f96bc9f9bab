/* The kernel's part of a policy, and the BPF program made from it.
 *
 * A policy decides every syscall; most of those decisions need nothing but
 * the syscall number and its registers, and those are made by the kernel
 * in the seccomp filter, with the policy's own defaultAction for the
 * syscalls no rule names. Only what needs the daemon (capabilities, paths,
 * RETURN, emulation, or rules BPF cannot express as the policy means them)
 * goes to it as SECCOMP_RET_USER_NOTIF. The kernel plan says which is
 * which, name by name, for every ABI of this machine (x86_64: x86, x32);
 * launchers build their filter from it, export-oci writes it as an OCI
 * "linux.seccomp" section. */
#pragma once

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "unotify/policy.h"

/* exit(2) called with this code is never notified: the launcher's helper
 * thread ends with it right after installing the filter, so that the
 * launcher learns of the listener even when the policy notifies exit.
 * Letting one exit code through costs nothing: the thread ends either way. */
#define UNOTIFY_LAUNCH_EXIT_MAGIC 0x554e4f54u /* "UNOT" */

enum unotify_kernel_kind {
        UNOTIFY_KERNEL_DEFAULT, /* no rule applies here: defaultAction, in the kernel */
        UNOTIFY_KERNEL_RULES,   /* the rules below, in the kernel; else defaultAction */
        UNOTIFY_KERNEL_NOTIFY,  /* the daemon decides every call */
};

/* One argument comparison; op is libseccomp's enum scmp_compare
 * (SCMP_CMP_NE = 1 ... SCMP_CMP_MASKED_EQ = 7), value_two only for
 * MASKED_EQ (value is the mask). */
struct unotify_kernel_cond {
        unsigned index;
        int op;
        uint64_t value;
        uint64_t value_two;
};

/* A rule the kernel applies: its decision when every condition holds.
 * Rules of one name with different decisions never overlap, so their
 * order does not matter (libseccomp does not keep it). */
struct unotify_kernel_rule {
        struct unotify_decision decision; /* CONTINUE (log: SCMP_ACT_LOG), ERRNO, KILL_* */
        unsigned n_conds;
        struct unotify_kernel_cond conds[6];
};

struct unotify_kernel_entry {
        char *name;
        enum unotify_kernel_kind kind;
        /* UNOTIFY_KERNEL_NOTIFY: why the daemon must decide (static text,
         * e.g. "a rule has a path condition"); else NULL. */
        const char *why;
        size_t n_rules;
        struct unotify_kernel_rule *rules;
};

struct unotify_kernel_plan {
        struct unotify_decision default_decision;
        struct unotify_kernel_entry
                *entries; /* one per syscall name the policy has rules for, sorted */
        size_t n_entries;
        uint64_t digest; /* of everything above: see unotify_policy_syscalls_digest() */
        /* The policy learns (unotify_policy_learn()): a call no kernel rule
         * decides goes to the daemon instead of to defaultAction. */
        bool notify_default;
};

/* The plan of p. caps: the capability set the sandboxed task will have
 * (bit n = capability n), which resolves "includes"/"excludes" "caps" when
 * the plan is made, as container engines do with their profiles; NULL:
 * not known, and every syscall with a capability rule is notified (the
 * daemon reads the task's effective set for each call).
 * ret: written only on success; free with unotify_kernel_plan_free().
 * Returns 0 or -ENOMEM. */
int unotify_kernel_plan_new(const struct unotify_policy *p, const uint64_t *caps,
                            struct unotify_kernel_plan **ret);
/* Accepts NULL; returns NULL. */
struct unotify_kernel_plan *unotify_kernel_plan_free(struct unotify_kernel_plan *plan);
/* The plan made with caps NULL when p was loaded: what unotify-run's
 * filter and export-oci (without --caps) use. Borrowed from p. */
const struct unotify_kernel_plan *unotify_policy_kernel_plan(const struct unotify_policy *p);
/* The entry of name in plan, or NULL: no rule names it (defaultAction). */
const struct unotify_kernel_entry *unotify_kernel_plan_find(const struct unotify_kernel_plan *plan,
                                                            const char *name);

/* Whether p's own filter (its plan with caps NULL) sends a call with
 * data's ABI and number to the daemon. false: the kernel decides it, so a
 * notification of it means the filter in front of the listener was not
 * made from p. O(1), no allocation. */
bool unotify_policy_notifies(const struct unotify_policy *p, const struct seccomp_data *data);

/* Build the BPF program of a plan for the native ABI and its compat ABIs.
 * launcher: also let exit(UNOTIFY_LAUNCH_EXIT_MAGIC) through (see above).
 * ret->filter is malloc'ed; free it with unotify_filter_free. Returns 0,
 * -EINVAL, -E2BIG (more than BPF_MAXINSNS), -ENOMEM or a libseccomp error
 * as -errno. */
int unotify_filter_build_plan(const struct unotify_kernel_plan *plan, bool launcher,
                              struct sock_fprog *ret);

/* The launcher's filter of p's own plan (unotify_filter_build_plan with
 * launcher true), built on the first call and kept with p: a launch asks
 * for it every time, and libseccomp takes milliseconds to build a large
 * profile. *ret stays owned by p. Same errors as the build. */
int unotify_policy_launcher_filter(struct unotify_policy *p, const struct sock_fprog **ret);

/* For a supervisor, which builds filters but never loads one: libseccomp
 * asks the kernel through seccomp(2) which actions it may use, and refuses
 * SCMP_ACT_NOTIFY when that call fails (valgrind hides it: ENOSYS). A
 * process that holds listeners knows the kernel has user notification
 * (libseccomp API level 6, Linux 5.0+); this tells libseccomp so when it
 * could not find out. */
void unotify_filter_assume_user_notif(void);

/* The older form: notify the named syscalls and allow the rest (what
 * export-oci --all and tests use). names: unknown on one ABI: skipped
 * there; unknown on every ABI: -EINVAL. */
int unotify_filter_build(const char *const *names, size_t count, struct sock_fprog *ret);
void unotify_filter_free(struct sock_fprog *prog);
