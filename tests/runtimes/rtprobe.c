/* unotify-rtprobe: the container side of the profile conformance test
 * (test_profile_conformance.c). Static, so a busybox rootfs can run it.
 * Makes a fixed table of syscalls with raw syscall(2), so libc picks no
 * other call behind our back, and prints one line per call:
 *
 *   NAME ok | NAME ERRNO_NAME
 *
 * Every call is harmless whether it succeeds or not: namespaces, ptrace
 * and chroot happen in a child that exits at once; fds are closed; a
 * mount is undone by the umount2 row after it; what would change the
 * system (reboot, swap, kexec, acct) gets arguments it must refuse. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/keyctl.h>
#include <linux/kcmp.h>
#include <linux/reboot.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/ptrace.h>
#include <sys/quota.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <asm/prctl.h>
#include <linux/netlink.h>

/* Newer than Debian 12's 6.1 headers. */
#ifndef SYS_cachestat
#define SYS_cachestat 451
#endif
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

enum how {
        PLAIN,
        CLOSE_FD = 1,  /* the result is an fd */
        IN_CHILD = 2,  /* in a forked child; its errno is the exit status */
        RAW_CLONE = 4, /* the call is clone(2): the new task exits at once */
};

struct call {
        const char *name;
        long nr;
        long a[6];
        unsigned how;
};

static char buf[4096];
static struct utsname uts;
static union bpf_attr bpf_attr;
static unsigned seccomp_allow = SECCOMP_RET_ALLOW;

static long make(const struct call *c)
{
        return syscall(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
}

/* The child of a raw clone shares nothing but a copy of our stack: it
 * leaves through exit_group before touching anything. */
static long raw_clone(const struct call *c)
{
        long r = make(c);
        int status;

        if (r == 0)
                syscall(SYS_exit_group, 0);
        if (r > 0 && waitpid((pid_t)r, &status, 0) != r)
                return -1;
        return r < 0 ? -1 : 0;
}

static long in_child(const struct call *c)
{
        int status;
        pid_t pid = fork();

        if (pid == 0)
                _exit(make(c) < 0 ? errno : 0);
        if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
                errno = ECHILD;
                return -1;
        }
        errno = WEXITSTATUS(status);
        return errno ? -1 : 0;
}

/* 0 or the errno of one call. */
static int run(const struct call *c)
{
        long r;

        errno = 0;
        if (c->how & RAW_CLONE)
                r = raw_clone(c);
        else if (c->how & IN_CHILD)
                r = in_child(c);
        else
                r = make(c);
        if (r >= 0 && (c->how & CLOSE_FD))
                close((int)r);
        return r < 0 ? errno : 0;
}

#define L(p) ((long)(p))

/* Docker's profile allows clone only without these flags unless the
 * container has CAP_SYS_ADMIN (its mask 0x7E020000). */
#define NS_CALLS                                                                             \
        { "clone(CLONE_NEWUSER)", SYS_clone, { CLONE_NEWUSER | SIGCHLD }, RAW_CLONE },       \
                { "clone(CLONE_NEWNS)", SYS_clone, { CLONE_NEWNS | SIGCHLD }, RAW_CLONE },   \
                { "clone(CLONE_NEWNET)", SYS_clone, { CLONE_NEWNET | SIGCHLD }, RAW_CLONE }, \
                { "clone(CLONE_NEWPID)", SYS_clone, { CLONE_NEWPID | SIGCHLD }, RAW_CLONE }, \
                { "clone(SIGCHLD)", SYS_clone, { SIGCHLD }, RAW_CLONE },                     \
                { "clone3(NULL,64)", SYS_clone3, { 0, 64 } },                                \
                { "unshare(0)", SYS_unshare, { 0 } },                                        \
                { "unshare(CLONE_NEWUSER)", SYS_unshare, { CLONE_NEWUSER }, IN_CHILD },      \
                { "unshare(CLONE_NEWNS)", SYS_unshare, { CLONE_NEWNS }, IN_CHILD },          \
                { "unshare(CLONE_NEWNET)", SYS_unshare, { CLONE_NEWNET }, IN_CHILD },        \
        {                                                                                    \
                "setns(-1,0)", SYS_setns,                                                    \
                {                                                                            \
                        -1, 0                                                                \
                }                                                                            \
        }

#define PERSONALITY_CALLS                                                                  \
        { "personality(PER_LINUX)", SYS_personality, { 0 }, IN_CHILD },                    \
                { "personality(0xffffffff)", SYS_personality, { 0xffffffffL } },           \
                { "personality(PER_LINUX32)", SYS_personality, { 0x0008 }, IN_CHILD },     \
                { "personality(PER_BSD)", SYS_personality, { 0x0006 }, IN_CHILD },         \
        {                                                                                  \
                "personality(READ_IMPLIES_EXEC)", SYS_personality, { 0x0400000 }, IN_CHILD \
        }

#define SOCKET_CALLS                                                                              \
        { "socket(AF_INET,STREAM)", SYS_socket, { AF_INET, SOCK_STREAM }, CLOSE_FD },             \
                { "socket(AF_INET,RAW,ICMP)", SYS_socket, { AF_INET, SOCK_RAW, 1 }, CLOSE_FD },   \
                { "socket(AF_INET6,DGRAM)", SYS_socket, { AF_INET6, SOCK_DGRAM }, CLOSE_FD },     \
                { "socket(AF_UNIX,STREAM)", SYS_socket, { AF_UNIX, SOCK_STREAM }, CLOSE_FD },     \
                { "socket(AF_NETLINK,ROUTE)",                                                     \
                  SYS_socket,                                                                     \
                  { AF_NETLINK, SOCK_RAW, NETLINK_ROUTE },                                        \
                  CLOSE_FD },                                                                     \
                { "socket(AF_NETLINK,AUDIT)",                                                     \
                  SYS_socket,                                                                     \
                  { AF_NETLINK, SOCK_RAW, NETLINK_AUDIT },                                        \
                  CLOSE_FD },                                                                     \
                { "socket(AF_PACKET,RAW)", SYS_socket, { AF_PACKET, SOCK_RAW }, CLOSE_FD },       \
                { "socket(AF_VSOCK,STREAM)", SYS_socket, { AF_VSOCK, SOCK_STREAM }, CLOSE_FD },   \
                { "socket(AF_BLUETOOTH,RAW)", SYS_socket, { AF_BLUETOOTH, SOCK_RAW }, CLOSE_FD }, \
        {                                                                                         \
                "socket(AF_ALG,SEQPACKET)", SYS_socket, { AF_ALG, SOCK_SEQPACKET }, CLOSE_FD      \
        }

/* Calls Docker's profile allows only with CAP_SYS_ADMIN, CAP_BPF or
 * CAP_SYS_PTRACE, or never. */
#define PRIVILEGED_CALLS                                                                           \
        { "keyctl(GET_KEYRING_ID)",                                                                \
          SYS_keyctl,                                                                              \
          { KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING } },                                   \
                { "add_key(bad-type)",                                                             \
                  SYS_add_key,                                                                     \
                  { L("unotify-no-such-type"), L("x"), 0, 0, KEY_SPEC_PROCESS_KEYRING } },         \
                { "request_key(user)", SYS_request_key, { L("user"), L("unotify-none"), 0, 0 } },  \
                { "bpf(PROG_LOAD,zero)",                                                           \
                  SYS_bpf,                                                                         \
                  { BPF_PROG_LOAD, L(&bpf_attr), sizeof(bpf_attr) } },                             \
                { "perf_event_open(NULL)", SYS_perf_event_open, { 0, 0, -1, -1, 0 } },             \
                { "io_uring_setup(1,NULL)", SYS_io_uring_setup, { 1, 0 } },                        \
                { "mount(tmpfs,/tmp)",                                                             \
                  SYS_mount,                                                                       \
                  { L("none"), L("/tmp"), L("tmpfs"), 0, L("size=64k") } },                        \
                { "umount2(/tmp)", SYS_umount2, { L("/tmp"), 0 } },                                \
                { "umount2(/bin)", SYS_umount2, { L("/bin"), 0 } },                                \
                { "fsopen(tmpfs)", SYS_fsopen, { L("tmpfs"), 1 /* FSOPEN_CLOEXEC */ }, CLOSE_FD }, \
                { "pivot_root(/nonexistent)",                                                      \
                  SYS_pivot_root,                                                                  \
                  { L("/nonexistent"), L("/nonexistent") } },                                      \
                { "sethostname(same)", SYS_sethostname, { L("unotify-test"), 12 } },               \
                { "syslog(SIZE_BUFFER)", SYS_syslog, { 10, 0, 0 } },                               \
                { "name_to_handle_at(/,NULL)",                                                     \
                  SYS_name_to_handle_at,                                                           \
                  { AT_FDCWD, L("/"), 0, 0, 0 } },                                                 \
                { "open_by_handle_at(-1)", SYS_open_by_handle_at, { -1, 0, 0 } },                  \
                { "fanotify_init(NOTIF)",                                                          \
                  SYS_fanotify_init,                                                               \
                  { FAN_CLASS_NOTIF | FAN_CLOEXEC, O_RDONLY },                                     \
                  CLOSE_FD },                                                                      \
                { "lookup_dcookie(0)", SYS_lookup_dcookie, { 0, 0, 0 } },                          \
                { "quotactl(GETFMT,/nonexistent)",                                                 \
                  SYS_quotactl,                                                                    \
                  { QCMD(Q_GETFMT, USRQUOTA), L("/nonexistent"), 0, L(buf) } },                    \
                { "ptrace(TRACEME)", SYS_ptrace, { PTRACE_TRACEME }, IN_CHILD },                   \
                { "kcmp(self,self,FILE,0,0)", SYS_kcmp, { self, self, KCMP_FILE, 0, 0 } },         \
                { "process_vm_readv(self,0)", SYS_process_vm_readv, { self, 0, 0, 0, 0, 0 } },     \
                { "pidfd_getfd(-1)", SYS_pidfd_getfd, { -1, 0, 0 } },                              \
                { "userfaultfd(CLOEXEC)", SYS_userfaultfd, { O_CLOEXEC }, CLOSE_FD },              \
                { "get_mempolicy(NULL)", SYS_get_mempolicy, { 0, 0, 0, 0, 0 } },                   \
                { "swapon(/nonexistent)", SYS_swapon, { L("/nonexistent"), 0 } },                  \
                { "swapoff(/nonexistent)", SYS_swapoff, { L("/nonexistent") } },                   \
                { "reboot(bad-magic)",                                                             \
                  SYS_reboot,                                                                      \
                  { 0x12345678, 0x87654321, LINUX_REBOOT_CMD_CAD_OFF } },                          \
                { "acct(NULL)", SYS_acct, { 0 } },                                                 \
                { "kexec_load(0)", SYS_kexec_load, { 0, 0, 0, 0 } },                               \
                { "clock_settime(REALTIME,NULL)", SYS_clock_settime, { 0, 0 } },                   \
        {                                                                                          \
                "chroot(/)", SYS_chroot, { L("/") }, IN_CHILD                                      \
        }

/* Calls every profile should allow, and some newer than Docker's. */
#define ORDINARY_CALLS                                                                            \
        { "getpid", SYS_getpid }, { "uname", SYS_uname, { L(&uts) } },                            \
                { "open(/proc/self/status)",                                                      \
                  SYS_open,                                                                       \
                  { L("/proc/self/status"), O_RDONLY },                                           \
                  CLOSE_FD },                                                                     \
                { "mkdir(/tmp/unotify-probe)", SYS_mkdir, { L("/tmp/unotify-probe"), 0700 } },    \
                { "rmdir(/tmp/unotify-probe)", SYS_rmdir, { L("/tmp/unotify-probe") } },          \
                { "arch_prctl(GET_FS)", SYS_arch_prctl, { ARCH_GET_FS, L(buf) } },                \
                { "modify_ldt(read)", SYS_modify_ldt, { 0, L(buf), 16 } },                        \
                { "seccomp(GET_ACTION_AVAIL)",                                                    \
                  SYS_seccomp,                                                                    \
                  { SECCOMP_GET_ACTION_AVAIL, 0, L(&seccomp_allow) } },                           \
                { "landlock_create_ruleset(VERSION)", SYS_landlock_create_ruleset, { 0, 0, 1 } }, \
                { "memfd_secret(0)", SYS_memfd_secret, { 0 }, CLOSE_FD },                         \
        {                                                                                         \
                "cachestat(-1)", SYS_cachestat,                                                   \
                {                                                                                 \
                        -1, 0, 0, 0                                                               \
                }                                                                                 \
        }

/* Only as the init of a container of the test (config-template.json's
 * hostname): on a host, mount, umount2 and sethostname would change it. */
static int in_test_container(void)
{
        struct utsname u;

        return getpid() == 1 && uname(&u) == 0 && strcmp(u.nodename, "unotify-test") == 0;
}

/* --wait PATH: the test stops the daemon first, then creates PATH (in
 * the rootfs it shares with us), so the table shows the kernel alone. */
static int wait_for(const char *path)
{
        const struct timespec tick = { 0, 10 * 1000 * 1000 };

        for (int i = 0; i < 3000; i++) {
                if (syscall(SYS_access, path, F_OK) == 0)
                        return 0;
                syscall(SYS_nanosleep, &tick, NULL);
        }
        fprintf(stderr, "unotify-rtprobe: %s never appeared\n", path);
        return -1;
}

int main(int argc, char *argv[])
{
        long self = getpid(); /* kcmp and process_vm_readv look at ourselves */
        const struct call calls[] = { NS_CALLS, PERSONALITY_CALLS, SOCKET_CALLS, PRIVILEGED_CALLS,
                                      ORDINARY_CALLS };
        size_t n = sizeof(calls) / sizeof(calls[0]);

        if (!in_test_container()) {
                fprintf(stderr, "unotify-rtprobe: runs only as pid 1 of a test container\n");
                return 2;
        }
        if (argc == 3 && strcmp(argv[1], "--wait") == 0 && wait_for(argv[2]) < 0)
                return 3;

        for (size_t i = 0; i < n; i++) {
                int e = run(&calls[i]);

                printf("%s %s\n", calls[i].name, e ? strerrorname_np(e) ?: "E?" : "ok");
        }
        return fflush(stdout) == 0 ? 0 : 1;
}
