/* Handlers: which syscalls each serves and its "handlerOptions", with the
 * exact diagnostics, and what the daemon gets from a loaded policy. */
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>

#include "policy_helpers.h"

#define HEAD "'name':'h','defaultAction':'SCMP_ACT_ALLOW'"
#define EMU(names, handler, opts)                \
        "{" HEAD ",'syscalls':[{'names':[" names \
        "],'action':'UNOTIFY_ACT_EMULATE','handler':'" handler "'" opts "}]}"

struct bad_case {
        const char *row;
        const char *json;
        const char *diags;
};

static const struct bad_case bad_cases[] = {
        { "open serves no mkdir", EMU("'openat','mkdir'", "open", ""),
          "test.json: /syscalls/0/names/1: handler \"open\" does not serve \"mkdir\" (it serves "
          "open, openat, openat2, creat)" },
        { "mknod serves no open", EMU("'open'", "mknod", ""),
          "test.json: /syscalls/0/names/0: handler \"mknod\" does not serve \"open\" (it serves "
          "mknod, mknodat)" },
        { "options with errno",
          "{" HEAD ",'syscalls':[{'names':['openat'],'action':'SCMP_ACT_ERRNO',"
          "'handlerOptions':{}}]}",
          "test.json: /syscalls/0/handlerOptions: \"handlerOptions\" is only valid with "
          "UNOTIFY_ACT_EMULATE, not SCMP_ACT_ERRNO" },
        { "options not an object", EMU("'openat'", "open", ",'handlerOptions':[]"),
          "test.json: /syscalls/0/handlerOptions: expected an object (the options of handler "
          "\"open\"), got an array" },
        { "unknown option", EMU("'openat'", "open", ",'handlerOptions':{'rewrites':[]}"),
          "test.json: /syscalls/0/handlerOptions: unknown key \"rewrites\" (did you mean "
          "\"rewrite\"?)" },
        { "rewrite not an array", EMU("'openat'", "open", ",'handlerOptions':{'rewrite':{}}"),
          "test.json: /syscalls/0/handlerOptions/rewrite: expected an array of {\"from\", \"to\"} "
          "objects, got an object" },
        { "rewrite relative",
          EMU("'openat'", "open", ",'handlerOptions':{'rewrite':[{'from':'etc/x','to':'/y'}]}"),
          "test.json: /syscalls/0/handlerOptions/rewrite/0/from: expected an absolute path shorter "
          "than 4096 bytes, got \"etc/x\"" },
        { "rewrite not normalized",
          EMU("'openat'", "open", ",'handlerOptions':{'rewrite':[{'from':'/etc//x/','to':'/y'}]}"),
          "test.json: /syscalls/0/handlerOptions/rewrite/0/from: \"/etc//x/\" is not normalized "
          "(write \"/etc/x\")" },
        { "rewrite twice",
          EMU("'openat'", "open",
              ",'handlerOptions':{'rewrite':[{'from':'/a','to':'/y'},"
              "{'from':'/a','to':'/z'}]}"),
          "test.json: /syscalls/0/handlerOptions/rewrite/1/from: \"/a\" is rewritten already (by "
          "rewrite 0)" },
        { "rewrite without to",
          EMU("'openat'", "open", ",'handlerOptions':{'rewrite':[{'from':'/a'}]}"),
          "test.json: /syscalls/0/handlerOptions/rewrite/0: missing required key \"to\"" },
        { "mknod errno unknown", EMU("'mknod'", "mknod", ",'handlerOptions':{'errno':'EFOO'}"),
          "test.json: /syscalls/0/handlerOptions/errno: unknown errno name \"EFOO\" (expected a "
          "name such as \"EPERM\")" },
        { "inject without options", EMU("'socket'", "inject", ""),
          "test.json: /syscalls/0: missing required key \"handlerOptions\" (handler \"inject\" "
          "needs a \"path\")" },
        { "inject without path", EMU("'socket'", "inject", ",'handlerOptions':{'access':'read'}"),
          "test.json: /syscalls/0/handlerOptions: missing required key \"path\"" },
        { "inject bad access",
          EMU("'socket'", "inject", ",'handlerOptions':{'path':'/dev/null','access':'exec'}"),
          "test.json: /syscalls/0/handlerOptions/access: unknown access \"exec\" (expected one of "
          "read, write, readwrite)" },
        { "inject cloexec not a bool",
          EMU("'socket'", "inject", ",'handlerOptions':{'path':'/dev/null','cloexec':1}"),
          "test.json: /syscalls/0/handlerOptions/cloexec: expected true or false, got an integer" },
};

ROWS(handlers, bad, bad_cases)

ParameterizedTest(size_t *row, handlers, bad, .timeout = 60)
{
        const struct bad_case *c = &bad_cases[*row];

        cr_log_info("%s", c->row);
        assert_refused(c->json, NULL, c->diags);
}

Test(handlers, options_reach_the_daemon, .timeout = 60)
{
        struct unotify_policy *p = load_ok(
                "{" HEAD ",'syscalls':["
                "{'names':['openat','open'],'action':'UNOTIFY_ACT_EMULATE','handler':'open',"
                "'handlerOptions':{'rewrite':[{'from':'/etc/resolv.conf','to':'/srv/"
                "resolv.conf'}]}},"
                "{'names':['mknodat'],'action':'UNOTIFY_ACT_EMULATE','handler':'mknod',"
                "'handlerOptions':{'errno':'EACCES'}},"
                "{'names':['socket'],'action':'UNOTIFY_ACT_EMULATE','handler':'inject',"
                "'handlerOptions':{'path':'/dev/urandom','access':'readwrite','cloexec':true}},"
                "{'names':['mknod'],'action':'UNOTIFY_ACT_EMULATE','handler':'mknod'},"
                "{'names':['umask'],'action':'SCMP_ACT_ERRNO'}]}");
        const struct unotify_handler_options *o = unotify_policy_handler_options(p, 0);

        cr_assert_not_null(o);
        cr_assert_eq(o->n_rewrites, 1);
        cr_assert_str_eq(o->rewrites[0].from, "/etc/resolv.conf");
        cr_assert_str_eq(o->rewrites[0].to, "/srv/resolv.conf");
        o = unotify_policy_handler_options(p, 1);
        cr_assert_eq(o->refuse_errno, EACCES);
        o = unotify_policy_handler_options(p, 2);
        cr_assert_str_eq(o->inject_path, "/dev/urandom");
        cr_assert_eq(o->inject_access, O_RDWR);
        cr_assert(o->inject_cloexec);
        o = unotify_policy_handler_options(p, 3);
        cr_assert_eq(o->refuse_errno, EPERM, "the default");
        cr_assert_null(unotify_policy_handler_options(p, 4), "not an emulation");
        cr_assert_null(unotify_policy_handler_options(p, 5));
        cr_assert_null(unotify_policy_handler_options(p, -1));
        unotify_policy_unref(p);
}

Test(handlers, options_in_the_effective_dump, .timeout = 60)
{
        struct unotify_policy *p =
                load_ok("{" HEAD ",'syscalls':["
                        "{'names':['socket'],'action':'UNOTIFY_ACT_EMULATE','handler':'inject',"
                        "'handlerOptions':{'path':'/dev/urandom','access':'write'}},"
                        "{'names':['mknod'],'action':'UNOTIFY_ACT_EMULATE','handler':'mknod'}]}");
        char *json = unotify_policy_to_json(p);

        cr_assert_not_null(json);
        cr_assert(strstr(json, "\"handlerOptions\""), "%s", json);
        cr_assert(strstr(json, "\"path\": \"/dev/urandom\""), "%s", json);
        cr_assert(strstr(json, "\"access\": \"write\""), "%s", json);
        cr_assert(strstr(json, "\"cloexec\": false"), "%s", json);
        cr_assert(strstr(json, "\"errno\": \"EPERM\""), "%s", json);
        free(json);
        unotify_policy_unref(p);
}

Test(handlers, syscalls_served, .timeout = 60)
{
        size_t n;
        const char *const *s = unotify_handler_syscalls(UNOTIFY_HANDLER_OPEN, &n);

        cr_assert_eq(n, 4);
        cr_assert_str_eq(s[0], "open");
        cr_assert_str_eq(s[3], "creat");
        s = unotify_handler_syscalls(UNOTIFY_HANDLER_MKNOD, &n);
        cr_assert(n == 2 && !strcmp(s[1], "mknodat"));
        cr_assert_null(unotify_handler_syscalls(UNOTIFY_HANDLER_INJECT, &n), "any syscall");
        cr_assert_eq(n, 0);
        cr_assert_null(unotify_handler_syscalls(UNOTIFY_HANDLER_NONE, &n));
        cr_assert_null(unotify_handler_syscalls(UNOTIFY_HANDLER_INJECT + 1, &n));
}
