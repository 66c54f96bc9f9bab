#include "emulate/preempt_journal.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handlers/handler.h"
#include "unotify/clock.h"
#include "unotify/macro.h"

/* How long a call waits for the same call of the same thread that is
 * still running in another worker. */
#define JOURNAL_WAIT_NS (1000000000ull)

struct entry {
        pid_t tid;
        uint64_t digest;
        uint64_t recorded_ns;
        uint64_t window_ns;
        bool running; /* a worker is doing this call: wait for its result */
        int error;
        int64_t val;
        int fd;
        bool cloexec;
};

struct journal {
        pthread_mutex_t lock;
        pthread_cond_t done;
        struct entry entries[JOURNAL_MAX];
        size_t n;
};

struct journal *journal_new(void)
{
        struct journal *j = calloc(1, sizeof(*j));
        pthread_condattr_t attr;

        if (!j)
                return NULL;
        pthread_mutex_init(&j->lock, NULL);
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&j->done, &attr);
        pthread_condattr_destroy(&attr);
        return j;
}

struct journal *journal_free(struct journal *j)
{
        if (!j)
                return NULL;
        for (size_t i = 0; i < j->n; i++)
                safe_close(j->entries[i].fd);
        pthread_cond_destroy(&j->done);
        pthread_mutex_destroy(&j->lock);
        free(j);
        return NULL;
}

uint64_t journal_digest_more(uint64_t h, const void *mem, size_t n)
{
        const unsigned char *b = mem;

        for (size_t i = 0; i < n; i++) {
                h ^= b[i];
                h *= 0x100000001b3ull;
        }
        return h;
}

uint64_t journal_digest(const struct seccomp_notif *req, const void *mem, size_t n)
{
        uint64_t h = 0xcbf29ce484222325ull;

        h = journal_digest_more(h, &req->data.arch, sizeof(req->data.arch));
        h = journal_digest_more(h, &req->data.nr, sizeof(req->data.nr));
        h = journal_digest_more(h, req->data.args, sizeof(req->data.args));
        return journal_digest_more(h, mem, n);
}

static void drop(struct journal *j, size_t i)
{
        safe_close(j->entries[i].fd);
        j->entries[i] = j->entries[--j->n];
}

static void expire(struct journal *j, uint64_t now)
{
        for (size_t i = j->n; i-- > 0;)
                if (!j->entries[i].running &&
                    now - j->entries[i].recorded_ns > j->entries[i].window_ns)
                        drop(j, i);
}

static struct entry *find(struct journal *j, const struct emul_call *c)
{
        for (size_t i = 0; i < j->n; i++)
                if (j->entries[i].tid == (pid_t)c->req.pid && j->entries[i].digest == c->key_digest)
                        return &j->entries[i];
        return NULL;
}

/* Room for one more: the oldest finished entry goes. */
static bool make_room(struct journal *j)
{
        size_t oldest = SIZE_MAX;

        if (j->n < JOURNAL_MAX)
                return true;
        for (size_t i = 0; i < j->n; i++)
                if (!j->entries[i].running &&
                    (oldest == SIZE_MAX ||
                     j->entries[i].recorded_ns < j->entries[oldest].recorded_ns))
                        oldest = i;
        if (oldest == SIZE_MAX)
                return false;
        drop(j, oldest);
        return true;
}

static void wait_done(struct journal *j, uint64_t deadline)
{
        struct timespec ts = { .tv_sec = (time_t)(deadline / 1000000000u),
                               .tv_nsec = (long)(deadline % 1000000000u) };

        pthread_cond_timedwait(&j->done, &j->lock, &ts);
}

bool journal_begin(struct journal *j, struct emul_call *c)
{
        uint64_t deadline = now_ns() + JOURNAL_WAIT_NS;
        struct entry *e;
        bool replayed = false;

        pthread_mutex_lock(&j->lock);
        while ((e = find(j, c)) && e->running && now_ns() < deadline)
                wait_done(j, deadline);
        expire(j, now_ns());
        e = find(j, c);
        if (e && !e->running) {
                c->error = e->error;
                c->val = e->val;
                c->fd = e->fd >= 0 ? fcntl(e->fd, F_DUPFD_CLOEXEC, 0) : -1;
                c->cloexec = e->cloexec;
                if (e->fd >= 0 && c->fd < 0)
                        c->error = -EMFILE;
                /* Kept: the replayed answer may be lost again. */
                c->replayed = true;
                c->journaled = true;
                c->side_effect = true;
                replayed = true;
        } else if (!e && make_room(j)) {
                j->entries[j->n++] = (struct entry){
                        .tid = (pid_t)c->req.pid, .digest = c->key_digest, .running = true, .fd = -1
                };
                c->journaled = true;
        }
        pthread_mutex_unlock(&j->lock);
        return replayed;
}

void journal_end(struct journal *j, struct emul_call *c)
{
        struct entry *e;

        if (!c->journaled)
                return;
        pthread_mutex_lock(&j->lock);
        e = find(j, c);
        if (e && e->running) {
                if (!c->side_effect ||
                    (c->fd >= 0 && (e->fd = fcntl(c->fd, F_DUPFD_CLOEXEC, 0)) < 0)) {
                        drop(j, (size_t)(e - j->entries));
                } else {
                        e->running = false;
                        e->recorded_ns = now_ns();
                        e->window_ns = JOURNAL_LOST_WINDOW_NS; /* until the answer is sent */
                        e->error = c->error;
                        e->val = c->val;
                        e->cloexec = c->cloexec;
                }
        }
        pthread_cond_broadcast(&j->done);
        pthread_mutex_unlock(&j->lock);
}

void journal_answered(struct journal *j, const struct emul_call *c)
{
        struct entry *e;

        if (!c->journaled || !c->side_effect)
                return;
        pthread_mutex_lock(&j->lock);
        e = find(j, c);
        if (e && !e->running) {
                e->recorded_ns = now_ns();
                e->window_ns = JOURNAL_SENT_WINDOW_NS;
        }
        pthread_mutex_unlock(&j->lock);
}

size_t journal_size(struct journal *j)
{
        size_t n;

        pthread_mutex_lock(&j->lock);
        n = j->n;
        pthread_mutex_unlock(&j->lock);
        return n;
}
