#include "users.h"

#include <criterion/criterion.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void test_user_get(const char *name, struct test_user *ret)
{
        struct passwd *pw = getpwnam(name);
        char cmd[256];

        if (geteuid() != 0)
                cr_skip_test("making unprivileged users needs root");
        if (!pw) {
                snprintf(cmd, sizeof(cmd),
                         "useradd --system --no-create-home --shell /usr/sbin/nologin %s "
                         "2>/dev/null",
                         name);
                /* Another test of the run may be making it at the same time. */
                (void)!system(cmd);
                pw = getpwnam(name);
        }
        cr_assert_not_null(pw, "no user %s, and useradd could not make it", name);
        *ret = (struct test_user){ .name = name, .uid = pw->pw_uid, .gid = pw->pw_gid };
        snprintf(ret->uid_arg, sizeof(ret->uid_arg), "--reuid=%u", (unsigned)pw->pw_uid);
        snprintf(ret->gid_arg, sizeof(ret->gid_arg), "--regid=%u", (unsigned)pw->pw_gid);
}

const char *const *as_user_wrapper(struct test_user *u)
{
        static const char *argv[8];

        argv[0] = "/usr/bin/setpriv";
        argv[1] = u->uid_arg;
        argv[2] = u->gid_arg;
        argv[3] = "--clear-groups";
        argv[4] = "--";
        argv[5] = NULL;
        return argv;
}

void run_as(const struct test_user *u, const char *const argv[], struct cmd_result *ret)
{
        const char *full[40] = { "/usr/bin/setpriv", u->uid_arg,
                                 u->gid_arg,         "--clear-groups",
                                 "/usr/bin/env",     "-u",
                                 "XDG_RUNTIME_DIR",  "--" };
        size_t n = 8;

        for (size_t i = 0; argv[i]; i++) {
                cr_assert_lt(n, sizeof(full) / sizeof(full[0]) - 1);
                full[n++] = argv[i];
        }
        full[n] = NULL;
        run_cmd(full, 30000, ret);
}
