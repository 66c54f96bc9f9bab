/* Loading one policy, and its lifetime. */
#include <fcntl.h>
#include <stdio.h>
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

static void free_strings(char **s, size_t n)
{
        for (size_t i = 0; s && i < n; i++)
                free(s[i]);
        free(s);
}

static void selector_free(struct selector *s)
{
        if (!s)
                return;
        free_strings(s->meta, 2 * s->n_meta);
        free_strings(s->annotations, 2 * s->n_annotations);
        free(s->container);
        free(s);
}

static void free_rules(struct unotify_policy *p)
{
        /* Variants (after n_rules) share nothing that is freed. */
        for (size_t i = 0; i < p->n_rules; i++) {
                for (unsigned j = 0; j < p->rules[i].n_paths; j++)
                        free(p->rules[i].paths[j].pattern);
                handler_options_free(p->rules[i].options, true);
                if (p->info)
                        free_strings(p->info[i].names, p->info[i].n_names);
        }
        free(p->rules);
        free(p->info);
}

static void policy_free(struct unotify_policy *p)
{
        for (size_t i = 0; i < p->n_tables; i++) {
                free(p->tables[i].slots);
                free(p->tables[i].refs);
                free(p->tables[i].notified);
        }
        unotify_kernel_plan_free(p->plan);
        landlock_free(p->landlock);
        unotify_filter_free(&p->launcher_filter);
        free_rules(p);
        free_strings(p->syscalls, p->n_syscalls);
        free_strings(p->flags, p->n_flags);
        for (size_t i = 0; i < p->n_sources; i++) {
                free(p->sources[i].name);
                free(p->sources[i].origin);
        }
        free(p->sources);
        free_strings(p->includes, p->n_includes);
        selector_free(p->select);
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

const char *const *unotify_policy_filter_flags(const struct unotify_policy *p, size_t *ret_count)
{
        *ret_count = p->n_flags;
        return (const char *const *)p->flags;
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
        return p->plan ? p->plan->digest : p->digest;
}

int unotify_policy_new_deny_all(const char *name, int error, struct unotify_policy **ret)
{
        const struct draft d = {
                .name = name,
                .default_decision = { .action = UNOTIFY_ACTION_ERRNO, .error = error, .rule = -1 },
        };
        const struct compile_part part = { .draft = &d, .origin = "(built-in)" };
        const struct load_opts opts = {};

        int r;

        if (!name || name[0] == '\0' || error < 1 || error > ERRNO_MAX)
                return -EINVAL;
        r = policy_compile(&part, 1, &opts, ret);
        if (r >= 0)
                (*ret)->no_filter = true;
        return r;
}

static bool parse_number(const char **s, unsigned *ret)
{
        unsigned n = 0;

        if (**s < '0' || **s > '9')
                return false;
        for (; **s >= '0' && **s <= '9'; (*s)++) {
                n = n * 10 + (unsigned)(**s - '0');
                if (n > 0xffff)
                        return false;
        }
        *ret = n;
        return true;
}

int parse_kernel_version(const char *s, bool whole, uint32_t *ret)
{
        unsigned major, minor;

        if (!parse_number(&s, &major) || *s++ != '.' || !parse_number(&s, &minor) || major == 0)
                return -EINVAL;
        /* A release goes on ("6.1.0-13-amd64"); a minKernel does not. */
        if (whole && *s)
                return -EINVAL;
        *ret = major << 16 | minor;
        return 0;
}

int load_opts_from(const struct unotify_load_options *o, struct load_opts *ret)
{
        *ret = (struct load_opts){};
        if (!o)
                return 0;
        ret->strict = o->strict;
        if (o->kernel_release && parse_kernel_version(o->kernel_release, false, &ret->kernel) < 0)
                return -EINVAL;
        return 0;
}

static int bad_release(const char *origin, const char *release, struct unotify_diags *diags)
{
        if (diag_add(diags, origin, 0, 0, NULL,
                     "kernel release \"%.64s\" does not start with MAJOR.MINOR", release) < 0)
                return -ENOMEM;
        return -EINVAL;
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

static int parse_json(const char *buf, size_t len, const char *origin, json_t **ret,
                      struct unotify_diags *diags)
{
        json_error_t e;

        if (len > UNOTIFY_POLICY_MAX_FILE_SIZE)
                return too_large(origin, diags);
        *ret = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &e);
        return *ret ? 0 : syntax_error(&e, origin, diags);
}

static int alone(const struct draft *d, const char *origin, struct unotify_diags *diags)
{
        if (d->n_includes == 0)
                return 0;
        if (diag_add(diags, origin, 0, 0, "/include",
                     "\"include\" needs the policy's directory: load the directory, not the "
                     "file alone") < 0)
                return -ENOMEM;
        return -EINVAL;
}

static int load_json(json_t *root, const char *origin, const struct load_opts *o,
                     struct unotify_policy **ret, struct unotify_diags *diags)
{
        _cleanup_(draft_done) struct draft d = {};
        _cleanup_(unotify_policy_unrefp) struct unotify_policy *p = NULL;
        struct compile_part part;
        int r;

        r = policy_parse(root, origin, o, diags, &d);
        if (r < 0)
                return r;
        r = alone(&d, origin, diags);
        if (r < 0)
                return r;
        part = (struct compile_part){ .draft = &d, .origin = origin };
        r = policy_compile(&part, 1, o, &p);
        if (r < 0)
                return r;
        r = policy_check_toctou(p, diags);
        if (r >= 0)
                r = policy_check_landlock(p, diags);
        if (r >= 0)
                r = policy_check_plan(p, o->strict, diags);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

int unotify_policy_load_buffer_full(const char *buf, size_t len, const char *origin,
                                    const struct unotify_load_options *opts,
                                    struct unotify_policy **ret, struct unotify_diags *diags)
{
        _cleanup_(json_decrefp) json_t *root = NULL;
        struct load_opts o;
        int r;

        if (!origin)
                origin = "<buffer>";
        if (load_opts_from(opts, &o) < 0)
                return bad_release(origin, opts->kernel_release, diags);
        r = parse_json(buf, len, origin, &root, diags);
        if (r < 0)
                return r;
        return load_json(root, origin, &o, ret, diags);
}

int unotify_policy_load_buffer(const char *buf, size_t len, const char *origin,
                               struct unotify_policy **ret, struct unotify_diags *diags)
{
        return unotify_policy_load_buffer_full(buf, len, origin, NULL, ret, diags);
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

int policy_read_json(int fd, const char *path, json_t **ret, struct unotify_diags *diags)
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
        return parse_json(buf, len, path, ret, diags);
}

int unotify_policy_load_file_full(const char *path, const struct unotify_load_options *opts,
                                  struct unotify_policy **ret, struct unotify_diags *diags)
{
        _cleanup_(closep) int fd = -1;
        _cleanup_(json_decrefp) json_t *root = NULL;
        struct load_opts o;
        int r;

        if (load_opts_from(opts, &o) < 0)
                return bad_release(path, opts->kernel_release, diags);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return file_error(negative_errno(), "open", path, diags);
        r = policy_read_json(fd, path, &root, diags);
        if (r < 0)
                return r;
        return load_json(root, path, &o, ret, diags);
}

int unotify_policy_load_file(const char *path, struct unotify_policy **ret,
                             struct unotify_diags *diags)
{
        return unotify_policy_load_file_full(path, NULL, ret, diags);
}

int policy_load_fd(int fd, const char *path, const struct load_opts *o, struct unotify_policy **ret,
                   struct unotify_diags *diags)
{
        _cleanup_(json_decrefp) json_t *root = NULL;
        int r = policy_read_json(fd, path, &root, diags);

        if (r < 0)
                return r;
        return load_json(root, path, o, ret, diags);
}

int unotify_policy_rule_source(const struct unotify_policy *p, int rule, const char **ret_policy,
                               const char **ret_origin, unsigned *ret_index)
{
        const struct policy_source *s;

        if (rule < 0 || (size_t)rule >= p->n_rules)
                return -ENOENT;
        s = &p->sources[p->info[rule].source];
        if (ret_policy)
                *ret_policy = s->name;
        if (ret_origin)
                *ret_origin = s->origin;
        if (ret_index)
                *ret_index = p->info[rule].index;
        return 0;
}

const struct unotify_handler_options *unotify_policy_handler_options(const struct unotify_policy *p,
                                                                     int rule)
{
        if (rule < 0 || (size_t)rule >= p->n_rules)
                return NULL;
        return p->rules[rule].options;
}

size_t unotify_policy_rule_count(const struct unotify_policy *p)
{
        return p->n_rules;
}

enum unotify_handler unotify_policy_rule_handler(const struct unotify_policy *p, int rule)
{
        if (rule < 0 || (size_t)rule >= p->n_rules)
                return UNOTIFY_HANDLER_NONE;
        return p->rules[rule].decision.handler;
}
