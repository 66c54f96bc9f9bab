/* The loop's priority follows the load (daemon/notify/priority.h): nice -10 by
 * default while many threads call in, back to the priority it was started
 * with when few do; --nice N chooses, and a daemon that may not raise its
 * priority says so and serves all the same. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "policies.h"

/* Many threads: far more than the 5 distinct ones among 64 notifications
 * above which the daemon counts as busy (wakeup.h). */
#define MANY_THREADS "48"

/* Field 19 of /proc/PID/task/TID/stat. */
static int nice_of(pid_t pid, const char *tid)
{
        char path[320], buf[1024];
        const char *after_comm;
        int nice;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", (int)pid, tid);
        f = fopen(path, "re");
        cr_assert_not_null(f, "%s: %s", path, strerror(errno));
        cr_assert_not_null(fgets(buf, sizeof(buf), f));
        fclose(f);
        /* After "(comm) ": state ppid pgrp session tty tpgid flags minflt
         * cminflt majflt cmajflt utime stime cutime cstime priority nice. */
        after_comm = strrchr(buf, ')');
        cr_assert_not_null(after_comm, "%s", buf);
        cr_assert_eq(sscanf(after_comm + 2,
                            "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %d",
                            &nice),
                     1, "%s", buf);
        return nice;
}

/* The loop is the main thread. */
static int loop_nice(const struct test_daemon *d)
{
        char tid[32];

        snprintf(tid, sizeof(tid), "%d", (int)d->pid);
        return nice_of(d->pid, tid);
}

/* Every other thread (the workers) runs at `want`; there is at least one. */
static void expect_workers_at(const struct test_daemon *d, int want)
{
        char dir[64];
        int workers = 0;
        struct dirent *de;
        DIR *tasks;

        snprintf(dir, sizeof(dir), "/proc/%d/task", (int)d->pid);
        tasks = opendir(dir);
        cr_assert_not_null(tasks, "%s: %s", dir, strerror(errno));
        while ((de = readdir(tasks))) {
                if (de->d_name[0] == '.' || atoi(de->d_name) == d->pid)
                        continue;
                workers++;
                cr_expect_eq(nice_of(d->pid, de->d_name), want, "thread %s", de->d_name);
        }
        closedir(tasks);
        cr_expect_gt(workers, 0);
}

static int our_nice(void)
{
        int n;

        errno = 0;
        n = getpriority(PRIO_PROCESS, 0);
        cr_assert(n != -1 || errno == 0);
        if (n <= -10)
                cr_skip_test("the tests already run at nice %d", n);
        return n;
}

/* `threads` threads of one target, `iterations` mkdir(2) calls each, all
 * answered EPERM. */
static void calls_from(const struct test_daemon *d, const char *threads, const char *iterations)
{
        char path[400], want[64];
        struct cmd_result r;

        snprintf(path, sizeof(path), "%s/m", d->dir);
        snprintf(want, sizeof(want), "threads: ok 0 EPERM %d other 0\n",
                 atoi(threads) * atoi(iterations));
        run_sandboxed(d, "demo",
                      (const char *[]){ PROBE, "threads", threads, iterations, path, NULL }, &r);
        cr_assert_eq(r.status, 0, "stderr: %s", r.err);
        cr_assert_str_eq(r.out, want);
}

/* MANY_THREADS threads making 2000 mkdir(2) calls each, in the background. */
static pid_t burst_start(const struct test_daemon *d)
{
        char path[400];
        pid_t pid;

        snprintf(path, sizeof(path), "%s/m", d->dir);
        pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

                if (null < 0 || dup2(null, STDOUT_FILENO) < 0)
                        _exit(127);
                execl(UNOTIFY_RUN, UNOTIFY_RUN, "--socket", d->socket, "--policy", "demo", "--",
                      PROBE, "threads", MANY_THREADS, "2000", path, (char *)NULL);
                _exit(127);
        }
        return pid;
}

static void burst_finished(pid_t pid, int status)
{
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the burst %d failed: status %d",
                  (int)pid, status);
}

/* The lowest nice value the loop ran at while many threads called in:
 * polled while a burst runs, since the loop goes back as its last
 * threads finish. */
static int loop_nice_under_load(const struct test_daemon *d)
{
        pid_t pid = burst_start(d);
        int lowest = loop_nice(d), status;

        while (waitpid(pid, &status, WNOHANG) == 0) {
                int now = loop_nice(d);

                lowest = now < lowest ? now : lowest;
                usleep(1000);
        }
        burst_finished(pid, status);
        return lowest;
}

TestSuite(priority, .timeout = 60);

/* With a policy that emulates, so that the emulation workers exist (they
 * must not follow the loop's priority). */
static const struct test_policy with_workers[] = {
        { "demo.json", DEMO_POLICY },
        { "emu.json",
          "{\"name\":\"emu\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
          "[\"openat\"],\"action\":\"UNOTIFY_ACT_EMULATE\",\"handler\":\"open\"}]}" },
        {},
};

Test(priority, loop_rises_under_many_threads_and_returns_after)
{
        struct test_daemon d = { .default_log_level = true };
        int base = our_nice();

        daemon_start(&d, with_workers, false);
        calls_from(&d, "1", "100");
        cr_expect_eq(loop_nice(&d), base);
        cr_expect_eq(daemon_stat(&d, "loop_nice"), base);
        cr_expect_eq(loop_nice_under_load(&d), -10);
        expect_workers_at(&d, base);
        /* The load is decided per full window of WAKEUP_WINDOW (64)
         * notifications: the burst's last window may be part-filled, so
         * one thread's calls lower the loop only after up to 2 windows. */
        calls_from(&d, "1", "200");
        cr_expect_eq(loop_nice(&d), base);
        cr_expect_eq(daemon_stat(&d, "loop_nice"), base);
        cr_expect_geq(daemon_stat(&d, "priority_switches"), 2);
        daemon_stop(&d);
}

Test(priority, nice_option_chooses_the_busy_priority)
{
        struct test_daemon d = { .default_log_level = true, .extra_arg = "--nice=-3" };
        int base = our_nice();

        daemon_start(&d, standard_policies, false);
        cr_expect_eq(loop_nice_under_load(&d), base > -3 ? -3 : base);
        daemon_stop(&d);
}

Test(priority, nice_zero_never_raises)
{
        struct test_daemon d = { .default_log_level = true, .extra_arg = "--nice=0" };
        int base = our_nice();

        daemon_start(&d, standard_policies, false);
        cr_expect_eq(loop_nice_under_load(&d), base);
        cr_expect_eq(daemon_stat(&d, "priority_switches"), 0);
        daemon_stop(&d);
}

Test(priority, without_cap_sys_nice_the_daemon_says_so_and_serves)
{
        static const char *const no_sys_nice[] = { "setpriv", "--inh-caps=-sys_nice",
                                                   "--bounding-set=-sys_nice", NULL };
        struct test_daemon d = { .default_log_level = true, .wrapper = no_sys_nice };
        int base = our_nice();

        daemon_start(&d, standard_policies, false);
        cr_expect_eq(loop_nice_under_load(&d), base);
        cr_expect_eq(daemon_stat(&d, "priority_switches"), 0);
        cr_expect(strstr(daemon_log(&d), "cannot raise the loop's priority to nice -10"), "log: %s",
                  daemon_log(&d));
        daemon_stop(&d);
}

/* As under the shipped unit: LimitNICE=-10, no CAP_SYS_NICE. Setting the
 * limit needs CAP_SYS_RESOURCE, which some containers do not give. */
Test(priority, rlimit_nice_is_enough)
{
        static const char *const limited[] = { "prlimit",
                                               "--nice=30",
                                               "setpriv",
                                               "--inh-caps=-sys_nice",
                                               "--bounding-set=-sys_nice",
                                               NULL };
        struct test_daemon d = { .default_log_level = true, .wrapper = limited };
        int base = our_nice();
        struct cmd_result r;

        run_cmd((const char *[]){ "/usr/bin/prlimit", "--nice=30", "/bin/true", NULL }, 5000, &r);
        if (r.status != 0)
                cr_skip_test(
                        "cannot set RLIMIT_NICE here (prlimit exit %d; it needs CAP_SYS_RESOURCE)",
                        r.status);
        daemon_start(&d, standard_policies, false);
        cr_expect_eq(loop_nice_under_load(&d), -10);
        calls_from(&d, "1", "200"); /* 2 full windows, as above */
        cr_expect_eq(loop_nice(&d), base);
        daemon_stop(&d);
}

static int count_in_log(const struct test_daemon *d, const char *what)
{
        int n = 0;

        for (const char *p = daemon_log(d); (p = strstr(p, what)); p += strlen(what))
                n++;
        return n;
}

/* A re-exec takes the loop thread's nice value for the one it was started
 * with: it must not be the raised one. */
Test(priority, an_upgrade_under_load_keeps_the_started_priority)
{
        struct test_daemon d = { .default_log_level = true };
        int base = our_nice(), status;
        pid_t pid;

        daemon_start(&d, standard_policies, false);
        pid = burst_start(&d);
        for (int waited = 0; loop_nice(&d) != -10; waited++) {
                cr_assert_eq(waitpid(pid, &status, WNOHANG), 0,
                             "the burst ended before the loop rose");
                cr_assert_lt(waited, 10000, "the loop did not rise within 10 s");
                usleep(1000);
        }
        cr_assert_eq(kill(d.pid, SIGUSR2), 0);
        /* The new binary says "serving" again once it runs. */
        for (int waited = 0; count_in_log(&d, ": serving ") < 2; waited++) {
                cr_assert_lt(waited, 1000, "no upgrade within 10 s:\n%s", daemon_log(&d));
                usleep(10000);
        }
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        burst_finished(pid, status);
        calls_from(&d, "1", "200"); /* 2 full windows, as above */
        cr_expect_eq(loop_nice(&d), base);
        daemon_stop(&d);
}

Test(priority, bad_nice_values_are_usage_errors)
{
        static const char *const bad[] = { "1", "19", "-21", "ten", "", "5x" };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct cmd_result r;

                run_cmd((const char *[]){ UNOTIFYD, "--nice", bad[i], NULL }, 5000, &r);
                cr_expect_eq(r.status, 64, "--nice '%s': exit %d", bad[i], r.status);
                cr_expect(strstr(r.err, "--nice: not a nice value from -20 to 0"),
                          "--nice '%s': %s", bad[i], r.err);
        }
}
