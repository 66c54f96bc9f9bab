#include "journal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handler.h"
#include "unotify/macro.h"

struct entry {
        pid_t tid;
        uint64_t digest;
        uint64_t recorded_ns;
        int error;
        int64_t val;
        int fd;
        bool cloexec;
};

struct journal {
        pthread_mutex_t lock;
        struct entry entries[JOURNAL_MAX];
        size_t n;
};

static uint64_t monotonic_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct journal *journal_new(void)
{
        struct journal *j = calloc(1, sizeof(*j));

        if (j)
                pthread_mutex_init(&j->lock, NULL);
        return j;
}

struct journal *journal_free(struct journal *j)
{
        if (!j)
                return NULL;
        for (size_t i = 0; i < j->n; i++)
                safe_close(j->entries[i].fd);
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
                if (now - j->entries[i].recorded_ns > JOURNAL_WINDOW_NS)
                        drop(j, i);
}

void journal_record(struct journal *j, struct emul_call *c)
{
        uint64_t now = monotonic_ns();
        size_t oldest = 0;

        pthread_mutex_lock(&j->lock);
        expire(j, now);
        if (j->n == JOURNAL_MAX) {
                for (size_t i = 1; i < j->n; i++)
                        if (j->entries[i].recorded_ns < j->entries[oldest].recorded_ns)
                                oldest = i;
                drop(j, oldest);
        }
        j->entries[j->n++] = (struct entry){ .tid = (pid_t)c->req.pid,
                                             .digest = c->key_digest,
                                             .recorded_ns = now,
                                             .error = c->error,
                                             .val = c->val,
                                             .fd = TAKE_FD(c->fd),
                                             .cloexec = c->cloexec };
        pthread_mutex_unlock(&j->lock);
}

bool journal_take(struct journal *j, struct emul_call *c)
{
        bool found = false;

        pthread_mutex_lock(&j->lock);
        expire(j, monotonic_ns());
        for (size_t i = 0; i < j->n; i++) {
                struct entry *e = &j->entries[i];

                if (e->tid != (pid_t)c->req.pid || e->digest != c->key_digest)
                        continue;
                c->error = e->error;
                c->val = e->val;
                c->fd = TAKE_FD(e->fd);
                c->cloexec = e->cloexec;
                c->side_effect = true; /* lost again: record again */
                c->replayed = true;
                drop(j, i);
                found = true;
                break;
        }
        pthread_mutex_unlock(&j->lock);
        return found;
}

size_t journal_size(struct journal *j)
{
        size_t n;

        pthread_mutex_lock(&j->lock);
        n = j->n;
        pthread_mutex_unlock(&j->lock);
        return n;
}
