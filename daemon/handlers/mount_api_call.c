/* The steps every new-API call of the mount handler takes (mount_api_call.h). */
#include "handlers/mount_api_call.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "emulate/preempt_journal.h"
#include "notify/target.h"
#include "unotify/macro.h"

int refuse(struct api *x, const char *why)
{
        x->c->why = why;
        return -x->c->opts->refuse_errno;
}

int find(struct api *x, unsigned i, struct mount_ctx **ret, int not_ours)
{
        char link[64], what[64] = "";
        int copy, r;

        if ((int)x->a[i] < 0)
                return -EBADF;
        copy = target_dup_fd(x->c->listener_fd, &x->c->req, (int)x->a[i]);
        if (copy < 0)
                return copy;
        r = mount_ctx_lookup(&x->key, copy, ret);
        snprintf(link, sizeof(link), "self/fd/%d", copy);
        if (r == -ENOENT && readlinkat(x->w->proc_fd, link, what, sizeof(what) - 1) < 0)
                what[0] = '\0';
        safe_close(copy);
        if (r == -EPERM)
                return refuse(x, "a context or mount the daemon made for another container");
        if (r == -ENOENT && not_ours && strcmp(what, "anon_inode:[fscontext]"))
                return -not_ours;
        if (r == -ENOENT)
                return refuse(x, "a context or mount the daemon did not make (or no longer knows)");
        return r;
}

int read_str(struct api *x, unsigned i, char *buf, size_t size, bool null_ok)
{
        ssize_t r;

        buf[0] = '\0';
        if (!x->a[i] && null_ok)
                return 0;
        r = target_read_string(x->pid, x->a[i], buf, size);
        return r < 0 ? (int)r : 0;
}

bool replayed(struct api *x, const void *mem, size_t n)
{
        x->c->key_digest = journal_digest(&x->c->req, mem, n);
        return x->c->journal && journal_begin(x->c->journal, x->c);
}

int keep_and_give(struct api *x, struct mount_ctx *e, bool cloexec)
{
        int pidfd = target_pidfd(x->c->listener_fd, &x->c->req), copy = -1, r = pidfd;

        e->handle = -1;
        if (r >= 0 && e->kind == MCTX_MOUNT)
                r = e->handle = worker_reopen(x->w, e->fd, O_RDONLY | O_DIRECTORY);
        /* A FUSE root lets only its user namespace in: the handle is then
         * a token (an eventfd) the task can only pass back. */
        if (r == -EACCES && e->a.fs_type == UNOTIFY_MOUNT_FUSE) {
                e->handle = eventfd(0, EFD_CLOEXEC);
                r = e->handle < 0 ? negative_errno() : 0;
        }
        if (r >= 0 && (copy = fcntl(e->handle >= 0 ? e->handle : e->fd, F_DUPFD_CLOEXEC, 3)) < 0)
                r = negative_errno();
        if (r < 0) {
                safe_close(pidfd);
                safe_close(e->fd);
                safe_close(e->handle);
                return r;
        }
        mount_ctx_add(&x->key, pidfd, e);
        r = target_id_valid(x->c->listener_fd, x->c->req.id);
        if (r < 0)
                return safe_close(copy), r; /* the entry goes with its creator */
        x->c->fd = copy;
        x->c->cloexec = cloexec;
        return 0;
}
