/* The kernel plan: which of a policy's decisions the filter makes itself,
 * and why the others go to the daemon. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "policy_helpers.h"
#include "unotify/filter.h"

#define DENY "'defaultAction':'SCMP_ACT_ERRNO','syscalls':"
#define ALLOW "'defaultAction':'SCMP_ACT_ALLOW','syscalls':"

struct plan_case {
        const char *rules; /* the policy after {'name':'k', */
        const char *name;
        enum unotify_kernel_kind kind;
        size_t n_rules;
        const char *why; /* NOTIFY: the reason, exactly */
};

static const struct plan_case plan_cases[] = {
        /* An allow-list: the kernel allows getpid and denies the rest. */
        { DENY "[{'names':['getpid'],'action':'SCMP_ACT_ALLOW'}]", "getpid", UNOTIFY_KERNEL_RULES,
          1 },
        /* Docker's personality rules: one answer, three values. */
        { DENY "[{'names':['personality'],'action':'SCMP_ACT_ALLOW','args':[{'index':0,'value':0,"
               "'op':'SCMP_CMP_EQ'}]},{'names':['personality'],'action':'SCMP_ACT_ALLOW','args':"
               "[{'index':0,'value':8,'op':'SCMP_CMP_EQ'}]},{'names':['personality'],'action':"
               "'SCMP_ACT_ALLOW','args':[{'index':0,'value':131072,'op':'SCMP_CMP_EQ'}]}]",
          "personality", UNOTIFY_KERNEL_RULES, 3 },
        /* podman's socket rules: answers differ, but no call matches two. */
        { DENY "[{'names':['socket'],'action':'SCMP_ACT_ERRNO','errnoRet':22,'args':[{'index':0,"
               "'value':16,'op':'SCMP_CMP_EQ'},{'index':2,'value':9,'op':'SCMP_CMP_EQ'}]},"
               "{'names':['socket'],'action':'SCMP_ACT_ALLOW','args':[{'index':2,'value':9,'op':"
               "'SCMP_CMP_NE'}]},{'names':['socket'],'action':'SCMP_ACT_ALLOW','args':[{'index':0,"
               "'value':16,'op':'SCMP_CMP_NE'}]}]",
          "socket", UNOTIFY_KERNEL_NOTIFY, 0,
          "x86 tasks may make this call through socketcall(2) or ipc(2), with its arguments in "
          "memory" },
        { DENY "[{'names':['setuid'],'action':'SCMP_ACT_ERRNO','errnoRet':22,'args':[{'index':0,"
               "'value':16,'op':'SCMP_CMP_EQ'},{'index':1,'value':9,'op':'SCMP_CMP_EQ'}]},"
               "{'names':['setuid'],'action':'SCMP_ACT_ALLOW','args':[{'index':1,'value':9,'op':"
               "'SCMP_CMP_NE'}]},{'names':['setuid'],'action':'SCMP_ACT_ALLOW','args':[{'index':0,"
               "'value':16,'op':'SCMP_CMP_NE'}]}]",
          "setuid", UNOTIFY_KERNEL_RULES, 3 },
        /* First match over overlapping answers: only the daemon keeps order. */
        { ALLOW "[{'names':['umask'],'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':1,'op':"
                "'SCMP_CMP_EQ'}]},{'names':['umask'],'action':'SCMP_ACT_LOG'}]",
          "umask", UNOTIFY_KERNEL_NOTIFY, 0,
          "rules with different answers overlap, and the kernel filter cannot keep their order" },
        /* A rule like defaultAction that shadows a later one must stay. */
        { DENY "[{'names':['umask'],'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':1,'op':"
               "'SCMP_CMP_EQ'}]},{'names':['umask'],'action':'SCMP_ACT_ALLOW'}]",
          "umask", UNOTIFY_KERNEL_NOTIFY, 0,
          "a rule answers like defaultAction before rules that overlap it" },
        /* ... and one after the others changes nothing. */
        { DENY "[{'names':['umask'],'action':'SCMP_ACT_ALLOW','args':[{'index':0,'value':1,'op':"
               "'SCMP_CMP_EQ'}]},{'names':['umask'],'action':'SCMP_ACT_ERRNO'}]",
          "umask", UNOTIFY_KERNEL_RULES, 1 },
        /* A rule without conditions covers the same answer's others. */
        { ALLOW "[{'names':['umask'],'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':1,'op':"
                "'SCMP_CMP_EQ'}]},{'names':['umask'],'action':'SCMP_ACT_ERRNO'}]",
          "umask", UNOTIFY_KERNEL_RULES, 1 },
        { ALLOW "[{'names':['umask'],'action':'SCMP_ACT_ALLOW','args':[{'index':0,'value':1,'op':"
                "'SCMP_CMP_GE'},{'index':0,'value':5,'op':'SCMP_CMP_LE'}]}]",
          "umask", UNOTIFY_KERNEL_NOTIFY, 0,
          "a rule compares one argument twice, which libseccomp cannot compile" },
        { ALLOW "[{'names':['openat'],'action':'SCMP_ACT_ERRNO','paths':[{'index':1,'dirfd':0,"
                "'prefix':'/etc'}]},{'names':['openat'],'action':'SCMP_ACT_ERRNO'}]",
          "openat", UNOTIFY_KERNEL_NOTIFY, 0, "a rule has a path condition" },
        { DENY
          "[{'names':['mount'],'action':'SCMP_ACT_ALLOW','includes':{'caps':['CAP_SYS_ADMIN']}}]",
          "mount", UNOTIFY_KERNEL_NOTIFY, 0, "a rule depends on the task's capabilities" },
        { ALLOW "[{'names':['getppid'],'action':'UNOTIFY_ACT_RETURN','returnValue':1}]", "getppid",
          UNOTIFY_KERNEL_NOTIFY, 0, "a rule returns a value (UNOTIFY_ACT_RETURN)" },
        { ALLOW "[{'names':['mknod'],'action':'UNOTIFY_ACT_EMULATE','handler':'mknod'}]", "mknod",
          UNOTIFY_KERNEL_NOTIFY, 0, "a rule is emulated by a handler" },
        { ALLOW "[{'names':['mkdir'],'action':'SCMP_ACT_ERRNO','notify':true}]", "mkdir",
          UNOTIFY_KERNEL_NOTIFY, 0, "a rule asks for the daemon (\"notify\": true)" },
        /* A rule that never applies on this kernel: defaultAction decides. */
        { DENY "[{'names':['mkdir'],'action':'SCMP_ACT_ALLOW','includes':{'minKernel':'99.0'}}]",
          "mkdir", UNOTIFY_KERNEL_DEFAULT, 0 },
        { ALLOW "[{'names':['mkdir'],'action':'SCMP_ACT_ERRNO'}]", "mkdir", UNOTIFY_KERNEL_RULES,
          1 },
#if defined(__x86_64__)
        /* An OCI profile names syscalls, not numbers per ABI. */
        { DENY "[{'names':['mkdir'],'action':'SCMP_ACT_ALLOW','includes':{'arches':['amd64']}}]",
          "mkdir", UNOTIFY_KERNEL_NOTIFY, 0, "its rules differ between this machine's ABIs" },
        /* socketcall's own answer goes to the calls no other rule names, one
         * by one, so that it does not overlap socket's (20 calls, less one). */
        { ALLOW "[{'names':['socketcall'],'action':'SCMP_ACT_ERRNO'},{'names':['socket'],"
                "'action':'SCMP_ACT_LOG'}]",
          "socketcall", UNOTIFY_KERNEL_RULES, 19 },
        { ALLOW "[{'names':['socketcall'],'action':'SCMP_ACT_ERRNO'},{'names':['socket'],"
                "'action':'SCMP_ACT_LOG'}]",
          "socket", UNOTIFY_KERNEL_RULES, 1 },
        /* Where it cannot (socketcall's rule has conditions), the family
         * goes to the daemon. */
        { ALLOW "[{'names':['socketcall'],'action':'SCMP_ACT_ERRNO','args':[{'index':1,'value':0,"
                "'op':'SCMP_CMP_EQ'}]},{'names':['socket'],'action':'SCMP_ACT_LOG'}]",
          "socket", UNOTIFY_KERNEL_NOTIFY, 0,
          "the policy also has rules on socketcall(2) or ipc(2), which x86 tasks use for this "
          "call, and they answer differently" },
        { DENY "[{'names':['socketcall','socket','connect'],'action':'SCMP_ACT_ALLOW'}]", "connect",
          UNOTIFY_KERNEL_RULES, 1 },
#endif
};

ROWS(plan, entry, plan_cases)

ParameterizedTest(size_t *row, plan, entry, .timeout = 60)
{
        const struct plan_case *c = &plan_cases[*row];
        _cleanup_(freep) char *text = NULL;
        struct unotify_policy *p;
        const struct unotify_kernel_entry *e;

        cr_assert_gt(asprintf(&text, "{'name':'k',%s}", c->rules), 0);
        /* Warnings (x86 multiplexing, notified clone) do not matter here. */
        cr_assert_eq(load_opts(text, NULL, &p, NULL), 0, "%s", text);
        e = unotify_kernel_plan_find(unotify_policy_kernel_plan(p), c->name);
        cr_assert_not_null(e, "%s: no entry", c->name);
        cr_assert_eq(e->kind, c->kind, "%s: kind %d (%s)", c->rules, e->kind, e->why ?: "-");
        cr_assert_eq(e->n_rules, c->n_rules, "%s", c->rules);
        if (c->why)
                cr_assert_str_eq(e->why, c->why);
        else
                cr_assert_null(e->why);
        unotify_policy_unref(p);
}

/* What no rule names is defaultAction's, in the kernel: not in the plan,
 * and not notified. */
Test(plan, unnamed_syscalls_are_the_kernels, .timeout = 60)
{
        struct unotify_policy *p = load_ok("{'name':'k'," DENY "[{'names':['getpid'],'action':"
                                           "'SCMP_ACT_ALLOW'}]}");
        const struct unotify_kernel_plan *plan = unotify_policy_kernel_plan(p);
        struct seccomp_data data = { .arch = native_arch(), .nr = SYS_keyctl };

        cr_assert_null(unotify_kernel_plan_find(plan, "keyctl"));
        cr_assert_eq(plan->default_decision.action, UNOTIFY_ACTION_ERRNO);
        cr_assert_eq(plan->default_decision.error, EPERM);
        cr_assert_not(unotify_policy_notifies(p, &data));
        data.nr = SYS_getpid;
        cr_assert_not(unotify_policy_notifies(p, &data));
        unotify_policy_unref(p);
}

/* Capabilities known at export: decided then, as container engines do. */
Test(plan, caps_resolved_when_known, .timeout = 60)
{
        struct unotify_policy *p = NULL;
        int r = load_opts(
                "{'name':'k'," DENY "[{'names':['mount'],'action':'SCMP_ACT_ALLOW','includes':"
                "{'caps':['CAP_SYS_ADMIN']}},{'names':['clone'],'action':'SCMP_ACT_ALLOW','"
                "excludes':"
                "{'caps':['CAP_SYS_ADMIN']},'args':[{'index':0,'value':2114060288,'op':"
                "'SCMP_CMP_MASKED_EQ'}]},{'names':['clone'],'action':'SCMP_ACT_ALLOW','includes':"
                "{'caps':['CAP_SYS_ADMIN']}}]}",
                NULL, &p, NULL);
        const uint64_t none = 0, admin = 1ull << 21;
        struct unotify_kernel_plan *a = NULL, *b = NULL;
        struct seccomp_data data = { .arch = native_arch(), .nr = SYS_clone };

        cr_assert_eq(r, 0);
        cr_assert(unotify_policy_notifies(p, &data), "caps unknown: the daemon decides");
        cr_assert_eq(unotify_kernel_plan_new(p, &none, &a), 0);
        cr_assert_eq(unotify_kernel_plan_find(a, "mount")->kind, UNOTIFY_KERNEL_DEFAULT);
        cr_assert_eq(unotify_kernel_plan_find(a, "clone")->kind, UNOTIFY_KERNEL_RULES);
        cr_assert_eq(unotify_kernel_plan_find(a, "clone")->rules[0].n_conds, 1);
        cr_assert_eq(unotify_kernel_plan_new(p, &admin, &b), 0);
        cr_assert_eq(unotify_kernel_plan_find(b, "mount")->kind, UNOTIFY_KERNEL_RULES);
        cr_assert_eq(unotify_kernel_plan_find(b, "clone")->rules[0].n_conds, 0);
        cr_assert_neq(a->digest, b->digest);
        unotify_kernel_plan_free(a);
        unotify_kernel_plan_free(b);
        unotify_policy_unref(p);
}
