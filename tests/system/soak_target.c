/* unotify-soaktarget: the soak's target for the actions the other targets
 * do not make (run under unotify-run with the policy "soak-mix",
 * soak_mix.c):
 *
 *   soaktarget threads N [KILLME]
 *
 * N rounds of: a thread that calls times(2), which the kernel filter
 * kills (SCMP_ACT_KILL_THREAD) while the process goes on; a getgid(2) the
 * daemon logs and continues (SCMP_ACT_LOG), checked against the real gid
 * read before the filter; a memfd_create(2) the inject handler answers
 * with the policy's file, read back. Prints "threads: rounds N killed K
 * logged L injected I". With KILLME, a last getsid(2) the daemon answers
 * SCMP_ACT_KILL_THREAD, which kills the whole process (a signal cannot end
 * one thread from outside): "survived" is printed only if it did not.
 * With UNOTIFY_SOAK_STORM=1 in the environment, a sibling thread sends the
 * main thread SIGUSR1 (an SA_RESTART handler) every 50 us, from its first
 * caught before the rounds to their end,
 * and " signals S" ends the line: the answers must not change. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static atomic_int storm_on;
static atomic_uint storm_caught;

static void on_usr1(int sig)
{
        (void)sig;
        atomic_fetch_add(&storm_caught, 1);
}

static void *storm_thread(void *arg)
{
        pid_t tid = *(pid_t *)arg;

        while (atomic_load(&storm_on)) {
                syscall(SYS_tgkill, getpid(), tid, SIGUSR1);
                usleep(50);
        }
        return NULL;
}

/* The storm's thread, started if asked for; 0 if none. */
static int storm_start(pthread_t *t, pid_t *tid)
{
        struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
        const char *e = getenv("UNOTIFY_SOAK_STORM");

        if (!e || strcmp(e, "1"))
                return 0;
        *tid = (pid_t)syscall(SYS_gettid);
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGUSR1, &sa, NULL) < 0)
                return 0;
        atomic_store(&storm_on, 1);
        if (pthread_create(t, NULL, storm_thread, tid) != 0)
                return 0;
        /* On before the rounds: under load the thread may start late. */
        while (!atomic_load(&storm_caught))
                usleep(100);
        return 1;
}

static void *killed_thread(void *arg)
{
        (void)arg;
        syscall(SYS_times, NULL); /* the kernel ends this thread here */
        return (void *)1;         /* never: the filter kills the thread */
}

/* 1 if the thread died in its call (pthread_join still returns: the
 * kernel clears its tid), 0 if the call returned. */
static int thread_killed(void)
{
        pthread_t t;
        void *ret = NULL;

        if (pthread_create(&t, NULL, killed_thread, NULL) != 0 || pthread_join(t, &ret) != 0)
                return 0;
        return ret == NULL;
}

/* The inject handler's answer is an fd of the policy's file. */
static int injected(void)
{
        char buf[32] = "";
        int fd = (int)syscall(SYS_memfd_create, "soak", 0);
        ssize_t n;

        if (fd < 0)
                return 0;
        n = pread(fd, buf, sizeof(buf) - 1, 0);
        close(fd);
        return n == 9 && !memcmp(buf, "INJECTED\n", 9);
}

int main(int argc, char **argv)
{
        unsigned killed = 0, logged = 0, inj = 0, rounds;
        /* The real gid: unotify-run installed the filter before exec, so
         * this one is notified too; a LOG answer continues it. */
        gid_t gid = (gid_t)syscall(SYS_getgid);
        pthread_t storm;
        pid_t main_tid = 0;
        int storming;

        if (argc < 3 || strcmp(argv[1], "threads"))
                return 2;
        rounds = (unsigned)atoi(argv[2]);
        storming = storm_start(&storm, &main_tid);
        for (unsigned i = 0; i < rounds; i++) {
                killed += (unsigned)thread_killed();
                logged += syscall(SYS_getgid) == (long)gid;
                inj += (unsigned)injected();
        }
        if (storming) {
                atomic_store(&storm_on, 0);
                pthread_join(storm, NULL);
        }
        printf("threads: rounds %u killed %u logged %u injected %u", rounds, killed, logged, inj);
        if (storming)
                printf(" signals %u", atomic_load(&storm_caught));
        printf("\n");
        fflush(stdout);
        if (argc > 3 && !strcmp(argv[3], "KILLME")) {
                syscall(SYS_getsid, 0);
                printf("survived\n");
        }
        return 0;
}
