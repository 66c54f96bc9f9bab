/* Runtimes' profiles as they are published: what Docker, podman, runc and
 * crun accept loads here too, with warnings for what unotifyd skips. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "policy_helpers.h"
#include "unotify/filter.h"

/* The profiles Debian 12 ships (golang-github-docker-docker-dev,
 * golang-github-containers-common(-dev)); the moby fixtures include the
 * old format (one "name" per rule, "architectures"). */
static const char *const shipped[] = {
        "/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json",
        "/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/fixtures/"
        "conditional_include.json",
        "/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/fixtures/"
        "default-old-format.json",
        "/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/fixtures/example.json",
        "/usr/share/containers/seccomp.json",
        "/usr/share/gocode/src/github.com/containers/common/pkg/seccomp/seccomp.json",
        "/usr/share/gocode/src/github.com/containers/common/pkg/seccomp/fixtures/example.json",
};

ROWS(compat, shipped_profiles_load, shipped)

ParameterizedTest(size_t *row, compat, shipped_profiles_load, .timeout = 60)
{
        const char *path = shipped[*row];
        struct unotify_diags diags = {};
        struct unotify_policy *p = NULL;
        _cleanup_(freep) char *text = NULL;
        int r;

        if (access(path, R_OK) < 0)
                cr_skip_test("%s is missing: apt-get install golang-github-docker-docker-dev "
                             "golang-github-containers-common golang-github-containers-common-dev",
                             path);
        r = unotify_policy_load_file(path, &p, &diags);
        text = diags_text(&diags);
        cr_assert_eq(r, 0, "%s:\n%s", path, text);
        cr_assert_eq(unotify_diags_errors(&diags), 0, "%s", text);
        unotify_policy_unref(p);
        unotify_diags_clear(&diags);
}

/* The two big ones, deny by default, keep it in the kernel. */
Test(compat, docker_and_podman_deny_in_the_kernel, .timeout = 60)
{
        for (size_t i = 0; i < ELEMENTSOF(shipped); i++) {
                struct unotify_policy *p = NULL;
                struct seccomp_data keyctl = { .arch = native_arch(), .nr = SYS_keyctl };
                const struct unotify_kernel_plan *plan;

                if (i != 0 && i != 4)
                        continue;
                if (access(shipped[i], R_OK) < 0)
                        cr_skip_test("%s is missing", shipped[i]);
                cr_assert_eq(unotify_policy_load_file(shipped[i], &p, NULL), 0, "%s", shipped[i]);
                plan = unotify_policy_kernel_plan(p);
                cr_assert_eq(plan->default_decision.action, UNOTIFY_ACTION_ERRNO);
                cr_assert_eq(plan->default_decision.error, i == 0 ? EPERM : ENOSYS, "%s",
                             shipped[i]);
                cr_assert_not(unotify_policy_notifies(p, &keyctl), "%s", shipped[i]);
                cr_assert_eq(unotify_kernel_plan_find(plan, "read")->kind, UNOTIFY_KERNEL_RULES);
                cr_assert_eq(unotify_kernel_plan_find(plan, "sendmsg")->kind, UNOTIFY_KERNEL_RULES,
                             "runtimes send the listener with it: never notified");
                unotify_policy_unref(p);
        }
}

#define PROFILE(rules) \
        "{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':1,'syscalls':[" rules "]}"

struct compat_case {
        const char *row;
        const char *json; /* loads, with exactly these diagnostics (none: "") */
        const char *warnings;
};

static const struct compat_case accepted[] = {
        { "no name: the file's", PROFILE(""), "" },
        { "what Go writes for nothing",
          "{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':null,'listenerPath':'',"
          "'listenerMetadata':'','flags':null,'archMap':null,'syscalls':[{'names':['getpid'],"
          "'action':'SCMP_ACT_ALLOW','args':null,'comment':null,'includes':{},'excludes':{},"
          "'errnoRet':null}]}",
          "" },
        { "errno with errnoRet, agreeing",
          PROFILE("{'names':['mkdir'],'action':'SCMP_ACT_ERRNO','errnoRet':1,'errno':'EPERM'}"),
          "" },
        { "podman's defaultErrno",
          "{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':38,"
          "'defaultErrno':'ENOSYS','syscalls':[]}",
          "" },
        { "archMap with a null subArchitectures",
          "{'defaultAction':'SCMP_ACT_ERRNO','archMap':[{'architecture':'SCMP_ARCH_X86_64',"
          "'subArchitectures':['SCMP_ARCH_X86','SCMP_ARCH_X32']},{'architecture':"
          "'SCMP_ARCH_RISCV64','subArchitectures':null}],'syscalls':[]}",
          "" },
        { "old format",
          "{'defaultAction':'SCMP_ACT_ERRNO','architectures':['SCMP_ARCH_X86_64',"
          "'SCMP_ARCH_X86'],'syscalls':[{'name':'getpid','action':'SCMP_ACT_ALLOW'}]}",
          "" },
        { "flags",
          "{'defaultAction':'SCMP_ACT_ERRNO','flags':['SECCOMP_FILTER_FLAG_LOG',"
          "'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],'syscalls':[]}",
          "" },
        { "other machines' syscalls, limited to them",
          PROFILE("{'names':['s390_runtime_instr','set_tls'],'action':'SCMP_ACT_ALLOW','includes':"
                  "{'arches':['s390','s390x','arm']}}"),
          "" },
        { "a newer syscall than libseccomp's",
          PROFILE("{'names':['getpid','lsm_get_self_attr','getpid2x'],'action':'SCMP_ACT_ALLOW'},"
                  "{'names':['lsm_get_self_attr'],'action':'SCMP_ACT_ALLOW'}"),
          "test.json: /syscalls/0/names/1: warning: unknown syscall \"lsm_get_self_attr\" skipped "
          "(newer than this libseccomp?)\n"
          "test.json: /syscalls/0/names/2: warning: unknown syscall \"getpid2x\" skipped (did you "
          "mean \"getpid\"?)" },
        { "another machine's syscall, for every arch",
          PROFILE("{'names':['set_tls'],'action':'SCMP_ACT_ALLOW'}"),
          "test.json: /syscalls/0/names/0: warning: syscall \"set_tls\" does not exist on this "
          "machine's ABIs: skipped" },
        { "a name twice in a rule",
          PROFILE("{'names':['getpid','getpid'],'action':'SCMP_ACT_ALLOW'}"),
          "test.json: /syscalls/0/names/1: warning: syscall \"getpid\" is already named in this "
          "rule" },
        { "moby's typo of an architecture",
          PROFILE("{'names':['clone3'],'action':'SCMP_ACT_ERRNO','errnoRet':38,'excludes':{'arches'"
                  ":"
                  "['mips3l64n32']}}"),
          "test.json: /syscalls/0/excludes/arches/0: warning: unknown architecture "
          "\"mips3l64n32\": "
          "it excludes nothing" },
        { "a capability newer than ours",
          PROFILE("{'names':['bpf'],'action':'SCMP_ACT_ALLOW','includes':{'caps':['CAP_FUTURE']}}"),
          "test.json: /syscalls/0/includes/caps/0: warning: unknown capability \"CAP_FUTURE\": no "
          "task "
          "has it, the rule never applies" },
        { "a listener of its own",
          "{'defaultAction':'SCMP_ACT_ERRNO','listenerPath':'/run/agent.sock','syscalls':[]}",
          "test.json: /listenerPath: warning: \"listenerPath\" is ignored: unotifyctl export-oci "
          "and "
          "unotify-run set where the listener goes" },
};

ROWS(compat, accepted, accepted)

ParameterizedTest(size_t *row, compat, accepted, .timeout = 60)
{
        const struct compat_case *c = &accepted[*row];
        const struct unotify_load_options strict = { .strict = true };
        struct unotify_diags diags = {};
        struct unotify_policy *p = NULL;
        _cleanup_(freep) char *text = NULL;

        cr_assert_eq(load_opts(c->json, NULL, &p, &diags), 0, "%s", c->row);
        text = diags_text(&diags);
        cr_assert_str_eq(text, c->warnings, "%s", c->row);
        cr_assert_str_eq(unotify_policy_name(p), "test");
        unotify_policy_unref(p);
        unotify_diags_clear(&diags);
        /* --strict refuses what it warned about. */
        cr_assert_eq(load_opts(c->json, &strict, &p, NULL), c->warnings[0] ? -EINVAL : 0, "%s",
                     c->row);
        if (!c->warnings[0])
                unotify_policy_unref(p);
}

Test(compat, refused, .timeout = 60)
{
        assert_refused(
                PROFILE("{'names':['mkdir'],'action':'SCMP_ACT_ERRNO','errnoRet':2,'errno':"
                        "'EPERM'}"),
                NULL,
                "test.json: /syscalls/0/errno: \"errno\" (EPERM) and \"errnoRet\" (2) disagree");
        assert_refused(
                "{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':1,'defaultErrno':'ENOSYS',"
                "'syscalls':[]}",
                NULL,
                "test.json: /defaultErrno: \"defaultErrno\" (ENOSYS) and \"defaultErrnoRet\" (1) "
                "disagree");
        assert_refused(
                "{'defaultAction':'SCMP_ACT_ERRNO','flags':['SECCOMP_FILTER_FLAG_FAST'],"
                "'syscalls':[]}",
                NULL,
                "test.json: /flags/0: unknown seccomp flag \"SECCOMP_FILTER_FLAG_FAST\" (expected "
                "one of SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_LOG, "
                "SECCOMP_FILTER_FLAG_SPEC_ALLOW, SECCOMP_FILTER_FLAG_NEW_LISTENER, "
                "SECCOMP_FILTER_FLAG_TSYNC_ESRCH, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)");
        assert_refused(PROFILE("{'names':['getpid'],'name':'getpid','action':'SCMP_ACT_ALLOW'}"),
                       NULL,
                       "test.json: /syscalls/0/name: give either \"names\" or \"name\" (the old "
                       "format), not both");
}

/* Names in "includes" that this machine does not know never match it;
 * in "excludes" they exclude nothing. */
Test(compat, unknown_names_in_filters, .timeout = 60)
{
        struct unotify_policy *p = NULL;
        struct unotify_decision d;

        cr_assert_eq(load_opts(PROFILE("{'names':['getpid'],'action':'SCMP_ACT_ALLOW','includes':{"
                                       "'arches':['loong64']}},{'names':['getppid'],'action':"
                                       "'SCMP_ACT_ALLOW','excludes':{'arches':['loong64']}}"),
                               NULL, &p, NULL),
                     0);
        d = decide(p, native_arch(), SYS_getpid, NULL);
        cr_assert(d.action == UNOTIFY_ACTION_ERRNO && d.rule == -1);
        d = decide(p, native_arch(), SYS_getppid, NULL);
        cr_assert(d.action == UNOTIFY_ACTION_CONTINUE && d.rule == 1);
        unotify_policy_unref(p);
}
