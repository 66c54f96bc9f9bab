/* daemon/metrics/metrics.c: which label a decision is counted under (the
 * syscalls a policy names, "other" for the rest, on every architecture a
 * listener's calls come from), counters kept across a reload that names
 * more syscalls, the policy bound, and the histogram buckets. */
#include <criterion/criterion.h>
#include <ev.h> /* before seccomp.h, as in the daemon */
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "metrics/metrics.h"

static struct unotify_policy *load(const char *name, const char *syscalls)
{
        char json[512];
        struct unotify_policy *p = NULL;

        snprintf(json, sizeof(json),
                 "{\"name\":\"%s\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[%"
                 "s],"
                 "\"notify\":true,\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1}]}",
                 name, syscalls);
        cr_assert_eq(unotify_policy_load_buffer(json, strlen(json), "<test>", &p, NULL), 0, "%s",
                     json);
        return p;
}

static struct seccomp_data call(uint32_t arch, const char *name)
{
        int nr = seccomp_syscall_resolve_name_arch(arch, name);

        cr_assert_geq(nr, 0, "%s", name);
        return (struct seccomp_data){ .arch = arch, .nr = nr };
}

/* The count under (syscall label, action). */
static uint64_t count(const struct metrics_policy *mp, const char *syscall, enum metrics_action a)
{
        if (strcmp(syscall, "other") == 0)
                return mp->decisions[0][a];
        for (size_t i = 0; i < mp->n_syscalls; i++)
                if (strcmp(mp->syscalls[i], syscall) == 0)
                        return mp->decisions[i + 1][a];
        cr_assert_fail("no row for %s", syscall);
        return 0;
}

Test(metrics, named_syscalls_and_other, .timeout = 30)
{
        static struct metrics m;
        struct unotify_policy *p = load("deny", "\"mkdir\",\"uname\"");
        struct metrics_policy *mp = metrics_policy_get(&m, p);
        uint32_t native = seccomp_arch_native();
        struct seccomp_data mkdir_call = call(native, "mkdir"),
                            getpid_call = call(native, "getpid");

        cr_assert_str_eq(mp->name, "deny");
        cr_assert_eq(mp->n_syscalls, 2);
        metrics_decision(mp, &mkdir_call, METRICS_ERRNO);
        metrics_decision(mp, &mkdir_call, METRICS_ERRNO);
        metrics_decision(mp, &getpid_call, METRICS_ALLOW);
        cr_assert_eq(count(mp, "mkdir", METRICS_ERRNO), 2);
        cr_assert_eq(count(mp, "uname", METRICS_ERRNO), 0);
        cr_assert_eq(count(mp, "other", METRICS_ALLOW), 1);
        /* The same name from a 32-bit task on x86-64: its own number. */
        if (native == SCMP_ARCH_X86_64) {
                struct seccomp_data compat = call(SCMP_ARCH_X86, "mkdir");

                metrics_decision(mp, &compat, METRICS_ERRNO);
                cr_assert_eq(count(mp, "mkdir", METRICS_ERRNO), 3);
                /* An x32 task: AUDIT_ARCH_X86_64 and the x32 bit in nr. */
                struct seccomp_data x32 = call(SCMP_ARCH_X32, "mkdir");

                cr_assert(x32.nr & 0x40000000, "libseccomp's x32 numbers carry the x32 bit");
                x32.arch = SCMP_ARCH_X86_64;
                metrics_decision(mp, &x32, METRICS_ERRNO);
                cr_assert_eq(count(mp, "mkdir", METRICS_ERRNO), 4);
        }
        /* The same name again: the same counters. */
        cr_assert_eq(metrics_policy_get(&m, p), mp);
        unotify_policy_unref(p);
        metrics_done(&m);
}

Test(metrics, reload_naming_more_keeps_counts, .timeout = 30)
{
        static struct metrics m;
        struct unotify_policy *v1 = load("p", "\"mkdir\""), *v2 = load("p", "\"uname\",\"mkdir\"");
        struct metrics_policy *mp = metrics_policy_get(&m, v1);
        struct seccomp_data mkdir_call = call(seccomp_arch_native(), "mkdir");
        struct seccomp_data uname_call = call(seccomp_arch_native(), "uname");

        metrics_decision(mp, &mkdir_call, METRICS_ERRNO);
        metrics_decision(mp, &uname_call, METRICS_ERRNO); /* not named yet */
        cr_assert_eq(metrics_policy_get(&m, v2), mp);
        cr_assert_eq(mp->n_syscalls, 2);
        metrics_decision(mp, &uname_call, METRICS_ERRNO);
        cr_assert_eq(count(mp, "mkdir", METRICS_ERRNO), 1);
        cr_assert_eq(count(mp, "uname", METRICS_ERRNO), 1);
        cr_assert_eq(count(mp, "other", METRICS_ERRNO), 1);
        unotify_policy_unref(v1);
        unotify_policy_unref(v2);
        metrics_done(&m);
}

Test(metrics, policies_beyond_the_bound_are_other, .timeout = 30)
{
        static struct metrics m;
        struct metrics_policy *mp = NULL;

        for (int i = 0; i <= METRICS_POLICIES; i++) {
                char name[32];
                struct unotify_policy *p;

                snprintf(name, sizeof(name), "p%d", i);
                p = load(name, "\"mkdir\"");
                mp = metrics_policy_get(&m, p);
                unotify_policy_unref(p);
        }
        cr_assert_eq(m.n_policies, METRICS_POLICIES);
        cr_assert_str_eq(mp->name, "other");
        cr_assert_eq(mp->n_syscalls, 0, "the overflow has no syscall names");
        metrics_done(&m);
}

Test(metrics, buckets, .timeout = 30)
{
        struct histogram h = {};

        histogram_observe(&h, 0);
        histogram_observe(&h, 5000);       /* le 5 us: bounds are inclusive */
        histogram_observe(&h, 5001);       /* le 10 us */
        histogram_observe(&h, 1000000000); /* le 1 s */
        histogram_observe(&h, 1000000001); /* +Inf */
        cr_assert_eq(h.counts[0], 2);
        cr_assert_eq(h.counts[1], 1);
        cr_assert_eq(h.counts[METRICS_BUCKETS - 1], 1);
        cr_assert_eq(h.counts[METRICS_BUCKETS], 1);
        cr_assert_eq(h.count, 5);
        cr_assert_eq(h.sum_ns, 2000010002ull);
        cr_assert_eq(metrics_bucket_ns[0], 5000);
        cr_assert_eq(metrics_bucket_ns[METRICS_BUCKETS - 1], 1000000000);
}

Test(metrics, action_labels, .timeout = 30)
{
        struct unotify_decision allow = { .action = UNOTIFY_ACTION_CONTINUE };
        struct unotify_decision log = { .action = UNOTIFY_ACTION_CONTINUE, .log = true };
        struct unotify_decision ret = { .action = UNOTIFY_ACTION_RETURN };

        cr_assert_str_eq(metrics_action_name(metrics_action_of(&allow)), "allow");
        cr_assert_str_eq(metrics_action_name(metrics_action_of(&log)), "log");
        cr_assert_str_eq(metrics_action_name(metrics_action_of(&ret)), "return");
}
