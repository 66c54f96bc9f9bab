#include "notify/target.h"
#include "notify/target_path.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "service/log.h"
#include "emulate/offload.h"
#include "unotify/kernel.h"
#include "unotify/macro.h"

static int id_valid(const struct target_ctx *t)
{
        uint64_t id = t->req->id;

        return seccomp_notify_ioctl(t->listener_fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0
                       ? 0
                       : -ENOENT;
}

/* /proc/PID/mem works where process_vm_readv's ptrace check does not
 * (a non-dumpable target), for a privileged reader. */
static ssize_t read_mem_file(pid_t pid, uint64_t addr, char *buf, size_t n)
{
        char path[64];
        ssize_t r;
        int fd;

        /* Above INT64_MAX the offset would be negative (EINVAL): a kernel
         * address, as unreadable as any other. */
        if (addr > (uint64_t)INT64_MAX)
                return -EFAULT;
        snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        r = pread(fd, buf, n, (off_t)addr);
        if (r < 0)
                r = negative_errno();
        safe_close(fd);
        return r;
}

/* One chunk that never crosses a page boundary. A chunk of an unmapped
 * page is -EFAULT whichever way it was read. */
static ssize_t read_chunk_now(pid_t pid, uint64_t addr, char *buf, size_t n)
{
        struct iovec local = { .iov_base = buf, .iov_len = n };
        struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = n };
        ssize_t r = process_vm_readv(pid, &local, 1, &remote, 1, 0);

        if (r >= 0)
                return r;
        if (errno == EFAULT)
                return -EFAULT;
        r = read_mem_file(pid, addr, buf, n);
        return r == -EIO ? -EFAULT : r; /* pread of an unmapped address: EIO */
}

/* A chunk read on a helper thread (offload.h): however the target pages
 * that memory in (userfaultfd, a FUSE mapping), the loop waits at most
 * OFFLOAD_TIMEOUT_NS; the target then gets EFAULT. Chunks are shorter
 * than PATH_MAX (target_read_string). */
struct chunk_job {
        pid_t pid;
        uint64_t addr;
        size_t n;
        ssize_t result;
        char buf[PATH_MAX];
};

static void chunk_job_run(void *p)
{
        struct chunk_job *j = p;

        j->result = read_chunk_now(j->pid, j->addr, j->buf, j->n);
}

static ssize_t read_chunk(pid_t pid, uint64_t addr, char *buf, size_t n)
{
        static struct ratelimit slow = RATELIMIT_INIT(10ull * 1000000000u, 5);
        struct chunk_job j = { .pid = pid, .addr = addr, .n = n < PATH_MAX ? n : PATH_MAX };
        int r = offload_run(chunk_job_run, &j, sizeof(j), OFFLOAD_TIMEOUT_NS);

        if ((r == -ETIMEDOUT || r == -EAGAIN) && ratelimit_allow(&slow))
                log_warning("pid %d: %s its memory at 0x%" PRIx64 " (a userfaultfd or FUSE page?); "
                            "answering EFAULT; %u such reads still waiting",
                            (int)pid,
                            r == -ETIMEDOUT ? "gave up reading" : "too many slow reads of", addr,
                            offload_stuck());
        if (r == -ETIMEDOUT || r == -EAGAIN)
                return -EFAULT;
        if (r < 0)
                return r;
        if (j.result > 0)
                memcpy(buf, j.buf, (size_t)j.result);
        return j.result;
}

ssize_t target_read_string(pid_t pid, uint64_t addr, char *buf, size_t size)
{
        size_t len = 0;
        long page = sysconf(_SC_PAGESIZE);

        if (addr == 0 || size == 0)
                return -EFAULT;
        /* 0: the task is in a pid namespace we cannot see into. */
        if (pid <= 0)
                return -ESRCH;
        /* size bytes, the NUL included: a string of size - 1 bytes fits. */
        while (len < size) {
                /* Up to the end of the page: a fault on a later page is not a
                 * fault on the bytes before it. */
                size_t n = (size_t)page - (size_t)((addr + len) % (uint64_t)page);
                ssize_t r;
                char *nul;

                if (n > size - len)
                        n = size - len;
                r = read_chunk(pid, addr + len, buf + len, n);
                if (r <= 0)
                        return r < 0 ? r : -EFAULT;
                nul = memchr(buf + len, '\0', (size_t)r);
                if (nul)
                        return nul - buf;
                len += (size_t)r;
        }
        buf[size - 1] = '\0';
        return -ENAMETOOLONG;
}

static int read_link(const char *path, char *buf, size_t size)
{
        ssize_t n = readlink(path, buf, size - 1);

        if (n < 0)
                return errno == ENOENT ? -ENOENT : negative_errno();
        buf[n] = '\0';
        return (int)n;
}

/* The directory a relative path starts from, as the task sees it: its cwd
 * or the directory open at its fd, without the part of our path that is
 * its root (a chroot or a container's root). */
static int base_dir(const struct target_ctx *t, int dirfd_arg, char *buf, size_t size)
{
        char path[64], root[4096];
        int dirfd = dirfd_arg >= 0 ? (int)t->req->data.args[dirfd_arg] : AT_FDCWD;
        int r;

        if (dirfd == AT_FDCWD)
                snprintf(path, sizeof(path), "/proc/%u/cwd", t->req->pid);
        else
                snprintf(path, sizeof(path), "/proc/%u/fd/%d", t->req->pid, dirfd);
        r = read_link(path, buf, size);
        if (r < 0)
                return r == -ENOENT && dirfd != AT_FDCWD ? -EBADF : r;
        if (buf[0] != '/')
                return -ENOTDIR; /* not a directory: a pipe, a socket, ... */
        snprintf(path, sizeof(path), "/proc/%u/root", t->req->pid);
        r = read_link(path, root, sizeof(root));
        if (r < 0)
                return r;
        return target_path_strip_root(buf, root);
}

static int read_path(const struct target_ctx *t, unsigned arg_index, int dirfd_arg_index, char *buf,
                     size_t size)
{
        char rel[PATH_MAX];
        ssize_t n;

        if (arg_index > 5)
                return -EINVAL;
        n = target_read_string((pid_t)t->req->pid, t->req->data.args[arg_index], rel,
                               size < sizeof(rel) ? size : sizeof(rel));
        if (n < 0)
                return (int)n;
        return target_absolute_path(t, dirfd_arg_index, rel, buf, size);
}

int target_read_path(void *userdata, unsigned arg_index, int dirfd_arg_index, char *buf,
                     size_t size)
{
        const struct target_ctx *t = userdata;
        int r = read_path(t, arg_index, dirfd_arg_index, buf, size);
        int v = id_valid(t);

        /* The bytes and the /proc links count only if the task that made
         * the call is still the one we read; and a read that failed
         * because the task is gone is a stale notification, not the
         * target's error. */
        return v < 0 ? v : r;
}

static int parse_status_field(pid_t pid, const char *field, char *buf, size_t size)
{
        char path[64], line[256];
        size_t flen = strlen(field);
        FILE *f;
        int r = -ENOENT;

        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        f = fopen(path, "re");
        if (!f)
                return negative_errno();
        while (fgets(line, sizeof(line), f))
                if (!strncmp(line, field, flen) && line[flen] == ':') {
                        snprintf(buf, size, "%s", line + flen + 1);
                        r = 0;
                        break;
                }
        fclose(f);
        return r;
}

int target_read_caps(void *userdata, uint64_t *ret)
{
        const struct target_ctx *t = userdata;
        char value[64];
        uint64_t caps;
        int r = parse_status_field((pid_t)t->req->pid, "CapEff", value, sizeof(value));
        int v = id_valid(t); /* as in target_read_path */

        if (v < 0)
                return v;
        if (r < 0)
                return r;
        caps = strtoull(value, NULL, 16);
        *ret = caps;
        return 0;
}

bool target_error_is_targets(int error)
{
        switch (error) {
        case -EFAULT:       /* a bad pointer */
        case -ENAMETOOLONG: /* no NUL within PATH_MAX */
        case -EBADF:        /* a bad dirfd */
        case -ENOTDIR:      /* a dirfd that is not a directory */
        case -ENOENT:       /* the task is gone, or its ID no longer valid */
                return true;
        default:
                return false;
        }
}

int target_pidfd(int listener_fd, const struct seccomp_notif *req)
{
        const struct target_ctx t = { .listener_fd = listener_fd, .req = req };
        char value[64];
        int fd, r;

        /* A pidfd names the thread group; req->pid is a thread id. */
        r = parse_status_field((pid_t)req->pid, "Tgid", value, sizeof(value));
        if (r < 0)
                return r;
        fd = (int)syscall(SYS_pidfd_open, (pid_t)atoi(value), 0);
        if (fd < 0)
                return negative_errno();
        /* Opened first, validated after: if the notification is still
         * alive, the pidfd cannot be a reused pid's. */
        r = id_valid(&t);
        if (r < 0)
                return safe_close(fd), r;
        return fd;
}

/* ---- for emulation handlers (handlers/) ------------------------------ */

int target_id_valid(int listener_fd, uint64_t id)
{
        return seccomp_notify_ioctl(listener_fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0 ? 0
                                                                                         : -ENOENT;
}

int target_read(pid_t pid, uint64_t addr, void *buf, size_t n)
{
        size_t done = 0;
        long page = sysconf(_SC_PAGESIZE);

        if (addr == 0)
                return -EFAULT;
        while (done < n) {
                size_t chunk = (size_t)page - (size_t)((addr + done) % (uint64_t)page);
                ssize_t r;

                if (chunk > n - done)
                        chunk = n - done;
                r = read_chunk(pid, addr + done, (char *)buf + done, chunk);
                if (r <= 0)
                        return r < 0 ? (int)r : -EFAULT;
                done += (size_t)r;
        }
        return 0;
}

int target_absolute_path(const struct target_ctx *t, int dirfd_arg_index, const char *rel,
                         char *buf, size_t size)
{
        int r;

        if (rel[0] == '/')
                return target_path_join("/", rel, buf, size);
        r = base_dir(t, dirfd_arg_index, buf, size);
        if (r < 0)
                return r;
        return target_path_join(buf, rel, buf, size);
}

int target_dup_fd(int listener_fd, const struct seccomp_notif *req, int fd)
{
        int pidfd, r;

        if (fd < 0)
                return -EBADF;
        pidfd = target_pidfd(listener_fd, req);
        if (pidfd < 0)
                return pidfd;
        /* Linux 5.6; needs PTRACE_MODE_ATTACH_REALCREDS on the target. */
        r = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
        if (r < 0)
                r = negative_errno();
        safe_close(pidfd);
        return r;
}

int target_write(pid_t pid, uint64_t addr, const void *buf, size_t n)
{
        struct iovec local = { .iov_base = (void *)buf, .iov_len = n };
        struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = n };
        ssize_t r;

        if (addr == 0 || addr > (uint64_t)INT64_MAX)
                return -EFAULT; /* NULL and kernel addresses */
        r = process_vm_writev(pid, &local, 1, &remote, 1, 0);
        if (r < 0)
                return errno == ESRCH ? -ENOENT : negative_errno();
        /* A short write: the buffer ends in an unmapped page. The bytes
         * before it are written, as the kernel's copy_to_user would. */
        return (size_t)r == n ? 0 : -EFAULT;
}
