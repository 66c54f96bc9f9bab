#include "notify/priority.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "service/log.h"

/* On Linux, PRIO_PROCESS with a thread id sets that thread's nice only. */
static int set_nice(pid_t tid, int nice)
{
        return setpriority(PRIO_PROCESS, (id_t)tid, nice) < 0 ? -errno : 0;
}

int priority_init(struct priority *p, int busy)
{
        int r;

        *p = (struct priority){ .tid = gettid(), .busy = busy };
        errno = 0;
        p->base = getpriority(PRIO_PROCESS, (id_t)p->tid);
        if (p->base == -1 && errno != 0)
                return -errno;
        if (busy >= p->base)
                return 0; /* nothing to raise: never switch */
        r = set_nice(p->tid, busy);
        if (r == 0)
                r = set_nice(p->tid, p->base);
        p->available = r == 0;
        return r;
}

void priority_switch(struct priority *p, bool busy)
{
        int r = set_nice(p->tid, busy ? p->busy : p->base);

        if (r < 0) {
                /* Only if the limits changed under us: stop trying. */
                p->available = false;
                log_warning_errno(r, "cannot set the loop's nice value to %d; it stays at %d",
                                  busy ? p->busy : p->base, busy ? p->base : p->busy);
                return;
        }
        p->raised = busy;
        p->switches++;
}
