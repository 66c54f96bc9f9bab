/* The "landlock" section: what the loader accepts and refuses, its share
 * of the digest, and its dump. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

#include "policy_helpers.h"
#include "unotify/filter.h"
#include "unotify/landlock.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct unotify_policy *, unotify_policy_unref);

#define HEAD "{'name':'l','defaultAction':'SCMP_ACT_ALLOW','syscalls':[],'landlock':"

struct refused {
        const char *row;
        const char *json;
        const char *diags;
};

static const struct refused refusals[] = {
        { "not an object", HEAD "[]}",
          "test.json: /landlock: expected an object with \"allow\", got an array" },
        { "no allow", HEAD "{}}", "test.json: /landlock: missing required key \"allow\"" },
        { "unknown right", HEAD "{'handledAccess':['reed'],'allow':[]}}",
          "test.json: /landlock/handledAccess/0: unknown access right \"reed\" (expected one of "
          "execute, write_file, read_file, read_dir, remove_dir, remove_file, make_char, "
          "make_dir, make_reg, make_sock, make_fifo, make_block, make_sym, refer, truncate, "
          "ioctl_dev)" },
        { "right twice", HEAD "{'allow':[{'path':'/usr','access':['read_file','read_file']}]}}",
          "test.json: /landlock/allow/0/access/1: \"read_file\" is given twice" },
        { "not handled",
          HEAD "{'handledAccess':['read_file'],'allow':[{'path':'/usr','access':"
               "['execute']}]}}",
          "test.json: /landlock/allow/0/access: grants rights that \"handledAccess\" does not "
          "restrict (they are allowed everywhere already): add them there or remove them here" },
        { "not normalized", HEAD "{'allow':[{'path':'/usr/','access':['read_file']}]}}",
          "test.json: /landlock/allow/0/path: \"/usr/\" is not normalized (write \"/usr\")" },
        { "relative", HEAD "{'allow':[{'path':'usr','access':['read_file']}]}}",
          "test.json: /landlock/allow/0/path: expected an absolute path shorter than 256 bytes, "
          "got \"usr\"" },
        { "twice",
          HEAD "{'allow':[{'path':'/usr','access':['read_file']},{'path':'/usr',"
               "'access':['execute']}]}}",
          "test.json: /landlock/allow/1/path: \"/usr\" is allowed already (by "
          "/landlock/allow/0): give one entry with every right" },
        { "abi", HEAD "{'minAbi':8,'allow':[]}}",
          "test.json: /landlock/minAbi: expected a Landlock ABI version 0..7, got 8" },
        { "key", HEAD "{'allow':[],'deny':[]}}",
          "test.json: /landlock: unknown key \"deny\" (expected one of handledAccess, allow, "
          "minAbi, comment)" },
        { "emulated open",
          "{'name':'l','defaultAction':'SCMP_ACT_ALLOW','landlock':{'allow':[]},'syscalls':["
          "{'names':['openat'],'action':'UNOTIFY_ACT_EMULATE','handler':'open'}]}",
          "test.json: /syscalls/0: this rule has the daemon do the call for the task (handler "
          "\"open\"), and Landlock restricts the task, not the daemon: policy \"l\"'s "
          "\"landlock\" section, which handles write_file, read_file, read_dir, make_reg, "
          "truncate, would not hold for these calls. Leave those rights out of "
          "/landlock/handledAccess, or do not emulate" },
};

ROWS(landlock, refused, refusals)

ParameterizedTest(size_t *row, landlock, refused)
{
        const struct refused *c = &refusals[*row];

        assert_refused(c->json, NULL, c->diags);
}

Test(landlock, section_as_written)
{
        _cleanup_(unotify_policy_unrefp) struct unotify_policy *p =
                load_ok(HEAD "{'handledAccess':['read_file','execute','truncate'],'minAbi':2,"
                             "'allow':[{'path':'/usr','access':['read_file','execute']}]}}");
        const struct unotify_landlock *ll = unotify_policy_landlock(p);

        cr_assert_not_null(ll);
        cr_assert_eq(ll->handled, UINT64_C(1) << 0 | UINT64_C(1) << 2 | UINT64_C(1) << 14);
        cr_assert_eq(ll->min_abi, 2);
        cr_assert_eq(ll->n_rules, 1);
        cr_assert_str_eq(ll->rules[0].path, "/usr");
        cr_assert_eq(ll->rules[0].access, UINT64_C(1) << 0 | UINT64_C(1) << 2);
}

Test(landlock, defaults_handle_everything_from_abi_1)
{
        _cleanup_(unotify_policy_unrefp) struct unotify_policy *p = load_ok(HEAD "{'allow':[]}}");

        cr_assert_eq(unotify_policy_landlock(p)->handled, UNOTIFY_LANDLOCK_ALL);
        cr_assert_eq(unotify_policy_landlock(p)->min_abi, 1);
        cr_assert_eq(unotify_landlock_abi_rights(1), 0x1fff);
        cr_assert_eq(unotify_landlock_abi_rights(4), 0x7fff);
        cr_assert_eq(unotify_landlock_abi_rights(7), UNOTIFY_LANDLOCK_ALL);
}

/* A launcher with a stale section is refused like one with a stale
 * filter: the section is in the digest, and a policy without one keeps
 * the digest it had. */
Test(landlock, digest_covers_the_section)
{
        _cleanup_(unotify_policy_unrefp) struct unotify_policy *none =
                load_ok("{'name':'l','defaultAction':'SCMP_ACT_ALLOW','syscalls':[]}");
        _cleanup_(unotify_policy_unrefp) struct unotify_policy *usr =
                load_ok(HEAD "{'allow':[{'path':'/usr','access':['read_file']}]}}");
        _cleanup_(unotify_policy_unrefp) struct unotify_policy *lib =
                load_ok(HEAD "{'allow':[{'path':'/lib','access':['read_file']}]}}");
        _cleanup_(unotify_policy_unrefp) struct unotify_policy *exec =
                load_ok(HEAD "{'allow':[{'path':'/usr','access':['read_file','execute']}]}}");

        cr_assert_eq(unotify_policy_landlock(none), NULL);
        cr_assert_neq(unotify_policy_syscalls_digest(none), unotify_policy_syscalls_digest(usr));
        cr_assert_neq(unotify_policy_syscalls_digest(usr), unotify_policy_syscalls_digest(lib));
        cr_assert_neq(unotify_policy_syscalls_digest(usr), unotify_policy_syscalls_digest(exec));
        /* The plan made for a capability set (export-oci --caps, checked at
         * handoff) covers the section too. */
        uint64_t caps = 0;
        struct unotify_kernel_plan *plan = NULL;

        cr_assert_eq(unotify_kernel_plan_new(usr, &caps, &plan), 0);
        cr_assert_eq(plan->digest, unotify_policy_syscalls_digest(usr));
        unotify_kernel_plan_free(plan);
}

Test(landlock, dump_says_what_stays_with_the_daemon)
{
        _cleanup_(unotify_policy_unrefp) struct unotify_policy *p = load_ok(
                "{'name':'l','defaultAction':'SCMP_ACT_ALLOW','landlock':{'handledAccess':"
                "['read_file','truncate'],'allow':[{'path':'/usr','access':['read_file']}]},"
                "'syscalls':[{'names':['mkdir'],'action':'SCMP_ACT_ERRNO','paths':[{'index':0,"
                "'prefix':'/etc'}]},{'names':['mkdir'],'action':'SCMP_ACT_ERRNO'}]}");
        _cleanup_(freep) char *json = unotify_policy_to_json(p);

        cr_assert_not_null(json);
        cr_assert(strstr(json, "\"needsAbi\": {\n      \"truncate\": 3\n    }"), "%s", json);
        cr_assert(strstr(json, "\"pointer\": \"/syscalls/0\""), "%s", json);
        cr_assert(strstr(json, "\"path\": \"/usr\""), "%s", json);
}
