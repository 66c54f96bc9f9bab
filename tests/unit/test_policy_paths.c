/* Path conditions, decided through a fake reader: matching, the reader
 * contract, failures, and the loader's refusal to allow after a read. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "policy_helpers.h"

/* defaultAction denies: a call that reached a path rule must not end in
 * CONTINUE (test_policy_toctou.c). */
#define RULES(r)                                                                                 \
        "{'name':'p','defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':'ENOSYS','syscalls':[" r \
        "]}"

/* A reader that answers every argument with one path (or an error) and
 * records what it was asked. */
struct fake {
        char path[PATH_MAX + 8];
        int error;
        unsigned calls;
        unsigned index;
        int dirfd;
        bool unterminated;
};

static int fake_read(void *userdata, unsigned index, int dirfd, char *buf, size_t size)
{
        struct fake *f = userdata;
        size_t n = strlen(f->path);

        f->calls++;
        f->index = index;
        f->dirfd = dirfd;
        cr_assert_geq(size, PATH_MAX);
        if (f->error)
                return f->error;
        if (f->unterminated) {
                memset(buf, 'a', size);
                buf[0] = '/';
                return (int)size;
        }
        cr_assert_lt(n, size);
        memcpy(buf, f->path, n + 1);
        return (int)n;
}

static int decide_path(const struct unotify_policy *p, int nr, struct fake *f,
                       struct unotify_decision *d)
{
        struct unotify_target_view view = { .read_path = fake_read, .userdata = f };
        struct seccomp_data data = { .nr = nr, .arch = native_arch() };

        return unotify_policy_decide_target(p, &data, &view, d);
}

struct match_case {
        const char *row;
        const char *kind;
        const char *pattern;
        const char *path; /* what the reader returns */
        bool match;
};

static const struct match_case match_cases[] = {
        { "exact", "exact", "/etc/shadow", "/etc/shadow", true },
        { "exact, other file", "exact", "/etc/shadow", "/etc/shadow-", false },
        { "exact, a prefix of it", "exact", "/etc/shadow", "/etc", false },
        { "exact, doubled slashes", "exact", "/etc/shadow", "//etc//shadow", true },
        { "exact, dot", "exact", "/etc/shadow", "/etc/./shadow", true },
        { "exact, dot dot", "exact", "/etc/shadow", "/tmp/../etc/shadow", true },
        { "exact, dot dot above the root", "exact", "/etc/shadow", "/../../etc/shadow", true },
        { "exact, trailing slash", "exact", "/etc", "/etc/", true },
        { "exact, root", "exact", "/", "/", true },
        { "exact, root by dot dot", "exact", "/", "/a/..", true },
        { "prefix, itself", "prefix", "/etc", "/etc", true },
        { "prefix, below", "prefix", "/etc", "/etc/ssl/private/key", true },
        { "prefix, not a component", "prefix", "/etc", "/etcx/passwd", false },
        { "prefix, elsewhere", "prefix", "/etc", "/usr/etc", false },
        { "prefix, escaped by dot dot", "prefix", "/etc", "/etc/../root/x", false },
        { "prefix, entered by dot dot", "prefix", "/etc", "/root/../etc/x", true },
        { "prefix, root", "prefix", "/", "/anything/at/all", true },
        { "prefix, deeper", "prefix", "/sys/fs/cgroup", "/sys/fs/cgroup/a/b", true },
        { "prefix, deeper sibling", "prefix", "/sys/fs/cgroup", "/sys/fs/cgroupv2", false },
        { "glob star in a component", "glob", "/dev/tty*", "/dev/tty12", true },
        { "glob star stops at slash", "glob", "/dev/*", "/dev/pts/0", false },
        { "glob star matches one level", "glob", "/dev/*/0", "/dev/pts/0", true },
        { "glob class", "glob", "/dev/sd[a-c]", "/dev/sdb", true },
        { "glob class miss", "glob", "/dev/sd[a-c]", "/dev/sdd", false },
        { "glob question", "glob", "/proc/?/mem", "/proc/1/mem", true },
        { "glob after normalization", "glob", "/proc/*/mem", "/proc/self/./mem", true },
        { "glob, dot files match *", "glob", "/home/*", "/home/.ssh", true },
};

ROWS(paths, match, match_cases)

ParameterizedTest(size_t *row, paths, match, .timeout = 60)
{
        const struct match_case *c = &match_cases[*row];
        _cleanup_(freep) char *policy = NULL;
        struct fake f = {};
        struct unotify_decision d;
        struct unotify_policy *p;

        cr_assert_gt(
                asprintf(&policy,
                         RULES("{'names':['openat'],'action':'SCMP_ACT_ERRNO','errnoRet':'EACCES',"
                               "'paths':[{'index':1,'dirfd':0,'%s':'%s'}]}"),
                         c->kind, c->pattern),
                0);
        p = load_ok(policy);
        snprintf(f.path, sizeof(f.path), "%s", c->path);
        cr_assert_eq(decide_path(p, SYS_openat, &f, &d), 0, "%s", c->row);
        if (c->match)
                cr_assert(d.action == ERRNO && d.error == EACCES && d.rule == 0, "%s: no match",
                          c->row);
        else
                cr_assert(d.action == ERRNO && d.error == ENOSYS && d.rule == -1, "%s: matched",
                          c->row);
        cr_assert_eq(f.calls, 1);
        cr_assert_eq(f.index, 1);
        cr_assert_eq(f.dirfd, 0);
        unotify_policy_unref(p);
}

#define SHADOW                                                                                   \
        RULES("{'names':['openat'],'action':'SCMP_ACT_ERRNO','errnoRet':'EACCES',"               \
              "'paths':[{'index':1,'dirfd':0,'exact':'/etc/shadow'}]},"                          \
              "{'names':['openat'],'action':'UNOTIFY_ACT_EMULATE','handler':'open',"             \
              "'paths':[{'index':1,'dirfd':0,'prefix':'/etc'}]},"                                \
              "{'names':['open'],'action':'SCMP_ACT_KILL_PROCESS','paths':[{'index':0,'glob':'/" \
              "dev/mem'}]},"                                                                     \
              "{'names':['openat','open'],'action':'SCMP_ACT_ERRNO','errnoRet':'ENOENT'}")

/* Several rules of one syscall share one read. */
Test(paths, first_match_one_read, .timeout = 60)
{
        struct unotify_policy *p = load_ok(SHADOW);
        struct fake f = { .path = "/etc/passwd" };
        struct unotify_decision d;

        cr_assert(unotify_policy_needs_target_view(p));
        cr_assert_eq(decide_path(p, SYS_openat, &f, &d), 0);
        cr_assert(d.action == UNOTIFY_ACTION_EMULATE && d.handler == UNOTIFY_HANDLER_OPEN &&
                  d.rule == 1);
        cr_assert_eq(f.calls, 1);
        snprintf(f.path, sizeof(f.path), "/usr/lib/os-release");
        cr_assert_eq(decide_path(p, SYS_openat, &f, &d), 0);
        cr_assert(d.action == ERRNO && d.error == ENOENT && d.rule == 3);
        cr_assert_eq(f.calls, 2);
        /* open has its path in argument 0 and no dirfd: -1. */
        snprintf(f.path, sizeof(f.path), "/dev/mem");
        cr_assert_eq(decide_path(p, SYS_open, &f, &d), 0);
        cr_assert(d.action == UNOTIFY_ACTION_KILL_PROCESS && d.rule == 2);
        cr_assert_eq(f.index, 0);
        cr_assert_eq(f.dirfd, -1);
        unotify_policy_unref(p);
}

/* The reader is not called when the argument conditions already fail. */
Test(paths, read_only_when_needed, .timeout = 60)
{
        struct unotify_policy *p = load_ok(RULES(
                "{'names':['openat'],'action':'SCMP_ACT_ERRNO','paths':[{'index':1,'exact':'/x'}],"
                "'args':[{'index':2,'value':1,'op':'SCMP_CMP_MASKED_EQ','valueTwo':1}]}"));
        struct unotify_target_view view = { .read_path = fake_read };
        struct seccomp_data data = { .nr = SYS_openat,
                                     .arch = native_arch(),
                                     .args = { 0, 0, O_RDONLY } };
        struct fake f = { .path = "/x" };
        struct unotify_decision d;

        view.userdata = &f;
        cr_assert_eq(unotify_policy_decide_target(p, &data, &view, &d), 0);
        cr_assert(d.action == ERRNO && d.error == ENOSYS && d.rule == -1);
        cr_assert_eq(f.calls, 0);
        data.args[2] = O_WRONLY;
        cr_assert_eq(unotify_policy_decide_target(p, &data, &view, &d), 0);
        cr_assert(d.action == ERRNO && d.error == EPERM && d.rule == 0);
        cr_assert_eq(f.calls, 1);
        /* Other syscalls never read. */
        data.nr = SYS_getpid;
        cr_assert_eq(unotify_policy_decide_target(p, &data, &view, &d), 0);
        cr_assert_eq(f.calls, 1);
        unotify_policy_unref(p);
}

struct failure_case {
        const char *row;
        int error; /* what the reader returns */
        bool unterminated;
        const char *path;
        int expect_ret;
        int expect_errno;
};

static const struct failure_case failure_cases[] = {
        { "bad pointer", -EFAULT, false, "", -EFAULT, EFAULT },
        { "too long", -ENAMETOOLONG, false, "", -ENAMETOOLONG, ENAMETOOLONG },
        { "target gone", -ESRCH, false, "", -ESRCH, ESRCH },
        { "errno out of range", -5000, false, "", -5000, EFAULT },
        { "relative path", 0, false, "etc/shadow", -EFAULT, EFAULT },
        { "empty path", 0, false, "", -EFAULT, EFAULT },
        { "not terminated", 0, true, "", -EFAULT, EFAULT },
};

ROWS(paths, failure, failure_cases)

/* A path that cannot be read fails the call: the rule is not skipped,
 * which could let a later rule allow it. */
ParameterizedTest(size_t *row, paths, failure, .timeout = 60)
{
        const struct failure_case *c = &failure_cases[*row];
        struct unotify_policy *p = load_ok(SHADOW);
        struct fake f = { .error = c->error, .unterminated = c->unterminated };
        struct unotify_decision d;

        snprintf(f.path, sizeof(f.path), "%s", c->path);
        cr_assert_eq(decide_path(p, SYS_openat, &f, &d), c->expect_ret, "%s", c->row);
        cr_assert(d.action == ERRNO && d.error == c->expect_errno && d.rule == 0, "%s: %d %d %d",
                  c->row, d.action, d.error, d.rule);
        cr_assert_eq(d.handler, UNOTIFY_HANDLER_NONE);
        unotify_policy_unref(p);
}

/* No view, or a view without a reader: fail closed with EFAULT. */
Test(paths, without_reader, .timeout = 60)
{
        struct unotify_policy *p = load_ok(SHADOW);
        struct unotify_target_view view = { .caps_effective = ~UINT64_C(0) };
        struct seccomp_data data = { .nr = SYS_openat, .arch = native_arch() };
        struct unotify_decision d;

        d = decide(p, native_arch(), SYS_openat, NULL);
        cr_assert(d.action == ERRNO && d.error == EFAULT && d.rule == 0);
        cr_assert_eq(unotify_policy_decide_target(p, &data, &view, &d), -EFAULT);
        cr_assert(d.action == ERRNO && d.error == EFAULT && d.rule == 0);
        cr_assert_eq(unotify_policy_decide_target(p, &data, NULL, &d), -EFAULT);
        /* Rules without paths before the path rule still decide. */
        d = decide(p, native_arch(), SYS_getpid, NULL);
        cr_assert(d.action == ERRNO && d.error == ENOSYS && d.rule == -1);
        unotify_policy_unref(p);
}

/* Two arguments with paths (renameat2: 1 relative to 0, 3 relative to
 * 2): both are read, each once. */
struct two_paths {
        unsigned calls[6];
};

static int two_read(void *userdata, unsigned index, int dirfd, char *buf, size_t size)
{
        struct two_paths *t = userdata;

        t->calls[index]++;
        cr_assert_eq(dirfd, (int)index - 1);
        return snprintf(buf, size, index == 1 ? "/src/a" : "/dst/b");
}

Test(paths, two_arguments, .timeout = 60)
{
        struct unotify_policy *p =
                load_ok(RULES("{'names':['renameat2'],'action':'SCMP_ACT_ERRNO','errnoRet':'EXDEV',"
                              "'paths':[{'index':1,'dirfd':0,'prefix':'/"
                              "src'},{'index':3,'dirfd':2,'prefix':'/elsewhere'}]},"
                              "{'names':['renameat2'],'action':'SCMP_ACT_ERRNO','errnoRet':'EROFS',"
                              "'paths':[{'index':3,'dirfd':2,'exact':'/dst/"
                              "b'},{'index':1,'dirfd':0,'glob':'/src/?'}]}"));
        struct two_paths t = {};
        struct unotify_target_view view = { .read_path = two_read, .userdata = &t };
        struct seccomp_data data = { .nr = SYS_renameat2, .arch = native_arch() };
        struct unotify_decision d;

        cr_assert_eq(unotify_policy_decide_target(p, &data, &view, &d), 0);
        cr_assert(d.action == ERRNO && d.error == EROFS && d.rule == 1);
        cr_assert_eq(t.calls[1], 1);
        cr_assert_eq(t.calls[3], 1);
        unotify_policy_unref(p);
}

struct bad_case {
        const char *row;
        const char *json;
        const char *diags;
};

#define PATHS(p, action) RULES("{'names':['openat'],'action':'" action "','paths':[" p "]}")
#define DENY(p) PATHS(p, "SCMP_ACT_ERRNO")

static const struct bad_case bad_cases[] = {
        { "allow after a read", PATHS("{'index':1,'exact':'/etc/shadow'}", "SCMP_ACT_ALLOW"),
          "test.json: /syscalls/0/action: a rule with \"paths\" may not allow (SCMP_ACT_ALLOW): "
          "the target can change the path in its memory after the check and before the kernel "
          "reads it (TOCTOU); deny it (SCMP_ACT_ERRNO), kill, return a value or emulate instead" },
        { "log after a read", PATHS("{'index':1,'exact':'/etc/shadow'}", "SCMP_ACT_LOG"),
          "test.json: /syscalls/0/action: a rule with \"paths\" may not allow (SCMP_ACT_LOG): "
          "the target can change the path in its memory after the check and before the kernel "
          "reads it (TOCTOU); deny it (SCMP_ACT_ERRNO), kill, return a value or emulate instead" },
        { "paths an object", RULES("{'names':['openat'],'action':'SCMP_ACT_ERRNO','paths':{}}"),
          "test.json: /syscalls/0/paths: expected an array of path conditions, got an object" },
        { "paths empty", DENY(""),
          "test.json: /syscalls/0/paths: expected at least one path condition, got an empty "
          "array" },
        { "no pattern", DENY("{'index':1}"),
          "test.json: /syscalls/0/paths/0: missing one of \"exact\", \"prefix\" or \"glob\"" },
        { "two patterns", DENY("{'index':1,'exact':'/a','glob':'/b'}"),
          "test.json: /syscalls/0/paths/0/glob: give one of \"exact\", \"prefix\" or \"glob\", "
          "not several" },
        { "missing index", DENY("{'prefix':'/a'}"),
          "test.json: /syscalls/0/paths/0: missing required key \"index\"" },
        { "index too big", DENY("{'index':6,'prefix':'/a'}"),
          "test.json: /syscalls/0/paths/0/index: \"index\" must be 0..5, got 6" },
        { "dirfd negative", DENY("{'index':1,'dirfd':-100,'prefix':'/a'}"),
          "test.json: /syscalls/0/paths/0/dirfd: \"dirfd\" must be 0..5, got -100" },
        { "dirfd is index", DENY("{'index':1,'dirfd':1,'prefix':'/a'}"),
          "test.json: /syscalls/0/paths/0/dirfd: \"dirfd\" and \"index\" must name different "
          "arguments" },
        { "relative", DENY("{'index':1,'exact':'etc/shadow'}"),
          "test.json: /syscalls/0/paths/0/exact: expected an absolute path (starting with \"/\"), "
          "got \"etc/shadow\"" },
        { "empty", DENY("{'index':1,'prefix':''}"),
          "test.json: /syscalls/0/paths/0/prefix: expected an absolute path (starting with "
          "\"/\"), got \"\"" },
        { "trailing slash", DENY("{'index':1,'prefix':'/etc/'}"),
          "test.json: /syscalls/0/paths/0/prefix: \"/etc/\" is not normalized (write \"/etc\": "
          "paths are matched after \"//\", \".\" and \"..\" are resolved and without a trailing "
          "\"/\")" },
        { "dot dot in a glob", DENY("{'index':1,'glob':'/a/../*'}"),
          "test.json: /syscalls/0/paths/0/glob: \"/a/../*\" is not normalized (write \"/*\": "
          "paths are matched after \"//\", \".\" and \"..\" are resolved and without a trailing "
          "\"/\")" },
        { "pattern not a string", DENY("{'index':1,'glob':7}"),
          "test.json: /syscalls/0/paths/0/glob: expected a path (a string), got an integer" },
        { "unknown key", DENY("{'index':1,'exact':'/a','regex':'.*'}"),
          "test.json: /syscalls/0/paths/0: unknown key \"regex\" (expected one of index, dirfd, "
          "exact, prefix, glob, comment)" },
        { "condition not an object", DENY("'/etc'"),
          "test.json: /syscalls/0/paths/0: expected an object (a path condition), got a string" },
        { "too many",
          DENY("{'index':1,'prefix':'/a'},{'index':1,'prefix':'/a'},{'index':1,'prefix':'/a'},"
               "{'index':1,'prefix':'/a'},{'index':1,'prefix':'/a'}"),
          "test.json: /syscalls/0/paths: expected at most 4 path conditions, got 5" },
};

ROWS(paths, bad, bad_cases)

ParameterizedTest(size_t *row, paths, bad, .timeout = 60)
{
        const struct bad_case *c = &bad_cases[*row];

        cr_log_info("%s", c->row);
        assert_refused(c->json, NULL, c->diags);
}

/* Every action that does not continue may follow a read. */
Test(paths, actions_allowed_after_read, .timeout = 60)
{
        static const char *const actions[] = {
                "'action':'SCMP_ACT_ERRNO'",
                "'action':'SCMP_ACT_KILL_PROCESS'",
                "'action':'SCMP_ACT_KILL_THREAD'",
                "'action':'UNOTIFY_ACT_RETURN','returnValue':3",
                "'action':'UNOTIFY_ACT_EMULATE','handler':'mknod'",
        };

        for (size_t i = 0; i < ELEMENTSOF(actions); i++) {
                _cleanup_(freep) char *policy = NULL;

                cr_assert_gt(asprintf(&policy,
                                      RULES("{'names':['mknodat'],%s,'paths':[{'index':1,'dirfd':0,"
                                            "'prefix':'/dev'}]}"),
                                      actions[i]),
                             0);
                unotify_policy_unref(load_ok(policy));
        }
}

Test(paths, pattern_too_long, .timeout = 60)
{
        char pattern[PATH_MAX + 2];
        _cleanup_(freep) char *policy = NULL, *expected = NULL;

        memset(pattern, 'a', sizeof(pattern) - 1);
        pattern[0] = '/';
        pattern[sizeof(pattern) - 1] = '\0';
        cr_assert_gt(asprintf(&policy, DENY("{'index':1,'prefix':'%s'}"), pattern), 0);
        cr_assert_gt(asprintf(&expected,
                              "test.json: /syscalls/0/paths/0/prefix: expected at most %d bytes, "
                              "got %d",
                              PATH_MAX - 1, PATH_MAX + 1),
                     0);
        assert_refused(policy, NULL, expected);
}
