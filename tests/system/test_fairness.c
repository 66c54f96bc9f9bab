/* Fairness under a hostile listener: one sandbox keeps the emulation
 * workers busy (FIFO opens with no writer, more than its share of the pool
 * and of the queue) and floods the loop with notifications (processes
 * calling a notified getppid without pause); another listener's p99 round
 * trip of emulated opens, measured idle and loaded side by side (medians
 * of several runs), stays within 2x; that of a notified call is printed. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define FAIRLOAD BIN("tests/unotify-fairload")
#define RUNS 7
/* A p99 of 300 calls is their 4th slowest: it swung 1.1x-3.8x between
 * quiet runs of the same build. Of 1000, the 11th. */
#define CALLS "1000"
/* The measured listener's own notifications in one run: CALLS opens and
 * getppid calls, 10 of each untimed (fairload.c). */
#define OWN_NOTIFICATIONS (2 * atoi(CALLS) + 2 * 10)
#define HOSTILE_FIFOS 80 /* 3 workers + 64 queued, 13 refused */
#define HOSTILE_CALLERS 6
#define HOSTILE_NICE 19
/* Idle p99s further apart than this say the machine, not the daemon. */
#define IDLE_SPREAD_MAX 3.0
#define HOSTILE_WORKERS 3 /* listener-workers */
#define HOSTILE_QUEUED 64 /* listener-queue */

static struct test_daemon d;
static char t[64], data[128], fifo[128];
static char policy[1024];

static void setup(void)
{
        strcpy(t, "/tmp/unotify-fair.XXXXXX");
        cr_assert_not_null(mkdtemp(t));
        chmod(t, 0755);
        snprintf(data, sizeof(data), "%s/data", t);
        snprintf(fifo, sizeof(fifo), "%s/fifo", t);
        write_file(data, "DATA\n");
        cr_assert_eq(mkfifo(fifo, 0666), 0);
        snprintf(policy, sizeof(policy),
                 "{\"name\":\"fair\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                 "{\"names\":[\"openat\"],\"notify\":true,\"action\":\"UNOTIFY_ACT_EMULATE\","
                 "\"handler\":\"open\"},"
                 "{\"names\":[\"getppid\"],\"notify\":true,\"action\":\"SCMP_ACT_ALLOW\"}]}");
        d.default_log_level = true; /* not one line per call */
        d.extra_arg = "--limit=handoff-timeout-ms=1000";
        {
                const struct test_policy policies[] = { { "fair.json", policy }, {} };

                daemon_start(&d, policies, false);
        }
}

static void teardown(void)
{
        char cmd[128];

        daemon_stop(&d);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t);
        if (strncmp(t, "/tmp/unotify-fair.", 18) == 0)
                (void)!system(cmd);
}

TestSuite(fairness, .init = setup, .fini = teardown, .timeout = 120);

struct p99s {
        double open_us, getppid_us;
        double open_p50_us, getppid_p50_us;
};

/* The hostile load's size, from the environment to tell its two kinds
 * apart (UNOTIFY_FAIR_FIFOS=0: only the flood of notifications;
 * UNOTIFY_FAIR_CALLERS=0: only the held workers). */
static int hostile_size(const char *name, int otherwise)
{
        const char *v = getenv(name);

        return v ? atoi(v) : otherwise;
}

static int hostile_fifos(void)
{
        return hostile_size("UNOTIFY_FAIR_FIFOS", HOSTILE_FIFOS);
}

static int hostile_callers(void)
{
        return hostile_size("UNOTIFY_FAIR_CALLERS", HOSTILE_CALLERS);
}

static struct p99s measure(void)
{
        struct cmd_result r;
        long long o50, o99, g50, g99;

        run_sandboxed(&d, "fair", (const char *[]){ FAIRLOAD, "latency", CALLS, data, NULL }, &r);
        cr_assert_eq(r.status, 0, "latency run: %s %s", r.out, r.err);
        cr_assert_eq(sscanf(r.out, "open_p50 %lld open_p99 %lld getppid_p50 %lld getppid_p99 %lld",
                            &o50, &o99, &g50, &g99),
                     4, "%s", r.out);
        return (struct p99s){ o99 / 1000.0, g99 / 1000.0, o50 / 1000.0, g50 / 1000.0 };
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
        qsort(v, (size_t)n, sizeof(*v), cmp_double);
        return v[n / 2];
}

/* Worker threads of the daemon blocked opening a FIFO (fs/pipe.c). */
static int fifo_waiters(void)
{
        char dir[64], path[384], wchan[64];
        struct dirent *e;
        int found = 0;
        DIR *tasks;

        snprintf(dir, sizeof(dir), "/proc/%d/task", (int)d.pid);
        tasks = opendir(dir);
        if (!tasks)
                return 0;
        while ((e = readdir(tasks))) {
                FILE *f;

                snprintf(path, sizeof(path), "%s/%s/wchan", dir, e->d_name);
                f = fopen(path, "re");
                if (!f)
                        continue;
                found += fgets(wchan, sizeof(wchan), f) && strstr(wchan, "wait_for_partner");
                fclose(f);
        }
        closedir(tasks);
        return found;
}

/* The hostile sandbox, in a process group of its own to kill it whole. */
static pid_t start_hostile(void)
{
        char nfifo[16], ncall[16];
        pid_t pid;

        snprintf(nfifo, sizeof(nfifo), "%d", hostile_fifos());
        snprintf(ncall, sizeof(ncall), "%d", hostile_callers());
        pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                setpgid(0, 0);
                /* The CPU share a container's cgroup would give it: this
                 * test measures the daemon's fairness, not the CPU
                 * scheduler's (UNOTIFY_FAIR_NICE=0 to see both). */
                setpriority(PRIO_PROCESS, 0,
                            getenv("UNOTIFY_FAIR_NICE") ? atoi(getenv("UNOTIFY_FAIR_NICE"))
                                                        : HOSTILE_NICE);
                execl(UNOTIFY_RUN, UNOTIFY_RUN, "--socket", d.socket, "--policy", "fair", "--",
                      FAIRLOAD, "hostile", fifo, nfifo, ncall, (char *)NULL);
                _exit(127);
        }
        setpgid(pid, pid);
        return pid;
}

static void stop_hostile(pid_t pid)
{
        kill(-pid, SIGKILL);
        while (waitpid(-pid, NULL, 0) > 0 || waitpid(pid, NULL, WNOHANG) > 0)
                ;
}

static void assert_counters_add_up(void)
{
        long long received = 0, ended = 0;

        for (int i = 0; i < 500; i++) {
                received = daemon_stat(&d, "notifications_received");
                ended = daemon_stat(&d, "notifications_answered") +
                        daemon_stat(&d, "gone_before_send") + daemon_stat(&d, "stale_dropped");
                if (received == ended)
                        break;
                poll(NULL, 0, 10);
        }
        cr_assert_eq(received, ended, "received %lld, answered + gone before SEND + stale %lld",
                     received, ended);
}

static double load_average(void)
{
        double l = 0;
        FILE *f = fopen("/proc/loadavg", "re");

        if (f) {
                if (fscanf(f, "%lf", &l) != 1)
                        l = 0;
                fclose(f);
        }
        return l;
}

/* Largest over smallest of v, sorted on return. */
static double spread(double *v, int n)
{
        qsort(v, (size_t)n, sizeof(*v), cmp_double);
        return v[n - 1] / v[0];
}

static bool machine_busy(double load)
{
        return load >= (double)sysconf(_SC_NPROCESSORS_ONLN);
}

/* Start the hostile sandbox and wait until it holds its 3 workers and has
 * had the rest of its FIFO opens queued or refused. */
static pid_t hostile_in_place(long long refused_before)
{
        pid_t hostile = start_hostile();
        int fifos = hostile_fifos();
        int held = fifos < HOSTILE_WORKERS ? fifos : HOSTILE_WORKERS;
        long long over = fifos - HOSTILE_WORKERS - HOSTILE_QUEUED;
        long long want = refused_before + (over > 0 ? over : 0);

        for (int i = 0;
             i < 3000 && (fifo_waiters() < held || daemon_stat(&d, "emulations_refused") < want);
             i++)
                poll(NULL, 0, 10);
        if (hostile_callers() > 0)
                poll(NULL, 0, 50); /* its callers started */
        cr_assert_eq(fifo_waiters(), held,
                     "the hostile listener holds 3 of the 4 workers, no more");
        cr_assert_eq(daemon_stat(&d, "emulations_refused"), want,
                     "beyond 3 running and 64 queued, its emulations are refused");
        return hostile;
}

/* Until the workers the killed sandbox held are free again. */
static void hostile_gone(pid_t hostile)
{
        stop_hostile(hostile);
        for (int i = 0; i < 3000 && fifo_waiters() > 0; i++)
                poll(NULL, 0, 10);
        cr_assert_eq(fifo_waiters(), 0, "workers still held by the killed sandbox");
}

Test(fairness, hostile_listener_leaves_another_within_2x)
{
        double idle_open[RUNS], idle_ppid[RUNS], load_open[RUNS], load_ppid[RUNS];
        double ratio_open[RUNS], ratio_ppid[RUNS];
        long long received = 0;
        /* Read before the runs: the hostile sandbox's own callers raise the
         * load average past 2 CPUs within the test, and other work is
         * what makes a p99 say nothing. */
        double machine_load = load_average();

        /* Idle and loaded side by side, RUNS times: the machine's own load
         * changes between runs, not within one pair. */
        for (int i = 0; i < RUNS; i++) {
                struct p99s idle = measure(), load;
                long long before;
                pid_t hostile = hostile_in_place(daemon_stat(&d, "emulations_refused"));

                before = daemon_stat(&d, "notifications_received");
                load = measure();
                received += daemon_stat(&d, "notifications_received") - before - OWN_NOTIFICATIONS;
                hostile_gone(hostile);
                idle_open[i] = idle.open_us, idle_ppid[i] = idle.getppid_us;
                load_open[i] = load.open_us, load_ppid[i] = load.getppid_us;
                ratio_open[i] = load.open_us / idle.open_us,
                ratio_ppid[i] = load.getppid_us / idle.getppid_us;
                printf("fairness: run %d: emulated open p99 %.1f -> %.1f us (p50 %.1f -> %.1f), "
                       "notified getppid p99 %.1f -> %.1f us (p50 %.1f -> %.1f)\n",
                       i + 1, idle.open_us, load.open_us, idle.open_p50_us, load.open_p50_us,
                       idle.getppid_us, load.getppid_us, idle.getppid_p50_us, load.getppid_p50_us);
        }
        printf("fairness: another listener's p99 round trip (%s calls a run, medians of %d runs), "
               "idle -> under a "
               "hostile listener (%d FIFO opens, %d callers; %lld of its notifications during the "
               "runs):\n"
               "fairness:   emulated open %.1f us -> %.1f us (%.2fx), notified getppid %.1f us -> "
               "%.1f us "
               "(%.2fx)\n",
               CALLS, RUNS, hostile_fifos(), hostile_callers(), received, median(idle_open, RUNS),
               median(load_open, RUNS), median(ratio_open, RUNS), median(idle_ppid, RUNS),
               median(load_ppid, RUNS), median(ratio_ppid, RUNS));
        fflush(stdout);
        cr_assert(received > 1000 * RUNS || hostile_callers() == 0,
                  "the hostile listener did not flood (%lld notifications)", received);
        assert_counters_add_up();
        /* Each emulated open goes through the loop (its notification) and
         * a worker: both kinds of hostile load reach it. The notified
         * getppid's p99 (20-45 us idle) is left with one hostile answer in
         * flight and the CPUs' wake-ups (1.4-3.1x here): printed, not
         * asserted (docs/security.md). A p99 on a machine busy with other
         * work says nothing about the daemon: asserted only when the load
         * average before the runs is below the number of CPUs, and not
         * under the sanitizers, which change what takes the time. */
        if (machine_busy(machine_load)) {
                printf("fairness: not asserted: load average %.1f on %ld CPUs before the runs\n",
                       machine_load, sysconf(_SC_NPROCESSORS_ONLN));
                return;
        }
        /* The host's own noise (other guests' work) shows as idle p99s far
         * apart: medians of 0.36 ms and 3.9 ms in two tests minutes apart
         * on an idle guest here. */
        if (spread(idle_open, RUNS) > IDLE_SPREAD_MAX) {
                printf("fairness: not asserted: the idle p99s ranged %.1f-%.1f us\n", idle_open[0],
                       idle_open[RUNS - 1]);
                return;
        }
#if defined(__SANITIZE_ADDRESS__)
        printf("fairness: not asserted under AddressSanitizer\n");
#else
        /* With workers spinning for the next job while the loop was
         * shared: 0.94x, 1.85x, 4.93x, 2.06x, 1.38x, 1.64x (the 80-FIFO
         * and the no-FIFO load, three times each); without: 0.73x-1.35x. */
        cr_assert_leq(median(ratio_open, RUNS), 2.0,
                      "emulated open p99 %.2fx its idle p99 under a hostile listener",
                      median(ratio_open, RUNS));
#endif
}

static int connect_unix(const char *path)
{
        struct sockaddr_un a = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        cr_assert_geq(fd, 0);
        snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
        cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0, "connect %s: %s", path,
                     strerror(errno));
        return fd;
}

static void handoff_works(const char *when)
{
        struct cmd_result r;

        run_sandboxed(&d, "fair", (const char *[]){ FAIRLOAD, "latency", "5", data, NULL }, &r);
        cr_assert_eq(r.status, 0, "a handoff %s failed: %s %s", when, r.out, r.err);
}

/* 300 silent connections from one peer (root, allowed to hand off) leave
 * room for a real handoff: its uid's share (192) makes it lose its own
 * oldest ones. The same for 100 idle control connections (share 48). */
Test(fairness, silent_connections_leave_room)
{
        enum { SILENT = 300, IDLE_CTL = 100 };
        int silent[SILENT], idle[IDLE_CTL];

        for (int i = 0; i < SILENT; i++)
                silent[i] = connect_unix(d.socket);
        handoff_works("behind 300 silent connections");
        cr_assert_geq(daemon_stat(&d, "handoff_conns_evicted"), SILENT - 192,
                      "the silent peer kept more than its share");
        for (int i = 0; i < IDLE_CTL; i++)
                idle[i] = connect_unix(d.control);
        /* daemon_stat goes through unotifyctl: it must get in. */
        cr_assert_geq(daemon_stat(&d, "control_conns_evicted"), IDLE_CTL - 48);
        printf("fairness: 300 silent handoff connections: %lld closed to make room, the handoff "
               "went through; "
               "100 idle control connections: %lld closed, unotifyctl answered\n",
               daemon_stat(&d, "handoff_conns_evicted"), daemon_stat(&d, "control_conns_evicted"));
        for (int i = 0; i < SILENT; i++)
                close(silent[i]);
        for (int i = 0; i < IDLE_CTL; i++)
                close(idle[i]);
}

/* Half a message, then nothing: handoffs go on meanwhile, and the peer is
 * cut off after handoff-timeout-ms (1000 here), counted. */
Test(fairness, half_a_message_is_timed_out)
{
        static const char half[] =
                "{\"ociVersion\":\"1.0.2\",\"fds\":[\"seccompFd\"],\"pid\":1,\"metad";
        char reply[512] = "";
        struct pollfd p;
        int fd = connect_unix(d.socket);
        long long timeouts = daemon_stat(&d, "handoff_timeouts");
        ssize_t n;

        cr_assert_eq(write(fd, half, sizeof(half) - 1), (ssize_t)sizeof(half) - 1);
        handoff_works("while a peer sits on half a message");
        p = (struct pollfd){ .fd = fd, .events = POLLIN };
        cr_assert_eq(poll(&p, 1, 10000), 1, "the half message was not cut off in 10 s");
        n = read(fd, reply, sizeof(reply) - 1);
        cr_assert_gt(n, 0);
        cr_assert(strstr(reply, "no complete message within 1000 ms"), "%s", reply);
        cr_assert_eq(daemon_stat(&d, "handoff_timeouts"), timeouts + 1);
        close(fd);
}
