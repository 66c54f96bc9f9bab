/* What the new-API calls of the mount handler share (mount_api_fs.c,
 * mount_api_tree.c): one call's state, and the steps every call takes
 * (the task's fd as the daemon's entry, its strings, the journal, giving
 * a context or mount to the task). */
#pragma once

#include <limits.h>
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "handlers/mount_api.h"

#ifndef FSCONFIG_CMD_CREATE_EXCL
#define FSCONFIG_CMD_CREATE_EXCL 8 /* Linux 6.6 */
#endif
#ifndef MOVE_MOUNT_BENEATH
#define MOVE_MOUNT_BENEATH 0x00000200 /* Linux 6.5 */
#endif
#define PARAM_MAX 256 /* fsconfig's key and string: the kernel's strndup_user() cap */

struct api {
        struct emul_call *c;
        struct worker *w;
        pid_t pid;
        const __u64 *a;
        struct mount_ctx_key key;
        char path[PATH_MAX]; /* move_mount's target, open_tree's source */
        char param[PARAM_MAX], value[PARAM_MAX];
};

/* The rule's errno, with why for the log. */
int refuse(struct api *x, const char *why);
/* The task's fd (argument i) as the daemon's entry, locked on 0; else the
 * errno: the kernel's for no fd (-EBADF) or not_ours (a file that is not
 * a context or mount at all), the rule's for another's or a forgotten one. */
int find(struct api *x, unsigned i, struct mount_ctx **ret, int not_ours);
/* The task's string at argument i; empty for NULL when null_ok. */
int read_str(struct api *x, unsigned i, char *buf, size_t size, bool null_ok);
/* Whether the journal has this call's result already (then it is in c):
 * after the task's memory is read, before anything is made. */
bool replayed(struct api *x, const void *mem, size_t n);
/* e (its fd taken) into the table, a copy of its fd (of a mount: of its
 * handle) to the task: ID_VALID right before (the copy is sent with
 * ADDFD, which fails on its own for a call that is gone meanwhile). */
int keep_and_give(struct api *x, struct mount_ctx *e, bool cloexec);
