/* unotifyctl export-oci: the "linux.seccomp" section of an OCI config.json
 * that makes runc or crun hand a container's listener to unotifyd.
 *
 * The section notifies exactly the syscalls unotify-run's filter notifies
 * for the same policy (unotify_policy_syscalls(), on the native ABI and its
 * compat ABIs, plus the ipc(2) version bits of filter.c) and allows the
 * rest; listenerMetadata names the policy and the digest of that set, so
 * the daemon refuses a config exported from another version of the policy
 * (fail closed) just as it refuses unotify-run's stale filters. */
#include "export_oci.h"
#include "export_oci_args.h"
#include "ctl_msg.h"
#include "ctl_policy.h"
#include "oci_rules.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sysexits.h>

#include "unotify/filter.h"
#include "unotify/landlock.h"
#include "unotify/macro.h"
#include "unotify/policy.h"
#include "unotify/unotify.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct unotify_kernel_plan *, unotify_kernel_plan_free);

static const char WHO[] = "unotifyctl export-oci";

/* The ABIs unotify_filter_build() covers, in the spec's spelling. */
static int compare_names(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The sorted, unique union of the policies' syscall names (borrowed). */
static int collect_names(struct unotify_policy *const *ps, size_t n_ps, const char ***ret,
                         size_t *ret_n)
{
        const char **names = NULL;
        size_t n = 0, cap = 0, u = 0;

        for (size_t i = 0; i < n_ps; i++) {
                size_t k;
                const char *const *s = unotify_policy_syscalls(ps[i], &k);
                const char **grown;

                if (k == 0)
                        continue; /* s may be NULL then */
                if (n + k > cap) {
                        cap = (n + k) * 2;
                        grown = realloc(names, cap * sizeof(*names));
                        if (!grown) {
                                free(names);
                                return -ENOMEM;
                        }
                        names = grown;
                }
                memcpy(names + n, s, k * sizeof(*s));
                n += k;
        }
        if (n > 0)
                qsort(names, n, sizeof(*names), compare_names);
        for (size_t i = 0; i < n; i++)
                if (u == 0 || strcmp(names[u - 1], names[i]) != 0)
                        names[u++] = names[i];
        *ret = names;
        *ret_n = u;
        return 0;
}

/* What the runtimes do with some of these names, as tried with runc 1.1.5
 * and crun 1.8.1 (docs/runtimes.md). */
static void warn_runtime_quirks(const char *const *names, size_t n, const struct export_opts *e)
{
        for (size_t i = 0; i < n; i++) {
                if (strcmp(names[i], "write") == 0)
                        ctl_warn(
                                WHO,
                                "\"write\" is notified: runc 1.1 refuses to start such a container "
                                "(\"SCMP_ACT_NOTIFY cannot be used for the write syscall\"); crun "
                                "accepts it");
                if (strcmp(names[i], "getppid") == 0)
                        ctl_warn(WHO,
                                 "\"getppid\" is notified: with \"noNewPrivileges\": false runc "
                                 "installs the filter before it checks getppid() against its "
                                 "parent, "
                                 "and kills the container if the answer differs");
        }
        if (n == 0)
                ctl_warn(WHO, "no syscall is notified: runc then never connects to the daemon, "
                              "crun still "
                              "does");
        if (e->n_flags > 0)
                ctl_warn(WHO, "runc 1.1 refuses every seccomp flag (\"seccomp flags are not yet "
                              "supported "
                              "by runc\")");
}

/* With --all, a policy's defaultAction also answers the syscalls only the
 * other policies name. Ask the policy about a number no ABI has. */
static void warn_default_actions(const struct unotify_policy_set *set)
{
        for (size_t i = 0; i < unotify_policy_set_count(set); i++) {
                struct unotify_policy *p = unotify_policy_set_at(set, i);
                struct seccomp_data data = { .nr = 0x7fff, .arch = seccomp_arch_native() };
                struct unotify_decision d = {};

                unotify_policy_decide(p, &data, &d);
                if (d.action != UNOTIFY_ACTION_CONTINUE)
                        ctl_warn(
                                WHO,
                                "policy \"%s\" answers %s to every notified syscall it has no rule "
                                "for, including those only other policies name",
                                unotify_policy_name(p), unotify_decision_action_name(&d));
        }
}

static json_t *metadata(const struct export_opts *e, struct unotify_policy *p, uint64_t digest)
{
        char *s = NULL, caps[160] = "";
        json_t *v;

        if (!p)
                return NULL;
        if (e->has_caps)
                snprintf(caps, sizeof(caps), UNOTIFY_META_CAPS "=%" PRIx64 "\n", e->caps);
        if (e->learn_name)
                snprintf(caps + strlen(caps), sizeof(caps) - strlen(caps), "unotify.learn=%s\n",
                         e->learn_name);
        if (e->digest) {
                if (asprintf(&s,
                             UNOTIFY_META_POLICY "=%s\n" UNOTIFY_META_DIGEST "=%016" PRIx64 "\n%s",
                             unotify_policy_name(p), digest, caps) < 0)
                        return NULL;
        } else if (asprintf(&s, UNOTIFY_META_POLICY "=%s\n%s", unotify_policy_name(p), caps) < 0)
                return NULL;
        v = json_string(s);
        free(s);
        return v;
}

static json_t *flags_array(const struct export_opts *e)
{
        json_t *arr = json_array();

        for (size_t i = 0; arr && i < e->n_flags; i++)
                json_array_append_new(arr, json_string(e->flags[i]));
        return arr;
}

static json_t *plan_section(const struct export_opts *e, struct unotify_policy *p,
                            const struct unotify_kernel_plan *plan)
{
        const struct unotify_decision *d = &plan->default_decision;
        json_t *s = json_pack("{s:s}", "defaultAction", oci_action(d));

        if (!s)
                return NULL;
        if (d->action == UNOTIFY_ACTION_ERRNO)
                json_object_set_new(s, "defaultErrnoRet", json_integer(d->error));
        json_object_set_new(s, "architectures", oci_architectures());
        json_object_set_new(s, "listenerPath", json_string(e->socket));
        json_object_set_new(s, "listenerMetadata", metadata(e, p, plan->digest));
        if (e->n_flags > 0)
                json_object_set_new(s, "flags", flags_array(e));
        if (json_object_set_new(s, "syscalls", oci_plan_rules(plan)) < 0)
                return json_decref(s), NULL;
        return s;
}

/* Keys in the order of the runtime-spec's example. */
static json_t *build_section(const struct export_opts *e, struct unotify_policy *p,
                             const char *const *names, size_t n)
{
        json_t *s = json_pack("{s:s, s:o, s:s}", "defaultAction", "SCMP_ACT_ALLOW", "architectures",
                              oci_architectures(), "listenerPath", e->socket);

        if (!s)
                return NULL;
        if (p && json_object_set_new(s, "listenerMetadata",
                                     metadata(e, p, unotify_policy_syscalls_digest(p))) < 0)
                return json_decref(s), NULL;
        if (e->n_flags > 0 && json_object_set_new(s, "flags", flags_array(e)) < 0)
                return json_decref(s), NULL;
        if (json_object_set_new(s, "syscalls", oci_notify_rules(names, n)) < 0)
                return json_decref(s), NULL;
        return s;
}

/* --config FILE: a JSON object whose "linux", if there, is one. */
static int load_config(const char *path, json_t **ret)
{
        _cleanup_(json_decrefp) json_t *config = NULL;
        json_error_t jerr;
        json_t *linux_;

        config = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        if (!config) {
                if (json_error_code(&jerr) == json_error_cannot_open_file)
                        return ctl_fail(WHO, EX_NOINPUT, "%s", jerr.text);
                return ctl_fail(WHO, EX_DATAERR, "%s:%d:%d: %s", path, jerr.line, jerr.column,
                                jerr.text);
        }
        if (!json_is_object(config))
                return ctl_fail(WHO, EX_DATAERR, "%s: not a JSON object", path);
        linux_ = json_object_get(config, "linux");
        if (linux_ && !json_is_object(linux_))
                return ctl_fail(WHO, EX_DATAERR, "%s: \"linux\" is not an object", path);
        *ret = TAKE_PTR(config);
        return 0;
}

/* --config-caps: the container's effective set as its runtime will
 * give it, so that "caps" conditions are decided as with --caps. */
static int caps_from_config(struct export_opts *e)
{
        json_t *process = json_object_get(e->config_json, "process");
        json_t *eff = json_object_get(json_object_get(process, "capabilities"), "effective");
        json_t *v;
        size_t i;

        e->caps = 0;
        e->has_caps = true;
        if (eff && !json_is_array(eff))
                return ctl_fail(WHO, EX_DATAERR,
                                "%s: process.capabilities.effective is not an array", e->config);
        json_array_foreach(eff, i, v) {
                int cap =
                        json_is_string(v) ? unotify_capability_from_name(json_string_value(v)) : -1;

                if (cap < 0)
                        return ctl_fail(WHO, EX_DATAERR,
                                        "%s: process.capabilities.effective/%zu: not a capability",
                                        e->config, i);
                e->caps |= 1ull << cap;
        }
        return 0;
}

/* e->config_json with linux.seccomp replaced by section. */
static int put_into_config(const struct export_opts *e, json_t *section)
{
        json_t *linux_ = json_object_get(e->config_json, "linux");

        if (!linux_) {
                linux_ = json_object();
                json_object_set_new(e->config_json, "linux", linux_);
        }
        if (!linux_ || json_object_set(linux_, "seccomp", section) < 0)
                return ctl_fail(WHO, EX_OSERR, "out of memory");
        return 0;
}

static int print_json(json_t *v)
{
        if (json_dumpf(v, stdout, JSON_INDENT(2)) < 0 || putchar('\n') == EOF ||
            fflush(stdout) != 0)
                return ctl_fail(WHO, EX_IOERR, "writing the output failed");
        return 0;
}

/* The names the section notifies, for the runtime warnings. */
static size_t plan_notified(const struct unotify_kernel_plan *plan, const char **names)
{
        size_t n = 0;

        for (size_t i = 0; i < plan->n_entries; i++)
                if (plan->entries[i].kind == UNOTIFY_KERNEL_NOTIFY)
                        names[n++] = plan->entries[i].name;
        return n;
}

static int print_section(const struct export_opts *e, json_t *section)
{
        int r;

        if (!section)
                return ctl_fail(WHO, EX_OSERR, "out of memory");
        if (!e->config)
                return print_json(section);
        r = put_into_config(e, section);
        return r ? r : print_json(e->config_json);
}

/* The profile's own "flags" join -f's: the runtime-spec's names pass on;
 * the others would make the runtime fail, so they are left out, said. */
static void add_policy_flags(struct export_opts *e, const struct unotify_policy *p)
{
        size_t n;
        const char *const *flags = unotify_policy_filter_flags(p, &n);

        for (size_t i = 0; i < n; i++) {
                bool known = export_oci_known_flag(flags[i]), have = false;

                for (size_t j = 0; j < e->n_flags; j++)
                        have = have || strcmp(flags[i], e->flags[j]) == 0;
                if (!known)
                        ctl_warn(WHO,
                                 "policy \"%s\": flag \"%s\" is left out: the runtime sets "
                                 "NEW_LISTENER itself for a listenerPath, and TSYNC cannot go with "
                                 "it",
                                 unotify_policy_name(p), flags[i]);
                else if (!have)
                        e->flags[e->n_flags++] = flags[i]; /* each known flag once: fits */
        }
}

/* One policy: its kernel plan, so that its defaultAction and every rule
 * BPF can express hold in the kernel, and only the rest is notified. */
static int export_plan(const struct export_opts *opts, struct unotify_policy *p)
{
        struct export_opts with_flags = *opts, *e = &with_flags;
        _cleanup_(unotify_kernel_plan_freep) struct unotify_kernel_plan *own = NULL;
        const struct unotify_kernel_plan *plan = unotify_policy_kernel_plan(p);
        _cleanup_(json_decrefp) json_t *section = NULL;
        _cleanup_(freep) const char **names = NULL;

        /* --caps: "includes"/"excludes" "caps" decided now, as container
         * engines do; the daemon checks the digest for the same set. */
        if (e->has_caps && unotify_kernel_plan_new(p, &e->caps, &own) < 0)
                return ctl_fail(WHO, EX_OSERR, "out of memory");
        if (own)
                plan = own;
        add_policy_flags(e, p);
        names = calloc(plan->n_entries ?: 1, sizeof(*names));
        if (!names)
                return ctl_fail(WHO, EX_OSERR, "out of memory");
        if (!plan->notify_default) /* a policy that learns notifies every other name */
                warn_runtime_quirks(names, plan_notified(plan, names), e);
        section = plan_section(e, p, plan);
        return print_section(e, section);
}

/* --all: every policy's syscalls are notified and the daemon selects; the
 * kernel lets the rest run, whatever the policies' defaultAction. */
static int export_all(const struct export_opts *e, struct unotify_policy_set *set)
{
        _cleanup_(json_decrefp) json_t *section = NULL;
        _cleanup_(freep) const char **names = NULL;
        size_t count = unotify_policy_set_count(set), n = 0;
        _cleanup_(freep) struct unotify_policy **all = calloc(count ? count : 1, sizeof(*all));

        if (!all)
                return ctl_fail(WHO, EX_OSERR, "out of memory");
        for (size_t i = 0; i < count; i++)
                all[i] = unotify_policy_set_at(set, i);
        if (collect_names(all, count, &names, &n) < 0)
                return ctl_fail(WHO, EX_OSERR, "out of memory");
        warn_default_actions(set);
        warn_runtime_quirks(names, n, e);
        section = build_section(e, NULL, names, n);
        return print_section(e, section);
}

int cmd_export_oci(int argc, char **argv)
{
        _cleanup_(unotify_policy_set_freep) struct unotify_policy_set *set = NULL;
        _cleanup_(json_decrefp) json_t *config = NULL;
        struct export_opts e = { .dir = CTL_DEFAULT_POLICY_DIR,
                                 .socket = EXPORT_OCI_DEFAULT_SOCKET,
                                 .digest = true };
        struct unotify_policy *p = NULL;
        struct utsname uts;
        int r;

        r = export_oci_parse_args(argc, argv, &e);
        if (r)
                return r == 1 ? 0 : r;
        if (e.config) {
                r = load_config(e.config, &config);
                if (r)
                        return r;
                e.config_json = config;
                if (e.if_confined && !json_object_get(json_object_get(config, "linux"), "seccomp"))
                        return print_json(config);
                if (e.config_caps && (r = caps_from_config(&e)))
                        return r;
        }
        if (!e.kernel && uname(&uts) == 0)
                e.kernel = uts.release;
        /* minKernel is decided as the daemon decides it, against a release:
         * the filter's digest must match the plan the daemon makes. */
        r = ctl_load_set(WHO, e.dir, &(struct unotify_load_options){ .kernel_release = e.kernel },
                         &set);
        if (r)
                return r;
        if (e.policy) {
                p = unotify_policy_set_find(set, e.policy);
                if (!p)
                        return ctl_fail(WHO, EX_CONFIG, "%s: no policy \"%s\"", e.dir, e.policy);
                /* A runtime applies the seccomp section only. */
                if (unotify_policy_landlock(p))
                        fprintf(stderr,
                                "unotifyctl: warning: policy \"%s\" has a \"landlock\" "
                                "section, which OCI runtimes do not apply: the container "
                                "gets the seccomp part only (unotify-run applies both)\n",
                                e.policy);
        }
        return p ? export_plan(&e, p) : export_all(&e, set);
}
