/* The "sysinfo" handler: sysinfo(2) as a container should see it. The
 * memory and swap figures are its memory cgroup's (cgroup.h): totalram
 * the limit, freeram the limit less the usage, totalswap/freeswap the
 * same for swap, procs the tasks in that cgroup; uptime counts from the
 * start of the container's init (pid 1 of the task's pid namespace);
 * the loads are the host's. A task without a memory limit gets the
 * host's memory figures. The answer is written into the task's buffer
 * (process_vm_writev) right after NOTIF_ID_VALID, as the kernel's
 * copy_to_user would: a bad pointer gets EFAULT. */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "emulate/cgroup.h"
#include "handlers/handler.h"
#include "emulate/pidns.h"
#include "notify/target.h"
#include "unotify/macro.h"
#include "emulate/worker.h"

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#define NATIVE_ARCH 0u /* unknown: nothing is emulated */
#endif

static const char *const served[] = { "sysinfo" };

/* When pid started, in seconds after boot (field 22 of /proc/PID/stat:
 * clock ticks of the boot-time clock, which sysinfo's uptime counts). */
static long start_after_boot(int proc_fd, pid_t pid)
{
        char path[64], text[1024], *s;
        _cleanup_(closep) int fd = -1;
        unsigned long long start;
        ssize_t n;

        snprintf(path, sizeof(path), "%d/stat", (int)pid);
        fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || (n = read(fd, text, sizeof(text) - 1)) <= 0)
                return -1;
        text[n] = '\0';
        s = strrchr(text, ')'); /* the comm may hold spaces and parentheses */
        for (int field = 2; s && field < 22; field++)
                s = strchr(s + 1, ' ');
        if (!s || sscanf(s, " %llu", &start) != 1)
                return -1;
        return (long)(start / (unsigned long long)sysconf(_SC_CLK_TCK));
}

/* The start of the init of each pid namespace seen lately, keyed by the
 * namespace's inode: a namespace's init is the same process for its whole
 * life, so a hit needs only a stat that the cached init is still in it. */
#define INIT_CACHE 64
static struct {
        ino_t ns;
        pid_t init;
        long start; /* seconds after boot */
} init_cache[INIT_CACHE];
static unsigned init_next;
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;

static ino_t pid_ns_of(int proc_fd, pid_t pid)
{
        char path[64];
        struct stat st;

        snprintf(path, sizeof(path), "%d/ns/pid", (int)pid);
        return fstatat(proc_fd, path, &st, 0) == 0 ? st.st_ino : 0;
}

static long cached_start(int proc_fd, ino_t ns)
{
        long start = -1;
        pid_t init = 0;

        pthread_mutex_lock(&init_lock);
        for (unsigned i = 0; i < INIT_CACHE; i++)
                if (init_cache[i].ns == ns) {
                        init = init_cache[i].init;
                        start = init_cache[i].start;
                }
        pthread_mutex_unlock(&init_lock);
        return start >= 0 && pid_ns_of(proc_fd, init) == ns ? start : -1;
}

static void cache_start(ino_t ns, pid_t init, long start)
{
        pthread_mutex_lock(&init_lock);
        init_cache[init_next] = (typeof(init_cache[0])){ .ns = ns, .init = init, .start = start };
        init_next = (init_next + 1) % INIT_CACHE;
        pthread_mutex_unlock(&init_lock);
}

/* Seconds since the init of tid's pid namespace started; -1: unknown,
 * or the daemon's own namespace (then the host's uptime is right). */
static long container_uptime(int proc_fd, pid_t tid)
{
        static ino_t own;
        struct timespec now;
        ino_t ns = pid_ns_of(proc_fd, tid);
        long start;
        pid_t init;

        if (!own)
                own = pid_ns_of(proc_fd, getpid());
        if (!ns || ns == own || clock_gettime(CLOCK_BOOTTIME, &now) < 0)
                return -1;
        start = cached_start(proc_fd, ns);
        if (start < 0) {
                init = pidns_init(proc_fd, tid);
                if (init <= 0 || (start = start_after_boot(proc_fd, init)) < 0)
                        return -1;
                cache_start(ns, init, start);
        }
        return now.tv_sec >= start ? now.tv_sec - start : 0;
}

/* The cgroup's figures over the host's, in bytes (mem_unit 1). */
static void apply_memcg(struct sysinfo *si, const struct memcg *cg)
{
        uint64_t unit = si->mem_unit ? si->mem_unit : 1;
        uint64_t host_ram = (uint64_t)si->totalram * unit,
                 host_swap = (uint64_t)si->totalswap * unit;
        uint64_t host_free_swap = (uint64_t)si->freeswap * unit;

        if (cg->limit >= host_ram)
                return; /* no limit that matters: the host's figures */
        si->mem_unit = 1;
        si->totalram = cg->limit;
        si->freeram = cg->usage < cg->limit ? cg->limit - cg->usage : 0;
        si->sharedram = 0;
        si->bufferram = 0;
        si->totalhigh = si->freehigh = 0;
        if (cg->swap_limit < host_swap) {
                si->totalswap = cg->swap_limit;
                si->freeswap =
                        cg->swap_usage < cg->swap_limit ? cg->swap_limit - cg->swap_usage : 0;
        } else {
                si->totalswap = host_swap;
                si->freeswap = host_free_swap;
        }
        if (cg->tasks && cg->tasks <= 0xffff)
                si->procs = (unsigned short)cg->tasks;
}

static void sysinfo_run(struct emul_call *c, struct worker *w)
{
        struct sysinfo si;
        struct memcg cg;
        long up;
        int r;

        /* A 32-bit task's struct sysinfo is laid out differently. */
        if (c->req.data.arch != NATIVE_ARCH) {
                c->error = -ENOSYS;
                c->why = "only the native struct sysinfo is emulated";
                return;
        }
        if (sysinfo(&si) < 0) {
                c->error = -errno;
                return;
        }
        if (memcg_read(w->proc_fd, (pid_t)c->req.pid,
                       (uint64_t)si.totalram * (si.mem_unit ? si.mem_unit : 1), &cg) == 0)
                apply_memcg(&si, &cg);
        up = container_uptime(w->proc_fd, (pid_t)c->req.pid);
        if (up >= 0)
                si.uptime = up;
        r = target_id_valid(c->listener_fd, c->req.id); /* right before the write */
        if (r >= 0)
                r = target_write((pid_t)c->req.pid, c->req.data.args[0], &si, sizeof(si));
        if (r < 0)
                c->error = r;
}

const struct handler handler_sysinfo = {
        .id = UNOTIFY_HANDLER_SYSINFO,
        .name = "sysinfo",
        .syscalls = served,
        .n_syscalls = ELEMENTSOF(served),
        .run = sysinfo_run,
};
