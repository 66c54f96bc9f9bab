/* The loop thread's scheduling priority (nice value), switched by load.
 *
 * While many threads call in (the daemon's load is busy, wakeup.h), every
 * woken target would wait in the loop's way on its CPU. A raised priority
 * gives the loop the larger share there, and the scheduler's load
 * balancing then moves those targets to the other CPUs: with 8 or 64
 * threads on one listener, 0.8x the time per call of the same daemon at
 * nice 0. With one or a few threads it costs instead (1.1x: sync
 * wake-ups already put the target on the daemon's CPU), so the loop goes
 * back to the priority it was started with. Nor is it raised while the
 * loop is shared between listeners (answer.c): the targets of the others
 * then waited 35-74 us behind it on its CPU. Only the loop thread
 * switches; a thread it starts takes its nice value of that moment.
 * Under cgroup v2 the nice value weighs only within the daemon's cgroup.
 *
 * Raising it needs CAP_SYS_NICE or RLIMIT_NICE (systemd: LimitNICE=). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#define UNOTIFYD_DEFAULT_NICE (-10)

struct priority {
        pid_t tid;      /* the loop thread */
        int base;       /* the nice value it was started with */
        int busy;       /* and the one it runs at while busy */
        bool available; /* busy < base, and the kernel lets us switch */
        bool raised;
        unsigned long long switches;
};

/* On the loop thread: remember its nice value and check that it may go to
 * `busy` and back. Returns 0, or -errno when it may not (and the loop
 * keeps its priority). */
int priority_init(struct priority *p, int busy);
/* Switch to the busy priority or back; a syscall only on a change. */
void priority_switch(struct priority *p, bool busy);

static inline void priority_follow(struct priority *p, bool busy)
{
        if (p->available && p->raised != busy)
                priority_switch(p, busy);
}
