/* The "profile" group: tar xf of many small files unsandboxed, under
 * Docker's default profile as runc loads it, and under unotify-run with an
 * unotifyd that serves the same profile, unmodified. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "report.h"

#define PROFILE_DEFAULT_PATH \
        "/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json"
#define PROFILE_PACKAGE "golang-github-docker-docker-dev"
/* The file's name in the daemon's policy directory, and the policy's. */
#define PROFILE_POLICY "default"
#define PROFILE_FILES 2000
#define PROFILE_DIRS 20

/* Where the files are extracted: tmpfs, so that the disk's own noise
 * stays out of the times (--profile-dir). */
#define PROFILE_DEFAULT_DIR "/dev/shm"

struct profile_options {
        const char *path; /* the profile */
        const char *unotifyd, *unotify_run;
        const char *dir; /* the workspace's parent */
};

/* What the report says about the group besides its timings. */
struct profile_info {
        char skipped[256]; /* why the group did not run; empty if it did */
        const char *path;  /* the profile */
        const char *dir;
        bool dir_tmpfs;
        int files;
        long long bytes; /* of the files' contents */
        long long tarball_bytes;
        int rules_own, rules_runc; /* rules in the OCI sections (own caps, runc's) */
        int notified_runs;
        uint64_t notifications[MAX_ROUNDS]; /* per timed run under unotify-run */
        uint64_t filter_mismatches;         /* the daemon's counter after the runs */
};

/* Make the tarball, convert the profile, start a daemon with it. Returns
 * 0; or 1 with info->skipped set when the profile is missing; or -errno
 * with info->skipped set (the daemon refused the profile, ...). */
int profile_setup(const struct profile_options *o, struct profile_info *info);
/* ns for one tar xf of the configuration (CALL_TAR_XF), or < 0. */
double profile_run(const struct config *c);
void profile_teardown(void);

/* The group's section of benchmarks.md and its member of benchmarks.json. */
void profile_write_markdown(FILE *f, const struct run_plan *plan);
void profile_write_json(FILE *f, const struct run_plan *plan);
