/* The loader's face: reading a policy file, and a directory of them whose
 * policies include each other and are selected by listeners (policy.c,
 * set.c, include.c, select.c). */
#pragma once

#include "compile/compile.h"

/* policy.c: read at most UNOTIFY_POLICY_MAX_FILE_SIZE bytes of the file open at fd
 * and parse them as JSON; path names it in diagnostics. Returns 0, -EINVAL
 * (see diags), -ENOMEM, or the -errno of reading. */
int policy_read_json(int fd, const char *path, json_t **ret, struct unotify_diags *diags);
int load_opts_from(const struct unotify_load_options *o, struct load_opts *ret);

/* One file of a directory being loaded (set.c, include.c). */
struct unit {
        char *path;
        json_t *root;
        struct draft draft;
        bool ok;            /* parsed without errors, name unique */
        int *includes;      /* draft.includes as unit indices; -1: unknown */
        unsigned char mark; /* for graph walks */
        struct unotify_policy *policy;
};

/* include.c: resolve every unit's includes; report unknown names and
 * cycles (which mark the units not ok). Returns 0, -EINVAL or -ENOMEM. */
int units_link(struct unit *units, size_t n, struct unotify_diags *diags);
/* The parts to compile unit i from: what it includes (transitively, each
 * once, includes before includers) then itself. parts has room for n.
 * Returns how many were written. */
size_t units_expand(struct unit *units, size_t n, size_t i, struct compile_part *parts);
/* select.c: at most one default, no two selectors that may overlap;
 * policies in load order. Returns 0, -EINVAL or -ENOMEM. */
int check_selection(struct unotify_policy *const *policies, size_t n, struct unotify_diags *diags);
