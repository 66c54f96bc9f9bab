/* The mount handler's FUSE mounts (mount_fuse.c): a "fuse" or
 * "fuse.SUBTYPE" filesystem on a /dev/fuse fd the task opened, its context
 * the task's user namespace's (opened by a child that joined it), as the
 * kernel makes one for a container root that may mount: FUSE then lets
 * only that namespace's processes in, and its ids are the container's. */
#pragma once

#include <stdbool.h>

#include "handlers/handler.h"
#include "handlers/mount_opts.h"
#include "emulate/worker.h"

struct mount_fuse {
        int dev_fd;            /* the daemon's copy of the task's /dev/fuse fd; -1 */
        char fd[16];           /* its number, the value of fd= */
        char uid[16], gid[16]; /* user_id=, group_id= as the host's ids */
};

/* Whether type is "fuse" or "fuse." and a subtype (*ret_subtype, or NULL). */
bool mount_fuse_type(const char *type, const char **ret_subtype);
/* The type checked against the rule (fuse on its list); nosuid and nodev
 * forced; the subtype as an option. Returns 0 or -errno (*why set). */
int mount_fuse_check_type(struct mount_args *m, const struct unotify_handler_options *o,
                          const char *type, struct mount_fuse *f, const char **why);
/* One option: fd= (the task's fd, which must be /dev/fuse: copied, passed
 * as the daemon's number), rootmode=, user_id=, group_id= (the task's ids,
 * passed as the host's: the kernel reads them in the caller's namespace
 * and wants them mapped in the context's), max_read=,
 * allow_other, default_permissions; anything else is refused. value
 * points into memory that outlives the plan. */
int mount_fuse_option(struct emul_call *c, struct worker *w, struct mount_args *m,
                      struct mount_fuse *f, const char *key, char *value);
/* The data string, comma-separated (cut in place). */
int mount_fuse_data(struct emul_call *c, struct worker *w, struct mount_args *m,
                    struct mount_fuse *f, char *data);
void mount_fuse_init(struct mount_fuse *f);
void mount_fuse_done(struct mount_fuse *f);
