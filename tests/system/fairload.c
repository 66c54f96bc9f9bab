/* unotify-fairload: the fairness test's sandboxed programs, run under
 * unotify-run with a policy that emulates open/openat and notifies getppid.
 *
 *   fairload latency N PATH   N emulated opens of PATH, then N notified
 *                             getppid calls, one at a time (after 10 of
 *                             each untimed); prints each kind's p50 and
 *                             p99 round trip in ns
 *   fairload hostile FIFO NFIFO NPROC
 *                             NFIFO processes open FIFO (no writer: each
 *                             holds a worker or a place in the queue) and
 *                             NPROC processes call getppid without pause;
 *                             until killed
 *   fairload soak DIR N       N rounds of: mkdir DIR/mN (the policy denies
 *                             it), getppid (notified), an emulated open of
 *                             DIR/../data, an emulated O_CREAT|O_EXCL open
 *                             of DIR/fN, each while SIGUSR1 (SA_RESTART)
 *                             arrives from a sibling when STORM is set;
 *                             prints what it made and saw
 * Static: no dynamic loader opens, so every notification is one of these.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b)
{
        long long x = *(const long long *)a, y = *(const long long *)b;

        return x < y ? -1 : x > y;
}

static long long pct(long long *v, int n, int p)
{
        qsort(v, (size_t)n, sizeof(*v), cmp_ll);
        return v[(n - 1) * p / 100];
}

/* Calls made before the timed ones: the first calls of a run wake up a
 * worker and fault in the daemon's and our pages, which is not what a
 * p99 under load is about. */
#define WARMUP_CALLS 10

static int latency(int n, const char *path)
{
        long long *open_ns = calloc((size_t)n, sizeof(long long));
        long long *ppid_ns = calloc((size_t)n, sizeof(long long));

        if (!open_ns || !ppid_ns || n < 1)
                return 2;
        for (int i = 0; i < WARMUP_CALLS; i++) {
                long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);

                if (fd < 0)
                        return perror("open"), 1;
                close((int)fd);
                syscall(SYS_getppid);
        }
        for (int i = 0; i < n; i++) {
                long long t0 = now_ns();
                long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);

                open_ns[i] = now_ns() - t0;
                if (fd < 0)
                        return perror("open"), 1;
                close((int)fd);
        }
        for (int i = 0; i < n; i++) {
                long long t0 = now_ns();

                syscall(SYS_getppid);
                ppid_ns[i] = now_ns() - t0;
        }
        printf("open_p50 %lld open_p99 %lld getppid_p50 %lld getppid_p99 %lld\n",
               pct(open_ns, n, 50), pct(open_ns, n, 99), pct(ppid_ns, n, 50), pct(ppid_ns, n, 99));
        return 0;
}

static int hostile(const char *fifo, int nfifo, int nproc)
{
        for (int i = 0; i < nfifo; i++)
                if (fork() == 0)
                        _exit(syscall(SYS_openat, AT_FDCWD, fifo, O_RDONLY) < 0 ? 1 : 0);
        for (int i = 0; i < nproc; i++)
                if (fork() == 0)
                        for (;;)
                                syscall(SYS_getppid);
        printf("hostile: %d FIFO openers, %d callers\n", nfifo, nproc);
        fflush(stdout);
        for (;;)
                pause();
}

static void on_usr1(int sig)
{
        (void)sig;
}

/* A sibling that sends the caller SIGUSR1 without pause (its calls are
 * interrupted and restarted), until the caller is done. */
static pid_t storm(void)
{
        pid_t target = getpid(), pid = fork();

        if (pid == 0)
                for (;;)
                        if (kill(target, SIGUSR1) < 0)
                                _exit(0);
        return pid;
}

static int soak(const char *dir, int n)
{
        struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
        char path[4096], data[4096];
        int made = 0, eexist = 0, denied = 0, opened = 0, returned = 0;
        pid_t storm_pid = 0;

        sigemptyset(&sa.sa_mask);
        sigaction(SIGUSR1, &sa, NULL);
        if (getenv("STORM"))
                storm_pid = storm();
        snprintf(data, sizeof(data), "%s/../data", dir);
        for (int i = 0; i < n; i++) {
                long fd;

                snprintf(path, sizeof(path), "%s/m%d", dir, i);
                denied += syscall(SYS_mkdirat, AT_FDCWD, path, 0755) < 0;
                returned += syscall(SYS_getppid) == 4242; /* UNOTIFY_ACT_RETURN */
                syscall(SYS_getuid);                      /* notified, continued */
                fd = syscall(SYS_openat, AT_FDCWD, data, O_RDONLY | O_CLOEXEC);
                if (fd >= 0) {
                        opened++;
                        close((int)fd);
                }
                snprintf(path, sizeof(path), "%s/f%d", dir, i);
                fd = syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                             0600);
                if (fd >= 0) {
                        made++;
                        close((int)fd);
                } else if (errno == EEXIST) {
                        eexist++;
                }
        }
        if (storm_pid > 0) {
                kill(storm_pid, SIGKILL);
                waitpid(storm_pid, NULL, 0);
        }
        printf("soak: rounds %d denied %d opened %d made %d eexist %d returned %d\n", n, denied,
               opened, made, eexist, returned);
        if (getenv("KILLME")) {
                /* The policy kills the process at uname(2). */
                fflush(stdout);
                syscall(SYS_uname, data);
                printf("soak: survived uname\n");
        }
        return 0;
}

int main(int argc, char **argv)
{
        if (argc == 4 && !strcmp(argv[1], "latency"))
                return latency(atoi(argv[2]), argv[3]);
        if (argc == 4 && !strcmp(argv[1], "soak"))
                return soak(argv[2], atoi(argv[3]));
        if (argc == 5 && !strcmp(argv[1], "hostile"))
                return hostile(argv[2], atoi(argv[3]), atoi(argv[4]));
        fprintf(stderr, "usage: fairload latency N PATH | hostile FIFO NFIFO NPROC\n");
        return 64;
}
