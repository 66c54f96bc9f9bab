/* The "handlerOptions" of the handlers that do for a user-namespaced
 * (unprivileged) container what it may not: "sched" and "mount" ("sysinfo"
 * has none). Everything is checked at load: an unknown type, flag or
 * option is a load error with its JSON pointer, not a runtime surprise. */
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "parser.h"
#include "unotify/size.h"

#define PREFIXES_MAX 64

static const struct {
        const char *name;
        int policy;
} sched_policy_names[] = {
        { "SCHED_OTHER", SCHED_OTHER }, { "SCHED_BATCH", SCHED_BATCH },
        { "SCHED_IDLE", SCHED_IDLE },   { "SCHED_FIFO", SCHED_FIFO },
        { "SCHED_RR", SCHED_RR },
};

/* Indexed by enum unotify_mount_type. */
static const char *const mount_type_names[] = { "tmpfs",  "bind",   "proc",    "sysfs",
                                                "mqueue", "devpts", "overlay", "fuse" };
/* Known but not made by the daemon (yet): named in the error so an
 * admin knows it is not a typo. */
static const char *const mount_types_unsupported[] = { "fuseblk" };
/* Indexed by enum unotify_mount_option, with the types each applies to. */
static const char *const mount_option_names[] = { "size",     "mode",        "nr_inodes", "hidepid",
                                                  "subset",   "newinstance", "ptmxmode",  "gid",
                                                  "lowerdir", "upperdir",    "workdir" };
#define T(x) (1u << UNOTIFY_MOUNT_##x)
static const uint32_t mount_option_types[] = {
        T(TMPFS),  T(TMPFS) | T(DEVPTS), T(TMPFS),   T(PROC),   T(PROC), T(DEVPTS), T(DEVPTS),
        T(DEVPTS), T(OVERLAY),           T(OVERLAY), T(OVERLAY)
};
#undef T

static const struct {
        const char *name;
        uint64_t attr;
} mount_flag_names[] = {
        { "nosuid", MOUNT_ATTR_NOSUID },           { "nodev", MOUNT_ATTR_NODEV },
        { "noexec", MOUNT_ATTR_NOEXEC },           { "ro", MOUNT_ATTR_RDONLY },
        { "noatime", MOUNT_ATTR_NOATIME },         { "nodiratime", MOUNT_ATTR_NODIRATIME },
        { "nosymfollow", MOUNT_ATTR_NOSYMFOLLOW },
};

static void parse_errno_option(struct parser *p, json_t *opts, struct unotify_handler_options *ret)
{
        json_t *v = json_object_get(opts, "errno");
        const char *s;
        int e;

        if (!v)
                return;
        s = expect_string(p, "errno", v, "an errno name such as \"EPERM\"");
        if (!s)
                return;
        e = unotify_errno_from_name(s);
        if (e < 0)
                fail(p, "errno", "unknown errno name \"%s\" (expected a name such as \"EPERM\")",
                     s);
        else
                ret->refuse_errno = e;
}

static bool int_in(struct parser *p, json_t *opts, const char *key, int lo, int hi, int *ret)
{
        json_t *v = json_object_get(opts, key);

        if (!v)
                return false;
        if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
                fail(p, key, "expected an integer from %d to %d, got %s", lo, hi,
                     json_is_integer(v) ? "one out of range" : type_name(v));
                return false;
        }
        *ret = (int)json_integer_value(v);
        return true;
}

/* An array of names from names[] (n of them), as a bit mask of the
 * indices; each index i maps to bit values[i] when values is given. */
static bool name_set(struct parser *p, json_t *opts, const char *key, const char *const *names,
                     size_t n, const char *what, bool allow_empty, uint64_t *ret)
{
        json_t *v = json_object_get(opts, key), *e;
        char expected[256];
        size_t i, mark;

        if (!v)
                return false;
        /* Empty is fine for flags and options ("none"), not for a type. */
        if (!json_is_array(v) || (!allow_empty && !expect_array(p, key, v, what, "name"))) {
                if (!json_is_array(v))
                        fail(p, key, "expected an array of %s names, got %s", what, type_name(v));
                return false;
        }
        *ret = 0;
        json_array_foreach(v, i, e) {
                const char *s = json_is_string(e) ? json_string_value(e) : NULL;
                size_t k;

                for (k = 0; s && k < n && strcmp(names[k], s) != 0; k++)
                        ;
                if (s && k < n) {
                        *ret |= (uint64_t)1 << k;
                        continue;
                }
                mark = ptr_push(p, key, i);
                if (!s)
                        fail(p, NULL, "expected a string, got %s", type_name(e));
                else if (in_list(s, mount_types_unsupported, ELEMENTSOF(mount_types_unsupported)) &&
                         names == mount_type_names)
                        fail(p, NULL,
                             "filesystem type \"%s\" is not supported yet (expected one of %s)", s,
                             join(names, n, expected, sizeof(expected)));
                else
                        fail(p, NULL, "unknown %s \"%s\" (expected one of %s)", what, s,
                             join(names, n, expected, sizeof(expected)));
                ptr_pop(p, mark);
        }
        return true;
}

void handler_options_defaults(enum unotify_handler h, struct unotify_handler_options *ret)
{
        ret->refuse_errno = EPERM;
        if (h == UNOTIFY_HANDLER_SCHED)
                ret->sched_policies = 1u << SCHED_OTHER | 1u << SCHED_BATCH | 1u << SCHED_IDLE;
        if (h == UNOTIFY_HANDLER_MOUNT)
                ret->mount_force_attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
        /* "xattr" without "names": trusted.overlay. (the daemon's default). */
        if (h == UNOTIFY_HANDLER_BPF)
                ret->bpf_max_insns = 4096;
}

void parse_sched_options(struct parser *p, json_t *opts, struct unotify_handler_options *ret)
{
        const char *names[ELEMENTSOF(sched_policy_names)];
        uint64_t set;

        parse_errno_option(p, opts, ret);
        int_in(p, opts, "minNice", -20, 19, &ret->sched_min_nice);
        int_in(p, opts, "maxRtPriority", 0, 99, &ret->sched_max_rt_priority);
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                names[i] = sched_policy_names[i].name;
        if (name_set(p, opts, "policies", names, ELEMENTSOF(names), "scheduling policy", false,
                     &set)) {
                ret->sched_policies = 0;
                for (size_t i = 0; i < ELEMENTSOF(names); i++)
                        if (set & (uint64_t)1 << i)
                                ret->sched_policies |= 1u << sched_policy_names[i].policy;
        }
}

static void parse_max_size(struct parser *p, json_t *opts, struct unotify_handler_options *ret)
{
        json_t *v = json_object_get(opts, "maxSize");

        if (!v)
                return;
        if (json_is_integer(v) && json_integer_value(v) > 0)
                ret->mount_max_size = (uint64_t)json_integer_value(v);
        else if (!json_is_string(v) ||
                 !unotify_parse_size(json_string_value(v), &ret->mount_max_size) ||
                 ret->mount_max_size == 0)
                fail(p, "maxSize",
                     "expected a size in bytes (a positive integer, or a string such as \"64m\"), "
                     "got %s",
                     json_is_string(v) ? "a malformed string" : type_name(v));
}

/* An array of absolute, normalized path prefixes (borrowed strings). */
static void parse_prefixes(struct parser *p, json_t *opts, const char *key, const char *const **ret,
                           size_t *ret_n)
{
        json_t *v = json_object_get(opts, key), *e;
        const char **list;
        size_t i, mark;

        if (!v || !expect_array(p, key, v, "absolute path prefixes", "a path"))
                return;
        if (json_array_size(v) > PREFIXES_MAX) {
                fail(p, key, "expected at most %d prefixes, got %zu", PREFIXES_MAX,
                     json_array_size(v));
                return;
        }
        list = calloc(json_array_size(v) ?: 1, sizeof(*list));
        if (!list) {
                p->oom = -ENOMEM;
                return;
        }
        *ret = list;
        json_array_foreach(v, i, e) {
                mark = ptr_push(p, key, i);
                const char *s = expect_string(p, NULL, e, "an absolute path (a string)");
                char norm[PATH_MAX];

                if (s && (s[0] != '/' || strlen(s) >= PATH_MAX))
                        fail(p, NULL,
                             "expected an absolute path shorter than %d bytes, got \"%.64s\"",
                             PATH_MAX, s);
                else if (s) {
                        memcpy(norm, s, strlen(s) + 1);
                        path_normalize(norm);
                        if (strcmp(norm, s) != 0)
                                fail(p, NULL, "\"%s\" is not normalized (write \"%s\")", s, norm);
                        else
                                list[(*ret_n)++] = s;
                }
                ptr_pop(p, mark);
        }
}

static void parse_mount_flags(struct parser *p, json_t *opts, const char *key, uint64_t *ret)
{
        const char *names[ELEMENTSOF(mount_flag_names)];
        uint64_t set;

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                names[i] = mount_flag_names[i].name;
        if (!name_set(p, opts, key, names, ELEMENTSOF(names), "mount flag", true, &set))
                return;
        *ret = 0;
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (set & (uint64_t)1 << i)
                        *ret |= mount_flag_names[i].attr;
}

/* An option that applies to none of the rule's types is a mistake. */
static void check_option_types(struct parser *p, json_t *opts, uint32_t types)
{
        json_t *e;
        size_t i, mark;

        json_array_foreach(json_object_get(opts, "options"), i, e) {
                for (size_t k = 0; json_is_string(e) && k < ELEMENTSOF(mount_option_names); k++) {
                        if (strcmp(mount_option_names[k], json_string_value(e)) ||
                            (mount_option_types[k] & types))
                                continue;
                        mark = ptr_push(p, "options", i);
                        fail(p, NULL, "option \"%s\" applies to %s, which \"types\" does not list",
                             mount_option_names[k],
                             mount_option_types[k] == 1u << UNOTIFY_MOUNT_PROC     ? "proc"
                             : mount_option_types[k] == 1u << UNOTIFY_MOUNT_DEVPTS ? "devpts"
                             : mount_option_types[k] == 1u << UNOTIFY_MOUNT_TMPFS  ? "tmpfs"
                             : mount_option_types[k] == 1u << UNOTIFY_MOUNT_OVERLAY
                                     ? "overlay"
                                     : "tmpfs and devpts");
                        ptr_pop(p, mark);
                }
        }
}

void parse_mount_options(struct parser *p, json_t *opts, struct unotify_handler_options *ret)
{
        uint64_t set;
        json_t *v;

        parse_errno_option(p, opts, ret);
        if (!member(p, opts, "types", true) || !member(p, opts, "targets", true))
                return;
        if (name_set(p, opts, "types", mount_type_names, ELEMENTSOF(mount_type_names),
                     "filesystem type", false, &set))
                ret->mount_types = (uint32_t)set;
        parse_prefixes(p, opts, "targets", &ret->mount_targets, &ret->n_mount_targets);
        parse_prefixes(p, opts, "sources", &ret->mount_sources, &ret->n_mount_sources);
        parse_mount_flags(p, opts, "forceFlags", &ret->mount_force_attrs);
        parse_mount_flags(p, opts, "allowFlags", &ret->mount_allow_attrs);
        if (name_set(p, opts, "options", mount_option_names, ELEMENTSOF(mount_option_names),
                     "filesystem option", true, &set)) {
                ret->mount_options = (uint32_t)set;
                if (ret->mount_types)
                        check_option_types(p, opts, ret->mount_types);
        }
        parse_max_size(p, opts, ret);
        if ((v = json_object_get(opts, "idmap"))) {
                if (json_is_boolean(v))
                        ret->mount_idmap = json_is_true(v);
                else
                        fail(p, "idmap", "expected true or false, got %s", type_name(v));
        }
        if ((ret->mount_types & 1u << UNOTIFY_MOUNT_BIND) && !json_object_get(opts, "sources"))
                fail(p, NULL,
                     "missing required key \"sources\" (type \"bind\" needs the "
                     "prefixes its sources must be under)");
        else if ((ret->mount_types & 1u << UNOTIFY_MOUNT_OVERLAY) &&
                 !json_object_get(opts, "sources"))
                fail(p, NULL,
                     "missing required key \"sources\" (type \"overlay\" needs the "
                     "prefixes its layers must be under)");
        if (ret->mount_idmap && !(ret->mount_types & 1u << UNOTIFY_MOUNT_BIND))
                fail(p, "idmap", "\"idmap\" applies to bind mounts: add \"bind\" to \"types\"");
}

/* Names in the trusted. or user. namespace: security. and system. ones
 * would be set with the daemon's privilege (a security.capability of the
 * host's user namespace on a file the container owns: a set-capability
 * binary for the host). */
static const char *const xattr_namespaces[] = { "trusted.", "user." };

void parse_xattr_options(struct parser *p, json_t *opts, struct unotify_handler_options *ret)
{
        json_t *v = json_object_get(opts, "names"), *e;
        const char **list;
        size_t i, mark;

        parse_errno_option(p, opts, ret);
        if (!v)
                return;
        if (!expect_array(p, "names", v, "attribute names or prefixes", "name"))
                return;
        if (json_array_size(v) > PREFIXES_MAX) {
                fail(p, "names", "expected at most %d names, got %zu", PREFIXES_MAX,
                     json_array_size(v));
                return;
        }
        list = calloc(json_array_size(v), sizeof(*list));
        if (!list) {
                p->oom = -ENOMEM;
                return;
        }
        ret->xattr_names = list;
        json_array_foreach(v, i, e) {
                const char *s = expect_string(p, NULL, e, "an attribute name (a string)");
                bool known = false;

                mark = ptr_push(p, "names", i);
                for (size_t k = 0; s && k < ELEMENTSOF(xattr_namespaces); k++)
                        known |= !strncmp(s, xattr_namespaces[k], strlen(xattr_namespaces[k])) &&
                                 strlen(s) > strlen(xattr_namespaces[k]);
                if (s && (!known || strlen(s) > 255))
                        fail(p, NULL,
                             "\"%.64s\" is not an attribute name of the trusted. or user. "
                             "namespace (at most 255 bytes)",
                             s);
                else if (s)
                        list[ret->n_xattr_names++] = s;
                ptr_pop(p, mark);
        }
}

void parse_bpf_options(struct parser *p, json_t *opts, struct unotify_handler_options *ret)
{
        int n;

        parse_errno_option(p, opts, ret);
        if (int_in(p, opts, "maxInstructions", 1, 1000000, &n))
                ret->bpf_max_insns = (unsigned)n;
}

const char *mount_type_name(unsigned type)
{
        return type < ELEMENTSOF(mount_type_names) ? mount_type_names[type] : NULL;
}

const char *mount_option_name(unsigned option)
{
        return option < ELEMENTSOF(mount_option_names) ? mount_option_names[option] : NULL;
}

const char *mount_flag_name(uint64_t attr)
{
        for (size_t i = 0; i < ELEMENTSOF(mount_flag_names); i++)
                if (mount_flag_names[i].attr == attr)
                        return mount_flag_names[i].name;
        return NULL;
}

const char *sched_policy_name(int policy)
{
        for (size_t i = 0; i < ELEMENTSOF(sched_policy_names); i++)
                if (sched_policy_names[i].policy == policy)
                        return sched_policy_names[i].name;
        return NULL;
}
