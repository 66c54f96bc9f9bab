/* Unprivileged users for the rootless tests: made once with useradd (the
 * test runs as root), then every command runs as one of them. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "harness.h"

struct test_user {
        const char *name;
        uid_t uid;
        gid_t gid;
        char uid_arg[32], gid_arg[32]; /* "--reuid=N", "--regid=N" */
};

/* The user `name` (a system user without home or shell, created if it
 * does not exist). Skips the test when not run as root. Asserts. */
void test_user_get(const char *name, struct test_user *ret);

/* argv (NULL-terminated) run as u through setpriv, with its own groups
 * only and XDG_RUNTIME_DIR unset; output captured as run_cmd does. */
void run_as(const struct test_user *u, const char *const argv[], struct cmd_result *ret);

/* The wrapper for test_daemon.wrapper: setpriv as u (static storage in u). */
const char *const *as_user_wrapper(struct test_user *u);
