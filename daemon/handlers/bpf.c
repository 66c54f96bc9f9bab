/* The "bpf" handler: bpf(2) for a container's runtime that manages device
 * access with cgroup v2 device programs, and nothing else:
 *
 *   BPF_PROG_LOAD of BPF_PROG_TYPE_CGROUP_DEVICE programs only, of at most
 *   the rule's maxInstructions; the daemon loads its own copy of the
 *   instructions and license and injects the program's fd;
 *   BPF_PROG_ATTACH / BPF_PROG_DETACH of such a program (attach type
 *   BPF_CGROUP_DEVICE) to a cgroup v2 directory inside the task's own
 *   cgroup (checked on the fd's real path, not a name).
 *
 * Every other command, program type, attach type or flag gets the rule's
 * errno; fields the handler does not pass on must be zero. Device programs
 * are hierarchical: one attached below the container's cgroup can only
 * deny more, the container's own (outer) program still applies. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "emulate/preempt_journal.h"
#include "handlers/bpf_attr.h"
#include "handlers/handler.h"
#include "notify/target.h"
#include "unotify/macro.h"
#include "emulate/worker.h"

static const char *const served[] = { "bpf" };

static long sys_bpf(int cmd, union bpf_attr *a)
{
        return syscall(SYS_bpf, cmd, a, sizeof(*a));
}

static int load(struct emul_call *c, const union bpf_attr *a)
{
        struct task_mem mem = task_mem_of((pid_t)c->req.pid);
        struct bpf_load l;
        long fd;
        int r;

        r = bpf_load_prepare(&mem, a, c->opts->bpf_max_insns, c->opts->refuse_errno, &l, &c->why);
        if (r < 0)
                return r;
        r = target_id_valid(c->listener_fd, c->req.id);
        if (r >= 0) {
                fd = sys_bpf(BPF_PROG_LOAD, &l.attr);
                r = fd < 0 ? negative_errno() : 0;
                if (fd >= 0) {
                        c->fd = (int)fd;
                        c->cloexec = true; /* the kernel's bpf fds are O_CLOEXEC */
                }
        }
        bpf_load_done(&l);
        return r;
}

/* Where the daemon sees the cgroup2 hierarchy (its first cgroup2 mount of
 * the whole tree); "" when none. */
static void cgroup2_root(char *buf, size_t size)
{
        _cleanup_(fclosep) FILE *f = fopen("/proc/self/mountinfo", "re");
        char line[4096], root[4096], mp[4096];

        buf[0] = '\0';
        while (f && fgets(line, sizeof(line), f)) {
                char *dash = strstr(line, " - ");

                if (dash && !strncmp(dash + 3, "cgroup2 ", 8) &&
                    sscanf(line, "%*s %*s %*s %4095s %4095s", root, mp) == 2 &&
                    !strcmp(root, "/")) {
                        snprintf(buf, size, "%s", mp);
                        return;
                }
        }
}

/* The task's cgroup v2 directory as the daemon sees it; not the root. */
static int task_cgroup2(struct worker *w, pid_t pid, char *buf, size_t size)
{
        char path[64], line[PATH_MAX + 8], root[PATH_MAX];
        _cleanup_(fclosep) FILE *f = NULL;
        int fd;

        cgroup2_root(root, sizeof(root));
        if (!root[0])
                return -ENOENT;
        snprintf(path, sizeof(path), "%d/cgroup", (int)pid);
        fd = openat(w->proc_fd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || !(f = fdopen(fd, "re")))
                return safe_close(fd), -ENOENT;
        while (fgets(line, sizeof(line), f))
                if (!strncmp(line, "0::/", 4)) {
                        line[strcspn(line, "\n")] = '\0';
                        if (!line[4])
                                return -EPERM; /* the root: no container cgroup */
                        if (snprintf(buf, size, "%s%s", root, line + 3) >= (int)size)
                                return -ENAMETOOLONG;
                        return 0;
                }
        return -ENOENT;
}

/* The task's cgroup fd, which must be a cgroup2 directory at or under
 * its own cgroup. Returns the daemon's copy or -errno. */
static int cgroup_fd(struct emul_call *c, struct worker *w, int task_fd)
{
        char own[PATH_MAX] = "", real[PATH_MAX] = "";
        struct statfs sf;
        size_t len;
        int fd = target_dup_fd(c->listener_fd, &c->req, task_fd), r;

        if (fd < 0)
                return fd;
        r = fstatfs(fd, &sf) < 0 ? negative_errno() : 0;
        if (r == 0 && sf.f_type != CGROUP2_SUPER_MAGIC)
                r = -EBADF; /* what the kernel says for an fd that is no cgroup */
        if (r == 0)
                r = worker_fd_path(w, fd, real, sizeof(real));
        if (r >= 0)
                r = task_cgroup2(w, (pid_t)c->req.pid, own, sizeof(own));
        len = r >= 0 ? strlen(own) : 0;
        if (r >= 0 && !(strncmp(real, own, len) == 0 && (real[len] == '\0' || real[len] == '/'))) {
                c->why = "a cgroup outside the task's own";
                r = -c->opts->refuse_errno;
        } else if (r == -EPERM || r == -ENOENT) {
                c->why = "the task is in no cgroup v2 of its own";
                r = -c->opts->refuse_errno;
        }
        if (r < 0)
                return safe_close(fd), r;
        return fd;
}

/* The task's program fd: a device program, or -1 (detach: "the one"). */
static int prog_fd(struct emul_call *c, int task_fd, bool required)
{
        struct bpf_prog_info info = {};
        union bpf_attr q = {};
        int fd = target_dup_fd(c->listener_fd, &c->req, task_fd);

        if (fd < 0)
                return required ? fd : -1;
        q.info.bpf_fd = (uint32_t)fd;
        q.info.info_len = sizeof(info);
        q.info.info = (uint64_t)(uintptr_t)&info;
        if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &q) < 0 || info.type != BPF_PROG_TYPE_CGROUP_DEVICE) {
                safe_close(fd);
                return required ? -EINVAL : -1;
        }
        return fd;
}

static int attach(struct emul_call *c, struct worker *w, int cmd, const union bpf_attr *a)
{
        union bpf_attr l = {};
        int cg, prog, r;

        r = bpf_attach_check(a, c->opts->refuse_errno, &c->why);
        if (r < 0)
                return r;
        cg = cgroup_fd(c, w, (int)a->target_fd);
        if (cg < 0)
                return cg;
        prog = prog_fd(c, (int)a->attach_bpf_fd, cmd == BPF_PROG_ATTACH);
        r = prog < 0 && cmd == BPF_PROG_ATTACH ? prog : 0;
        if (r >= 0)
                r = target_id_valid(c->listener_fd, c->req.id);
        if (r >= 0) {
                l.target_fd = (uint32_t)cg;
                l.attach_bpf_fd = (uint32_t)prog; /* -1 for detach: any */
                l.attach_type = BPF_CGROUP_DEVICE;
                l.attach_flags = a->attach_flags;
                r = sys_bpf(cmd, &l) < 0 ? negative_errno() : 0;
        }
        safe_close(cg);
        if (prog >= 0)
                safe_close(prog);
        return r;
}

/* An attach (BPF_F_ALLOW_MULTI: EEXIST) or a detach (ENOENT) done twice
 * is seen: the restart of one whose answer a signal lost (no
 * WAIT_KILLABLE_RECV) gets the first one's from the journal. A load
 * again only makes another program (the lost fd was never installed). */
static void attach_once(struct emul_call *c, struct worker *w, int cmd, const union bpf_attr *a)
{
        int r;

        c->key_digest = journal_digest(&c->req, a, sizeof(*a));
        if (c->journal && journal_begin(c->journal, c))
                return;
        r = attach(c, w, cmd, a);
        c->side_effect = r >= 0;
        if (r < 0)
                c->error = r;
        if (c->journal)
                journal_end(c->journal, c);
}

static void bpf_run(struct emul_call *c, struct worker *w)
{
        struct task_mem mem = task_mem_of((pid_t)c->req.pid);
        int cmd = (int)c->req.data.args[0];
        union bpf_attr a;
        int r;

        if (cmd != BPF_PROG_LOAD && cmd != BPF_PROG_ATTACH && cmd != BPF_PROG_DETACH) {
                c->why = "a bpf command other than BPF_PROG_LOAD, ATTACH, DETACH";
                c->error = -c->opts->refuse_errno;
                return;
        }
        r = bpf_attr_read(&mem, c->req.data.args[1], c->req.data.args[2], &a);
        if (r >= 0)
                r = target_id_valid(c->listener_fd, c->req.id);
        if (r >= 0 && cmd != BPF_PROG_LOAD) {
                attach_once(c, w, cmd, &a);
                return;
        }
        if (r >= 0)
                r = load(c, &a);
        if (r < 0)
                c->error = r;
}

const struct handler handler_bpf = {
        .id = UNOTIFY_HANDLER_BPF,
        .name = "bpf",
        .syscalls = served,
        .n_syscalls = ELEMENTSOF(served),
        .run = bpf_run,
};
