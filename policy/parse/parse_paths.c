/* A rule's "paths": conditions on the path a pointer argument names. */
#include <limits.h>
#include <string.h>

#include "parser.h"

static const char *const path_keys[] = { "index", "dirfd", "exact", "prefix", "glob", "comment" };
static const char *const kinds[] = {
        [PATH_EXACT] = "exact", [PATH_PREFIX] = "prefix", [PATH_GLOB] = "glob"
};

/* Paths are matched after normalization (paths.c), so a pattern that is
 * not normalized could never match as written. */
static void check_pattern(struct parser *p, const char *key, const char *s)
{
        char norm[PATH_MAX];
        size_t n = strlen(s);

        if (s[0] != '/') {
                fail(p, key, "expected an absolute path (starting with \"/\"), got \"%s\"", s);
                return;
        }
        if (n >= sizeof(norm)) {
                fail(p, key, "expected at most %zu bytes, got %zu", sizeof(norm) - 1, n);
                return;
        }
        memcpy(norm, s, n + 1);
        path_normalize(norm);
        if (strcmp(norm, s) != 0)
                fail(p, key,
                     "\"%s\" is not normalized (write \"%s\": paths are matched after \"//\", "
                     "\".\" and \"..\" are resolved and without a trailing \"/\")",
                     s, norm);
}

/* Exactly one of exact, prefix, glob. */
static void parse_pattern(struct parser *p, json_t *v, struct path_cond *ret)
{
        const char *key = NULL;
        json_t *m = NULL;

        for (size_t k = 0; k < ELEMENTSOF(kinds); k++) {
                json_t *e = json_object_get(v, kinds[k]);

                if (!e)
                        continue;
                if (m) {
                        fail(p, kinds[k],
                             "give one of \"exact\", \"prefix\" or \"glob\", not several");
                        return;
                }
                m = e;
                key = kinds[k];
                ret->kind = (enum path_kind)k;
        }
        if (!m) {
                fail(p, NULL, "missing one of \"exact\", \"prefix\" or \"glob\"");
                return;
        }
        ret->pattern = (char *)expect_string(p, key, m, "a path (a string)");
        if (ret->pattern)
                check_pattern(p, key, ret->pattern);
}

static bool parse_path(struct parser *p, json_t *v, struct path_cond *ret)
{
        unsigned errors = p->n_errors, dirfd = 0;
        json_t *m;

        if (!json_is_object(v)) {
                fail(p, NULL, "expected an object (a path condition), got %s", type_name(v));
                return false;
        }
        check_keys(p, v, path_keys, ELEMENTSOF(path_keys));
        *ret = (struct path_cond){ .dirfd = -1 };
        if ((m = member(p, v, "index", true)))
                parse_arg_index(p, "index", m, &ret->index);
        if ((m = json_object_get(v, "dirfd"))) {
                parse_arg_index(p, "dirfd", m, &dirfd);
                ret->dirfd = (int)dirfd;
        }
        if (p->n_errors == errors && ret->dirfd == (int)ret->index)
                fail(p, "dirfd", "\"dirfd\" and \"index\" must name different arguments");
        parse_pattern(p, v, ret);
        parse_comment(p, v);
        return p->n_errors == errors;
}

/* CONTINUE after looking at target memory is no decision at all: another
 * thread of the target can rewrite the path between our check and the
 * kernel's own read (seccomp_unotify(2) on SECCOMP_USER_NOTIF_FLAG_CONTINUE:
 * a time-of-check, time-of-use race, so CONTINUE is never a security
 * decision). */
static void check_toctou(struct parser *p, const struct draft_rule *r)
{
        if (r->rule.decision.action != UNOTIFY_ACTION_CONTINUE)
                return;
        fail(p, "action",
             "a rule with \"paths\" may not allow (%s): the target can change the path in its "
             "memory after the check and before the kernel reads it (TOCTOU); deny it "
             "(SCMP_ACT_ERRNO), kill, return a value or emulate instead",
             unotify_decision_action_name(&r->rule.decision));
}

void parse_paths(struct parser *p, json_t *obj, struct draft_rule *r)
{
        json_t *v = json_object_get(obj, "paths"), *e;
        size_t i;

        if (!v)
                return;
        if (!expect_array(p, "paths", v, "path conditions", "path condition"))
                return;
        if (json_array_size(v) > RULE_MAX_PATHS)
                fail(p, "paths", "expected at most %d path conditions, got %zu", RULE_MAX_PATHS,
                     json_array_size(v));
        json_array_foreach(v, i, e) {
                size_t mark = ptr_push(p, "paths", i);
                struct path_cond c;

                if (parse_path(p, e, &c) && r->rule.n_paths < RULE_MAX_PATHS)
                        r->rule.paths[r->rule.n_paths++] = c;
                ptr_pop(p, mark);
        }
        check_toctou(p, r);
}
