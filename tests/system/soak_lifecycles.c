/* The soak's second test: 10,000 listener lifecycles
 * (UNOTIFY_SOAK_LIFECYCLES) one after another, four at a time, each a
 * filter, a handoff, one denied mkdir and an exit; the daemon's fds and
 * RSS compared before and after, and its counters. */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "rawclient.h"
#include "unotify/unotify.h"

static struct test_daemon ld;
static const struct test_daemon *dm = &ld;
static char t[64];

static const char policy[] =
        "{\"name\":\"soak\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
        "{\"names\":[\"mkdir\",\"mkdirat\"],\"notify\":true,\"action\":"
        "\"SCMP_ACT_ERRNO\",\"errnoRet\":\"EPERM\"}]}";

static long long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000;
}

static void lifecycle_setup(void)
{
        const struct test_policy policies[] = { { "soak.json", policy }, {} };

        strcpy(t, "/tmp/unotify-soak-lc.XXXXXX");
        cr_assert_not_null(mkdtemp(t));
        ld.default_log_level = true;
        daemon_start(&ld, policies, false);
}

static void lifecycle_teardown(void)
{
        daemon_stop(&ld);
        rmdir(t);
}

/* One listener's life in a forked child: filter, handoff, one denied
 * mkdir, exit. No assertion: not the test worker. */
_Noreturn static void lifecycle(const char *path)
{
        struct unotify_handoff h = { .pid = getpid(), .policy = "soak" };
        struct unotify_reply reply = {};
        int listener = raw_install_mkdir_filter();

        if (listener < 0 || unotify_handoff_send(dm->socket, listener, &h, &reply) < 0 || !reply.ok)
                _exit(2);
        close(listener);
        _exit(syscall(SYS_mkdir, path, 0700) < 0 && errno == EPERM ? 0 : 1);
}

/* n lifecycles, 4 at a time; asserts each one's mkdir got EPERM. */
static void lifecycles(unsigned n, const char *path)
{
        pid_t kids[4] = {};
        unsigned started = 0, done = 0;
        int status;

        while (done < n) {
                for (int i = 0; i < 4; i++) {
                        if (kids[i] > 0 && waitpid(kids[i], &status, 0) == kids[i]) {
                                cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                                          "lifecycle %u: status 0x%x", done, status);
                                kids[i] = 0;
                                done++;
                        }
                        if (!kids[i] && started < n) {
                                kids[i] = fork();
                                cr_assert_geq(kids[i], 0);
                                if (kids[i] == 0)
                                        lifecycle(path);
                                started++;
                        }
                }
        }
}

/* 10,000 listeners come and go (after 500 to warm up): the daemon's fds
 * are exactly what they were, its RSS within 4 MiB, and its counters add
 * up (every listener added is freed, every notification ended once). */
Test(soak, listener_lifecycles_leave_fds_and_rss_at_baseline, .init = lifecycle_setup,
     .fini = lifecycle_teardown)
{
        const char *env = getenv("UNOTIFY_SOAK_LIFECYCLES");
        unsigned n = env ? (unsigned)atoi(env) : 10000;
        long long t0, received;
        char path[128];
        int base_fds, fds;
        long base_rss, rss;

        snprintf(path, sizeof(path), "%s/never", t);
        lifecycles(500, path);
        for (int i = 0; i < 500 && daemon_stat(dm, "listeners") != 0; i++)
                poll(NULL, 0, 10);
        base_fds = settled_fd_count(dm->pid);
        base_rss = process_rss_kib(dm->pid);
        t0 = now_ms();
        lifecycles(n, path);
        for (int i = 0; i < 500 && daemon_stat(dm, "listeners") != 0; i++)
                poll(NULL, 0, 10);
        cr_assert_eq(daemon_stat(dm, "listeners"), 0, "listeners left behind");
        cr_assert_eq(daemon_stat(dm, "listeners_added"), daemon_stat(dm, "listeners_freed"));
        cr_assert_eq(daemon_stat(dm, "listeners_added"), (long long)n + 500);
        received = daemon_stat(dm, "notifications_received");
        cr_assert_eq(received, daemon_stat(dm, "notifications_answered") +
                                       daemon_stat(dm, "gone_before_send") +
                                       daemon_stat(dm, "stale_dropped"));
        /* One notified mkdir each, answered: the test's count exactly. */
        cr_assert_eq(received, (long long)n + 500);
        cr_assert_eq(daemon_stat(dm, "notifications_answered"), (long long)n + 500);
        cr_assert_eq(access(path, F_OK), -1, "a denied mkdir was done");
        fds = wait_fd_count(dm->pid, base_fds, 5000);
        rss = process_rss_kib(dm->pid);
        printf("soak: %u listener lifecycles in %lld ms: %lld added and freed, %lld notifications "
               "all accounted "
               "for; daemon fds %d -> %d, RSS %ld -> %ld KiB\n",
               n, now_ms() - t0, daemon_stat(dm, "listeners_added"), received, base_fds, fds,
               base_rss, rss);
        fflush(stdout);
        cr_assert_eq(fds, base_fds, "daemon fds leaked:\n%s", fd_list(dm->pid));
#ifndef __SANITIZE_ADDRESS__
        cr_assert_leq(rss, base_rss + 4096, "RSS grew by more than 4 MiB");
#endif
}
