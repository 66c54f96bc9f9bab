/* unotifyctl export-oci: the seccomp section it prints notifies exactly the
 * syscalls the policy library says unotify-run's filter notifies, names
 * the policy and its digest, and every bad input gets a clear error. No
 * runtime needed. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "harness.h"
#include "unotify/policy.h"

#define UNOTIFYCTL BIN("client/unotifyctl")

static const struct test_policy policies[] = {
        { "web.json",
          "{\"name\":\"web\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
          "{\"names\":[\"mkdirat\",\"mkdir\"],\"notify\":true,\"action\":\"SCMP_ACT_ERRNO\"},"
          "{\"names\":[\"getppid\"],\"notify\":true,\"action\":\"UNOTIFY_ACT_RETURN\","
          "\"returnValue\":7}]}" },
        { "ipc.json",
          "{\"name\":\"ipc\",\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
          "{\"names\":[\"semget\",\"shmat\"],\"notify\":true,\"action\":\"SCMP_ACT_ALLOW\"}]}" },
        { "none.json", "{\"name\":\"none\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[]}" },
        { "writer.json", "{\"name\":\"writer\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                         "{\"names\":[\"write\"],\"notify\":true,\"action\":\"SCMP_ACT_LOG\"}]}" },
        { "flagged.json",
          "{\"name\":\"flagged\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":["
          "\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\",\"SECCOMP_FILTER_FLAG_TSYNC\"],\"syscalls\":[]}" },
        {},
};

static char dir[64];
static char pdir[128];

static void setup(void)
{
        strcpy(dir, "/tmp/unotify-export.XXXXXX");
        cr_assert_not_null(mkdtemp(dir));
        snprintf(pdir, sizeof(pdir), "%s/policies", dir);
        cr_assert_eq(mkdir(pdir, 0700), 0);
        for (const struct test_policy *p = policies; p->file; p++) {
                char path[256];

                snprintf(path, sizeof(path), "%s/%s", pdir, p->file);
                write_file(path, p->json);
        }
}

static void teardown(void)
{
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        cr_assert_eq(system(cmd), 0);
}

TestSuite(export_oci, .init = setup, .fini = teardown, .timeout = 60);

/* unotifyctl export-oci -p DIR -s /run/x.sock ARGS... */
static void export(const char *const *args, struct cmd_result *r)
{
        const char *argv[16] = { UNOTIFYCTL, "export-oci", "-p", pdir, "-s", "/run/x.sock" };
        size_t n = 6;

        for (size_t i = 0; args[i]; i++)
                argv[n++] = args[i];
        argv[n] = NULL;
        run_cmd(argv, 10000, r);
}

static json_t *export_json(const char *const *args, struct cmd_result *r)
{
        json_error_t jerr;
        json_t *v;

        export(args, r);
        cr_assert_eq(r->status, 0, "%s", r->err);
        v = json_loads(r->out, 0, &jerr);
        cr_assert(json_is_object(v), "%s: %s", jerr.text, r->out);
        return v;
}

static struct unotify_policy_set *load(void)
{
        struct unotify_policy_set *set = NULL;

        cr_assert_eq(unotify_policy_set_load_dir(pdir, &set, NULL), 0);
        return set;
}

/* The first rule's names are the policy's notified set, in order. */
static void assert_names(json_t *section, const struct unotify_policy *p)
{
        json_t *names =
                json_object_get(json_array_get(json_object_get(section, "syscalls"), 0), "names");
        size_t n;
        const char *const *want = unotify_policy_syscalls(p, &n);

        cr_assert_eq(json_array_size(names), n, "%s", json_dumps(section, 0));
        for (size_t i = 0; i < n; i++)
                cr_assert_str_eq(json_string_value(json_array_get(names, i)), want[i]);
}

Test(export_oci, a_policy_section_notifies_its_set_and_names_it)
{
        struct unotify_policy_set *set = load();
        struct unotify_policy *p = unotify_policy_set_find(set, "web");
        struct cmd_result r;
        json_t *s = export_json((const char *const[]){ "web", NULL }, &r);
        json_t *rule = json_array_get(json_object_get(s, "syscalls"), 0);
        char meta[128];

        cr_assert_str_eq(json_string_value(json_object_get(s, "defaultAction")), "SCMP_ACT_ALLOW");
        cr_assert_str_eq(json_string_value(json_object_get(s, "listenerPath")), "/run/x.sock");
        snprintf(meta, sizeof(meta), "policy=web\nunotify.syscalls-digest=%016" PRIx64 "\n",
                 unotify_policy_syscalls_digest(p));
        cr_assert_str_eq(json_string_value(json_object_get(s, "listenerMetadata")), meta);
        cr_assert_str_eq(json_string_value(json_object_get(rule, "action")), "SCMP_ACT_NOTIFY");
        assert_names(s, p);
        cr_assert_eq(json_array_size(json_object_get(s, "syscalls")), 1);
        cr_assert_null(json_object_get(s, "flags"));
        cr_assert_eq(json_array_size(json_object_get(s, "architectures")),
                     3); /* x86_64, x86, x32 */
        cr_assert(strstr(r.err, "\"getppid\" is notified: with \"noNewPrivileges\": false runc"),
                  "%s", r.err);
        json_decref(s);
        unotify_policy_set_free(set);
}

Test(export_oci, sysv_ipc_names_also_notify_ipc_with_version_bits)
{
        struct unotify_policy_set *set = load();
        struct cmd_result r;
        json_t *s = export_json((const char *const[]){ "--no-digest", "ipc", NULL }, &r);
        json_t *rules = json_object_get(s, "syscalls");
        /* semget is ipc call 2, shmat 21 (ipc/syscall.c). */
        static const int calls[] = { 2, 21 };

        assert_names(s, unotify_policy_set_find(set, "ipc"));
        cr_assert_str_eq(json_string_value(json_object_get(s, "listenerMetadata")), "policy=ipc\n");
        cr_assert_eq(json_array_size(rules), 3);
        for (size_t i = 0; i < 2; i++) {
                json_t *arg =
                        json_array_get(json_object_get(json_array_get(rules, i + 1), "args"), 0);

                cr_assert_str_eq(
                        json_string_value(json_array_get(
                                json_object_get(json_array_get(rules, i + 1), "names"), 0)),
                        "ipc");
                cr_assert_eq(json_integer_value(json_object_get(arg, "value")), 0xffff);
                cr_assert_eq(json_integer_value(json_object_get(arg, "valueTwo")), calls[i]);
                cr_assert_str_eq(json_string_value(json_object_get(arg, "op")),
                                 "SCMP_CMP_MASKED_EQ");
        }
        json_decref(s);
        unotify_policy_set_free(set);
}

/* The profile's flags reach the runtime, after -f's, each once; TSYNC
 * would make a runtime with a listener fail, so it is left out, said. */
Test(export_oci, the_profiles_flags_pass_on)
{
        struct cmd_result r;
        json_t *s = export_json((const char *const[]){ "-f", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "-f",
                                                       "SECCOMP_FILTER_FLAG_LOG", "flagged", NULL },
                                &r);
        json_t *flags = json_object_get(s, "flags");

        cr_assert_eq(json_array_size(flags), 2, "%s", r.out);
        cr_assert_str_eq(json_string_value(json_array_get(flags, 0)),
                         "SECCOMP_FILTER_FLAG_SPEC_ALLOW");
        cr_assert_str_eq(json_string_value(json_array_get(flags, 1)), "SECCOMP_FILTER_FLAG_LOG");
        cr_assert(
                strstr(r.err, "policy \"flagged\": flag \"SECCOMP_FILTER_FLAG_TSYNC\" is left out"),
                "%s", r.err);
        json_decref(s);
}

/* minKernel is decided for the release the daemon runs on (its own
 * uname), else the digests would never match; -k names another node's. */
#define NEWER_POLICY                                                              \
        "{\"name\":\"newer\",\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[" \
        "{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ALLOW\","                  \
        "\"includes\":{\"minKernel\":\"5.0\"}}]}"

static json_t *export_newer(const char *kernel, struct cmd_result *r)
{
        char own[160], path[200];
        const char *argv[10] = { UNOTIFYCTL, "export-oci", "-p", own, "-s", "/run/x.sock" };
        size_t n = 6;
        json_t *v;

        snprintf(own, sizeof(own), "%s/newer", dir);
        snprintf(path, sizeof(path), "%s/newer.json", own);
        if (access(own, F_OK) != 0) {
                cr_assert_eq(mkdir(own, 0700), 0);
                write_file(path, NEWER_POLICY);
        }
        if (kernel) {
                argv[n++] = "-k";
                argv[n++] = kernel;
        }
        argv[n++] = "newer";
        run_cmd(argv, 10000, r);
        cr_assert_eq(r->status, 0, "%s", r->err);
        v = json_loads(r->out, 0, NULL);
        cr_assert(json_is_object(v), "%s", r->out);
        return v;
}

Test(export_oci, min_kernel_is_decided_for_a_release)
{
        struct cmd_result old, now, here;
        json_t *a = export_newer("4.19.0", &old);
        json_t *b = export_newer("6.1.0-test", &now);
        json_t *c = export_newer(NULL, &here);
        struct utsname u;

        cr_assert_null(strstr(old.out, "\"getpid\""), "4.19: %s", old.out);
        cr_assert_not_null(strstr(now.out, "\"getpid\""), "6.1: %s", now.out);
        cr_assert_eq(uname(&u), 0);
        cr_assert_eq(strstr(here.out, "\"getpid\"") != NULL, strverscmp(u.release, "5.0") >= 0,
                     "running %s: %s", u.release, here.out);
        json_decref(a);
        json_decref(b);
        json_decref(c);
}

Test(export_oci, all_notifies_the_union_and_names_no_policy)
{
        struct cmd_result r;
        json_t *s =
                export_json((const char *const[]){ "--all", "-f",
                                                   "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL },
                            &r);
        json_t *names = json_object_get(json_array_get(json_object_get(s, "syscalls"), 0), "names");
        static const char *const want[] = { "getppid", "mkdir", "mkdirat",
                                            "semget",  "shmat", "write" };

        cr_assert_null(json_object_get(s, "listenerMetadata"));
        cr_assert_eq(json_array_size(names), 6, "%s", r.out);
        for (size_t i = 0; i < 6; i++)
                cr_assert_str_eq(json_string_value(json_array_get(names, i)), want[i]);
        cr_assert_str_eq(json_string_value(json_array_get(json_object_get(s, "flags"), 0)),
                         "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV");
        cr_assert(strstr(r.err, "policy \"ipc\" answers SCMP_ACT_ERRNO to every notified syscall "
                                "it has no rule for, including those only other policies name"),
                  "%s", r.err);
        cr_assert(strstr(r.err, "\"write\" is notified: runc 1.1 refuses"), "%s", r.err);
        cr_assert(strstr(r.err, "runc 1.1 refuses every seccomp flag"), "%s", r.err);
        json_decref(s);
}

Test(export_oci, config_gets_the_section_and_keeps_the_rest)
{
        char path[256];
        struct cmd_result r;
        json_t *c, *linux_;

        snprintf(path, sizeof(path), "%s/config.json", dir);
        write_file(path, "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"]},"
                         "\"linux\":{\"namespaces\":[{\"type\":\"pid\"}],\"seccomp\":{"
                         "\"defaultAction\":\"SCMP_ACT_KILL\"}}}");
        c = export_json((const char *const[]){ "--config", path, "none", NULL }, &r);
        linux_ = json_object_get(c, "linux");
        cr_assert_str_eq(json_string_value(json_object_get(json_object_get(linux_, "seccomp"),
                                                           "defaultAction")),
                         "SCMP_ACT_ALLOW");
        cr_assert_eq(
                json_array_size(json_object_get(json_object_get(linux_, "seccomp"), "syscalls")),
                0);
        cr_assert_eq(json_array_size(json_object_get(linux_, "namespaces")), 1);
        cr_assert_str_eq(json_string_value(json_array_get(
                                 json_object_get(json_object_get(c, "process"), "args"), 0)),
                         "sh");
        cr_assert(strstr(r.err, "no syscall is notified: runc then never connects"), "%s", r.err);
        json_decref(c);
}

/* Denies mount unless the container has CAP_SYS_ADMIN: with the set
 * known at export the rule is decided there, else mount is notified. */
#define CAPPED_POLICY                                                              \
        "{\"name\":\"capped\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[" \
        "{\"names\":[\"mount\"],\"action\":\"SCMP_ACT_ERRNO\","                    \
        "\"excludes\":{\"caps\":[\"CAP_SYS_ADMIN\"]}}]}"

/* A runtime wrapper's use (contrib/docker): the caps come from the
 * config the engine wrote, and an unconfined config stays unconfined. */
Test(export_oci, config_caps_and_if_confined)
{
        char path[256], policy[256], bare[256];
        struct cmd_result r;
        json_t *by_flag, *by_config, *none, *c, *in;

        snprintf(policy, sizeof(policy), "%s/capped.json", pdir);
        write_file(policy, CAPPED_POLICY);
        snprintf(path, sizeof(path), "%s/config.json", dir);
        write_file(path, "{\"process\":{\"capabilities\":{\"effective\":[\"CAP_SYS_ADMIN\"]}},"
                         "\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\"}}}");
        by_flag =
                export_json((const char *const[]){ "--caps", "CAP_SYS_ADMIN", "capped", NULL }, &r);
        c = export_json((const char *const[]){ "--config", path, "--config-caps", "capped", NULL },
                        &r);
        by_config = json_object_get(json_object_get(c, "linux"), "seccomp");
        none = export_json((const char *const[]){ "capped", NULL }, &r);
        cr_assert(json_equal(by_flag, by_config), "%s", json_dumps(by_config, 0));
        cr_assert(!json_equal(none, by_config), "without caps mount is notified");
        cr_assert(strstr(json_string_value(json_object_get(by_config, "listenerMetadata")),
                         "unotify.caps="));
        json_decref(c);

        snprintf(bare, sizeof(bare), "%s/bare.json", dir);
        write_file(bare, "{\"process\":{\"args\":[\"sh\"]},\"linux\":{\"namespaces\":[]}}");
        c = export_json((const char *const[]){ "--config", bare, "--if-confined", "capped", NULL },
                        &r);
        in = json_load_file(bare, 0, NULL);
        cr_assert(json_equal(c, in), "changed: %s", json_dumps(c, 0));
        c = (json_decref(c),
             export_json((const char *const[]){ "--config", path, "--if-confined", "capped", NULL },
                         &r));
        cr_assert_not_null(json_object_get(json_object_get(json_object_get(c, "linux"), "seccomp"),
                                           "listenerPath"));
        json_decref(c);
        json_decref(in);
        json_decref(by_flag);
        json_decref(none);
}

struct bad_call {
        const char *args[6];
        int status;
        const char *message;
};

static const struct bad_call bad_calls[] = {
        { { NULL }, 64, "export-oci needs one POLICY (or --all)" },
        { { "web", "ipc", NULL }, 64, "export-oci needs one POLICY (or --all)" },
        { { "--all", "web", NULL }, 64, "--all takes no POLICY" },
        { { "nope", NULL }, 78, "no policy \"nope\"" },
        { { "-f", "SECCOMP_FILTER_FLAG_TSYNC", "web", NULL },
          64,
          "unknown or unusable seccomp flag \"SECCOMP_FILTER_FLAG_TSYNC\"" },
        { { "-f", "SECCOMP_FILTER_FLAG_LOG", "-f", "SECCOMP_FILTER_FLAG_LOG", "web", NULL },
          64,
          "given twice" },
        { { "-s", "relative.sock", "web", NULL }, 64, "--socket must be an absolute path" },
        { { "--config", "/nonexistent/config.json", "web", NULL }, 66, "/nonexistent/config.json" },
        { { "--config", "/proc/version", "web", NULL }, 65, "/proc/version:1:" },
        { { "--bogus", NULL }, 64, "unrecognized option" },
        { { "--config-caps", "web", NULL }, 64, "--config-caps and --if-confined need --config" },
        { { "--config", "/proc/version", "--config-caps", "--caps", "", NULL },
          64,
          "--config-caps or --caps, not both" },
};

#define N_BAD (sizeof(bad_calls) / sizeof(bad_calls[0]))

/* Rows by index: Criterion's workers are new processes, where pointers in
 * a copied struct would not point at our strings. */
ParameterizedTestParameters(export_oci, bad_input_gets_a_clear_error)
{
        static size_t rows[N_BAD];

        for (size_t i = 0; i < N_BAD; i++)
                rows[i] = i;
        return cr_make_param_array(size_t, rows, N_BAD);
}

ParameterizedTest(size_t *row, export_oci, bad_input_gets_a_clear_error)
{
        const struct bad_call *b = &bad_calls[*row];
        struct cmd_result r;

        export(b->args, &r);
        cr_assert_eq(r.status, b->status, "%s: %d\n%s", b->args[0] ?: "(none)", r.status, r.err);
        cr_assert(strstr(r.err, b->message), "%s: no \"%s\" in %s", b->args[0] ?: "(none)",
                  b->message, r.err);
        cr_assert_str_eq(r.out, "");
}

Test(export_oci, a_broken_policy_directory_is_reported)
{
        char path[256];
        struct cmd_result r;

        snprintf(path, sizeof(path), "%s/broken.json", pdir);
        write_file(path, "{\"name\":\"broken\",");
        export((const char *const[]){ "web", NULL }, &r);
        cr_assert_eq(r.status, 78);
        cr_assert(strstr(r.err, "broken.json:1:"), "%s", r.err);
        cr_assert(strstr(r.err, "the policies have errors"), "%s", r.err);
}
