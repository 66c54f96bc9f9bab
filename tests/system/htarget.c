/* unotify-htarget: a target for the emulation tests. It installs the
 * filter of a policy itself (so a test chooses the seccomp flags: with or
 * without WAIT_KILLABLE_RECV), hands the listener to the daemon, closes its
 * copy, then runs one scenario and prints what it saw.
 *
 *   htarget SOCKET POLICY [--no-killable] SCENARIO ARGS...
 *   htarget check-fds FD...       (after exec: which fds survived)
 *
 * Scenarios:
 *   open PATH FLAGS [UID]      FLAGS: comma list of rdonly wronly rdwr creat excl
 *                              trunc cloexec directory nofollow path; a PATH of
 *                              0xHEX is passed as that raw pointer; as UID if given
 *   memfd                      memfd_create(2) (a test policy injects a file)
 *   openat DIR PATH            dirfd from open(DIR, O_DIRECTORY), then openat
 *   openat2 DIR PATH RESOLVE   the same with openat2(2); RESOLVE: in_root, beneath
 *                              or none
 *   cwd DIR PATH               chdir(DIR), open(PATH)
 *   magic PATH PRE LINK FLAGS [UID]  PATH opened with flags PRE before the filter
 *                              (by the kernel), then open(LINK) with "{fd}" in it
 *                              that fd, "{pid}" getpid(), "{tid}" gettid(), "{ppid}"
 *                              getppid(); as UID if given
 *   flip N DIR                 N rounds of chdir, chroot and seteuid changes between
 *                              opens (DIR/a/f "A", DIR/b/f "B", DIR/root-only 0600),
 *                              each open checked against the state it was made in
 *   chroot ROOT MNT PATH       unshare a mount namespace, tmpfs on ROOT/MNT, chroot
 *                              ROOT, read PATH, create /MNT/made
 *   swap DIR N                 a thread swaps DIR/link between DIR/allowed and
 *                              DIR/denied; N opens of DIR/link
 *   cloexec PATH SELF          two fds of PATH, one O_CLOEXEC; exec SELF check-fds
 *   mknod PATH TYPE MAJ MIN [UID]  (TYPE c, b, p, f), as UID if given
 *   count N PATH               N open+close; the fd count before and after
 *   fifo PATH                  open(PATH, O_RDONLY), blocking
 *   fifos PATH N               the same in N threads at once
 *   hammer N DIR KIND          a thread makes N calls, each on a new name (KIND mknod:
 *                              FIFOs; open: O_CREAT|O_EXCL files), while this one
 *                              sends it SIGUSR1 (SA_RESTART) without pause */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
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
#include <grp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "unotify/filter.h"
#include "unotify/kernel.h"
#include "unotify/unotify.h"

/* A test target, not code under test: no leak report at exit in a
 * sanitizer build (it would scan /proc through notified opens). */
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
        return 1;
}

static const char *errname(int e)
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
        case EEXIST:
                return "EEXIST";
        case ELOOP:
                return "ELOOP";
        case ENOTDIR:
                return "ENOTDIR";
        case EFAULT:
                return "EFAULT";
        case EBADF:
                return "EBADF";
        case EINTR:
                return "EINTR";
        case EXDEV:
                return "EXDEV";
        case EINVAL:
                return "EINVAL";
        case ENOSYS:
                return "ENOSYS";
        default:
                snprintf(buf, sizeof(buf), "errno %d", e);
                return buf;
        }
}

static int setup(const char *socket, const char *policy, bool killable)
{
        unsigned long flags = SECCOMP_FILTER_FLAG_NEW_LISTENER;
        struct unotify_reply reply;
        struct unotify_handoff h = { .pid = getpid(), .policy = policy };
        struct sock_fprog prog;
        int fd, r;

        r = unotify_query_policy(socket, policy, &reply);
        if (r < 0) {
                fprintf(stderr, "query: %s\n", reply.error ? reply.error : strerror(-r));
                return -1;
        }
        r = unotify_filter_build((const char *const *)reply.syscalls, reply.n_syscalls, &prog);
        unotify_reply_clear(&reply);
        if (r < 0)
                return -1;
        if (killable)
                flags |= SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
        unotify_filter_free(&prog);
        if (fd < 0) {
                perror("seccomp");
                return -1;
        }
        r = unotify_handoff_send(socket, fd, &h, &reply);
        if (r < 0)
                fprintf(stderr, "handoff: %s\n", reply.error ? reply.error : strerror(-r));
        unotify_reply_clear(&reply);
        close(fd);
        return r < 0 ? -1 : 0;
}

static int parse_flags(const char *s)
{
        static const struct {
                const char *name;
                int flag;
        } names[] = { { "rdonly", O_RDONLY },     { "wronly", O_WRONLY },
                      { "rdwr", O_RDWR },         { "creat", O_CREAT },
                      { "excl", O_EXCL },         { "trunc", O_TRUNC },
                      { "cloexec", O_CLOEXEC },   { "directory", O_DIRECTORY },
                      { "nofollow", O_NOFOLLOW }, { "path", O_PATH } };
        char buf[256], *save = NULL;
        int flags = 0;

        snprintf(buf, sizeof(buf), "%s", s);
        for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
                for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                        if (!strcmp(t, names[i].name))
                                flags |= names[i].flag;
        return flags;
}

/* "ok <first line>" for a readable fd, "ok" for others. */
static void report(const char *what, long fd)
{
        char buf[128] = "";
        ssize_t n;

        if (fd < 0) {
                printf("%s: %s\n", what, errname(errno));
                return;
        }
        n = read((int)fd, buf, sizeof(buf) - 1);
        buf[n > 0 ? n : 0] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        printf("%s: ok%s%s\n", what, n > 0 ? " " : "", n > 0 ? buf : "");
        close((int)fd);
}

static int pre_fd = -1; /* magic: opened before the filter */
static int become(const char *id_str);

static int open_link(const char *link, const char *flags, const char *uid)
{
        static const char *const keys[] = { "{fd}", "{pid}", "{tid}", "{ppid}" };
        const int values[] = { pre_fd, (int)getpid(), (int)gettid(), (int)getppid() };
        char path[512];
        size_t o = 0;

        while (*link && o < sizeof(path) - 16) {
                size_t k = 0;

                while (k < 4 && strncmp(link, keys[k], strlen(keys[k])))
                        k++;
                if (k == 4) {
                        path[o++] = *link++;
                        continue;
                }
                o += (size_t)snprintf(path + o, sizeof(path) - o, "%d", values[k]);
                link += strlen(keys[k]);
        }
        path[o] = '\0';
        if (uid && become(uid) < 0)
                return 1;
        report("open", syscall(SYS_open, path, parse_flags(flags), 0644));
        return 0;
}

int do_flip(int n, const char *dir); /* htarget_flip.c */

static int do_chroot(const char *root, const char *mnt, const char *path)
{
        char target[512];
        long fd;

        snprintf(target, sizeof(target), "%s/%s", root, mnt);
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("tmpfs", target, "tmpfs", 0, NULL) < 0 || chroot(root) < 0 || chdir("/") < 0) {
                perror("setting up the namespace");
                return 1;
        }
        report("read", syscall(SYS_open, path, O_RDONLY));
        snprintf(target, sizeof(target), "/%s/made", mnt);
        fd = syscall(SYS_open, target, O_CREAT | O_EXCL | O_WRONLY, 0644);
        if (fd >= 0 && write((int)fd, "ns\n", 3) == 3)
                close((int)fd);
        fd = syscall(SYS_open, target, O_RDONLY);
        report("made", fd);
        return 0;
}

struct swapper {
        const char *dir;
        atomic_bool stop;
};

static void *swap_links(void *arg)
{
        struct swapper *s = arg;
        char link[512], tmp[512];

        snprintf(link, sizeof(link), "%s/link", s->dir);
        snprintf(tmp, sizeof(tmp), "%s/link.tmp", s->dir);
        for (unsigned i = 0; !atomic_load(&s->stop); i++) {
                unlink(tmp);
                if (symlink(i % 2 ? "denied" : "allowed", tmp) == 0)
                        rename(tmp, link);
        }
        return NULL;
}

static int do_swap(const char *dir, int n)
{
        struct swapper s = { .dir = dir };
        unsigned allowed = 0, denied = 0, refused = 0, other = 0;
        int other_errno = 0;
        char link[512], buf[32];
        pthread_t t;

        snprintf(link, sizeof(link), "%s/link", dir);
        pthread_create(&t, NULL, swap_links, &s);
        for (int i = 0; i < n; i++) {
                long fd = syscall(SYS_open, link, O_RDONLY);
                ssize_t r;

                if (fd < 0) {
                        if (errno == EACCES)
                                refused++;
                        else {
                                other++;
                                other_errno = errno;
                        }
                        continue;
                }
                r = read((int)fd, buf, sizeof(buf));
                close((int)fd);
                if (r >= 6 && !strncmp(buf, "DENIED", 6))
                        denied++;
                else
                        allowed++;
        }
        atomic_store(&s.stop, true);
        pthread_join(t, NULL);
        printf("swap: allowed %u denied %u refused %u other %u\n", allowed, denied, refused, other);
        if (other)
                fprintf(stderr, "other: %s\n", errname(other_errno));
        return 0;
}

static int do_cloexec(const char *path, const char *self)
{
        long a = syscall(SYS_open, path, O_RDONLY | O_CLOEXEC);
        long b = syscall(SYS_open, path, O_RDONLY);
        char fa[24], fb[24];

        if (a < 0 || b < 0) {
                printf("cloexec: %s\n", errname(errno));
                return 0;
        }
        printf("flags %d %d\n", fcntl((int)a, F_GETFD) & FD_CLOEXEC,
               fcntl((int)b, F_GETFD) & FD_CLOEXEC);
        fflush(stdout);
        snprintf(fa, sizeof(fa), "%ld", a);
        snprintf(fb, sizeof(fb), "%ld", b);
        execl(self, self, "check-fds", fa, fb, (char *)NULL);
        perror("exec");
        return 1;
}

static int check_fds(int argc, char **argv)
{
        for (int i = 2; i < argc; i++)
                printf("fd %s %s\n", argv[i],
                       fcntl(atoi(argv[i]), F_GETFD) < 0 ? "closed" : "open");
        return 0;
}

/* Drop to uid:gid ID with no supplementary groups. */
static int become(const char *id_str)
{
        uid_t id = (uid_t)atoi(id_str);

        if (setgroups(0, NULL) < 0 || setresgid(id, id, id) < 0 || setresuid(id, id, id) < 0) {
                perror("setresuid");
                return -1;
        }
        return 0;
}

static int do_mknod(int argc, char **argv)
{
        mode_t type = argv[3][0] == 'c'   ? S_IFCHR
                      : argv[3][0] == 'b' ? S_IFBLK
                      : argv[3][0] == 'p' ? S_IFIFO
                                          : S_IFREG;
        long r;

        if (argc > 6 && become(argv[6]) < 0)
                return 1;
        r = syscall(SYS_mknod, argv[2], type | 0666, makedev(atoi(argv[4]), atoi(argv[5])));
        printf("mknod: %s\n", errname(r < 0 ? errno : 0));
        return 0;
}

static int count_own_fds(void)
{
        DIR *d = opendir("/proc/self/fd");
        int n = 0;

        if (!d)
                return -1;
        while (readdir(d))
                n++;
        closedir(d);
        return n - 3; /* ".", ".." and the directory's own fd */
}

static int do_count(int n, const char *path)
{
        int before = count_own_fds(), ok = 0;

        for (int i = 0; i < n; i++) {
                long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY);

                if (fd >= 0) {
                        ok++;
                        close((int)fd);
                }
        }
        printf("count: ok %d fds %d %d\n", ok, before, count_own_fds());
        return 0;
}

static void *open_fifo(void *arg)
{
        long fd = syscall(SYS_open, (const char *)arg, O_RDONLY);

        if (fd >= 0)
                close((int)fd);
        return (void *)(intptr_t)(fd >= 0);
}

static int do_fifos(const char *path, int n)
{
        pthread_t t[16];
        int ok = 0;

        if (n > 16)
                n = 16;
        for (int i = 0; i < n; i++)
                pthread_create(&t[i], NULL, open_fifo, (void *)path);
        for (int i = 0; i < n; i++) {
                void *r;

                pthread_join(t[i], &r);
                ok += r != NULL;
        }
        printf("fifos: ok %d\n", ok);
        return 0;
}

struct hammered {
        const char *dir;
        const char *kind;
        int n;
        atomic_bool done;
        unsigned ok, eexist, other;
        int other_errno;
};

static void on_usr1(int sig)
{
        (void)sig;
}

static void *hammered_calls(void *arg)
{
        struct hammered *h = arg;
        char path[512];

        for (int i = 0; i < h->n; i++) {
                long r;

                snprintf(path, sizeof(path), "%s/n%d", h->dir, i);
                if (!strcmp(h->kind, "mknod"))
                        r = syscall(SYS_mknod, path, S_IFIFO | 0600, 0);
                else
                        r = syscall(SYS_open, path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
                if (r >= 0 && strcmp(h->kind, "mknod"))
                        close((int)r);
                if (r >= 0)
                        h->ok++;
                else if (errno == EEXIST)
                        h->eexist++;
                else {
                        h->other++;
                        h->other_errno = errno;
                }
        }
        atomic_store(&h->done, true);
        return NULL;
}

static int do_hammer(int n, const char *dir, const char *kind)
{
        struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
        struct hammered h = { .dir = dir, .kind = kind, .n = n };
        unsigned long signals = 0;
        pthread_t t;

        sigaction(SIGUSR1, &sa, NULL);
        pthread_create(&t, NULL, hammered_calls, &h);
        while (!atomic_load(&h.done)) {
                pthread_kill(t, SIGUSR1);
                signals++;
        }
        pthread_join(t, NULL);
        printf("hammer: ok %u eexist %u other %u\n", h.ok, h.eexist, h.other);
        if (h.other)
                fprintf(stderr, "other: %s\n", errname(h.other_errno));
        fprintf(stderr, "%lu signals\n", signals);
        return 0;
}

int main(int argc, char **argv)
{
        bool killable = true;
        int i = 3;

        if (argc > 1 && !strcmp(argv[1], "check-fds"))
                return check_fds(argc, argv);
        if (argc > 3 && !strcmp(argv[3], "--no-killable")) {
                killable = false;
                i++;
        }
        if (argc > i + 2 && !strcmp(argv[i], "magic"))
                pre_fd = open(argv[i + 1], parse_flags(argv[i + 2]));
        if (argc <= i || setup(argv[1], argv[2], killable) < 0)
                return 2;
        argv += i - 1;
        argc -= i - 1;
        setvbuf(stdout, NULL, _IOLBF, 0);
        if (!strcmp(argv[1], "open") && (argc == 4 || argc == 5)) {
                const char *path = argv[2];

                if (argc == 5 && become(argv[4]) < 0)
                        return 1;
                if (!strncmp(path, "0x", 2))
                        path = (const char *)(uintptr_t)strtoull(path, NULL, 16);
                report("open", syscall(SYS_open, path, parse_flags(argv[3]), 0644));
        } else if (!strcmp(argv[1], "memfd") && argc == 2)
                report("memfd", syscall(SYS_memfd_create, "x", 0));
        else if (!strcmp(argv[1], "openat") && argc == 4) {
                long dir = syscall(SYS_open, argv[2], O_RDONLY | O_DIRECTORY);

                report("openat", syscall(SYS_openat, (int)dir, argv[3], O_RDONLY));
        } else if (!strcmp(argv[1], "openat2") && argc == 5) {
                long dir = syscall(SYS_open, argv[2], O_RDONLY | O_DIRECTORY);
                struct open_how how = {
                        .flags = O_RDONLY,
                        .resolve = !strcmp(argv[4], "in_root")   ? RESOLVE_IN_ROOT
                                   : !strcmp(argv[4], "beneath") ? RESOLVE_BENEATH
                                                                 : 0,
                };

                report("openat2", syscall(SYS_openat2, (int)dir, argv[3], &how, sizeof(how)));
        } else if (!strcmp(argv[1], "cwd") && argc == 4) {
                if (chdir(argv[2]) < 0)
                        return perror("chdir"), 1;
                report("open", syscall(SYS_open, argv[3], O_RDONLY));
        } else if (!strcmp(argv[1], "magic") && (argc == 6 || argc == 7))
                return open_link(argv[4], argv[5], argc == 7 ? argv[6] : NULL);
        else if (!strcmp(argv[1], "flip") && argc == 4)
                return do_flip(atoi(argv[2]), argv[3]);
        else if (!strcmp(argv[1], "chroot") && argc == 5)
                return do_chroot(argv[2], argv[3], argv[4]);
        else if (!strcmp(argv[1], "swap") && argc == 4)
                return do_swap(argv[2], atoi(argv[3]));
        else if (!strcmp(argv[1], "cloexec") && argc == 4)
                return do_cloexec(argv[2], argv[3]);
        else if (!strcmp(argv[1], "mknod") && argc >= 6)
                return do_mknod(argc, argv);
        else if (!strcmp(argv[1], "count") && argc == 4)
                return do_count(atoi(argv[2]), argv[3]);
        else if (!strcmp(argv[1], "fifo") && argc == 3)
                report("fifo", syscall(SYS_open, argv[2], O_RDONLY));
        else if (!strcmp(argv[1], "fifos") && argc == 4)
                return do_fifos(argv[2], atoi(argv[3]));
        else if (!strcmp(argv[1], "hammer") && argc == 5)
                return do_hammer(atoi(argv[2]), argv[3], argv[4]);
        else {
                fprintf(stderr, "unknown scenario\n");
                return 2;
        }
        return 0;
}
