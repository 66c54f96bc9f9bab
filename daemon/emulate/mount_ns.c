#include "emulate/mount_ns.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "unotify/macro.h"

#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x00004000U /* Linux 6.8 */
#endif
#define TABLE_MAX 4096

struct ns_call {
        int mntns_fd;
        int (*fn)(struct ns_call *);
        struct mount_plan *plan;
        int proc_fd, fd; /* detach; move: the mount */
        int result;
};

/* mntns_fd < 0: the thread stays in the daemon's mount namespace. */
static void *ns_thread(void *arg)
{
        struct ns_call *c = arg;

        if (unshare(CLONE_FS) < 0 || (c->mntns_fd >= 0 && setns(c->mntns_fd, CLONE_NEWNS) < 0))
                c->result = negative_errno();
        else
                c->result = c->fn(c);
        return NULL;
}

static int run_in_ns(struct ns_call *c)
{
        pthread_t t;
        int r = pthread_create(&t, NULL, ns_thread, c);

        if (r)
                return -r;
        pthread_join(t, NULL);
        return c->result;
}

int mount_id_of(int fd, uint64_t *ret_id, bool *ret_is_root)
{
        struct statx sx;

        /* A FUSE mount refuses the daemon (not of its user namespace) any
         * getattr but an empty one: then the plain mount id, which the
         * kernel keeps apart from the unique ones (those start above 2^31). */
        if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID_UNIQUE, &sx) < 0 &&
            (errno != EACCES || statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, 0, &sx) < 0))
                return negative_errno();
        if (!(sx.stx_mask & (STATX_MNT_ID_UNIQUE | STATX_MNT_ID)))
                return -EOPNOTSUPP;
        *ret_id = sx.stx_mnt_id;
        if (ret_is_root)
                *ret_is_root = sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT &&
                               sx.stx_attributes & STATX_ATTR_MOUNT_ROOT;
        return 0;
}

/* fd (or, when < 0, the errno err) in one message. */
static void send_one_fd(int sock, int fd, int err)
{
        char ctl[CMSG_SPACE(sizeof(int))] = {};
        struct iovec iov = { .iov_base = &err, .iov_len = sizeof(err) };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

        if (fd >= 0) {
                struct cmsghdr *cm;

                msg.msg_control = ctl;
                msg.msg_controllen = sizeof(ctl);
                cm = CMSG_FIRSTHDR(&msg);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(cm), &fd, sizeof(int));
        }
        (void)sendmsg(sock, &msg, MSG_NOSIGNAL);
}

static int recv_one_fd(int sock)
{
        char ctl[CMSG_SPACE(sizeof(int))] = {};
        int err = 0, fd = -1;
        struct iovec iov = { .iov_base = &err, .iov_len = sizeof(err) };
        struct msghdr msg = {
                .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)
        };
        struct cmsghdr *cm;

        if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != (ssize_t)sizeof(err))
                return -EIO; /* the child died without a word */
        cm = CMSG_FIRSTHDR(&msg);
        if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
            cm->cmsg_len == CMSG_LEN(sizeof(int)))
                memcpy(&fd, CMSG_DATA(cm), sizeof(int));
        if (fd >= 0)
                return fd;
        return err > 0 ? -err : -EIO;
}

/* The child's namespaces: the mount and user namespaces of the plan
 * (setns of a user namespace wants a single-threaded caller). */
static int child_enter(const struct mount_plan *p)
{
        if (p->mntns_ctx_fd >= 0 && setns(p->mntns_ctx_fd, CLONE_NEWNS) < 0)
                return -1;
        return p->userns_ctx_fd >= 0 ? setns(p->userns_ctx_fd, CLONE_NEWUSER) : 0;
}

/* A child born in the pid namespace ns_fd (the thread has joined it for
 * its children; ns_fd -1: the thread's) opens the context and passes it
 * back. Its exit signal is none, so nothing else reaps it; it runs only
 * raw system calls. */
static int fsopen_in_child(const struct mount_plan *p, int ns_fd)
{
        const char *fstype = p->fstype;
        struct clone_args args = { .exit_signal = 0 };
        _cleanup_(closep) int a = -1, b = -1;
        int sv[2], fd;
        long pid;

        if (ns_fd >= 0 && setns(ns_fd, CLONE_NEWPID) < 0)
                return negative_errno();
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return negative_errno();
        a = sv[0], b = sv[1];
        pid = syscall(SYS_clone3, &args, sizeof(args));
        if (pid < 0)
                return negative_errno();
        if (pid == 0) {
                int fs = child_enter(p) < 0 ? -1 : fsopen(fstype, FSOPEN_CLOEXEC);

                send_one_fd(b, fs < 0 ? -1 : fs, fs < 0 ? errno : 0);
                syscall(SYS_exit_group, 0);
        }
        b = safe_close(b);
        fd = recv_one_fd(a);
        (void)waitid(P_PID, (id_t)pid, NULL, WEXITED | __WALL);
        return fd;
}

/* The context, made in the plan's namespace (in a thread that dies after). */
static int open_context(const struct mount_plan *p)
{
        int fs;

        if (p->ns_fd >= 0 && !strcmp(p->fstype, "proc"))
                return fsopen_in_child(p, p->ns_fd);
        if (p->userns_ctx_fd >= 0)
                return fsopen_in_child(p, -1);
        if (p->ns_fd >= 0 && setns(p->ns_fd, 0) < 0)
                return negative_errno();
        fs = fsopen(p->fstype, FSOPEN_CLOEXEC);
        return fs < 0 ? negative_errno() : fs;
}

/* fsopen → fsconfig → FSCONFIG_CMD_CREATE → fsmount: a detached mount. */
static int make_fs(const struct mount_plan *p)
{
        _cleanup_(closep) int fs = open_context(p);
        int m;

        if (fs < 0)
                return fs;
        for (unsigned i = 0; i < p->n_fs; i++)
                if (fsconfig(fs, p->fs_values[i] ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG,
                             p->fs_keys[i], p->fs_values[i], 0) < 0)
                        return negative_errno();
        for (unsigned i = 0; i < p->n_layers; i++)
                if (fsconfig(fs, FSCONFIG_SET_FD, p->layer_keys[i], NULL, p->layer_fds[i]) < 0)
                        return negative_errno();
        if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return negative_errno();
        m = fsmount(fs, FSMOUNT_CLOEXEC, (unsigned)p->attrs);
        return m < 0 ? negative_errno() : m;
}

/* open_tree(OPEN_TREE_CLONE) → mount_setattr: a detached copy of the
 * source, with the attributes (and the idmapping) set on it. */
static int make_bind(const struct mount_plan *p)
{
        unsigned rec = p->recursive ? AT_RECURSIVE : 0;
        struct mount_attr a = { .attr_set = p->attrs };
        int m = open_tree(p->source_fd, "",
                          OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | rec);

        if (m < 0)
                return negative_errno();
        if (p->userns_fd >= 0) {
                a.attr_set |= MOUNT_ATTR_IDMAP;
                a.userns_fd = (uint64_t)p->userns_fd;
        }
        if (mount_setattr(m, "", AT_EMPTY_PATH | rec, &a, sizeof(a)) < 0) {
                int r = negative_errno();

                safe_close(m);
                return r;
        }
        return m;
}

static int attach(struct ns_call *c)
{
        struct mount_plan *p = c->plan;
        _cleanup_(closep) int m = p->bind ? make_bind(p) : make_fs(p);
        int r;

        if (m < 0)
                return m;
        r = p->still_valid ? p->still_valid(p->userdata) : 0;
        if (r < 0)
                return r;
        if (move_mount(m, "", p->target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) <
            0)
                return negative_errno();
        /* Attached: closing m now leaves it in place. */
        if (mount_id_of(m, &p->mnt_id, NULL) < 0)
                p->mnt_id = 0;
        return 0;
}

int mount_ns_attach(int mntns_fd, struct mount_plan *plan)
{
        struct ns_call c = { .mntns_fd = mntns_fd, .fn = attach, .plan = plan };

        return run_in_ns(&c);
}

static int context_fn(struct ns_call *c)
{
        return open_context(c->plan);
}

int mount_ns_fsopen(const struct mount_plan *plan)
{
        struct ns_call c = { .mntns_fd = -1, .fn = context_fn, .plan = (struct mount_plan *)plan };

        return run_in_ns(&c);
}

static int clone_fn(struct ns_call *c)
{
        return make_bind(c->plan);
}

int mount_ns_clone(int mntns_fd, const struct mount_plan *plan)
{
        struct ns_call c = { .mntns_fd = mntns_fd,
                             .fn = clone_fn,
                             .plan = (struct mount_plan *)plan };

        return run_in_ns(&c);
}

/* An existing detached mount (c->fd) to the target, as attach() does. */
static int move_fn(struct ns_call *c)
{
        struct mount_plan *p = c->plan;
        int r = p->still_valid ? p->still_valid(p->userdata) : 0;

        if (r < 0)
                return r;
        if (move_mount(c->fd, "", p->target_fd, "",
                       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return negative_errno();
        if (mount_id_of(c->fd, &p->mnt_id, NULL) < 0)
                p->mnt_id = 0;
        return 0;
}

int mount_ns_move(int mntns_fd, int mnt_fd, struct mount_plan *plan)
{
        struct ns_call c = { .mntns_fd = mntns_fd, .fn = move_fn, .plan = plan, .fd = mnt_fd };

        return run_in_ns(&c);
}

/* Through the daemon's /proc: "self/fd/N" is the mount fd is on, whatever
 * the paths in the namespace say now. MNT_DETACH: our own fd keeps it
 * busy for a plain umount. */
static int detach(struct ns_call *c)
{
        char link[64];

        if (fchdir(c->proc_fd) < 0)
                return negative_errno();
        snprintf(link, sizeof(link), "self/fd/%d", c->fd);
        return umount2(link, MNT_DETACH) < 0 ? negative_errno() : 0;
}

int mount_ns_detach(int mntns_fd, int proc_fd, int fd)
{
        struct ns_call c = { .mntns_fd = mntns_fd, .fn = detach, .proc_fd = proc_fd, .fd = fd };

        return run_in_ns(&c);
}

#define TABLE_MAGIC "unomnt1"

struct table_file {
        char magic[8];
        uint32_t n_slots, next, used, pad;
        struct {
                uint64_t ns, id;
        } slot[TABLE_MAX];
};

static struct table_file mem_table, *tbl = &mem_table;
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

static int map_table(int fd, bool fresh)
{
        struct table_file *t;

        if (fresh && ftruncate(fd, sizeof(*t)) < 0)
                return negative_errno();
        t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (t == MAP_FAILED)
                return negative_errno();
        if (fresh) {
                memcpy(t->magic, TABLE_MAGIC, sizeof(t->magic));
                t->n_slots = TABLE_MAX;
        } else if (memcmp(t->magic, TABLE_MAGIC, sizeof(t->magic)) || t->n_slots != TABLE_MAX ||
                   t->next >= TABLE_MAX || t->used > TABLE_MAX) {
                munmap(t, sizeof(*t));
                return -EBADMSG;
        }
        pthread_mutex_lock(&table_lock);
        tbl = t;
        pthread_mutex_unlock(&table_lock);
        return 0;
}

int mount_table_open(int passed_fd, bool *ret_created)
{
        struct stat st;
        int fd, r;

        *ret_created = false;
        if (passed_fd >= 0) {
                r = fstat(passed_fd, &st) < 0                        ? negative_errno()
                    : st.st_size != (off_t)sizeof(struct table_file) ? -EBADMSG
                                                                     : map_table(passed_fd, false);
                if (r == 0)
                        return passed_fd;
                safe_close(passed_fd);
        }
        fd = memfd_create("unotifyd-mounts", MFD_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        r = map_table(fd, true);
        if (r < 0)
                return safe_close(fd), r;
        *ret_created = true;
        return fd;
}

void mount_table_add(uint64_t ns_ino, uint64_t mnt_id)
{
        pthread_mutex_lock(&table_lock);
        tbl->slot[tbl->next].ns = ns_ino;
        tbl->slot[tbl->next].id = mnt_id;
        tbl->next = (tbl->next + 1) % TABLE_MAX;
        if (tbl->used < TABLE_MAX)
                tbl->used++;
        pthread_mutex_unlock(&table_lock);
}

static ssize_t table_find(uint64_t ns_ino, uint64_t mnt_id)
{
        for (size_t i = 0; i < tbl->used; i++)
                if (tbl->slot[i].ns == ns_ino && tbl->slot[i].id == mnt_id && mnt_id)
                        return (ssize_t)i;
        return -1;
}

bool mount_table_has(uint64_t ns_ino, uint64_t mnt_id)
{
        bool r;

        pthread_mutex_lock(&table_lock);
        r = table_find(ns_ino, mnt_id) >= 0;
        pthread_mutex_unlock(&table_lock);
        return r;
}

void mount_table_remove(uint64_t ns_ino, uint64_t mnt_id)
{
        ssize_t i;

        pthread_mutex_lock(&table_lock);
        i = table_find(ns_ino, mnt_id);
        if (i >= 0)
                tbl->slot[i].ns = tbl->slot[i].id = 0;
        pthread_mutex_unlock(&table_lock);
}
