/* unotify-run: the Landlock ruleset of the policy, made in the unfiltered
 * parent (it opens the allowed paths with the user's credentials) and
 * enforced by the child before exec (launch.h). */
#include "run_landlock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

/* "truncate (ABI 3), ioctl_dev (ABI 5)" */
static void print_rights(uint64_t mask)
{
        const char *sep = "";

        for (unsigned i = 0; i < UNOTIFY_LANDLOCK_RIGHTS; i++)
                if (mask & (UINT64_C(1) << i)) {
                        fprintf(stderr, "%s%s (ABI %u)", sep, unotify_landlock_right_name(i),
                                unotify_landlock_right_abi(i));
                        sep = ", ";
                }
}

static void report(const struct unotify_landlock *ll, const struct unotify_landlock_report *rep,
                   const char *policy, bool verbose)
{
        if (rep->dropped) {
                fprintf(stderr,
                        "unotify-run: this kernel has Landlock ABI %d: policy \"%s\"'s "
                        "Landlock section cannot restrict ",
                        rep->abi, policy);
                print_rights(rep->dropped);
                fprintf(stderr, " here; those stay allowed\n");
        }
        if (!verbose)
                return;
        fprintf(stderr,
                "unotify-run: Landlock ABI %d enforces policy \"%s\"'s file access: %zu "
                "allowed path%s\n",
                rep->abi, policy, ll->n_rules - rep->n_missing,
                ll->n_rules - rep->n_missing == 1 ? "" : "s");
        for (size_t i = 0; i < rep->n_missing; i++)
                fprintf(stderr,
                        "unotify-run: Landlock: %s cannot be opened: nothing is allowed "
                        "there\n",
                        ll->rules[rep->missing[i]].path);
}

int run_landlock_prepare(const struct unotify_landlock *ll, const char *policy, bool verbose,
                         int *ret_fd)
{
        struct unotify_landlock_report rep;
        int abi, r;

        *ret_fd = -1;
        if (!ll)
                return 0;
        abi = unotify_landlock_abi();
        if (abi >= 0 && abi < (int)ll->min_abi) {
                fprintf(stderr,
                        "unotify-run: policy \"%s\" needs Landlock ABI %u or newer for its "
                        "file access, and this kernel has %s%d: not running the command\n",
                        policy, ll->min_abi, abi ? "ABI " : "no Landlock, ", abi);
                return EX_UNAVAILABLE;
        }
        if (abi == 0) {
                fprintf(stderr,
                        "unotify-run: no Landlock in this kernel: policy \"%s\"'s file "
                        "access section is not enforced (its minAbi is 0)\n",
                        policy);
                return 0;
        }
        r = abi < 0 ? abi : unotify_landlock_ruleset(ll, abi, &rep, ret_fd);
        if (r < 0) {
                fprintf(stderr,
                        "unotify-run: cannot make the Landlock ruleset of policy \"%s\": %s\n",
                        policy, strerror(-r));
                return EX_OSERR;
        }
        report(ll, &rep, policy, verbose);
        return 0;
}
