/* Directories of policies: "include" (order, diamonds, cycles), "select"
 * and "default", and the load-time check that no two policies may select
 * the same listener. */
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "policy_helpers.h"
#include "unotify/filter.h"

TestSuite(set, .init = make_tmpdir, .fini = remove_tmpdir, .timeout = 60);

#define POLICY(name, rest) "{'name':'" name "','defaultAction':'SCMP_ACT_ALLOW'" rest "}"
#define DENY(names, err) "{'names':[" names "],'action':'SCMP_ACT_ERRNO','errnoRet':'" err "'}"

static struct unotify_policy_set *load_dir_ok(void)
{
        struct unotify_policy_set *s = NULL;
        struct unotify_diags diags = {};
        _cleanup_(freep) char *text = NULL;
        int r = unotify_policy_set_load_dir(tmpdir, &s, &diags);

        text = diags_text(&diags);
        cr_assert_eq(r, 0, "refused (%d): %s", r, text);
        cr_assert_eq(diags.count, 0, "%s", text);
        unotify_diags_clear(&diags);
        return s;
}

/* The diagnostics of a refused directory, with @ for its path. */
static void assert_dir_refused(const char *expected_at)
{
        struct unotify_policy_set *s = (struct unotify_policy_set *)0x1;
        struct unotify_diags diags = {};
        _cleanup_(freep) char *text = NULL, *expected = at_tmp(expected_at);

        cr_assert_eq(unotify_policy_set_load_dir(tmpdir, &s, &diags), -EINVAL);
        cr_assert_eq(s, (struct unotify_policy_set *)0x1);
        text = diags_text(&diags);
        cr_assert_str_eq(text, expected, "got\n%s\nexpected\n%s", text, expected);
        unotify_diags_clear(&diags);
}

static void assert_source(const struct unotify_policy *p, int rule, const char *name,
                          unsigned index)
{
        const char *policy = NULL, *origin = NULL;
        _cleanup_(freep) char *file = NULL;
        unsigned i = 99;

        cr_assert_eq(unotify_policy_rule_source(p, rule, &policy, &origin, &i), 0, "rule %d", rule);
        cr_assert_str_eq(policy, name, "rule %d", rule);
        cr_assert_eq(i, index, "rule %d", rule);
        cr_assert(asprintf(&file, "%s/%s.json", tmpdir, name) > 0);
        cr_assert_str_eq(origin, file);
}

/* ---- include ---------------------------------------------------------- */

Test(set, include_rules_come_first)
{
        struct unotify_policy_set *s;
        struct unotify_policy *app;
        struct unotify_decision d;
        size_t n;

        write_file("base.json",
                   "{'name':'base','defaultAction':'SCMP_ACT_KILL_PROCESS','syscalls':[" DENY(
                           "'mkdir'", "EPERM") "," DENY("'bpf'", "EPERM") "]}");
        write_file("app.json", POLICY("app", ",'include':['base','extra'],'syscalls':[" DENY(
                                                     "'mkdir','umask'", "EROFS") "]"));
        write_file("extra.json", POLICY("extra", ",'syscalls':[" DENY("'umask'", "EACCES") "]"));
        s = load_dir_ok();
        app = unotify_policy_set_find(s, "app");
        cr_assert_not_null(app);
        d = decide(app, native_arch(), SYS_mkdir, NULL);
        cr_assert(d.action == ERRNO && d.error == EPERM && d.rule == 0, "base's rule first");
        d = decide(app, native_arch(), SYS_umask, NULL);
        cr_assert(d.action == ERRNO && d.error == EACCES && d.rule == 2, "then extra's");
        /* app's defaultAction, not base's. */
        d = decide(app, native_arch(), SYS_getpid, NULL);
        cr_assert(d.action == CONTINUE && d.rule == -1);
        assert_source(app, 0, "base", 0);
        assert_source(app, 1, "base", 1);
        assert_source(app, 2, "extra", 0);
        assert_source(app, 3, "app", 0);
        cr_assert_eq(unotify_policy_rule_source(app, 4, NULL, NULL, NULL), -ENOENT);
        cr_assert_eq(unotify_policy_rule_source(app, -1, NULL, NULL, NULL), -ENOENT);
        /* The filter must decide what the included rules decide. */
        static const char *const expected[] = { "bpf", "mkdir", "umask" };
        const char *const *names = unotify_policy_syscalls(app, &n);
        cr_assert_eq(n, 3);
        for (size_t i = 0; i < n; i++) {
                cr_assert_str_eq(names[i], expected[i]);
                cr_assert_not_null(
                        unotify_kernel_plan_find(unotify_policy_kernel_plan(app), expected[i]));
        }
        cr_assert_eq(unotify_policy_syscalls_digest(app), unotify_policy_kernel_plan(app)->digest);
        /* base itself is unchanged. */
        d = decide(unotify_policy_set_find(s, "base"), native_arch(), SYS_getpid, NULL);
        cr_assert(d.action == UNOTIFY_ACTION_KILL_PROCESS);
        unotify_policy_set_free(s);
}

/* A diamond: d is included twice, its rules come once, before b's. */
Test(set, include_diamond)
{
        struct unotify_policy_set *s;
        struct unotify_policy *a;

        write_file("a.json",
                   POLICY("a", ",'include':['b','c'],'syscalls':[" DENY("'umask'", "EPERM") "]"));
        write_file("b.json",
                   POLICY("b", ",'include':['d'],'syscalls':[" DENY("'umask'", "EPERM") "]"));
        write_file("c.json",
                   POLICY("c", ",'include':['d'],'syscalls':[" DENY("'umask'", "EPERM") "]"));
        write_file("d.json", POLICY("d", ",'syscalls':[" DENY("'umask'", "ENOENT") "]"));
        s = load_dir_ok();
        a = unotify_policy_set_find(s, "a");
        assert_source(a, 0, "d", 0);
        assert_source(a, 1, "b", 0);
        assert_source(a, 2, "c", 0);
        assert_source(a, 3, "a", 0);
        cr_assert_eq(unotify_policy_rule_source(a, 4, NULL, NULL, NULL), -ENOENT);
        cr_assert_eq(decide(a, native_arch(), SYS_umask, NULL).error, ENOENT);
        unotify_policy_set_free(s);
}

Test(set, include_cycle)
{
        write_file("a.json", POLICY("a", ",'include':['b'],'syscalls':[]"));
        write_file("b.json", POLICY("b", ",'include':['c'],'syscalls':[]"));
        write_file("c.json", POLICY("c", ",'include':['d','a'],'syscalls':[]"));
        write_file("d.json", POLICY("d", ",'syscalls':[]"));
        write_file("e.json", POLICY("e", ",'include':['e'],'syscalls':[]"));
        write_file("f.json", POLICY("f", ",'include':['a'],'syscalls':[]"));
        assert_dir_refused("@/c.json: /include/1: include cycle: a -> b -> c -> a\n"
                           "@/e.json: /include/0: include cycle: e -> e");
}

Test(set, include_unknown_and_broken)
{
        write_file("a.json", POLICY("a", ",'include':['base','nope'],'syscalls':[]"));
        write_file("b.json",
                   POLICY("base", ",'syscalls':[{'names':['umask'],'action':'SCMP_ACT_"
                                  "ALLOW','args':[{'index':9,'value':1,'op':'SCMP_CMP_EQ'}]}]"));
        write_file("c.json", POLICY("c", ",'include':['base'],'syscalls':[]"));
        assert_dir_refused("@/b.json: /syscalls/0/args/0/index: \"index\" must be 0..5, got 9\n"
                           "@/a.json: /include/1: unknown policy \"nope\" (no file of this "
                           "directory has that name)");
}

Test(set, include_a_duplicate_name)
{
        write_file("a.json", POLICY("a", ",'include':['x'],'syscalls':[]"));
        write_file("x1.json", POLICY("x", ",'syscalls':[]"));
        write_file("x2.json", POLICY("x", ",'syscalls':[]"));
        assert_dir_refused("@/x2.json: /name: duplicate policy name \"x\" (already used by "
                           "@/x1.json)");
}

Test(set, include_alone_is_refused)
{
        struct unotify_policy *p = NULL;
        struct unotify_diags diags = {};
        _cleanup_(freep) char *text = NULL, *path = NULL, *expected = NULL;

        write_file("a.json", POLICY("a", ",'include':['b'],'syscalls':[]"));
        write_file("b.json", POLICY("b", ",'syscalls':[]"));
        cr_assert(asprintf(&path, "%s/a.json", tmpdir) > 0);
        cr_assert_eq(unotify_policy_load_file(path, &p, &diags), -EINVAL);
        text = diags_text(&diags);
        expected = at_tmp("@/a.json: /include: \"include\" needs the policy's directory: load the "
                          "directory, not the file alone");
        cr_assert_str_eq(text, expected);
        unotify_diags_clear(&diags);
}

/* ---- select ----------------------------------------------------------- */

#define SELECTING(name, select) POLICY(name, ",'select':" select ",'syscalls':[]")

static void assert_selects(const struct unotify_policy_set *s, const struct unotify_selector *sel,
                           const char *name, const char *why)
{
        struct unotify_policy *p = (struct unotify_policy *)0x1;
        char buf[256];
        int r = unotify_policy_set_select(s, sel, &p, buf, sizeof(buf));

        if (!name) {
                cr_assert_lt(r, 0, "selected %s", r == 0 ? unotify_policy_name(p) : "");
                cr_assert_eq(p, (struct unotify_policy *)0x1);
        } else {
                cr_assert_eq(r, 0, "%s", buf);
                cr_assert_str_eq(unotify_policy_name(p), name);
        }
        cr_assert_str_eq(buf, why);
}

Test(set, select_order)
{
        struct unotify_policy_set *s;
        struct unotify_annotation ann[] = { { "io.k8s.ns", "team-a" },
                                            { "tier", "x" },
                                            { "io.k8s.ns", "team-b" } };
        struct unotify_selector sel = { .fallback_name = "default" };

        write_file("gold.json", SELECTING("gold", "{'metadata':{'tier':'gold','zone':'eu'}}"));
        write_file("ns.json", SELECTING("ns", "{'annotations':{'io.k8s.ns':'team-*'},"
                                              "'metadata':{'tier':'silver'}}"));
        write_file("ci.json", SELECTING("ci", "{'containerId':'ci-*','metadata':{'tier':'ci'}}"));
        write_file("default.json", POLICY("default", ",'syscalls':[]"));
        s = load_dir_ok();

        assert_selects(s, &sel, "default",
                       "no policy selects this listener: the default policy \"default\"");
        assert_selects(s, NULL, NULL,
                       "no policy selects this listener, none has \"default\": true, and there "
                       "is no policy \"(none)\"");
        assert_selects(NULL, &sel, NULL, "no policies");
        sel.metadata = "zone=eu\ntier=gold\n";
        assert_selects(s, &sel, "gold", "selected by \"select\" of \"gold\"");
        sel.metadata = "policy=ci\nzone=eu\ntier=gold";
        assert_selects(s, &sel, "ci", "named by metadata");
        sel.metadata = "policy=nope\ntier=gold";
        assert_selects(s, &sel, NULL, "unknown policy \"nope\" (named by metadata)");
        /* Only the first line of a key counts. */
        sel.metadata = "zone=eu\ntier=silver\ntier=gold";
        assert_selects(s, &sel, "default",
                       "no policy selects this listener: the default policy \"default\"");
        sel.annotations = ann;
        sel.n_annotations = 3;
        assert_selects(s, &sel, "ns", "selected by \"select\" of \"ns\"");
        ann[0].value = "ops";
        assert_selects(s, &sel, "default",
                       "no policy selects this listener: the default policy \"default\"");
        sel.metadata = "tier=ci";
        sel.container_id = "ci-1234";
        assert_selects(s, &sel, "ci", "selected by \"select\" of \"ci\"");
        sel.container_id = "prod-ci-1";
        assert_selects(s, &sel, "default",
                       "no policy selects this listener: the default policy \"default\"");
        sel.fallback_name = "missing";
        assert_selects(s, &sel, NULL,
                       "no policy selects this listener, none has \"default\": true, and there "
                       "is no policy \"missing\"");
        sel.fallback_name = NULL;
        assert_selects(s, &sel, NULL,
                       "no policy selects this listener, none has \"default\": true, and there "
                       "is no policy \"(none)\"");
        unotify_policy_set_free(s);
}

Test(set, default_true_wins_over_fallback)
{
        struct unotify_policy_set *s;
        struct unotify_selector sel = { .fallback_name = "default", .container_id = "x" };

        write_file("a.json", POLICY("default", ",'syscalls':[]"));
        write_file("b.json", POLICY("strict", ",'default':true,'syscalls':[]"));
        write_file("c.json", POLICY("lax", ",'default':false,'syscalls':[]"));
        s = load_dir_ok();
        assert_selects(s, &sel, "strict",
                       "no policy selects this listener: the default (\"default\": true)");
        unotify_policy_set_free(s);
}

Test(set, two_defaults)
{
        write_file("a.json", POLICY("a", ",'default':true,'syscalls':[]"));
        write_file("b.json", POLICY("b", ",'syscalls':[]"));
        write_file("c.json", POLICY("c", ",'default':true,'syscalls':[]"));
        assert_dir_refused("@/c.json: /default: policy \"c\" is marked default, and so is \"a\" "
                           "(@/a.json): at most one may be");
}

struct overlap_case {
        const char *row;
        const char *a, *b; /* "select" objects */
        bool disjoint;
};

static const struct overlap_case overlap_cases[] = {
        { "same metadata", "{'metadata':{'tier':'gold'}}", "{'metadata':{'tier':'gold'}}", false },
        { "metadata values differ", "{'metadata':{'tier':'gold'}}",
          "{'metadata':{'tier':'silver'}}", true },
        { "different metadata keys", "{'metadata':{'tier':'gold'}}", "{'metadata':{'zone':'eu'}}",
          false },
        { "one key more", "{'metadata':{'tier':'gold'}}",
          "{'metadata':{'tier':'gold','zone':'eu'}}", false },
        { "differ on one of two keys", "{'metadata':{'tier':'gold','zone':'eu'}}",
          "{'metadata':{'zone':'us','tier':'gold'}}", true },
        { "metadata vs containerId", "{'metadata':{'tier':'gold'}}", "{'containerId':'x'}", false },
        { "literal ids differ", "{'containerId':'abc'}", "{'containerId':'abd'}", true },
        { "literal id, prefix of other", "{'containerId':'ab'}", "{'containerId':'abc'}", true },
        { "literal ids equal", "{'containerId':'abc'}", "{'containerId':'abc'}", false },
        { "prefixes differ", "{'containerId':'ci-*'}", "{'containerId':'prod-*'}", true },
        { "prefix of prefix", "{'containerId':'ci-*'}", "{'containerId':'ci-x*'}", false },
        { "suffixes differ", "{'containerId':'*-ci'}", "{'containerId':'*-prod'}", true },
        { "prefix vs suffix", "{'containerId':'ci-*'}", "{'containerId':'*-prod'}", false },
        { "literal vs glob that matches it", "{'containerId':'ci-1'}", "{'containerId':'ci-?'}",
          false },
        { "literal vs glob that cannot", "{'containerId':'ci-1'}", "{'containerId':'cd-?'}", true },
        { "bracket ends", "{'containerId':'a[0-9]'}", "{'containerId':'a[a-z]'}", false },
        { "suffix after bracket", "{'containerId':'[ab]-x'}", "{'containerId':'[ab]-y'}", true },
        { "star matches all", "{'containerId':'*'}", "{'containerId':'anything'}", false },
        { "annotation globs differ", "{'annotations':{'ns':'team-*'}}",
          "{'annotations':{'ns':'ops-*'}}", true },
        { "annotation keys differ", "{'annotations':{'ns':'team-*'}}",
          "{'annotations':{'app':'ops-*'}}", false },
        { "escape is not literal", "{'containerId':'a\\\\*'}", "{'containerId':'a\\\\?'}", false },
};

ROWS(set, overlap, overlap_cases)

ParameterizedTest(size_t *row, set, overlap, .timeout = 60)
{
        const struct overlap_case *c = &overlap_cases[*row];
        _cleanup_(freep) char *a = NULL, *b = NULL;

        cr_log_info("%s", c->row);
        cr_assert_gt(asprintf(&a, SELECTING("a", "%s"), c->a), 0);
        cr_assert_gt(asprintf(&b, SELECTING("b", "%s"), c->b), 0);
        write_file("a.json", a);
        write_file("b.json", b);
        if (c->disjoint) {
                unotify_policy_set_free(load_dir_ok());
                return;
        }
        assert_dir_refused("@/b.json: /select: policies \"a\" (@/a.json) and \"b\" may both select "
                           "the same listener: give both the same metadata key with different "
                           "values, or annotation or containerId globs whose fixed beginnings or "
                           "ends differ");
}

/* Globs are matched with fnmatch(3) without flags. */
Test(set, select_globs)
{
        struct unotify_policy_set *s;
        struct unotify_selector sel = {};

        write_file("a.json", SELECTING("a", "{'containerId':'ci/*'}"));
        write_file("b.json", SELECTING("b", "{'containerId':'7*[0-9]'}"));
        s = load_dir_ok();
        sel.container_id = "ci/x/y";
        assert_selects(s, &sel, "a", "selected by \"select\" of \"a\"");
        sel.container_id = "7f3a9";
        assert_selects(s, &sel, "b", "selected by \"select\" of \"b\"");
        sel.container_id = NULL;
        assert_selects(s, &sel, NULL,
                       "no policy selects this listener, none has \"default\": true, and there "
                       "is no policy \"(none)\"");
        unotify_policy_set_free(s);
}

struct bad_case {
        const char *row;
        const char *json;
        const char *diags;
};

static const struct bad_case bad_cases[] = {
        { "include a string", POLICY("x", ",'include':'base','syscalls':[]"),
          "test.json: /include: expected an array of policy names, got a string" },
        { "include empty", POLICY("x", ",'include':[],'syscalls':[]"),
          "test.json: /include: expected at least one policy name, got an empty array" },
        { "include twice", POLICY("x", ",'include':['a','b','a'],'syscalls':[]"),
          "test.json: /include/2: policy \"a\" is already included" },
        { "include a number", POLICY("x", ",'include':[1],'syscalls':[]"),
          "test.json: /include/0: expected a policy name (a string), got an integer" },
        { "select an array", POLICY("x", ",'select':[],'syscalls':[]"),
          "test.json: /select: expected an object with metadata, annotations or containerId, got "
          "an array" },
        { "select empty", POLICY("x", ",'select':{},'syscalls':[]"),
          "test.json: /select: expected at least one of metadata, annotations, containerId" },
        { "select comment only", POLICY("x", ",'select':{'comment':'c'},'syscalls':[]"),
          "test.json: /select: expected at least one of metadata, annotations, containerId" },
        { "select unknown key", POLICY("x", ",'select':{'id':'x','containerId':'x'},'syscalls':[]"),
          "test.json: /select: unknown key \"id\" (expected one of metadata, annotations, "
          "containerId, comment)" },
        { "metadata policy", POLICY("x", ",'select':{'metadata':{'policy':'x'}},'syscalls':[]"),
          "test.json: /select/metadata: \"policy\" cannot be selected on: a listener whose "
          "metadata names a policy gets that policy by name" },
        { "metadata empty", POLICY("x", ",'select':{'metadata':{}},'syscalls':[]"),
          "test.json: /select/metadata: expected at least one \"KEY\": \"VALUE\" pair, got an "
          "empty object" },
        { "metadata an array", POLICY("x", ",'select':{'metadata':['a=b']},'syscalls':[]"),
          "test.json: /select/metadata: expected an object of \"KEY\": \"VALUE\" pairs, got an "
          "array" },
        { "metadata value a number", POLICY("x", ",'select':{'metadata':{'n':1}},'syscalls':[]"),
          "test.json: /select/metadata: expected a string for \"n\", got an integer" },
        { "metadata key with =", POLICY("x", ",'select':{'metadata':{'a=b':'c'}},'syscalls':[]"),
          "test.json: /select/metadata: invalid key \"a=b\" (expected a non-empty key without "
          "\"=\" or newlines)" },
        { "metadata empty key", POLICY("x", ",'select':{'metadata':{'':'c'}},'syscalls':[]"),
          "test.json: /select/metadata: invalid key \"\" (expected a non-empty key without \"=\" "
          "or newlines)" },
        { "metadata value with newline",
          POLICY("x", ",'select':{'metadata':{'a':'b\\nc'}},'syscalls':[]"),
          "test.json: /select/metadata: the value of \"a\" contains a newline" },
        { "annotations empty", POLICY("x", ",'select':{'annotations':{}},'syscalls':[]"),
          "test.json: /select/annotations: expected at least one \"KEY\": \"GLOB\" pair, got an "
          "empty object" },
        { "annotation value an object",
          POLICY("x", ",'select':{'annotations':{'a':{}}},'syscalls':[]"),
          "test.json: /select/annotations: expected a string for \"a\", got an object" },
        { "containerId empty", POLICY("x", ",'select':{'containerId':''},'syscalls':[]"),
          "test.json: /select/containerId: expected a glob such as \"ci-*\", got \"\"" },
        { "containerId a number", POLICY("x", ",'select':{'containerId':3},'syscalls':[]"),
          "test.json: /select/containerId: expected a glob (a string), got an integer" },
        { "default a string", POLICY("x", ",'default':'yes','syscalls':[]"),
          "test.json: /default: expected true or false, got a string" },
};

ROWS(set, bad, bad_cases)

ParameterizedTest(size_t *row, set, bad, .timeout = 60)
{
        const struct bad_case *c = &bad_cases[*row];

        cr_log_info("%s", c->row);
        assert_refused(c->json, NULL, c->diags);
}

/* ---- the shipped examples --------------------------------------------- */

#define EXAMPLES UNOTIFY_SOURCE_DIR "/policy/examples"

static struct unotify_policy_set *load_examples(const struct unotify_load_options *o)
{
        struct unotify_policy_set *s = NULL;
        struct unotify_diags diags = {};
        _cleanup_(freep) char *text = NULL;
        int r = unotify_policy_set_load_dir_full(EXAMPLES, o, &s, &diags);

        text = diags_text(&diags);
        cr_assert_eq(r, 0, "%s", text);
        cr_assert_eq(diags.count, 0, "not even a warning: %s", text);
        unotify_diags_clear(&diags);
        return s;
}

/* Strict too: the examples are what admins copy. */
Test(examples, all_load_together_strictly, .timeout = 60)
{
        const struct unotify_load_options strict = { .strict = true, .kernel_release = "6.1.0" };
        struct unotify_policy_set *s = load_examples(&strict);
        static const char *const names[] = { "audit",           "container-hardening",
                                             "default",         "demo",
                                             "deny-mkdir",      "emulate",
                                             "learn-container", "unprivileged-container" };

        cr_assert_eq(unotify_policy_set_count(s), ELEMENTSOF(names));
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                cr_assert_str_eq(unotify_policy_name(unotify_policy_set_at(s, i)), names[i]);
        unotify_policy_set_free(s);
}

Test(examples, container_hardening, .timeout = 60)
{
        struct unotify_policy_set *s = load_examples(NULL);
        struct unotify_policy *p = unotify_policy_set_find(s, "container-hardening");
        const uint64_t chr[6] = { 0, 020600, 0x101 }, blk[6] = { 0, 060600 },
                       fifo[6] = { 0, 010600 }, at_chr[6] = { (uint64_t)-100, 0, 020666 };
        struct unotify_decision d;

        cr_assert_not_null(p);
        cr_assert_not(unotify_policy_needs_target_view(p));
        d = decide(p, native_arch(), SYS_mknodat, at_chr);
        cr_assert(d.action == ERRNO && d.error == EPERM && d.rule == 2);
        d = decide(p, native_arch(), SYS_mknodat, fifo);
        cr_assert(d.action == CONTINUE && d.rule == -1, "mknodat's mode is argument 2");
#if defined(SYS_mknod)
        d = decide(p, native_arch(), SYS_mknod, chr);
        cr_assert(d.action == ERRNO && d.error == EPERM && d.rule == 0);
        d = decide(p, native_arch(), SYS_mknod, blk);
        cr_assert(d.action == ERRNO && d.rule == 1);
        d = decide(p, native_arch(), SYS_mknod, fifo);
        cr_assert(d.action == CONTINUE && d.rule == -1);
#endif
        static const int denied[] = { SYS_mount,      SYS_umount2,      SYS_bpf,
                                      SYS_kexec_load, SYS_finit_module, SYS_open_by_handle_at,
                                      SYS_fsopen,     SYS_clock_settime };

        for (size_t i = 0; i < ELEMENTSOF(denied); i++) {
                d = decide(p, native_arch(), denied[i], NULL);
                cr_assert(d.action == ERRNO && d.error == EPERM, "nr %d", denied[i]);
        }
        d = decide(p, native_arch(), SYS_getpid, NULL);
        cr_assert(d.action == CONTINUE);
        unotify_policy_set_free(s);
}

Test(examples, audit_logs_everything, .timeout = 60)
{
        struct unotify_policy_set *s = load_examples(NULL);
        struct unotify_policy *p = unotify_policy_set_find(s, "audit");
        static const int nrs[] = { SYS_execve,  SYS_setuid, SYS_mount, SYS_unlinkat,
                                   SYS_connect, SYS_bpf,    SYS_getpid };
        size_t n;
        const char *const *names = unotify_policy_syscalls(p, &n);

        for (size_t i = 0; i < ELEMENTSOF(nrs); i++) {
                struct unotify_decision d = decide(p, native_arch(), nrs[i], NULL);

                cr_assert(d.action == CONTINUE && d.log, "nr %d", nrs[i]);
        }
        cr_assert_gt(n, 80);
        for (size_t i = 0; i < n; i++)
                cr_assert(strcmp(names[i], "read") && strcmp(names[i], "write") &&
                                  strcmp(names[i], "close") && strcmp(names[i], "fcntl") &&
                                  strcmp(names[i], "sendmsg"),
                          "%s", names[i]);
        unotify_policy_set_free(s);
}

Test(examples, selection, .timeout = 60)
{
        struct unotify_policy_set *s = load_examples(NULL);
        struct unotify_selector sel = { .fallback_name = "default" };
        struct unotify_policy *p = NULL;

        sel.metadata = "unotify.profile=hardened";
        cr_assert_eq(unotify_policy_set_select(s, &sel, &p, NULL, 0), 0);
        cr_assert_str_eq(unotify_policy_name(p), "container-hardening");
        sel.metadata = "unotify.profile=audit\npolicy=demo";
        cr_assert_eq(unotify_policy_set_select(s, &sel, &p, NULL, 0), 0);
        cr_assert_str_eq(unotify_policy_name(p), "demo");
        sel.metadata = "unotify.profile=audit";
        cr_assert_eq(unotify_policy_set_select(s, &sel, &p, NULL, 0), 0);
        cr_assert_str_eq(unotify_policy_name(p), "audit");
        sel.metadata = NULL;
        cr_assert_eq(unotify_policy_set_select(s, &sel, &p, NULL, 0), 0);
        cr_assert_str_eq(unotify_policy_name(p), "default");
        unotify_policy_set_free(s);
}
