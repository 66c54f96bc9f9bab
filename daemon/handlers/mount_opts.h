/* What the mount handler makes of a mount(2) call's flags, type and
 * options (and of a delegated context's fsconfig(2) keys), checked
 * against the rule, without the task: pure functions the fuzz targets
 * call alone (tests/fuzz/fuzz_mount_opts.c).
 *
 * Each returns 0; -o->refuse_errno with *why set when the rule refuses
 * it; or another -errno the kernel would give (-E2BIG: more options than
 * a plan holds). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "emulate/mount_ns.h"
#include "unotify/policy.h"

#define MOUNT_FS_OPTIONS_MAX 8 /* options a task may pass */

struct mount_args {
        unsigned long flags;                       /* MS_*, the old magic dropped */
        uint64_t asked_attrs;                      /* MOUNT_ATTR_* of the task's flags */
        unsigned fs_type;                          /* enum unotify_mount_type */
        const char *ns;                            /* the task's namespace the context is made in */
        unsigned n_options;                        /* options seen, for the cap */
        bool sized;                                /* a size= was given */
        int gid_index;                             /* in plan.fs_values: a devpts gid= to map; -1 */
        const char *layer_paths[MOUNT_LAYERS_MAX]; /* overlay, into the data */
        unsigned n_layers;
        char size[32]; /* the default size= */
        struct mount_plan plan;
};

/* Before anything else: every fd of the plan -1, no gid=. */
void mount_args_init(struct mount_args *m, unsigned long flags);

/* The MS_* flags as attributes: allowed or forced ones only; remounts,
 * moves and propagation changes refused. */
int mount_check_flags(struct mount_args *m, const struct unotify_handler_options *o,
                      const char **why);

/* A bind (MS_BIND) or a type on the rule's list: its forced flags. */
int mount_check_type(struct mount_args *m, const struct unotify_handler_options *o,
                     const char *type, const char **why);

/* One option (value NULL: a flag) for the type mount_check_type found;
 * value points into memory that outlives the plan (the data string). */
int mount_add_option(struct mount_args *m, const struct unotify_handler_options *o, const char *key,
                     char *value, const char **why);

/* The data string, comma-separated (cut in place), then mount_finish. */
int mount_check_data(struct mount_args *m, const struct unotify_handler_options *o, char *data,
                     const char **why);

/* A key the handler sets itself (value NULL: a flag); -E2BIG when full. */
int mount_add_fs(struct mount_args *m, const char *key, const char *value);

/* After the last option: what the handler adds (overlay's no redirects or
 * metacopy; a tmpfs's size= cap when none was asked). */
int mount_finish(struct mount_args *m, const struct unotify_handler_options *o);
