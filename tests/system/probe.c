/* unotify-probe: makes one kind of syscall and prints what it returned, so
 * a test can assert on what the sandboxed task saw. The syscalls are made
 * with syscall(2) so glibc cannot pick another one behind our back.
 *
 *   probe mkdir PATH          mkdir(2) -> "mkdir: ok" / "mkdir: EPERM"
 *   probe uname               uname(2) -> "uname: Linux"
 *   probe umask MODE          umask(2) with an octal mode
 *   probe getppid             getppid(2) -> "getppid: N"
 *   probe mkdir-at ADDR       mkdir(2) with a raw pointer (hex), e.g. 0 or
 *                             an unmapped address -> "mkdir: EFAULT"
 *   probe threads N ITER PATH N threads, each ITER mkdir(PATH) calls;
 *                             prints how many calls got each result
 *   probe block PATH          prints "ready PID", waits for a line on stdin,
 *                             then mkdir(PATH) (a test stops the daemon in
 *                             between, so the call stays pending)
 *   probe repeat PATH         prints "ready PID", then one mkdir(PATH) per
 *                             line on stdin, printing each result, until
 *                             EOF (a task that lives across daemon restarts);
 *                             a line "N" makes N calls in a row instead and
 *                             prints the last one's result
 *   probe open-each           prints "ready PID", then for each line PATH
 *                             on stdin open(PATH, O_RDONLY) and prints
 *                             "open: RESULT", until EOF */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

static const char *result(long r)
{
        static __thread char buf[32];

        if (r >= 0)
                return "ok";
        switch (errno) {
        case EPERM:
                return "EPERM";
        case EACCES:
                return "EACCES";
        case ENOSYS:
                return "ENOSYS";
        case EEXIST:
                return "EEXIST";
        case EFAULT:
                return "EFAULT";
        case ENOENT:
                return "ENOENT";
        default:
                snprintf(buf, sizeof(buf), "errno %d", errno);
                return buf;
        }
}

static int do_mkdir(const char *path)
{
        long r = syscall(SYS_mkdir, path, 0700);

        printf("mkdir: %s\n", result(r));
        return 0;
}

static int do_uname(void)
{
        struct utsname u;
        long r = syscall(SYS_uname, &u);

        printf("uname: %s\n", r == 0 ? u.sysname : result(r));
        return 0;
}

static int do_umask(const char *mode)
{
        long r = syscall(SYS_umask, strtoul(mode, NULL, 8));

        printf("umask: %s\n", result(r));
        return 0;
}

static int do_getppid(void)
{
        printf("getppid: %ld\n", syscall(SYS_getppid));
        return 0;
}

static int do_mkdir_at(const char *addr)
{
        long r = syscall(SYS_mkdir, (const char *)(uintptr_t)strtoull(addr, NULL, 16), 0700);

        printf("mkdir: %s\n", result(r));
        return 0;
}

struct worker {
        pthread_t thread;
        const char *path;
        int iterations;
        atomic_int *ok, *eperm, *other;
};

static void *work(void *arg)
{
        struct worker *w = arg;

        for (int i = 0; i < w->iterations; i++) {
                long r = syscall(SYS_mkdir, w->path, 0700);

                if (r == 0)
                        atomic_fetch_add(w->ok, 1);
                else if (errno == EPERM)
                        atomic_fetch_add(w->eperm, 1);
                else
                        atomic_fetch_add(w->other, 1);
        }
        return NULL;
}

static int do_threads(int n, int iterations, const char *path)
{
        atomic_int ok = 0, eperm = 0, other = 0;
        struct worker *w = calloc((size_t)n, sizeof(*w));

        if (!w)
                return 1;
        for (int i = 0; i < n; i++) {
                w[i] = (struct worker){ .path = path,
                                        .iterations = iterations,
                                        .ok = &ok,
                                        .eperm = &eperm,
                                        .other = &other };
                if (pthread_create(&w[i].thread, NULL, work, &w[i]) != 0)
                        return 1;
        }
        for (int i = 0; i < n; i++)
                pthread_join(w[i].thread, NULL);
        printf("threads: ok %d EPERM %d other %d\n", ok, eperm, other);
        free(w);
        return 0;
}

static int do_block(const char *path)
{
        char line[16];

        printf("ready %d\n", (int)getpid());
        if (!fgets(line, sizeof(line), stdin))
                return 1;
        return do_mkdir(path);
}

static int do_repeat(const char *path)
{
        char line[16];

        printf("ready %d\n", (int)getpid());
        while (fgets(line, sizeof(line), stdin)) {
                for (int n = atoi(line); n > 1; n--)
                        syscall(SYS_mkdir, path, 0700);
                do_mkdir(path);
        }
        return 0;
}

static int do_open_each(void)
{
        char line[4096];

        printf("ready %d\n", (int)getpid());
        while (fgets(line, sizeof(line), stdin)) {
                long r;

                line[strcspn(line, "\n")] = '\0';
                r = syscall(SYS_openat, AT_FDCWD, line, O_RDONLY | O_CLOEXEC);
                printf("open: %s\n", result(r));
                if (r >= 0)
                        close((int)r);
        }
        return 0;
}

int main(int argc, char **argv)
{
        setvbuf(stdout, NULL, _IOLBF, 0);
        if (argc == 3 && !strcmp(argv[1], "mkdir"))
                return do_mkdir(argv[2]);
        if (argc == 2 && !strcmp(argv[1], "uname"))
                return do_uname();
        if (argc == 3 && !strcmp(argv[1], "umask"))
                return do_umask(argv[2]);
        if (argc == 2 && !strcmp(argv[1], "getppid"))
                return do_getppid();
        if (argc == 3 && !strcmp(argv[1], "mkdir-at"))
                return do_mkdir_at(argv[2]);
        if (argc == 5 && !strcmp(argv[1], "threads"))
                return do_threads(atoi(argv[2]), atoi(argv[3]), argv[4]);
        if (argc == 3 && !strcmp(argv[1], "block"))
                return do_block(argv[2]);
        if (argc == 2 && !strcmp(argv[1], "open-each"))
                return do_open_each();
        if (argc == 3 && !strcmp(argv[1], "repeat"))
                return do_repeat(argv[2]);
        fprintf(stderr, "usage: see the comment at the top of probe.c\n");
        return 64;
}
