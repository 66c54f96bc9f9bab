/* The policy's "learn" section: the policy records what its listeners'
 * tasks do instead of enforcing a profile (docs/learn.md). Its members
 * bound what one listener's recording keeps. */
#include <string.h>

#include "parser.h"

static const char *const learn_keys[] = { "pathDepth", "maxValues", "maxPaths", "comment" };

/* An optional integer member in 1..max; def when absent. */
static unsigned parse_limit(struct parser *p, json_t *obj, const char *key, unsigned max,
                            unsigned def)
{
        json_t *v = member(p, obj, key, false);

        if (!v)
                return def;
        if (!json_is_integer(v)) {
                fail(p, key, "expected an integer 1..%u, got %s", max, type_name(v));
                return def;
        }
        if (json_integer_value(v) < 1 || json_integer_value(v) > (json_int_t)max) {
                fail(p, key, "expected 1..%u, got %lld", max, (long long)json_integer_value(v));
                return def;
        }
        return (unsigned)json_integer_value(v);
}

void parse_learn(struct parser *p, json_t *root, struct draft *d)
{
        json_t *v = member(p, root, "learn", false);
        size_t mark;

        if (!v)
                return;
        if (!json_is_object(v)) {
                fail(p, "learn", "expected an object ({} for the defaults), got %s", type_name(v));
                return;
        }
        mark = ptr_push_key(p, "learn");
        check_keys(p, v, learn_keys, ELEMENTSOF(learn_keys));
        d->learn.path_depth = parse_limit(p, v, "pathDepth", UNOTIFY_LEARN_MAX_PATH_DEPTH,
                                          UNOTIFY_LEARN_DEFAULT_PATH_DEPTH);
        d->learn.max_values = parse_limit(p, v, "maxValues", UNOTIFY_LEARN_MAX_VALUES,
                                          UNOTIFY_LEARN_DEFAULT_MAX_VALUES);
        d->learn.max_paths = parse_limit(p, v, "maxPaths", UNOTIFY_LEARN_MAX_PATHS,
                                         UNOTIFY_LEARN_DEFAULT_MAX_PATHS);
        parse_comment(p, v);
        ptr_pop(p, mark);
        /* Recording lets every call run: what it records must be what the
         * task would do unsupervised. */
        if (d->default_decision.action &&
            (d->default_decision.action != UNOTIFY_ACTION_CONTINUE || d->default_decision.log))
                fail(p, "learn",
                     "a policy that learns lets every call it records run: its defaultAction must "
                     "be SCMP_ACT_ALLOW");
        if (d->has_landlock)
                fail(p, "learn",
                     "a policy that learns cannot have a \"landlock\" section: what "
                     "it denies would not be recorded");
        d->has_learn = true;
}
