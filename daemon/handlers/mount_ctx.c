/* The contexts and detached mounts the mount handler made for tasks
 * (mount_api.h): bounded, per listener and user namespace; an entry is
 * forgotten (its fd closed) when its creator's process is gone, when it
 * is used up (attached, mounted), or, the oldest first, when its key
 * holds CTX_PER_KEY. A forgotten one is refused like any fd the daemon
 * did not make: the task's copy never reaches the kernel's fsconfig or
 * fsmount through the handler. */
#include <errno.h>
#include <linux/kcmp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "handlers/mount_api.h"
#include "unotify/macro.h"

#define CTX_MAX 128
#define CTX_PER_KEY 16

struct slot {
        bool used;
        struct mount_ctx_key key;
        int pidfd;
        uint64_t seq;
        struct mount_ctx e;
};

static struct slot slots[CTX_MAX];
static uint64_t next_seq;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void forget(struct slot *s)
{
        safe_close(s->e.fd);
        safe_close(s->e.handle);
        safe_close(s->e.dev_fd);
        safe_close(s->pidfd);
        s->used = false;
}

static bool creator_gone(const struct slot *s)
{
        return syscall(SYS_pidfd_send_signal, s->pidfd, 0, NULL, 0) < 0 && errno == ESRCH;
}

static bool same_key(const struct mount_ctx_key *a, const struct mount_ctx_key *b)
{
        return a->listener_fd == b->listener_fd && a->userns_ino == b->userns_ino;
}

/* Under the lock: a free slot, after forgetting the entries of processes
 * gone and, when key holds its share, its oldest. */
static struct slot *free_slot(const struct mount_ctx_key *key)
{
        struct slot *free = NULL, *oldest = NULL, *oldest_any = NULL;
        unsigned mine = 0;

        for (size_t i = 0; i < CTX_MAX; i++) {
                struct slot *s = &slots[i];

                if (s->used && creator_gone(s))
                        forget(s);
                if (!s->used) {
                        free = free ?: s;
                        continue;
                }
                if (!oldest_any || s->seq < oldest_any->seq)
                        oldest_any = s;
                if (same_key(&s->key, key) && (mine++, !oldest || s->seq < oldest->seq))
                        oldest = s;
        }
        if (mine >= CTX_PER_KEY) {
                forget(oldest);
                return oldest;
        }
        if (!free)
                forget(oldest_any); /* the table is full: CTX_MAX > 0 entries */
        return free ?: oldest_any;
}

int mount_ctx_add(const struct mount_ctx_key *key, int pidfd, const struct mount_ctx *e)
{
        struct slot *s;

        pthread_mutex_lock(&lock);
        s = free_slot(key);
        s->used = true;
        s->key = *key;
        s->pidfd = pidfd;
        s->seq = ++next_seq;
        s->e = *e;
        pthread_mutex_unlock(&lock);
        return 0;
}

static bool same_file(int a, int b)
{
        pid_t self = getpid();

        return syscall(SYS_kcmp, self, self, KCMP_FILE, a, b) == 0;
}

int mount_ctx_lookup(const struct mount_ctx_key *key, int task_fd, struct mount_ctx **ret)
{
        size_t i;

        pthread_mutex_lock(&lock);
        for (i = 0; i < CTX_MAX; i++) {
                struct slot *s = &slots[i];

                if (!s->used || !same_file(s->e.handle >= 0 ? s->e.handle : s->e.fd, task_fd))
                        continue;
                if (!same_key(&s->key, key))
                        break; /* another container's: refused */
                *ret = &s->e;
                return 0; /* locked */
        }
        pthread_mutex_unlock(&lock);
        if (i < CTX_MAX)
                return -EPERM;
        return -ENOENT;
}

void mount_ctx_unlock(void)
{
        pthread_mutex_unlock(&lock);
}

void mount_ctx_drop(struct mount_ctx *e)
{
        struct slot *s = (struct slot *)((char *)e - offsetof(struct slot, e));

        forget(s);
}

void mount_ctx_gc(void)
{
        pthread_mutex_lock(&lock);
        for (size_t i = 0; i < CTX_MAX; i++)
                if (slots[i].used && creator_gone(&slots[i]))
                        forget(&slots[i]);
        pthread_mutex_unlock(&lock);
}

unsigned mount_ctx_count(void)
{
        unsigned n = 0;

        pthread_mutex_lock(&lock);
        for (size_t i = 0; i < CTX_MAX; i++)
                n += slots[i].used;
        pthread_mutex_unlock(&lock);
        return n;
}
