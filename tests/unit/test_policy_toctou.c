/* The loader's TOCTOU rule: a call whose decision read a path must not
 * end in CONTINUE, neither by the path rule itself (test_policy_paths.c)
 * nor by what a non-matching path falls through to. */
#include <stdio.h>
#include <string.h>

#include "policy_helpers.h"

#define POLICY(dflt, rules) "{'name':'p','defaultAction':'" dflt "','syscalls':[" rules "]}"
#define DENY_SHADOW(extra)                                                                     \
        "{'names':['openat'],'action':'SCMP_ACT_ERRNO','errnoRet':'EACCES'" extra ",'paths':[" \
        "{'index':1,'dirfd':0,'prefix':'/etc/shadow'}]}"
#define RULE(names, action, extra) "{'names':[" names "],'action':'" action "'" extra "}"
#define O_CREAT_SET ",'args':[{'index':2,'value':64,'valueTwo':64,'op':'SCMP_CMP_MASKED_EQ'}]"
#define O_CREAT_CLEAR ",'args':[{'index':2,'value':64,'valueTwo':0,'op':'SCMP_CMP_MASKED_EQ'}]"

struct toctou_case {
        const char *row;
        const char *json;
        const char *refused; /* NULL: loads; else the start of its first diagnostic */
        size_t more;         /* diagnostics after the first */
};

static const struct toctou_case cases[] = {
        { "default allows", POLICY("SCMP_ACT_ALLOW", DENY_SHADOW("")),
          "test.json: /syscalls/0: this rule decides openat by a path in the target's memory, "
          "and a call whose path does not match goes on to defaultAction (SCMP_ACT_ALLOW)" },
        { "default logs", POLICY("SCMP_ACT_LOG", DENY_SHADOW("")),
          "test.json: /syscalls/0: this rule decides openat by a path in the target's memory, "
          "and a call whose path does not match goes on to defaultAction (SCMP_ACT_LOG)" },
        { "a later rule allows",
          POLICY("SCMP_ACT_ERRNO", DENY_SHADOW("") "," RULE("'openat'", "SCMP_ACT_ALLOW", "")),
          "test.json: /syscalls/0: this rule decides openat by a path in the target's memory, "
          "and a call whose path does not match goes on to /syscalls/1 (SCMP_ACT_ALLOW)" },
        { "a later rule allows some of the same calls",
          POLICY("SCMP_ACT_ERRNO", DENY_SHADOW(O_CREAT_SET) "," RULE(
                                           "'openat'", "SCMP_ACT_ALLOW",
                                           ",'args':[{'index':3,'value':0,'op':'SCMP_CMP_EQ'}]")),
          "test.json: /syscalls/0: this rule decides openat by a path in the target's memory, "
          "and a call whose path does not match goes on to /syscalls/1 (SCMP_ACT_ALLOW)" },
        { "overlapping ranges",
          POLICY("SCMP_ACT_ERRNO",
                 DENY_SHADOW(",'args':[{'index':2,'value':10,'op':'SCMP_CMP_LT'}]") "," RULE(
                         "'openat'", "SCMP_ACT_ALLOW",
                         ",'args':[{'index':2,'value':5,'op':'SCMP_CMP_GE'}]")),
          "test.json: /syscalls/0: this rule decides openat by a path" },
        { "a second path rule falls through too",
          POLICY("SCMP_ACT_ALLOW",
                 DENY_SHADOW("") "," RULE("'openat'", "SCMP_ACT_ERRNO",
                                          ",'paths':[{'index':1,'dirfd':0,'prefix':'/"
                                          "root'}]") "," RULE("'mkdir'", "SCMP_ACT_ERRNO", "")),
          "test.json: /syscalls/0: this rule decides openat by a path in the target's memory, "
          "and a call whose path does not match goes on to defaultAction (SCMP_ACT_ALLOW)",
          1 },
        { "default denies", POLICY("SCMP_ACT_ERRNO", DENY_SHADOW("")), NULL },
        { "a later rule denies the rest",
          POLICY("SCMP_ACT_ALLOW", DENY_SHADOW("") "," RULE("'openat'", "SCMP_ACT_ERRNO", "")),
          NULL },
        { "a later rule emulates the rest",
          POLICY("SCMP_ACT_ALLOW",
                 DENY_SHADOW("") "," RULE("'openat'", "UNOTIFY_ACT_EMULATE",
                                          ",'handler':'open'") "," RULE("'openat'",
                                                                        "SCMP_ACT_ALLOW", "")),
          NULL },
        { "the same conditions catch the rest",
          POLICY("SCMP_ACT_ALLOW",
                 DENY_SHADOW(O_CREAT_SET) "," RULE("'openat'", "SCMP_ACT_ERRNO", O_CREAT_SET)),
          NULL },
        { "a later allow for other flags only",
          POLICY("SCMP_ACT_ERRNO",
                 DENY_SHADOW(O_CREAT_SET) "," RULE("'openat'", "SCMP_ACT_ALLOW", O_CREAT_CLEAR)),
          NULL },
        { "a later allow for another value only",
          POLICY("SCMP_ACT_ERRNO",
                 DENY_SHADOW(",'args':[{'index':0,'value':3,'op':'SCMP_CMP_EQ'}]") "," RULE(
                         "'openat'", "SCMP_ACT_ALLOW",
                         ",'args':[{'index':0,'value':3,'op':'SCMP_CMP_NE'}]")),
          NULL },
        { "disjoint ranges",
          POLICY("SCMP_ACT_ERRNO",
                 DENY_SHADOW(",'args':[{'index':2,'value':10,'op':'SCMP_CMP_LT'}]") "," RULE(
                         "'openat'", "SCMP_ACT_ALLOW",
                         ",'args':[{'index':2,'value':10,'op':'SCMP_CMP_GE'}]")),
          NULL },
        { "a later allow for other capabilities only",
          POLICY("SCMP_ACT_ERRNO",
                 DENY_SHADOW(",'includes':{'caps':['CAP_DAC_OVERRIDE']}") "," RULE(
                         "'openat'", "SCMP_ACT_ALLOW",
                         ",'excludes':{'caps':['CAP_DAC_OVERRIDE']}")),
          NULL },
        { "other syscalls may allow",
          POLICY("SCMP_ACT_ERRNO",
                 DENY_SHADOW("") "," RULE("'uname','getpid'", "SCMP_ACT_ALLOW", "")),
          NULL },
        { "a rule before the path rule may allow",
          POLICY("SCMP_ACT_ERRNO",
                 RULE("'openat'", "SCMP_ACT_ALLOW",
                      ",'args':[{'index':0,'value':3,'op':'SCMP_CMP_EQ'}]") "," DENY_SHADOW("")),
          NULL },
};

ROWS(toctou, fall_through, cases)

ParameterizedTest(size_t *row, toctou, fall_through, .timeout = 60)
{
        const struct toctou_case *c = &cases[*row];
        struct unotify_policy *p = NULL;
        struct unotify_diags diags = {};
        _cleanup_(freep) char *text = NULL;
        int r = load_opts(c->json, NULL, &p, &diags);

        text = diags_text(&diags);
        if (!c->refused) {
                cr_assert_eq(r, 0, "%s: refused: %s", c->row, text);
                cr_assert_eq(diags.count, 0, "%s: %s", c->row, text);
                unotify_policy_unref(p);
        } else {
                cr_assert_eq(r, -EINVAL, "%s: loaded", c->row);
                cr_assert_null(p);
                cr_assert_eq(unotify_diags_errors(&diags), 1 + c->more, "%s: %s", c->row, text);
                cr_assert_eq(strncmp(text, c->refused, strlen(c->refused)), 0,
                             "%s: got\n%s\nexpected\n%s...", c->row, text, c->refused);
        }
        unotify_diags_clear(&diags);
}

/* The whole message: what is wrong, why, and how to fix it. */
Test(toctou, message, .timeout = 60)
{
        assert_refused(
                POLICY("SCMP_ACT_ALLOW", RULE("'mkdir'", "SCMP_ACT_ERRNO", "") "," DENY_SHADOW("")),
                NULL,
                "test.json: /syscalls/1: this rule decides openat by a path in the target's "
                "memory, and a call whose path does not match goes on to defaultAction "
                "(SCMP_ACT_ALLOW): the kernel then reads the path again, after another thread of "
                "the target may have changed it (TOCTOU), so the rule would not hold. A call that "
                "reached a path rule must not end in CONTINUE: deny (SCMP_ACT_ERRNO) or emulate "
                "(UNOTIFY_ACT_EMULATE) the rest of openat instead, with a later rule without "
                "\"paths\" or with defaultAction (docs/policy.md, \"Deny by path\")");
}

/* A path rule that is safe in its own policy is not in one that includes
 * it and allows by default: the includer is refused, at its "include". */
Test(toctou, include, .timeout = 60)
{
        struct unotify_policy_set *s = NULL;
        struct unotify_diags diags = {};
        _cleanup_(freep) char *text = NULL, *expected = NULL;

        make_tmpdir();
        write_file("base.json",
                   "{'name':'base','defaultAction':'SCMP_ACT_ERRNO','syscalls':[" DENY_SHADOW(
                           "") "]}");
        write_file(
                "app.json",
                "{'name':'app','defaultAction':'SCMP_ACT_ALLOW','include':['base'],'syscalls':[]}");
        cr_assert_eq(unotify_policy_set_load_dir(tmpdir, &s, &diags), -EINVAL);
        cr_assert_null(s);
        text = diags_text(&diags);
        expected =
                at_tmp("@/app.json: /include: rule /syscalls/0 of included policy \"base\" "
                       "(@/base.json) decides openat by a path in the target's memory, and a "
                       "call whose path does not match goes on to defaultAction (SCMP_ACT_ALLOW)");
        cr_assert_eq(unotify_diags_errors(&diags), 1, "%s", text);
        cr_assert_eq(strncmp(text, expected, strlen(expected)), 0, "got\n%s\nexpected\n%s...", text,
                     expected);
        unotify_diags_clear(&diags);
        remove_tmpdir();
}
