/* The policy's "landlock" section: file access the kernel enforces itself
 * (include/unotify/landlock.h). An allow-list: "handledAccess" names the
 * rights it restricts (default: all), "allow" the paths beneath which
 * some of them stay permitted, "minAbi" the oldest Landlock the launcher
 * may run the command under. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"

static const char *const landlock_keys[] = { "handledAccess", "allow", "minAbi", "comment" };
static const char *const allow_keys[] = { "path", "access", "comment" };

static const char *right_names(char *buf, size_t size)
{
        const char *names[UNOTIFY_LANDLOCK_RIGHTS];

        for (unsigned i = 0; i < UNOTIFY_LANDLOCK_RIGHTS; i++)
                names[i] = unotify_landlock_right_name(i);
        return join(names, UNOTIFY_LANDLOCK_RIGHTS, buf, size);
}

static uint64_t parse_right(struct parser *p, json_t *e, uint64_t seen)
{
        char known[512];
        int bit;

        if (!json_is_string(e)) {
                fail(p, NULL, "expected an access right such as \"read_file\", got %s",
                     type_name(e));
                return 0;
        }
        bit = unotify_landlock_right_from_name(json_string_value(e));
        if (bit < 0) {
                fail(p, NULL, "unknown access right \"%s\" (expected one of %s)",
                     json_string_value(e), right_names(known, sizeof(known)));
                return 0;
        }
        if (seen & (UINT64_C(1) << bit)) {
                fail(p, NULL, "\"%s\" is given twice", json_string_value(e));
                return 0;
        }
        return UINT64_C(1) << bit;
}

/* A non-empty array of right names, none twice; 0 (reported) otherwise. */
static uint64_t parse_rights(struct parser *p, json_t *obj, const char *key)
{
        json_t *v = member(p, obj, key, true), *e;
        uint64_t mask = 0;
        size_t i, mark;

        if (!v || !expect_array(p, key, v, "an array of access rights", "access right"))
                return 0;
        json_array_foreach(v, i, e) {
                uint64_t bit;

                mark = ptr_push(p, key, i);
                bit = parse_right(p, e, mask);
                ptr_pop(p, mark);
                if (!bit)
                        return 0;
                mask |= bit;
        }
        return mask;
}

/* Absolute, normalized, short: it is sent to every launcher. */
static const char *parse_allow_path(struct parser *p, json_t *obj)
{
        json_t *v = member(p, obj, "path", true);
        const char *s = v ? expect_string(p, "path", v, "an absolute path (a string)") : NULL;
        char norm[UNOTIFY_LANDLOCK_PATH_MAX];
        size_t n;

        if (!s)
                return NULL;
        n = strlen(s);
        if (s[0] != '/' || n >= sizeof(norm)) {
                fail(p, "path", "expected an absolute path shorter than %d bytes, got \"%.64s\"",
                     UNOTIFY_LANDLOCK_PATH_MAX, s);
                return NULL;
        }
        memcpy(norm, s, n + 1);
        path_normalize(norm);
        if (strcmp(norm, s) != 0) {
                fail(p, "path", "\"%s\" is not normalized (write \"%s\")", s, norm);
                return NULL;
        }
        return s;
}

static void parse_allow_entry(struct parser *p, json_t *e, struct unotify_landlock *ll)
{
        const char *path;
        uint64_t access;

        if (!json_is_object(e)) {
                fail(p, NULL, "expected an object with \"path\" and \"access\", got %s",
                     type_name(e));
                return;
        }
        check_keys(p, e, allow_keys, ELEMENTSOF(allow_keys));
        parse_comment(p, e);
        path = parse_allow_path(p, e);
        access = parse_rights(p, e, "access");
        if (!path || !access)
                return;
        if (access & ~ll->handled) {
                fail(p, "access",
                     "grants rights that \"handledAccess\" does not restrict (they are "
                     "allowed everywhere already): add them there or remove them here");
                return;
        }
        for (size_t i = 0; i < ll->n_rules; i++)
                if (strcmp(ll->rules[i].path, path) == 0) {
                        fail(p, "path",
                             "\"%s\" is allowed already (by /landlock/allow/%zu): "
                             "give one entry with every right",
                             path, i);
                        return;
                }
        ll->rules[ll->n_rules++] =
                (struct unotify_landlock_rule){ .path = (char *)path, .access = access };
}

static void parse_allow(struct parser *p, json_t *obj, struct unotify_landlock *ll)
{
        json_t *v = member(p, obj, "allow", true), *e;
        size_t i, mark;

        if (!v)
                return;
        if (!json_is_array(v)) {
                fail(p, "allow", "expected an array of {\"path\", \"access\"} objects, got %s",
                     type_name(v));
                return;
        }
        if (json_array_size(v) > UNOTIFY_LANDLOCK_MAX_RULES) {
                fail(p, "allow", "expected at most %d entries, got %zu", UNOTIFY_LANDLOCK_MAX_RULES,
                     json_array_size(v));
                return;
        }
        ll->rules = calloc(json_array_size(v) ?: 1, sizeof(*ll->rules));
        if (!ll->rules) {
                p->oom = -ENOMEM;
                return;
        }
        json_array_foreach(v, i, e) {
                mark = ptr_push(p, "allow", i);
                parse_allow_entry(p, e, ll);
                ptr_pop(p, mark);
        }
}

static void parse_min_abi(struct parser *p, json_t *obj, struct unotify_landlock *ll)
{
        json_t *v = json_object_get(obj, "minAbi");

        ll->min_abi = 1; /* without Landlock nothing would enforce the section */
        if (!v)
                return;
        if (!json_is_integer(v)) {
                fail(p, "minAbi", "expected a Landlock ABI version 0..%d, got %s",
                     UNOTIFY_LANDLOCK_ABI_MAX, type_name(v));
                return;
        }
        if (json_integer_value(v) < 0 || json_integer_value(v) > UNOTIFY_LANDLOCK_ABI_MAX) {
                fail(p, "minAbi",
                     "expected a Landlock ABI version 0..%d, got %" JSON_INTEGER_FORMAT,
                     UNOTIFY_LANDLOCK_ABI_MAX, json_integer_value(v));
                return;
        }
        ll->min_abi = (unsigned)json_integer_value(v);
}

void parse_landlock(struct parser *p, json_t *root, struct draft *d)
{
        json_t *obj = json_object_get(root, "landlock");
        size_t mark;

        if (!obj)
                return;
        mark = ptr_push_key(p, "landlock");
        if (!json_is_object(obj)) {
                fail(p, NULL, "expected an object with \"allow\", got %s", type_name(obj));
                ptr_pop(p, mark);
                return;
        }
        check_keys(p, obj, landlock_keys, ELEMENTSOF(landlock_keys));
        parse_comment(p, obj);
        d->has_landlock = true;
        d->landlock.handled = UNOTIFY_LANDLOCK_ALL;
        if (json_object_get(obj, "handledAccess"))
                d->landlock.handled = parse_rights(p, obj, "handledAccess");
        parse_min_abi(p, obj, &d->landlock);
        /* Still check "allow" when "handledAccess" was refused (reported),
         * as if every right were handled: one run shows every mistake. */
        if (!d->landlock.handled) {
                d->landlock.handled = UNOTIFY_LANDLOCK_ALL;
                parse_allow(p, obj, &d->landlock);
                d->landlock.handled = 0;
        } else
                parse_allow(p, obj, &d->landlock);
        ptr_pop(p, mark);
}
