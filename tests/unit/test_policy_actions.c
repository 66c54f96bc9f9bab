/* Actions: every one a rule or defaultAction may name, what it decides,
 * and every error about an action and its keys. */
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "policy_helpers.h"

#define HEAD "'name':'act','defaultAction':'SCMP_ACT_ALLOW'"
#define RULE(r) "{" HEAD ",'syscalls':[{'names':['umask']," r "}]}"
#define RULE_ON(names, r) "{" HEAD ",'syscalls':[{'names':[" names "]," r "}]}"

struct action_case {
        const char *row;
        const char *policy;
        enum unotify_action action;
        int error;
        int64_t val;
        enum unotify_handler handler;
        bool log;
        const char *name; /* unotify_decision_action_name() */
        long nr;          /* the syscall the rule names; 0: umask */
};

static const struct action_case action_cases[] = {
        { "allow", RULE("'action':'SCMP_ACT_ALLOW'"), CONTINUE, 0, 0, 0, false, "SCMP_ACT_ALLOW" },
        { "log", RULE("'action':'SCMP_ACT_LOG'"), CONTINUE, 0, 0, 0, true, "SCMP_ACT_LOG" },
        { "errno default EPERM", RULE("'action':'SCMP_ACT_ERRNO'"), ERRNO, EPERM, 0, 0, false,
          "SCMP_ACT_ERRNO" },
        { "errnoRet number", RULE("'action':'SCMP_ACT_ERRNO','errnoRet':13"), ERRNO, EACCES, 0, 0,
          false, "SCMP_ACT_ERRNO" },
        { "errnoRet name", RULE("'action':'SCMP_ACT_ERRNO','errnoRet':'EROFS'"), ERRNO, EROFS, 0, 0,
          false, "SCMP_ACT_ERRNO" },
        { "errno name", RULE("'action':'SCMP_ACT_ERRNO','errno':'ENOSPC'"), ERRNO, ENOSPC, 0, 0,
          false, "SCMP_ACT_ERRNO" },
        { "errno alias name", RULE("'action':'SCMP_ACT_ERRNO','errno':'ENOTSUP'"), ERRNO,
          EOPNOTSUPP, 0, 0, false, "SCMP_ACT_ERRNO" },
        { "kill process", RULE("'action':'SCMP_ACT_KILL_PROCESS'"), UNOTIFY_ACTION_KILL_PROCESS,
          EPERM, 0, 0, false, "SCMP_ACT_KILL_PROCESS" },
        { "kill thread", RULE("'action':'SCMP_ACT_KILL_THREAD'"), UNOTIFY_ACTION_KILL_THREAD, EPERM,
          0, 0, false, "SCMP_ACT_KILL_THREAD" },
        { "kill is kill thread", RULE("'action':'SCMP_ACT_KILL'"), UNOTIFY_ACTION_KILL_THREAD,
          EPERM, 0, 0, false, "SCMP_ACT_KILL_THREAD" },
        { "return 0", RULE("'action':'UNOTIFY_ACT_RETURN','returnValue':0"), UNOTIFY_ACTION_RETURN,
          0, 0, 0, false, "UNOTIFY_ACT_RETURN" },
        { "return 42", RULE("'action':'UNOTIFY_ACT_RETURN','returnValue':42"),
          UNOTIFY_ACTION_RETURN, 0, 42, 0, false, "UNOTIFY_ACT_RETURN" },
        { "return -4096 is a value", RULE("'action':'UNOTIFY_ACT_RETURN','returnValue':-4096"),
          UNOTIFY_ACTION_RETURN, 0, -4096, 0, false, "UNOTIFY_ACT_RETURN" },
        { "return INT64_MAX",
          RULE("'action':'UNOTIFY_ACT_RETURN','returnValue':9223372036854775807"),
          UNOTIFY_ACTION_RETURN, 0, INT64_MAX, 0, false, "UNOTIFY_ACT_RETURN" },
        { "return INT64_MIN",
          RULE("'action':'UNOTIFY_ACT_RETURN','returnValue':-9223372036854775808"),
          UNOTIFY_ACTION_RETURN, 0, INT64_MIN, 0, false, "UNOTIFY_ACT_RETURN" },
        { "emulate open", RULE_ON("'openat'", "'action':'UNOTIFY_ACT_EMULATE','handler':'open'"),
          UNOTIFY_ACTION_EMULATE, ENOSYS, 0, UNOTIFY_HANDLER_OPEN, false, "UNOTIFY_ACT_EMULATE",
          SYS_openat },
        { "emulate mknod", RULE_ON("'mknod'", "'action':'UNOTIFY_ACT_EMULATE','handler':'mknod'"),
          UNOTIFY_ACTION_EMULATE, ENOSYS, 0, UNOTIFY_HANDLER_MKNOD, false, "UNOTIFY_ACT_EMULATE",
          SYS_mknod },
        { "emulate inject",
          RULE("'action':'UNOTIFY_ACT_EMULATE','handler':'inject','handlerOptions':{'path':'/dev/"
               "null'}"),
          UNOTIFY_ACTION_EMULATE, ENOSYS, 0, UNOTIFY_HANDLER_INJECT, false, "UNOTIFY_ACT_EMULATE" },
};

ROWS(actions, rule, action_cases)

ParameterizedTest(size_t *row, actions, rule, .timeout = 60)
{
        const struct action_case *c = &action_cases[*row];
        struct unotify_policy *p = load_ok(c->policy);
        struct unotify_decision d = decide(p, native_arch(), c->nr ?: SYS_umask, NULL);

        cr_assert_eq(d.action, c->action, "%s: action %d", c->row, d.action);
        cr_assert_eq(d.error, c->error, "%s: error %d", c->row, d.error);
        cr_assert_eq(d.val, c->val, "%s: val %lld", c->row, (long long)d.val);
        cr_assert_eq(d.handler, c->handler, "%s: handler %d", c->row, d.handler);
        cr_assert_eq(d.log, c->log, "%s: log", c->row);
        cr_assert_eq(d.rule, 0, "%s", c->row);
        cr_assert_str_eq(unotify_decision_action_name(&d), c->name, "%s", c->row);
        /* Another syscall gets the default, which is a plain allow. */
        d = decide(p, native_arch(), SYS_getpid, NULL);
        cr_assert(d.action == CONTINUE && !d.log && d.rule == -1 && d.val == 0, "%s", c->row);
        unotify_policy_unref(p);
}

struct default_case {
        const char *row;
        const char *head; /* the keys after "name" */
        enum unotify_action action;
        int error;
        bool log;
};

static const struct default_case default_cases[] = {
        { "allow", "'defaultAction':'SCMP_ACT_ALLOW'", CONTINUE, 0, false },
        { "log", "'defaultAction':'SCMP_ACT_LOG'", CONTINUE, 0, true },
        { "errno", "'defaultAction':'SCMP_ACT_ERRNO'", ERRNO, EPERM, false },
        { "errno by name", "'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':'ENOSYS'", ERRNO,
          ENOSYS, false },
        { "errno by number", "'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':2", ERRNO, ENOENT,
          false },
        { "kill process", "'defaultAction':'SCMP_ACT_KILL_PROCESS'", UNOTIFY_ACTION_KILL_PROCESS,
          EPERM, false },
        { "kill thread", "'defaultAction':'SCMP_ACT_KILL_THREAD'", UNOTIFY_ACTION_KILL_THREAD,
          EPERM, false },
};

ROWS(actions, defaults, default_cases)

ParameterizedTest(size_t *row, actions, defaults, .timeout = 60)
{
        const struct default_case *c = &default_cases[*row];
        _cleanup_(freep) char *policy = NULL;
        struct unotify_policy *p;
        struct unotify_decision d;

        cr_assert_gt(asprintf(&policy, "{'name':'d',%s,'syscalls':[]}", c->head), 0);
        p = load_ok(policy);
        d = decide(p, native_arch(), SYS_getpid, NULL);
        cr_assert_eq(d.action, c->action, "%s", c->row);
        cr_assert_eq(d.error, c->error, "%s", c->row);
        cr_assert_eq(d.log, c->log, "%s", c->row);
        cr_assert_eq(d.rule, -1, "%s", c->row);
        cr_assert_eq(d.handler, UNOTIFY_HANDLER_NONE, "%s", c->row);
        unotify_policy_unref(p);
}

#define ACTIONS                                                                 \
        "SCMP_ACT_ALLOW, SCMP_ACT_LOG, SCMP_ACT_ERRNO, SCMP_ACT_KILL_PROCESS, " \
        "SCMP_ACT_KILL_THREAD, "                                                \
        "SCMP_ACT_KILL, UNOTIFY_ACT_RETURN, UNOTIFY_ACT_EMULATE"

struct bad_case {
        const char *row;
        const char *json;
        const char *diags;
};

static const struct bad_case bad_cases[] = {
        { "errno and errnoRet disagree",
          RULE("'action':'SCMP_ACT_ERRNO','errno':'EPERM','errnoRet':2"),
          "test.json: /syscalls/0/errno: \"errno\" (EPERM) and \"errnoRet\" (2) disagree" },
        { "errno a number", RULE("'action':'SCMP_ACT_ERRNO','errno':1"),
          "test.json: /syscalls/0/errno: expected an errno name such as \"EPERM\" (numbers go in "
          "\"errnoRet\"), got an integer" },
        { "errno unknown", RULE("'action':'SCMP_ACT_ERRNO','errno':'EPREM'"),
          "test.json: /syscalls/0/errno: unknown errno name \"EPREM\" (expected a name such as "
          "\"EPERM\")" },
        { "errno with allow", RULE("'action':'SCMP_ACT_LOG','errno':'EPERM'"),
          "test.json: /syscalls/0/errno: \"errno\" is only valid with SCMP_ACT_ERRNO, not "
          "SCMP_ACT_LOG" },
        { "errnoRet with kill", RULE("'action':'SCMP_ACT_KILL_PROCESS','errnoRet':1"),
          "test.json: /syscalls/0/errnoRet: \"errnoRet\" is only valid with SCMP_ACT_ERRNO, not "
          "SCMP_ACT_KILL_PROCESS" },
        { "returnValue with errno", RULE("'action':'SCMP_ACT_ERRNO','returnValue':1"),
          "test.json: /syscalls/0/returnValue: \"returnValue\" is only valid with "
          "UNOTIFY_ACT_RETURN, not SCMP_ACT_ERRNO" },
        { "return without returnValue", RULE("'action':'UNOTIFY_ACT_RETURN'"),
          "test.json: /syscalls/0: missing required key \"returnValue\" (what UNOTIFY_ACT_RETURN "
          "returns)" },
        { "returnValue a string", RULE("'action':'UNOTIFY_ACT_RETURN','returnValue':'1'"),
          "test.json: /syscalls/0/returnValue: expected an integer (what the syscall returns), "
          "got a string" },
        { "returnValue -1", RULE("'action':'UNOTIFY_ACT_RETURN','returnValue':-1"),
          "test.json: /syscalls/0/returnValue: -1 would reach the target as errno 1 (EPERM): use "
          "SCMP_ACT_ERRNO for errors" },
        { "returnValue -4095", RULE("'action':'UNOTIFY_ACT_RETURN','returnValue':-4095"),
          "test.json: /syscalls/0/returnValue: -4095 would reach the target as errno 4095: use "
          "SCMP_ACT_ERRNO for errors" },
        { "emulate without handler", RULE("'action':'UNOTIFY_ACT_EMULATE'"),
          "test.json: /syscalls/0: missing required key \"handler\" (who UNOTIFY_ACT_EMULATE hands "
          "the call to)" },
        { "unknown handler", RULE("'action':'UNOTIFY_ACT_EMULATE','handler':'mounts'"),
          "test.json: /syscalls/0/handler: unknown handler \"mounts\" (expected one of open, "
          "mknod, "
          "inject, sysinfo, sched, mount, xattr, bpf)" },
        { "handler not a string", RULE("'action':'UNOTIFY_ACT_EMULATE','handler':['open']"),
          "test.json: /syscalls/0/handler: expected a handler name, got an array" },
        { "handler with allow", RULE("'action':'SCMP_ACT_ALLOW','handler':'open'"),
          "test.json: /syscalls/0/handler: \"handler\" is only valid with UNOTIFY_ACT_EMULATE, not "
          "SCMP_ACT_ALLOW" },
        { "action misspelt", RULE("'action':'SCMP_ACT_ERNO'"),
          "test.json: /syscalls/0/action: unsupported action \"SCMP_ACT_ERNO\" (did you mean "
          "\"SCMP_ACT_ERRNO\"?)" },
        { "action unknown", RULE("'action':'DENY'"),
          "test.json: /syscalls/0/action: unsupported action \"DENY\" (expected one of " ACTIONS
          ")" },
        { "notify", RULE("'action':'SCMP_ACT_NOTIFY'"),
          "test.json: /syscalls/0/action: unsupported action \"SCMP_ACT_NOTIFY\" (every rule here "
          "is already decided by the supervisor; expected one of " ACTIONS ")" },
        { "trap", RULE("'action':'SCMP_ACT_TRAP'"),
          "test.json: /syscalls/0/action: unsupported action \"SCMP_ACT_TRAP\" (the supervisor "
          "cannot make the kernel send SIGSYS; expected one of " ACTIONS ")" },
        { "lower case", RULE("'action':'scmp_act_allow'"),
          "test.json: /syscalls/0/action: unsupported action \"scmp_act_allow\" (expected one "
          "of " ACTIONS ")" },
        { "emulate as default", "{'name':'x','defaultAction':'UNOTIFY_ACT_EMULATE','syscalls':[]}",
          "test.json: /defaultAction: \"UNOTIFY_ACT_EMULATE\" cannot be the defaultAction (it "
          "needs a rule of its own)" },
        { "defaultErrnoRet with log",
          "{'name':'x','defaultAction':'SCMP_ACT_LOG','defaultErrnoRet':1,'syscalls':[]}",
          "test.json: /defaultErrnoRet: \"defaultErrnoRet\" is only valid with SCMP_ACT_ERRNO, not "
          "SCMP_ACT_LOG" },
        { "values checked under an unknown action",
          RULE("'action':'SCMP_ACT_FOOBAR','errnoRet':0,'handler':'x'"),
          "test.json: /syscalls/0/action: unsupported action \"SCMP_ACT_FOOBAR\" (expected one "
          "of " ACTIONS ")\n"
          "test.json: /syscalls/0/errnoRet: \"errnoRet\" must be 1..4095, got 0\n"
          "test.json: /syscalls/0/handler: unknown handler \"x\" (expected one of open, mknod, "
          "inject, sysinfo, sched, mount, xattr, bpf)" },
};

ROWS(actions, bad, bad_cases)

ParameterizedTest(size_t *row, actions, bad, .timeout = 60)
{
        const struct bad_case *c = &bad_cases[*row];

        cr_log_info("%s", c->row);
        assert_refused(c->json, NULL, c->diags);
}

Test(actions, names, .timeout = 60)
{
        static const struct {
                enum unotify_action a;
                const char *name;
        } rows[] = {
                { UNOTIFY_ACTION_CONTINUE, "SCMP_ACT_ALLOW" },
                { UNOTIFY_ACTION_ERRNO, "SCMP_ACT_ERRNO" },
                { UNOTIFY_ACTION_KILL_PROCESS, "SCMP_ACT_KILL_PROCESS" },
                { UNOTIFY_ACTION_KILL_THREAD, "SCMP_ACT_KILL_THREAD" },
                { UNOTIFY_ACTION_RETURN, "UNOTIFY_ACT_RETURN" },
                { UNOTIFY_ACTION_EMULATE, "UNOTIFY_ACT_EMULATE" },
                { 0, "(invalid action)" },
                { 99, "(invalid action)" },
        };
        struct unotify_decision log = { .action = CONTINUE, .log = true };
        struct unotify_decision errno_log = { .action = ERRNO, .log = true };

        for (size_t i = 0; i < ELEMENTSOF(rows); i++)
                cr_assert_str_eq(unotify_action_to_string(rows[i].a), rows[i].name);
        cr_assert_str_eq(unotify_decision_action_name(&log), "SCMP_ACT_LOG");
        cr_assert_str_eq(unotify_decision_action_name(&errno_log), "SCMP_ACT_ERRNO");
        cr_assert_str_eq(unotify_handler_name(UNOTIFY_HANDLER_OPEN), "open");
        cr_assert_str_eq(unotify_handler_name(UNOTIFY_HANDLER_MKNOD), "mknod");
        cr_assert_str_eq(unotify_handler_name(UNOTIFY_HANDLER_INJECT), "inject");
        cr_assert_null(unotify_handler_name(UNOTIFY_HANDLER_NONE));
        cr_assert_str_eq(unotify_handler_name(UNOTIFY_HANDLER_SYSINFO), "sysinfo");
        cr_assert_str_eq(unotify_handler_name(UNOTIFY_HANDLER_SCHED), "sched");
        cr_assert_str_eq(unotify_handler_name(UNOTIFY_HANDLER_MOUNT), "mount");
        cr_assert_str_eq(unotify_handler_name(UNOTIFY_HANDLER_XATTR), "xattr");
        cr_assert_str_eq(unotify_handler_name(UNOTIFY_HANDLER_BPF), "bpf");
        cr_assert_null(unotify_handler_name(UNOTIFY_HANDLER_BPF + 1));
}

/* A rule's action decides only its own syscalls; the first rule that
 * matches wins even when a later one would kill. */
Test(actions, first_match_across_actions, .timeout = 60)
{
        struct unotify_policy *p =
                load_ok("{'name':'m','defaultAction':'SCMP_ACT_KILL_PROCESS','syscalls':["
                        "{'names':['umask'],'action':'UNOTIFY_ACT_RETURN','returnValue':18,"
                        "'args':[{'index':0,'value':0,'op':'SCMP_CMP_EQ'}]},"
                        "{'names':['umask'],'action':'SCMP_ACT_LOG'},"
                        "{'names':['umask','getpid'],'action':'SCMP_ACT_KILL_THREAD'}]}");
        uint64_t zero[6] = { 0 }, one[6] = { 1 };
        struct unotify_decision d;

        d = decide(p, native_arch(), SYS_umask, zero);
        cr_assert(d.action == UNOTIFY_ACTION_RETURN && d.val == 18 && d.rule == 0);
        d = decide(p, native_arch(), SYS_umask, one);
        cr_assert(d.action == CONTINUE && d.log && d.rule == 1);
        d = decide(p, native_arch(), SYS_getpid, one);
        cr_assert(d.action == UNOTIFY_ACTION_KILL_THREAD && d.error == EPERM && d.rule == 2);
        d = decide(p, native_arch(), SYS_getppid, one);
        cr_assert(d.action == UNOTIFY_ACTION_KILL_PROCESS && d.error == EPERM && d.rule == -1);
        unotify_policy_unref(p);
}
