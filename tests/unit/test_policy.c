/* The policy library's decisions: argument conditions and the decision
 * table (diagnostics are in test_policy_bad.c, names and digests in
 * test_policy_names.c, directories in test_policy_dir.c).
 *
 * Policies are written with ' for " so the tables stay readable; the
 * loaders swap them back. Nothing here loads a filter: decisions are asked
 * for with made-up seccomp_data. */
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

/* ---- argument conditions ---------------------------------------------- */

struct cond_case {
        const char *row;
        unsigned index;
        const char *op;
        const char *value;     /* JSON text */
        const char *value_two; /* JSON text */
        uint64_t arg;
        bool match;
};

#define BIG "'0x8000000000000000'"
#define MAX "'0xffffffffffffffff'"

static const struct cond_case cond_cases[] = {
        { "NE below", 0, "SCMP_CMP_NE", "10", "0", 9, true },
        { "NE equal", 0, "SCMP_CMP_NE", "10", "0", 10, false },
        { "NE above", 0, "SCMP_CMP_NE", "10", "0", 11, true },
        { "LT below", 0, "SCMP_CMP_LT", "10", "0", 9, true },
        { "LT equal", 0, "SCMP_CMP_LT", "10", "0", 10, false },
        { "LT above", 0, "SCMP_CMP_LT", "10", "0", 11, false },
        { "LE below", 0, "SCMP_CMP_LE", "10", "0", 9, true },
        { "LE equal", 0, "SCMP_CMP_LE", "10", "0", 10, true },
        { "LE above", 0, "SCMP_CMP_LE", "10", "0", 11, false },
        { "EQ below", 0, "SCMP_CMP_EQ", "10", "0", 9, false },
        { "EQ equal", 0, "SCMP_CMP_EQ", "10", "0", 10, true },
        { "EQ above", 0, "SCMP_CMP_EQ", "10", "0", 11, false },
        { "GE below", 0, "SCMP_CMP_GE", "10", "0", 9, false },
        { "GE equal", 0, "SCMP_CMP_GE", "10", "0", 10, true },
        { "GE above", 0, "SCMP_CMP_GE", "10", "0", 11, true },
        { "GT below", 0, "SCMP_CMP_GT", "10", "0", 9, false },
        { "GT equal", 0, "SCMP_CMP_GT", "10", "0", 10, false },
        { "GT above", 0, "SCMP_CMP_GT", "10", "0", 11, true },
        { "MASKED_EQ bits equal", 0, "SCMP_CMP_MASKED_EQ", "240", "48", 0x35, true },
        { "MASKED_EQ bits outside the mask ignored", 0, "SCMP_CMP_MASKED_EQ", "240", "48", 0x13f,
          true },
        { "MASKED_EQ bits differ", 0, "SCMP_CMP_MASKED_EQ", "240", "48", 0x45, false },
        { "MASKED_EQ bit missing", 0, "SCMP_CMP_MASKED_EQ", "240", "48", 0x20, false },
        { "MASKED_EQ high mask equal", 0, "SCMP_CMP_MASKED_EQ", "'0xffffffff00000000'", BIG,
          0x80000000deadbeefULL, true },
        { "MASKED_EQ high mask differ", 0, "SCMP_CMP_MASKED_EQ", "'0xffffffff00000000'", BIG,
          0x40000000deadbeefULL, false },
        { "EQ max below", 0, "SCMP_CMP_EQ", MAX, "0", UINT64_MAX - 1, false },
        { "EQ max equal", 0, "SCMP_CMP_EQ", MAX, "0", UINT64_MAX, true },
        { "EQ -1 is the max", 0, "SCMP_CMP_EQ", "-1", "0", UINT64_MAX, true },
        { "GT big below (unsigned)", 0, "SCMP_CMP_GT", BIG, "0", 1, false },
        { "GT big equal", 0, "SCMP_CMP_GT", BIG, "0", 0x8000000000000000ULL, false },
        { "GT big above", 0, "SCMP_CMP_GT", BIG, "0", 0x8000000000000001ULL, true },
        { "LT big below (unsigned)", 0, "SCMP_CMP_LT", BIG, "0", 1, true },
        { "LT big above", 0, "SCMP_CMP_LT", BIG, "0", UINT64_MAX, false },
        { "GE zero", 0, "SCMP_CMP_GE", "0", "0", 0, true },
        { "hex with capital X and digits", 0, "SCMP_CMP_EQ", "'0XaBc'", "0", 0xabc, true },
        { "index 3 equal", 3, "SCMP_CMP_EQ", "7", "0", 7, true },
        { "index 5 differ", 5, "SCMP_CMP_EQ", "7", "0", 8, false },
        { "index 5 equal", 5, "SCMP_CMP_EQ", "7", "0", 7, true },
};

ROWS(cond, ops, cond_cases)

#define COND_POLICY                                                                       \
        "{'name':'cond','defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['umask']," \
        "'action':'SCMP_ACT_ERRNO','errnoRet':'EACCES','args':[{'index':%u,'value':%s,"   \
        "'valueTwo':%s,'op':'%s'}]}]}"

/* The other arguments hold a value that no row matches, so a condition
 * that read the wrong register would fail its "equal" row. */
ParameterizedTest(size_t *row, cond, ops, .timeout = 60)
{
        const struct cond_case *c = &cond_cases[*row];
        _cleanup_(freep) char *policy = NULL;
        struct unotify_policy *p;
        struct unotify_decision d;
        uint64_t args[6];
        int n;

        n = asprintf(&policy, COND_POLICY, c->index, c->value, c->value_two, c->op);
        cr_assert_gt(n, 0);
        p = load_ok(policy);
        for (int i = 0; i < 6; i++)
                args[i] = 0x5a5a5a5a5a5a5a5aULL;
        args[c->index] = c->arg;
        d = decide(p, native_arch(), SYS_umask, args);
        if (c->match) {
                cr_assert_eq(d.action, ERRNO, "%s: expected the rule to match", c->row);
                cr_assert_eq(d.error, EACCES, "%s", c->row);
                cr_assert_eq(d.rule, 0, "%s", c->row);
        } else {
                cr_assert_eq(d.action, CONTINUE, "%s: expected defaultAction", c->row);
                cr_assert_eq(d.rule, -1, "%s", c->row);
        }
        unotify_policy_unref(p);
}

Test(cond, all_conditions_must_hold, .timeout = 60)
{
        struct unotify_policy *p = load_ok(
                "{'name':'and','defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['umask'],"
                "'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':10,'op':'SCMP_CMP_GE'},"
                "{'index':0,'value':20,'op':'SCMP_CMP_LE'},{'index':1,'value':0,'op':'SCMP_CMP_EQ'}"
                "]}]}");
        static const struct {
                uint64_t a0, a1;
                bool match;
        } rows[] = { { 9, 0, false },
                     { 10, 0, true },
                     { 20, 0, true },
                     { 21, 0, false },
                     { 15, 1, false } };

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                uint64_t args[6] = { rows[i].a0, rows[i].a1 };

                cr_assert_eq(decide(p, native_arch(), SYS_umask, args).action,
                             rows[i].match ? ERRNO : CONTINUE, "umask(%llu, %llu)",
                             (unsigned long long)rows[i].a0, (unsigned long long)rows[i].a1);
        }
        unotify_policy_unref(p);
}

/* ---- decisions -------------------------------------------------------- */

#define COMPAT_POLICY                                                         \
        "{'name':'compat','defaultAction':'SCMP_ACT_ALLOW','syscalls':["      \
        "{'names':['_llseek'],'action':'SCMP_ACT_ERRNO','errnoRet':'EPERM'}," \
        "{'names':['mkdir'],'action':'SCMP_ACT_ERRNO','errnoRet':'EROFS'}]}"

struct decide_case {
        const char *row;
        const char *policy;
        uint32_t arch; /* 0: native */
        int nr;
        uint64_t arg0;
        enum unotify_action action;
        int error;
        int rule;
};

static const struct decide_case decide_cases[] = {
        { "first match: conditional ERRNO", DECIDE_POLICY, 0, SYS_umask, 0777, ERRNO, EACCES, 0 },
        { "first match: then ALLOW", DECIDE_POLICY, 0, SYS_umask, 022, CONTINUE, 0, 1 },
        { "ALLOW, second name of a rule", DECIDE_POLICY, 0, SYS_getpid, 0, CONTINUE, 0, 1 },
        { "ERRNO without errnoRet is EPERM", DECIDE_POLICY, 0, SYS_mkdirat, 0, ERRNO, EPERM, 3 },
        { "errnoRet 4095", DECIDE_POLICY, 0, SYS_getppid, 0, ERRNO, 4095, 4 },
        { "errnoRet by alias name", DECIDE_POLICY, 0, SYS_gettid, 0, ERRNO, EAGAIN, 5 },
        { "syscall without rule: defaultErrnoRet", DECIDE_POLICY, 0, SYS_getuid, 0, ERRNO, ENOENT,
          -1 },
        { "negative nr: default", DECIDE_POLICY, 0, -1, 0, ERRNO, ENOENT, -1 },
        { "huge nr: default", DECIDE_POLICY, 0, 100000, 0, ERRNO, ENOENT, -1 },
        { "unknown arch: default", DECIDE_POLICY, 0x12345678, SYS_umask, 022, ERRNO, ENOENT, -1 },
        { "ALLOW default", ALLOW_POLICY, 0, SYS_umask, 0, CONTINUE, 0, -1 },
        { "ERRNO by number", ALLOW_POLICY, 0, SYS_getpid, 0, ERRNO, EACCES, 0 },
#if defined(__x86_64__)
        { "x86_64 umask (95)", DECIDE_POLICY, AUDIT_ARCH_X86_64, 95, 0777, ERRNO, EACCES, 0 },
        { "x86 umask (60)", DECIDE_POLICY, AUDIT_ARCH_I386, 60, 0777, ERRNO, EACCES, 0 },
        { "x86 getpid (20)", DECIDE_POLICY, AUDIT_ARCH_I386, 20, 0, CONTINUE, 0, 1 },
        { "x86 95 is fchown, not umask", DECIDE_POLICY, AUDIT_ARCH_I386, 95, 0777, ERRNO, ENOENT,
          -1 },
        { "x86_64 60 is exit, not umask", DECIDE_POLICY, AUDIT_ARCH_X86_64, 60, 0777, ERRNO, ENOENT,
          -1 },
        { "x32 umask", DECIDE_POLICY, AUDIT_ARCH_X86_64, X32_BIT | 95, 022, CONTINUE, 0, 1 },
        { "x32 mkdir", DECIDE_POLICY, AUDIT_ARCH_X86_64, X32_BIT | 83, 0, ERRNO, EPERM, 3 },
        { "x32 exit is not x86 umask", DECIDE_POLICY, AUDIT_ARCH_X86_64, X32_BIT | 60, 0, ERRNO,
          ENOENT, -1 },
        { "x32 number out of table", DECIDE_POLICY, AUDIT_ARCH_X86_64, X32_BIT | 5000, 0, ERRNO,
          ENOENT, -1 },
        { "x86 mkdir (39)", COMPAT_POLICY, AUDIT_ARCH_I386, 39, 0, ERRNO, EROFS, 1 },
        { "x86_64 mkdir (83)", COMPAT_POLICY, AUDIT_ARCH_X86_64, 83, 0, ERRNO, EROFS, 1 },
        { "x86_64 39 is getpid", COMPAT_POLICY, AUDIT_ARCH_X86_64, 39, 0, CONTINUE, 0, -1 },
        { "x86-only name on x86", COMPAT_POLICY, AUDIT_ARCH_I386, 140, 0, ERRNO, EPERM, 0 },
        { "x86-only name not on x86_64", COMPAT_POLICY, AUDIT_ARCH_X86_64, 140, 0, CONTINUE, 0,
          -1 },
        { "x86-only name not on x32", COMPAT_POLICY, AUDIT_ARCH_X86_64, X32_BIT | 140, 0, CONTINUE,
          0, -1 },
        { "aarch64 on an x86_64 host", COMPAT_POLICY, AUDIT_ARCH_AARCH64, 39, 0, CONTINUE, 0, -1 },
#endif
};

ROWS(decide, table, decide_cases)

ParameterizedTest(size_t *row, decide, table, .timeout = 60)
{
        const struct decide_case *c = &decide_cases[*row];
        struct unotify_policy *p = load_ok(c->policy);
        uint64_t args[6] = { c->arg0 };
        struct unotify_decision d = decide(p, c->arch ?: native_arch(), c->nr, args);

        cr_assert_eq(d.action, c->action, "%s: action %d, expected %d", c->row, d.action,
                     c->action);
        cr_assert_eq(d.error, c->error, "%s: error %d, expected %d", c->row, d.error, c->error);
        cr_assert_eq(d.rule, c->rule, "%s: rule %d, expected %d", c->row, d.rule, c->rule);
        unotify_policy_unref(p);
}

Test(decide, deny_all, .timeout = 60)
{
        struct unotify_policy *p = NULL, *q = NULL;
        struct unotify_decision d;
        size_t n = 99;

        cr_assert_eq(unotify_policy_new_deny_all("(deny-all)", EACCES, &p), 0);
        cr_assert_str_eq(unotify_policy_name(p), "(deny-all)");
        cr_assert_str_eq(unotify_policy_origin(p), "(built-in)");
        unotify_policy_syscalls(p, &n);
        cr_assert_eq(n, 0);
        d = decide(p, native_arch(), SYS_getpid, NULL);
        cr_assert(d.action == ERRNO && d.error == EACCES && d.rule == -1);
        /* The digest covers the kernel's answer: another errno, another
         * filter. */
        cr_assert_eq(unotify_policy_new_deny_all("(deny-all)", EPERM, &q), 0);
        cr_assert_neq(unotify_policy_syscalls_digest(p), unotify_policy_syscalls_digest(q));
        unotify_policy_unref(q);
        unotify_policy_unref(p);

        p = (struct unotify_policy *)0x1;
        cr_assert_eq(unotify_policy_new_deny_all("x", 0, &p), -EINVAL);
        cr_assert_eq(unotify_policy_new_deny_all("x", 4096, &p), -EINVAL);
        cr_assert_eq(unotify_policy_new_deny_all("", EPERM, &p), -EINVAL);
        cr_assert_eq(unotify_policy_new_deny_all(NULL, EPERM, &p), -EINVAL);
        cr_assert_eq(p, (struct unotify_policy *)0x1, "ret must be untouched on failure");
}

/* Run under ASan: a reference dropped too early is a use after free. */
Test(decide, references, .timeout = 60)
{
        struct unotify_policy *p = load_ok(ALLOW_POLICY);

        cr_assert_eq(unotify_policy_ref(p), p);
        cr_assert_null(unotify_policy_unref(p));
        cr_assert_str_eq(unotify_policy_name(p), "allow");
        cr_assert_str_eq(unotify_policy_origin(p), "test.json");
        cr_assert_null(unotify_policy_unref(p));
        cr_assert_null(unotify_policy_unref(NULL));
        cr_assert_null(unotify_policy_ref(NULL));
}

Test(decide, action_names, .timeout = 60)
{
        cr_assert_str_eq(unotify_action_to_string(CONTINUE), "SCMP_ACT_ALLOW");
        cr_assert_str_eq(unotify_action_to_string(ERRNO), "SCMP_ACT_ERRNO");
        cr_assert_str_eq(unotify_action_to_string(0), "(invalid action)");
}
