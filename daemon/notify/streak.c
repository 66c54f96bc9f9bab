#include "notify/streak.h"

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "service/log.h"

static timer_t timer;
static bool available;
static pid_t loop_tid;
static volatile sig_atomic_t expired;
/* Set by streak_interrupt (any thread), read by the loop. Either the
 * interrupter sees `active` and signals the RECV, or the loop sees
 * `interrupted` before its next RECV. `signalling` counts interrupters
 * between reading `active` and their tgkill: streak_end waits for them,
 * so that no signal of theirs lands after the streak, in some other wait
 * of the loop's (ADDFD waits for the task, interruptibly). */
static atomic_bool active, interrupted;
static atomic_uint signalling;

static int streak_signal(void)
{
        /* SIGRTMIN itself wakes pool workers (emulate/pool.c). */
        return SIGRTMIN + 1;
}

static void on_streak_signal(int sig)
{
        (void)sig;
        expired = 1;
}

static int set_timer(uint64_t ns)
{
        struct itimerspec its = {
                .it_value = { .tv_sec = ns / 1000000000u, .tv_nsec = ns % 1000000000u },
        };

        its.it_interval = its.it_value;
        return timer_settime(timer, 0, &its, NULL) < 0 ? -errno : 0;
}

int streak_init(void)
{
        struct sigaction sa = { .sa_handler = on_streak_signal }; /* no SA_RESTART */
        struct sigevent sev = {
                .sigev_notify = SIGEV_THREAD_ID,
                .sigev_signo = streak_signal(),
        };

        loop_tid = gettid();
        sev._sigev_un._tid = loop_tid;
        sigemptyset(&sa.sa_mask);
        if (sigaction(streak_signal(), &sa, NULL) < 0 ||
            timer_create(CLOCK_MONOTONIC, &sev, &timer) < 0) {
                int r = -errno;

                log_debug("streaks unavailable: %s", strerror(-r));
                return r;
        }
        available = true;
        return 0;
}

void streak_done(void)
{
        if (!available)
                return;
        timer_delete(timer);
        available = false;
}

bool streak_begin(void)
{
        if (!available || atomic_load(&interrupted))
                return false;
        expired = 0;
        if (set_timer(STREAK_PERIOD_NS) < 0)
                return false;
        atomic_store(&active, true);
        return true;
}

bool streak_expired(void)
{
        return expired || atomic_load(&interrupted);
}

void streak_end(void)
{
        atomic_store(&active, false);
        while (atomic_load(&signalling))
                sched_yield();
        /* A signal still pending is delivered as this call returns. */
        set_timer(0);
}

void streak_interrupt(void)
{
        atomic_store(&interrupted, true);
        atomic_fetch_add(&signalling, 1);
        if (atomic_load(&active))
                tgkill(getpid(), loop_tid, streak_signal());
        atomic_fetch_sub(&signalling, 1);
}

void streak_interrupt_seen(void)
{
        atomic_store(&interrupted, false);
}
