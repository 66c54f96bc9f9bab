/* The policy library's names and digests: errno names both ways (and
 * against libc), the digest over a policy's sorted syscall names and its
 * answers. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/audit.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "policy_fixtures.h"
#include "policy_helpers.h"
#include "unotify/filter.h"

/* ---- errno names ------------------------------------------------------ */

Test(errnos, names_and_numbers, .timeout = 60)
{
        static const struct {
                const char *name;
                int error;
        } rows[] = {
                { "EPERM", 1 },       { "ENOENT", ENOENT },         { "EACCES", EACCES },
                { "ENOSYS", ENOSYS }, { "EOPNOTSUPP", EOPNOTSUPP }, { "EHWPOISON", EHWPOISON },
                { "EAGAIN", EAGAIN }, { "EDEADLK", EDEADLK },
        };

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                cr_assert_eq(unotify_errno_from_name(rows[i].name), rows[i].error, "%s",
                             rows[i].name);
                cr_assert_str_eq(unotify_errno_name(rows[i].error), rows[i].name, "%d",
                                 rows[i].error);
        }
        cr_assert_eq(unotify_errno_from_name("EWOULDBLOCK"), EAGAIN);
        cr_assert_eq(unotify_errno_from_name("ENOTSUP"), EOPNOTSUPP);
        cr_assert_eq(unotify_errno_from_name("EDEADLOCK"), EDEADLOCK);
        cr_assert_eq(unotify_errno_from_name("eperm"), -EINVAL, "names are case-sensitive");
        cr_assert_eq(unotify_errno_from_name("EPREM"), -EINVAL);
        cr_assert_eq(unotify_errno_from_name(""), -EINVAL);
        cr_assert_eq(unotify_errno_from_name(NULL), -EINVAL);
        cr_assert_null(unotify_errno_name(0));
        cr_assert_null(unotify_errno_name(-1));
        cr_assert_null(unotify_errno_name(4095));
}

/* The table names exactly the errnos glibc names, and every name maps
 * back to its number. */
Test(errnos, table_matches_libc, .timeout = 60)
{
        size_t named = 0;

        for (int e = 1; e <= 4095; e++) {
                const char *libc = strerrorname_np(e), *name = unotify_errno_name(e);

                if (!libc) {
                        cr_assert_null(name, "%d is %s for us, nothing for glibc", e, name);
                        continue;
                }
                cr_assert_not_null(name, "%d (%s) is missing", e, libc);
                cr_assert_str_eq(name, libc, "%d", e);
                cr_assert_eq(unotify_errno_from_name(name), e, "%s", name);
                named++;
        }
        cr_assert_geq(named, 131);
}

/* ---- digests ---------------------------------------------------------- */

Test(digest, fnv1a_over_sorted_unique_names, .timeout = 60)
{
        const char *none[] = { NULL };
        const char *read1[] = { "read" };
        const char *a[] = { "mkdirat", "mkdir" };
        const char *b[] = { "mkdir", "mkdirat", "mkdir", "mkdirat" };
        const char *c[] = { "mkdir" };
        const char *d[] = { "uname", "mkdirat", "mkdir" };
        const char *split1[] = { "ab", "c" };
        const char *split2[] = { "a", "bc" };

        /* Reference values from an independent implementation (Python). */
        cr_assert_eq(unotify_syscalls_digest(none, 0), 0xcbf29ce484222325ULL);
        cr_assert_eq(unotify_syscalls_digest(read1, 1), 0x893543f305f2aa7fULL);
        cr_assert_eq(unotify_syscalls_digest(a, 2), 0xeede57109a2b1152ULL);
        cr_assert_eq(unotify_syscalls_digest(b, 4), 0xeede57109a2b1152ULL,
                     "duplicates do not count");
        cr_assert_eq(unotify_syscalls_digest(d, 3), 0x6c3436c0ca883612ULL);
        cr_assert_neq(unotify_syscalls_digest(c, 1), unotify_syscalls_digest(a, 2));
        cr_assert_neq(unotify_syscalls_digest(split1, 2), unotify_syscalls_digest(split2, 2));
}

Test(digest, policy_syscalls_sorted_unique, .timeout = 60)
{
        struct unotify_policy *p = load_ok(DECIDE_POLICY);
        static const char *const expected[] = { "getpid", "getppid", "gettid",
                                                "mkdir",  "mkdirat", "umask" };
        const char *const *names;
        size_t n;

        names = unotify_policy_syscalls(p, &n);
        cr_assert_eq(n, ELEMENTSOF(expected));
        for (size_t i = 0; i < n; i++)
                cr_assert_str_eq(names[i], expected[i], "[%zu]", i);
        cr_assert_eq(unotify_policy_syscalls_digest(p), unotify_policy_kernel_plan(p)->digest);
        unotify_policy_unref(p);
}

/* Same names, another answer: another filter, so another digest (a
 * launcher's filter from before an edit is refused at handoff). */
Test(digest, covers_the_answers, .timeout = 60)
{
        struct unotify_policy *a =
                load_ok("{'name':'x','defaultAction':'SCMP_ACT_ALLOW','syscalls':"
                        "[{'names':['mkdir'],'action':'SCMP_ACT_ERRNO'}]}");
        struct unotify_policy *b =
                load_ok("{'name':'x','defaultAction':'SCMP_ACT_ALLOW','syscalls':"
                        "[{'names':['mkdir'],'action':'SCMP_ACT_LOG'}]}");
        struct unotify_policy *c =
                load_ok("{'name':'x','defaultAction':'SCMP_ACT_ERRNO','syscalls':"
                        "[{'names':['mkdir'],'action':'SCMP_ACT_LOG'}]}");

        cr_assert_neq(unotify_policy_syscalls_digest(a), unotify_policy_syscalls_digest(b));
        cr_assert_neq(unotify_policy_syscalls_digest(b), unotify_policy_syscalls_digest(c));
        unotify_policy_unref(a);
        unotify_policy_unref(b);
        unotify_policy_unref(c);
}
