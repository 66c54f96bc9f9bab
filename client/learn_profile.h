/* unotifyctl learn: recordings (the daemon's "learn save" reply, or files
 * of them) into profiles, several into one, and a recording against a
 * profile. Recordings and profiles are jansson objects. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

struct learn_export_opts {
        int errno_ret;           /* defaultErrnoRet (default EPERM) */
        unsigned max_args;       /* at most this many values make per-value rules (default 16) */
        bool paths;              /* path rules: emulated opens within what was seen */
        unsigned explicit_paths; /* up to this many files a name gets them listed, else prefixes */
        bool audit;              /* denials go to the daemon, which counts and logs them */
};

/* Whether v looks like a recording ("unotifyRecording": 1). */
bool learn_is_recording(const json_t *v);

/* The profile of recording rec (borrowed): OCI/Docker vocabulary,
 * defaultAction SCMP_ACT_ERRNO. NULL: out of memory. */
json_t *learn_profile(const json_t *rec, const struct learn_export_opts *o);

/* Add recording from into recording into (both borrowed), within into's
 * limits. Returns 0 or -ENOMEM. */
int learn_merge(json_t *into, const json_t *from);

/* The diff of recording rec against the policy in profile_path: what the
 * profile denies that rec did ("denied") and what it allows that rec never
 * used ("unused"). Prints it (json: as JSON). Returns the exit status. */
int learn_diff(const json_t *rec, const char *profile_path, bool json);
