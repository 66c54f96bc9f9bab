/* What the policy language knows of each emulation handler: the syscalls
 * it serves and its "handlerOptions", checked at load with the same
 * diagnostics as the rest of a policy. The daemon implements the handlers
 * (daemon/handlers/); a new handler is one row of `schemas` here and one
 * of the daemon's registration list. */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"

#define REWRITES_MAX 64

struct handler_schema {
        const char *name;
        /* NULL: any syscall (the handler answers with an fd it opened). */
        const char *const *syscalls;
        size_t n_syscalls;
        const char *const *keys; /* of "handlerOptions" */
        size_t n_keys;
        void (*parse)(struct parser *p, json_t *opts, struct unotify_handler_options *ret);
};

static const char *const open_syscalls[] = { "open", "openat", "openat2", "creat" };
static const char *const mknod_syscalls[] = { "mknod", "mknodat" };
static const char *const open_keys[] = { "rewrite", "comment" };
static const char *const mknod_keys[] = { "errno", "comment" };
static const char *const inject_keys[] = { "path", "access", "cloexec", "comment" };
static const char *const sysinfo_syscalls[] = { "sysinfo" };
static const char *const sched_syscalls[] = { "sched_setscheduler", "sched_setparam",
                                              "sched_setattr", "setpriority" };
/* The new API's after these two, in the daemon's order (mount_api.h). */
static const char *const mount_syscalls[] = {
        "mount",   "umount2",    "fsopen",    "fsconfig",
        "fsmount", "move_mount", "open_tree", "mount_setattr"
};
static const char *const xattr_syscalls[] = { "setxattr",    "lsetxattr",    "fsetxattr",
                                              "removexattr", "lremovexattr", "fremovexattr" };
static const char *const xattr_keys[] = { "names", "errno", "comment" };
static const char *const bpf_syscalls[] = { "bpf" };
static const char *const bpf_keys[] = { "maxInstructions", "errno", "comment" };
static const char *const sysinfo_keys[] = { "comment" };
static const char *const sched_keys[] = { "minNice", "maxRtPriority", "policies", "errno",
                                          "comment" };
static const char *const mount_keys[] = { "types",      "targets", "sources", "forceFlags",
                                          "allowFlags", "options", "maxSize", "idmap",
                                          "errno",      "comment" };
static const char *const rewrite_keys[] = { "from", "to", "comment" };

/* An absolute path; normalized when it is matched against the target's. */
static const char *abs_path(struct parser *p, json_t *obj, const char *key, bool normalized)
{
        json_t *v = member(p, obj, key, true);
        const char *s = v ? expect_string(p, key, v, "an absolute path (a string)") : NULL;
        char norm[PATH_MAX];

        if (!s)
                return NULL;
        if (s[0] != '/' || strlen(s) >= PATH_MAX) {
                fail(p, key, "expected an absolute path shorter than %d bytes, got \"%.64s\"",
                     PATH_MAX, s);
                return NULL;
        }
        if (!normalized)
                return s;
        memcpy(norm, s, strlen(s) + 1);
        path_normalize(norm);
        if (strcmp(norm, s) != 0) {
                fail(p, key, "\"%s\" is not normalized (write \"%s\")", s, norm);
                return NULL;
        }
        return s;
}

static void parse_rewrite(struct parser *p, json_t *e, struct unotify_handler_options *ret)
{
        struct unotify_rewrite *rw = (struct unotify_rewrite *)&ret->rewrites[ret->n_rewrites];
        const char *from, *to;

        if (!json_is_object(e)) {
                fail(p, NULL, "expected an object with \"from\" and \"to\", got %s", type_name(e));
                return;
        }
        check_keys(p, e, rewrite_keys, ELEMENTSOF(rewrite_keys));
        parse_comment(p, e);
        from = abs_path(p, e, "from", true);
        to = abs_path(p, e, "to", false);
        if (!from || !to)
                return;
        for (size_t i = 0; i < ret->n_rewrites; i++)
                if (strcmp(ret->rewrites[i].from, from) == 0) {
                        fail(p, "from", "\"%s\" is rewritten already (by rewrite %zu)", from, i);
                        return;
                }
        *rw = (struct unotify_rewrite){ .from = from, .to = to };
        ret->n_rewrites++;
}

static void parse_open(struct parser *p, json_t *opts, struct unotify_handler_options *ret)
{
        json_t *v = json_object_get(opts, "rewrite"), *e;
        size_t i, mark;

        if (!v)
                return;
        if (!json_is_array(v)) {
                fail(p, "rewrite", "expected an array of {\"from\", \"to\"} objects, got %s",
                     type_name(v));
                return;
        }
        if (json_array_size(v) > REWRITES_MAX) {
                fail(p, "rewrite", "expected at most %d rewrites, got %zu", REWRITES_MAX,
                     json_array_size(v));
                return;
        }
        ret->rewrites = calloc(json_array_size(v) ?: 1, sizeof(*ret->rewrites));
        if (!ret->rewrites) {
                p->oom = -ENOMEM;
                return;
        }
        json_array_foreach(v, i, e) {
                mark = ptr_push(p, "rewrite", i);
                parse_rewrite(p, e, ret);
                ptr_pop(p, mark);
        }
}

static void parse_mknod(struct parser *p, json_t *opts, struct unotify_handler_options *ret)
{
        json_t *v = json_object_get(opts, "errno");
        int e;

        if (!v)
                return;
        if (!json_is_string(v)) {
                fail(p, "errno", "expected an errno name such as \"EPERM\", got %s", type_name(v));
                return;
        }
        e = unotify_errno_from_name(json_string_value(v));
        if (e < 0) {
                fail(p, "errno", "unknown errno name \"%s\" (expected a name such as \"EPERM\")",
                     json_string_value(v));
                return;
        }
        ret->refuse_errno = e;
}

static void parse_inject(struct parser *p, json_t *opts, struct unotify_handler_options *ret)
{
        static const char *const modes[] = { "read", "write", "readwrite" };
        static const int flags[] = { O_RDONLY, O_WRONLY, O_RDWR };
        json_t *v;

        ret->inject_path = abs_path(p, opts, "path", false);
        if ((v = json_object_get(opts, "access"))) {
                const char *s =
                        expect_string(p, "access", v, "\"read\", \"write\" or \"readwrite\"");
                bool found = false;

                for (size_t i = 0; s && i < ELEMENTSOF(modes); i++)
                        if (strcmp(s, modes[i]) == 0) {
                                ret->inject_access = flags[i];
                                found = true;
                        }
                if (s && !found)
                        fail(p, "access",
                             "unknown access \"%s\" (expected one of read, write, readwrite)", s);
        }
        if ((v = json_object_get(opts, "cloexec"))) {
                if (json_is_boolean(v))
                        ret->inject_cloexec = json_is_true(v);
                else
                        fail(p, "cloexec", "expected true or false, got %s", type_name(v));
        }
}

static void parse_none(struct parser *p, json_t *opts, struct unotify_handler_options *ret)
{
        (void)p, (void)opts, (void)ret;
}

/* Indexed by enum unotify_handler - 1, like names.c's handler_names. */
static const struct handler_schema schemas[] = {
        { "open", open_syscalls, ELEMENTSOF(open_syscalls), open_keys, ELEMENTSOF(open_keys),
          parse_open },
        { "mknod", mknod_syscalls, ELEMENTSOF(mknod_syscalls), mknod_keys, ELEMENTSOF(mknod_keys),
          parse_mknod },
        { "inject", NULL, 0, inject_keys, ELEMENTSOF(inject_keys), parse_inject },
        { "sysinfo", sysinfo_syscalls, ELEMENTSOF(sysinfo_syscalls), sysinfo_keys,
          ELEMENTSOF(sysinfo_keys), parse_none },
        { "sched", sched_syscalls, ELEMENTSOF(sched_syscalls), sched_keys, ELEMENTSOF(sched_keys),
          parse_sched_options },
        { "mount", mount_syscalls, ELEMENTSOF(mount_syscalls), mount_keys, ELEMENTSOF(mount_keys),
          parse_mount_options },
        { "xattr", xattr_syscalls, ELEMENTSOF(xattr_syscalls), xattr_keys, ELEMENTSOF(xattr_keys),
          parse_xattr_options },
        { "bpf", bpf_syscalls, ELEMENTSOF(bpf_syscalls), bpf_keys, ELEMENTSOF(bpf_keys),
          parse_bpf_options },
};

static void check_served(struct parser *p, const struct handler_schema *s,
                         const struct draft_rule *r)
{
        char served[128];

        if (!s->syscalls)
                return;
        for (size_t i = 0; i < r->n_names; i++) {
                size_t mark;

                if (in_list(r->names[i], s->syscalls, s->n_syscalls))
                        continue;
                mark = ptr_push(p, "names", i);
                fail(p, NULL, "handler \"%s\" does not serve \"%s\" (it serves %s)", s->name,
                     r->names[i], join(s->syscalls, s->n_syscalls, served, sizeof(served)));
                ptr_pop(p, mark);
        }
}

/* A context the daemon hands out must come back to it for every later
 * step: a rule that emulates fsopen without fsconfig and fsmount would let
 * the kernel configure or mount the daemon's context as the task asked. */
static void check_mount_api(struct parser *p, const struct draft_rule *r)
{
        static const char *const needed[] = { "fsconfig", "fsmount" };
        size_t mark;

        if (!in_list("fsopen", r->names, r->n_names))
                return;
        for (size_t i = 0; i < ELEMENTSOF(needed); i++) {
                if (in_list(needed[i], r->names, r->n_names))
                        continue;
                mark = ptr_push_key(p, "names");
                fail(p, NULL,
                     "\"fsopen\" needs \"%s\" in the same rule (the handler's contexts "
                     "are configured and mounted by the daemon only)",
                     needed[i]);
                ptr_pop(p, mark);
        }
}

void parse_handler_options(struct parser *p, json_t *obj, struct draft_rule *r)
{
        json_t *opts = json_object_get(obj, "handlerOptions");
        const struct unotify_decision *d = &r->rule.decision;
        const struct handler_schema *s;
        size_t mark;

        if (d->action != UNOTIFY_ACTION_EMULATE) {
                if (opts && d->action)
                        fail(p, "handlerOptions",
                             "\"handlerOptions\" is only valid with UNOTIFY_ACT_EMULATE, not %s",
                             unotify_decision_action_name(d));
                return;
        }
        if (d->handler == UNOTIFY_HANDLER_NONE || (size_t)d->handler > ELEMENTSOF(schemas))
                return; /* reported with "handler" */
        s = &schemas[d->handler - 1];
        check_served(p, s, r);
        if (d->handler == UNOTIFY_HANDLER_MOUNT)
                check_mount_api(p, r);
        r->rule.options = calloc(1, sizeof(*r->rule.options));
        if (!r->rule.options) {
                p->oom = -ENOMEM;
                return;
        }
        handler_options_defaults(d->handler, r->rule.options);
        if (d->handler == UNOTIFY_HANDLER_INJECT && !opts) {
                fail(p, NULL,
                     "missing required key \"handlerOptions\" (handler \"inject\" needs "
                     "a \"path\")");
                return;
        }
        if (d->handler == UNOTIFY_HANDLER_MOUNT && !opts) {
                fail(p, NULL,
                     "missing required key \"handlerOptions\" (handler \"mount\" needs "
                     "\"types\" and \"targets\")");
                return;
        }
        if (!opts)
                return;
        if (!json_is_object(opts)) {
                fail(p, "handlerOptions",
                     "expected an object (the options of handler \"%s\"), got %s", s->name,
                     type_name(opts));
                return;
        }
        mark = ptr_push_key(p, "handlerOptions");
        check_keys(p, opts, s->keys, s->n_keys);
        parse_comment(p, opts);
        s->parse(p, opts, r->rule.options);
        ptr_pop(p, mark);
}

static char *dup_or_null(const char *s, bool *oom)
{
        char *c;

        if (!s)
                return NULL;
        c = strdup(s);
        if (!c)
                *oom = true;
        return c;
}

/* A copy of n borrowed strings (NULL when n is 0 and nothing failed). */
static const char *const *dup_list(const char *const *from, size_t n, size_t *ret_n, bool *oom)
{
        const char **l;

        *ret_n = 0;
        if (!n)
                return NULL;
        l = calloc(n, sizeof(*l));
        if (!l) {
                *oom = true;
                return NULL;
        }
        for (size_t i = 0; i < n; i++, (*ret_n)++)
                l[i] = dup_or_null(from[i], oom);
        return l;
}

static void free_list(const char *const *l, size_t n, bool owned)
{
        for (size_t i = 0; owned && i < n; i++)
                free((char *)l[i]);
        free((void *)l);
}

int handler_options_copy(const struct unotify_handler_options *from,
                         struct unotify_handler_options **ret)
{
        struct unotify_handler_options *o = calloc(1, sizeof(*o));
        struct unotify_rewrite *rw;
        bool oom = false;

        if (!o)
                return -ENOMEM;
        *o = *from;
        o->rewrites = NULL;
        o->n_rewrites = 0;
        o->inject_path = dup_or_null(from->inject_path, &oom);
        o->mount_targets =
                dup_list(from->mount_targets, from->n_mount_targets, &o->n_mount_targets, &oom);
        o->mount_sources =
                dup_list(from->mount_sources, from->n_mount_sources, &o->n_mount_sources, &oom);
        o->xattr_names = dup_list(from->xattr_names, from->n_xattr_names, &o->n_xattr_names, &oom);
        rw = calloc(from->n_rewrites ?: 1, sizeof(*rw));
        o->rewrites = rw;
        for (size_t i = 0; rw && i < from->n_rewrites; i++, o->n_rewrites++) {
                rw[i].from = dup_or_null(from->rewrites[i].from, &oom);
                rw[i].to = dup_or_null(from->rewrites[i].to, &oom);
        }
        if (!rw || oom) {
                handler_options_free(o, true);
                return -ENOMEM;
        }
        *ret = o;
        return 0;
}

void handler_options_free(struct unotify_handler_options *o, bool owned)
{
        if (!o)
                return;
        if (owned) {
                for (size_t i = 0; i < o->n_rewrites; i++) {
                        free((char *)o->rewrites[i].from);
                        free((char *)o->rewrites[i].to);
                }
                free((char *)o->inject_path);
        }
        free_list(o->mount_targets, o->n_mount_targets, owned);
        free_list(o->mount_sources, o->n_mount_sources, owned);
        free_list(o->xattr_names, o->n_xattr_names, owned);
        free((struct unotify_rewrite *)o->rewrites);
        free(o);
}

const char *const *unotify_handler_syscalls(enum unotify_handler h, size_t *ret_count)
{
        *ret_count = 0;
        if (h <= UNOTIFY_HANDLER_NONE || (size_t)h > ELEMENTSOF(schemas))
                return NULL;
        *ret_count = schemas[h - 1].n_syscalls;
        return schemas[h - 1].syscalls;
}
