/* The top-level keys of the seccomp profiles that container engines and
 * runtimes use (moby's profiles/seccomp, containers/common's
 * pkg/seccomp, the OCI runtime-spec's linux.seccomp), so that a profile
 * loads as published. What unotifyd cannot use is accepted with a
 * warning that says why; what is malformed is an error. */
#include <string.h>

#include "parser.h"

/* seccomp(2)'s filter flags by the spec's names. */
static const char *const known_flags[] = {
        "SECCOMP_FILTER_FLAG_TSYNC",       "SECCOMP_FILTER_FLAG_LOG",
        "SECCOMP_FILTER_FLAG_SPEC_ALLOW",  "SECCOMP_FILTER_FLAG_NEW_LISTENER",
        "SECCOMP_FILTER_FLAG_TSYNC_ESRCH", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
};

/* An architecture name of a profile: unknown ones are a warning, as a
 * runtime that meets them on another machine would skip them too. */
static void check_arch_name(struct parser *p, json_t *v)
{
        const char *name = expect_string(p, NULL, v, "an architecture name (a string)");

        if (name && arch_by_name(name) < 0)
                warn(p, NULL, "unknown architecture \"%s\" is ignored", name);
}

static void parse_architectures(struct parser *p, json_t *root)
{
        json_t *v = json_object_get(root, "architectures"), *e;
        size_t i;

        if (!v)
                return;
        if (!json_is_array(v)) {
                fail(p, "architectures", "expected an array of architecture names, got %s",
                     type_name(v));
                return;
        }
        json_array_foreach(v, i, e) {
                size_t mark = ptr_push(p, "architectures", i);

                check_arch_name(p, e);
                ptr_pop(p, mark);
        }
}

static void parse_arch_map_entry(struct parser *p, json_t *e)
{
        static const char *const keys[] = { "architecture", "subArchitectures" };
        json_t *arch, *subs, *s;
        size_t i;

        if (!json_is_object(e)) {
                fail(p, NULL, "expected an object {architecture, subArchitectures}, got %s",
                     type_name(e));
                return;
        }
        check_keys(p, e, keys, ELEMENTSOF(keys));
        arch = member(p, e, "architecture", true);
        if (arch) {
                size_t mark = ptr_push_key(p, "architecture");

                check_arch_name(p, arch);
                ptr_pop(p, mark);
        }
        subs = json_object_get(e, "subArchitectures");
        if (subs && !json_is_array(subs)) {
                fail(p, "subArchitectures", "expected an array of architecture names, got %s",
                     type_name(subs));
                return;
        }
        json_array_foreach(subs, i, s) {
                size_t mark = ptr_push(p, "subArchitectures", i);

                check_arch_name(p, s);
                ptr_pop(p, mark);
        }
}

/* The engines pick the entry of the host's architecture; unotifyd always
 * covers every ABI of this machine (x86_64: x86 and x32 too), which is
 * what that entry says for x86_64 and aarch64. */
static void parse_arch_map(struct parser *p, json_t *root)
{
        json_t *v = json_object_get(root, "archMap"), *e;
        size_t i;

        if (!v)
                return;
        if (!json_is_array(v)) {
                fail(p, "archMap", "expected an array of {architecture, subArchitectures}, got %s",
                     type_name(v));
                return;
        }
        json_array_foreach(v, i, e) {
                size_t mark = ptr_push(p, "archMap", i);

                parse_arch_map_entry(p, e);
                ptr_pop(p, mark);
        }
}

static void parse_flags(struct parser *p, json_t *root, struct draft *d)
{
        json_t *v = json_object_get(root, "flags"), *e;
        char expected[300];
        size_t i;

        if (!v)
                return;
        if (!json_is_array(v)) {
                fail(p, "flags", "expected an array of SECCOMP_FILTER_FLAG_* names, got %s",
                     type_name(v));
                return;
        }
        json_array_foreach(v, i, e) {
                size_t mark = ptr_push(p, "flags", i);
                const char *flag = expect_string(p, NULL, e, "a SECCOMP_FILTER_FLAG_* name");

                if (flag && !in_list(flag, known_flags, ELEMENTSOF(known_flags)))
                        fail(p, NULL, "unknown seccomp flag \"%s\" (expected one of %s)", flag,
                             join(known_flags, ELEMENTSOF(known_flags), expected,
                                  sizeof(expected)));
                else if (flag && d->n_flags < DRAFT_MAX_FLAGS &&
                         !in_list(flag, d->flags, d->n_flags))
                        d->flags[d->n_flags++] = flag;
                ptr_pop(p, mark);
        }
}

/* Where a runtime hands the listener: unotifyd's own export and launcher
 * set these, so a profile's are not used. */
static void parse_listener_keys(struct parser *p, json_t *root)
{
        static const char *const keys[] = { "listenerPath", "listenerMetadata" };

        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                json_t *v = json_object_get(root, keys[i]);

                if (!v)
                        continue;
                if (!json_is_string(v))
                        fail(p, keys[i], "expected a string, got %s", type_name(v));
                else if (json_string_length(v) > 0)
                        warn(p, keys[i],
                             "\"%s\" is ignored: unotifyctl export-oci and unotify-run set where "
                             "the listener goes",
                             keys[i]);
        }
}

void parse_profile_keys(struct parser *p, json_t *root, struct draft *d)
{
        parse_architectures(p, root);
        parse_arch_map(p, root);
        parse_flags(p, root, d);
        parse_listener_keys(p, root);
}
