/* A directory of policies, one per *.json file, found by name. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

struct unotify_policy_set {
        struct unotify_policy **items; /* sorted by name, unique */
        size_t count;
};

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

static int cmp_key_name(const void *key, const void *item)
{
        return strcmp(key, unotify_policy_name(*(struct unotify_policy *const *)item));
}

/* Loads path into *ret, or leaves it NULL when the entry turns out not to
 * be a regular file. O_NONBLOCK: a FIFO named *.json must not hang us. */
static int load_entry(const char *path, struct unotify_policy **ret, struct unotify_diags *diags)
{
        _cleanup_(closep) int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        struct stat st;

        *ret = NULL;
        if (fd < 0 || fstat(fd, &st) < 0) {
                int r = negative_errno();

                if (diag_add(diags, path, 0, 0, NULL, "cannot open: %s", strerrordesc_np(-r)) < 0)
                        return -ENOMEM;
                return -EINVAL;
        }
        if (!S_ISREG(st.st_mode))
                return 0;
        return policy_load_fd(fd, path, ret, diags);
}

/* A second policy of the same name is refused, naming the first file. */
static int add_unique(struct unotify_policy_set *s, struct unotify_policy *p,
                      struct unotify_diags *diags)
{
        for (size_t i = 0; i < s->count; i++) {
                if (strcmp(unotify_policy_name(s->items[i]), unotify_policy_name(p)) != 0)
                        continue;
                if (diag_add(diags, unotify_policy_origin(p), 0, 0, "/name",
                             "duplicate policy name \"%s\" (already used by %s)",
                             unotify_policy_name(p), unotify_policy_origin(s->items[i])) < 0)
                        return -ENOMEM;
                return -EINVAL;
        }
        s->items[s->count++] = unotify_policy_ref(p);
        return 0;
}

static int load_one(const char *dir, const char *file, struct unotify_policy_set *s,
                    struct unotify_diags *diags)
{
        _cleanup_(unotify_policy_unrefp) struct unotify_policy *p = NULL;
        _cleanup_(freep) char *path = NULL;
        int r;

        size_t n = strlen(dir);

        if (asprintf(&path, "%s%s%s", dir, n > 0 && dir[n - 1] == '/' ? "" : "/", file) < 0)
                return -ENOMEM;
        r = load_entry(path, &p, diags);
        if (r < 0 || !p)
                return r;
        return add_unique(s, p, diags);
}

/* Every file is loaded even after an error, so the admin sees them all. */
static int load_all(const char *dir, struct dirent **list, int n, struct unotify_policy_set *s,
                    struct unotify_diags *diags)
{
        bool invalid = false;

        s->items = calloc(n > 0 ? (size_t)n : 1, sizeof(*s->items));
        if (!s->items)
                return -ENOMEM;
        for (int i = 0; i < n; i++) {
                int r = load_one(dir, list[i]->d_name, s, diags);

                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        invalid = true;
        }
        return invalid ? -EINVAL : 0;
}

int unotify_policy_set_load_dir(const char *dir, struct unotify_policy_set **ret,
                                struct unotify_diags *diags)
{
        _cleanup_(unotify_policy_set_freep) struct unotify_policy_set *s = NULL;
        struct dirent **list = NULL;
        int n, r;

        n = scandir(dir, &list, is_policy_file, cmp_dirents);
        if (n < 0)
                return negative_errno();
        s = calloc(1, sizeof(*s));
        r = s ? load_all(dir, list, n, s, diags) : -ENOMEM;
        free_dirents(list, n);
        if (r < 0)
                return r;
        qsort(s->items, s->count, sizeof(*s->items), cmp_policy_names);
        *ret = TAKE_PTR(s);
        return 0;
}

struct unotify_policy *unotify_policy_set_find(const struct unotify_policy_set *s, const char *name)
{
        struct unotify_policy **p;

        if (!s || !name)
                return NULL;
        p = bsearch(name, s->items, s->count, sizeof(*s->items), cmp_key_name);
        return p ? *p : NULL;
}

size_t unotify_policy_set_count(const struct unotify_policy_set *s)
{
        return s ? s->count : 0;
}

struct unotify_policy *unotify_policy_set_at(const struct unotify_policy_set *s, size_t i)
{
        return s && i < s->count ? s->items[i] : NULL;
}
