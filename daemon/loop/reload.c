/* The policies: loaded at start, and again on SIGHUP or unotifyctl reload. */
#include "loop/reload.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "emulate/emulate.h"
#include "loop/daemon.h"
#include "loop/privilege.h"
#include "service/log.h"
#include "service/sdnotify.h"
#include "unotify/filter.h"
#include "unotify/macro.h"

/* Build every launcher filter now, so that no launch waits for
 * libseccomp, and a policy whose filter cannot be built is named at load. */
static void build_launcher_filters(struct unotify_policy_set *set)
{
        for (size_t i = 0; i < unotify_policy_set_count(set); i++) {
                struct unotify_policy *p = unotify_policy_set_at(set, i);
                const struct sock_fprog *prog;
                int r = unotify_policy_launcher_filter(p, &prog);

                if (r < 0)
                        log_warning(
                                "policy \"%s\": its filter cannot be built (%s); launches under it "
                                "will be refused",
                                unotify_policy_name(p), strerror(-r));
        }
}

int daemon_load_policies(const struct options *o, struct unotify_policy_set **ret)
{
        struct unotify_load_options lo = { .strict = o->strict };
        struct unotify_diags diags = {};
        struct utsname u;
        size_t errors;
        int r;

        /* minKernel is evaluated against the running kernel. */
        if (uname(&u) == 0)
                lo.kernel_release = u.release;
        r = unotify_policy_set_load_dir_full(o->policy_dir, &lo, ret, &diags);
        errors = unotify_diags_errors(&diags);
        for (size_t i = 0; i < diags.count; i++) {
                bool warning = diags.items[i].severity == UNOTIFY_DIAG_WARNING;
                char line[1024], *tag;

                unotify_diag_format(&diags.items[i], line, sizeof(line));
                /* Our log line already says "warning:". */
                tag = warning ? strstr(line, "warning: ") : NULL;
                if (tag)
                        memmove(tag, tag + 9, strlen(tag + 9) + 1);
                log_emit(warning ? LOG_WARNING : LOG_ERR, 0, "%s", line);
        }
        unotify_diags_clear(&diags);
        if (r == -EINVAL) {
                log_error("%s: %zu error%s in the policies", o->policy_dir, errors,
                          errors == 1 ? "" : "s");
                return r;
        }
        if (r < 0)
                return log_error_errno(r, "%s: cannot load policies", o->policy_dir);
        if (privilege_check_policies(*ret) < 0) {
                *ret = unotify_policy_set_free(*ret);
                log_error("%s: the daemon cannot serve every policy (above)", o->policy_dir);
                return -EINVAL;
        }
        build_launcher_filters(*ret);
        return 0;
}

int daemon_reload(struct daemon *d, char *err, size_t err_size)
{
        struct unotify_policy_set *set;
        int r;

        log_notice("reloading policies from %s", d->opts->policy_dir);
        sdnotify_reloading(d);
        r = daemon_load_policies(d->opts, &set);
        /* Either way the service is ready again: the old or the new set. */
        if (r < 0) {
                sdnotify_ready(d);
                d->reload_failures++;
                snprintf(err, err_size,
                         "%s: the policies have errors (see the daemon's log); "
                         "the policies loaded before stay in force",
                         d->opts->policy_dir);
                log_emit_id(LOG_ERR, 0, LOG_MID_RELOAD_FAILED, 0,
                            "reload failed; the policies loaded before stay in force");
                return r;
        }
        r = emulate_ensure(d, set);
        if (r < 0) {
                unotify_policy_set_free(set);
                sdnotify_ready(d);
                d->reload_failures++;
                snprintf(err, err_size,
                         "%s: cannot start the emulation workers its policies need; "
                         "the policies loaded before stay in force",
                         d->opts->policy_dir);
                return r;
        }
        /* Listeners hold their own references: they keep the policy they
         * were given, and in-flight decisions finish under it. */
        unotify_policy_set_free(d->policies);
        d->policies = set;
        d->reloads++;
        log_notice("%zu policies loaded", unotify_policy_set_count(set));
        sdnotify_ready(d);
        return 0;
}
