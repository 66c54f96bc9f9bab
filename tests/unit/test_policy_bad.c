/* The policy library's diagnostics: every bad policy refused with the
 * exact messages, loader limits, and how diagnostics are formatted. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/audit.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "policy_fixtures.h"
#include "policy_helpers.h"
#include "unotify/filter.h"

/* Through unotify_policy_load_buffer (no options), as the library's
 * plain loader. */
static int load(const char *sq, struct unotify_policy **ret, struct unotify_diags *diags)
{
        _cleanup_(freep) char *json = dq(sq);

        return unotify_policy_load_buffer(json, strlen(json), "test.json", ret, diags);
}

/* ---- diagnostics of bad policies -------------------------------------- */

#define HEAD "'name':'bad','defaultAction':'SCMP_ACT_ALLOW'"
#define ACTIONS                                                                 \
        "SCMP_ACT_ALLOW, SCMP_ACT_LOG, SCMP_ACT_ERRNO, SCMP_ACT_KILL_PROCESS, " \
        "SCMP_ACT_KILL_THREAD, "                                                \
        "SCMP_ACT_KILL, UNOTIFY_ACT_RETURN, UNOTIFY_ACT_EMULATE"
/* A policy whose only rule is R. */
#define RULE(r) "{" HEAD ",'syscalls':[" r "]}"
/* A policy whose only rule has the only condition C. */
#define ARG(c) RULE("{'names':['umask'],'action':'SCMP_ACT_ERRNO','args':[" c "]}")

struct bad_case {
        const char *row;
        const char *json;
        const char *diags; /* every diagnostic, formatted, one per line */
};

static const struct bad_case bad_cases[] = {
        { "learn: defaultAction must let the call run",
          "{'name':'bad','defaultAction':'SCMP_ACT_ERRNO','learn':{}}",
          "test.json: /learn: a policy that learns lets every call it records run: its "
          "defaultAction must be SCMP_ACT_ALLOW" },
        { "learn: limits out of range, unknown key, not an object",
          "{" HEAD ",'learn':{'pathDepth':0,'maxPaths':'many','maxVlaues':3}}",
          "test.json: /learn: unknown key \"maxVlaues\" (did you mean \"maxValues\"?)\n"
          "test.json: /learn/pathDepth: expected 1..16, got 0\n"
          "test.json: /learn/maxPaths: expected an integer 1..65536, got a string" },
        { "learn: not an object", "{" HEAD ",'learn':true}",
          "test.json: /learn: expected an object ({} for the defaults), got true" },
        { "unknown key at top level, close to a known one", "{" HEAD ",'syscalls':[],'nmae':'x'}",
          "test.json: unknown key \"nmae\" (did you mean \"name\"?)" },
        { "unknown key at top level", "{" HEAD ",'syscalls':[],'seccomp':[]}",
          "test.json: unknown key \"seccomp\" (expected one of name, comment, defaultAction, "
          "defaultErrnoRet, syscalls, include, select, default, defaultErrno, archMap, "
          "architectures, flags, listenerPath, listenerMetadata, landlock, learn)" },
        { "unknown key in a rule", RULE("{'nmaes':['umask'],'action':'SCMP_ACT_ALLOW'}"),
          "test.json: /syscalls/0: unknown key \"nmaes\" (did you mean \"names\"?)\n"
          "test.json: /syscalls/0: missing required key \"names\"" },
        { "unknown key in an arg", ARG("{'index':0,'value':1,'op':'SCMP_CMP_EQ','vlaueTwo':2}"),
          "test.json: /syscalls/0/args/0: unknown key \"vlaueTwo\" (did you mean \"valueTwo\"?)" },
        { "unknown key in an arg, far from any",
          ARG("{'index':0,'value':1,'op':'SCMP_CMP_EQ','mask':2}"),
          "test.json: /syscalls/0/args/0: unknown key \"mask\" (expected one of index, value, "
          "valueTwo, op, comment)" },
        { "missing defaultAction", "{'name':'x','syscalls':[]}",
          "test.json: missing required key \"defaultAction\"" },
        { "missing syscalls", "{" HEAD "}", "test.json: missing required key \"syscalls\"" },
        { "missing action", RULE("{'names':['umask']}"),
          "test.json: /syscalls/0: missing required key \"action\"" },
        { "missing index, value, op", ARG("{}"),
          "test.json: /syscalls/0/args/0: missing required key \"index\"\n"
          "test.json: /syscalls/0/args/0: missing required key \"value\"\n"
          "test.json: /syscalls/0/args/0: missing required key \"op\"" },
        { "bad name chars", "{'name':'deny mkdir!','defaultAction':'SCMP_ACT_ALLOW','syscalls':[]}",
          "test.json: /name: invalid name \"deny mkdir!\" (expected only A-Z a-z 0-9 . _ -)" },
        { "empty name", "{'name':'','defaultAction':'SCMP_ACT_ALLOW','syscalls':[]}",
          "test.json: /name: expected 1..63 characters, got 0" },
        { "name too long",
          "{'name':'0123456789012345678901234567890123456789012345678901234567890123',"
          "'defaultAction':'SCMP_ACT_ALLOW','syscalls':[]}",
          "test.json: /name: expected 1..63 characters, got 64" },
        { "name not a string", "{'name':7,'defaultAction':'SCMP_ACT_ALLOW','syscalls':[]}",
          "test.json: /name: expected a string, got an integer" },
        { "unsupported action", RULE("{'names':['umask'],'action':'SCMP_ACT_TRACE'}"),
          "test.json: /syscalls/0/action: unsupported action \"SCMP_ACT_TRACE\" (the supervisor is "
          "not the target's tracer; expected one of " ACTIONS ")" },
        { "unsupported defaultAction",
          "{'name':'x','defaultAction':'UNOTIFY_ACT_RETURN','syscalls':[]}",
          "test.json: /defaultAction: \"UNOTIFY_ACT_RETURN\" cannot be the defaultAction (it needs "
          "a "
          "rule of its own)" },
        { "action not a string", RULE("{'names':['umask'],'action':1}"),
          "test.json: /syscalls/0/action: expected an action such as \"SCMP_ACT_ERRNO\", got an "
          "integer" },
        { "unknown op", ARG("{'index':0,'value':1,'op':'SCMP_CMP_EQQ'}"),
          "test.json: /syscalls/0/args/0/op: unknown op \"SCMP_CMP_EQQ\" (expected one of "
          "SCMP_CMP_NE, "
          "SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ)" },
        { "index too big", ARG("{'index':7,'value':1,'op':'SCMP_CMP_EQ'}"),
          "test.json: /syscalls/0/args/0/index: \"index\" must be 0..5, got 7" },
        { "index negative", ARG("{'index':-1,'value':1,'op':'SCMP_CMP_EQ'}"),
          "test.json: /syscalls/0/args/0/index: \"index\" must be 0..5, got -1" },
        { "index a string", ARG("{'index':'0','value':1,'op':'SCMP_CMP_EQ'}"),
          "test.json: /syscalls/0/args/0/index: expected an integer 0..5, got a string" },
        { "bad errno name",
          RULE("{'names':['umask'],'action':'SCMP_ACT_ERRNO','errnoRet':'EPREM'}"),
          "test.json: /syscalls/0/errnoRet: unknown errno name \"EPREM\" (expected a name such as "
          "\"EPERM\", "
          "or a number 1..4095)" },
        { "errno 0", RULE("{'names':['umask'],'action':'SCMP_ACT_ERRNO','errnoRet':0}"),
          "test.json: /syscalls/0/errnoRet: \"errnoRet\" must be 1..4095, got 0" },
        { "errno 4096", RULE("{'names':['umask'],'action':'SCMP_ACT_ERRNO','errnoRet':4096}"),
          "test.json: /syscalls/0/errnoRet: \"errnoRet\" must be 1..4095, got 4096" },
        { "errno real", RULE("{'names':['umask'],'action':'SCMP_ACT_ERRNO','errnoRet':1.0}"),
          "test.json: /syscalls/0/errnoRet: expected an errno name or number, got a real number" },
        { "defaultErrnoRet out of range",
          "{'name':'x','defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':-1,"
          "'syscalls':[]}",
          "test.json: /defaultErrnoRet: \"defaultErrnoRet\" must be 1..4095, got -1" },
        { "errnoRet on ALLOW",
          RULE("{'names':['umask'],'action':'SCMP_ACT_ALLOW','errnoRet':'EPERM'}"),
          "test.json: /syscalls/0/errnoRet: \"errnoRet\" is only valid with SCMP_ACT_ERRNO, not "
          "SCMP_ACT_ALLOW" },
        { "defaultErrnoRet on ALLOW", "{" HEAD ",'defaultErrnoRet':1,'syscalls':[]}",
          "test.json: /defaultErrnoRet: \"defaultErrnoRet\" is only valid with SCMP_ACT_ERRNO, not "
          "SCMP_ACT_ALLOW" },
        { "empty names", RULE("{'names':[],'action':'SCMP_ACT_ALLOW'}"),
          "test.json: /syscalls/0/names: expected at least one syscall name, got an empty array" },
        { "names a string", RULE("{'names':'umask','action':'SCMP_ACT_ALLOW'}"),
          "test.json: /syscalls/0/names: expected an array of syscall names, got a string" },
        { "name not a string", RULE("{'names':['umask',null],'action':'SCMP_ACT_ALLOW'}"),
          "test.json: /syscalls/0/names/1: expected a syscall name (a string), got null" },
        { "syscalls an object", "{" HEAD ",'syscalls':{}}",
          "test.json: /syscalls: expected an array of rules, got an object" },
        { "rule not an object", RULE("'umask'"),
          "test.json: /syscalls/0: expected an object (a rule), got a string" },
        { "args an object", RULE("{'names':['umask'],'action':'SCMP_ACT_ALLOW','args':{}}"),
          "test.json: /syscalls/0/args: expected an array of conditions, got an object" },
        { "arg not an object", ARG("[]"),
          "test.json: /syscalls/0/args/0: expected an object (a condition), got an array" },
        { "too many args",
          ARG("{'index':0,'value':0,'op':'SCMP_CMP_GE'},{'index':0,'value':0,'op':'SCMP_CMP_GE'},"
              "{'index':0,'value':0,'op':'SCMP_CMP_GE'},{'index':0,'value':0,'op':'SCMP_CMP_GE'},"
              "{'index':0,'value':0,'op':'SCMP_CMP_GE'},{'index':0,'value':0,'op':'SCMP_CMP_GE'},"
              "{'index':0,'value':0,'op':'SCMP_CMP_GE'}"),
          "test.json: /syscalls/0/args: expected at most 6 conditions, got 7" },
        { "value decimal string", ARG("{'index':0,'value':'12','op':'SCMP_CMP_EQ'}"),
          "test.json: /syscalls/0/args/0/value: invalid value \"12\" (expected an integer, or "
          "\"0x\" and 1..16 "
          "hex digits)" },
        { "value 17 hex digits",
          ARG("{'index':0,'value':'0x1ffffffffffffffff','op':'SCMP_CMP_EQ'}"),
          "test.json: /syscalls/0/args/0/value: invalid value \"0x1ffffffffffffffff\" (expected an "
          "integer, or "
          "\"0x\" and 1..16 hex digits)" },
        { "value bare 0x", ARG("{'index':0,'value':'0x','op':'SCMP_CMP_EQ'}"),
          "test.json: /syscalls/0/args/0/value: invalid value \"0x\" (expected an integer, or "
          "\"0x\" and 1..16 "
          "hex digits)" },
        { "value real", ARG("{'index':0,'value':1.5,'op':'SCMP_CMP_EQ'}"),
          "test.json: /syscalls/0/args/0/value: expected an integer or a \"0x...\" string, got a "
          "real number" },
        { "valueTwo with EQ", ARG("{'index':0,'value':1,'valueTwo':2,'op':'SCMP_CMP_EQ'}"),
          "test.json: /syscalls/0/args/0/valueTwo: \"valueTwo\" is only used by "
          "SCMP_CMP_MASKED_EQ, not by "
          "SCMP_CMP_EQ" },
        { "comment a number", "{" HEAD ",'syscalls':[],'comment':1}",
          "test.json: /comment: expected a string, got an integer" },
        { "policy an array", "[]", "test.json: expected an object (a policy), got an array" },
        { "duplicate key", "{'name':'a',\n 'name':'b'," HEAD ",'syscalls':[]}",
          "test.json:2:7: duplicate object key near '\"name\"'" },
        { "not JSON", "nope", "test.json:1:4: '[' or '{' expected near 'nope'" },
        { "trailing comma", "{" HEAD ",'syscalls':[],}",
          "test.json:1:62: string or '}' expected near '}'" },
        { "integer too big", ARG("{'index':0,'value':18446744073709551615,'op':'SCMP_CMP_EQ'}"),
          "test.json:1:151: too big integer near '18446744073709551615' (write values above "
          "9223372036854775807 as \"0x...\" strings)" },
        { "every error of a file, in document order",
          "{'name':'a b','defaultAction':'SCMP_ACT_TRAP','syscalls':["
          "{'names':['mkdri'],'action':'SCMP_ACT_ERRNO','errnoRet':'EPREM'},"
          "{'names':['umask'],'action':'SCMP_ACT_ALLOW','args':[{'index':9,'value':1,'op':'EQ'}]}]"
          "}",
          "test.json: /name: invalid name \"a b\" (expected only A-Z a-z 0-9 . _ -)\n"
          "test.json: /defaultAction: unsupported action \"SCMP_ACT_TRAP\" (the supervisor cannot "
          "make "
          "the kernel send SIGSYS; expected one of " ACTIONS ")\n"
          "test.json: /syscalls/0/names/0: warning: unknown syscall \"mkdri\" skipped (did you "
          "mean "
          "\"mkdir\"?)\n"
          "test.json: /syscalls/0/errnoRet: unknown errno name \"EPREM\" (expected a name such as "
          "\"EPERM\", or "
          "a number 1..4095)\n"
          "test.json: /syscalls/1/args/0/index: \"index\" must be 0..5, got 9\n"
          "test.json: /syscalls/1/args/0/op: unknown op \"EQ\" (expected one of SCMP_CMP_NE, "
          "SCMP_CMP_LT, "
          "SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ)" },
};

ROWS(bad, policies, bad_cases)

ParameterizedTest(size_t *row, bad, policies, .timeout = 60)
{
        const struct bad_case *c = &bad_cases[*row];
        struct unotify_policy *p = (struct unotify_policy *)0x1;
        struct unotify_diags diags = {};
        _cleanup_(freep) char *text = NULL;

        cr_assert_eq(load(c->json, &p, &diags), -EINVAL, "%s: accepted", c->row);
        cr_assert_eq(p, (struct unotify_policy *)0x1, "%s: ret must be untouched on failure",
                     c->row);
        text = diags_text(&diags);
        cr_assert_str_eq(text, c->diags, "%s: got\n%s\nexpected\n%s", c->row, text, c->diags);
        unotify_diags_clear(&diags);
        cr_assert_eq(diags.count, 0);
        cr_assert_null(diags.items);
        /* The same verdict without anyone to tell. */
        cr_assert_eq(load(c->json, &p, NULL), -EINVAL, "%s: accepted without diags", c->row);
}

Test(bad, buffer_too_large, .timeout = 60)
{
        size_t len = UNOTIFY_POLICY_MAX_FILE_SIZE + 1;
        _cleanup_(freep) char *buf = malloc(len);
        struct unotify_diags diags = {};
        struct unotify_policy *p = NULL;
        _cleanup_(freep) char *text = NULL;

        cr_assert_not_null(buf);
        memset(buf, ' ', len);
        cr_assert_eq(unotify_policy_load_buffer(buf, len, "big.json", &p, &diags), -EINVAL);
        text = diags_text(&diags);
        cr_assert_str_eq(text, "big.json: file is larger than 1048576 bytes");
        unotify_diags_clear(&diags);
}

Test(bad, null_origin_and_valid_comment, .timeout = 60)
{
        const char *json = "{\"name\":\"x\",\"comment\":\"why\",\"defaultAction\":\"SCMP_ACT_"
                           "ALLOW\",\"syscalls\":[]}";
        struct unotify_policy *p = NULL;

        cr_assert_eq(unotify_policy_load_buffer(json, strlen(json), NULL, &p, NULL), 0);
        cr_assert_str_eq(unotify_policy_origin(p), "<buffer>");
        unotify_policy_unref(p);
}

/* Every unknown name is reported; only the first 16 get a suggestion, so
 * that a file full of garbage cannot stall a reload. */
Test(bad, many_unknown_syscalls, .timeout = 120)
{
        struct unotify_diags diags = {};
        struct unotify_policy *p = NULL;
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        char line[256];

        cr_assert_not_null(f);
        fputs("{" HEAD ",'syscalls':[", f);
        for (int i = 0; i < 20; i++)
                fprintf(f, "{'names':['mkdri'],'action':'SCMP_ACT_ALLOW'},");
        fputs("{'names':[", f);
        for (int i = 0; i < 1000; i++)
                fprintf(f, "%s'nosuch%d'", i ? "," : "", i);
        fputs("],'action':'SCMP_ACT_ALLOW'}]}", f);
        cr_assert_eq(fclose(f), 0);

        /* Skipped with a warning, as runtimes do: once per name. */
        cr_assert_eq(load(text, &p, &diags), 0);
        free(text);
        cr_assert_eq(diags.count, 1001);
        unotify_diag_format(&diags.items[0], line, sizeof(line));
        cr_assert_str_eq(line, "test.json: /syscalls/0/names/0: warning: unknown syscall \"mkdri\" "
                               "skipped (did you mean \"mkdir\"?)");
        unotify_diag_format(&diags.items[1000], line, sizeof(line));
        cr_assert_str_eq(line, "test.json: /syscalls/20/names/999: warning: unknown syscall "
                               "\"nosuch999\" skipped (newer than this libseccomp?)");
        unotify_diags_clear(&diags);
        unotify_policy_unref(p);
}

/* ---- diag formatting -------------------------------------------------- */

Test(diag, format, .timeout = 60)
{
        struct unotify_diag syntax = {
                .file = "a.json", .line = 3, .column = 9, .message = "boom"
        };
        struct unotify_diag semantic = { .file = "a.json",
                                         .pointer = "/syscalls/3/args/0/op",
                                         .message = "bad" };
        struct unotify_diag root = { .file = "a.json", .pointer = "", .message = "missing" };
        struct unotify_diag bare = { .message = "huh" };
        char buf[64], tiny[8];

        unotify_diag_format(&syntax, buf, sizeof(buf));
        cr_assert_str_eq(buf, "a.json:3:9: boom");
        unotify_diag_format(&semantic, buf, sizeof(buf));
        cr_assert_str_eq(buf, "a.json: /syscalls/3/args/0/op: bad");
        unotify_diag_format(&root, buf, sizeof(buf));
        cr_assert_str_eq(buf, "a.json: missing");
        unotify_diag_format(&bare, buf, sizeof(buf));
        cr_assert_str_eq(buf, "(unknown): huh");
        unotify_diag_format(&semantic, tiny, sizeof(tiny));
        cr_assert_str_eq(tiny, "a.json:");
}

Test(diag, clear_accepts_null_and_empty, .timeout = 60)
{
        struct unotify_diags empty = {};

        unotify_diags_clear(NULL);
        unotify_diags_clear(&empty);
        cr_assert_eq(empty.count, 0);
        cr_assert_null(empty.items);
}
