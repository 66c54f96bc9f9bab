/* One recording of learn mode (docs/learn.md): which syscalls were made on
 * which ABI, the values of the flag and enum arguments that matter for a
 * profile, and the paths the path arguments named. Bounded by the
 * policy's "learn" limits: past them values and paths are dropped (and
 * counted as capped), and paths past maxPaths fold to their first
 * pathDepth components. No I/O: the caller reads the target. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "unotify/policy.h"

/* Syscall numbers kept per ABI (less the ABI's base: x32's bit). */
#define LEARN_NR_MAX 1024
#define LEARN_ARCHES 3
/* Longer paths are kept folded only. */
#define LEARN_PATH_KEEP_MAX 1024

struct learn_rec;

/* What recordings sharing it may hold together (--limit learn-bytes):
 * past max a recording does not start, and a value or path that needs
 * more memory is dropped as capped; each such refusal is counted. */
struct learn_budget {
        size_t used, max;
        uint64_t capped;
};

/* The arguments whose values are recorded, and the path arguments. */
struct learn_arg {
        const char *name;
        unsigned index;
        bool flags;     /* a bit mask: the union of its bits is what a profile allows */
        bool in_memory; /* the value is the first u64 of the struct the argument points to */
};

struct learn_path_arg {
        const char *name;
        unsigned index;
        int dirfd; /* argument index of the directory fd, -1: none */
};

const struct learn_arg *learn_arg_at(size_t i);
const struct learn_path_arg *learn_path_arg_at(size_t i);

/* A new empty recording with these limits (copied), charged to budget
 * (borrowed, outlives it; NULL: none). NULL with errno ENOMEM, or ENOSPC
 * when the budget has no room for it. */
struct learn_rec *learn_rec_new(const struct unotify_learn_limits *limits,
                                struct learn_budget *budget);
/* Accepts NULL; returns NULL. Gives its bytes back to its budget. */
struct learn_rec *learn_rec_free(struct learn_rec *r);

/* Record one call: ABI slot arch (learn_arch_slot), its number less the
 * ABI's base. Out of range: counted, not kept. */
void learn_rec_call(struct learn_rec *r, unsigned arch, uint32_t nr);
/* Record value v of argument learn_arg_at(arg). */
void learn_rec_value(struct learn_rec *r, size_t arg, uint64_t v);
/* Record the absolute, normalized path that argument
 * learn_path_arg_at(group) named. Returns 0 or -ENOMEM. */
int learn_rec_path(struct learn_rec *r, size_t group, const char *path);

/* Add everything from (borrowed) into into, within into's limits.
 * Returns 0 or -ENOMEM. */
int learn_rec_merge(struct learn_rec *into, const struct learn_rec *from);

/* The ABI slot of a seccomp_data arch and number, and the number less the
 * ABI's base; -1 for an ABI the daemon does not know. */
int learn_arch_slot(uint32_t audit_arch, uint32_t nr, uint32_t *ret_nr);

/* The recording as JSON (docs/learn.md, "The recording"). NULL: ENOMEM. */
json_t *learn_rec_json(const struct learn_rec *r);

/* Notifications recorded, and bytes the recording holds (for list). */
uint64_t learn_rec_calls(const struct learn_rec *r);
size_t learn_rec_bytes(const struct learn_rec *r);
