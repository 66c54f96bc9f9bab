/* The labelled counters and histograms (metrics.h); the text exposition
 * is metrics_text.c. */
#include "metrics/metrics.h"

#include <errno.h>
#include <ev.h> /* before seccomp.h: its linux/elf.h defines EV_NONE */
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "unotify/macro.h"

const uint64_t metrics_bucket_ns[METRICS_BUCKETS] = {
        5000,    10000,    25000,    50000,    100000,    250000,    500000,    1000000,    2500000,
        5000000, 10000000, 25000000, 50000000, 100000000, 250000000, 500000000, 1000000000,
};

const char *metrics_action_name(enum metrics_action a)
{
        static const char *const names[METRICS_ACTIONS] = {
                [METRICS_ALLOW] = "allow",
                [METRICS_LOG] = "log",
                [METRICS_ERRNO] = "errno",
                [METRICS_KILL_PROCESS] = "kill_process",
                [METRICS_KILL_THREAD] = "kill_thread",
                [METRICS_RETURN] = "return",
                [METRICS_EMULATE] = "emulate",
        };

        return (unsigned)a < METRICS_ACTIONS ? names[a] : "other";
}

const char *metrics_result_name(enum metrics_handler_result r)
{
        static const char *const names[METRICS_RESULTS] = {
                [METRICS_RESULT_FD] = "fd",         [METRICS_RESULT_VALUE] = "value",
                [METRICS_RESULT_ERRNO] = "errno",   [METRICS_RESULT_GONE] = "gone",
                [METRICS_RESULT_FAILED] = "failed",
        };

        return (unsigned)r < METRICS_RESULTS ? names[r] : "other";
}

const char *metrics_refusal_name(enum metrics_refusal r)
{
        static const char *const names[METRICS_REFUSALS] = {
                [METRICS_REFUSED_PEER] = "peer",
                [METRICS_REFUSED_MALFORMED] = "malformed",
                [METRICS_REFUSED_TOO_LARGE] = "too_large",
                [METRICS_REFUSED_TIMEOUT] = "timeout",
                [METRICS_REFUSED_NOT_LISTENER] = "not_listener",
                [METRICS_REFUSED_POLICY] = "policy",
                [METRICS_REFUSED_NO_MEMORY] = "no_memory",
                [METRICS_REFUSED_BUSY] = "busy",
                [METRICS_REFUSED_LISTENERS] = "listeners",
        };

        return (unsigned)r < METRICS_REFUSALS ? names[r] : "other";
}

static void key_insert(struct metrics_policy *mp, uint64_t key, uint16_t row)
{
        size_t i = metrics_key_slot(mp, key);

        while (mp->keys[i] != METRICS_NO_KEY && mp->keys[i] != key)
                i = (i + 1) & (mp->capacity - 1);
        mp->keys[i] = key;
        mp->rows[i] = row;
}

/* The architectures a listener's notifications come from: the native one
 * and the compat ones a 64-bit kernel runs. */
static size_t arches(uint32_t ret[4])
{
        size_t n = 0;

        ret[n++] = seccomp_arch_native();
        if (ret[0] == SCMP_ARCH_X86_64) {
                ret[n++] = SCMP_ARCH_X86;
                ret[n++] = SCMP_ARCH_X32;
        } else if (ret[0] == SCMP_ARCH_AARCH64) {
                ret[n++] = SCMP_ARCH_ARM;
        }
        return n;
}

/* Rebuild the (arch, nr) -> row table for mp->syscalls. */
static int index_rebuild(struct metrics_policy *mp)
{
        uint32_t arch[4];
        size_t n_arch = arches(arch), cap = 16;
        uint64_t *keys;
        uint16_t *rows;

        while (cap < 2 * n_arch * mp->n_syscalls)
                cap *= 2;
        keys = malloc(cap * sizeof(*keys));
        rows = malloc(cap * sizeof(*rows));
        if (!keys || !rows) {
                free(keys);
                free(rows);
                return -ENOMEM;
        }
        memset(keys, 0xff, cap * sizeof(*keys));
        free(mp->keys);
        free(mp->rows);
        mp->keys = keys;
        mp->rows = rows;
        mp->capacity = cap;
        for (size_t i = 0; i < mp->n_syscalls; i++)
                for (size_t a = 0; a < n_arch; a++) {
                        int nr = seccomp_syscall_resolve_name_arch(arch[a], mp->syscalls[i]);

                        /* An x32 task's seccomp_data says AUDIT_ARCH_X86_64;
                         * its numbers carry __X32_SYSCALL_BIT, which
                         * libseccomp's x32 numbers have too. */
                        uint32_t key_arch = arch[a] == SCMP_ARCH_X32 ? SCMP_ARCH_X86_64 : arch[a];

                        if (nr >= 0)
                                key_insert(mp, (uint64_t)key_arch << 32 | (uint32_t)nr,
                                           (uint16_t)(i + 1));
                }
        return 0;
}

static bool has_syscall(const struct metrics_policy *mp, const char *name)
{
        for (size_t i = 0; i < mp->n_syscalls; i++)
                if (strcmp(mp->syscalls[i], name) == 0)
                        return true;
        return false;
}

/* Add the names of p not counted yet: new rows at the end, so the rows of
 * the names already there keep their counts. */
static int add_syscalls(struct metrics_policy *mp, const struct unotify_policy *p)
{
        size_t n, added = 0;
        const char *const *names = unotify_policy_syscalls(p, &n);

        for (size_t i = 0; i < n; i++) {
                uint64_t(*rows)[METRICS_ACTIONS];
                char **s, *copy;

                if (has_syscall(mp, names[i]) || mp->n_syscalls + 1 >= UINT16_MAX)
                        continue;
                s = realloc(mp->syscalls, (mp->n_syscalls + 1) * sizeof(*s));
                if (!s)
                        return -ENOMEM;
                mp->syscalls = s;
                rows = realloc(mp->decisions, (mp->n_syscalls + 2) * sizeof(*rows));
                if (!rows)
                        return -ENOMEM;
                mp->decisions = rows;
                copy = strdup(names[i]);
                if (!copy)
                        return -ENOMEM;
                memset(rows[mp->n_syscalls + 1], 0, sizeof(rows[0]));
                mp->syscalls[mp->n_syscalls++] = copy;
                added++;
        }
        return added || !mp->keys ? index_rebuild(mp) : 0;
}

static struct metrics_policy *policy_new(const char *name)
{
        struct metrics_policy *mp = calloc(1, sizeof(*mp));

        if (!mp)
                return NULL;
        mp->name = strdup(name);
        mp->decisions = calloc(1, sizeof(*mp->decisions));
        if (!mp->name || !mp->decisions) {
                free(mp->name);
                free(mp->decisions);
                free(mp);
                return NULL;
        }
        return mp;
}

static struct metrics_policy *other_policy(struct metrics *m)
{
        /* One row ("other"), no names. */
        if (!m->other.name) {
                m->other.name = (char *)"other";
                m->other.decisions = m->other_decisions;
        }
        return &m->other;
}

struct metrics_policy *metrics_policy_get(struct metrics *m, const struct unotify_policy *p)
{
        const char *name = unotify_policy_name(p);
        struct metrics_policy *mp = NULL;

        for (size_t i = 0; i < m->n_policies && !mp; i++)
                if (strcmp(m->policies[i]->name, name) == 0)
                        mp = m->policies[i];
        if (!mp) {
                if (m->n_policies >= METRICS_POLICIES || !(mp = policy_new(name)))
                        return other_policy(m);
                m->policies[m->n_policies++] = mp;
        }
        /* Out of memory: the names it has keep counting, new ones are "other". */
        if (!mp->has_digest || mp->digest != unotify_policy_syscalls_digest(p)) {
                mp->has_digest = add_syscalls(mp, p) == 0;
                mp->digest = unotify_policy_syscalls_digest(p);
        }
        return mp;
}

static void policy_free(struct metrics_policy *mp)
{
        for (size_t i = 0; i < mp->n_syscalls; i++)
                free(mp->syscalls[i]);
        free(mp->syscalls);
        free(mp->decisions);
        free(mp->keys);
        free(mp->rows);
        free(mp->name);
        free(mp);
}

void metrics_done(struct metrics *m)
{
        for (size_t i = 0; i < m->n_policies; i++)
                policy_free(m->policies[i]);
        m->n_policies = 0;
}
