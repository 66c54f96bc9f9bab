/* The groups with a section of their own in benchmarks.md besides the
 * profile's (profile_report.c): a heading, what is measured, the group's
 * ratios and its configurations; and their members of benchmarks.json. The
 * general tables (report_write.c) leave them out. Figures and what they
 * mean belong in performance.md, not here: this text is fixed. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

static const struct section {
        const char *group;
        const char *heading;
        const char *about; /* what is measured, in any run */
} sections[] = {
        { "landlock", "Landlock: a path deny in the kernel vs through the daemon",
          "One thread calls `openat(2)` in a loop: denied by a Landlock ruleset that handles "
          "file reads and allows none (no seccomp filter, no daemon), denied by unotifyd's "
          "path rule (the filter notifies, the daemon reads the path, answers `EACCES`), and, "
          "for scale, an unsandboxed `openat` of a missing file (`ENOENT`). The Landlock "
          "configuration opens an existing file, so its time holds the lookup and Landlock's "
          "check; the path the daemon denies is never looked up." },
        { "emulate", "Handlers for unprivileged containers: sysinfo, sched, mount, xattr",
          "One thread calls, in a loop: `sysinfo(2)`; `sched_setscheduler(0, SCHED_OTHER, 0)`; "
          "a tmpfs `mount(2)` (`size=64k`) and its `umount2(2)` (two notified calls per "
          "iteration, in a mount namespace of the target's own; ns/call below is per "
          "iteration); `setxattr(2)` of `trusted.overlay.opaque` (the `xattr` handler). Each "
          "natively as a privileged process without a filter, answered CONTINUE by unotifyd "
          "(the kernel then runs it), and emulated by the handler. The emulated targets' "
          "filters have `WAIT_KILLABLE_RECV` and say so in the handoff, so no call is answered "
          "from the preemption journal: every mount is made." },
};

#define N_SECTIONS (sizeof(sections) / sizeof(sections[0]))

bool report_own_section(const char *group)
{
        if (!strcmp(group, "profile"))
                return true;
        for (size_t i = 0; i < N_SECTIONS; i++)
                if (!strcmp(group, sections[i].group))
                        return true;
        return false;
}

static bool section_ran(const struct section *s)
{
        for (size_t i = 0; i < report_n_configs; i++)
                if (!strcmp(report_configs[i].group, s->group) && report_ran(i))
                        return true;
        return false;
}

static bool ratio_in(const struct ratio *r, const struct section *s)
{
        return !strcmp(report_ratio_group(r), s->group) && report_ratio_ran(r);
}

static void write_section(FILE *f, const struct section *s, int rounds)
{
        bool first = true;

        fprintf(f, "## %s\n\n%s\n\n", s->heading, s->about);
        for (size_t i = 0; i < report_n_ratios; i++) {
                if (!ratio_in(&report_ratios[i], s))
                        continue;
                if (first)
                        report_write_ratio_head(f);
                report_write_ratio_row(f, &report_ratios[i], rounds);
                first = false;
        }
        if (!first)
                fprintf(f, "\n");
        report_write_config_head(f);
        for (size_t i = 0; i < report_n_configs; i++)
                if (!strcmp(report_configs[i].group, s->group) && report_ran(i))
                        report_write_config_row(f, i, rounds);
        fprintf(f, "\n");
}

void report_write_sections(FILE *f, const struct run_plan *plan)
{
        for (size_t i = 0; i < N_SECTIONS; i++)
                if (section_ran(&sections[i]))
                        write_section(f, &sections[i], plan->rounds);
}

/* As the profile's member: "group": {"ratios": [...]}; the configurations
 * stay in "configs" with the others. */
void report_write_sections_json(FILE *f, const struct run_plan *plan)
{
        for (size_t i = 0; i < N_SECTIONS; i++) {
                bool first = true;

                if (!section_ran(&sections[i]))
                        continue;
                fprintf(f, "  \"%s\": {\"ratios\": [", sections[i].group);
                for (size_t j = 0; j < report_n_ratios; j++) {
                        if (!ratio_in(&report_ratios[j], &sections[i]))
                                continue;
                        fprintf(f, "%s", first ? "" : ", ");
                        report_write_ratio_json(f, &report_ratios[j], plan->rounds);
                        first = false;
                }
                fprintf(f, "]},\n");
        }
}
