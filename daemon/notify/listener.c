#include "notify/listener.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emulate/preempt_journal.h"
#include "learn/learn_rec.h"
#include "service/log.h"
#include "unotify/kernel.h"
#include "unotify/macro.h"
#include "unotify/policy.h"

int listener_new(int fd, struct unotify_policy *policy, const char *container_id, pid_t pid,
                 uint64_t id, struct daemon_stats *stats, struct metrics_policy *metrics,
                 struct listener **ret)
{
        struct listener *l = calloc(1, sizeof(*l));

        if (!l || !(l->container_id = strdup(container_id))) {
                free(l);
                safe_close(fd);
                unotify_policy_unref(policy);
                return -ENOMEM;
        }
        l->refs = 1;
        list_init(&l->node);
        l->fd = fd;
        l->policy = policy;
        l->needs_view = unotify_policy_needs_target_view(policy);
        l->stats = stats;
        l->metrics = metrics;
        l->pid = pid;
        l->id = id;
        *ret = l;
        return 0;
}

struct listener *listener_ref(struct listener *l)
{
        l->refs++;
        return l;
}

bool listener_fd_is_seccomp(int fd)
{
        char path[64], target[64];
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        n = readlink(path, target, sizeof(target) - 1);
        if (n < 0)
                return false;
        target[n] = '\0';
        return strcmp(target, UNOTIFY_LISTENER_LINK) == 0;
}

/* One line a test or an admin can read the counters from; the control
 * socket reports the same fields. */
void listener_log_counters(const struct listener *l, const char *why)
{
        const struct listener_counters *c = &l->counters;

        log_info(
                "listener %llu (%s): %s; %llu notifications, %llu answered, %llu gone before RECV, "
                "%llu gone before SEND, %llu stale dropped, %llu EFAULT; WAIT_KILLABLE_RECV %s",
                (unsigned long long)l->id, l->container_id, why, (unsigned long long)l->received,
                (unsigned long long)c->answered, (unsigned long long)c->recv_gone,
                (unsigned long long)l->send_gone, (unsigned long long)c->stale,
                (unsigned long long)c->efault, listener_wait_killable_str(l));
}

static void origin_clear(struct listener *l)
{
        for (size_t i = 0; i < 2 * l->n_annotations; i++)
                free(l->annotations[i]);
        free(l->annotations);
        free(l->metadata);
        l->annotations = NULL;
        l->metadata = NULL;
        l->n_annotations = 0;
}

int listener_keep_origin(struct listener *l, const char *metadata, char *const *annotations,
                         size_t n)
{
        origin_clear(l);
        if (metadata && !(l->metadata = strdup(metadata)))
                return -ENOMEM;
        if (n == 0)
                return 0;
        l->annotations = calloc(2 * n, sizeof(char *));
        if (!l->annotations)
                return origin_clear(l), -ENOMEM;
        l->n_annotations = n;
        for (size_t i = 0; i < 2 * n; i++)
                if (!(l->annotations[i] = strdup(annotations[i])))
                        return origin_clear(l), -ENOMEM;
        return 0;
}

struct listener *listener_unref(struct listener *l)
{
        if (!l || --l->refs > 0)
                return NULL;
        if (l->end_reason)
                listener_log_counters(l, l->end_reason);
        if (l->journal_recorded)
                log_info("listener %llu: %llu emulated answers lost to signals, %llu restarted "
                         "calls answered from the journal",
                         (unsigned long long)l->id, (unsigned long long)l->journal_recorded,
                         (unsigned long long)l->journal_replayed);
        journal_free(l->journal);
        learn_rec_free(l->learn); /* its set's owner merged it, if it learns */
        safe_close(l->fd);
        unotify_policy_unref(l->policy);
        origin_clear(l);
        free(l->container_id);
        free(l);
        return NULL;
}

void listener_note_seccomp_flags(struct listener *l, bool has_flags, uint64_t flags)
{
        l->seccomp_flags = has_flags ? flags : 0;
        if (!has_flags)
                l->wait_killable = LISTENER_WAIT_KILLABLE_UNKNOWN;
        else if (flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
                l->wait_killable = LISTENER_WAIT_KILLABLE_YES;
        else
                l->wait_killable = LISTENER_WAIT_KILLABLE_NO;
}

const char *listener_wait_killable_str(const struct listener *l)
{
        switch (l->wait_killable) {
        case LISTENER_WAIT_KILLABLE_YES:
                return "yes";
        case LISTENER_WAIT_KILLABLE_NO:
                return "no";
        case LISTENER_WAIT_KILLABLE_UNKNOWN:
                break;
        }
        return "unknown";
}
