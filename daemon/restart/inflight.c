#include "restart/inflight.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "restart/inflight_format.h"
#include "service/log.h"
#include "unotify/macro.h"

struct inflight {
        int fd;
        bool created;
        struct inflight_file *file; /* the memfd, mapped shared */
        unsigned hint;              /* where to look for a free slot first */
};

static int file_map(struct inflight *j, int fd, bool fresh)
{
        struct inflight_file *f;

        if (fresh && ftruncate(fd, sizeof(*f)) < 0)
                return negative_errno();
        f = mmap(NULL, sizeof(*f), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (f == MAP_FAILED)
                return negative_errno();
        if (fresh) {
                memcpy(f->magic, INFLIGHT_MAGIC, sizeof(f->magic));
                f->slot_size = sizeof(struct inflight_slot);
                f->n_slots = INFLIGHT_SLOTS;
        } else if (memcmp(f->magic, INFLIGHT_MAGIC, sizeof(f->magic)) ||
                   f->slot_size != sizeof(struct inflight_slot) || f->n_slots != INFLIGHT_SLOTS) {
                munmap(f, sizeof(*f));
                return -EBADMSG;
        }
        j->file = f;
        return 0;
}

/* The memfd passed in, if it is one of ours: 0, or -errno (fd kept). */
static int adopt(struct inflight *j, int fd)
{
        struct stat st;

        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (st.st_size < (off_t)sizeof(struct inflight_file))
                return -EBADMSG;
        return file_map(j, fd, false);
}

int inflight_new(int passed_fd, struct inflight **ret)
{
        _cleanup_(freep) struct inflight *j = calloc(1, sizeof(*j));
        int fd = passed_fd, r;

        if (!j) {
                safe_close(passed_fd);
                return -ENOMEM;
        }
        if (fd >= 0) {
                r = adopt(j, fd);
                if (r == 0) {
                        j->fd = fd;
                        *ret = TAKE_PTR(j);
                        return 0;
                }
                log_warning_errno(
                        r, "the in-flight journal passed in is unusable; starting a new one");
                safe_close(fd);
        }
        fd = memfd_create("unotifyd-journal", MFD_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        r = file_map(j, fd, true);
        if (r < 0) {
                safe_close(fd);
                return r;
        }
        j->fd = fd;
        j->created = true;
        *ret = TAKE_PTR(j);
        return 0;
}

struct inflight *inflight_free(struct inflight *j)
{
        if (!j)
                return NULL;
        if (j->file)
                munmap(j->file, sizeof(*j->file));
        safe_close(j->fd);
        free(j);
        return NULL;
}

int inflight_fd(const struct inflight *j)
{
        return j ? j->fd : -EBADF;
}

bool inflight_created(const struct inflight *j)
{
        return j && j->created;
}

int inflight_begin(struct inflight *j, uint64_t listener_id, const struct seccomp_notif *req)
{
        struct inflight_file *f = j ? j->file : NULL;

        if (!f)
                return -EBADF;
        for (unsigned i = 0; i < INFLIGHT_SLOTS; i++) {
                unsigned s = (j->hint + i) % INFLIGHT_SLOTS;

                if (f->slots[s].listener_id)
                        continue;
                f->slots[s].notif = *req;
                /* The id last: a reader never sees a used slot half-written. */
                __atomic_store_n(&f->slots[s].listener_id, listener_id, __ATOMIC_RELEASE);
                j->hint = (s + 1) % INFLIGHT_SLOTS;
                return (int)s;
        }
        return -ENOSPC;
}

void inflight_end(struct inflight *j, int slot)
{
        if (slot >= 0 && j && j->file)
                __atomic_store_n(&j->file->slots[slot].listener_id, 0, __ATOMIC_RELEASE);
}

void inflight_replay(struct inflight *j,
                     void (*fn)(void *userdata, uint64_t listener_id,
                                const struct seccomp_notif *req),
                     void *userdata)
{
        struct inflight_file *f = j ? j->file : NULL;

        for (unsigned s = 0; f && s < INFLIGHT_SLOTS; s++) {
                uint64_t id = f->slots[s].listener_id;
                struct seccomp_notif req = f->slots[s].notif;

                if (!id)
                        continue;
                f->slots[s].listener_id = 0;
                fn(userdata, id, &req);
        }
}
