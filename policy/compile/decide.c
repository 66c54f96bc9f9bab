/* The decision for one notification: the daemon's hot path. No
 * allocation, no string work beyond matching a path a rule asks for. */
#include <limits.h>
#include <string.h>

#include "compile/compile.h"

/* Unsigned 64-bit comparisons, as libseccomp compiles them. */
static bool cond_holds(const struct cond *c, const __u64 *args)
{
        uint64_t a = args[c->index];

        switch (c->op) {
        case COND_NE:
                return a != c->value;
        case COND_LT:
                return a < c->value;
        case COND_LE:
                return a <= c->value;
        case COND_EQ:
                return a == c->value;
        case COND_GE:
                return a >= c->value;
        case COND_GT:
                return a > c->value;
        case COND_MASKED_EQ:
                return (a & c->value) == c->value_two;
        }
        return false;
}

static bool args_hold(const struct rule *r, const __u64 *args)
{
        for (unsigned i = 0; i < r->n_conds; i++)
                if (!cond_holds(&r->conds[i], args))
                        return false;
        return true;
}

/* Paths read for this decision: a rule asks for few, and several rules
 * of one syscall usually ask for the same one. */
#define PATH_CACHE 2

struct cached_path {
        int index; /* -1: free */
        int dirfd;
        int len; /* or -errno */
        char buf[PATH_MAX];
};

/* What one decision has learnt about its target so far. */
struct target {
        const struct unotify_target_view *view;
        bool have_caps;
        uint64_t caps;
        unsigned next; /* round robin over the cache */
        struct cached_path paths[PATH_CACHE];
};

static int target_caps(struct target *t, uint64_t *ret)
{
        int r;

        if (!t->have_caps) {
                if (t->view && t->view->read_caps) {
                        r = t->view->read_caps(t->view->userdata, &t->caps);
                        if (r < 0)
                                return r;
                } else
                        t->caps = t->view ? t->view->caps_effective : 0;
                t->have_caps = true;
        }
        *ret = t->caps;
        return 0;
}

static int read_path(struct target *t, const struct path_cond *c, struct cached_path *e)
{
        int n;

        e->index = (int)c->index;
        e->dirfd = c->dirfd;
        if (!t->view || !t->view->read_path)
                return e->len = -EFAULT;
        e->buf[0] = '\0';
        n = t->view->read_path(t->view->userdata, c->index, c->dirfd, e->buf, sizeof(e->buf));
        if (n >= 0 && (e->buf[0] != '/' || memchr(e->buf, '\0', sizeof(e->buf)) == NULL))
                n = -EFAULT; /* relative, or not terminated: not a path we can judge */
        if (n >= 0)
                n = (int)path_normalize(e->buf);
        return e->len = n;
}

/* The normalized path for c, or NULL with *error set. */
static const char *target_path(struct target *t, const struct path_cond *c, int *error)
{
        struct cached_path *e = NULL;

        for (unsigned i = 0; i < PATH_CACHE; i++)
                if (t->paths[i].index == (int)c->index && t->paths[i].dirfd == c->dirfd)
                        e = &t->paths[i];
        if (!e) {
                e = &t->paths[t->next++ % PATH_CACHE];
                read_path(t, c, e);
        }
        if (e->len < 0) {
                *error = e->len;
                return NULL;
        }
        return e->buf;
}

/* 1: r matches, 0: it does not, -errno: it cannot be decided. */
static int rule_matches(const struct rule *r, const __u64 *args, struct target *t)
{
        uint64_t caps;
        int error = 0;

        if (!args_hold(r, args))
                return 0;
        if (r->caps_all || r->caps_none) {
                int e = target_caps(t, &caps);

                if (e < 0)
                        return e;
                if ((caps & r->caps_all) != r->caps_all || (caps & r->caps_none))
                        return 0;
        }
        for (unsigned i = 0; i < r->n_paths; i++) {
                const char *path = target_path(t, &r->paths[i], &error);

                if (!path)
                        return error;
                if (!path_matches(&r->paths[i], path))
                        return 0;
        }
        return 1;
}

/* The rules for (arch, nr), or 0 of them. At most one table of an ABI
 * holds nr: x86_64's numbers are below __X32_SYSCALL_BIT, x32's (less the
 * bit) wrap around above its size. */
static const struct arch_table *candidates(const struct unotify_policy *p,
                                           const struct seccomp_data *data, const struct slot **ret)
{
        for (size_t i = 0; i < p->n_tables; i++) {
                const struct arch_table *t = &p->tables[i];
                uint32_t idx = (uint32_t)data->nr - t->nr_base;

                if (t->audit_arch != data->arch || idx >= t->size)
                        continue;
                *ret = &t->slots[idx];
                return t;
        }
        return NULL;
}

static void fail_decision(const struct rule *r, int error, struct unotify_decision *ret)
{
        *ret = (struct unotify_decision){
                .action = UNOTIFY_ACTION_ERRNO,
                .error = error <= -1 && error >= -ERRNO_MAX ? -error : EFAULT,
                .rule = r->decision.rule,
                .handler = UNOTIFY_HANDLER_NONE,
        };
}

int unotify_policy_decide_target(const struct unotify_policy *p, const struct seccomp_data *data,
                                 const struct unotify_target_view *view,
                                 struct unotify_decision *ret)
{
        const struct slot *s = NULL;
        const struct arch_table *table = candidates(p, data, &s);
        struct target t;

        /* Not "= {}": that would clear the path buffers on every call. */
        t.view = view;
        t.have_caps = false;
        t.caps = 0;
        t.next = 0;
        for (unsigned i = 0; i < PATH_CACHE; i++)
                t.paths[i].index = -1;
        for (uint32_t j = 0; table && j < s->count; j++) {
                const struct rule *r = &p->rules[table->refs[s->first + j]];
                int m = rule_matches(r, data->args, &t);

                if (m < 0) {
                        fail_decision(r, m, ret);
                        return m;
                }
                if (m > 0) {
                        *ret = r->decision;
                        return 0;
                }
        }
        *ret = p->default_decision;
        return 0;
}

void unotify_policy_decide(const struct unotify_policy *p, const struct seccomp_data *data,
                           struct unotify_decision *ret)
{
        const struct slot *s = NULL;
        const struct arch_table *table;

        /* The common case without a struct target on the stack. */
        if (!p->needs_view) {
                table = candidates(p, data, &s);
                for (uint32_t j = 0; table && j < s->count; j++) {
                        const struct rule *r = &p->rules[table->refs[s->first + j]];

                        if (args_hold(r, data->args)) {
                                *ret = r->decision;
                                return;
                        }
                }
                *ret = p->default_decision;
                return;
        }
        (void)unotify_policy_decide_target(p, data, NULL, ret);
}

bool unotify_policy_needs_target_view(const struct unotify_policy *p)
{
        return p->needs_view;
}
