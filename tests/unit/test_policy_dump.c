/* unotify_policy_to_json: the effective policy, as the daemon decides. */
#include <jansson.h>
#include <linux/audit.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "policy_helpers.h"

static json_t *dump(const struct unotify_policy *p)
{
        _cleanup_(freep) char *text = unotify_policy_to_json(p);
        json_error_t e;
        json_t *o;

        cr_assert_not_null(text);
        o = json_loads(text, JSON_REJECT_DUPLICATES, &e);
        cr_assert_not_null(o, "%s: %s", e.text, text);
        return o;
}

/* The JSON text of v, compact and with keys in order; malloc'ed. */
static char *compact(const json_t *v)
{
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

        cr_assert_not_null(s);
        return s;
}

static void assert_json(const json_t *v, const char *sq)
{
        _cleanup_(freep) char *got = compact(v), *expected = dq(sq);

        cr_assert_str_eq(got, expected);
}

#if defined(__x86_64__)
Test(dump, rules_numbers_values, .timeout = 60)
{
        struct unotify_policy *p = NULL;
        struct unotify_diags diags = {};
        json_t *o, *rules;

        cr_assert_eq(
                load_opts(
                        "{'name':'d','defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':'ENOENT','"
                        "syscalls':["
                        "{'names':['mkdir','mkdirat'],'action':'SCMP_ACT_ERRNO','errnoRet':'EROFS',"
                        "'args':[{'index':1,'value':'0xffffffffffffffff','op':'SCMP_CMP_NE'},"
                        "{'index':2,'value':'0xff','valueTwo':7,'op':'SCMP_CMP_MASKED_EQ'}]},"
                        "{'names':['openat'],'action':'UNOTIFY_ACT_EMULATE','handler':'open',"
                        "'handlerOptions':{'rewrite':[]},"
                        "'paths':[{'index':1,'dirfd':0,'prefix':'/etc'}],"
                        "'includes':{'caps':['CAP_SYS_ADMIN','CAP_CHOWN'],'arches':['amd64']},"
                        "'excludes':{'caps':['CAP_BPF']}},"
                        "{'names':['socket'],'action':'SCMP_ACT_LOG','includes':{'minKernel':'99.0'"
                        "}},"
                        "{'names':['connect'],'action':'UNOTIFY_ACT_RETURN','returnValue':-4096,"
                        "'args':[{'index':0,'value':3,'op':'SCMP_CMP_EQ'}]}]}",
                        NULL, &p, &diags),
                0);
        cr_assert_eq(diags.count, 1, "the connect rule's args on x86");
        unotify_diags_clear(&diags);
        o = dump(p);
        cr_assert_str_eq(json_string_value(json_object_get(o, "name")), "d");
        cr_assert_str_eq(json_string_value(json_object_get(o, "origin")), "test.json");
        assert_json(json_object_get(o, "defaultAction"), "'SCMP_ACT_ERRNO'");
        assert_json(json_object_get(o, "defaultErrnoRet"), "2");
        rules = json_object_get(o, "syscalls");
        cr_assert_eq(json_array_size(rules), 4);
        assert_json(json_array_get(rules, 0),
                    "{'from':{'policy':'d','origin':'test.json','pointer':'/syscalls/0'},"
                    "'names':['mkdir','mkdirat'],'action':'SCMP_ACT_ERRNO','errnoRet':30,"
                    "'args':[{'index':1,'value':'0xffffffffffffffff','op':'SCMP_CMP_NE'},"
                    "{'index':2,'value':255,'valueTwo':7,'op':'SCMP_CMP_MASKED_EQ'}],"
                    "'numbers':{'SCMP_ARCH_X86_64':[83,258],'SCMP_ARCH_X86':[39,296],"
                    "'SCMP_ARCH_X32':[1073741907,1073742082]}}");
        assert_json(json_array_get(rules, 1),
                    "{'from':{'policy':'d','origin':'test.json','pointer':'/syscalls/1'},"
                    "'names':['openat'],'action':'UNOTIFY_ACT_EMULATE','handler':'open',"
                    "'handlerOptions':{'rewrite':[]},"
                    "'paths':[{'index':1,'dirfd':0,'prefix':'/etc'}],"
                    "'includes':{'caps':['CAP_CHOWN','CAP_SYS_ADMIN']},"
                    "'excludes':{'caps':['CAP_BPF']},'numbers':{'SCMP_ARCH_X86_64':[257]}}");
        assert_json(json_object_get(json_array_get(rules, 2), "numbers"), "{}");
        assert_json(json_object_get(json_array_get(rules, 2), "action"), "'SCMP_ACT_LOG'");
        assert_json(json_array_get(rules, 3),
                    "{'from':{'policy':'d','origin':'test.json','pointer':'/syscalls/3'},"
                    "'names':['connect'],'action':'UNOTIFY_ACT_RETURN','returnValue':-4096,"
                    "'args':[{'index':0,'value':3,'op':'SCMP_CMP_EQ'}],"
                    "'numbers':{'SCMP_ARCH_X86_64':[42],"
                    "'SCMP_ARCH_X86':[{'nr':102,'socketcall':3,'conditions':'not checked: in "
                    "target memory'},362],"
                    "'SCMP_ARCH_X32':[1073741866]}}");
        /* The kernel decides mkdir by its arguments; socket's only rule
         * does not apply on this kernel, so defaultAction decides it, in
         * the kernel too. */
        assert_json(json_object_get(o, "notified"), "['connect','openat']");
        assert_json(json_object_get(o, "kernel"), "['mkdir','mkdirat']");
        assert_json(json_object_get(o, "why"),
                    "{'connect':'a rule returns a value (UNOTIFY_ACT_RETURN)',"
                    "'openat':'a rule has a path condition'}");
        cr_assert_eq(strlen(json_string_value(json_object_get(o, "digest"))), 16);
        json_decref(o);
        unotify_policy_unref(p);
}
#endif

TestSuite(dumpdir, .init = make_tmpdir, .fini = remove_tmpdir, .timeout = 60);

Test(dumpdir, includes_expanded)
{
        struct unotify_policy_set *s = NULL;
        _cleanup_(freep) char *base_origin = NULL;
        json_t *o, *rules;
        char digest[17];

        write_file("base.json", "{'name':'base','defaultAction':'SCMP_ACT_ALLOW','syscalls':["
                                "{'names':['bpf'],'action':'SCMP_ACT_KILL_PROCESS'}]}");
        write_file("app.json", "{'name':'app','include':['base'],'default':true,"
                               "'select':{'metadata':{'tier':'gold'},'annotations':{'a':'b*'},'"
                               "containerId':'c-*'},"
                               "'defaultAction':'SCMP_ACT_LOG','syscalls':[{'names':['umask'],"
                               "'action':'SCMP_ACT_ERRNO','errno':'EPERM'}]}");
        cr_assert_eq(unotify_policy_set_load_dir(tmpdir, &s, NULL), 0);
        o = dump(unotify_policy_set_find(s, "app"));
        assert_json(json_object_get(o, "include"), "['base']");
        assert_json(json_object_get(o, "select"),
                    "{'metadata':{'tier':'gold'},'annotations':{'a':'b*'},'containerId':'c-*'}");
        assert_json(json_object_get(o, "default"), "true");
        assert_json(json_object_get(o, "defaultAction"), "'SCMP_ACT_LOG'");
        cr_assert_null(json_object_get(o, "defaultErrnoRet"));
        rules = json_object_get(o, "syscalls");
        cr_assert_eq(json_array_size(rules), 2);
        base_origin = at_tmp("@/base.json");
        cr_assert_str_eq(json_string_value(json_object_get(
                                 json_object_get(json_array_get(rules, 0), "from"), "origin")),
                         base_origin);
        assert_json(json_object_get(json_object_get(json_array_get(rules, 0), "from"), "pointer"),
                    "'/syscalls/0'");
        assert_json(json_object_get(json_array_get(rules, 0), "action"), "'SCMP_ACT_KILL_PROCESS'");
        assert_json(json_object_get(json_object_get(json_array_get(rules, 1), "from"), "policy"),
                    "'app'");
        assert_json(json_object_get(json_array_get(rules, 1), "errnoRet"), "1");
        snprintf(digest, sizeof(digest), "%016llx",
                 (unsigned long long)unotify_policy_syscalls_digest(
                         unotify_policy_set_find(s, "app")));
        cr_assert_str_eq(json_string_value(json_object_get(o, "digest")), digest);
        json_decref(o);
        unotify_policy_set_free(s);
}

Test(dump, deny_all, .timeout = 60)
{
        struct unotify_policy *p = NULL;
        json_t *o;

        cr_assert_eq(unotify_policy_new_deny_all("(deny-all)", EACCES, &p), 0);
        o = dump(p);
        cr_assert_eq(strlen(json_string_value(json_object_get(o, "digest"))), 16);
        json_object_del(o, "digest");
        assert_json(o,
                    "{'name':'(deny-all)','origin':'(built-in)','defaultAction':'SCMP_ACT_ERRNO',"
                    "'defaultErrnoRet':13,'syscalls':[],'notified':[],'why':{},'kernel':[]}");
        json_decref(o);
        unotify_policy_unref(p);
}
