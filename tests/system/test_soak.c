/* A bounded soak (UNOTIFY_SOAK_SECONDS, default 60): short-lived sandboxes
 * three at a time, and runc and crun containers one of each at a time
 * (soak_ctr.h), each making denied, continued, fixed-return and
 * emulated calls (opens, and creations whose side effect is counted), some
 * under a storm of restarting signals, some killed mid-run, some killed by
 * the policy; among them targets with their own filter, with and without
 * WAIT_KILLABLE_RECV, making emulated mknods of FIFOs under a signal storm;
 * policy reloads every second, a re-exec upgrade a quarter of the way in
 * and a restart through the fd store half way, both with sandboxes and
 * containers mid-call (the daemon runs under service.h's fake manager,
 * its sockets passed in LISTEN_FDS, so a handoff waits in the backlog).
 * At the end every notification ended in exactly one counter, each
 * finished sandbox's files and nodes are exactly the ones it says it made
 * (no creation done twice, no denied mkdir done), a last batch of plain
 * sandboxes and containers made exactly as many notifications as the test
 * counts, and the daemon's fds and RSS are back where they were just
 * after the restart. Without runc or crun (or with
 * UNOTIFY_SOAK_NO_CONTAINERS set) the rest runs and the test is reported
 * skipped, saying why. The other actions and handlers: soak_mix.h; the
 * listener lifecycles: soak_lifecycles.c. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "service.h"
#include "soak_ctr.h"
#include "soak_mix.h"
#include "unotify/unotify.h"

#define FAIRLOAD BIN("tests/unotify-fairload")
#define HTARGET BIN("tests/unotify-htarget")
#define HAMMER "200" /* mknods per hammer job */
#define SLOTS 3
#define ROUNDS "30"
/* Notified calls of one round of `fairload soak` (docs/security.md). */
#define CALLS_PER_ROUND 5
#define CLEAN_JOBS 3

static struct svc s;           /* the soak's daemon, under a fake service manager */
static struct test_daemon *dm; /* s.d */
static int socks[2] = { -1, -1 };
static const char *const socket_names[] = { "handoff", "control" };
static struct soak_ctr ctrs[2];
static struct soak_mix mix; /* the other actions and handlers */
static const char *const runtimes[] = { "runc", "crun" };
static bool clean_phase; /* jobs without storms or kills */
static char t[64];

static const char policy[] =
        "{\"name\":\"soak\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
        "{\"names\":[\"mkdir\",\"mkdirat\"],\"notify\":true,\"action\":\"SCMP_ACT_ERRNO\","
        "\"errnoRet\":\"EPERM\"},"
        "{\"names\":[\"getuid\"],\"notify\":true,\"action\":\"SCMP_ACT_ALLOW\"},"
        "{\"names\":[\"getppid\"],\"action\":\"UNOTIFY_ACT_RETURN\",\"returnValue\":4242},"
        "{\"names\":[\"uname\"],\"notify\":true,\"action\":\"SCMP_ACT_KILL_PROCESS\"},"
        "{\"names\":[\"mknod\",\"mknodat\"],\"action\":\"UNOTIFY_ACT_EMULATE\",\"handler\":"
        "\"mknod\"},"
        "{\"names\":[\"openat\"],\"notify\":true,\"action\":\"UNOTIFY_ACT_EMULATE\",\"handler\":"
        "\"open\"}]}";

struct job {
        pid_t pid; /* 0: free slot */
        int out;
        char dir[128];
        char buf[512];
        size_t len;
        long long kill_at_ms; /* 0: runs to its end */
        bool storm, killed;
        bool killme; /* the policy kills it at its last call */
        int hammer;  /* 0: fairload; 1: htarget hammer with WAIT_KILLABLE_RECV, 2: without */
};

struct tally {
        unsigned started, finished, killed, storms, made, eexist;
        unsigned finished_before_baseline;
        unsigned policy_kills, hammers[3], nodes, node_eexist;
};

static long long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000;
}

static void make_dir(void)
{
        char p[128];

        strcpy(t, "/tmp/unotify-soak.XXXXXX");
        cr_assert_not_null(mkdtemp(t));
        chmod(t, 0755);
        snprintf(p, sizeof(p), "%s/data", t);
        write_file(p, "DATA\n");
}

static void remove_dir(void)
{
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t);
        if (strncmp(t, "/tmp/unotify-soak.", 18) == 0)
                (void)!system(cmd);
}

/* Socket activation: the handoff and control sockets are ours, so they
 * outlive each daemon process as systemd's would. */
static void soak_setup(void)
{
        struct test_policy policies[6] = { { "soak.json", policy },
                                           soak_ctr_policy,
                                           soak_ctr_kill_policy };

        make_dir();
        soak_mix_policies(t, &policies[3]);
        svc_prepare(&s, policies);
        s.quiet = true;
        socks[0] = svc_listen(s.d.socket);
        socks[1] = svc_listen(s.d.control);
        svc_exec(&s, socks, socket_names, 2, NULL);
        svc_wait_message(&s, "READY=1", 10000);
        dm = &s.d;
        soak_ctr_init(&ctrs[0], "runc", dm);
        soak_ctr_init(&ctrs[1], "crun", dm);
        soak_mix_init(&mix, t, dm);
}

static void soak_teardown(void)
{
        static bool done;

        if (done)
                return;
        done = true;
        soak_mix_kill(&mix);
        for (int i = 0; i < 2; i++)
                soak_ctr_cleanup(&ctrs[i]);
        if (s.d.pid > 0)
                svc_stop(&s, SIGTERM);
        close(socks[0]);
        close(socks[1]);
        svc_cleanup(&s);
        remove_dir();
}

TestSuite(soak, .timeout = 600);

static void job_start(struct job *j, unsigned n, struct tally *tl)
{
        int out[2];

        snprintf(j->dir, sizeof(j->dir), "%s/j%u", t, n);
        cr_assert_eq(mkdir(j->dir, 0777), 0);
        cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
        fcntl(out[0], F_SETFL, O_NONBLOCK);
        j->hammer = !clean_phase && n % 5 == 2 ? 1 + (int)(n / 5) % 2 : 0;
        j->storm = !clean_phase && !j->hammer && n % 3 == 1;
        j->kill_at_ms = !clean_phase && !j->hammer && n % 6 == 5 ? now_ms() + 5 + n % 25 : 0;
        j->killme = !clean_phase && !j->hammer && !j->kill_at_ms && n % 7 == 3;
        j->len = 0;
        j->killed = false;
        j->pid = fork();
        cr_assert_geq(j->pid, 0);
        if (j->pid == 0) {
                setpgid(0, 0);
                dup2(out[1], STDOUT_FILENO);
                if (j->storm)
                        setenv("STORM", "1", 1);
                if (j->killme)
                        setenv("KILLME", "1", 1);
                if (j->hammer) {
                        /* Its signal count too, after the result line. */
                        dup2(out[1], STDERR_FILENO);
                        const char *argv[] = { HTARGET,         dm->socket, "soak",
                                               "--no-killable", "hammer",   HAMMER,
                                               j->dir,          "mknod",    NULL };

                        if (j->hammer == 1) /* without --no-killable */
                                memmove(&argv[3], &argv[4], 5 * sizeof(argv[0]));
                        execv(HTARGET, (char **)argv);
                } else
                        execl(UNOTIFY_RUN, UNOTIFY_RUN, "--socket", dm->socket, "--policy", "soak",
                              "--", FAIRLOAD, "soak", j->dir, ROUNDS, (char *)NULL);
                _exit(127);
        }
        setpgid(j->pid, j->pid);
        close(out[1]);
        j->out = out[0];
        tl->started++;
        tl->storms += j->storm;
}

/* Every mknod answered, each node made once: on disk exactly as many
 * FIFOs as calls, whichever of them a signal interrupted and restarted. */
static void hammer_check(struct job *j, int status, struct tally *tl)
{
        unsigned ok, eexist, other;

        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: status %d: %s", j->dir,
                  status, j->buf);
        cr_assert_eq(sscanf(j->buf, "hammer: ok %u eexist %u other %u", &ok, &eexist, &other), 3,
                     "%s: %s", j->dir, j->buf);
        cr_assert_eq(other, 0, "%s: %s", j->dir, j->buf);
        cr_assert_eq(ok + eexist, (unsigned)atoi(HAMMER), "%s: %s", j->dir, j->buf);
        cr_assert_eq(count_dir_entries(j->dir, 0), (unsigned)atoi(HAMMER),
                     "%s: nodes on disk vs %s", j->dir, j->buf);
        tl->hammers[j->hammer]++;
        tl->nodes += ok;
        tl->node_eexist += eexist;
        tl->finished++;
}

/* A finished sandbox made exactly the files it says, and no directory. */
static void job_check(struct job *j, int status, struct tally *tl)
{
        int rounds, denied, opened, made, eexist, returned;

        j->buf[j->len] = '\0';
        if (j->hammer) {
                hammer_check(j, status, tl);
                return;
        }
        cr_assert_eq(count_dir_entries(j->dir, 'm'), 0, "%s: a denied mkdir was done", j->dir);
        if (j->killed) {
                tl->killed++;
                cr_assert_leq(count_dir_entries(j->dir, 'f'), 30, "%s", j->dir);
                return;
        }
        if (j->killme) {
                /* The daemon kills through a pidfd: SIGKILL (unotify-run
                 * exits 128 + 9 for it). */
                cr_assert((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) ||
                                  (WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGKILL),
                          "%s: not killed by the policy: status %d: %s", j->dir, status, j->buf);
                cr_assert_null(strstr(j->buf, "survived"), "%s: %s", j->dir, j->buf);
                tl->policy_kills++;
        } else {
                cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: status %d: %s",
                          j->dir, status, j->buf);
        }
        cr_assert_eq(sscanf(j->buf,
                            "soak: rounds %d denied %d opened %d made %d eexist %d returned %d",
                            &rounds, &denied, &opened, &made, &eexist, &returned),
                     6, "%s: %s", j->dir, j->buf);
        cr_assert_eq(denied, rounds, "%s: %s", j->dir, j->buf);
        cr_assert_eq(returned, rounds, "%s: %s", j->dir, j->buf);
        cr_assert_eq(opened, rounds, "%s: %s", j->dir, j->buf);
        /* A creation answered EEXIST was done by an earlier run of the same
         * interrupted call (outside the journal's window): once, still. */
        cr_assert_eq(made + eexist, rounds, "%s: %s", j->dir, j->buf);
        cr_assert_eq(count_dir_entries(j->dir, 'f'), (unsigned)rounds, "%s: files on disk vs %s",
                     j->dir, j->buf);
        tl->finished++;
        tl->made += (unsigned)made;
        tl->eexist += (unsigned)eexist;
}

static void job_poll(struct job *j, struct tally *tl)
{
        int status;
        ssize_t n;

        if (!j->pid)
                return;
        if (j->kill_at_ms && !j->killed && now_ms() >= j->kill_at_ms) {
                kill(-j->pid, SIGKILL);
                j->killed = true;
        }
        while ((n = read(j->out, j->buf + j->len, sizeof(j->buf) - 1 - j->len)) > 0)
                j->len += (size_t)n;
        if (waitpid(j->pid, &status, WNOHANG) != j->pid)
                return;
        kill(-j->pid, SIGKILL); /* the storm sibling of a killed one */
        while ((n = read(j->out, j->buf + j->len, sizeof(j->buf) - 1 - j->len)) > 0)
                j->len += (size_t)n;
        close(j->out);
        job_check(j, status, tl);
        j->pid = 0;
}

/* A job that does not end: where its tasks wait (a call never answered). */
static void job_stuck(const struct job *j)
{
        char cmd[512];

        snprintf(cmd, sizeof(cmd),
                 "for p in $(pgrep -g %d); do echo \"$p $(tr '\\0' ' ' </proc/$p/cmdline): $(cat "
                 "/proc/$p/syscall)\"; "
                 "for t in /proc/$p/task/*; do echo \"  $t: $(cat $t/syscall) $(cat $t/wchan)\"; "
                 "done; done >&2",
                 (int)j->pid);
        (void)!system(cmd);
        fprintf(stderr, "soak: daemon log:\n%s\n", daemon_log(dm));
        cr_assert_fail("%s (pid %d) did not end within 60 s: %.*s", j->dir, (int)j->pid,
                       (int)j->len, j->buf);
}

static void drain(struct job *jobs, struct tally *tl)
{
        long long until = now_ms() + 60000;

        for (bool busy = true; busy;) {
                busy = false;
                for (int i = 0; i < SLOTS; i++) {
                        job_poll(&jobs[i], tl);
                        busy |= jobs[i].pid != 0;
                        if (jobs[i].pid && now_ms() > until)
                                job_stuck(&jobs[i]);
                }
                if (busy)
                        poll(NULL, 0, 2);
        }
}

/* SIGUSR2, until the new binary serves (its second "serving" line). */
static void upgrade(void)
{
        long long before = daemon_log_count(dm, 0, "serving ");

        cr_assert_eq(kill(dm->pid, SIGUSR2), 0);
        for (int i = 0; i < 1000 && daemon_log_count(dm, 0, "serving ") == before; i++)
                poll(NULL, 0, 10);
        cr_assert(strstr(daemon_log(dm), "upgrade: exec "), "no upgrade: %s", daemon_log(dm));
        cr_assert_gt(daemon_log_count(dm, 0, "serving "), before, "the new binary does not serve");
}

/* received + replayed = answered + gone before SEND + stale, where
 * replayed are the notifications the previous process received and this
 * one answered from the in-flight journal (a restart's). */
static void assert_counters_add_up(long long replayed, long long *ret_received)
{
        long long received = 0, ended = 0;

        for (int i = 0; i < 500; i++) {
                received = daemon_stat(dm, "notifications_received");
                ended = daemon_stat(dm, "notifications_answered") +
                        daemon_stat(dm, "gone_before_send") + daemon_stat(dm, "stale_dropped");
                if (received + replayed == ended)
                        break;
                poll(NULL, 0, 10);
        }
        if (received + replayed != ended) {
                const char *log = daemon_log(dm);

                for (const char *w = log; (w = strstr(w, "warning")); w++)
                        fprintf(stderr, "soak: %.200s\n", w);
        }
        cr_assert_eq(
                received + replayed, ended,
                "received %lld + %lld from the journal, answered + gone before SEND + stale %lld",
                received, replayed, ended);
        *ret_received = received;
}

/* One turn of the loop: collect finished jobs and containers, start new
 * ones, read the manager's messages (keeping the fd store current). */
static void poll_all(struct job *jobs, struct tally *tl, bool start)
{
        for (int i = 0; i < SLOTS; i++) {
                job_poll(&jobs[i], tl);
                if (!jobs[i].pid && start)
                        job_start(&jobs[i], tl->started, tl);
        }
        for (int i = 0; i < 2; i++)
                soak_ctr_poll(&ctrs[i], start);
        soak_mix_poll(&mix, start);
        svc_drain_messages(&s);
        s.messages_len = 0;
}

static void drain_all(struct job *jobs, struct tally *tl)
{
        drain(jobs, tl);
        for (int i = 0; i < 2; i++)
                soak_ctr_drain(&ctrs[i]);
        soak_mix_drain(&mix);
}

/* SIGTERM and a new process given the fd store, once every container
 * has had its first mkdir answered (its second comes after the restart)
 * and with the sandboxes mid-run. Returns the containers caught so. */
static unsigned restart(struct job *jobs, struct tally *tl)
{
        long long until = now_ms() + 10000;
        unsigned mid = 0;

        for (bool all = false; !all && now_ms() < until; poll(NULL, 0, 1)) {
                poll_all(jobs, tl, true);
                all = true;
                for (int i = 0; i < 2; i++)
                        all &= ctrs[i].missing || soak_ctr_mid_run(&ctrs[i]);
        }
        for (int i = 0; i < 2; i++)
                mid += !ctrs[i].missing && soak_ctr_mid_run(&ctrs[i]);
        svc_stop(&s, SIGTERM);
        s.messages_len = 0;
        svc_exec(&s, socks, socket_names, 2, NULL);
        svc_wait_message(&s, "READY=1", 10000);
        return mid;
}

/* Plain sandboxes and one run of each container, alone: the daemon's
 * count of notifications must be exactly the test's. Returns it. */
static long long clean_batch(struct job *jobs, struct tally *tl, long long replayed)
{
        long long before, after, calls = 0;
        unsigned runs[2] = { ctrs[0].runs, ctrs[1].runs };

        assert_counters_add_up(replayed, &before);
        clean_phase = ctrs[0].clean = ctrs[1].clean = true;
        for (int i = 0; i < CLEAN_JOBS; i++)
                job_start(&jobs[i], tl->started, tl);
        for (int i = 0; i < 2; i++)
                soak_ctr_poll(&ctrs[i], true);
        drain_all(jobs, tl);
        clean_phase = false;
        calls = soak_mix_clean(&mix);
        assert_counters_add_up(replayed, &after);
        calls += CLEAN_JOBS * atoll(ROUNDS) * CALLS_PER_ROUND;
        for (int i = 0; i < 2; i++)
                calls += (long long)(ctrs[i].runs - runs[i]) * SOAK_CTR_CALLS;
        cr_assert_eq(after - before, calls,
                     "the last batch: %lld notifications, the test counts %lld calls",
                     after - before, calls);
        return calls;
}

/* A day: UNOTIFY_SOAK_SECONDS bounds it (ctest's TIMEOUT in CI). */
Test(soak, counters_add_up_and_nothing_leaks, .init = soak_setup, .fini = soak_teardown,
     .timeout = 86400)
{
        const char *env = getenv("UNOTIFY_SOAK_SECONDS");
        long long seconds = env ? atoll(env) : 60, start = now_ms(), end = start + seconds * 1000;
        long long next_reload = start + 1000, upgrade_at = start + seconds * 250;
        long long restart_at = start + seconds * 500, received, replayed, exact;
        struct job jobs[SLOTS] = {};
        struct tally tl = {};
        int base_fds = -1, fds;
        long base_rss = -1, rss, restart_log = 0;
        unsigned reloads = 0, ctr_mid = 0, runs_at_restart[2] = { 0, 0 };
        bool upgraded = false;

        while (now_ms() < end) {
                if (!upgraded && now_ms() >= upgrade_at) {
                        soak_mix_fifo_start(&mix);
                        upgrade(); /* with everything running */
                        soak_mix_fifo_finish(&mix);
                        upgraded = true;
                }
                if (base_fds < 0 && now_ms() >= restart_at) {
                        restart_log = daemon_log_size(dm);
                        runs_at_restart[0] = ctrs[0].runs, runs_at_restart[1] = ctrs[1].runs;
                        soak_mix_fifo_start(&mix);
                        ctr_mid = restart(jobs, &tl);
                        soak_mix_fifo_finish(&mix);
                        /* The baseline: the new process, warm, with nothing left. */
                        drain_all(jobs, &tl);
                        tl.finished_before_baseline = tl.finished;
                        poll(NULL, 0, 200);
                        /* Containers and mixed jobs go on beside it: their
                         * listeners are not the baseline's (none is left
                         * at the end, where every fd is counted). */
                        base_fds = settled_fd_count_beside_listeners(dm->pid);
                        base_rss = process_rss_kib(dm->pid);
                }
                if (now_ms() >= next_reload) {
                        cr_assert_eq(kill(dm->pid, SIGHUP), 0);
                        reloads++;
                        next_reload += 1000;
                }
                poll_all(jobs, &tl, true);
                poll(NULL, 0, 1);
        }
        drain_all(jobs, &tl);
        cr_assert(upgraded && base_fds >= 0, "the soak ended before its restart");
        /* Each container caught mid-run then finished its run as it should
         * (soak_ctr_drain asserted its output). */
        cr_assert_eq(ctr_mid, (unsigned)!ctrs[0].missing + !ctrs[1].missing,
                     "a container not mid-run at the restart");
        for (int i = 0; i < 2; i++)
                cr_assert(ctrs[i].missing || ctrs[i].runs > runs_at_restart[i],
                          "%s: no run across the restart", runtimes[i]);
        replayed = daemon_stat(dm, "journal_answered");
        cr_assert_eq(replayed,
                     daemon_log_count(dm, restart_log, "journal: answering notification"));
        assert_counters_add_up(replayed, &received);
        /* The counters start again with the restart's new process. */
        cr_assert_geq(received, (long long)(tl.finished - tl.finished_before_baseline) * 4 * 30,
                      "fewer notifications than the sandboxes made");
        exact = clean_batch(jobs, &tl, replayed);
        assert_counters_add_up(replayed, &received);
        cr_assert_eq(daemon_stat(dm, "listeners"), 0, "listeners left behind");
        fds = wait_fd_count(dm->pid, base_fds, 5000);
        rss = process_rss_kib(dm->pid);
        printf("soak: %lld s: %u sandboxes (%u finished, %u killed mid-run, %u under a signal "
               "storm), %u reloads, "
               "1 upgrade, 1 restart through the fd store (%lld resumed listeners, %lld "
               "notifications answered "
               "from the journal, %u containers mid-run); %u runc and %u crun containers, %u and "
               "%u more killed mid-call; %lld "
               "notifications "
               "since the restart, all accounted for, the last %lld exactly the test's count; %u "
               "files made, %u "
               "creations answered EEXIST after an earlier run; %u killed by the policy; %u+%u "
               "mknod hammers "
               "with/without WAIT_KILLABLE_RECV: %u nodes made, %u answered EEXIST after an "
               "earlier run, each "
               "once on disk; daemon fds %d -> %d, RSS %ld -> %ld KiB\n",
               seconds, tl.started, tl.finished, tl.killed, tl.storms, reloads,
               daemon_log_count(dm, restart_log, "resumed with policy"), replayed, ctr_mid,
               ctrs[0].runs, ctrs[1].runs, ctrs[0].killed_mid_call, ctrs[1].killed_mid_call,
               received, exact, tl.made, tl.eexist, tl.policy_kills, tl.hammers[1], tl.hammers[2],
               tl.nodes, tl.node_eexist, base_fds, fds, base_rss, rss);
        fflush(stdout);
        cr_assert_eq(fds, base_fds, "daemon fds leaked (%d after the restart):\n%s", base_fds,
                     fd_list(dm->pid));
#ifdef __SANITIZE_ADDRESS__
        /* ASan keeps freed memory in quarantine: its RSS only grows. */
        printf("soak: RSS not compared (AddressSanitizer's quarantine)\n");
#else
        cr_assert_leq(rss, base_rss + 4096, "RSS grew by more than 4 MiB");
#endif
        printf("soak: containers under a SIGUSR1 storm from inside (trapped by their shell): "
               "%u runc (%llu traps), %u crun (%llu traps)\n",
               ctrs[0].stormed, ctrs[0].storm_traps, ctrs[1].stormed, ctrs[1].storm_traps);
        for (int i = 0; i < 2; i++)
                soak_ctr_report_flags(&ctrs[i], dm);
        for (int i = 0; i < 2; i++)
                cr_assert(ctrs[i].missing || ctrs[i].stormed > 0, "%s: no storm run",
                          ctrs[i].env.rt.name);
        soak_mix_report(&mix);
        /* The FIFO open in flight across the restart, at least. */
        cr_assert_geq(replayed, 1, "nothing answered from the journal after the restart");
        for (int i = 0; i < 2; i++)
                cr_assert(ctrs[i].missing || ctrs[i].killed_mid_call > 0,
                          "%s: none killed mid-call", runtimes[i]);
        cr_assert_gt(tl.finished, 10);
        cr_assert_gt(tl.killed, 1);
        cr_assert_gt(tl.policy_kills, 0);
        cr_assert_gt(tl.hammers[1], 0);
        cr_assert_gt(tl.hammers[2], 0);
        /* cr_skip_test ends the test without its .fini: clean up first. */
        if (ctrs[0].missing || ctrs[1].missing)
                soak_teardown();
        if (ctrs[0].missing || ctrs[1].missing)
                cr_skip_test("the rest passed; containers not in the soak: runc: %s; crun: %s",
                             ctrs[0].missing ?: "ran", ctrs[1].missing ?: "ran");
}
