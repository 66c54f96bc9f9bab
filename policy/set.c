/* A directory of policies, one per *.json file, found by name. Loaded in
 * two passes: every file is parsed first, so that "include" can name any
 * policy of the directory, then each policy is compiled with what it
 * includes. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "load.h"

struct unotify_policy_set *unotify_policy_set_free(struct unotify_policy_set *s)
{
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->count; i++)
                unotify_policy_unref(s->items[i]);
        free(s->items);
        free(s);
        return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct unotify_policy_set *, unotify_policy_set_free);

struct units {
        struct unit *items;
        size_t count;
};

static void units_done(struct units *u)
{
        for (size_t i = 0; i < u->count; i++) {
                free(u->items[i].path);
                draft_done(&u->items[i].draft);
                json_decref(u->items[i].root);
                free(u->items[i].includes);
                unotify_policy_unref(u->items[i].policy);
        }
        free(u->items);
}

static void free_dirents(struct dirent **list, int n)
{
        for (int i = 0; i < n; i++)
                free(list[i]);
        free(list);
}

/* Like the shell's *.json: hidden files (editor droppings, ".json") are
 * not policies. */
static int is_policy_file(const struct dirent *de)
{
        size_t n = strlen(de->d_name);

        return de->d_name[0] != '.' && n > 5 && strcmp(de->d_name + n - 5, ".json") == 0;
}

/* Byte order, not the locale's: the load order (and the order of the
 * diagnostics) must not depend on LANG. */
static int cmp_dirents(const struct dirent **a, const struct dirent **b)
{
        return strcmp((*a)->d_name, (*b)->d_name);
}

static int cmp_policy_names(const void *a, const void *b)
{
        return strcmp(unotify_policy_name(*(struct unotify_policy *const *)a),
                      unotify_policy_name(*(struct unotify_policy *const *)b));
}

/* Reads and parses u->path; leaves u->root NULL when the entry turns out
 * not to be a regular file. O_NONBLOCK: a FIFO named *.json must not hang
 * us. */
static int read_unit(struct unit *u, const struct load_opts *o, struct unotify_diags *diags)
{
        _cleanup_(closep) int fd = open(u->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        struct stat st;
        int r;

        if (fd < 0 || fstat(fd, &st) < 0) {
                r = negative_errno();
                if (diag_add(diags, u->path, 0, 0, NULL, "cannot open: %s", strerrordesc_np(-r)) <
                    0)
                        return -ENOMEM;
                return -EINVAL;
        }
        if (!S_ISREG(st.st_mode))
                return 0;
        r = policy_read_json(fd, u->path, &u->root, diags);
        if (r < 0)
                return r;
        r = policy_parse(u->root, u->path, o, diags, &u->draft);
        u->ok = r == 0;
        return r;
}

static int read_all(const char *dir, struct dirent **list, int n, struct units *units,
                    const struct load_opts *o, struct unotify_diags *diags)
{
        size_t len = strlen(dir);
        int r = 0;

        units->items = calloc(n > 0 ? (size_t)n : 1, sizeof(*units->items));
        if (!units->items)
                return -ENOMEM;
        for (int i = 0; i < n; i++) {
                struct unit *u = &units->items[units->count++];
                int e;

                if (asprintf(&u->path, "%s%s%s", dir, len > 0 && dir[len - 1] == '/' ? "" : "/",
                             list[i]->d_name) < 0) {
                        u->path = NULL;
                        return -ENOMEM;
                }
                /* Every file is read even after an error: the admin sees them all. */
                e = read_unit(u, o, diags);
                if (e == -ENOMEM)
                        return e;
                r = r ?: e;
        }
        return r;
}

/* A second policy of the same name is refused, naming the first file. */
static int check_names(struct units *units, struct unotify_diags *diags)
{
        int r = 0;

        for (size_t i = 0; i < units->count; i++) {
                struct unit *u = &units->items[i];

                for (size_t j = 0; u->draft.name && j < i; j++) {
                        struct unit *first = &units->items[j];

                        if (!first->draft.name || strcmp(first->draft.name, u->draft.name) != 0)
                                continue;
                        u->ok = false;
                        if (diag_add(diags, u->path, 0, 0, "/name",
                                     "duplicate policy name \"%s\" (already used by %s)",
                                     u->draft.name, first->path) < 0)
                                return -ENOMEM;
                        r = -EINVAL;
                        break;
                }
        }
        return r;
}

/* Every policy is compiled and checked, so that the admin sees every
 * refusal in one run. */
static int compile_all(struct units *units, const struct load_opts *o, struct unotify_diags *diags)
{
        _cleanup_(freep) struct compile_part *parts = calloc(units->count ?: 1, sizeof(*parts));
        int ret = 0;

        if (!parts)
                return -ENOMEM;
        for (size_t i = 0; i < units->count; i++) {
                struct unit *u = &units->items[i];
                size_t n;
                int r;

                if (!u->ok)
                        continue;
                n = units_expand(units->items, units->count, i, parts);
                r = policy_compile(parts, n, o, &u->policy);
                if (r >= 0)
                        r = policy_check_toctou(u->policy, diags);
                if (r >= 0)
                        r = policy_check_landlock(u->policy, diags);
                if (r >= 0)
                        r = policy_check_plan(u->policy, o->strict, diags);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        u->policy = unotify_policy_unref(u->policy);
                        ret = r;
                }
        }
        return ret;
}

/* The set, from units that all compiled; sorted by name. */
static int assemble(struct units *units, struct unotify_diags *diags,
                    struct unotify_policy_set **ret)
{
        _cleanup_(unotify_policy_set_freep) struct unotify_policy_set *s = calloc(1, sizeof(*s));
        int r;

        if (!s)
                return -ENOMEM;
        s->items = calloc(units->count ?: 1, sizeof(*s->items));
        if (!s->items)
                return -ENOMEM;
        for (size_t i = 0; i < units->count; i++)
                if (units->items[i].policy)
                        s->items[s->count++] = unotify_policy_ref(units->items[i].policy);
        r = check_selection(s->items, s->count, diags);
        if (r < 0)
                return r;
        qsort(s->items, s->count, sizeof(*s->items), cmp_policy_names);
        *ret = TAKE_PTR(s);
        return 0;
}

static int load_units(const char *dir, struct units *units, const struct load_opts *o,
                      struct unotify_diags *diags)
{
        struct dirent **list = NULL;
        int n, r, e;

        n = scandir(dir, &list, is_policy_file, cmp_dirents);
        if (n < 0)
                return negative_errno();
        r = read_all(dir, list, n, units, o, diags);
        free_dirents(list, n);
        if (r == -ENOMEM)
                return r;
        e = check_names(units, diags);
        r = r ?: e;
        if (r == -ENOMEM)
                return r;
        e = units_link(units->items, units->count, diags);
        return r ?: e;
}

int unotify_policy_set_load_dir_full(const char *dir, const struct unotify_load_options *opts,
                                     struct unotify_policy_set **ret, struct unotify_diags *diags)
{
        _cleanup_(units_done) struct units units = {};
        struct load_opts o;
        int r;

        if (load_opts_from(opts, &o) < 0) {
                if (diag_add(diags, dir, 0, 0, NULL,
                             "kernel release \"%.64s\" does not start with MAJOR.MINOR",
                             opts->kernel_release) < 0)
                        return -ENOMEM;
                return -EINVAL;
        }
        r = load_units(dir, &units, &o, diags);
        if (r < 0)
                return r;
        r = compile_all(&units, &o, diags);
        if (r < 0)
                return r;
        return assemble(&units, diags, ret);
}

int unotify_policy_set_load_dir(const char *dir, struct unotify_policy_set **ret,
                                struct unotify_diags *diags)
{
        return unotify_policy_set_load_dir_full(dir, NULL, ret, diags);
}

size_t unotify_policy_set_count(const struct unotify_policy_set *s)
{
        return s ? s->count : 0;
}

struct unotify_policy *unotify_policy_set_at(const struct unotify_policy_set *s, size_t i)
{
        return s && i < s->count ? s->items[i] : NULL;
}
