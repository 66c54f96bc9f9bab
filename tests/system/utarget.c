/* unotify-utarget: a target in a user namespace, as in an unprivileged
 * container: a new user namespace mapping 0..65535 to host 100000..165535,
 * new mount, pid, network and IPC namespaces (the scenario runs as pid 1,
 * uid 0 there),
 * and the capabilities a runtime leaves a container (no CAP_SYS_ADMIN, no
 * CAP_SYS_NICE). Like a runtime, the host-root parent builds the filter,
 * the container process installs it and sends the listener back, and the
 * parent hands it to the daemon.
 *
 *   utarget SOCKET POLICY [--no-daemon] [--cgroup DIR] SCENARIO ARGS...
 *
 * --no-daemon: no filter at all (what the calls do without unotifyd).
 * --no-killable: the filter without WAIT_KILLABLE_RECV (the handoff says so).
 * --cgroup DIR: the container joins that cgroup first.
 * With UNOTIFY_SOAK_STORM=1 in the environment, the scenarios run under a
 * SIGUSR1 storm (storm.h), and "storm: signals N" follows them.
 *
 * Scenarios (each prints one line "NAME: ok ..." or "NAME: ERRNO"):
 *   sysinfo                 totalram (bytes), uptime, procs
 *   sysinfo-ptr HEX         sysinfo(2) on that raw pointer
 *   nice N                  setpriority(PRIO_PROCESS, 0, N), then the nice read back
 *   nice-pid PID N          setpriority of PID (in the container's pid namespace)
 *   nice-child N            a child (pid 2) gets nice N from its parent
 *   fifo PRIO               sched_setscheduler(0, SCHED_FIFO, PRIO)
 *   attr NICE               sched_setattr(0, SCHED_OTHER with that nice)
 *   mount TYPE SRC DIR OPTS  mount(2) with MS_* flags in OPTS "flags:" prefix,
 *                           then DIR's line in /proc/self/mountinfo
 *   umount DIR              umount2(DIR, 0)
 *   unlink PATH             unlink(PATH)
 *   pids DIR                where DIR/self leads (a proc) and how many pids it lists
 *   pty DIR                 open DIR/ptmx (a devpts) and the pty it makes there
 *   swap DIR N              a thread swaps DIR/link between "allowed" and "/etc";
 *                           N tmpfs mounts on DIR/link, each undone at DIR/allowed
 *   ls PATH                 its owner (as the container sees it) and mode
 *   write PATH              create/truncate PATH and write a line
 *   setxattr PATH NAME VALUE  (NAME 0xHEX: that raw pointer)
 *   removexattr PATH NAME
 *   sleep N                 sleep N seconds
 *   bpf-dev CG              load a device program denying /dev/null writes, attach it
 *                           to CG/c, a child there writes /dev/null; attach outside
 *   fsmnt TYPE DIR OPTS ATTRS  fsopen, fsconfig of OPTS ("k=v,k2" or "-"), CMD_CREATE,
 *                           fsmount with ATTRS (rdonly,nosuid,...), move_mount to DIR;
 *                           then DIR's mountinfo line and the change in our fd count
 *   treemnt SRC DIR         open_tree(SRC, OPEN_TREE_CLONE), move_mount to DIR
 *   fsforge DIR             the new mount API with forged fds and bad arguments
 *                           (one line each), then a mount at DIR and its umount
 *   fsabandon               fsopen a tmpfs context and exit holding it
 *   fuse DEV TYPE DIR OPTS  open DEV (a /dev/fuse node), mount(2) TYPE at DIR with
 *                           fd=N,rootmode=40000,user_id=0,group_id=0 and OPTS ("-": none)
 *   fusefs DEV TYPE DIR OPTS  the same by fsopen, fsconfig, fsmount, move_mount
 *   mounts DIR              how many mounts are stacked at DIR in our mountinfo
 *   hammer-mount DIR N      a thread mounts a tmpfs on DIR/m0..m(N-1) while this one
 *                           sends it SIGUSR1 (SA_RESTART) without pause; then how
 *                           many of those are mounted once, twice, not at all
 * Several scenarios run one after the other when separated by "+". */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

#include "storm.h"
#include "unotify/filter.h"
#include "unotify/unotify.h"

#define HOST_BASE 100000

int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
        return 1;
}

static void die(const char *what)
{
        perror(what);
        _exit(2);
}

static void send_fd(int sock, int fd)
{
        char c = 'f', ctl[CMSG_SPACE(sizeof(int))] = {};
        struct iovec iov = { .iov_base = &c, .iov_len = 1 };
        struct msghdr m = {
                .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)
        };
        struct cmsghdr *h = CMSG_FIRSTHDR(&m);

        h->cmsg_level = SOL_SOCKET;
        h->cmsg_type = SCM_RIGHTS;
        h->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(h), &fd, sizeof(int));
        if (sendmsg(sock, &m, 0) != 1)
                die("sendmsg");
}

static int recv_fd(int sock)
{
        char c, ctl[CMSG_SPACE(sizeof(int))] = {};
        struct iovec iov = { .iov_base = &c, .iov_len = 1 };
        struct msghdr m = {
                .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)
        };
        struct cmsghdr *h;
        int fd;

        if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1 || !(h = CMSG_FIRSTHDR(&m)))
                return -1;
        memcpy(&fd, CMSG_DATA(h), sizeof(int));
        return fd;
}

static void put(const char *path, const char *text)
{
        int fd = open(path, O_WRONLY | O_CLOEXEC);

        if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
                die(path);
        close(fd);
}

/* What a runtime leaves a container: no CAP_SYS_ADMIN, CAP_SYS_NICE... */
static void drop_caps(void)
{
        static const int keep[] = { CAP_CHOWN,      CAP_DAC_OVERRIDE, CAP_FOWNER,
                                    CAP_FSETID,     CAP_KILL,         CAP_SETGID,
                                    CAP_SETUID,     CAP_SETPCAP,      CAP_NET_BIND_SERVICE,
                                    CAP_SYS_CHROOT, CAP_MKNOD,        CAP_AUDIT_WRITE,
                                    CAP_SETFCAP };
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2] = {};
        uint64_t mask = 0;

        for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
                mask |= 1ull << keep[i];
        for (int c = 0; c <= 63; c++)
                if (!(mask & 1ull << c) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 &&
                    errno != EINVAL)
                        die("PR_CAPBSET_DROP");
        d[0].effective = d[0].permitted = (uint32_t)mask;
        d[1].effective = d[1].permitted = (uint32_t)(mask >> 32);
        if (syscall(SYS_capset, &h, d) < 0)
                die("capset");
}

struct setup {
        const char *socket, *policy, *cgroup;
        bool daemon;
        bool killable;
        struct sock_fprog prog;
        int sock[2]; /* parent <-> container */
};

static unsigned long filter_flags(const struct setup *s)
{
        return SECCOMP_FILTER_FLAG_NEW_LISTENER |
               (s->killable ? SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV : 0);
}

/* In the container (pid 1): its view, its filter; the parent hands it on. */
static void container_side(struct setup *s)
{
        char c;
        int fd;

        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                die("making / private");
        drop_caps();
        if (!s->daemon)
                return;
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, filter_flags(s), &s->prog);
        if (fd < 0)
                die("seccomp");
        send_fd(s->sock[1], fd);
        close(fd);
        if (read(s->sock[1], &c, 1) != 1 || c != 'h')
                _exit(3); /* the handoff failed: the parent said why */
}

/* The host-root parent: maps the ids, hands the listener over. */
static int parent_side(struct setup *s, pid_t child)
{
        char path[64], map[64], c;
        struct unotify_handoff h = { .pid = child,
                                     .container_id = "utarget",
                                     .policy = s->policy,
                                     .seccomp_flags = filter_flags(s) };
        struct unotify_reply reply;
        int status, fd, r;

        if (read(s->sock[0], &c, 1) != 1)
                return 2;
        snprintf(map, sizeof(map), "0 %d 65536\n", HOST_BASE);
        snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)child);
        put(path, map);
        snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)child);
        put(path, map);
        if (write(s->sock[0], "m", 1) != 1)
                return 2;
        if (s->daemon) {
                fd = recv_fd(s->sock[0]);
                if (fd < 0)
                        return 2;
                r = unotify_handoff_send(s->socket, fd, &h, &reply);
                if (r < 0)
                        fprintf(stderr, "handoff: %s\n", reply.error ? reply.error : strerror(-r));
                unotify_reply_clear(&reply);
                close(fd);
                if (r < 0 || write(s->sock[0], "h", 1) != 1)
                        return 2;
        }
        if (waitpid(child, &status, 0) < 0)
                return 2;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int build_filter(struct setup *s)
{
        struct unotify_reply reply;
        int r = unotify_query_policy(s->socket, s->policy, &reply);

        if (r < 0) {
                fprintf(stderr, "query: %s\n", reply.error ? reply.error : strerror(-r));
                return -1;
        }
        r = unotify_filter_build((const char *const *)reply.syscalls, reply.n_syscalls, &s->prog);
        unotify_reply_clear(&reply);
        return r;
}

int run_scenario(int argc, char **argv);

/* The scenarios, under a storm if the environment asks for one. */
static int scenarios(int argc, char **argv)
{
        struct storm st;
        bool storming = storm_start(&st);
        int r = run_scenario(argc, argv);
        unsigned signals = storm_stop(&st);

        if (storming)
                printf("storm: signals %u\n", signals);
        fflush(stdout);
        return r;
}

/* The middle process: in the new user namespace, it makes pid 1. */
static int middle(struct setup *s, int argc, char **argv)
{
        char c;
        pid_t init;
        int status;

        if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC) < 0)
                die("unshare");
        if (write(s->sock[1], "u", 1) != 1 || read(s->sock[1], &c, 1) != 1)
                die("sync");
        if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
                die("setresuid");
        init = fork();
        if (init < 0)
                die("fork");
        if (init == 0) {
                container_side(s);
                _exit(scenarios(argc, argv));
        }
        if (waitpid(init, &status, 0) < 0)
                die("waitpid");
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
        struct setup s = { .daemon = true, .killable = true };
        pid_t child;
        int i = 3;

        if (argc < 4) {
                fprintf(stderr, "usage: utarget SOCKET POLICY [--no-daemon] [--cgroup DIR] "
                                "SCENARIO ARGS...\n");
                return 2;
        }
        s.socket = argv[1];
        s.policy = argv[2];
        for (; i < argc && !strncmp(argv[i], "--", 2); i++)
                if (!strcmp(argv[i], "--no-daemon"))
                        s.daemon = false;
                else if (!strcmp(argv[i], "--no-killable"))
                        s.killable = false;
                else if (!strcmp(argv[i], "--cgroup") && i + 1 < argc)
                        s.cgroup = argv[++i];
        if (i >= argc)
                return 2;
        if (s.daemon && build_filter(&s) < 0)
                return 2;
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s.sock) < 0)
                die("socketpair");
        setvbuf(stdout, NULL, _IOLBF, 0);
        child = fork();
        if (child < 0)
                die("fork");
        if (child == 0) {
                close(s.sock[0]); /* a parent gone is EOF here */
                if (s.cgroup) {
                        char path[512];

                        snprintf(path, sizeof(path), "%s/cgroup.procs", s.cgroup);
                        put(path, "0\n");
                }
                _exit(middle(&s, argc - i, argv + i));
        }
        close(s.sock[1]);
        return parent_side(&s, child);
}
