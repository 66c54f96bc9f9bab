/* Loading one policy: read, parse (parse/), compile and check (compile/). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "load.h"

#define READ_CHUNK (64 * 1024)

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
