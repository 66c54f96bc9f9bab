/* End to end: the real unotifyd, real commands under unotify-run. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "policies.h"

static struct test_daemon d;

static void setup(void)
{
        daemon_start(&d, standard_policies, false);
}

static void teardown(void)
{
        daemon_stop(&d);
}

TestSuite(e2e, .init = setup, .fini = teardown, .timeout = 60);

Test(e2e, deny_with_errno)
{
        char path[400];
        struct cmd_result r;

        snprintf(path, sizeof(path), "%s/x", d.dir);
        run_sandboxed(&d, "demo", (const char *[]){ PROBE, "mkdir", path, NULL }, &r);
        cr_assert_eq(r.status, 0, "stderr: %s", r.err);
        cr_assert_str_eq(r.out, "mkdir: EPERM\n");
        cr_assert_eq(access(path, F_OK), -1, "the directory must not exist");

        run_sandboxed(&d, "demo", (const char *[]){ "/bin/mkdir", path, NULL }, &r);
        cr_assert_eq(r.status, 1);
        cr_assert(strstr(r.err, "Operation not permitted"), "stderr: %s", r.err);
}

Test(e2e, allow_via_continue_is_answered_by_the_daemon)
{
        struct cmd_result r;

        run_sandboxed(&d, "demo", (const char *[]){ PROBE, "uname", NULL }, &r);
        cr_assert_eq(r.status, 0, "stderr: %s", r.err);
        cr_assert_str_eq(r.out, "uname: Linux\n");
        cr_assert(strstr(daemon_log(&d), " uname -> SCMP_ACT_ALLOW"), "log: %s", daemon_log(&d));
}

Test(e2e, argument_conditions_and_default_action)
{
        static const struct {
                const char *mode, *want;
        } cases[] = {
                { "0777", "umask: EPERM\n" }, /* rule 0: arg0 == 0777 */
                { "022", "umask: EACCES\n" }, /* rule 1: arg0 == 022 */
                { "0", "umask: ok\n" },       /* defaultAction, from the daemon */
                { "0700", "umask: ok\n" },    /* defaultAction, from the daemon */
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct cmd_result r;

                run_sandboxed(&d, "args", (const char *[]){ PROBE, "umask", cases[i].mode, NULL },
                              &r);
                cr_assert_eq(r.status, 0, "umask %s: stderr: %s", cases[i].mode, r.err);
                cr_assert_str_eq(r.out, cases[i].want, "umask %s", cases[i].mode);
        }
}

Test(e2e, multithreaded_target_gets_every_answer)
{
        char path[400];
        struct cmd_result r;

        snprintf(path, sizeof(path), "%s/t", d.dir);
        run_sandboxed(&d, "demo", (const char *[]){ PROBE, "threads", "8", "250", path, NULL }, &r);
        cr_assert_eq(r.status, 0, "stderr: %s", r.err);
        cr_assert_str_eq(r.out, "threads: ok 0 EPERM 2000 other 0\n");
}

Test(e2e, launcher_works_when_its_own_syscalls_are_notified)
{
        struct cmd_result r;

        run_sandboxed(&d, "launcher", (const char *[]){ "/bin/echo", "hello", NULL }, &r);
        cr_assert_eq(r.status, 0, "stderr: %s\nlog: %s", r.err, daemon_log(&d));
        cr_assert_str_eq(r.out, "hello\n");
        cr_assert(strstr(daemon_log(&d), " execve -> SCMP_ACT_ALLOW"), "log: %s", daemon_log(&d));
        cr_assert(strstr(daemon_log(&d), " write -> SCMP_ACT_ALLOW"), "log: %s", daemon_log(&d));
}

Test(e2e, unknown_policy_is_refused)
{
        struct cmd_result r;

        run_sandboxed(&d, "nope", (const char *[]){ "/bin/true", NULL }, &r);
        cr_assert_eq(r.status, 78, "stderr: %s", r.err);
        cr_assert(strstr(r.err, "unknown policy \"nope\""), "stderr: %s", r.err);
}

Test(e2e, exit_status_is_the_commands)
{
        struct cmd_result r;

        run_sandboxed(&d, "demo", (const char *[]){ "/bin/sh", "-c", "exit 7", NULL }, &r);
        cr_assert_eq(r.status, 7, "stderr: %s", r.err);
        run_sandboxed(&d, "demo", (const char *[]){ "/bin/sh", "-c", "kill -TERM $$", NULL }, &r);
        cr_assert_eq(r.status, 128 + SIGTERM, "stderr: %s", r.err);
}

Test(e2e, listeners_are_freed_on_hangup)
{
        int baseline = count_fds(d.pid);
        struct cmd_result r;

        for (int i = 0; i < 20; i++) {
                run_sandboxed(&d, "demo", (const char *[]){ PROBE, "uname", NULL }, &r);
                cr_assert_eq(r.status, 0, "run %d: %s", i, r.err);
        }
        cr_assert_eq(wait_fd_count(d.pid, baseline, 5000), baseline,
                     "daemon fds leaked (%d before):\n%s", baseline, fd_list(d.pid));
}
