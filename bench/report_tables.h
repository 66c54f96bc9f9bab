/* The report's tables and samples (report.c), for its writers
 * (report_write.c): not for the rest of the benchmark, which goes
 * through report.h. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "report.h"

/* A comparison of two configurations, the median of per-round ratios. */
struct ratio {
        const char *name;
        const char *num, *den; /* config keys: ns per call of num / den */
        const char *target;
};

extern const struct config *const report_configs;
extern const size_t report_n_configs;
extern const struct ratio *const report_ratios;
extern const size_t report_n_ratios;

/* The index of the configuration with this key, or -1. */
int report_config_index(const char *key);
/* Whether configuration i ran (its first round has a sample). */
bool report_ran(size_t i);
/* Configuration i's samples, one a round (0 where it did not run). */
const double *report_row(size_t i);
/* Whether both sides of r ran, and its value over the rounds. */
bool report_ratio_ran(const struct ratio *r);
double report_ratio_value(const struct ratio *r, int rounds);

/* Write the report of the rounds: the markdown table on stdout, and with
 * plan->out also benchmarks.md, benchmarks.json and (without --only) the
 * plot there. Returns an exit code. */
int report_write(const struct run_plan *plan);
