/* Idle listeners for the cost-of-scale scenario: one process, one thread
 * per listener (a filter chain may hold only one listener), each with a
 * filter of its own that notifies acct(2), which nobody calls. */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define IDLE_STACK (64 * 1024)

/* Runs in each farm thread: its fd goes to the farm's main thread over
 * `report`, then the thread sleeps until the farm is killed. */
static void *idle_thread(void *arg)
{
        struct sock_filter insns[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_acct, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = { .len = 4, .filter = insns };
        int report = (int)(intptr_t)arg;
        int fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                              SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);

        if (fd < 0)
                fd = -errno;
        if (write(report, &fd, sizeof(fd)) != sizeof(fd))
                _exit(1);
        for (;;)
                pause();
        return NULL;
}

static int spawn_idle_thread(int report)
{
        pthread_attr_t attr;
        pthread_t t;
        int r;

        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, IDLE_STACK);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        r = pthread_create(&t, &attr, idle_thread, (void *)(intptr_t)report);
        pthread_attr_destroy(&attr);
        return -r;
}

/* The farm's main thread: a listener per thread, each handed to the
 * daemon and closed here, then one byte to the bench. */
static int farm(const struct bench_daemon *d, int count, int ready)
{
        int report[2];

        if (pipe2(report, O_CLOEXEC) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return 1;
        for (int i = 0; i < count; i++) {
                int fd;

                if (spawn_idle_thread(report[1]) < 0 ||
                    read(report[0], &fd, sizeof(fd)) != sizeof(fd))
                        return 1;
                if (fd < 0) {
                        fprintf(stderr, "unotify-bench: idle listener %d: %s\n", i, strerror(-fd));
                        return 1;
                }
                if (bench_daemon_hand(d, fd, "bench-continue", 0) < 0)
                        return 1;
                close(fd);
        }
        return write(ready, "r", 1) == 1 ? 0 : 1;
}

int idle_farm_start(const struct bench_daemon *d, int count, struct idle_farm *ret)
{
        int ready[2];
        char byte;

        if (pipe2(ready, O_CLOEXEC) < 0)
                return -errno;
        ret->count = count;
        ret->pid = fork();
        if (ret->pid < 0)
                return -errno;
        if (ret->pid == 0) {
                close(ready[0]);
                if (farm(d, count, ready[1]) != 0)
                        _exit(1);
                for (;;)
                        pause();
        }
        close(ready[1]);
        if (read(ready[0], &byte, 1) != 1) {
                close(ready[0]);
                idle_farm_stop(ret);
                return -EIO;
        }
        close(ready[0]);
        return 0;
}

/* Every thread dies with the process: the daemon sees its listeners hang up. */
void idle_farm_stop(struct idle_farm *f)
{
        if (f->pid <= 0)
                return;
        kill(f->pid, SIGKILL);
        waitpid(f->pid, NULL, 0);
        f->pid = 0;
}
