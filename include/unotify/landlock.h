/* Landlock: the file-access part of a policy, enforced by the kernel.
 *
 * A policy's "landlock" section is an allow-list: the access rights it
 * handles are denied everywhere except beneath the paths it allows.
 * The daemon sends it to the launcher with the policy's filter; the
 * launcher turns it into a Landlock ruleset and restricts the command
 * with it before exec (landlock(7)). Those decisions then cost nothing
 * per call, cannot be raced (the kernel checks the opened object, not a
 * string) and hold while the daemon is down.
 *
 * Landlock grows by ABI version: 1 (Linux 5.13) the first 13 rights, 2
 * (5.19) "refer", 3 (6.2) "truncate", 5 (6.10) "ioctl_dev". A right the
 * running kernel does not know cannot be restricted there; the ruleset
 * leaves it out and says so (struct unotify_landlock_report).
 *
 * The launcher side (abi, ruleset, enforce) is in libunotify; the names
 * are in both libraries. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UNOTIFY_LANDLOCK_PUBLIC __attribute__((visibility("default")))

/* Bounds of a section (the loader refuses more; the client checks them in
 * the daemon's reply). A path is absolute, normalized, shorter than
 * UNOTIFY_LANDLOCK_PATH_MAX bytes. */
#define UNOTIFY_LANDLOCK_MAX_RULES 64
#define UNOTIFY_LANDLOCK_PATH_MAX 256
/* The highest ABI a policy's "minAbi" may ask for. */
#define UNOTIFY_LANDLOCK_ABI_MAX 7

/* The rights, as bits: the kernel's LANDLOCK_ACCESS_FS_* values. */
#define UNOTIFY_LANDLOCK_RIGHTS 16
#define UNOTIFY_LANDLOCK_ALL ((UINT64_C(1) << UNOTIFY_LANDLOCK_RIGHTS) - 1)
/* The rights that apply to a file itself; the others apply to the
 * contents of a directory (landlock_add_rule(2) refuses them on a file). */
#define UNOTIFY_LANDLOCK_FILE_RIGHTS \
        UINT64_C(0xc007) /* execute, write/read_file, truncate, ioctl_dev */

struct unotify_landlock_rule {
        char *path;      /* absolute, normalized */
        uint64_t access; /* a subset of the section's handled rights, not 0 */
};

/* A section as a policy holds it or a reply carries it. */
struct unotify_landlock {
        uint64_t handled; /* denied except where a rule allows; not 0 */
        unsigned min_abi; /* 0..UNOTIFY_LANDLOCK_ABI_MAX: refuse to run below it */
        size_t n_rules;
        struct unotify_landlock_rule *rules;
};

/* The policy library: the section of policy p, NULL when it has none;
 * borrowed from p. (Only the policy's own section counts: "include"
 * takes rules, not sections.) */
struct unotify_policy;
const struct unotify_landlock *unotify_policy_landlock(const struct unotify_policy *p);

/* "read_file" for the right at bit (0..15); NULL for other bits. */
UNOTIFY_LANDLOCK_PUBLIC const char *unotify_landlock_right_name(unsigned bit);
/* The bit of a right's name, or -EINVAL. */
UNOTIFY_LANDLOCK_PUBLIC int unotify_landlock_right_from_name(const char *name);
/* The first ABI that has the right at bit (1, 2, 3 or 5); 0 if unknown. */
UNOTIFY_LANDLOCK_PUBLIC unsigned unotify_landlock_right_abi(unsigned bit);
/* Every right ABI abi knows (0: none). */
UNOTIFY_LANDLOCK_PUBLIC uint64_t unotify_landlock_abi_rights(int abi);

/* libunotify. The running kernel's Landlock ABI: >= 1, 0 when Landlock is
 * not built in or not enabled at boot, or -errno of the probe. */
UNOTIFY_LANDLOCK_PUBLIC int unotify_landlock_abi(void);

/* What a ruleset could not do on this kernel. */
struct unotify_landlock_report {
        int abi;          /* the ABI it was made for */
        uint64_t dropped; /* handled rights this ABI cannot restrict: left unrestricted */
        /* Rules whose path could not be opened (it does not exist, or the
         * launcher may not reach it): nothing is allowed there. Indices
         * into ll->rules, n_missing of them. */
        size_t missing[UNOTIFY_LANDLOCK_MAX_RULES];
        size_t n_missing;
};

/* Make the Landlock ruleset of ll for ABI abi (unotify_landlock_abi()):
 * handled rights the ABI lacks are left out (report->dropped), rules keep
 * only the rights the ABI knows and, on a file, those for files; a path
 * that cannot be opened allows nothing (report->missing). The paths are
 * opened with the caller's credentials and in its mount namespace.
 * *ret_fd: the ruleset (O_CLOEXEC), written only on success, for
 * unotify_landlock_enforce(); -1 when the ABI can restrict none of the
 * handled rights (all of them are in report->dropped). Returns 0, -EOPNOTSUPP when abi is below
 * ll->min_abi (or 0), -EINVAL for a bad section, or -errno of
 * landlock_create_ruleset(2)/landlock_add_rule(2). report may be NULL. */
UNOTIFY_LANDLOCK_PUBLIC int unotify_landlock_ruleset(const struct unotify_landlock *ll, int abi,
                                                     struct unotify_landlock_report *report,
                                                     int *ret_fd);

/* Restrict the calling thread, and every task it starts afterwards, with
 * ruleset_fd (borrowed). The thread must have PR_SET_NO_NEW_PRIVS (or
 * CAP_SYS_ADMIN); call it before starting other threads, which would
 * stay unrestricted. Async-signal-safe: fine between fork and exec.
 * Returns 0 or -errno of landlock_restrict_self(2). */
UNOTIFY_LANDLOCK_PUBLIC int unotify_landlock_enforce(int ruleset_fd);

/* Free the rules and their paths; leaves an empty section. Accepts NULL. */
UNOTIFY_LANDLOCK_PUBLIC void unotify_landlock_clear(struct unotify_landlock *ll);

#ifdef __cplusplus
}
#endif
