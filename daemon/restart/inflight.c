#include "restart/inflight.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loop/daemon.h"
#include "restart/inflight_format.h"
#include "notify/listener.h"
#include "service/log.h"
#include "unotify/macro.h"

static int journal_map(struct daemon *d, int fd, bool fresh)
{
        struct journal_file *j;

        if (fresh && ftruncate(fd, sizeof(*j)) < 0)
                return negative_errno();
        j = mmap(NULL, sizeof(*j), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (j == MAP_FAILED)
                return negative_errno();
        if (fresh) {
                memcpy(j->magic, JOURNAL_MAGIC, sizeof(j->magic));
                j->slot_size = sizeof(struct journal_slot);
                j->n_slots = JOURNAL_SLOTS;
        } else if (memcmp(j->magic, JOURNAL_MAGIC, sizeof(j->magic)) || j->slot_size != sizeof(struct journal_slot) ||
                   j->n_slots != JOURNAL_SLOTS) {
                munmap(j, sizeof(*j));
                return -EBADMSG;
        }
        d->journal = j;
        return 0;
}

int inflight_open(struct daemon *d, int passed_fd)
{
        struct stat st;
        int fd = passed_fd, r;

        if (fd >= 0) {
                r = fstat(fd, &st) < 0 ? negative_errno() : st.st_size < (off_t)sizeof(struct journal_file) ? -EBADMSG : 0;
                if (r == 0)
                        r = journal_map(d, fd, false);
                if (r == 0) {
                        d->inflight_fd = fd;
                        return fd;
                }
                log_warning_errno(r, "the in-flight journal passed in is unusable; starting a new one");
                safe_close(fd);
        }
        fd = memfd_create("unotifyd-journal", MFD_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        r = journal_map(d, fd, true);
        if (r < 0) {
                safe_close(fd);
                return r;
        }
        d->inflight_fd = fd;
        d->journal_created = true;
        return fd;
}

void inflight_close(struct daemon *d)
{
        if (d->journal)
                munmap(d->journal, sizeof(*d->journal));
        d->journal = NULL;
        d->inflight_fd = safe_close(d->inflight_fd);
}

int inflight_begin(struct daemon *d, uint64_t listener_id, const struct seccomp_notif *req)
{
        struct journal_file *j = d->journal;

        if (!j)
                return -1;
        for (unsigned i = 0; i < JOURNAL_SLOTS; i++) {
                unsigned s = (d->journal_hint + i) % JOURNAL_SLOTS;

                if (j->slots[s].listener_id)
                        continue;
                j->slots[s].notif = *req;
                /* The id last: a reader never sees a used slot half-written. */
                __atomic_store_n(&j->slots[s].listener_id, listener_id, __ATOMIC_RELEASE);
                d->journal_hint = (s + 1) % JOURNAL_SLOTS;
                return (int)s;
        }
        return -1;
}

void inflight_end(struct daemon *d, int slot)
{
        if (slot >= 0 && d->journal)
                __atomic_store_n(&d->journal->slots[slot].listener_id, 0, __ATOMIC_RELEASE);
}

static struct listener *find_listener(struct daemon *d, uint64_t id)
{
        for (struct list_node *n = d->listeners.next; n != &d->listeners; n = n->next) {
                struct listener *l = container_of(n, struct listener, node);

                if (l->id == id)
                        return l;
        }
        return NULL;
}

void inflight_replay(struct daemon *d)
{
        struct journal_file *j = d->journal;

        if (!j)
                return;
        for (unsigned s = 0; s < JOURNAL_SLOTS; s++) {
                uint64_t id = j->slots[s].listener_id;
                struct seccomp_notif req = j->slots[s].notif;
                struct listener *l = id ? find_listener(d, id) : NULL;

                if (!id)
                        continue;
                j->slots[s].listener_id = 0;
                if (!l) {
                        log_warning("journal: notification %llu of listener %llu: that listener is not served any more",
                                    (unsigned long long)req.id, (unsigned long long)id);
                        continue;
                }
                /* The task may have died or been answered since: only a
                 * still-pending id is answered (SEND would say ENOENT). */
                if (ioctl(l->fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &req.id) < 0) {
                        log_info("journal: notification %llu of listener %llu is gone", (unsigned long long)req.id,
                                 (unsigned long long)id);
                        continue;
                }
                log_emit_id(LOG_NOTICE, 0, LOG_MID_ORPHAN_ANSWERED, (pid_t)req.pid,
                            "journal: answering notification %llu (pid %u) of listener %llu, left unanswered by "
                            "the previous process", (unsigned long long)req.id, req.pid, (unsigned long long)id);
                listener_answer(l, &req);
        }
}
