/* What the open handler learns of a task between calls (its root is the
 * daemon's own or not, the credentials it runs with) must never outlive
 * the state it was taken from: a task that chroots, changes its cwd or its
 * effective uid between opens is resolved with its new state on the very
 * next call, and one that unshares its mount namespace (the same root
 * directory, its own mounts) in its namespace. unotify-htarget "flip"
 * makes those changes in a loop and
 * checks every open (the file's content or the errno), in one task and in
 * several at once, sharing the daemon's workers. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define HTARGET BIN("tests/unotify-htarget")
#define ROUNDS 300
#define OPENS_PER_ROUND 10 /* htarget_flip.c: flip_round() */

static struct test_daemon d;
static char t[128];
static const char policy[] =
        "{\"name\":\"o\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
        "{\"names\":[\"open\",\"openat\"],\"notify\":true,\"action\":\"UNOTIFY_ACT_EMULATE\","
        "\"handler\":\"open\"}]}";

static void file_in(const char *name, const char *content, mode_t mode)
{
        char p[300];

        snprintf(p, sizeof(p), "%s/%s", t, name);
        write_file(p, content);
        cr_assert_eq(chmod(p, mode), 0);
}

static void setup(void)
{
        char p[300];

        strcpy(t, "/tmp/unotify-cache.XXXXXX");
        cr_assert_not_null(mkdtemp(t));
        chmod(t, 0755);
        snprintf(p, sizeof(p), "%s/a", t);
        cr_assert_eq(mkdir(p, 0755), 0);
        snprintf(p, sizeof(p), "%s/b", t);
        cr_assert_eq(mkdir(p, 0755), 0);
        file_in("a/f", "A\n", 0644);
        file_in("b/f", "B\n", 0644);
        file_in("root-only", "ROOT\n", 0600);
        {
                const struct test_policy policies[] = { { "o.json", policy }, {} };

                daemon_start(&d, policies, false);
        }
}

static void teardown(void)
{
        char cmd[300];

        daemon_stop(&d);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t);
        if (strncmp(t, "/tmp/unotify-cache.", 19) == 0)
                (void)!system(cmd);
}

TestSuite(cache_races, .init = setup, .fini = teardown, .timeout = 240);

static void flip(struct cmd_result *r)
{
        char rounds[16];
        const char *argv[] = { HTARGET, d.socket, "o", "flip", rounds, t, NULL };

        snprintf(rounds, sizeof(rounds), "%d", ROUNDS);
        run_cmd(argv, 200000, r);
}

Test(cache_races, chroot_cwd_and_setuid_take_effect_on_the_next_call)
{
        struct cmd_result r;
        char want[64];

        flip(&r);
        snprintf(want, sizeof(want), "flip: %d ok\n", ROUNDS * OPENS_PER_ROUND + 1);
        cr_assert_eq(r.status, 0, "status %d, stderr %s", r.status, r.err);
        cr_assert_str_eq(r.out, want, "%sstderr %s\nlog:\n%s", r.out, r.err, daemon_log(&d));
}

/* Four such tasks at once: the workers serve them interleaved, each call
 * with the state of its own task. */
Test(cache_races, interleaved_tasks_each_get_their_own_state)
{
        enum { TASKS = 4 };
        pid_t pids[TASKS];
        char want[64];

        snprintf(want, sizeof(want), "flip: %d ok\n", ROUNDS * OPENS_PER_ROUND + 1);
        for (int i = 0; i < TASKS; i++) {
                pids[i] = fork();
                cr_assert_geq(pids[i], 0);
                if (pids[i] == 0) {
                        static struct cmd_result r;

                        flip(&r);
                        _exit(r.status == 0 && strcmp(r.out, want) == 0
                                      ? 0
                                      : (printf("%s%s", r.out, r.err), 1));
                }
        }
        for (int i = 0; i < TASKS; i++) {
                int status;

                cr_assert_eq(waitpid(pids[i], &status, 0), pids[i]);
                cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "task %d: status %d\n%s",
                          i, status, daemon_log(&d));
        }
}
