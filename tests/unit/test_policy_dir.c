/* The policy library's directories (sorted, duplicates, every error of
 * every file, limits) and the shipped example policies. */
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

/* ---- directories ------------------------------------------------------ */

TestSuite(dir, .init = make_tmpdir, .fini = remove_tmpdir, .timeout = 60);

#define POLICY_NAMED(n) "{'name':'" n "','defaultAction':'SCMP_ACT_ALLOW','syscalls':[]}"

Test(dir, sorted_by_name_and_found, .timeout = 60)
{
        struct unotify_policy_set *s = NULL;
        struct unotify_diags diags = {};
        _cleanup_(freep) char *origin = NULL, *subdir = NULL;

        write_file("1.json", POLICY_NAMED("zeta"));
        write_file("2.json", POLICY_NAMED("alpha"));
        write_file("3.json", POLICY_NAMED("mid"));
        write_file("notes.txt", "not a policy");
        write_file(".hidden.json", "not a policy either");
        write_file("x.json~", "an editor backup");
        cr_assert(asprintf(&subdir, "%s/sub.json", tmpdir) > 0);
        cr_assert_eq(mkdir(subdir, 0700), 0);

        cr_assert_eq(unotify_policy_set_load_dir(tmpdir, &s, &diags), 0);
        cr_assert_eq(diags.count, 0);
        cr_assert_eq(unotify_policy_set_count(s), 3);
        cr_assert_str_eq(unotify_policy_name(unotify_policy_set_at(s, 0)), "alpha");
        cr_assert_str_eq(unotify_policy_name(unotify_policy_set_at(s, 1)), "mid");
        cr_assert_str_eq(unotify_policy_name(unotify_policy_set_at(s, 2)), "zeta");
        cr_assert_null(unotify_policy_set_at(s, 3));
        cr_assert_eq(unotify_policy_set_find(s, "mid"), unotify_policy_set_at(s, 1));
        cr_assert_null(unotify_policy_set_find(s, "nope"));
        origin = at_tmp("@/2.json");
        cr_assert_str_eq(unotify_policy_origin(unotify_policy_set_find(s, "alpha")), origin);
        cr_assert_null(unotify_policy_set_free(s));
}

Test(dir, duplicate_names_name_both_files, .timeout = 60)
{
        struct unotify_policy_set *s = (struct unotify_policy_set *)0x1;
        struct unotify_diags diags = {};
        _cleanup_(freep) char *text = NULL, *expected = NULL;

        write_file("a.json", POLICY_NAMED("same"));
        write_file("b.json", POLICY_NAMED("other"));
        write_file("c.json", POLICY_NAMED("same"));
        cr_assert_eq(unotify_policy_set_load_dir(tmpdir, &s, &diags), -EINVAL);
        cr_assert_eq(s, (struct unotify_policy_set *)0x1, "ret must be untouched on failure");
        text = diags_text(&diags);
        expected = at_tmp(
                "@/c.json: /name: duplicate policy name \"same\" (already used by @/a.json)");
        cr_assert_str_eq(text, expected);
        unotify_diags_clear(&diags);
}

Test(dir, every_error_of_every_file, .timeout = 60)
{
        struct unotify_policy_set *s = NULL;
        struct unotify_diags diags = {};
        _cleanup_(freep) char *text = NULL, *expected = NULL;

        write_file("a.json", POLICY_NAMED("good"));
        write_file("b.json",
                   "{'name':'b','defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdri'],"
                   "'action':'SCMP_ACT_KIL'}]}");
        write_file("c.json", "{'name':'c',");
        write_file("d.json", POLICY_NAMED("also-good"));
        cr_assert_eq(unotify_policy_set_load_dir(tmpdir, &s, &diags), -EINVAL);
        text = diags_text(&diags);
        expected = at_tmp(
                "@/b.json: /syscalls/0/names/0: warning: unknown syscall \"mkdri\" skipped (did "
                "you "
                "mean \"mkdir\"?)\n"
                "@/b.json: /syscalls/0/action: unsupported action \"SCMP_ACT_KIL\" (did you mean "
                "\"SCMP_ACT_KILL\"?)\n"
                "@/c.json:1:12: string or '}' expected near end of file");
        cr_assert_str_eq(text, expected);
        unotify_diags_clear(&diags);
}

Test(dir, unreadable_and_too_large_files, .timeout = 60)
{
        struct unotify_policy_set *s = NULL;
        struct unotify_diags diags = {};
        _cleanup_(freep) char *text = NULL, *expected = NULL, *big = NULL, *dangling = NULL;
        _cleanup_(fclosep) FILE *f = NULL;

        cr_assert(asprintf(&big, "%s/big.json", tmpdir) > 0);
        f = fopen(big, "we");
        cr_assert_not_null(f);
        for (int i = 0; i <= UNOTIFY_POLICY_MAX_FILE_SIZE; i++)
                fputc(' ', f);
        cr_assert_eq(fflush(f), 0);
        cr_assert(asprintf(&dangling, "%s/gone.json", tmpdir) > 0);
        cr_assert_eq(symlink("/nonexistent/unotify.json", dangling), 0);
        cr_assert_eq(unotify_policy_set_load_dir(tmpdir, &s, &diags), -EINVAL);
        text = diags_text(&diags);
        expected = at_tmp("@/big.json: file is larger than 1048576 bytes\n"
                          "@/gone.json: cannot open: No such file or directory");
        cr_assert_str_eq(text, expected);
        unotify_diags_clear(&diags);
}

Test(dir, empty_directory_is_an_empty_set, .timeout = 60)
{
        struct unotify_policy_set *s = NULL;
        struct unotify_diags diags = {};

        cr_assert_eq(unotify_policy_set_load_dir(tmpdir, &s, &diags), 0);
        cr_assert_not_null(s);
        cr_assert_eq(unotify_policy_set_count(s), 0);
        cr_assert_null(unotify_policy_set_find(s, "default"));
        cr_assert_eq(diags.count, 0);
        unotify_policy_set_free(s);
}

Test(dir, missing_directory, .timeout = 60)
{
        struct unotify_policy_set *s = NULL;
        _cleanup_(freep) char *missing = NULL;

        cr_assert(asprintf(&missing, "%s/nope", tmpdir) > 0);
        cr_assert_eq(unotify_policy_set_load_dir(missing, &s, NULL), -ENOENT);
        cr_assert_null(s);
        cr_assert_null(unotify_policy_set_free(NULL));
        cr_assert_eq(unotify_policy_set_count(NULL), 0);
}

Test(dir, load_file, .timeout = 60)
{
        struct unotify_policy *p = NULL;
        struct unotify_diags diags = {};
        _cleanup_(freep) char *path = NULL, *missing = NULL, *text = NULL;

        write_file("one.json", ALLOW_POLICY);
        cr_assert(asprintf(&path, "%s/one.json", tmpdir) > 0);
        cr_assert_eq(unotify_policy_load_file(path, &p, &diags), 0);
        cr_assert_str_eq(unotify_policy_name(p), "allow");
        cr_assert_str_eq(unotify_policy_origin(p), path);
        unotify_policy_unref(p);

        cr_assert(asprintf(&missing, "%s/missing.json", tmpdir) > 0);
        cr_assert_eq(unotify_policy_load_file(missing, &p, &diags), -ENOENT);
        cr_assert_eq(unotify_policy_load_file(tmpdir, &p, &diags), -EISDIR);
        text = diags_text(&diags);
        cr_assert(strstr(text, "missing.json: cannot open: No such file or directory\n"), "%s",
                  text);
        cr_assert(strstr(text, ": cannot read: Is a directory"), "%s", text);
        unotify_diags_clear(&diags);
}

/* ---- the shipped examples --------------------------------------------- */

Test(examples, load_and_decide, .timeout = 60)
{
        struct unotify_policy_set *s = NULL;
        struct unotify_diags diags = {};
        _cleanup_(freep) char *text = NULL;
        struct unotify_policy *demo, *deny, *def;
        struct unotify_decision d;
        int r;

        r = unotify_policy_set_load_dir(UNOTIFY_SOURCE_DIR "/policy/examples", &s, &diags);
        text = diags_text(&diags);
        cr_assert_eq(r, 0, "%s", text);
        cr_assert_eq(unotify_policy_set_count(s), 8);
        demo = unotify_policy_set_find(s, "demo");
        deny = unotify_policy_set_find(s, "deny-mkdir");
        def = unotify_policy_set_find(s, "default");
        cr_assert(demo && deny && def);

        d = decide(demo, native_arch(), SYS_mkdirat, NULL);
        cr_assert(d.action == ERRNO && d.error == EPERM && d.rule == 0);
        d = decide(demo, native_arch(), SYS_uname, NULL);
        cr_assert(d.action == CONTINUE && d.rule == 1);
        d = decide(deny, native_arch(), SYS_mkdirat, NULL);
        cr_assert(d.action == ERRNO && d.error == EPERM && d.rule == 0);
        /* deny-mkdir is all the kernel's; the demo sends its calls to the
         * daemon ("notify": true). */
        cr_assert_eq(unotify_kernel_plan_find(unotify_policy_kernel_plan(deny), "mkdir")->kind,
                     UNOTIFY_KERNEL_RULES);
        cr_assert_eq(unotify_kernel_plan_find(unotify_policy_kernel_plan(demo), "uname")->kind,
                     UNOTIFY_KERNEL_NOTIFY);
        d = decide(def, native_arch(), SYS_mount, NULL);
        cr_assert(d.action == ERRNO && d.error == EPERM && d.rule == 0);
        d = decide(def, native_arch(), SYS_getpid, NULL);
        cr_assert(d.action == CONTINUE && d.rule == -1);
        /* learn-container: the kernel lets the runtime's calls run, the
         * daemon is sent every other one, and answers it CONTINUE. */
        cr_assert_not_null(unotify_policy_learn(unotify_policy_set_find(s, "learn-container")));
        cr_assert_null(unotify_policy_learn(demo));
        cr_assert(unotify_policy_kernel_plan(unotify_policy_set_find(s, "learn-container"))
                          ->notify_default);
        cr_assert_eq(unotify_kernel_plan_find(unotify_policy_kernel_plan(unotify_policy_set_find(
                                                      s, "learn-container")),
                                              "write")
                             ->kind,
                     UNOTIFY_KERNEL_RULES);
        d = decide(unotify_policy_set_find(s, "learn-container"), native_arch(), SYS_mount, NULL);
        cr_assert(d.action == CONTINUE && d.rule == -1);
        d = decide(unotify_policy_set_find(s, "emulate"), native_arch(), SYS_mknodat, NULL);
        cr_assert(d.action == UNOTIFY_ACTION_EMULATE && d.handler == UNOTIFY_HANDLER_MKNOD &&
                  d.rule == 3);
        unotify_policy_set_free(s);
}
