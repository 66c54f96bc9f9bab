/* The symbols `unotifyctl test` accepts for syscall arguments: the flag
 * and enum names the kernel headers define for the arguments policies
 * test (open flags, socket families and types, clone flags and the exit
 * signal, personalities, mknod modes, mmap protections). */
#include "symbols.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "unotify/macro.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_CLEAR_SIGHAND
#define CLONE_CLEAR_SIGHAND 0x100000000ULL
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

#define SYM(x)                    \
        {                         \
#x, (uint64_t)(x) \
        }

static const struct {
        const char *name;
        uint64_t value;
} symbols[] = {
        /* clang-format off */
        SYM(O_RDONLY), SYM(O_WRONLY), SYM(O_RDWR), SYM(O_CREAT), SYM(O_EXCL), SYM(O_TRUNC),
        SYM(O_APPEND), SYM(O_NONBLOCK), SYM(O_DIRECTORY), SYM(O_NOFOLLOW), SYM(O_CLOEXEC),
        SYM(O_PATH), SYM(O_TMPFILE), SYM(O_NOCTTY), SYM(O_SYNC), SYM(AT_FDCWD),
        SYM(AT_SYMLINK_NOFOLLOW), SYM(AT_REMOVEDIR), SYM(AT_EMPTY_PATH), SYM(AT_SYMLINK_FOLLOW),
        SYM(AF_UNSPEC), SYM(AF_LOCAL), SYM(AF_UNIX), SYM(AF_FILE), SYM(AF_INET), SYM(AF_AX25),
        SYM(AF_IPX), SYM(AF_APPLETALK), SYM(AF_NETROM), SYM(AF_BRIDGE), SYM(AF_ATMPVC), SYM(AF_X25),
        SYM(AF_INET6), SYM(AF_ROSE), SYM(AF_NETBEUI), SYM(AF_SECURITY), SYM(AF_KEY),
        SYM(AF_NETLINK), SYM(AF_ROUTE), SYM(AF_PACKET), SYM(AF_ASH), SYM(AF_ECONET), SYM(AF_ATMSVC),
        SYM(AF_RDS), SYM(AF_SNA), SYM(AF_IRDA), SYM(AF_PPPOX), SYM(AF_WANPIPE), SYM(AF_LLC),
        SYM(AF_IB), SYM(AF_MPLS), SYM(AF_CAN), SYM(AF_TIPC), SYM(AF_BLUETOOTH), SYM(AF_IUCV),
        SYM(AF_RXRPC), SYM(AF_ISDN), SYM(AF_PHONET), SYM(AF_IEEE802154), SYM(AF_CAIF), SYM(AF_ALG),
        SYM(AF_NFC), SYM(AF_VSOCK), SYM(AF_KCM), SYM(AF_QIPCRTR), SYM(AF_SMC), SYM(AF_XDP),
        SYM(AF_MCTP),
        SYM(SOCK_STREAM), SYM(SOCK_DGRAM), SYM(SOCK_RAW), SYM(SOCK_RDM), SYM(SOCK_SEQPACKET),
        SYM(SOCK_PACKET), SYM(SOCK_NONBLOCK), SYM(SOCK_CLOEXEC),
        SYM(CLONE_VM), SYM(CLONE_FS), SYM(CLONE_FILES), SYM(CLONE_SIGHAND), SYM(CLONE_PIDFD),
        SYM(CLONE_PTRACE), SYM(CLONE_VFORK), SYM(CLONE_PARENT), SYM(CLONE_THREAD), SYM(CLONE_NEWNS),
        SYM(CLONE_SYSVSEM), SYM(CLONE_SETTLS), SYM(CLONE_PARENT_SETTID), SYM(CLONE_CHILD_CLEARTID),
        SYM(CLONE_DETACHED), SYM(CLONE_UNTRACED), SYM(CLONE_CHILD_SETTID), SYM(CLONE_NEWCGROUP),
        SYM(CLONE_NEWUTS), SYM(CLONE_NEWIPC), SYM(CLONE_NEWUSER), SYM(CLONE_NEWPID),
        SYM(CLONE_NEWNET), SYM(CLONE_IO), SYM(CLONE_NEWTIME), SYM(CLONE_CLEAR_SIGHAND),
        SYM(CLONE_INTO_CGROUP),
        SYM(SIGHUP), SYM(SIGINT), SYM(SIGQUIT), SYM(SIGKILL), SYM(SIGUSR1), SYM(SIGUSR2),
        SYM(SIGPIPE), SYM(SIGALRM), SYM(SIGTERM), SYM(SIGCHLD), SYM(SIGCONT), SYM(SIGSTOP),
        SYM(SIGTSTP), SYM(SIGSYS),
        SYM(PER_LINUX), SYM(PER_LINUX_32BIT), SYM(PER_LINUX_FDPIC), SYM(PER_SVR4), SYM(PER_SVR3),
        SYM(PER_SCOSVR3), SYM(PER_OSR5), SYM(PER_WYSEV386), SYM(PER_ISCR4), SYM(PER_BSD),
        SYM(PER_SUNOS), SYM(PER_XENIX), SYM(PER_LINUX32), SYM(PER_LINUX32_3GB), SYM(PER_IRIX32),
        SYM(PER_IRIXN32), SYM(PER_IRIX64), SYM(PER_RISCOS), SYM(PER_SOLARIS), SYM(PER_UW7),
        SYM(PER_OSF4), SYM(PER_HPUX), SYM(PER_MASK), SYM(UNAME26), SYM(ADDR_NO_RANDOMIZE),
        SYM(FDPIC_FUNCPTRS), SYM(MMAP_PAGE_ZERO), SYM(ADDR_COMPAT_LAYOUT), SYM(READ_IMPLIES_EXEC),
        SYM(ADDR_LIMIT_32BIT), SYM(SHORT_INODE), SYM(WHOLE_SECONDS), SYM(STICKY_TIMEOUTS),
        SYM(ADDR_LIMIT_3GB),
        SYM(S_IFCHR), SYM(S_IFBLK), SYM(S_IFIFO), SYM(S_IFREG), SYM(S_IFSOCK), SYM(S_IFDIR),
        SYM(PROT_NONE), SYM(PROT_READ), SYM(PROT_WRITE), SYM(PROT_EXEC), SYM(MAP_SHARED),
        SYM(MAP_PRIVATE), SYM(MAP_ANONYMOUS), SYM(MAP_FIXED),
        /* clang-format on */
};

int symbol_value(const char *name, uint64_t *ret)
{
        for (size_t i = 0; i < ELEMENTSOF(symbols); i++)
                if (strcmp(symbols[i].name, name) == 0) {
                        *ret = symbols[i].value;
                        return 0;
                }
        return -ENOENT;
}

/* "O_WRONLY|O_CREAT", "0x2a", "-100", "S_IFCHR|0600". */
int symbol_parse_value(const char *s, uint64_t *ret)
{
        _cleanup_(freep) char *copy = strdup(s);
        char *save = NULL;
        uint64_t v = 0;

        if (!copy)
                return -ENOMEM;
        for (char *t = strtok_r(copy, "|", &save); t; t = strtok_r(NULL, "|", &save)) {
                char *end;
                uint64_t sym;

                if (symbol_value(t, &sym) == 0) {
                        v |= sym;
                        continue;
                }
                errno = 0;
                if (t[0] == '-')
                        v |= (uint64_t)strtoll(t, &end, 0);
                else
                        v |= strtoull(t, &end, 0);
                if (errno || end == t || *end)
                        return -EINVAL;
        }
        *ret = v;
        return copy[0] ? 0 : -EINVAL;
}
