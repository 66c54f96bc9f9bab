/* A rule's includes/excludes: arches and minKernel (decided at load) and
 * the target's capabilities (decided per notification through a view). */
#include <linux/audit.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "policy_helpers.h"

#define RULES(r) "{'name':'f','defaultAction':'SCMP_ACT_ALLOW','syscalls':[" r "]}"
#define DENY_UMASK(extra) "{'names':['umask'],'action':'SCMP_ACT_ERRNO'" extra "}"

#if defined(__x86_64__)
struct arch_case {
        const char *row;
        const char *filter; /* ,'includes':... */
        bool x86_64, x86, x32;
};

static const struct arch_case arch_cases[] = {
        { "no filter", "", true, true, true },
        { "includes OCI x86", ",'includes':{'arches':['SCMP_ARCH_X86']}", false, true, false },
        { "includes amd64", ",'includes':{'arches':['amd64']}", true, false, false },
        { "includes x86_64 alias", ",'includes':{'arches':['x86_64']}", true, false, false },
        { "includes x32 and x86", ",'includes':{'arches':['x32','x86']}", false, true, true },
        { "excludes x32", ",'excludes':{'arches':['SCMP_ARCH_X32']}", true, true, false },
        { "includes an arch of another machine", ",'includes':{'arches':['s390x']}", false, false,
          false },
        { "includes and excludes the same",
          ",'includes':{'arches':['x86']},'excludes':{'arches':['x86']}", false, false, false },
};

ROWS(filters, arches, arch_cases)

/* umask is 95 on x86_64, 60 on x86, 95 | X32_BIT on x32. */
ParameterizedTest(size_t *row, filters, arches, .timeout = 60)
{
        const struct arch_case *c = &arch_cases[*row];
        _cleanup_(freep) char *policy = NULL;
        struct unotify_policy *p;

        cr_assert_gt(asprintf(&policy, RULES(DENY_UMASK("%s")), c->filter), 0);
        p = load_ok(policy);
        cr_assert_eq(decide(p, AUDIT_ARCH_X86_64, 95, NULL).action, c->x86_64 ? ERRNO : CONTINUE,
                     "%s: x86_64", c->row);
        cr_assert_eq(decide(p, AUDIT_ARCH_I386, 60, NULL).action, c->x86 ? ERRNO : CONTINUE,
                     "%s: x86", c->row);
        cr_assert_eq(decide(p, AUDIT_ARCH_X86_64, X32_BIT | 95, NULL).action,
                     c->x32 ? ERRNO : CONTINUE, "%s: x32", c->row);
        unotify_policy_unref(p);
}
#endif

struct kernel_case {
        const char *row;
        const char *filter;
        const char *release; /* NULL: unknown */
        bool applies;
};

static const struct kernel_case kernel_cases[] = {
        { "includes, older", ",'includes':{'minKernel':'5.10'}", "5.9.0-1-amd64", false },
        { "includes, same minor", ",'includes':{'minKernel':'5.10'}", "5.10.0", true },
        { "includes, newer minor", ",'includes':{'minKernel':'5.10'}", "5.15.3", true },
        { "includes, newer major", ",'includes':{'minKernel':'5.10'}", "6.1.0-13-amd64", true },
        { "includes, minor is a number not a fraction", ",'includes':{'minKernel':'5.9'}", "5.10",
          true },
        { "includes, unknown kernel", ",'includes':{'minKernel':'3.0'}", NULL, false },
        { "excludes, older", ",'excludes':{'minKernel':'6.0'}", "5.19.1", true },
        { "excludes, same", ",'excludes':{'minKernel':'6.0'}", "6.0.0", false },
        { "excludes, newer", ",'excludes':{'minKernel':'6.0'}", "6.18.44-fc-v782", false },
        { "excludes, unknown kernel", ",'excludes':{'minKernel':'6.0'}", NULL, true },
        { "window", ",'includes':{'minKernel':'5.4'},'excludes':{'minKernel':'5.6'}", "5.5.1",
          true },
        { "window, past it", ",'includes':{'minKernel':'5.4'},'excludes':{'minKernel':'5.6'}",
          "5.6.0", false },
};

ROWS(filters, kernel, kernel_cases)

ParameterizedTest(size_t *row, filters, kernel, .timeout = 60)
{
        const struct kernel_case *c = &kernel_cases[*row];
        const struct unotify_load_options opts = { .kernel_release = c->release };
        _cleanup_(freep) char *policy = NULL;
        struct unotify_diags diags = {};
        struct unotify_policy *p = NULL;

        cr_assert_gt(asprintf(&policy, RULES(DENY_UMASK("%s")), c->filter), 0);
        cr_assert_eq(load_opts(policy, &opts, &p, &diags), 0, "%s", c->row);
        cr_assert_eq(diags.count, 0);
        cr_assert_eq(decide(p, native_arch(), SYS_umask, NULL).action,
                     c->applies ? ERRNO : CONTINUE, "%s", c->row);
        /* The syscall is sent to the supervisor either way. */
        size_t n;
        cr_assert_str_eq(unotify_policy_syscalls(p, &n)[0], "umask");
        unotify_policy_unref(p);
}

#define CAP(c) (UINT64_C(1) << (c))

struct caps_case {
        const char *row;
        const char *filter;
        uint64_t caps;
        bool applies;
};

static const struct caps_case caps_cases[] = {
        { "includes, has it", ",'includes':{'caps':['CAP_SYS_ADMIN']}", CAP(CAP_SYS_ADMIN), true },
        { "includes, has others", ",'includes':{'caps':['CAP_SYS_ADMIN']}",
          CAP(CAP_CHOWN) | CAP(CAP_NET_ADMIN), false },
        { "includes all of two, has one", ",'includes':{'caps':['CAP_SYS_ADMIN','CAP_MKNOD']}",
          CAP(CAP_MKNOD), false },
        { "includes all of two, has both", ",'includes':{'caps':['CAP_SYS_ADMIN','CAP_MKNOD']}",
          CAP(CAP_MKNOD) | CAP(CAP_SYS_ADMIN) | CAP(CAP_KILL), true },
        { "excludes, has it", ",'excludes':{'caps':['CAP_SYS_ADMIN']}", CAP(CAP_SYS_ADMIN), false },
        { "excludes, lacks it", ",'excludes':{'caps':['CAP_SYS_ADMIN']}", CAP(CAP_CHOWN), true },
        { "excludes any of two", ",'excludes':{'caps':['CAP_SYS_ADMIN','CAP_BPF']}", CAP(CAP_BPF),
          false },
        { "highest capability", ",'includes':{'caps':['CAP_CHECKPOINT_RESTORE']}",
          CAP(CAP_CHECKPOINT_RESTORE), true },
        { "capability 0", ",'includes':{'caps':['CAP_CHOWN']}", CAP(CAP_CHOWN), true },
};

ROWS(filters, caps, caps_cases)

struct fake_caps {
        uint64_t caps;
        int error;
        unsigned calls;
};

static int read_caps(void *userdata, uint64_t *ret)
{
        struct fake_caps *f = userdata;

        f->calls++;
        if (f->error)
                return f->error;
        *ret = f->caps;
        return 0;
}

ParameterizedTest(size_t *row, filters, caps, .timeout = 60)
{
        const struct caps_case *c = &caps_cases[*row];
        _cleanup_(freep) char *policy = NULL;
        struct fake_caps fake = { .caps = c->caps };
        struct unotify_target_view plain = { .caps_effective = c->caps };
        struct unotify_target_view lazy = { .read_caps = read_caps, .userdata = &fake };
        struct seccomp_data data = { .nr = SYS_umask, .arch = native_arch() };
        struct unotify_decision d;
        struct unotify_policy *p;

        cr_assert_gt(asprintf(&policy, RULES(DENY_UMASK("%s")), c->filter), 0);
        p = load_ok(policy);
        cr_assert(unotify_policy_needs_target_view(p));
        cr_assert_eq(unotify_policy_decide_target(p, &data, &plain, &d), 0);
        cr_assert_eq(d.action, c->applies ? ERRNO : CONTINUE, "%s", c->row);
        cr_assert_eq(unotify_policy_decide_target(p, &data, &lazy, &d), 0);
        cr_assert_eq(d.action, c->applies ? ERRNO : CONTINUE, "%s: read_caps", c->row);
        cr_assert_eq(fake.calls, 1);
        /* Not asked for a syscall without caps rules. */
        data.nr = SYS_getpid;
        cr_assert_eq(unotify_policy_decide_target(p, &data, &lazy, &d), 0);
        cr_assert_eq(fake.calls, 1);
        unotify_policy_unref(p);
}

/* Without a view the target has no capabilities. */
Test(filters, caps_without_view, .timeout = 60)
{
        struct unotify_policy *p =
                load_ok(RULES("{'names':['umask'],'action':'SCMP_ACT_ALLOW','includes':{'caps':['"
                              "CAP_SYS_ADMIN']}},"
                              "{'names':['umask'],'action':'SCMP_ACT_ERRNO','errnoRet':'EACCES','"
                              "excludes':{'caps':['CAP_SYS_ADMIN']}},"
                              "{'names':['getpid'],'action':'SCMP_ACT_LOG'}"));
        struct seccomp_data data = { .nr = SYS_umask, .arch = native_arch() };
        struct unotify_target_view admin = { .caps_effective = CAP(CAP_SYS_ADMIN) };
        struct unotify_decision d;

        d = decide(p, native_arch(), SYS_umask, NULL);
        cr_assert(d.action == ERRNO && d.error == EACCES && d.rule == 1);
        cr_assert_eq(unotify_policy_decide_target(p, &data, NULL, &d), 0);
        cr_assert(d.action == ERRNO && d.rule == 1);
        cr_assert_eq(unotify_policy_decide_target(p, &data, &admin, &d), 0);
        cr_assert(d.action == CONTINUE && d.rule == 0);
        unotify_policy_unref(p);
}

/* Capabilities are read only once the arguments match, and a failure to
 * read them fails the call closed. */
Test(filters, caps_read_lazily_and_failure, .timeout = 60)
{
        struct unotify_policy *p =
                load_ok(RULES("{'names':['umask'],'action':'SCMP_ACT_ALLOW','includes':{'caps':['"
                              "CAP_SYS_ADMIN']},"
                              "'args':[{'index':0,'value':0,'op':'SCMP_CMP_EQ'}]}"));
        struct fake_caps fake = { .error = -ESRCH };
        struct unotify_target_view view = { .read_caps = read_caps, .userdata = &fake };
        struct seccomp_data data = { .nr = SYS_umask, .arch = native_arch(), .args = { 1 } };
        struct unotify_decision d;

        cr_assert_eq(unotify_policy_decide_target(p, &data, &view, &d), 0);
        cr_assert(d.action == CONTINUE && d.rule == -1);
        cr_assert_eq(fake.calls, 0, "args did not hold: caps not needed");
        data.args[0] = 0;
        cr_assert_eq(unotify_policy_decide_target(p, &data, &view, &d), -ESRCH);
        cr_assert(d.action == ERRNO && d.error == ESRCH && d.rule == 0);
        cr_assert_eq(fake.calls, 1);
        fake.error = -100000;
        cr_assert_eq(unotify_policy_decide_target(p, &data, &view, &d), -100000);
        cr_assert(d.action == ERRNO && d.error == EFAULT && d.rule == 0, "out of range: EFAULT");
        unotify_policy_unref(p);
}

Test(filters, needs_view, .timeout = 60)
{
        struct unotify_policy *p =
                load_ok(RULES(DENY_UMASK(",'includes':{'arches':['x86'],'minKernel':'4.0'}")));

        cr_assert_not(unotify_policy_needs_target_view(p));
        unotify_policy_unref(p);
        p = load_ok(RULES(DENY_UMASK(",'excludes':{'caps':['CAP_KILL']}")));
        cr_assert(unotify_policy_needs_target_view(p));
        unotify_policy_unref(p);
}

struct bad_case {
        const char *row;
        const char *json;
        const char *diags;
};

static const struct bad_case bad_cases[] = {
        { "includes not an object", RULES(DENY_UMASK(",'includes':[]")),
          "test.json: /syscalls/0/includes: expected an object with arches, caps or minKernel, "
          "got an array" },
        { "unknown key", RULES(DENY_UMASK(",'excludes':{'arch':['x86']}")),
          "test.json: /syscalls/0/excludes: unknown key \"arch\" (did you mean \"arches\"?)" },
        { "arches empty", RULES(DENY_UMASK(",'includes':{'arches':[]}")),
          "test.json: /syscalls/0/includes/arches: expected at least one architecture name, got "
          "an empty array" },
        { "arches a string", RULES(DENY_UMASK(",'includes':{'arches':'x86'}")),
          "test.json: /syscalls/0/includes/arches: expected an array of architecture names, got a "
          "string" },
        { "arch not a string", RULES(DENY_UMASK(",'includes':{'arches':[1]}")),
          "test.json: /syscalls/0/includes/arches/0: expected an architecture name (a string), "
          "got an integer" },
        { "caps empty", RULES(DENY_UMASK(",'excludes':{'caps':[]}")),
          "test.json: /syscalls/0/excludes/caps: expected at least one capability name, got an "
          "empty array" },
        { "minKernel a number", RULES(DENY_UMASK(",'includes':{'minKernel':5.1}")),
          "test.json: /syscalls/0/includes/minKernel: expected a kernel version such as "
          "\"5.10\", got a real number" },
        { "minKernel three parts", RULES(DENY_UMASK(",'includes':{'minKernel':'5.10.1'}")),
          "test.json: /syscalls/0/includes/minKernel: invalid kernel version \"5.10.1\" (expected "
          "MAJOR.MINOR such as \"5.10\")" },
        { "minKernel major only", RULES(DENY_UMASK(",'includes':{'minKernel':'5'}")),
          "test.json: /syscalls/0/includes/minKernel: invalid kernel version \"5\" (expected "
          "MAJOR.MINOR such as \"5.10\")" },
        { "minKernel 0.x", RULES(DENY_UMASK(",'excludes':{'minKernel':'0.9'}")),
          "test.json: /syscalls/0/excludes/minKernel: invalid kernel version \"0.9\" (expected "
          "MAJOR.MINOR such as \"5.10\")" },
        { "comment not a string", RULES(DENY_UMASK(",'includes':{'comment':{}}")),
          "test.json: /syscalls/0/includes/comment: expected a string, got an object" },
};

ROWS(filters, bad, bad_cases)

ParameterizedTest(size_t *row, filters, bad, .timeout = 60)
{
        const struct bad_case *c = &bad_cases[*row];

        cr_log_info("%s", c->row);
        assert_refused(c->json, NULL, c->diags);
}

Test(filters, bad_kernel_release, .timeout = 60)
{
        const struct unotify_load_options opts = { .kernel_release = "linux-6.1" };

        assert_refused(RULES(DENY_UMASK("")), &opts,
                       "test.json: kernel release \"linux-6.1\" does not start with MAJOR.MINOR");
}

Test(filters, comments_everywhere, .timeout = 60)
{
        struct unotify_policy *p =
                load_ok(RULES("{'names':['umask'],'action':'SCMP_ACT_ERRNO','comment':'r',"
                              "'includes':{'comment':'i','minKernel':'1.0'},'excludes':{'comment':'"
                              "e','caps':['CAP_BPF']},"
                              "'args':[{'index':0,'value':1,'op':'SCMP_CMP_EQ','comment':'a'}]}"));

        unotify_policy_unref(p);
}

Test(filters, capability_names, .timeout = 60)
{
        cr_assert_eq(unotify_capability_from_name("CAP_CHOWN"), CAP_CHOWN);
        cr_assert_eq(unotify_capability_from_name("CAP_SYS_ADMIN"), CAP_SYS_ADMIN);
        cr_assert_eq(unotify_capability_from_name("CAP_CHECKPOINT_RESTORE"),
                     CAP_CHECKPOINT_RESTORE);
        cr_assert_eq(unotify_capability_from_name("CAP_NOPE"), -EINVAL);
        cr_assert_eq(unotify_capability_from_name("cap_chown"), -EINVAL);
        cr_assert_eq(unotify_capability_from_name(NULL), -EINVAL);
}
