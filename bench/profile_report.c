/* The profile group's section of benchmarks.md and member of
 * benchmarks.json: its ratios (medians of per-round ratios), the times per
 * tar xf and the daemon's notifications per run. */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "profile.h"

/* num / den, or (num - num_less) / (den - den_less): net of the launch. */
static const struct profile_ratio {
        const char *name;
        const char *num, *den;
        const char *target;
        const char *num_less, *den_less;
} ratios[] = {
        { "unotify-run with unotifyd / unsandboxed", "profile-unotifyd", "profile-none",
          "<= 1.05" },
        { "unotify-run with unotifyd / runc's plain filter", "profile-unotifyd", "profile-oci",
          "<= 1.02" },
        { "runc's plain filter / unsandboxed", "profile-oci", "profile-none",
          "(the filter's own cost)" },
        { "net of the launch (`true` subtracted): unotify-run / unsandboxed", "profile-unotifyd",
          "profile-none", "(the syscalls' share)", "profile-launch-unotifyd",
          "profile-launch-none" },
        { "net of the launch (`true` subtracted): unotify-run / runc's plain filter",
          "profile-unotifyd", "profile-oci", "(the syscalls' share)", "profile-launch-unotifyd",
          "profile-launch-oci" },
};

static const struct profile_way {
        const char *key;
        const char *label;
} ways[] = {
        { "profile-none", "unsandboxed" },
        { "profile-oci", "plain filter as runc loads it, caps: the bench's effective set" },
        { "profile-oci-runc-caps", "plain filter as runc loads it, caps: runc's default set" },
        { "profile-unotifyd", "unotify-run, unotifyd serving the profile" },
        { "profile-launch-none", "`true`, unsandboxed" },
        { "profile-launch-oci",
          "`true`, plain filter as runc loads it, caps: the bench's effective set" },
        { "profile-launch-unotifyd", "`true`, unotify-run, unotifyd serving the profile" },
};

/* The fixed cost of a launch: `true` one way minus `true` unsandboxed. */
static const struct profile_launch {
        const char *name;
        const char *way;
} launches[] = {
        { "the plain filter (libseccomp builds and loads it in the child)", "profile-launch-oci" },
        { "unotify-run (the daemon's query, the filter, the handoff)", "profile-launch-unotifyd" },
};

#define N_RATIOS (sizeof(ratios) / sizeof(ratios[0]))
#define N_WAYS (sizeof(ways) / sizeof(ways[0]))
#define N_LAUNCHES (sizeof(launches) / sizeof(launches[0]))

/* The median of the per-round ratios, or a negative value if one side did not run. */
static double ratio_value(const struct profile_ratio *r, int rounds)
{
        const double *a = report_samples(r->num), *b = report_samples(r->den);
        const double *a_less = r->num_less ? report_samples(r->num_less) : NULL;
        const double *b_less = r->den_less ? report_samples(r->den_less) : NULL;
        double v[MAX_ROUNDS];

        if (!a || !b || (r->num_less && !a_less) || (r->den_less && !b_less))
                return -1;
        for (int i = 0; i < rounds; i++)
                v[i] = (a[i] - (a_less ? a_less[i] : 0)) / (b[i] - (b_less ? b_less[i] : 0));
        return stats_median(v, rounds);
}

static void write_notifications(FILE *f, const struct profile_info *p)
{
        double v[MAX_ROUNDS];
        int n = p->notified_runs;

        for (int i = 0; i < n; i++)
                v[i] = (double)p->notifications[i];
        fprintf(f,
                "\nNotifications the daemon received per run under unotify-run: median %.0f (min "
                "%.0f, max "
                "%.0f, %d runs); its `filter_mismatches` counter after them: %llu.\n",
                stats_median(v, n), stats_min(v, n), stats_max(v, n), n,
                (unsigned long long)p->filter_mismatches);
}

/* Medians of the per-round differences, in ms. */
static void write_launches(FILE *f, int rounds)
{
        const double *base = report_samples("profile-launch-none"),
                     *tar = report_samples("profile-none");

        if (!base || !tar)
                return;
        fprintf(f, "\nWhat a launch costs alone (median of the per-round differences from `true` "
                   "unsandboxed), and "
                   "that as a share of the unsandboxed tar xf:\n\n");
        for (size_t i = 0; i < N_LAUNCHES; i++) {
                const double *s = report_samples(launches[i].way);
                double d[MAX_ROUNDS], share[MAX_ROUNDS];

                if (!s)
                        continue;
                for (int r = 0; r < rounds; r++) {
                        d[r] = (s[r] - base[r]) / 1e6;
                        share[r] = (s[r] - base[r]) / tar[r];
                }
                fprintf(f, "- %s: %.1f ms, %.3f of the tar xf\n", launches[i].name,
                        stats_median(d, rounds), stats_median(share, rounds));
        }
}

/* A JSON string, escaped. */
static void write_string(FILE *f, const char *s)
{
        json_t *j = json_string(s);
        char *text = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;

        fputs(text ? text : "null", f);
        free(text);
        json_decref(j);
}

static void write_method(FILE *f, const struct profile_info *p)
{
        fprintf(f,
                "The system `tar xf` extracts a tarball of %d files (%d directories, 512 to 4095 "
                "bytes each, "
                "%lld bytes in all; the tarball, made once, %lld bytes) into a fresh directory "
                "under `%s` (%s), "
                "timed from fork to wait; the ways below run one after the other in each round. ",
                p->files, PROFILE_DIRS, p->bytes, p->tarball_bytes, p->dir,
                p->dir_tmpfs ? "tmpfs: no disk in the times"
                             : "not tmpfs: the disk's time is in them");
        fprintf(f,
                "Docker's default profile (`%s`) is converted to an OCI `linux.seccomp` section as "
                "the Docker "
                "engine converts it (`archMap`'s entry for this machine's architecture; "
                "`includes`/`excludes`: "
                "`arches` against that one, `caps` against a capability set, `minKernel` against "
                "the running "
                "kernel): %d rules with the bench's effective set, %d with runc's default "
                "(CAP_AUDIT_WRITE, "
                "CAP_KILL, CAP_NET_BIND_SERVICE). The child loads it as runc 1.1 does (libseccomp: "
                "`seccomp_init(defaultAction)`, the architectures, a rule per name with its action "
                "and "
                "`errnoRet`, `seccomp_load`; runc's ENOSYS stub is not added), then execs tar. ",
                p->path, p->rules_own, p->rules_runc);
        fprintf(f,
                "The daemon's policy directory holds the profile file unmodified; `unotify-run "
                "--policy %s` "
                "starts tar, its own time included. `true` in place of tar gives the cost of a "
                "launch alone. "
                "The daemon's `notifications_received` counter (`stats` on its control socket) is "
                "read before "
                "and after each tar xf.\n\n",
                PROFILE_POLICY);
}

void profile_write_markdown(FILE *f, const struct run_plan *plan)
{
        const struct profile_info *p = plan->profile;

        fprintf(f, "## Docker's default profile: tar xf\n\n");
        if (p->skipped[0]) {
                fprintf(f, "Skipped: %s.\n\n", p->skipped);
                return;
        }
        write_method(f, p);
        fprintf(f, "| comparison | ratio | target |\n|---|---:|---|\n");
        for (size_t i = 0; i < N_RATIOS; i++)
                if (ratio_value(&ratios[i], plan->rounds) > 0)
                        fprintf(f, "| %s | %.3f | %s |\n", ratios[i].name,
                                ratio_value(&ratios[i], plan->rounds), ratios[i].target);
        fprintf(f, "\n| way | median ms per run | min | max |\n|---|---:|---:|---:|\n");
        for (size_t i = 0; i < N_WAYS; i++) {
                const double *s = report_samples(ways[i].key);

                if (s)
                        fprintf(f, "| %s | %.1f | %.1f | %.1f |\n", ways[i].label,
                                stats_median(s, plan->rounds) / 1e6,
                                stats_min(s, plan->rounds) / 1e6, stats_max(s, plan->rounds) / 1e6);
        }
        write_launches(f, plan->rounds);
        if (p->notified_runs)
                write_notifications(f, p);
        fprintf(f, "\n");
}

void profile_write_json(FILE *f, const struct run_plan *plan)
{
        const struct profile_info *p = plan->profile;
        bool first = true;

        fprintf(f, "  \"profile\": {\"skipped\": ");
        write_string(f, p->skipped);
        fprintf(f, ", \"path\": ");
        write_string(f, p->path);
        fprintf(f,
                ", \"files\": %d, \"bytes\": %lld, \"rules_own_caps\": %d, \"rules_runc_caps\": "
                "%d, "
                "\"filter_mismatches\": %llu, \"notifications_per_run\": [",
                p->files, p->bytes, p->rules_own, p->rules_runc,
                (unsigned long long)p->filter_mismatches);
        for (int i = 0; i < p->notified_runs; i++)
                fprintf(f, "%s%llu", i ? ", " : "", (unsigned long long)p->notifications[i]);
        fprintf(f, "], \"ratios\": [");
        for (size_t i = 0; i < N_RATIOS; i++) {
                double v = ratio_value(&ratios[i], plan->rounds);

                if (v <= 0)
                        continue;
                fprintf(f, "%s{\"name\": \"%s\", \"value\": %.3f, \"target\": \"%s\"}",
                        first ? "" : ", ", ratios[i].name, v, ratios[i].target);
                first = false;
        }
        fprintf(f, "]},\n");
}
