/* unotify-fairload: the fairness test's sandboxed programs, run under
 * unotify-run with a policy that emulates open/openat and notifies getppid.
 *
 *   fairload latency N PATH   N emulated opens of PATH, then N notified
 *                             getppid calls, one at a time; prints each
 *                             kind's p50 and p99 round trip in ns
 *   fairload hostile FIFO NFIFO NPROC
 *                             NFIFO processes open FIFO (no writer: each
 *                             holds a worker or a place in the queue) and
 *                             NPROC processes call getppid without pause;
 *                             until killed
 */
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

static int latency(int n, const char *path)
{
        long long *open_ns = calloc((size_t)n, sizeof(long long));
        long long *ppid_ns = calloc((size_t)n, sizeof(long long));

        if (!open_ns || !ppid_ns || n < 1)
                return 2;
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
        printf("open_p50 %lld open_p99 %lld getppid_p50 %lld getppid_p99 %lld\n", pct(open_ns, n, 50),
               pct(open_ns, n, 99), pct(ppid_ns, n, 50), pct(ppid_ns, n, 99));
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

int main(int argc, char **argv)
{
        if (argc == 4 && !strcmp(argv[1], "latency"))
                return latency(atoi(argv[2]), argv[3]);
        if (argc == 5 && !strcmp(argv[1], "hostile"))
                return hostile(argv[2], atoi(argv[3]), atoi(argv[4]));
        fprintf(stderr, "usage: fairload latency N PATH | hostile FIFO NFIFO NPROC\n");
        return 64;
}
