/* unotifyctl learn diff: a recording against a profile, decided with the
 * policy library's own matching (what the daemon would answer). */
#include "learn_profile.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sysexits.h>

#include "ctl_msg.h"
#include "ctl_policy.h"
#include "unotify/macro.h"
#include "unotify/policy.h"

static const char WHO[] = "unotifyctl learn diff";

DEFINE_TRIVIAL_CLEANUP_FUNC(struct unotify_policy *, unotify_policy_unref);

/* "SCMP_ARCH_X86_64" -> libseccomp's token; 0 when unknown. */
static uint32_t arch_token(const char *oci)
{
        char lower[32];
        size_t n = 0;

        if (strncmp(oci, "SCMP_ARCH_", 10) != 0)
                return 0;
        for (const char *p = oci + 10; *p && n < sizeof(lower) - 1; p++)
                lower[n++] = (char)tolower((unsigned char)*p);
        lower[n] = '\0';
        return seccomp_arch_resolve_name(lower);
}

/* The profile's answer to name on token with argument index = value. */
static bool allowed(const struct unotify_policy *p, uint32_t token, const char *name, int index,
                    uint64_t value, struct unotify_decision *d)
{
        struct seccomp_data data = { .arch = token == SCMP_ARCH_X32 ? SCMP_ARCH_X86_64 : token };
        int nr = seccomp_syscall_resolve_name_arch(token, name);

        if (nr < 0)
                return true; /* not a syscall there: nothing to decide */
        data.nr = nr;
        if (index >= 0)
                data.args[index] = value;
        unotify_policy_decide(p, &data, d);
        return d->action == UNOTIFY_ACTION_CONTINUE;
}

static void add_denied(json_t *denied, const char *arch, const char *name, const json_t *arg,
                       uint64_t value, const struct unotify_decision *d)
{
        json_t *o = json_pack("{s:s, s:s, s:s}", "arch", arch, "name", name, "answer",
                              unotify_decision_action_name(d));

        if (o && d->action == UNOTIFY_ACTION_ERRNO)
                json_object_set_new(o, "errno", json_string(unotify_errno_name(d->error) ?: "?"));
        if (o && arg) {
                json_object_set_new(o, "index", json_copy(json_object_get(arg, "index")));
                json_object_set_new(o, "value", json_integer((json_int_t)value));
        }
        json_array_append_new(denied, o);
}

/* Every recorded call (with each recorded value of its argument) the
 * profile does not let run. */
static void find_denied(const struct unotify_policy *p, const json_t *rec, json_t *denied)
{
        const char *arch;
        json_t *list, *v, *a;
        size_t i, j, k;
        struct unotify_decision d;

        json_object_foreach((json_t *)json_object_get(rec, "syscalls"), arch, list) {
                uint32_t token = arch_token(arch);

                json_array_foreach(list, i, v) {
                        const char *name = json_string_value(v);
                        bool tested = false;

                        if (!name)
                                continue;
                        json_array_foreach(json_object_get(rec, "args"), j, a) {
                                json_t *val;
                                int index = (int)json_integer_value(json_object_get(a, "index"));

                                if (strcmp(json_string_value(json_object_get(a, "name")) ?: "",
                                           name) != 0)
                                        continue;
                                tested = true;
                                json_array_foreach(json_object_get(a, "values"), k, val)
                                        if (!allowed(p, token, name, index,
                                                     (uint64_t)json_integer_value(val), &d))
                                                add_denied(denied, arch, name, a,
                                                           (uint64_t)json_integer_value(val), &d);
                        }
                        if (!tested && !allowed(p, token, name, -1, 0, &d))
                                add_denied(denied, arch, name, NULL, 0, &d);
                }
        }
}

static bool recorded(const json_t *rec, const char *name)
{
        const char *arch;
        json_t *list, *v;
        size_t i;

        json_object_foreach((json_t *)json_object_get(rec, "syscalls"), arch, list)
                json_array_foreach(list, i, v)
                        if (strcmp(json_string_value(v) ?: "", name) == 0)
                                return true;
        return false;
}

/* The names the profile lets run on the native ABI (with arguments 0)
 * that the recording never made. */
static void find_unused(const struct unotify_policy *p, const json_t *rec, json_t *unused)
{
        size_t n;
        const char *const *names = unotify_policy_syscalls(p, &n);
        struct unotify_decision d;

        for (size_t i = 0; i < n; i++)
                if (seccomp_syscall_resolve_name_arch(seccomp_arch_native(), names[i]) >= 0 &&
                    allowed(p, seccomp_arch_native(), names[i], -1, 0, &d) &&
                    !recorded(rec, names[i]))
                        json_array_append_new(unused, json_string(names[i]));
}

static void print_text(const json_t *denied, const json_t *unused, const char *path)
{
        json_t *v;
        size_t i;

        printf("%s would deny %zu recorded call%s:\n", path, json_array_size(denied),
               json_array_size(denied) == 1 ? "" : "s");
        json_array_foreach(denied, i, v) {
                printf("  %s %s", json_string_value(json_object_get(v, "arch")),
                       json_string_value(json_object_get(v, "name")));
                if (json_object_get(v, "index"))
                        printf(" (argument %" JSON_INTEGER_FORMAT " = %#" PRIx64 ")",
                               json_integer_value(json_object_get(v, "index")),
                               (uint64_t)json_integer_value(json_object_get(v, "value")));
                printf(": %s%s%s\n", json_string_value(json_object_get(v, "answer")),
                       json_object_get(v, "errno") ? " " : "",
                       json_string_value(json_object_get(v, "errno")) ?: "");
        }
        printf("%s allows %zu syscall%s the workload never used:\n", path, json_array_size(unused),
               json_array_size(unused) == 1 ? "" : "s");
        json_array_foreach(unused, i, v)
                printf("  %s\n", json_string_value(v));
}

int learn_diff(const json_t *rec, const char *profile_path, bool json)
{
        _cleanup_(unotify_policy_unrefp) struct unotify_policy *p = NULL;
        _cleanup_(json_decrefp) json_t *denied = json_array(), *unused = json_array();
        struct unotify_diags diags = {};
        struct utsname uts;
        struct unotify_load_options o = { .kernel_release = uname(&uts) == 0 ? uts.release : NULL };
        int r = unotify_policy_load_file_full(profile_path, &o, &p, &diags);

        if (r < 0)
                ctl_print_diags(&diags);
        unotify_diags_clear(&diags);
        if (r < 0)
                return ctl_fail(WHO, EX_CONFIG, "%s: %s", profile_path,
                                r == -EINVAL ? "not a valid profile" : strerror(-r));
        if (!denied || !unused)
                return ctl_fail(WHO, EX_OSERR, "out of memory");
        find_denied(p, rec, denied);
        find_unused(p, rec, unused);
        if (!json) {
                print_text(denied, unused, profile_path);
                return 0;
        }
        {
                _cleanup_(json_decrefp) json_t *out =
                        json_pack("{s:O, s:O}", "denied", denied, "unused", unused);

                json_dumpf(out, stdout, JSON_INDENT(2));
                putchar('\n');
        }
        return 0;
}
