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
 * caught before the rounds to their end (storm.h), and " signals S" ends
 * the line: the answers must not change. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "storm.h"

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
        unsigned killed = 0, logged = 0, inj = 0, rounds, signals;
        /* The real gid: unotify-run installed the filter before exec, so
         * this one is notified too; a LOG answer continues it. */
        gid_t gid = (gid_t)syscall(SYS_getgid);
        struct storm storm;
        bool storming;

        if (argc < 3 || strcmp(argv[1], "threads"))
                return 2;
        rounds = (unsigned)atoi(argv[2]);
        storming = storm_start(&storm);
        for (unsigned i = 0; i < rounds; i++) {
                killed += (unsigned)thread_killed();
                logged += syscall(SYS_getgid) == (long)gid;
                inj += (unsigned)injected();
        }
        signals = storm_stop(&storm);
        printf("threads: rounds %u killed %u logged %u injected %u", rounds, killed, logged, inj);
        if (storming)
                printf(" signals %u", signals);
        printf("\n");
        fflush(stdout);
        if (argc > 3 && !strcmp(argv[3], "KILLME")) {
                syscall(SYS_getsid, 0);
                printf("survived\n");
        }
        return 0;
}
