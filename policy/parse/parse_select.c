/* The top level's composition keys: "include", "select", "default". */
#include <string.h>

#include "parser.h"

static const char *const select_keys[] = { "metadata", "annotations", "containerId", "comment" };

void parse_include(struct parser *p, json_t *root, struct draft *d)
{
        json_t *v = json_object_get(root, "include"), *e;
        size_t i;

        if (!v || !expect_array(p, "include", v, "policy names", "policy name"))
                return;
        if (json_array_size(v) > INCLUDE_MAX) {
                fail(p, "include", "expected at most %d policy names, got %zu", INCLUDE_MAX,
                     json_array_size(v));
                return;
        }
        d->includes = calloc(json_array_size(v), sizeof(*d->includes));
        if (!d->includes) {
                p->oom = -ENOMEM;
                return;
        }
        json_array_foreach(v, i, e) {
                size_t mark = ptr_push(p, "include", i);
                const char *name = expect_string(p, NULL, e, "a policy name (a string)");

                if (name && in_list(name, d->includes, d->n_includes))
                        fail(p, NULL, "policy \"%s\" is already included", name);
                else if (name)
                        d->includes[d->n_includes++] = name;
                ptr_pop(p, mark);
        }
}

/* Keys and values travel as "KEY=VALUE" lines (listenerMetadata). */
static bool check_pair(struct parser *p, const char *key, const char *k, json_t *v, bool meta)
{
        if (!json_is_string(v)) {
                fail(p, key, "expected a string for \"%s\", got %s", k, type_name(v));
                return false;
        }
        if (k[0] == '\0' || strpbrk(k, meta ? "=\n" : "\n")) {
                fail(p, key, "invalid key \"%s\" (expected a non-empty key without%s newlines)", k,
                     meta ? " \"=\" or" : "");
                return false;
        }
        if (strchr(json_string_value(v), '\n')) {
                fail(p, key, "the value of \"%s\" contains a newline", k);
                return false;
        }
        /* The name picks a policy before any selection does (policy.h). */
        if (meta && strcmp(k, UNOTIFY_SELECT_POLICY_KEY) == 0) {
                fail(p, key,
                     "\"%s\" cannot be selected on: a listener whose metadata names a policy gets "
                     "that policy by name",
                     k);
                return false;
        }
        return true;
}

/* A "KEY": "VALUE" object into flattened pairs. */
static void parse_pairs(struct parser *p, json_t *sel, const char *key, bool meta,
                        const char ***ret, size_t *ret_count)
{
        json_t *v = json_object_get(sel, key), *m;
        const char *k;

        if (!v)
                return;
        if (!json_is_object(v)) {
                fail(p, key, "expected an object of \"KEY\": \"%s\" pairs, got %s",
                     meta ? "VALUE" : "GLOB", type_name(v));
                return;
        }
        if (json_object_size(v) == 0) {
                fail(p, key, "expected at least one \"KEY\": \"%s\" pair, got an empty object",
                     meta ? "VALUE" : "GLOB");
                return;
        }
        *ret = calloc(2 * json_object_size(v), sizeof(**ret));
        if (!*ret) {
                p->oom = -ENOMEM;
                return;
        }
        json_object_foreach(v, k, m) {
                if (!check_pair(p, key, k, m, meta))
                        continue;
                (*ret)[2 * *ret_count] = k;
                (*ret)[2 * *ret_count + 1] = json_string_value(m);
                (*ret_count)++;
        }
}

static void parse_container(struct parser *p, json_t *sel, struct draft_select *ret)
{
        json_t *v = json_object_get(sel, "containerId");

        if (!v)
                return;
        ret->container = expect_string(p, "containerId", v, "a glob (a string)");
        if (ret->container && ret->container[0] == '\0') {
                fail(p, "containerId", "expected a glob such as \"ci-*\", got \"\"");
                ret->container = NULL;
        }
}

void parse_select(struct parser *p, json_t *root, struct draft *d)
{
        json_t *v = json_object_get(root, "select");
        size_t mark;

        if (!v)
                return;
        if (!json_is_object(v)) {
                fail(p, "select",
                     "expected an object with metadata, annotations or containerId, "
                     "got %s",
                     type_name(v));
                return;
        }
        mark = ptr_push_key(p, "select");
        check_keys(p, v, select_keys, ELEMENTSOF(select_keys));
        if (!json_object_get(v, "metadata") && !json_object_get(v, "annotations") &&
            !json_object_get(v, "containerId"))
                fail(p, NULL, "expected at least one of metadata, annotations, containerId");
        parse_pairs(p, v, "metadata", true, &d->select.meta, &d->select.n_meta);
        parse_pairs(p, v, "annotations", false, &d->select.annotations, &d->select.n_annotations);
        parse_container(p, v, &d->select);
        parse_comment(p, v);
        ptr_pop(p, mark);
        d->has_select = true;
}

void parse_default(struct parser *p, json_t *root, struct draft *d)
{
        json_t *v = json_object_get(root, "default");

        if (!v)
                return;
        if (!json_is_boolean(v)) {
                fail(p, "default", "expected true or false, got %s", type_name(v));
                return;
        }
        d->is_default = json_is_true(v);
}
