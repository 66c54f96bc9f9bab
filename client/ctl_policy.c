/* The policies as unotifyctl's verbs load them: as the daemon does, with
 * its diagnostics on stderr and the same exit codes for every verb. */
#include "ctl_policy.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "ctl_msg.h"

void ctl_print_diags(const struct unotify_diags *diags)
{
        for (size_t i = 0; i < diags->count; i++) {
                char line[2048];

                unotify_diag_format(&diags->items[i], line, sizeof(line));
                fprintf(stderr, "%s\n", line);
        }
}

int ctl_load_set(const char *who, const char *dir, const struct unotify_load_options *o,
                 struct unotify_policy_set **ret)
{
        struct unotify_diags diags = {};
        int r = unotify_policy_set_load_dir_full(dir, o, ret, &diags);

        ctl_print_diags(&diags);
        unotify_diags_clear(&diags);
        if (r == -EINVAL)
                return ctl_fail(who, EX_CONFIG, "%s: the policies have errors", dir);
        if (r < 0)
                return ctl_fail(who, EX_CONFIG, "%s: %s", dir, strerror(-r));
        return 0;
}

int ctl_load_policy(const char *who, const char *dir, const char *policy,
                    const struct unotify_load_options *o, struct unotify_policy_set **ret_set,
                    struct unotify_policy **ret)
{
        _cleanup_(freep) char *copy = strdup(policy), *base = strdup(policy);
        bool by_path = strchr(policy, '/') != NULL;
        int r;

        if (!copy || !base)
                return ctl_fail(who, EX_OSERR, "out of memory");
        if (by_path)
                dir = dirname(copy);
        r = ctl_load_set(who, dir, o, ret_set);
        if (r)
                return r;
        for (size_t i = 0; by_path && i < unotify_policy_set_count(*ret_set); i++) {
                struct unotify_policy *p = unotify_policy_set_at(*ret_set, i);
                _cleanup_(freep) char *origin = strdup(unotify_policy_origin(p));

                if (origin && strcmp(basename(origin), basename(base)) == 0)
                        *ret = p;
        }
        if (!by_path)
                *ret = unotify_policy_set_find(*ret_set, policy);
        if (!*ret)
                return ctl_fail(who, EX_CONFIG, "%s: no policy %s", dir, policy);
        return 0;
}

int ctl_parse_caps(const char *who, const char *prefix, const char *list, uint64_t *ret)
{
        _cleanup_(freep) char *copy = strdup(list);
        char *save = NULL;

        if (!copy)
                return ctl_fail(who, EX_OSERR, "out of memory");
        *ret = 0;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                int cap = unotify_capability_from_name(t);

                if (cap < 0)
                        return ctl_fail(who, EX_USAGE, "%sunknown capability \"%s\"", prefix, t);
                *ret |= UINT64_C(1) << cap;
        }
        return 0;
}
