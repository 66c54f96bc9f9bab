#include "learn_profile.h"

#include <errno.h>
#include <inttypes.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "ctl_msg.h"
#include "unotify/macro.h"
#include "unotify/policy.h"

/* x86 tasks may pass these through socketcall(2) with their arguments in
 * memory, where a filter cannot compare them: no per-value rules. */
static const char *const multiplexed[] = { "socket",   "bind",       "connect",     "listen",
                                           "accept",   "accept4",    "getsockopt",  "setsockopt",
                                           "sendto",   "recvfrom",   "sendmsg",     "recvmsg",
                                           "shutdown", "socketpair", "getsockname", "getpeername" };
static const char *const open_family[] = { "open", "openat", "openat2", "creat" };

static bool in(const char *s, const char *const *list, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(s, list[i]) == 0)
                        return true;
        return false;
}

bool learn_is_recording(const json_t *v)
{
        return json_is_object(v) && json_integer_value(json_object_get(v, "unotifyRecording")) == 1;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(json_string_value(*(json_t *const *)a),
                      json_string_value(*(json_t *const *)b));
}

/* Sorted, unique strings: arr changed in place; what is not a string (a
 * hand-edited recording) is dropped. */
static void sort_unique(json_t *arr)
{
        size_t n = 0, u = 0;
        json_t **items = calloc(json_array_size(arr) ?: 1, sizeof(*items));

        if (!items)
                return;
        for (size_t i = 0; i < json_array_size(arr); i++)
                if (json_is_string(json_array_get(arr, i)))
                        items[n++] = json_incref(json_array_get(arr, i));
        qsort(items, n, sizeof(*items), cmp_str);
        json_array_clear(arr);
        for (size_t i = 0; i < n; i++) {
                if (u && strcmp(json_string_value(items[i]),
                                json_string_value(json_array_get(arr, u - 1))) == 0) {
                        json_decref(items[i]);
                        continue;
                }
                json_array_append_new(arr, items[i]);
                u++;
        }
        free(items);
}

/* Every name the recording has on any ABI, and what was let run unrecorded. */
static json_t *all_names(const json_t *rec)
{
        json_t *names = json_array(), *list, *v;
        const char *arch;
        size_t i;

        json_object_foreach((json_t *)json_object_get(rec, "syscalls"), arch, list)
                json_array_foreach(list, i, v)
                        json_array_append(names, v);
        json_array_foreach(json_object_get(rec, "unrecorded"), i, v)
                json_array_append(names, v);
        sort_unique(names);
        return names;
}

/* The recorded argument entries of name. */
static void args_of(const json_t *rec, const char *name, const json_t **ret, size_t max, size_t *n)
{
        json_t *a;
        size_t i;

        *n = 0;
        json_array_foreach(json_object_get(rec, "args"), i, a)
                if (*n < max &&
                    strcmp(json_string_value(json_object_get(a, "name")) ?: "", name) == 0)
                        ret[(*n)++] = a;
}

static json_t *arg_cond(int index, uint64_t value, uint64_t two, const char *op)
{
        return json_pack("{s:i, s:I, s:I, s:s}", "index", index, "value", (json_int_t)value,
                         "valueTwo", (json_int_t)two, "op", op);
}

static json_t *allow_with(const char *name, json_t *cond)
{
        return json_pack("{s:[s], s:s, s:[o]}", "names", name, "action", "SCMP_ACT_ALLOW", "args",
                         cond);
}

/* Rules for name from one recorded argument, appended to rules; false
 * when the argument does not narrow it (plain allow then). Values are
 * compared on their low 32 bits: the flag and enum arguments recorded
 * are C ints and unsigned ints, whose upper register half the kernel
 * ignores, and 32-bit ABIs have no more. */
static bool arg_rules(json_t *rules, const char *name, const json_t *a,
                      const struct learn_export_opts *o)
{
        int index = (int)json_integer_value(json_object_get(a, "index"));
        json_t *values = json_object_get(a, "values"), *v;
        uint64_t bits = (uint64_t)json_integer_value(json_object_get(a, "bits"));
        uint64_t mask;
        size_t i;

        if (json_is_true(json_object_get(a, "flags"))) {
                /* Only the bits seen: (arg & ~seen) == 0. clone's low byte
                 * is the exit signal, not a flag. */
                mask = ~bits & 0xffffffffu;
                if (strcmp(name, "clone") == 0)
                        mask &= ~(uint64_t)0xff;
                if (mask == 0)
                        return false;
                json_array_append_new(
                        rules, allow_with(name, arg_cond(index, mask, 0, "SCMP_CMP_MASKED_EQ")));
                return true;
        }
        if (json_is_true(json_object_get(a, "capped")) || json_array_size(values) == 0 ||
            json_array_size(values) > o->max_args)
                return false;
        json_array_foreach(values, i, v)
                json_array_append_new(
                        rules,
                        allow_with(name, arg_cond(index, 0xffffffffu,
                                                  (uint64_t)json_integer_value(v) & 0xffffffffu,
                                                  "SCMP_CMP_MASKED_EQ")));
        return true;
}

static json_t *recorded_paths(const json_t *rec, const char *name)
{
        json_t *g;
        size_t i;

        json_array_foreach(json_object_get(rec, "paths"), i, g)
                if (strcmp(json_string_value(json_object_get(g, "name")) ?: "", name) == 0)
                        return g;
        return NULL;
}

/* The first depth components of path (malloc'ed). */
static char *fold(const char *path, unsigned depth)
{
        unsigned seen = 0;
        size_t n = 1;

        for (; path[n]; n++)
                if (path[n] == '/' && ++seen >= depth)
                        break;
        return strndup(path, n);
}

static json_t *emulate_rule(const char *name, const json_t *g, const char *kind, const char *path)
{
        return json_pack("{s:[s], s:s, s:s, s:[{s:I, s:I, s:s}]}", "names", name, "action",
                         "UNOTIFY_ACT_EMULATE", "handler", "open", "paths", "index",
                         json_integer_value(json_object_get(g, "index")), "dirfd",
                         json_integer_value(json_object_get(g, "dirfd")), kind, path);
}

/* An open of name is emulated (the daemon opens the file itself, on the
 * path it read) within what was seen, and refused elsewhere: a path rule
 * must never end in CONTINUE (the target could change the path after
 * the check). Returns false when nothing was recorded for name. */
static bool path_rules(json_t *rules, const json_t *rec, const char *name,
                       const struct learn_export_opts *o)
{
        const json_t *g = recorded_paths(rec, name);
        json_t *exact = json_object_get(g, "exact"), *prefix = json_object_get(g, "prefix"), *v;
        unsigned depth = (unsigned)json_integer_value(
                json_object_get(json_object_get(rec, "limits"), "pathDepth"));
        json_t *folded;
        size_t i;

        if (!g)
                return false;
        if (json_array_size(prefix) == 0 && json_array_size(exact) <= o->explicit_paths) {
                json_array_foreach(exact, i, v)
                        json_array_append_new(rules,
                                              emulate_rule(name, g, "exact", json_string_value(v)));
        } else {
                folded = json_array();
                json_array_foreach(exact, i, v) {
                        char *f = json_is_string(v) ? fold(json_string_value(v), depth ?: 3) : NULL;

                        if (f)
                                json_array_append_new(folded, json_string(f));
                        free(f);
                }
                json_array_foreach(prefix, i, v)
                        json_array_append(folded, v);
                sort_unique(folded);
                json_array_foreach(folded, i, v)
                        json_array_append_new(
                                rules, emulate_rule(name, g, "prefix", json_string_value(v)));
                json_decref(folded);
        }
        json_array_append_new(rules, json_pack("{s:[s], s:s, s:i}", "names", name, "action",
                                               "SCMP_ACT_ERRNO", "errnoRet", EACCES));
        return true;
}

static json_t *architectures(void)
{
        uint32_t native = seccomp_arch_native();

        if (native == SCMP_ARCH_X86_64)
                return json_pack("[s, s, s]", "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32");
        if (native == SCMP_ARCH_AARCH64)
                return json_pack("[s, s]", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM");
        return json_array();
}

/* --audit: the daemon answers what the profile denies ("notify": true),
 * so its counters and log show every denial: names with argument rules
 * end in a notified deny, and every other name of this ABI gets one. */
static json_t *audit_rule(json_t *names, int errno_ret)
{
        return json_pack("{s:o, s:s, s:i, s:b}", "names", names, "action", "SCMP_ACT_ERRNO",
                         "errnoRet", errno_ret, "notify", 1);
}

static void add_audit_rest(json_t *rules, const json_t *used, int errno_ret)
{
        uint32_t native = seccomp_arch_native();
        json_t *rest = json_array(), *v;
        size_t i;

        for (int nr = 0; rest && nr < 1024; nr++) {
                char *name = seccomp_syscall_resolve_num_arch(native, nr);
                bool seen = false;

                json_array_foreach(used, i, v)
                        seen = seen || (name && strcmp(json_string_value(v) ?: "", name) == 0);
                if (name && !seen)
                        json_array_append_new(rest, json_string(name));
                free(name);
        }
        sort_unique(rest);
        if (json_array_size(rest))
                json_array_append_new(rules, audit_rule(rest, errno_ret));
        else
                json_decref(rest);
}

json_t *learn_profile(const json_t *rec, const struct learn_export_opts *o)
{
        json_t *names = all_names(rec), *plain = json_array(), *rules = json_array(), *v;
        json_t *profile;
        char comment[512];
        size_t i;

        if (!names || !plain || !rules)
                return json_decref(names), json_decref(plain), json_decref(rules), NULL;
        json_array_foreach(names, i, v) {
                const char *name = json_string_value(v);
                const json_t *a[4];
                size_t n;
                bool narrowed = false;

                if (o->paths && in(name, open_family, ELEMENTSOF(open_family)) &&
                    path_rules(rules, rec, name, o))
                        continue;
                args_of(rec, name, a, ELEMENTSOF(a), &n);
                /* One argument narrows a name: rules on several would allow
                 * only their combinations, which were not recorded. */
                if (n > 0 && !in(name, multiplexed, ELEMENTSOF(multiplexed)))
                        narrowed = arg_rules(rules, name, a[0], o);
                if (narrowed && o->audit)
                        json_array_append_new(rules,
                                              audit_rule(json_pack("[s]", name), o->errno_ret));
                if (!narrowed)
                        json_array_append(plain, v);
        }
        snprintf(comment, sizeof(comment),
                 "learned by unotifyctl learn: recording \"%s\" (policy %s), %" JSON_INTEGER_FORMAT
                 " listeners, %" JSON_INTEGER_FORMAT " notifications",
                 json_string_value(json_object_get(rec, "name")) ?: "?",
                 json_string_value(json_object_get(rec, "policy")) ?: "?",
                 json_integer_value(json_object_get(rec, "listeners")),
                 json_integer_value(json_object_get(rec, "notifications")));
        if (o->audit)
                add_audit_rest(rules, names, o->errno_ret);
        if (json_array_size(plain) > 0)
                json_array_insert_new(
                        rules, 0,
                        json_pack("{s:O, s:s}", "names", plain, "action", "SCMP_ACT_ALLOW"));
        profile = json_pack("{s:s, s:s, s:i, s:o, s:o}", "comment", comment, "defaultAction",
                            "SCMP_ACT_ERRNO", "defaultErrnoRet", o->errno_ret, "architectures",
                            architectures(), "syscalls", rules);
        json_decref(names);
        json_decref(plain);
        return profile;
}

/* ---- merge ------------------------------------------------------------ */

static json_t *find_by(json_t *arr, const char *name, json_int_t index, bool use_index)
{
        json_t *e;
        size_t i;

        json_array_foreach(arr, i, e)
                if (strcmp(json_string_value(json_object_get(e, "name")) ?: "", name) == 0 &&
                    (!use_index || json_integer_value(json_object_get(e, "index")) == index))
                        return e;
        return NULL;
}

static int cmp_int(const void *a, const void *b)
{
        uint64_t x = (uint64_t)json_integer_value(*(json_t *const *)a);
        uint64_t y = (uint64_t)json_integer_value(*(json_t *const *)b);

        return x < y ? -1 : x > y;
}

/* Sort arr and drop repeats: strings, or integers as u64. */
static void sort_unique_ints(json_t *arr)
{
        size_t n = json_array_size(arr), u = 0;
        json_t **items = calloc(n ?: 1, sizeof(*items));

        if (!items)
                return;
        for (size_t i = 0; i < n; i++)
                items[i] = json_incref(json_array_get(arr, i));
        qsort(items, n, sizeof(*items), cmp_int);
        json_array_clear(arr);
        for (size_t i = 0; i < n; i++) {
                if (u && json_integer_value(items[i]) ==
                                 json_integer_value(json_array_get(arr, u - 1))) {
                        json_decref(items[i]);
                        continue;
                }
                json_array_append_new(arr, items[i]);
                u++;
        }
        free(items);
}

/* to gets from's strings (or integers), sorted, unique, at most max (0:
 * no bound): true when some were left out. */
static bool union_into(json_t *to, const json_t *from, bool ints, size_t max)
{
        bool cut = false;
        json_t *v;
        size_t i;

        json_array_foreach(from, i, v)
                json_array_append(to, v);
        if (ints)
                sort_unique_ints(to);
        else
                sort_unique(to);
        while (max && json_array_size(to) > max) {
                json_array_remove(to, json_array_size(to) - 1);
                cut = true;
        }
        return cut;
}

static void add_count(json_t *into, const json_t *from, const char *key)
{
        json_object_set_new(into, key,
                            json_integer(json_integer_value(json_object_get(into, key)) +
                                         json_integer_value(json_object_get(from, key))));
}

static void merge_args(json_t *into, const json_t *from, size_t max)
{
        json_t *arr = json_object_get(into, "args"), *a;
        size_t i;

        json_array_foreach(json_object_get(from, "args"), i, a) {
                const char *name = json_string_value(json_object_get(a, "name")) ?: "";
                json_t *e =
                        find_by(arr, name, json_integer_value(json_object_get(a, "index")), true);
                bool capped;

                if (!e) {
                        json_array_append_new(arr, json_deep_copy(a));
                        continue;
                }
                capped = union_into(json_object_get(e, "values"), json_object_get(a, "values"),
                                    true, max);
                json_object_set_new(e, "bits",
                                    json_integer(json_integer_value(json_object_get(e, "bits")) |
                                                 json_integer_value(json_object_get(a, "bits"))));
                json_object_set_new(e, "capped",
                                    json_boolean(capped ||
                                                 json_is_true(json_object_get(e, "capped")) ||
                                                 json_is_true(json_object_get(a, "capped"))));
        }
}

static void merge_paths(json_t *into, const json_t *from, size_t max)
{
        json_t *arr = json_object_get(into, "paths"), *g;
        size_t i;

        json_array_foreach(json_object_get(from, "paths"), i, g) {
                json_t *e =
                        find_by(arr, json_string_value(json_object_get(g, "name")) ?: "", 0, false);

                if (!e) {
                        json_array_append_new(arr, json_deep_copy(g));
                        continue;
                }
                /* The exact paths past the bound are not lost: folded by export. */
                union_into(json_object_get(e, "exact"), json_object_get(g, "exact"), false, 0);
                union_into(json_object_get(e, "prefix"), json_object_get(g, "prefix"), false, max);
        }
}

int learn_merge(json_t *into, const json_t *from)
{
        json_t *limits = json_object_get(into, "limits"), *list;
        json_t *syscalls = json_object_get(into, "syscalls");
        size_t max_values = (size_t)json_integer_value(json_object_get(limits, "maxValues"));
        size_t max_paths = (size_t)json_integer_value(json_object_get(limits, "maxPaths"));
        const char *arch;

        if (!json_is_object(syscalls) || !json_is_array(json_object_get(into, "args")) ||
            !json_is_array(json_object_get(into, "paths")))
                return -EINVAL;
        json_object_foreach((json_t *)json_object_get(from, "syscalls"), arch, list) {
                json_t *mine = json_object_get(syscalls, arch);

                if (!mine)
                        json_object_set_new(syscalls, arch, mine = json_array());
                union_into(mine, list, false, 0);
        }
        if (!json_object_get(into, "unrecorded"))
                json_object_set_new(into, "unrecorded", json_array());
        union_into(json_object_get(into, "unrecorded"), json_object_get(from, "unrecorded"), false,
                   0);
        merge_args(into, from, max_values);
        merge_paths(into, from, max_paths);
        add_count(into, from, "notifications");
        add_count(into, from, "listeners");
        add_count(json_object_get(into, "capped"), json_object_get(from, "capped"), "values");
        add_count(json_object_get(into, "capped"), json_object_get(from, "capped"), "paths");
        return 0;
}
