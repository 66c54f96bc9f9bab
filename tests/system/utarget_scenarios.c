/* The scenarios of unotify-utarget (utarget.c says what each does): run
 * as pid 1, uid 0 of a user namespace, without CAP_SYS_ADMIN. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

int run_scenario(int argc, char **argv);
int mountapi_scenario(int argc, char **argv); /* utarget_mountapi.c */
const char *ename(int e);
void mountinfo_line(const char *dir, char *buf, size_t size);

const char *ename(int e)
{
        static char buf[32];

        switch (e) {
        case 0:
                return "ok";
        case EPERM:
                return "EPERM";
        case EACCES:
                return "EACCES";
        case ENOENT:
                return "ENOENT";
        case EFAULT:
                return "EFAULT";
        case EINVAL:
                return "EINVAL";
        case ESRCH:
                return "ESRCH";
        case ENOSYS:
                return "ENOSYS";
        case EBUSY:
                return "EBUSY";
        case EBADF:
                return "EBADF";
        case ENODEV:
                return "ENODEV";
        case ENOTDIR:
                return "ENOTDIR";
        case ELOOP:
                return "ELOOP";
        case ERANGE:
                return "ERANGE";
        case ENODATA:
                return "ENODATA";
        default:
                snprintf(buf, sizeof(buf), "errno %d", e);
                return buf;
        }
}

static int do_sysinfo(void)
{
        struct sysinfo si;

        if (syscall(SYS_sysinfo, &si) < 0) {
                printf("sysinfo: %s\n", ename(errno));
                return 0;
        }
        printf("sysinfo: ok totalram=%llu freeram=%llu uptime=%ld procs=%u\n",
               (unsigned long long)si.totalram * si.mem_unit,
               (unsigned long long)si.freeram * si.mem_unit, si.uptime, si.procs);
        return 0;
}

static int do_nice(pid_t pid, int n)
{
        errno = 0;
        if (setpriority(PRIO_PROCESS, (id_t)pid, n) < 0) {
                printf("nice: %s\n", ename(errno));
                return 0;
        }
        printf("nice: ok %d\n", getpriority(PRIO_PROCESS, (id_t)pid));
        return 0;
}

static int do_nice_child(int n)
{
        pid_t child = fork();
        int status;

        if (child == 0) {
                pause();
                _exit(0);
        }
        do_nice(child, n);
        kill(child, SIGKILL);
        waitpid(child, &status, 0);
        return 0;
}

static int do_fifo(int prio)
{
        struct sched_param p = { .sched_priority = prio };

        if (sched_setscheduler(0, SCHED_FIFO, &p) < 0)
                printf("fifo: %s\n", ename(errno));
        else
                printf("fifo: ok %d\n", sched_getscheduler(0));
        return 0;
}

struct attr {
        uint32_t size, policy;
        uint64_t flags;
        int32_t nice;
        uint32_t priority;
        uint64_t runtime, deadline, period;
};

static int do_attr(int nice)
{
        struct attr a = { .size = 48, .policy = SCHED_OTHER, .nice = nice };

        if (syscall(SYS_sched_setattr, 0, &a, 0) < 0)
                printf("attr: %s\n", ename(errno));
        else
                printf("attr: ok %d\n", getpriority(PRIO_PROCESS, 0));
        return 0;
}

/* The options field of DIR's line in /proc/self/mountinfo, "-" if none. */
void mountinfo_line(const char *dir, char *buf, size_t size)
{
        FILE *f = fopen("/proc/self/mountinfo", "re");
        char line[4096], mp[4096], opts[1024], super[1024];

        snprintf(buf, size, "-");
        while (f && fgets(line, sizeof(line), f)) {
                char *dash = strstr(line, " - ");

                if (sscanf(line, "%*s %*s %*s %*s %4095s %1023s", mp, opts) == 2 &&
                    !strcmp(mp, dir) && dash && sscanf(dash + 3, "%*s %*s %1023s", super) == 1)
                        snprintf(buf, size, "%s %s", opts, super); /* the last one is on top */
        }
        if (f)
                fclose(f);
}

static unsigned long parse_ms_flags(const char **opts)
{
        static const struct {
                const char *name;
                unsigned long flag;
        } names[] = { { "rdonly", MS_RDONLY }, { "nosuid", MS_NOSUID }, { "nodev", MS_NODEV },
                      { "noexec", MS_NOEXEC }, { "bind", MS_BIND },     { "remount", MS_REMOUNT },
                      { "rec", MS_REC } };
        unsigned long flags = 0;
        const char *s = *opts;

        if (strncmp(s, "flags:", 6) != 0)
                return 0;
        s += 6;
        while (*s && *s != ';') {
                size_t n = strcspn(s, ",;");

                for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                        if (strlen(names[i].name) == n && !strncmp(s, names[i].name, n))
                                flags |= names[i].flag;
                s += n;
                s += *s == ',';
        }
        *opts = *s == ';' ? s + 1 : s;
        return flags;
}

static int do_mount(const char *type, const char *src, const char *dir, const char *opts)
{
        unsigned long flags = parse_ms_flags(&opts);
        char line[2048];

        if (!strcmp(type, "bind")) {
                type = NULL;
                flags |= MS_BIND;
        }
        /* "0xHEX": that raw pointer, for the bad-pointer cases. */
        if (!strncmp(dir, "0x", 2))
                dir = (const char *)(uintptr_t)strtoull(dir, NULL, 16);
        if (type && !strncmp(type, "0x", 2))
                type = (const char *)(uintptr_t)strtoull(type, NULL, 16);
        if (mount(src, dir, type, flags, *opts ? opts : NULL) < 0) {
                printf("mount: %s\n", ename(errno));
                return 0;
        }
        mountinfo_line(dir, line, sizeof(line));
        printf("mount: ok %s\n", line);
        return 0;
}

/* A proc at dir: its "self" (our pid in the pid namespace it shows) and
 * the number of pids it lists. */
static int do_pids(const char *dir)
{
        char path[512], self[64] = "";
        struct dirent *e;
        DIR *d = opendir(dir);
        unsigned n = 0;

        if (!d) {
                printf("pids: %s\n", ename(errno));
                return 0;
        }
        while ((e = readdir(d)))
                n += e->d_name[0] >= '1' && e->d_name[0] <= '9';
        closedir(d);
        snprintf(path, sizeof(path), "%s/self", dir);
        if (readlink(path, self, sizeof(self) - 1) < 0)
                snprintf(self, sizeof(self), "%s", ename(errno));
        printf("pids: ok self=%s count=%u\n", self, n);
        return 0;
}

/* A devpts at dir: a pty from its ptmx, its other end opened there. */
static int do_pty(const char *dir)
{
        char path[512];
        int n = -1, unlock = 0, fd, peer;

        snprintf(path, sizeof(path), "%s/ptmx", dir);
        fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (fd < 0 || ioctl(fd, TIOCSPTLCK, &unlock) < 0 || ioctl(fd, TIOCGPTN, &n) < 0) {
                printf("pty: %s\n", ename(errno));
                return 0;
        }
        snprintf(path, sizeof(path), "%s/%d", dir, n);
        peer = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
        printf("pty: %s %d\n", peer < 0 ? ename(errno) : "ok", n);
        return 0;
}

struct swapper {
        const char *dir;
        atomic_bool stop;
        atomic_uint swaps;
};

static void *swap_links(void *arg)
{
        struct swapper *s = arg;
        char link[512], tmp[512];

        snprintf(link, sizeof(link), "%s/link", s->dir);
        snprintf(tmp, sizeof(tmp), "%s/link.tmp", s->dir);
        for (unsigned i = 0; !atomic_load(&s->stop); i++) {
                unlink(tmp);
                if (symlink(i % 2 ? "/etc" : "allowed", tmp) == 0 && rename(tmp, link) == 0)
                        atomic_fetch_add(&s->swaps, 1);
        }
        return NULL;
}

/* Every mount that succeeds must be at DIR/allowed: undone there. */
static int do_swap(const char *dir, int n)
{
        struct swapper s = { .dir = dir };
        unsigned mounted = 0, refused = 0, outside = 0;
        char link[512], allowed[512], line[2048];
        pthread_t t;

        snprintf(link, sizeof(link), "%s/link", dir);
        snprintf(allowed, sizeof(allowed), "%s/allowed", dir);
        pthread_create(&t, NULL, swap_links, &s);
        for (int i = 0; i < n; i++) {
                if (mount("none", link, "tmpfs", 0, "size=64k") < 0) {
                        refused++;
                        continue;
                }
                mounted++;
                if (umount2(allowed, 0) < 0)
                        outside++;
        }
        atomic_store(&s.stop, true);
        pthread_join(t, NULL);
        mountinfo_line("/etc", line, sizeof(line));
        printf("swap: mounted=%u refused=%u outside=%u etc=%s swaps=%u\n", mounted, refused,
               outside, strcmp(line, "-") ? "mounted" : "clean", atomic_load(&s.swaps));
        return 0;
}

struct hammer {
        const char *dir;
        int n, failed, first_errno;
        atomic_bool done;
};

static void on_usr1(int sig)
{
        (void)sig;
}

static void *mount_many(void *arg)
{
        struct hammer *h = arg;
        char p[512];

        for (int i = 0; i < h->n; i++) {
                snprintf(p, sizeof(p), "%s/m%d", h->dir, i);
                mkdir(p, 0755);
                if (mount("none", p, "tmpfs", 0, "size=16k") < 0 && h->failed++ == 0)
                        h->first_errno = errno;
        }
        atomic_store(&h->done, true);
        return NULL;
}

/* How many times each DIR/mI is a mount point in our mountinfo. */
static void count_mounts(const struct hammer *h, int *counts)
{
        FILE *f = fopen("/proc/self/mountinfo", "re");
        char line[4096], mp[4096], prefix[520];
        size_t len;

        snprintf(prefix, sizeof(prefix), "%s/m", h->dir);
        len = strlen(prefix);
        while (f && fgets(line, sizeof(line), f)) {
                int i;

                if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 && !strncmp(mp, prefix, len) &&
                    sscanf(mp + len, "%d", &i) == 1 && i >= 0 && i < h->n)
                        counts[i]++;
        }
        if (f)
                fclose(f);
}

static int do_hammer_mount(const char *dir, int n)
{
        struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
        struct hammer h = { .dir = dir, .n = n };
        int *counts = calloc((size_t)n, sizeof(int)), once = 0, twice = 0, none = 0;
        unsigned long signals = 0;
        pthread_t t;

        sigaction(SIGUSR1, &sa, NULL);
        pthread_create(&t, NULL, mount_many, &h);
        while (!atomic_load(&h.done)) {
                pthread_kill(t, SIGUSR1);
                signals++;
        }
        pthread_join(t, NULL);
        count_mounts(&h, counts);
        for (int i = 0; i < n; i++) {
                once += counts[i] == 1;
                twice += counts[i] > 1;
                none += counts[i] == 0;
        }
        printf("hammer: calls=%d failed=%d (%s) once=%d twice=%d none=%d signals=%s\n", n, h.failed,
               ename(h.first_errno), once, twice, none,
               signals > (unsigned long)n ? "many" : "few");
        free(counts);
        return 0;
}

/* A device program: deny writes to 1:3 (/dev/null), allow the rest. */
static int load_devprog(int type)
{
        struct bpf_insn insns[] = {
                { .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = 2, .src_reg = 1, .off = 0 },
                { .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = 3, .src_reg = 1, .off = 4 },
                { .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = 4, .src_reg = 1, .off = 8 },
                { .code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = 3, .off = 6, .imm = 1 },
                { .code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = 4, .off = 5, .imm = 3 },
                { .code = BPF_ALU | BPF_RSH | BPF_K, .dst_reg = 2, .imm = 16 },
                { .code = BPF_ALU | BPF_AND | BPF_K, .dst_reg = 2, .imm = BPF_DEVCG_ACC_WRITE },
                { .code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = 2, .off = 2, .imm = 0 },
                { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
                { .code = BPF_JMP | BPF_EXIT },
                { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 1 },
                { .code = BPF_JMP | BPF_EXIT },
        };
        union bpf_attr a = { .prog_type = (uint32_t)type,
                             .insn_cnt = 12,
                             .insns = (uint64_t)(uintptr_t)insns,
                             .license = (uint64_t)(uintptr_t) "GPL" };

        return (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
}

static int attach_devprog(int cmd, int cg, int prog)
{
        union bpf_attr a = { .target_fd = (uint32_t)cg,
                             .attach_bpf_fd = (uint32_t)prog,
                             .attach_type = BPF_CGROUP_DEVICE };

        return (int)syscall(SYS_bpf, cmd, &a, sizeof(a));
}

static void said(const char *what, long r)
{
        printf("%s: %s\n", what, ename(r < 0 ? errno : 0));
}

/* In CG (the container's cgroup v2): load, attach to CG/c, a child there
 * cannot write /dev/null; attaching outside CG and to a file fails. */
static int do_bpf_dev(const char *cg)
{
        char child_cg[512], procs[600];
        int prog, fd, status;
        pid_t pid;

        snprintf(child_cg, sizeof(child_cg), "%s/c", cg);
        mkdir(child_cg, 0755);
        said("load-socket-filter", load_devprog(BPF_PROG_TYPE_SOCKET_FILTER));
        prog = load_devprog(BPF_PROG_TYPE_CGROUP_DEVICE);
        said("load", prog);
        if (prog < 0)
                return 0;
        fd = open(child_cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        said("attach", attach_devprog(BPF_PROG_ATTACH, fd, prog));
        pid = fork();
        if (pid == 0) {
                int p;

                snprintf(procs, sizeof(procs), "%s/cgroup.procs", child_cg);
                p = open(procs, O_WRONLY | O_CLOEXEC);
                if (p < 0 || write(p, "0", 1) != 1)
                        printf("child-join: %s\n", ename(errno));
                said("child-write-null", open("/dev/null", O_WRONLY | O_CLOEXEC));
                said("child-read-zero", open("/dev/zero", O_RDONLY | O_CLOEXEC));
                fflush(stdout);
                _exit(0);
        }
        waitpid(pid, &status, 0);
        said("parent-write-null", open("/dev/null", O_WRONLY | O_CLOEXEC));
        {
                char parent[512];
                int pfd, file;

                snprintf(parent, sizeof(parent), "%s/..", cg);
                pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                said("attach-outside", attach_devprog(BPF_PROG_ATTACH, pfd, prog));
                file = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
                said("attach-file", attach_devprog(BPF_PROG_ATTACH, file, prog));
        }
        said("detach", attach_devprog(BPF_PROG_DETACH, fd, prog));
        rmdir(child_cg);
        return 0;
}

static int one_scenario(int argc, char **argv)
{
        const char *s = argv[0];

        if (!strcmp(s, "sysinfo"))
                return do_sysinfo();
        if (!strcmp(s, "sysinfo-ptr") && argc >= 2) {
                long r = syscall(SYS_sysinfo, (void *)(uintptr_t)strtoull(argv[1], NULL, 16));

                printf("sysinfo: %s\n", ename(r < 0 ? errno : 0));
                return 0;
        }
        if (!strcmp(s, "nice") && argc >= 2)
                return do_nice(0, atoi(argv[1]));
        if (!strcmp(s, "nice-pid") && argc >= 3)
                return do_nice(atoi(argv[1]), atoi(argv[2]));
        if (!strcmp(s, "nice-child") && argc >= 2)
                return do_nice_child(atoi(argv[1]));
        if (!strcmp(s, "fifo") && argc >= 2)
                return do_fifo(atoi(argv[1]));
        if (!strcmp(s, "attr") && argc >= 2)
                return do_attr(atoi(argv[1]));
        if (!strcmp(s, "mount") && argc >= 5)
                return do_mount(argv[1], argv[2], argv[3], argv[4]);
        if (!strcmp(s, "umount") && argc >= 2) {
                const char *dir = argv[1];

                if (!strncmp(dir, "0x", 2))
                        dir = (const char *)(uintptr_t)strtoull(dir, NULL, 16);
                printf("umount: %s\n", ename(umount2(dir, 0) < 0 ? errno : 0));
                return 0;
        }
        if (!strcmp(s, "unlink") && argc >= 2) {
                printf("unlink: %s\n", ename(unlink(argv[1]) < 0 ? errno : 0));
                return 0;
        }
        if (!strcmp(s, "pids") && argc >= 2)
                return do_pids(argv[1]);
        if (!strcmp(s, "pty") && argc >= 2)
                return do_pty(argv[1]);
        if (!strcmp(s, "swap") && argc >= 3)
                return do_swap(argv[1], atoi(argv[2]));
        if (!strcmp(s, "sleep") && argc >= 2) {
                sleep((unsigned)atoi(argv[1]));
                return 0;
        }
        if (!strcmp(s, "bpf-dev") && argc >= 2)
                return do_bpf_dev(argv[1]);
        if (!strcmp(s, "hammer-mount") && argc >= 3)
                return do_hammer_mount(argv[1], atoi(argv[2]));
        if (!strcmp(s, "setxattr") && argc >= 4) {
                const char *name = argv[2];

                if (!strncmp(name, "0x", 2))
                        name = (const char *)(uintptr_t)strtoull(name, NULL, 16);
                printf("setxattr: %s\n",
                       ename(setxattr(argv[1], name, argv[3], strlen(argv[3]), 0) < 0 ? errno : 0));
                return 0;
        }
        if (!strcmp(s, "removexattr") && argc >= 3) {
                printf("removexattr: %s\n", ename(removexattr(argv[1], argv[2]) < 0 ? errno : 0));
                return 0;
        }
        if (!strcmp(s, "ls") && argc >= 2) {
                struct stat st;

                if (stat(argv[1], &st) < 0)
                        printf("ls: %s\n", ename(errno));
                else
                        printf("ls: ok %u:%u %o\n", st.st_uid, st.st_gid, st.st_mode & 07777);
                return 0;
        }
        if (!strcmp(s, "write") && argc >= 2) {
                FILE *f = fopen(argv[1], "we");

                printf("write: %s\n",
                       ename(f && fputs("x\n", f) >= 0 && fclose(f) == 0 ? 0 : errno));
                return 0;
        }
        if (mountapi_scenario(argc, argv) >= 0)
                return 0;
        fprintf(stderr, "unknown scenario %s\n", s);
        return 2;
}

/* Scenarios one after the other, separated by "+" arguments. */
int run_scenario(int argc, char **argv)
{
        int start = 0, r = 0;

        for (int i = 0; i <= argc && r == 0; i++)
                if (i == argc || !strcmp(argv[i], "+")) {
                        if (i > start)
                                r = one_scenario(i - start, argv + start);
                        start = i + 1;
                }
        return r;
}
