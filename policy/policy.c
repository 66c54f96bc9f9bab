/* Loading one policy, its lifetime, and the decision for one notification
 * (the daemon's hot path: no allocation, no strings). */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define READ_CHUNK (64 * 1024)

struct unotify_policy *policy_alloc(const char *name, const char *origin)
{
        _cleanup_(unotify_policy_unrefp) struct unotify_policy *p = calloc(1, sizeof(*p));

        if (!p)
                return NULL;
        p->n_ref = 1;
        p->name = strdup(name);
        p->origin = strdup(origin);
        if (!p->name || !p->origin)
                return NULL;
        return TAKE_PTR(p);
}

static void policy_free(struct unotify_policy *p)
{
        for (size_t i = 0; i < p->n_tables; i++) {
                free(p->tables[i].slots);
                free(p->tables[i].refs);
        }
        for (size_t i = 0; i < p->n_syscalls; i++)
                free(p->syscalls[i]);
        free(p->syscalls);
        free(p->rules);
        free(p->name);
        free(p->origin);
        free(p);
}

/* Atomic: listeners may hand references to helper threads. */
struct unotify_policy *unotify_policy_ref(struct unotify_policy *p)
{
        if (p)
                __atomic_add_fetch(&p->n_ref, 1, __ATOMIC_RELAXED);
        return p;
}

struct unotify_policy *unotify_policy_unref(struct unotify_policy *p)
{
        if (p && __atomic_sub_fetch(&p->n_ref, 1, __ATOMIC_ACQ_REL) == 0)
                policy_free(p);
        return NULL;
}

const char *unotify_policy_name(const struct unotify_policy *p)
{
        return p->name;
}

const char *unotify_policy_origin(const struct unotify_policy *p)
{
        return p->origin;
}

const char *const *unotify_policy_syscalls(const struct unotify_policy *p, size_t *ret_count)
{
        *ret_count = p->n_syscalls;
        return (const char *const *)p->syscalls;
}

uint64_t unotify_policy_syscalls_digest(const struct unotify_policy *p)
{
        return p->digest;
}

const char *unotify_action_to_string(enum unotify_action a)
{
        switch (a) {
        case UNOTIFY_ACTION_CONTINUE:
                return "SCMP_ACT_ALLOW";
        case UNOTIFY_ACTION_ERRNO:
                return "SCMP_ACT_ERRNO";
        }
        return "(invalid action)";
}

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

static bool rule_matches(const struct rule *r, const __u64 *args)
{
        for (unsigned i = 0; i < r->n_conds; i++)
                if (!cond_holds(&r->conds[i], args))
                        return false;
        return true;
}

/* At most one table of an ABI holds nr: x86_64's numbers are below
 * __X32_SYSCALL_BIT, x32's (less the bit) wrap around above its size. */
static const struct rule *first_match(const struct unotify_policy *p,
                                      const struct seccomp_data *data)
{
        for (size_t i = 0; i < p->n_tables; i++) {
                const struct arch_table *t = &p->tables[i];
                uint32_t idx = (uint32_t)data->nr - t->nr_base;
                const struct slot *s;

                if (t->audit_arch != data->arch || idx >= t->size)
                        continue;
                s = &t->slots[idx];
                for (uint32_t j = 0; j < s->count; j++) {
                        const struct rule *r = &p->rules[t->refs[s->first + j]];

                        if (rule_matches(r, data->args))
                                return r;
                }
                return NULL;
        }
        return NULL;
}

void unotify_policy_decide(const struct unotify_policy *p, const struct seccomp_data *data,
                           struct unotify_decision *ret)
{
        const struct rule *r = first_match(p, data);

        *ret = r ? r->decision : p->default_decision;
}

int unotify_policy_new_deny_all(const char *name, int error, struct unotify_policy **ret)
{
        const struct draft d = {
                .name = name,
                .default_decision = { .action = UNOTIFY_ACTION_ERRNO, .error = error, .rule = -1 },
        };

        if (!name || name[0] == '\0' || error < 1 || error > ERRNO_MAX)
                return -EINVAL;
        return policy_compile(&d, "(built-in)", ret);
}

static int syntax_error(const json_error_t *e, const char *origin, struct unotify_diags *diags)
{
        /* jansson's integers are int64_t; say how to write bigger ones. */
        const char *hint =
                json_error_code(e) == json_error_numeric_overflow
                        ? " (write values above 9223372036854775807 as \"0x...\" strings)"
                        : "";

        if (diag_add(diags, origin, e->line, e->column, NULL, "%s%s", e->text, hint) < 0)
                return -ENOMEM;
        return -EINVAL;
}

static int too_large(const char *origin, struct unotify_diags *diags)
{
        if (diag_add(diags, origin, 0, 0, NULL, "file is larger than %d bytes",
                     UNOTIFY_POLICY_MAX_FILE_SIZE) < 0)
                return -ENOMEM;
        return -EINVAL;
}

int unotify_policy_load_buffer(const char *buf, size_t len, const char *origin,
                               struct unotify_policy **ret, struct unotify_diags *diags)
{
        _cleanup_(json_decrefp) json_t *root = NULL;
        _cleanup_(draft_done) struct draft d = {};
        json_error_t e;
        int r;

        if (!origin)
                origin = "<buffer>";
        if (len > UNOTIFY_POLICY_MAX_FILE_SIZE)
                return too_large(origin, diags);
        root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &e);
        if (!root)
                return syntax_error(&e, origin, diags);
        r = policy_parse(root, origin, diags, &d);
        if (r < 0)
                return r;
        return policy_compile(&d, origin, ret);
}

static int file_error(int error, const char *what, const char *path, struct unotify_diags *diags)
{
        if (diag_add(diags, path, 0, 0, NULL, "cannot %s: %s", what, strerrordesc_np(-error)) < 0)
                return -ENOMEM;
        return error;
}

/* Reads at most UNOTIFY_POLICY_MAX_FILE_SIZE + 1 bytes, whatever fstat
 * says: the file may grow while we read, or be a pipe. */
static int read_capped(int fd, char **ret, size_t *ret_len)
{
        _cleanup_(freep) char *buf = NULL;
        size_t len = 0, cap = 0;

        for (;;) {
                ssize_t n;

                if (len == cap) {
                        char *grown;

                        if (cap > UNOTIFY_POLICY_MAX_FILE_SIZE)
                                return -EFBIG;
                        cap += READ_CHUNK;
                        if (cap > UNOTIFY_POLICY_MAX_FILE_SIZE)
                                cap = UNOTIFY_POLICY_MAX_FILE_SIZE + 1;
                        grown = realloc(buf, cap);
                        if (!grown)
                                return -ENOMEM;
                        buf = grown;
                }
                n = read(fd, buf + len, cap - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        if (len > UNOTIFY_POLICY_MAX_FILE_SIZE)
                return -EFBIG;
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

int policy_load_fd(int fd, const char *path, struct unotify_policy **ret,
                   struct unotify_diags *diags)
{
        _cleanup_(freep) char *buf = NULL;
        size_t len;
        int r;

        r = read_capped(fd, &buf, &len);
        if (r == -EFBIG)
                return too_large(path, diags);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return file_error(r, "read", path, diags);
        return unotify_policy_load_buffer(buf, len, path, ret, diags);
}

int unotify_policy_load_file(const char *path, struct unotify_policy **ret,
                             struct unotify_diags *diags)
{
        _cleanup_(closep) int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

        if (fd < 0)
                return file_error(negative_errno(), "open", path, diags);
        return policy_load_fd(fd, path, ret, diags);
}
