/* The full policy language end to end: the daemon carries out each action
 * on real targets, selects policies by what runtimes send, and reads
 * target memory safely for path rules. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "rawclient.h"

#define LANG_POLICY                                                                          \
        "{\"name\":\"lang\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["             \
        "{\"names\":[\"getppid\"],\"notify\":true,\"action\":\"UNOTIFY_ACT_RETURN\","        \
        "\"returnValue\":4242},"                                                             \
        "{\"names\":[\"uname\"],\"notify\":true,\"action\":\"SCMP_ACT_LOG\"},"               \
        "{\"names\":[\"umask\"],\"notify\":true,\"action\":\"SCMP_ACT_KILL_PROCESS\"},"      \
        "{\"names\":[\"mkdir\"],\"notify\":true,\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":" \
        "\"EACCES\","                                                                        \
        "\"paths\":[{\"index\":0,\"prefix\":\"/tmp/unotify-test-denied\"}]},"                \
        "{\"names\":[\"mkdir\"],\"notify\":true,\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":" \
        "\"EPERM\"}]}"

/* Chosen by annotation only: no "policy=" in the metadata. */
#define POD_POLICY                                                                               \
        "{\"name\":\"pod\",\"select\":{\"annotations\":{\"io.kubernetes.pod.name\":\"web-*\"}}," \
        "\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["                                    \
        "{\"names\":[\"mkdir\"],\"notify\":true,\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":"     \
        "\"EROFS\"}]}"

static const struct test_policy policies[] = {
        { "lang.json", LANG_POLICY },
        { "pod.json", POD_POLICY },
        {},
};

static struct test_daemon d;

static void setup(void)
{
        daemon_start(&d, policies, false);
}

static void teardown(void)
{
        daemon_stop(&d);
}

TestSuite(language, .init = setup, .fini = teardown, .timeout = 60);

Test(language, return_value_without_running_the_syscall)
{
        struct cmd_result r;

        run_sandboxed(&d, "lang", (const char *[]){ PROBE, "getppid", NULL }, &r);
        cr_assert_eq(r.status, 0, "%s", r.err);
        cr_assert_str_eq(r.out, "getppid: 4242\n");
}

Test(language, log_allows_and_records)
{
        struct cmd_result r;

        run_sandboxed(&d, "lang", (const char *[]){ PROBE, "uname", NULL }, &r);
        cr_assert_str_eq(r.out, "uname: Linux\n", "%s", r.err);
        cr_assert(strstr(daemon_log(&d), " uname -> SCMP_ACT_LOG (lang /syscalls/1)"), "%s",
                  daemon_log(&d));
}

Test(language, kill_process_kills_and_the_daemon_serves_on)
{
        struct cmd_result r;

        run_sandboxed(&d, "lang", (const char *[]){ PROBE, "umask", "022", NULL }, &r);
        cr_assert_eq(r.status, 128 + SIGKILL, "status %d: %s %s", r.status, r.out, r.err);
        cr_assert_str_eq(r.out, "", "the call must not have returned");
        run_sandboxed(&d, "lang", (const char *[]){ PROBE, "getppid", NULL }, &r);
        cr_assert_str_eq(r.out, "getppid: 4242\n");
}

Test(language, path_rules_read_target_memory)
{
        struct cmd_result r;

        run_sandboxed(&d, "lang",
                      (const char *[]){ PROBE, "mkdir", "/tmp/unotify-test-denied/x", NULL }, &r);
        cr_assert_str_eq(r.out, "mkdir: EACCES\n", "%s", r.err);
        run_sandboxed(&d, "lang",
                      (const char *[]){ PROBE, "mkdir", "/tmp/unotify-test-other", NULL }, &r);
        cr_assert_str_eq(r.out, "mkdir: EPERM\n", "the next rule decides: %s", r.err);
}

Test(language, hostile_pointers_get_efault_and_the_daemon_serves_on)
{
        static const char *const bad[] = { "0", "1", "ffffffffff600000", "ffff888000000000",
                                           "7ffffffff000" };
        struct cmd_result r;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                run_sandboxed(&d, "lang", (const char *[]){ PROBE, "mkdir-at", bad[i], NULL }, &r);
                cr_assert_str_eq(r.out, "mkdir: EFAULT\n", "pointer %s: %s", bad[i], r.err);
        }
        run_sandboxed(&d, "lang", (const char *[]){ PROBE, "getppid", NULL }, &r);
        cr_assert_str_eq(r.out, "getppid: 4242\n");
}

Test(language, selection_by_annotation)
{
        const char *state =
                "{\"ociVersion\":\"1.0.2\",\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{"
                "\"ociVersion\":"
                "\"1.0.2\",\"id\":\"c1\",\"status\":\"creating\",\"bundle\":\"/\",\"annotations\":"
                "{\"io.kubernetes.pod.name\":\"web-7d9\"}}}";
        char path[400];

        snprintf(path, sizeof(path), "%s/x", d.dir);
        cr_assert_str_eq(
                filtered_child_handoff_state(d.socket, state, path),
                "handoff reply={\"ok\":true,\"policy\":\"pod\",\"listener\":1}\nmkdir=Read-only "
                "file system\n");
}

/* The admin's workflow: -t reports every error with its place and exits
 * 78; --strict makes warnings fatal; -T prints the effective policies. */
Test(admin, test_config_and_dump, .timeout = 30)
{
        char dir[] = "/tmp/unotify-admin.XXXXXX", path[256];
        struct cmd_result r;

        cr_assert_not_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/a.json", dir);
        write_file(path,
                   "{\"name\":\"a\",\n \"defaultAction\":\"SCMP_ACT_ALLOW\",\n \"syscalls\":[,]}");
        snprintf(path, sizeof(path), "%s/b.json", dir);
        write_file(path, "{\"name\":\"b\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
                         "[{\"names\":[\"mkdir\"],\"notify\":true,\"action\":\"SCMP_ACT_ERRNO\","
                         "\"errnoRet\":\"EPREM\"}]}");
        run_cmd((const char *[]){ UNOTIFYD, "-t", "--policy-dir", dir, NULL }, 10000, &r);
        cr_assert_eq(r.status, 78);
        cr_assert(strstr(r.err, "/a.json:3:14: unexpected token near ','"), "%s", r.err);
        cr_assert(strstr(r.err, "/b.json: /syscalls/0/errnoRet: unknown errno name \"EPREM\""),
                  "%s", r.err);

        /* A warning loads, unless --strict. */
        unlink(path);
        snprintf(path, sizeof(path), "%s/a.json", dir);
        write_file(path,
                   "{\"name\":\"a\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
                   "[{\"names\":[\"write\"],\"notify\":true,\"action\":\"SCMP_ACT_ALLOW\"}]}");
        run_cmd((const char *[]){ UNOTIFYD, "-t", "--policy-dir", dir, NULL }, 10000, &r);
        cr_assert_eq(r.status, 0, "%s", r.err);
        cr_assert(strstr(r.err, "warning"), "%s", r.err);
        run_cmd((const char *[]){ UNOTIFYD, "-t", "--strict", "--policy-dir", dir, NULL }, 10000,
                &r);
        cr_assert_eq(r.status, 78, "%s", r.err);

        run_cmd((const char *[]){ UNOTIFYD, "-T", "--policy-dir", dir, NULL }, 10000, &r);
        cr_assert_eq(r.status, 0, "%s", r.err);
        cr_assert(strstr(r.out, "\"name\": \"a\""), "%s", r.out);
        cr_assert(strstr(r.out, "\"SCMP_ARCH_X86_64\""), "%s", r.out);
        unlink(path);
        rmdir(dir);
}
