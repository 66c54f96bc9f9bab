/* The fairness group's hostile listener: 80 threads open a FIFO nobody
 * writes to (emulated: each holds a worker or a place in its queue, and
 * beyond its share is refused) and 6 threads call a notified getppid
 * without pause, all at nice 19 (the CPU share a container's cgroup would
 * give them: the group measures the daemon, not the CPU scheduler). */
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define HOSTILE_FIFO_OPENS 80
#define HOSTILE_CALLERS 6
#define HOSTILE_NICE 19

static int spawn_one(const struct bench_daemon *d, enum target_call call, int threads,
                     const char *policy, struct target *t)
{
        int r = target_spawn(FILTER_NOTIFY, call, threads, UINT64_MAX / 2, -1, t);

        if (r < 0)
                return r;
        setpriority(PRIO_PROCESS, (id_t)t->pid, HOSTILE_NICE);
        r = bench_daemon_hand(d, t->listener, policy, target_seccomp_flags(call));
        target_start(t);
        return r;
}

int hostile_start(const struct bench_daemon *d, struct hostile *ret)
{
        struct timespec settle = { 0, 50 * 1000000 };
        int r;

        *ret = (struct hostile){};
        if (mkfifo(BENCH_FIFO_PATH, 0600) < 0 && errno != EEXIST)
                return -errno;
        r = spawn_one(d, CALL_OPEN_FIFO, HOSTILE_FIFO_OPENS, "bench-open", &ret->fifos);
        if (r == 0)
                r = spawn_one(d, CALL_GETPPID, HOSTILE_CALLERS, "bench-continue", &ret->callers);
        /* The opens reach the workers and the queue. */
        nanosleep(&settle, NULL);
        return r;
}

static void kill_target(struct target *t)
{
        if (t->pid <= 0)
                return;
        kill(t->pid, SIGKILL);
        waitpid(t->pid, NULL, 0);
        close(t->result);
        t->pid = 0;
}

void hostile_stop(struct hostile *h)
{
        /* The daemon frees the workers of dead tasks within a second;
         * another round's idle run must not find them held. */
        struct timespec freed = { 1, 100 * 1000000 };

        kill_target(&h->fifos);
        kill_target(&h->callers);
        unlink(BENCH_FIFO_PATH);
        nanosleep(&freed, NULL);
}
