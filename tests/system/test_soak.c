/* A bounded soak (UNOTIFY_SOAK_SECONDS, default 60): short-lived sandboxes
 * three at a time, each making denied, continued, fixed-return and
 * emulated calls (opens, and creations whose side effect is counted), some
 * under a storm of restarting signals, some killed mid-run, some killed by
 * the policy; among them targets with their own filter, with and without
 * WAIT_KILLABLE_RECV, making emulated mknods of FIFOs under a signal storm;
 * policy reloads every second and a re-exec upgrade a quarter of the way
 * in. At the end every notification ended in exactly one counter, each
 * finished sandbox's files and nodes are exactly the ones it says it made
 * (no creation done twice, no denied mkdir done), and the daemon's fds and
 * RSS are back where they were after the upgrade. A second test runs
 * 10,000 listener lifecycles (UNOTIFY_SOAK_LIFECYCLES) and compares the
 * daemon's fds and RSS before and after. */
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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "rawclient.h"
#include "unotify/unotify.h"

#define FAIRLOAD BIN("tests/unotify-fairload")
#define HTARGET BIN("tests/unotify-htarget")
#define HAMMER "200" /* mknods per hammer job */
#define SLOTS 3
#define ROUNDS "30"

static struct test_daemon d;
static char t[64];

static const char policy[] =
        "{\"name\":\"soak\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
        "{\"names\":[\"mkdir\",\"mkdirat\"],\"notify\":true,\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":\"EPERM\"},"
        "{\"names\":[\"getuid\"],\"notify\":true,\"action\":\"SCMP_ACT_ALLOW\"},"
        "{\"names\":[\"getppid\"],\"action\":\"UNOTIFY_ACT_RETURN\",\"returnValue\":4242},"
        "{\"names\":[\"uname\"],\"notify\":true,\"action\":\"SCMP_ACT_KILL_PROCESS\"},"
        "{\"names\":[\"mknod\",\"mknodat\"],\"action\":\"UNOTIFY_ACT_EMULATE\",\"handler\":\"mknod\"},"
        "{\"names\":[\"openat\"],\"notify\":true,\"action\":\"UNOTIFY_ACT_EMULATE\",\"handler\":\"open\"}]}";

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
        unsigned finished_before_upgrade;
        unsigned policy_kills, hammers[3], nodes, node_eexist;
};

static long long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000;
}

static void setup(void)
{
        char p[128];

        strcpy(t, "/tmp/unotify-soak.XXXXXX");
        cr_assert_not_null(mkdtemp(t));
        chmod(t, 0755);
        snprintf(p, sizeof(p), "%s/data", t);
        write_file(p, "DATA\n");
        d.default_log_level = true;
        {
                const struct test_policy policies[] = { { "soak.json", policy }, {} };

                daemon_start(&d, policies, false);
        }
}

static void teardown(void)
{
        char cmd[128];

        daemon_stop(&d);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t);
        if (strncmp(t, "/tmp/unotify-soak.", 18) == 0)
                (void)!system(cmd);
}

TestSuite(soak, .init = setup, .fini = teardown, .timeout = 600);

static void job_start(struct job *j, unsigned n, struct tally *tl)
{
        int out[2];

        snprintf(j->dir, sizeof(j->dir), "%s/j%u", t, n);
        cr_assert_eq(mkdir(j->dir, 0777), 0);
        cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
        fcntl(out[0], F_SETFL, O_NONBLOCK);
        j->hammer = n % 5 == 2 ? 1 + (int)(n / 5) % 2 : 0;
        j->storm = !j->hammer && n % 3 == 1;
        j->kill_at_ms = !j->hammer && n % 6 == 5 ? now_ms() + 5 + n % 25 : 0;
        j->killme = !j->hammer && !j->kill_at_ms && n % 7 == 3;
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
                        const char *argv[] = { HTARGET, d.socket, "soak", "--no-killable", "hammer", HAMMER,
                                               j->dir, "mknod", NULL };

                        if (j->hammer == 1) /* without --no-killable */
                                memmove(&argv[3], &argv[4], 5 * sizeof(argv[0]));
                        execv(HTARGET, (char **)argv);
                } else
                        execl(UNOTIFY_RUN, UNOTIFY_RUN, "--socket", d.socket, "--policy", "soak", "--", FAIRLOAD,
                              "soak", j->dir, ROUNDS, (char *)NULL);
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

        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: status %d: %s", j->dir, status, j->buf);
        cr_assert_eq(sscanf(j->buf, "hammer: ok %u eexist %u other %u", &ok, &eexist, &other), 3, "%s: %s",
                     j->dir, j->buf);
        cr_assert_eq(other, 0, "%s: %s", j->dir, j->buf);
        cr_assert_eq(ok + eexist, (unsigned)atoi(HAMMER), "%s: %s", j->dir, j->buf);
        cr_assert_eq(count_dir_entries(j->dir, 0), (unsigned)atoi(HAMMER), "%s: nodes on disk vs %s", j->dir, j->buf);
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
                cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: status %d: %s", j->dir, status,
                          j->buf);
        }
        cr_assert_eq(sscanf(j->buf, "soak: rounds %d denied %d opened %d made %d eexist %d returned %d", &rounds,
                            &denied, &opened, &made, &eexist, &returned),
                     6, "%s: %s", j->dir, j->buf);
        cr_assert_eq(denied, rounds, "%s: %s", j->dir, j->buf);
        cr_assert_eq(returned, rounds, "%s: %s", j->dir, j->buf);
        cr_assert_eq(opened, rounds, "%s: %s", j->dir, j->buf);
        /* A creation answered EEXIST was done by an earlier run of the same
         * interrupted call (outside the journal's window): once, still. */
        cr_assert_eq(made + eexist, rounds, "%s: %s", j->dir, j->buf);
        cr_assert_eq(count_dir_entries(j->dir, 'f'), (unsigned)rounds, "%s: files on disk vs %s", j->dir, j->buf);
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

static void drain(struct job *jobs, struct tally *tl)
{
        for (bool busy = true; busy;) {
                busy = false;
                for (int i = 0; i < SLOTS; i++) {
                        job_poll(&jobs[i], tl);
                        busy |= jobs[i].pid != 0;
                }
                if (busy)
                        poll(NULL, 0, 2);
        }
}

static long rss_kib(pid_t pid)
{
        char path[64], line[256];
        long kib = -1;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        f = fopen(path, "re");
        cr_assert_not_null(f);
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
                        break;
        fclose(f);
        return kib;
}

static unsigned occurrences(const char *text, const char *what)
{
        unsigned n = 0;

        for (const char *p = text; (p = strstr(p, what)); p++)
                n++;
        return n;
}

/* SIGUSR2, until the new binary serves (its second "serving" line). */
static void upgrade(void)
{
        unsigned before = occurrences(daemon_log(&d), "serving ");

        cr_assert_eq(kill(d.pid, SIGUSR2), 0);
        for (int i = 0; i < 1000 && occurrences(daemon_log(&d), "serving ") == before; i++)
                poll(NULL, 0, 10);
        cr_assert(strstr(daemon_log(&d), "upgrade: exec "), "no upgrade: %s", daemon_log(&d));
        cr_assert_gt(occurrences(daemon_log(&d), "serving "), before, "the new binary does not serve");
}

static void assert_counters_add_up(long long *ret_received)
{
        long long received = 0, ended = 0;

        for (int i = 0; i < 500; i++) {
                received = daemon_stat(&d, "notifications_received");
                ended = daemon_stat(&d, "notifications_answered") + daemon_stat(&d, "gone_before_send") +
                        daemon_stat(&d, "stale_dropped");
                if (received == ended)
                        break;
                poll(NULL, 0, 10);
        }
        if (received != ended) {
                const char *log = daemon_log(&d);

                for (const char *w = log; (w = strstr(w, "warning")); w++)
                        fprintf(stderr, "soak: %.200s\n", w);
        }
        cr_assert_eq(received, ended, "received %lld, answered + gone before SEND + stale %lld", received, ended);
        *ret_received = received;
}

Test(soak, counters_add_up_and_nothing_leaks)
{
        const char *env = getenv("UNOTIFY_SOAK_SECONDS");
        long long seconds = env ? atoll(env) : 60, start = now_ms(), end = start + seconds * 1000;
        long long next_reload = start + 1000, upgrade_at = start + seconds * 250, received;
        struct job jobs[SLOTS] = {};
        struct tally tl = {};
        int base_fds = -1, fds;
        long base_rss = -1, rss;
        unsigned reloads = 0;

        while (now_ms() < end) {
                if (base_fds < 0 && now_ms() >= upgrade_at) {
                        drain(jobs, &tl);
                        tl.finished_before_upgrade = tl.finished;
                        upgrade();
                        poll(NULL, 0, 200);
                        base_fds = count_fds(d.pid);
                        base_rss = rss_kib(d.pid);
                }
                if (now_ms() >= next_reload) {
                        cr_assert_eq(kill(d.pid, SIGHUP), 0);
                        reloads++;
                        next_reload += 1000;
                }
                for (int i = 0; i < SLOTS; i++) {
                        job_poll(&jobs[i], &tl);
                        if (!jobs[i].pid)
                                job_start(&jobs[i], tl.started, &tl);
                }
                poll(NULL, 0, 1);
        }
        drain(jobs, &tl);
        assert_counters_add_up(&received);
        /* The counters start again with the upgrade's new process. */
        cr_assert_geq(received, (long long)(tl.finished - tl.finished_before_upgrade) * 4 * 30,
                      "fewer notifications than the sandboxes made");
        cr_assert_eq(daemon_stat(&d, "listeners"), 0, "listeners left behind");
        fds = wait_fd_count(d.pid, base_fds, 5000);
        rss = rss_kib(d.pid);
        printf("soak: %lld s: %u sandboxes (%u finished, %u killed mid-run, %u under a signal storm), %u reloads, "
               "1 upgrade; %lld notifications since the upgrade, all accounted for; %u files made, %u creations "
               "answered EEXIST after an earlier run; %u killed by the policy; %u+%u mknod hammers with/without "
               "WAIT_KILLABLE_RECV: %u nodes made, %u answered EEXIST after an earlier run, each once on disk; "
               "daemon fds %d -> %d, RSS %ld -> %ld KiB\n",
               seconds, tl.started, tl.finished, tl.killed, tl.storms, reloads, received, tl.made, tl.eexist,
               tl.policy_kills, tl.hammers[1], tl.hammers[2], tl.nodes, tl.node_eexist, base_fds, fds, base_rss,
               rss);
        fflush(stdout);
        cr_assert_eq(fds, base_fds, "daemon fds leaked (%d after the upgrade):\n%s", base_fds, fd_list(d.pid));
#ifdef __SANITIZE_ADDRESS__
        /* ASan keeps freed memory in quarantine: its RSS only grows. */
        printf("soak: RSS not compared (AddressSanitizer's quarantine)\n");
#else
        cr_assert_leq(rss, base_rss + 4096, "RSS grew by more than 4 MiB");
#endif
        cr_assert_gt(tl.finished, 10);
        cr_assert_gt(tl.killed, 1);
        cr_assert_gt(tl.policy_kills, 0);
        cr_assert_gt(tl.hammers[1], 0);
        cr_assert_gt(tl.hammers[2], 0);
}

/* One listener's life in a forked child: filter, handoff, one denied
 * mkdir, exit. No assertion: not the test worker. */
_Noreturn static void lifecycle(const char *path)
{
        struct unotify_handoff h = { .pid = getpid(), .policy = "soak" };
        struct unotify_reply reply = {};
        int listener = raw_install_mkdir_filter();

        if (listener < 0 || unotify_handoff_send(d.socket, listener, &h, &reply) < 0 || !reply.ok)
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
Test(soak, listener_lifecycles_leave_fds_and_rss_at_baseline)
{
        const char *env = getenv("UNOTIFY_SOAK_LIFECYCLES");
        unsigned n = env ? (unsigned)atoi(env) : 10000;
        long long t0, received;
        char path[128];
        int base_fds, fds;
        long base_rss, rss;

        snprintf(path, sizeof(path), "%s/never", t);
        lifecycles(500, path);
        for (int i = 0; i < 500 && daemon_stat(&d, "listeners") != 0; i++)
                poll(NULL, 0, 10);
        base_fds = count_fds(d.pid);
        base_rss = rss_kib(d.pid);
        t0 = now_ms();
        lifecycles(n, path);
        for (int i = 0; i < 500 && daemon_stat(&d, "listeners") != 0; i++)
                poll(NULL, 0, 10);
        cr_assert_eq(daemon_stat(&d, "listeners"), 0, "listeners left behind");
        cr_assert_eq(daemon_stat(&d, "listeners_added"), daemon_stat(&d, "listeners_freed"));
        cr_assert_eq(daemon_stat(&d, "listeners_added"), (long long)n + 500);
        assert_counters_add_up(&received);
        /* One notified mkdir each, answered: the test's count exactly. */
        cr_assert_eq(received, (long long)n + 500);
        cr_assert_eq(daemon_stat(&d, "notifications_answered"), (long long)n + 500);
        cr_assert_eq(access(path, F_OK), -1, "a denied mkdir was done");
        fds = wait_fd_count(d.pid, base_fds, 5000);
        rss = rss_kib(d.pid);
        printf("soak: %u listener lifecycles in %lld ms: %lld added and freed, %lld notifications all accounted "
               "for; daemon fds %d -> %d, RSS %ld -> %ld KiB\n",
               n, now_ms() - t0, daemon_stat(&d, "listeners_added"), received, base_fds, fds, base_rss, rss);
        fflush(stdout);
        cr_assert_eq(fds, base_fds, "daemon fds leaked:\n%s", fd_list(d.pid));
#ifndef __SANITIZE_ADDRESS__
        cr_assert_leq(rss, base_rss + 4096, "RSS grew by more than 4 MiB");
#endif
}
