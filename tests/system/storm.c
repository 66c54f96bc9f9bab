#include "storm.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
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
        const struct storm *s = arg;

        while (atomic_load(&storm_on)) {
                syscall(SYS_tgkill, getpid(), s->tid, SIGUSR1);
                usleep(50);
        }
        return NULL;
}

bool storm_start(struct storm *s)
{
        struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
        const char *e = getenv("UNOTIFY_SOAK_STORM");

        s->on = false;
        if (!e || strcmp(e, "1"))
                return false;
        s->tid = (pid_t)syscall(SYS_gettid);
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGUSR1, &sa, NULL) < 0)
                return false;
        atomic_store(&storm_on, 1);
        if (pthread_create(&s->thread, NULL, storm_thread, s) != 0)
                return false;
        while (!atomic_load(&storm_caught))
                usleep(100);
        s->on = true;
        return true;
}

unsigned storm_stop(struct storm *s)
{
        if (!s->on)
                return 0;
        atomic_store(&storm_on, 0);
        pthread_join(s->thread, NULL);
        s->on = false;
        return atomic_load(&storm_caught);
}
