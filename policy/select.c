/* Choosing a listener's policy: "select" of each policy (compiled in
 * compile.c), checked at load for overlaps, matched at handoff. */
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"

/* ---- load time: can two selectors match the same listener? ---------- */

#define GLOB_META "*?[\\"

/* The literal text every match of glob starts with: up to the first
 * character that is not literal. */
static size_t literal_prefix(const char *glob)
{
        return strcspn(glob, GLOB_META);
}

/* The literal text every match ends with: after the last character that
 * may not be literal (']' included, which closes a bracket expression). */
static const char *literal_suffix(const char *glob)
{
        const char *s = glob;

        for (const char *c = glob; *c; c++)
                if (strchr(GLOB_META "]", *c))
                        s = c + 1;
        return s;
}

static bool compatible_prefixes(const char *a, size_t na, const char *b, size_t nb)
{
        return strncmp(a, b, na < nb ? na : nb) == 0;
}

static bool compatible_suffixes(const char *a, const char *b)
{
        size_t na = strlen(a), nb = strlen(b), n = na < nb ? na : nb;

        return memcmp(a + na - n, b + nb - n, n) == 0;
}

/* Sound, not complete: true only when no string matches both globs,
 * because their literal beginnings or ends differ. A fully literal glob
 * is its own prefix and suffix, so two different literals are disjoint. */
static bool globs_disjoint(const char *a, const char *b)
{
        size_t pa = literal_prefix(a), pb = literal_prefix(b);
        bool lit_a = a[pa] == '\0', lit_b = b[pb] == '\0';

        if (lit_a && lit_b)
                return strcmp(a, b) != 0;
        if (!compatible_prefixes(a, pa, b, pb))
                return true;
        return !compatible_suffixes(literal_suffix(a), literal_suffix(b));
}

static const char *pair_value(char **pairs, size_t n, const char *key)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(pairs[2 * i], key) == 0)
                        return pairs[2 * i + 1];
        return NULL;
}

/* True when some key both constrain proves that no listener matches both:
 * a metadata key with two values (only a key's first line counts, so a
 * listener has one value per key), an annotation or the container id with
 * disjoint globs. Anything else may overlap. */
static bool selectors_disjoint(const struct selector *a, const struct selector *b)
{
        for (size_t i = 0; i < a->n_meta; i++) {
                const char *v = pair_value(b->meta, b->n_meta, a->meta[2 * i]);

                if (v && strcmp(v, a->meta[2 * i + 1]) != 0)
                        return true;
        }
        for (size_t i = 0; i < a->n_annotations; i++) {
                const char *g = pair_value(b->annotations, b->n_annotations, a->annotations[2 * i]);

                if (g && globs_disjoint(g, a->annotations[2 * i + 1]))
                        return true;
        }
        return a->container && b->container && globs_disjoint(a->container, b->container);
}

/* ---- handoff time ----------------------------------------------------- */

/* The value of key's first line in "KEY=VALUE\n..." lines; *ret_len. */
static const char *meta_lookup(const char *meta, const char *key, size_t *ret_len)
{
        size_t klen = strlen(key);

        for (const char *line = meta; line && *line;) {
                const char *end = strchrnul(line, '\n');

                if ((size_t)(end - line) > klen && strncmp(line, key, klen) == 0 &&
                    line[klen] == '=') {
                        *ret_len = (size_t)(end - line) - klen - 1;
                        return line + klen + 1;
                }
                line = *end ? end + 1 : end;
        }
        return NULL;
}

static const char *annotation(const struct unotify_selector *sel, const char *key)
{
        for (size_t i = 0; i < sel->n_annotations; i++)
                if (sel->annotations[i].key && strcmp(sel->annotations[i].key, key) == 0)
                        return sel->annotations[i].value;
        return NULL;
}

static bool selector_matches(const struct selector *s, const struct unotify_selector *sel)
{
        for (size_t i = 0; i < s->n_meta; i++) {
                size_t n = 0;
                const char *v =
                        sel->metadata ? meta_lookup(sel->metadata, s->meta[2 * i], &n) : NULL;

                if (!v || n != strlen(s->meta[2 * i + 1]) || strncmp(v, s->meta[2 * i + 1], n))
                        return false;
        }
        for (size_t i = 0; i < s->n_annotations; i++) {
                const char *v = annotation(sel, s->annotations[2 * i]);

                if (!v || fnmatch(s->annotations[2 * i + 1], v, 0) != 0)
                        return false;
        }
        if (s->container && (!sel->container_id || fnmatch(s->container, sel->container_id, 0)))
                return false;
        return true;
}

_printf_(3, 4) static void say(char *why, size_t size, const char *fmt, ...)
{
        va_list ap;

        if (!why || size == 0)
                return;
        va_start(ap, fmt);
        vsnprintf(why, size, fmt, ap);
        va_end(ap);
}

static int cmp_key_name(const void *key, const void *item)
{
        return strcmp(key, unotify_policy_name(*(struct unotify_policy *const *)item));
}

/* Sets are sorted by name (set.c). */
struct unotify_policy *unotify_policy_set_find(const struct unotify_policy_set *s, const char *name)
{
        struct unotify_policy **p;

        if (!s || !name)
                return NULL;
        p = bsearch(name, s->items, s->count, sizeof(*s->items), cmp_key_name);
        return p ? *p : NULL;
}

static int by_name(const struct unotify_policy_set *s, const char *name, size_t n,
                   struct unotify_policy **ret, char *why, size_t size)
{
        char buf[UNOTIFY_POLICY_NAME_MAX];

        if (n >= sizeof(buf)) {
                say(why, size, "unknown policy \"%.*s\" (named by metadata)",
                    (int)(n > 64 ? 64 : n), name);
                return -ENOENT;
        }
        memcpy(buf, name, n);
        buf[n] = '\0';
        *ret = unotify_policy_set_find(s, buf);
        if (!*ret) {
                say(why, size, "unknown policy \"%s\" (named by metadata)", buf);
                return -ENOENT;
        }
        say(why, size, "named by metadata");
        return 0;
}

static int by_select(const struct unotify_policy_set *s, const struct unotify_selector *sel,
                     struct unotify_policy **ret, char *why, size_t size)
{
        struct unotify_policy *found = NULL;

        for (size_t i = 0; i < s->count; i++) {
                struct unotify_policy *p = s->items[i];

                if (!p->select || !selector_matches(p->select, sel))
                        continue;
                if (found) {
                        say(why, size, "policies \"%s\" and \"%s\" both select this listener",
                            found->name, p->name);
                        return -ENOTUNIQ;
                }
                found = p;
        }
        if (!found)
                return 0;
        say(why, size, "selected by \"select\" of \"%s\"", found->name);
        *ret = found;
        return 1;
}

static int by_default(const struct unotify_policy_set *s, const struct unotify_selector *sel,
                      struct unotify_policy **ret, char *why, size_t size)
{
        for (size_t i = 0; i < s->count; i++)
                if (s->items[i]->is_default) {
                        say(why, size,
                            "no policy selects this listener: the default (\"default\": true)");
                        *ret = s->items[i];
                        return 0;
                }
        *ret = sel->fallback_name ? unotify_policy_set_find(s, sel->fallback_name) : NULL;
        if (!*ret) {
                say(why, size,
                    "no policy selects this listener, none has \"default\": true, and "
                    "there is no policy \"%s\"",
                    sel->fallback_name ? sel->fallback_name : "(none)");
                return -ENOENT;
        }
        say(why, size, "no policy selects this listener: the default policy \"%s\"",
            sel->fallback_name);
        return 0;
}

int unotify_policy_set_select(const struct unotify_policy_set *s,
                              const struct unotify_selector *sel, struct unotify_policy **ret,
                              char *why, size_t why_size)
{
        static const struct unotify_selector none = {};
        struct unotify_policy *p = NULL;
        const char *name;
        size_t n = 0;
        int r;

        if (!s) {
                say(why, why_size, "no policies");
                return -ENOENT;
        }
        if (!sel)
                sel = &none;
        name = sel->metadata ? meta_lookup(sel->metadata, UNOTIFY_SELECT_POLICY_KEY, &n) : NULL;
        if (name)
                r = by_name(s, name, n, &p, why, why_size);
        else {
                r = by_select(s, sel, &p, why, why_size);
                if (r == 0)
                        r = by_default(s, sel, &p, why, why_size);
        }
        if (r < 0)
                return r;
        *ret = p;
        return 0;
}

/* ---- load time: the set as a whole ------------------------------------ */

static int check_defaults(struct unotify_policy *const *policies, size_t n,
                          struct unotify_diags *diags)
{
        const struct unotify_policy *first = NULL;
        int r = 0;

        for (size_t i = 0; i < n; i++) {
                if (!policies[i]->is_default)
                        continue;
                if (!first) {
                        first = policies[i];
                        continue;
                }
                if (diag_add(diags, policies[i]->origin, 0, 0, "/default",
                             "policy \"%s\" is marked default, and so is \"%s\" (%s): at most one "
                             "may be",
                             policies[i]->name, first->name, first->origin) < 0)
                        return -ENOMEM;
                r = -EINVAL;
        }
        return r;
}

int check_selection(struct unotify_policy *const *policies, size_t n, struct unotify_diags *diags)
{
        int r = check_defaults(policies, n, diags);

        if (r == -ENOMEM)
                return r;
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; policies[i]->select && j < i; j++) {
                        const struct unotify_policy *a = policies[j], *b = policies[i];

                        if (!a->select || selectors_disjoint(a->select, b->select))
                                continue;
                        if (diag_add(diags, b->origin, 0, 0, "/select",
                                     "policies \"%s\" (%s) and \"%s\" may both select the same "
                                     "listener: give both the same metadata key with different "
                                     "values, or annotation or containerId globs whose fixed "
                                     "beginnings or ends differ",
                                     a->name, a->origin, b->name) < 0)
                                return -ENOMEM;
                        r = -EINVAL;
                }
        return r;
}
