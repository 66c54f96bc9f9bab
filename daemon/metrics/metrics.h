/* The daemon's labelled metrics: decisions by policy, action and syscall,
 * answer times per action and per handler, handler outcomes, handoff
 * refusals by reason. Everything here is touched by the loop thread only
 * (workers' answers are counted when the loop takes their jobs back), so
 * the counters need no locks; recording never allocates. Label values are
 * bounded: policy names the daemon has served (at most METRICS_POLICIES,
 * "other" beyond), the syscalls each of those policies names ("other" for
 * the rest), fixed sets of actions, handlers, results and reasons. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/seccomp.h>

#include "unotify/policy.h"

/* Histogram bucket upper bounds, in nanoseconds: 5 us to 1 s. */
#define METRICS_BUCKETS 17
extern const uint64_t metrics_bucket_ns[METRICS_BUCKETS];

struct histogram {
        uint64_t counts[METRICS_BUCKETS + 1]; /* per bucket, not cumulative; the last is +Inf */
        uint64_t sum_ns;
        uint64_t count;
};

/* Count ns in its bucket. Inline: it runs for every answer. */
static inline void histogram_observe(struct histogram *h, uint64_t ns)
{
        size_t i = 0;

        /* Most answers take a few microseconds: the first buckets. */
        while (i < METRICS_BUCKETS && ns > metrics_bucket_ns[i])
                i++;
        h->counts[i]++;
        h->sum_ns += ns;
        h->count++;
}

enum metrics_action {
        METRICS_ALLOW,
        METRICS_LOG,
        METRICS_ERRNO,
        METRICS_KILL_PROCESS,
        METRICS_KILL_THREAD,
        METRICS_RETURN,
        METRICS_EMULATE,
        METRICS_ACTIONS,
};

/* The action label of a decision. */
static inline enum metrics_action metrics_action_of(const struct unotify_decision *dec)
{
        switch (dec->action) {
        case UNOTIFY_ACTION_CONTINUE:
                return dec->log ? METRICS_LOG : METRICS_ALLOW;
        case UNOTIFY_ACTION_KILL_PROCESS:
                return METRICS_KILL_PROCESS;
        case UNOTIFY_ACTION_KILL_THREAD:
                return METRICS_KILL_THREAD;
        case UNOTIFY_ACTION_RETURN:
                return METRICS_RETURN;
        case UNOTIFY_ACTION_EMULATE:
                return METRICS_EMULATE;
        case UNOTIFY_ACTION_ERRNO:
                break;
        }
        return METRICS_ERRNO;
}
const char *metrics_action_name(enum metrics_action a);

enum metrics_handler_result {
        METRICS_RESULT_FD,     /* an fd was installed in the task (ADDFD) */
        METRICS_RESULT_VALUE,  /* answered with a return value */
        METRICS_RESULT_ERRNO,  /* answered with an errno (refused or failed) */
        METRICS_RESULT_GONE,   /* the task went away before the answer */
        METRICS_RESULT_FAILED, /* the answer could not be sent */
        METRICS_RESULTS,
};
const char *metrics_result_name(enum metrics_handler_result r);

/* Handlers are indexed by enum unotify_handler; room for a few more. */
#define METRICS_HANDLERS 8

enum metrics_refusal {
        METRICS_REFUSED_PEER,         /* the peer's uid may not hand over listeners */
        METRICS_REFUSED_MALFORMED,    /* not a valid handoff message */
        METRICS_REFUSED_TOO_LARGE,    /* longer than the message limit */
        METRICS_REFUSED_TIMEOUT,      /* no complete message in time */
        METRICS_REFUSED_NOT_LISTENER, /* the fd is not a seccomp listener */
        METRICS_REFUSED_POLICY,       /* no policy for it (served by deny-all) or a bad query */
        METRICS_REFUSED_NO_MEMORY,
        METRICS_REFUSED_BUSY,      /* too many handoff connections pending */
        METRICS_REFUSED_LISTENERS, /* over the listeners or listeners-per-uid cap */
        METRICS_REFUSALS,
};
const char *metrics_refusal_name(enum metrics_refusal r);

#define METRICS_POLICIES 128

/* The counters of one policy name. Row 0 is the "other" syscall; rows
 * 1..n_syscalls the names, in the order they were first seen. */
struct metrics_policy {
        char *name;
        char **syscalls;
        size_t n_syscalls;
        uint64_t (*decisions)[METRICS_ACTIONS];
        /* (arch << 32 | nr) -> row, open addressing; empty slots hold
         * METRICS_NO_KEY. Capacity a power of two, at least twice the keys. */
        uint64_t *keys;
        uint16_t *rows;
        size_t capacity;
        /* The syscall digest of the policy version whose names were added
         * last: a handoff under the same version adds nothing. */
        uint64_t digest;
        bool has_digest;
};

struct metrics {
        struct metrics_policy *policies[METRICS_POLICIES];
        size_t n_policies;
        struct metrics_policy other; /* beyond METRICS_POLICIES, or out of memory */
        uint64_t other_decisions[1][METRICS_ACTIONS];
        struct histogram decision_time[METRICS_ACTIONS];
        uint64_t handler_results[METRICS_HANDLERS][METRICS_RESULTS];
        struct histogram handler_time[METRICS_HANDLERS];
        uint64_t refusals[METRICS_REFUSALS];
        uint64_t scrapes;         /* GET /metrics answered */
        uint64_t scrapes_refused; /* connections closed unanswered (limits) */
};

/* The counters for policy p's name: created at the first listener served
 * by it (not on the hot path), extended by the syscalls a reloaded version
 * names. Never NULL: &m->other when they cannot be made. Borrowed: lives
 * as long as m. */
struct metrics_policy *metrics_policy_get(struct metrics *m, const struct unotify_policy *p);

#define METRICS_NO_KEY UINT64_MAX

static inline size_t metrics_key_slot(const struct metrics_policy *mp, uint64_t key)
{
        /* Fibonacci hashing; capacity is a power of two. */
        return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & (mp->capacity - 1);
}

/* Count one decision (the hot path, inline: a hash lookup, an increment). */
static inline void metrics_decision(struct metrics_policy *mp, const struct seccomp_data *data,
                                    enum metrics_action a)
{
        uint64_t key = (uint64_t)data->arch << 32 | (uint32_t)data->nr;
        uint16_t row = 0;

        for (size_t i = mp->capacity ? metrics_key_slot(mp, key) : 0; mp->capacity;
             i = (i + 1) & (mp->capacity - 1)) {
                if (mp->keys[i] == key) {
                        row = mp->rows[i];
                        break;
                }
                if (mp->keys[i] == METRICS_NO_KEY)
                        break;
        }
        mp->decisions[row][a]++;
}

void metrics_done(struct metrics *m);
