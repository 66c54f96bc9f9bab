/* The "sched" handler: sched_setscheduler(2), sched_setparam(2),
 * sched_setattr(2) and setpriority(2) (PRIO_PROCESS) within the rule's
 * bounds: a policy from its list, a nice no lower than its minNice, a
 * SCHED_FIFO/SCHED_RR priority no higher than its maxRtPriority. The pid
 * argument is in the task's pid namespace: it is translated (pidns.h),
 * and a thread outside that namespace is not found (ESRCH), as the
 * kernel answers for a pid it cannot see. The daemon then makes the call
 * on that thread with its own CAP_SYS_NICE; the kernel still checks the
 * values (EINVAL). What is out of bounds gets the rule's errno. */
#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "handlers/handler.h"
#include "emulate/pidns.h"
#include "emulate/resolve.h"
#include "notify/target.h"
#include "unotify/macro.h"
#include "emulate/worker.h"

/* The kernel's struct sched_attr (its linux/sched/types.h clashes with
 * glibc's struct sched_param); versions 0 (48 bytes) and 1 (56). */
struct sched_attr {
        uint32_t size;
        uint32_t sched_policy;
        uint64_t sched_flags;
        int32_t sched_nice;
        uint32_t sched_priority;
        uint64_t sched_runtime, sched_deadline, sched_period;
        uint32_t sched_util_min, sched_util_max;
};

#define SCHED_ATTR_SIZE_VER0 48
#define SCHED_ATTR_MAX 4096 /* the kernel's bound too (a page) */

static const char *const served[] = { "sched_setscheduler", "sched_setparam", "sched_setattr",
                                      "setpriority" };

enum { SETSCHEDULER, SETPARAM, SETATTR, SETPRIORITY };

/* What the call asks for, in sched_attr's terms. */
struct sched_req {
        pid_t id; /* in the task's namespace */
        struct sched_attr attr;
        unsigned flags;   /* sched_setattr's */
        bool keep_policy; /* sched_setparam: the thread's own policy */
};

static bool is_rt(int policy)
{
        return policy == SCHED_FIFO || policy == SCHED_RR;
}

/* 0, or the errno: out of the rule's bounds, or invalid as the kernel
 * would find it before any permission check. */
static int check_bounds(const struct emul_call *c, const struct sched_attr *a, const char **why)
{
        const struct unotify_handler_options *o = c->opts;
        int policy = (int)a->sched_policy;

        if (policy < 0 || policy >= 32 || !(o->sched_policies & 1u << policy)) {
                *why = "a scheduling policy the rule does not allow";
                return policy == SCHED_DEADLINE || (policy >= 0 && policy <= SCHED_IDLE)
                               ? o->refuse_errno
                               : EINVAL;
        }
        if (is_rt(policy)) {
                if (a->sched_priority < 1 || a->sched_priority > 99)
                        return EINVAL;
                if ((int)a->sched_priority > o->sched_max_rt_priority) {
                        *why = "a real-time priority above the rule's maxRtPriority";
                        return o->refuse_errno;
                }
                return 0;
        }
        if (a->sched_priority != 0)
                return EINVAL;
        if (a->sched_nice < o->sched_min_nice && a->sched_nice >= -20) {
                *why = "a nice below the rule's minNice";
                return o->refuse_errno;
        }
        return 0;
}

static int read_param(const struct emul_call *c, uint64_t addr, struct sched_attr *a)
{
        struct sched_param p;
        int r = target_read((pid_t)c->req.pid, addr, &p, sizeof(p));

        if (r < 0)
                return r == -EFAULT ? -EINVAL : r; /* a bad param pointer: the kernel's EINVAL */
        a->sched_priority = (unsigned)p.sched_priority;
        return 0;
}

/* struct sched_attr as the kernel reads it (copy_struct_from_user): size
 * 0 is the first version; a larger one must end in zeros. */
static int read_attr(const struct emul_call *c, uint64_t addr, struct sched_attr *a)
{
        char buf[SCHED_ATTR_MAX];
        uint32_t size;
        int r = target_read((pid_t)c->req.pid, addr, &size, sizeof(size));

        if (r < 0)
                return r;
        if (size == 0)
                size = SCHED_ATTR_SIZE_VER0;
        if (size < SCHED_ATTR_SIZE_VER0 || size > SCHED_ATTR_MAX)
                return -E2BIG;
        r = target_read((pid_t)c->req.pid, addr, buf, size);
        if (r < 0)
                return r;
        for (size_t i = sizeof(*a); i < size; i++)
                if (buf[i])
                        return -E2BIG;
        memset(a, 0, sizeof(*a));
        memcpy(a, buf, size < sizeof(*a) ? size : sizeof(*a));
        a->size = sizeof(*a);
        return 0;
}

static int parse_call(struct emul_call *c, struct worker *w, struct sched_req *s)
{
        const __u64 *a = c->req.data.args;
        int r = 0;

        (void)w;
        /* Only sched_setattr and setpriority set a nice: the others pass
         * the nice check. */
        *s = (struct sched_req){ .id = (pid_t)a[0], .attr.sched_nice = 19 };
        switch (syscall_pick(&c->req, served, ELEMENTSOF(served))) {
        case SETSCHEDULER:
                s->attr.sched_policy = (unsigned)((int)a[1] & ~SCHED_RESET_ON_FORK);
                if ((int)a[1] & SCHED_RESET_ON_FORK)
                        s->attr.sched_flags = SCHED_FLAG_RESET_ON_FORK;
                return read_param(c, a[2], &s->attr);
        case SETPARAM:
                s->keep_policy = true;
                return read_param(c, a[1], &s->attr);
        case SETATTR:
                s->flags = (unsigned)a[2];
                if (s->flags)
                        return -EINVAL;
                r = read_attr(c, a[1], &s->attr);
                if (r == 0 && s->attr.sched_flags & ~(uint64_t)SCHED_FLAG_RESET_ON_FORK) {
                        c->why = "sched_setattr flags other than SCHED_FLAG_RESET_ON_FORK";
                        return -c->opts->refuse_errno;
                }
                return r;
        case SETPRIORITY:
                if ((int)a[0] != PRIO_PROCESS) {
                        c->why = "setpriority of a process group or user";
                        return (int)a[0] == PRIO_PGRP || (int)a[0] == PRIO_USER
                                       ? -c->opts->refuse_errno
                                       : -EINVAL;
                }
                s->id = (pid_t)a[1];
                s->attr.sched_policy = SCHED_OTHER;
                /* The kernel clamps it. */
                s->attr.sched_nice = (int)a[2] < -20 ? -20 : (int)a[2] > 19 ? 19 : (int)a[2];
                return 0;
        default:
                return -ENOSYS;
        }
}

/* setpriority and sched_setparam keep the thread's policy: check against
 * it. */
static int current_policy(pid_t tid, struct sched_attr *a)
{
        int policy = sched_getscheduler(tid);

        if (policy < 0)
                return negative_errno();
        a->sched_policy = (unsigned)(policy & ~SCHED_RESET_ON_FORK);
        return 0;
}

static int apply(const struct emul_call *c, const struct sched_req *s, pid_t tid)
{
        struct sched_param p = { .sched_priority = (int)s->attr.sched_priority };
        long r;

        switch (syscall_pick(&c->req, served, ELEMENTSOF(served))) {
        case SETSCHEDULER:
                r = sched_setscheduler(tid,
                                       (int)s->attr.sched_policy |
                                               (s->attr.sched_flags ? SCHED_RESET_ON_FORK : 0),
                                       &p);
                break;
        case SETPARAM:
                r = sched_setparam(tid, &p);
                break;
        case SETATTR:
                r = syscall(SYS_sched_setattr, tid, &s->attr, 0);
                break;
        default:
                r = setpriority(PRIO_PROCESS, (id_t)tid, s->attr.sched_nice);
                break;
        }
        return r < 0 ? negative_errno() : 0;
}

static void sched_run(struct emul_call *c, struct worker *w)
{
        struct sched_req s;
        pid_t tid;
        int r, e;

        r = parse_call(c, w, &s);
        if (r >= 0)
                r = target_id_valid(c->listener_fd, c->req.id);
        if (r >= 0)
                r = tid = pidns_translate(w->proc_fd, (pid_t)c->req.pid, s.id);
        if (r >= 0 && s.keep_policy)
                r = current_policy(tid, &s.attr);
        if (r >= 0 && (e = check_bounds(c, &s.attr, &c->why)))
                r = -e;
        if (r >= 0)
                r = target_id_valid(c->listener_fd, c->req.id); /* right before the change */
        if (r >= 0)
                r = apply(c, &s, tid);
        if (r < 0)
                c->error = r;
}

const struct handler handler_sched = {
        .id = UNOTIFY_HANDLER_SCHED,
        .name = "sched",
        .syscalls = served,
        .n_syscalls = ELEMENTSOF(served),
        .run = sched_run,
};
