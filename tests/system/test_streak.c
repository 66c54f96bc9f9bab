/* Streaks (daemon/notify/streak.h): while one listener keeps the daemon busy on
 * its own, the loop RECVs from it without asking epoll first, and a timer
 * signal ends a RECV that finds nothing. These tests make a listener hot,
 * let it go quiet with its filter still in use (so a RECV on it would
 * block for good), and check that everyone else is still served. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "policies.h"
#include "sandbox.h"

static struct test_daemon d;

static void setup(void)
{
        daemon_start(&d, standard_policies, false);
}

static void teardown(void)
{
        daemon_stop(&d);
}

TestSuite(streak, .init = setup, .fini = teardown, .timeout = 60);

static void path_in(char *buf, size_t size, const char *name)
{
        snprintf(buf, size, "%s/%s", d.dir, name);
}

/* Until the counter is at least want, for at most timeout_ms. */
static long long wait_stat(const char *name, long long want, int timeout_ms)
{
        long long n = 0;

        for (int i = 0; i <= timeout_ms / 50 && (n = daemon_stat(&d, name)) < want; i++)
                usleep(50 * 1000);
        return n;
}

/* Bursts of calls from the hot task until one ends with the loop waiting
 * in a streak's RECV (the task then sits on its stdin with its filter in
 * use, so only the timer ends that RECV). Whether the last calls of a
 * burst fall in a streak depends on timing, hence several tries. Returns
 * the bursts it took. */
static int burst_until_a_streak_waits(struct sandbox *hot)
{
        long long waits = daemon_stat(&d, "streak_waits");

        for (int i = 1; i <= 20; i++) {
                cr_assert_str_eq(sandbox_mkdir_burst(hot, 1000), "EPERM");
                if (wait_stat("streak_waits", waits + 1, 300) > waits)
                        return i;
        }
        cr_assert_fail("20 bursts of 1000 calls and no streak waited in RECV");
        return 0;
}

Test(streak, a_hot_listener_gone_quiet_holds_nobody)
{
        struct sandbox hot, other;
        char path[320];
        long long streaks;
        int bursts;

        path_in(path, sizeof(path), "denied");
        sandbox_start_run(&hot, d.socket, "demo", path);
        sandbox_start_run(&other, d.socket, "demo", path);
        bursts = burst_until_a_streak_waits(&hot);
        streaks = daemon_stat(&d, "streaks");
        cr_assert_gt(streaks, 0);
        /* The other listener, the control socket (daemon_stat) and the hot
         * one again are all served. */
        for (int i = 0; i < 3; i++) {
                cr_assert_str_eq(sandbox_mkdir(&other), "EPERM");
                cr_assert_str_eq(sandbox_mkdir_burst(&hot, 500), "EPERM");
        }
        cr_assert_gt(daemon_stat(&d, "streaks"), streaks);
        cr_assert_geq(daemon_stat(&d, "notifications_answered"), bursts * 1000 + 3 * 500 + 3);
        cr_assert_eq(daemon_stat(&d, "notifications_answered"),
                     daemon_stat(&d, "notifications_received"),
                     "every notification answered, none lost in a streak");
        sandbox_stop(&hot);
        sandbox_stop(&other);
}

/* SIGTERM while the loop may sit in a streak's RECV: the daemon still
 * answers what is pending and exits (daemon_stop asserts status 0). */
Test(streak, sigterm_ends_a_quiet_streak)
{
        struct sandbox hot;
        char path[320];

        path_in(path, sizeof(path), "denied");
        sandbox_start_run(&hot, d.socket, "demo", path);
        burst_until_a_streak_waits(&hot);
        daemon_stop(&d);
        sandbox_stop(&hot);
}

/* The same under valgrind: the timer, its signal and the interrupted RECV
 * leave no error and no leak (--error-exitcode, checked by daemon_stop). */
Test(streak_valgrind, a_quiet_streak_under_valgrind, .fini = teardown, .timeout = 120)
{
        struct sandbox hot;
        char path[320];

        skip_unless_valgrind_runs();
        daemon_start(&d, standard_policies, true);
        path_in(path, sizeof(path), "denied");
        sandbox_start_run(&hot, d.socket, "demo", path);
        burst_until_a_streak_waits(&hot);
        cr_assert_str_eq(sandbox_mkdir(&hot), "EPERM");
        sandbox_stop(&hot);
}
