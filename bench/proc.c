/* What the bench does to processes from outside: CPU placement, RSS; and
 * its clock. */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static int pin_one(pid_t tid, int cpu)
{
        cpu_set_t set;

        CPU_ZERO(&set);
        if (cpu >= 0) {
                CPU_SET(cpu, &set);
        } else {
                for (long c = 0; c < sysconf(_SC_NPROCESSORS_ONLN) && c < CPU_SETSIZE; c++)
                        CPU_SET((int)c, &set);
        }
        return sched_setaffinity(tid, sizeof(set), &set) < 0 ? -errno : 0;
}

/* sched_setaffinity acts on one thread: a running multi-threaded process
 * is moved thread by thread. */
int bench_pin(pid_t pid, int cpu, bool every_thread)
{
        char path[64];
        struct dirent *de;
        DIR *dir;
        int r = 0;

        if (!every_thread)
                return pin_one(pid, cpu);
        snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
        dir = opendir(path);
        if (!dir)
                return -errno;
        while ((de = readdir(dir)) && r == 0)
                if (de->d_name[0] != '.')
                        r = pin_one((pid_t)atoi(de->d_name), cpu);
        closedir(dir);
        return r;
}

long bench_rss_kib(pid_t pid)
{
        char path[64], line[256];
        long kib = -1;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        f = fopen(path, "re");
        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
                        break;
        fclose(f);
        return kib;
}

uint64_t bench_now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
