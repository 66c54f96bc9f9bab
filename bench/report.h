/* The benchmark's configurations, its rounds, and what it writes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bench.h"

#define MAX_ROUNDS 50
#define MAX_PROCS 64

enum supervisor {
        SUP_NONE = 1,
        SUP_REF,             /* reference, plain blocking loop */
        SUP_REF_SYNC,        /* reference with SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP */
        SUP_REF_NICE,        /* reference at unotifyd's default nice value */
        SUP_UNOTIFYD,        /* unotifyd in its default configuration */
        SUP_UNOTIFYD_NOSYNC, /* unotifyd --no-sync-wake-up */
        SUP_UNOTIFYD_NICE0,  /* unotifyd --nice 0 */
        SUP_UNOTIFYD_IDLE,   /* unotifyd, default configuration, holding the idle listeners */
        SUP_UNOTIFYD_PROFILE, /* unotify-run under the unotifyd serving Docker's profile (profile.h) */
        SUP_UNOTIFYD_HOSTILE, /* unotifyd, default configuration, a hostile listener beside (fairness.c) */
};

struct profile_info;

struct config {
        const char *key;
        const char *group;
        const char *label;
        enum filter_kind filter;
        int threads; /* in all */
        int procs;   /* target processes = listeners */
        enum supervisor sup;
        enum ref_mode mode;
        enum placement place;
        enum target_call call;
};

struct run_plan {
        int rounds;
        uint64_t calls;   /* per thread for one thread; fewer per thread when there are more */
        const char *out;  /* NULL: stdout only (--only without --out) */
        const char *only; /* comma-separated groups, or NULL for all */
        bool quick;
        /* The cost of scale: listeners held by SUP_UNOTIFYD_IDLE, and that
         * daemon's RSS before and after they were handed to it. */
        int idle_listeners;
        long idle_rss_before_kib, idle_rss_after_kib;
        /* The profile group, when selected (else NULL): its figures, for
         * its own sections, which the caller hands in (profile.h) so that
         * the report knows none of the group's code. Its configurations do
         * not run when profile_skipped says its setup could not run. */
        const struct profile_info *profile;
        bool profile_skipped;
        void (*profile_markdown)(FILE *f, const struct run_plan *plan);
        void (*profile_json)(FILE *f, const struct run_plan *plan);
};

/* ns per call for one run of c, or < 0 on failure. */
typedef double (*run_fn)(const struct config *c, uint64_t calls_per_thread);

/* Run every configuration plan->rounds times, interleaved, and write the
 * report (report_write.c). Returns an exit code. */
int report_run(const struct run_plan *plan, run_fn run);
/* The rounds alone (report.c): 0, or 1 when a run failed. */
int report_rounds(const struct run_plan *plan, run_fn run);

/* Whether --only (plan->only) names this group of configurations, or
 * this configuration's key. */
bool report_selects(const struct run_plan *plan, const char *group);
/* The first name in --only that is no group and no key, or NULL. */
const char *report_unknown_group(const struct run_plan *plan);
/* Whether any configuration of the group runs (by group or key). */
bool report_group_runs(const struct run_plan *plan, const char *group);
/* The samples of a configuration that ran (one a round), or NULL. */
const double *report_samples(const char *key);

/* The tables and samples (report.c), for the writers (report_write.c).
 * A ratio compares two configurations by the median of per-round ratios. */
struct ratio {
        const char *name;
        const char *num, *den; /* config keys: ns per call of num / den */
        const char *target;
};

extern const struct config *const report_configs;
extern const size_t report_n_configs;
extern const struct ratio *const report_ratios;
extern const size_t report_n_ratios;

/* The group of r's configurations (its numerator's). */
const char *report_ratio_group(const struct ratio *r);
/* The index of the configuration with this key, or -1. */
int report_config_index(const char *key);
/* Whether configuration i ran (its first round has a sample). */
bool report_ran(size_t i);
/* Configuration i's samples, one a round (0 where it did not run). */
const double *report_row(size_t i);
/* Whether both sides of r ran, and its value over the rounds. */
bool report_ratio_ran(const struct ratio *r);
double report_ratio_value(const struct ratio *r, int rounds);

/* Groups with a section of their own (profile_report.c, section_report.c):
 * their ratios and configurations are left out of the general tables. */
bool report_own_section(const char *group);
/* The sections other than the profile's, for the groups that ran. */
void report_write_sections(FILE *f, const struct run_plan *plan);
void report_write_sections_json(FILE *f, const struct run_plan *plan);
/* Table heads and rows (report_write.c), the same in every table. */
void report_write_ratio_head(FILE *f);
void report_write_ratio_row(FILE *f, const struct ratio *r, int rounds);
void report_write_ratio_json(FILE *f, const struct ratio *r, int rounds);
void report_write_config_head(FILE *f);
void report_write_config_row(FILE *f, size_t i, int rounds);

double stats_median(const double *v, int n);
double stats_min(const double *v, int n);
double stats_max(const double *v, int n);
