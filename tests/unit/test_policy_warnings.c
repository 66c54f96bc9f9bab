/* Warnings: loaded anyway, unless the load is strict. */
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "policy_helpers.h"

#define RUNTIME_MSG                                                                              \
        "\"%s\" goes to the supervisor (a rule asks for the daemon (\"notify\": true)): "        \
        "container "                                                                             \
        "runtimes need it between installing the filter "                                        \
        "and exec, so containers cannot start while the daemon is slow or stopped (crun #1002, " \
        "runc #4328)"

struct warn_case {
        const char *name;
};

static const struct warn_case warn_cases[] = {
        { "fcntl" }, { "sendmsg" }, { "write" }, { "close" }, { "read" },
};

ROWS(warnings, runtime, warn_cases)

ParameterizedTest(size_t *row, warnings, runtime, .timeout = 60)
{
        const char *name = warn_cases[*row].name;
        const struct unotify_load_options strict = { .strict = true };
        _cleanup_(freep) char *policy = NULL, *warning = NULL, *error = NULL, *text = NULL;
        struct unotify_diags diags = {};
        struct unotify_policy *p = NULL;

        cr_assert_gt(asprintf(&policy,
                              "{'name':'w','defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':"
                              "['umask','%s'],'action':'SCMP_ACT_LOG','notify':true}]}",
                              name),
                     0);
        cr_assert_gt(
                asprintf(&warning, "test.json: /syscalls/0/names/1: warning: " RUNTIME_MSG, name),
                0);
        cr_assert_gt(asprintf(&error, "test.json: /syscalls/0/names/1: " RUNTIME_MSG, name), 0);
        cr_assert_eq(load_opts(policy, NULL, &p, &diags), 0, "a warning alone never fails");
        cr_assert_not_null(p);
        text = diags_text(&diags);
        cr_assert_str_eq(text, warning);
        cr_assert_eq(diags.items[0].severity, UNOTIFY_DIAG_WARNING);
        cr_assert_eq(unotify_diags_errors(&diags), 0);
        unotify_policy_unref(p);
        unotify_diags_clear(&diags);
        free(text);

        /* Strict: the same message, as an error. */
        p = (struct unotify_policy *)0x1;
        cr_assert_eq(load_opts(policy, &strict, &p, &diags), -EINVAL);
        cr_assert_eq(p, (struct unotify_policy *)0x1);
        cr_assert_eq(unotify_diags_errors(&diags), 1);
        text = diags_text(&diags);
        cr_assert_str_eq(text, error);
        unotify_diags_clear(&diags);
}

/* The kernel decides what it can: a runtime's syscall the filter does not
 * notify is no reason to warn. */
Test(warnings, none_for_kernel_decisions, .timeout = 60)
{
        struct unotify_diags diags = {};
        struct unotify_policy *p = NULL;

        cr_assert_eq(load_opts("{'name':'w','defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':"
                               "['read','close'],'action':'SCMP_ACT_LOG'}]}",
                               NULL, &p, &diags),
                     0);
        cr_assert_eq(diags.count, 0);
        unotify_policy_unref(p);
}

/* Notified process creation breaks shells under runtimes without
 * WAIT_KILLABLE_RECV: said at load, with the reason it is notified. */
Test(warnings, process_creation, .timeout = 60)
{
        struct unotify_diags diags = {};
        struct unotify_policy *p = NULL;
        _cleanup_(freep) char *text = NULL;

        cr_assert_eq(load_opts("{'name':'w','defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':"
                               "['clone'],'action':'SCMP_ACT_ALLOW','includes':{'caps':"
                               "['CAP_SYS_ADMIN']}}]}",
                               NULL, &p, &diags),
                     0);
        text = diags_text(&diags);
        cr_assert_str_eq(
                text,
                "test.json: /syscalls/0/names/0: warning: \"clone\" goes to the supervisor (a "
                "rule depends on the task's capabilities): under a runtime that installs the "
                "filter without SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (runc and crun by "
                "default), a signal during the wait fails it with EINTR, which shells report as "
                "\"can't fork: Interrupted system call\"; unotify-run sets the flag, export-oci "
                "-f SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV asks crun to");
        unotify_policy_unref(p);
        unotify_diags_clear(&diags);
}

/* A directory loads with its warnings; strict refuses it. */
TestSuite(warndir, .init = make_tmpdir, .fini = remove_tmpdir, .timeout = 60);

Test(warndir, strict_directory)
{
        const struct unotify_load_options strict = { .strict = true };
        struct unotify_policy_set *s = NULL;
        struct unotify_diags diags = {};

        write_file("a.json", "{'name':'a','defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':"
                             "['close'],'action':'SCMP_ACT_ERRNO','notify':true}]}");
        cr_assert_eq(unotify_policy_set_load_dir(tmpdir, &s, &diags), 0);
        cr_assert_eq(unotify_policy_set_count(s), 1);
        cr_assert_eq(diags.count, 1);
        cr_assert_eq(unotify_diags_errors(&diags), 0);
        unotify_policy_set_free(s);
        unotify_diags_clear(&diags);
        s = NULL;
        cr_assert_eq(unotify_policy_set_load_dir_full(tmpdir, &strict, &s, &diags), -EINVAL);
        cr_assert_null(s);
        cr_assert_eq(unotify_diags_errors(&diags), 1);
        unotify_diags_clear(&diags);
}

Test(warnings, diag_format, .timeout = 60)
{
        struct unotify_diag w = {
                .file = "a.json", .pointer = "/x", .message = "m", .severity = UNOTIFY_DIAG_WARNING
        };
        struct unotify_diag root = { .file = "a.json",
                                     .message = "m",
                                     .severity = UNOTIFY_DIAG_WARNING };
        struct unotify_diag line = { .file = "a.json",
                                     .line = 2,
                                     .column = 3,
                                     .message = "m",
                                     .severity = UNOTIFY_DIAG_WARNING };
        struct unotify_diags two = { .items = (struct unotify_diag[]){ w, { .message = "e" } },
                                     .count = 2 };
        char buf[64];

        unotify_diag_format(&w, buf, sizeof(buf));
        cr_assert_str_eq(buf, "a.json: /x: warning: m");
        unotify_diag_format(&root, buf, sizeof(buf));
        cr_assert_str_eq(buf, "a.json: warning: m");
        unotify_diag_format(&line, buf, sizeof(buf));
        cr_assert_str_eq(buf, "a.json:2:3: warning: m");
        cr_assert_eq(unotify_diags_errors(&two), 1);
        cr_assert_eq(unotify_diags_errors(NULL), 0);
}
