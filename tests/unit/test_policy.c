/* The policy library: decisions, diagnostics, directories, digests.
 *
 * Policies are written with ' for " so the tables stay readable; load()
 * swaps them back. Nothing here loads a filter: decisions are asked for
 * with made-up seccomp_data. */
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

#include "policy_helpers.h"
#include "unotify/filter.h"

/* ---- helpers ---------------------------------------------------------- */

static int load(const char *sq, struct unotify_policy **ret, struct unotify_diags *diags)
{
        _cleanup_(freep) char *json = dq(sq);

        return unotify_policy_load_buffer(json, strlen(json), "test.json", ret, diags);
}

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

#define DECIDE_POLICY                                                                              \
        "{'name':'decide','defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':'ENOENT','syscalls':" \
        "["                                                                                        \
        "{'names':['umask'],'action':'SCMP_ACT_ERRNO','errnoRet':'EACCES',"                        \
        "'args':[{'index':0,'value':511,'op':'SCMP_CMP_EQ'}]},"                                    \
        "{'names':['umask','getpid'],'action':'SCMP_ACT_ALLOW'},"                                  \
        "{'names':['umask'],'action':'SCMP_ACT_ERRNO','errnoRet':1},"                              \
        "{'names':['mkdirat','mkdir'],'action':'SCMP_ACT_ERRNO'},"                                 \
        "{'names':['getppid'],'action':'SCMP_ACT_ERRNO','errnoRet':4095},"                         \
        "{'names':['gettid'],'action':'SCMP_ACT_ERRNO','errnoRet':'EWOULDBLOCK'}]}"

#define ALLOW_POLICY                                                    \
        "{'name':'allow','defaultAction':'SCMP_ACT_ALLOW','syscalls':[" \
        "{'names':['getpid'],'action':'SCMP_ACT_ERRNO','errnoRet':13}]}"

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

/* ---- diagnostics of bad policies -------------------------------------- */

#define HEAD "'name':'bad','defaultAction':'SCMP_ACT_ALLOW'"
#define ACTIONS                                                                 \
        "SCMP_ACT_ALLOW, SCMP_ACT_LOG, SCMP_ACT_ERRNO, SCMP_ACT_KILL_PROCESS, " \
        "SCMP_ACT_KILL_THREAD, "                                                \
        "SCMP_ACT_KILL, UNOTIFY_ACT_RETURN, UNOTIFY_ACT_EMULATE"
/* A policy whose only rule is R. */
#define RULE(r) "{" HEAD ",'syscalls':[" r "]}"
/* A policy whose only rule has the only condition C. */
#define ARG(c) RULE("{'names':['umask'],'action':'SCMP_ACT_ERRNO','args':[" c "]}")

struct bad_case {
        const char *row;
        const char *json;
        const char *diags; /* every diagnostic, formatted, one per line */
};

static const struct bad_case bad_cases[] = {
        { "learn: defaultAction must let the call run",
          "{'name':'bad','defaultAction':'SCMP_ACT_ERRNO','learn':{}}",
          "test.json: /learn: a policy that learns lets every call it records run: its "
          "defaultAction must be SCMP_ACT_ALLOW" },
        { "learn: limits out of range, unknown key, not an object",
          "{" HEAD ",'learn':{'pathDepth':0,'maxPaths':'many','maxVlaues':3}}",
          "test.json: /learn: unknown key \"maxVlaues\" (did you mean \"maxValues\"?)\n"
          "test.json: /learn/pathDepth: expected 1..16, got 0\n"
          "test.json: /learn/maxPaths: expected an integer 1..65536, got a string" },
        { "learn: not an object", "{" HEAD ",'learn':true}",
          "test.json: /learn: expected an object ({} for the defaults), got true" },
        { "unknown key at top level, close to a known one", "{" HEAD ",'syscalls':[],'nmae':'x'}",
          "test.json: unknown key \"nmae\" (did you mean \"name\"?)" },
        { "unknown key at top level", "{" HEAD ",'syscalls':[],'seccomp':[]}",
          "test.json: unknown key \"seccomp\" (expected one of name, comment, defaultAction, "
          "defaultErrnoRet, syscalls, include, select, default, defaultErrno, archMap, "
          "architectures, flags, listenerPath, listenerMetadata, landlock, learn)" },
        { "unknown key in a rule", RULE("{'nmaes':['umask'],'action':'SCMP_ACT_ALLOW'}"),
          "test.json: /syscalls/0: unknown key \"nmaes\" (did you mean \"names\"?)\n"
          "test.json: /syscalls/0: missing required key \"names\"" },
        { "unknown key in an arg", ARG("{'index':0,'value':1,'op':'SCMP_CMP_EQ','vlaueTwo':2}"),
          "test.json: /syscalls/0/args/0: unknown key \"vlaueTwo\" (did you mean \"valueTwo\"?)" },
        { "unknown key in an arg, far from any",
          ARG("{'index':0,'value':1,'op':'SCMP_CMP_EQ','mask':2}"),
          "test.json: /syscalls/0/args/0: unknown key \"mask\" (expected one of index, value, "
          "valueTwo, op, comment)" },
        { "missing defaultAction", "{'name':'x','syscalls':[]}",
          "test.json: missing required key \"defaultAction\"" },
        { "missing syscalls", "{" HEAD "}", "test.json: missing required key \"syscalls\"" },
        { "missing action", RULE("{'names':['umask']}"),
          "test.json: /syscalls/0: missing required key \"action\"" },
        { "missing index, value, op", ARG("{}"),
          "test.json: /syscalls/0/args/0: missing required key \"index\"\n"
          "test.json: /syscalls/0/args/0: missing required key \"value\"\n"
          "test.json: /syscalls/0/args/0: missing required key \"op\"" },
        { "bad name chars", "{'name':'deny mkdir!','defaultAction':'SCMP_ACT_ALLOW','syscalls':[]}",
          "test.json: /name: invalid name \"deny mkdir!\" (expected only A-Z a-z 0-9 . _ -)" },
        { "empty name", "{'name':'','defaultAction':'SCMP_ACT_ALLOW','syscalls':[]}",
          "test.json: /name: expected 1..63 characters, got 0" },
        { "name too long",
          "{'name':'0123456789012345678901234567890123456789012345678901234567890123',"
          "'defaultAction':'SCMP_ACT_ALLOW','syscalls':[]}",
          "test.json: /name: expected 1..63 characters, got 64" },
        { "name not a string", "{'name':7,'defaultAction':'SCMP_ACT_ALLOW','syscalls':[]}",
          "test.json: /name: expected a string, got an integer" },
        { "unsupported action", RULE("{'names':['umask'],'action':'SCMP_ACT_TRACE'}"),
          "test.json: /syscalls/0/action: unsupported action \"SCMP_ACT_TRACE\" (the supervisor is "
          "not the target's tracer; expected one of " ACTIONS ")" },
        { "unsupported defaultAction",
          "{'name':'x','defaultAction':'UNOTIFY_ACT_RETURN','syscalls':[]}",
          "test.json: /defaultAction: \"UNOTIFY_ACT_RETURN\" cannot be the defaultAction (it needs "
          "a "
          "rule of its own)" },
        { "action not a string", RULE("{'names':['umask'],'action':1}"),
          "test.json: /syscalls/0/action: expected an action such as \"SCMP_ACT_ERRNO\", got an "
          "integer" },
        { "unknown op", ARG("{'index':0,'value':1,'op':'SCMP_CMP_EQQ'}"),
          "test.json: /syscalls/0/args/0/op: unknown op \"SCMP_CMP_EQQ\" (expected one of "
          "SCMP_CMP_NE, "
          "SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ)" },
        { "index too big", ARG("{'index':7,'value':1,'op':'SCMP_CMP_EQ'}"),
          "test.json: /syscalls/0/args/0/index: \"index\" must be 0..5, got 7" },
        { "index negative", ARG("{'index':-1,'value':1,'op':'SCMP_CMP_EQ'}"),
          "test.json: /syscalls/0/args/0/index: \"index\" must be 0..5, got -1" },
        { "index a string", ARG("{'index':'0','value':1,'op':'SCMP_CMP_EQ'}"),
          "test.json: /syscalls/0/args/0/index: expected an integer 0..5, got a string" },
        { "bad errno name",
          RULE("{'names':['umask'],'action':'SCMP_ACT_ERRNO','errnoRet':'EPREM'}"),
          "test.json: /syscalls/0/errnoRet: unknown errno name \"EPREM\" (expected a name such as "
          "\"EPERM\", "
          "or a number 1..4095)" },
        { "errno 0", RULE("{'names':['umask'],'action':'SCMP_ACT_ERRNO','errnoRet':0}"),
          "test.json: /syscalls/0/errnoRet: \"errnoRet\" must be 1..4095, got 0" },
        { "errno 4096", RULE("{'names':['umask'],'action':'SCMP_ACT_ERRNO','errnoRet':4096}"),
          "test.json: /syscalls/0/errnoRet: \"errnoRet\" must be 1..4095, got 4096" },
        { "errno real", RULE("{'names':['umask'],'action':'SCMP_ACT_ERRNO','errnoRet':1.0}"),
          "test.json: /syscalls/0/errnoRet: expected an errno name or number, got a real number" },
        { "defaultErrnoRet out of range",
          "{'name':'x','defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':-1,"
          "'syscalls':[]}",
          "test.json: /defaultErrnoRet: \"defaultErrnoRet\" must be 1..4095, got -1" },
        { "errnoRet on ALLOW",
          RULE("{'names':['umask'],'action':'SCMP_ACT_ALLOW','errnoRet':'EPERM'}"),
          "test.json: /syscalls/0/errnoRet: \"errnoRet\" is only valid with SCMP_ACT_ERRNO, not "
          "SCMP_ACT_ALLOW" },
        { "defaultErrnoRet on ALLOW", "{" HEAD ",'defaultErrnoRet':1,'syscalls':[]}",
          "test.json: /defaultErrnoRet: \"defaultErrnoRet\" is only valid with SCMP_ACT_ERRNO, not "
          "SCMP_ACT_ALLOW" },
        { "empty names", RULE("{'names':[],'action':'SCMP_ACT_ALLOW'}"),
          "test.json: /syscalls/0/names: expected at least one syscall name, got an empty array" },
        { "names a string", RULE("{'names':'umask','action':'SCMP_ACT_ALLOW'}"),
          "test.json: /syscalls/0/names: expected an array of syscall names, got a string" },
        { "name not a string", RULE("{'names':['umask',null],'action':'SCMP_ACT_ALLOW'}"),
          "test.json: /syscalls/0/names/1: expected a syscall name (a string), got null" },
        { "syscalls an object", "{" HEAD ",'syscalls':{}}",
          "test.json: /syscalls: expected an array of rules, got an object" },
        { "rule not an object", RULE("'umask'"),
          "test.json: /syscalls/0: expected an object (a rule), got a string" },
        { "args an object", RULE("{'names':['umask'],'action':'SCMP_ACT_ALLOW','args':{}}"),
          "test.json: /syscalls/0/args: expected an array of conditions, got an object" },
        { "arg not an object", ARG("[]"),
          "test.json: /syscalls/0/args/0: expected an object (a condition), got an array" },
        { "too many args",
          ARG("{'index':0,'value':0,'op':'SCMP_CMP_GE'},{'index':0,'value':0,'op':'SCMP_CMP_GE'},"
              "{'index':0,'value':0,'op':'SCMP_CMP_GE'},{'index':0,'value':0,'op':'SCMP_CMP_GE'},"
              "{'index':0,'value':0,'op':'SCMP_CMP_GE'},{'index':0,'value':0,'op':'SCMP_CMP_GE'},"
              "{'index':0,'value':0,'op':'SCMP_CMP_GE'}"),
          "test.json: /syscalls/0/args: expected at most 6 conditions, got 7" },
        { "value decimal string", ARG("{'index':0,'value':'12','op':'SCMP_CMP_EQ'}"),
          "test.json: /syscalls/0/args/0/value: invalid value \"12\" (expected an integer, or "
          "\"0x\" and 1..16 "
          "hex digits)" },
        { "value 17 hex digits",
          ARG("{'index':0,'value':'0x1ffffffffffffffff','op':'SCMP_CMP_EQ'}"),
          "test.json: /syscalls/0/args/0/value: invalid value \"0x1ffffffffffffffff\" (expected an "
          "integer, or "
          "\"0x\" and 1..16 hex digits)" },
        { "value bare 0x", ARG("{'index':0,'value':'0x','op':'SCMP_CMP_EQ'}"),
          "test.json: /syscalls/0/args/0/value: invalid value \"0x\" (expected an integer, or "
          "\"0x\" and 1..16 "
          "hex digits)" },
        { "value real", ARG("{'index':0,'value':1.5,'op':'SCMP_CMP_EQ'}"),
          "test.json: /syscalls/0/args/0/value: expected an integer or a \"0x...\" string, got a "
          "real number" },
        { "valueTwo with EQ", ARG("{'index':0,'value':1,'valueTwo':2,'op':'SCMP_CMP_EQ'}"),
          "test.json: /syscalls/0/args/0/valueTwo: \"valueTwo\" is only used by "
          "SCMP_CMP_MASKED_EQ, not by "
          "SCMP_CMP_EQ" },
        { "comment a number", "{" HEAD ",'syscalls':[],'comment':1}",
          "test.json: /comment: expected a string, got an integer" },
        { "policy an array", "[]", "test.json: expected an object (a policy), got an array" },
        { "duplicate key", "{'name':'a',\n 'name':'b'," HEAD ",'syscalls':[]}",
          "test.json:2:7: duplicate object key near '\"name\"'" },
        { "not JSON", "nope", "test.json:1:4: '[' or '{' expected near 'nope'" },
        { "trailing comma", "{" HEAD ",'syscalls':[],}",
          "test.json:1:62: string or '}' expected near '}'" },
        { "integer too big", ARG("{'index':0,'value':18446744073709551615,'op':'SCMP_CMP_EQ'}"),
          "test.json:1:151: too big integer near '18446744073709551615' (write values above "
          "9223372036854775807 as \"0x...\" strings)" },
        { "every error of a file, in document order",
          "{'name':'a b','defaultAction':'SCMP_ACT_TRAP','syscalls':["
          "{'names':['mkdri'],'action':'SCMP_ACT_ERRNO','errnoRet':'EPREM'},"
          "{'names':['umask'],'action':'SCMP_ACT_ALLOW','args':[{'index':9,'value':1,'op':'EQ'}]}]"
          "}",
          "test.json: /name: invalid name \"a b\" (expected only A-Z a-z 0-9 . _ -)\n"
          "test.json: /defaultAction: unsupported action \"SCMP_ACT_TRAP\" (the supervisor cannot "
          "make "
          "the kernel send SIGSYS; expected one of " ACTIONS ")\n"
          "test.json: /syscalls/0/names/0: warning: unknown syscall \"mkdri\" skipped (did you "
          "mean "
          "\"mkdir\"?)\n"
          "test.json: /syscalls/0/errnoRet: unknown errno name \"EPREM\" (expected a name such as "
          "\"EPERM\", or "
          "a number 1..4095)\n"
          "test.json: /syscalls/1/args/0/index: \"index\" must be 0..5, got 9\n"
          "test.json: /syscalls/1/args/0/op: unknown op \"EQ\" (expected one of SCMP_CMP_NE, "
          "SCMP_CMP_LT, "
          "SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ)" },
};

ROWS(bad, policies, bad_cases)

ParameterizedTest(size_t *row, bad, policies, .timeout = 60)
{
        const struct bad_case *c = &bad_cases[*row];
        struct unotify_policy *p = (struct unotify_policy *)0x1;
        struct unotify_diags diags = {};
        _cleanup_(freep) char *text = NULL;

        cr_assert_eq(load(c->json, &p, &diags), -EINVAL, "%s: accepted", c->row);
        cr_assert_eq(p, (struct unotify_policy *)0x1, "%s: ret must be untouched on failure",
                     c->row);
        text = diags_text(&diags);
        cr_assert_str_eq(text, c->diags, "%s: got\n%s\nexpected\n%s", c->row, text, c->diags);
        unotify_diags_clear(&diags);
        cr_assert_eq(diags.count, 0);
        cr_assert_null(diags.items);
        /* The same verdict without anyone to tell. */
        cr_assert_eq(load(c->json, &p, NULL), -EINVAL, "%s: accepted without diags", c->row);
}

Test(bad, buffer_too_large, .timeout = 60)
{
        size_t len = UNOTIFY_POLICY_MAX_FILE_SIZE + 1;
        _cleanup_(freep) char *buf = malloc(len);
        struct unotify_diags diags = {};
        struct unotify_policy *p = NULL;
        _cleanup_(freep) char *text = NULL;

        cr_assert_not_null(buf);
        memset(buf, ' ', len);
        cr_assert_eq(unotify_policy_load_buffer(buf, len, "big.json", &p, &diags), -EINVAL);
        text = diags_text(&diags);
        cr_assert_str_eq(text, "big.json: file is larger than 1048576 bytes");
        unotify_diags_clear(&diags);
}

Test(bad, null_origin_and_valid_comment, .timeout = 60)
{
        const char *json = "{\"name\":\"x\",\"comment\":\"why\",\"defaultAction\":\"SCMP_ACT_"
                           "ALLOW\",\"syscalls\":[]}";
        struct unotify_policy *p = NULL;

        cr_assert_eq(unotify_policy_load_buffer(json, strlen(json), NULL, &p, NULL), 0);
        cr_assert_str_eq(unotify_policy_origin(p), "<buffer>");
        unotify_policy_unref(p);
}

/* Every unknown name is reported; only the first 16 get a suggestion, so
 * that a file full of garbage cannot stall a reload. */
Test(bad, many_unknown_syscalls, .timeout = 120)
{
        struct unotify_diags diags = {};
        struct unotify_policy *p = NULL;
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        char line[256];

        cr_assert_not_null(f);
        fputs("{" HEAD ",'syscalls':[", f);
        for (int i = 0; i < 20; i++)
                fprintf(f, "{'names':['mkdri'],'action':'SCMP_ACT_ALLOW'},");
        fputs("{'names':[", f);
        for (int i = 0; i < 1000; i++)
                fprintf(f, "%s'nosuch%d'", i ? "," : "", i);
        fputs("],'action':'SCMP_ACT_ALLOW'}]}", f);
        cr_assert_eq(fclose(f), 0);

        /* Skipped with a warning, as runtimes do: once per name. */
        cr_assert_eq(load(text, &p, &diags), 0);
        free(text);
        cr_assert_eq(diags.count, 1001);
        unotify_diag_format(&diags.items[0], line, sizeof(line));
        cr_assert_str_eq(line, "test.json: /syscalls/0/names/0: warning: unknown syscall \"mkdri\" "
                               "skipped (did you mean \"mkdir\"?)");
        unotify_diag_format(&diags.items[1000], line, sizeof(line));
        cr_assert_str_eq(line, "test.json: /syscalls/20/names/999: warning: unknown syscall "
                               "\"nosuch999\" skipped (newer than this libseccomp?)");
        unotify_diags_clear(&diags);
        unotify_policy_unref(p);
}

/* ---- diag formatting -------------------------------------------------- */

Test(diag, format, .timeout = 60)
{
        struct unotify_diag syntax = {
                .file = "a.json", .line = 3, .column = 9, .message = "boom"
        };
        struct unotify_diag semantic = { .file = "a.json",
                                         .pointer = "/syscalls/3/args/0/op",
                                         .message = "bad" };
        struct unotify_diag root = { .file = "a.json", .pointer = "", .message = "missing" };
        struct unotify_diag bare = { .message = "huh" };
        char buf[64], tiny[8];

        unotify_diag_format(&syntax, buf, sizeof(buf));
        cr_assert_str_eq(buf, "a.json:3:9: boom");
        unotify_diag_format(&semantic, buf, sizeof(buf));
        cr_assert_str_eq(buf, "a.json: /syscalls/3/args/0/op: bad");
        unotify_diag_format(&root, buf, sizeof(buf));
        cr_assert_str_eq(buf, "a.json: missing");
        unotify_diag_format(&bare, buf, sizeof(buf));
        cr_assert_str_eq(buf, "(unknown): huh");
        unotify_diag_format(&semantic, tiny, sizeof(tiny));
        cr_assert_str_eq(tiny, "a.json:");
}

Test(diag, clear_accepts_null_and_empty, .timeout = 60)
{
        struct unotify_diags empty = {};

        unotify_diags_clear(NULL);
        unotify_diags_clear(&empty);
        cr_assert_eq(empty.count, 0);
        cr_assert_null(empty.items);
}

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

/* ---- directories ------------------------------------------------------ */

TestSuite(dir, .init = make_tmpdir, .fini = remove_tmpdir, .timeout = 60);

#define POLICY_NAMED(n) "{'name':'" n "','defaultAction':'SCMP_ACT_ALLOW','syscalls':[]}"

Test(dir, sorted_by_name_and_found, .timeout = 60)
{
        struct unotify_policy_set *s = NULL;
        struct unotify_diags diags = {};
        _cleanup_(freep) char *origin = NULL, *subdir = NULL;

        write_file("1.json", POLICY_NAMED("zeta"));
        write_file("2.json", POLICY_NAMED("alpha"));
        write_file("3.json", POLICY_NAMED("mid"));
        write_file("notes.txt", "not a policy");
        write_file(".hidden.json", "not a policy either");
        write_file("x.json~", "an editor backup");
        cr_assert(asprintf(&subdir, "%s/sub.json", tmpdir) > 0);
        cr_assert_eq(mkdir(subdir, 0700), 0);

        cr_assert_eq(unotify_policy_set_load_dir(tmpdir, &s, &diags), 0);
        cr_assert_eq(diags.count, 0);
        cr_assert_eq(unotify_policy_set_count(s), 3);
        cr_assert_str_eq(unotify_policy_name(unotify_policy_set_at(s, 0)), "alpha");
        cr_assert_str_eq(unotify_policy_name(unotify_policy_set_at(s, 1)), "mid");
        cr_assert_str_eq(unotify_policy_name(unotify_policy_set_at(s, 2)), "zeta");
        cr_assert_null(unotify_policy_set_at(s, 3));
        cr_assert_eq(unotify_policy_set_find(s, "mid"), unotify_policy_set_at(s, 1));
        cr_assert_null(unotify_policy_set_find(s, "nope"));
        origin = at_tmp("@/2.json");
        cr_assert_str_eq(unotify_policy_origin(unotify_policy_set_find(s, "alpha")), origin);
        cr_assert_null(unotify_policy_set_free(s));
}

Test(dir, duplicate_names_name_both_files, .timeout = 60)
{
        struct unotify_policy_set *s = (struct unotify_policy_set *)0x1;
        struct unotify_diags diags = {};
        _cleanup_(freep) char *text = NULL, *expected = NULL;

        write_file("a.json", POLICY_NAMED("same"));
        write_file("b.json", POLICY_NAMED("other"));
        write_file("c.json", POLICY_NAMED("same"));
        cr_assert_eq(unotify_policy_set_load_dir(tmpdir, &s, &diags), -EINVAL);
        cr_assert_eq(s, (struct unotify_policy_set *)0x1, "ret must be untouched on failure");
        text = diags_text(&diags);
        expected = at_tmp(
                "@/c.json: /name: duplicate policy name \"same\" (already used by @/a.json)");
        cr_assert_str_eq(text, expected);
        unotify_diags_clear(&diags);
}

Test(dir, every_error_of_every_file, .timeout = 60)
{
        struct unotify_policy_set *s = NULL;
        struct unotify_diags diags = {};
        _cleanup_(freep) char *text = NULL, *expected = NULL;

        write_file("a.json", POLICY_NAMED("good"));
        write_file("b.json",
                   "{'name':'b','defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdri'],"
                   "'action':'SCMP_ACT_KIL'}]}");
        write_file("c.json", "{'name':'c',");
        write_file("d.json", POLICY_NAMED("also-good"));
        cr_assert_eq(unotify_policy_set_load_dir(tmpdir, &s, &diags), -EINVAL);
        text = diags_text(&diags);
        expected = at_tmp(
                "@/b.json: /syscalls/0/names/0: warning: unknown syscall \"mkdri\" skipped (did "
                "you "
                "mean \"mkdir\"?)\n"
                "@/b.json: /syscalls/0/action: unsupported action \"SCMP_ACT_KIL\" (did you mean "
                "\"SCMP_ACT_KILL\"?)\n"
                "@/c.json:1:12: string or '}' expected near end of file");
        cr_assert_str_eq(text, expected);
        unotify_diags_clear(&diags);
}

Test(dir, unreadable_and_too_large_files, .timeout = 60)
{
        struct unotify_policy_set *s = NULL;
        struct unotify_diags diags = {};
        _cleanup_(freep) char *text = NULL, *expected = NULL, *big = NULL, *dangling = NULL;
        _cleanup_(fclosep) FILE *f = NULL;

        cr_assert(asprintf(&big, "%s/big.json", tmpdir) > 0);
        f = fopen(big, "we");
        cr_assert_not_null(f);
        for (int i = 0; i <= UNOTIFY_POLICY_MAX_FILE_SIZE; i++)
                fputc(' ', f);
        cr_assert_eq(fflush(f), 0);
        cr_assert(asprintf(&dangling, "%s/gone.json", tmpdir) > 0);
        cr_assert_eq(symlink("/nonexistent/unotify.json", dangling), 0);
        cr_assert_eq(unotify_policy_set_load_dir(tmpdir, &s, &diags), -EINVAL);
        text = diags_text(&diags);
        expected = at_tmp("@/big.json: file is larger than 1048576 bytes\n"
                          "@/gone.json: cannot open: No such file or directory");
        cr_assert_str_eq(text, expected);
        unotify_diags_clear(&diags);
}

Test(dir, empty_directory_is_an_empty_set, .timeout = 60)
{
        struct unotify_policy_set *s = NULL;
        struct unotify_diags diags = {};

        cr_assert_eq(unotify_policy_set_load_dir(tmpdir, &s, &diags), 0);
        cr_assert_not_null(s);
        cr_assert_eq(unotify_policy_set_count(s), 0);
        cr_assert_null(unotify_policy_set_find(s, "default"));
        cr_assert_eq(diags.count, 0);
        unotify_policy_set_free(s);
}

Test(dir, missing_directory, .timeout = 60)
{
        struct unotify_policy_set *s = NULL;
        _cleanup_(freep) char *missing = NULL;

        cr_assert(asprintf(&missing, "%s/nope", tmpdir) > 0);
        cr_assert_eq(unotify_policy_set_load_dir(missing, &s, NULL), -ENOENT);
        cr_assert_null(s);
        cr_assert_null(unotify_policy_set_free(NULL));
        cr_assert_eq(unotify_policy_set_count(NULL), 0);
}

Test(dir, load_file, .timeout = 60)
{
        struct unotify_policy *p = NULL;
        struct unotify_diags diags = {};
        _cleanup_(freep) char *path = NULL, *missing = NULL, *text = NULL;

        write_file("one.json", ALLOW_POLICY);
        cr_assert(asprintf(&path, "%s/one.json", tmpdir) > 0);
        cr_assert_eq(unotify_policy_load_file(path, &p, &diags), 0);
        cr_assert_str_eq(unotify_policy_name(p), "allow");
        cr_assert_str_eq(unotify_policy_origin(p), path);
        unotify_policy_unref(p);

        cr_assert(asprintf(&missing, "%s/missing.json", tmpdir) > 0);
        cr_assert_eq(unotify_policy_load_file(missing, &p, &diags), -ENOENT);
        cr_assert_eq(unotify_policy_load_file(tmpdir, &p, &diags), -EISDIR);
        text = diags_text(&diags);
        cr_assert(strstr(text, "missing.json: cannot open: No such file or directory\n"), "%s",
                  text);
        cr_assert(strstr(text, ": cannot read: Is a directory"), "%s", text);
        unotify_diags_clear(&diags);
}

/* ---- the shipped examples --------------------------------------------- */

Test(examples, load_and_decide, .timeout = 60)
{
        struct unotify_policy_set *s = NULL;
        struct unotify_diags diags = {};
        _cleanup_(freep) char *text = NULL;
        struct unotify_policy *demo, *deny, *def;
        struct unotify_decision d;
        int r;

        r = unotify_policy_set_load_dir(UNOTIFY_SOURCE_DIR "/policy/examples", &s, &diags);
        text = diags_text(&diags);
        cr_assert_eq(r, 0, "%s", text);
        cr_assert_eq(unotify_policy_set_count(s), 8);
        demo = unotify_policy_set_find(s, "demo");
        deny = unotify_policy_set_find(s, "deny-mkdir");
        def = unotify_policy_set_find(s, "default");
        cr_assert(demo && deny && def);

        d = decide(demo, native_arch(), SYS_mkdirat, NULL);
        cr_assert(d.action == ERRNO && d.error == EPERM && d.rule == 0);
        d = decide(demo, native_arch(), SYS_uname, NULL);
        cr_assert(d.action == CONTINUE && d.rule == 1);
        d = decide(deny, native_arch(), SYS_mkdirat, NULL);
        cr_assert(d.action == ERRNO && d.error == EPERM && d.rule == 0);
        /* deny-mkdir is all the kernel's; the demo sends its calls to the
         * daemon ("notify": true). */
        cr_assert_eq(unotify_kernel_plan_find(unotify_policy_kernel_plan(deny), "mkdir")->kind,
                     UNOTIFY_KERNEL_RULES);
        cr_assert_eq(unotify_kernel_plan_find(unotify_policy_kernel_plan(demo), "uname")->kind,
                     UNOTIFY_KERNEL_NOTIFY);
        d = decide(def, native_arch(), SYS_mount, NULL);
        cr_assert(d.action == ERRNO && d.error == EPERM && d.rule == 0);
        d = decide(def, native_arch(), SYS_getpid, NULL);
        cr_assert(d.action == CONTINUE && d.rule == -1);
        /* learn-container: the kernel lets the runtime's calls run, the
         * daemon is sent every other one, and answers it CONTINUE. */
        cr_assert_not_null(unotify_policy_learn(unotify_policy_set_find(s, "learn-container")));
        cr_assert_null(unotify_policy_learn(demo));
        cr_assert(unotify_policy_kernel_plan(unotify_policy_set_find(s, "learn-container"))
                          ->notify_default);
        cr_assert_eq(unotify_kernel_plan_find(unotify_policy_kernel_plan(unotify_policy_set_find(
                                                      s, "learn-container")),
                                              "write")
                             ->kind,
                     UNOTIFY_KERNEL_RULES);
        d = decide(unotify_policy_set_find(s, "learn-container"), native_arch(), SYS_mount, NULL);
        cr_assert(d.action == CONTINUE && d.rule == -1);
        d = decide(unotify_policy_set_find(s, "emulate"), native_arch(), SYS_mknodat, NULL);
        cr_assert(d.action == UNOTIFY_ACTION_EMULATE && d.handler == UNOTIFY_HANDLER_MKNOD &&
                  d.rule == 3);
        unotify_policy_set_free(s);
}
