/* The emulation workers: no thread until a loaded policy emulates
 * something, then --limit workers=N of them. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "policies.h"

#define EMULATE_POLICY                                                                     \
        "{\"name\":\"emu\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["            \
        "{\"names\":[\"open\",\"openat\"],\"action\":\"UNOTIFY_ACT_EMULATE\",\"handler\":" \
        "\"open\"}]}"

static const struct test_policy demo_only[] = { { "demo.json", DEMO_POLICY }, {} };
static const struct test_policy with_emulate[] = { { "demo.json", DEMO_POLICY },
                                                   { "emu.json", EMULATE_POLICY },
                                                   {} };

static struct test_daemon d;

static int threads_of(pid_t pid)
{
        char path[64], line[256];
        int n = -1;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        f = fopen(path, "re");
        cr_assert_not_null(f);
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "Threads: %d", &n) == 1)
                        break;
        fclose(f);
        return n;
}

/* An emulated open: cat's file comes from the daemon. */
static void assert_emulated_cat(void)
{
        char path[400];
        struct cmd_result r;

        snprintf(path, sizeof(path), "%s/emu.json", d.policy_dir);
        run_sandboxed(&d, "emu", (const char *[]){ "/bin/cat", path, NULL }, &r);
        cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
        cr_assert(strstr(r.out, "\"emu\""), "%s", r.out);
        cr_assert(strstr(daemon_log(&d), "UNOTIFY_ACT_EMULATE open: fd"), "%s", daemon_log(&d));
}

Test(workers, none_until_a_policy_emulates, .timeout = 60)
{
        const char *reload[] = { UNOTIFYCTL, "reload", "--socket", d.control, NULL };
        struct cmd_result r;
        char path[400];

        daemon_start(&d, demo_only, false);
        run_sandboxed(&d, "demo",
                      (const char *[]){ PROBE, "mkdir", "/tmp/unotify-workers-x", NULL }, &r);
        cr_assert_str_eq(r.out, "mkdir: EPERM\n", "%s%s", r.out, r.err);
        cr_assert_eq(threads_of(d.pid), 1,
                     "a daemon whose policies emulate nothing runs one thread");

        snprintf(path, sizeof(path), "%s/emu.json", d.policy_dir);
        write_file(path, EMULATE_POLICY);
        run_cmd(reload, 10000, &r);
        cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
        cr_assert_eq(threads_of(d.pid), 1 + 4,
                     "the reload that brings an emulating policy starts 4 workers");
        assert_emulated_cat();
        daemon_stop(&d);
}

Test(workers, their_number_is_the_limit, .timeout = 60)
{
        d = (struct test_daemon){ .extra_arg = "--limit=workers=2" };
        daemon_start(&d, with_emulate, false);
        cr_assert_eq(threads_of(d.pid), 1 + 2);
        assert_emulated_cat();
        daemon_stop(&d);
}
