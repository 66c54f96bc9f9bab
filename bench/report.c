/* The benchmark's configurations and ratios, its rounds, and which of
 * them --only selects; report_write.c runs them and writes what they
 * measured. */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define C(key, group, label, filter, threads, procs, sup, mode)                               \
        {                                                                                     \
                key, group, label, filter, threads, procs, sup, mode, PLACE_ANY, CALL_GETPPID \
        }
#define PLACED(key, label, sup, place)                                                  \
        {                                                                               \
                key, "placement", label, FILTER_NOTIFY, 1, 1, sup, REF_CONTINUE, place, \
                        CALL_GETPPID                                                    \
        }
#define OPENS(key, label, filter, sup, mode, call)                           \
        {                                                                    \
                key, "open", label, filter, 1, 1, sup, mode, PLACE_ANY, call \
        }
#define PATHS(key, label, sup, mode)                                                            \
        {                                                                                       \
                key, "path", label, FILTER_NOTIFY, 1, 1, sup, mode, PLACE_ANY, CALL_OPEN_DENIED \
        }
#define LANDLOCK(key, label, filter, sup, mode, call)                            \
        {                                                                        \
                key, "landlock", label, filter, 1, 1, sup, mode, PLACE_ANY, call \
        }
#define FAIR(key, label, sup, mode, call)                                               \
        {                                                                               \
                key, "fairness", label, FILTER_NOTIFY, 1, 1, sup, mode, PLACE_ANY, call \
        }
#define LEARN(key, label, filter, sup, mode, call)                            \
        {                                                                     \
                key, "learn", label, filter, 1, 1, sup, mode, PLACE_ANY, call \
        }
#define EMULATED(key, label, filter, sup, mode, call)                           \
        {                                                                       \
                key, "emulate", label, filter, 1, 1, sup, mode, PLACE_ANY, call \
        }
#define PROFILE(key, label, filter, sup, call)                                          \
        {                                                                               \
                key, "profile", label, filter, 1, 1, sup, REF_CONTINUE, PLACE_ANY, call \
        }

/* The labels below name the reference's priority. */
_Static_assert(REF_NICE == -10, "the labels say \"reference at nice -10\"");

static const struct config configs[] = {
        C("nofilter", "one", "no filter", FILTER_NONE, 1, 1, SUP_NONE, REF_CONTINUE),
        C("allowall", "one", "allow-all filter", FILTER_ALLOW, 1, 1, SUP_NONE, REF_CONTINUE),
        C("ref-continue", "one", "reference, CONTINUE", FILTER_NOTIFY, 1, 1, SUP_REF, REF_CONTINUE),
        C("refsync-continue", "one", "reference + SYNC_WAKE_UP, CONTINUE", FILTER_NOTIFY, 1, 1,
          SUP_REF_SYNC, REF_CONTINUE),
        C("unotifyd-continue", "one", "unotifyd, CONTINUE", FILTER_NOTIFY, 1, 1, SUP_UNOTIFYD,
          REF_CONTINUE),
        C("unotifyd-nosync-continue", "one", "unotifyd --no-sync-wake-up, CONTINUE", FILTER_NOTIFY,
          1, 1, SUP_UNOTIFYD_NOSYNC, REF_CONTINUE),
        C("refnice-continue", "one", "reference at nice -10, CONTINUE", FILTER_NOTIFY, 1, 1,
          SUP_REF_NICE, REF_CONTINUE),
        C("unotifyd-nice0-continue", "one", "unotifyd --nice 0, CONTINUE", FILTER_NOTIFY, 1, 1,
          SUP_UNOTIFYD_NICE0, REF_CONTINUE),
        C("ref-errno", "one", "reference, errno", FILTER_NOTIFY, 1, 1, SUP_REF, REF_ERRNO),
        C("refsync-errno", "one", "reference + SYNC_WAKE_UP, errno", FILTER_NOTIFY, 1, 1,
          SUP_REF_SYNC, REF_ERRNO),
        C("unotifyd-errno", "one", "unotifyd, errno", FILTER_NOTIFY, 1, 1, SUP_UNOTIFYD, REF_ERRNO),
        C("ref-memread", "one", "reference, 64-byte read + ID_VALID, CONTINUE", FILTER_NOTIFY, 1, 1,
          SUP_REF, REF_MEMREAD),
        C("refsync-memread", "one", "reference + SYNC_WAKE_UP, 64-byte read + ID_VALID",
          FILTER_NOTIFY, 1, 1, SUP_REF_SYNC, REF_MEMREAD),
        PATHS("ref-path", "reference, openat: read the path + ID_VALID, EACCES", SUP_REF,
              REF_PATHDENY),
        PATHS("refsync-path", "reference + SYNC_WAKE_UP, openat: read the path + ID_VALID, EACCES",
              SUP_REF_SYNC, REF_PATHDENY),
        PATHS("unotifyd-path", "unotifyd, openat: deny by path prefix (EACCES)", SUP_UNOTIFYD,
              REF_PATHDENY),
        OPENS("open-nofilter", "openat + close, no filter", FILTER_NONE, SUP_NONE, REF_CONTINUE,
              CALL_OPEN_ALLOWED),
        OPENS("refsync-open", "openat + close, reference + SYNC_WAKE_UP, CONTINUE", FILTER_NOTIFY,
              SUP_REF_SYNC, REF_CONTINUE, CALL_OPEN_ALLOWED),
        OPENS("unotifyd-open-continue", "openat + close, unotifyd, CONTINUE", FILTER_NOTIFY,
              SUP_UNOTIFYD, REF_CONTINUE, CALL_OPEN_ALLOWED),
        LANDLOCK("landlock-none", "openat of a missing file, unsandboxed (ENOENT)", FILTER_NONE,
                 SUP_NONE, REF_CONTINUE, CALL_OPEN_DENIED),
        LANDLOCK("landlock-kernel", "openat denied by Landlock (EACCES), no daemon, no filter",
                 FILTER_LANDLOCK, SUP_NONE, REF_CONTINUE, CALL_OPEN_EXISTING),
        LANDLOCK("landlock-daemon", "openat denied by unotifyd's path rule (EACCES)", FILTER_NOTIFY,
                 SUP_UNOTIFYD, REF_PATHDENY, CALL_OPEN_DENIED),
        OPENS("refsync-open-addfd",
              "openat + close, reference + SYNC_WAKE_UP: read the path, open it, ADDFD_FLAG_SEND",
              FILTER_NOTIFY, SUP_REF_SYNC, REF_OPEN_ADDFD, CALL_OPEN_ALLOWED),
        OPENS("unotifyd-open-emulate", "openat + close, unotifyd, open handler (ADDFD + SEND)",
              FILTER_NOTIFY, SUP_UNOTIFYD, REF_EMULATE_OPEN, CALL_OPEN_ALLOWED),
        LEARN("learn-nofilter", "getppid, no filter", FILTER_NONE, SUP_NONE, REF_CONTINUE,
              CALL_GETPPID),
        LEARN("learn-continue", "getppid, unotifyd, CONTINUE", FILTER_NOTIFY, SUP_UNOTIFYD,
              REF_CONTINUE, CALL_GETPPID),
        LEARN("learn-getppid", "getppid, unotifyd recording (learn), CONTINUE", FILTER_NOTIFY,
              SUP_UNOTIFYD, REF_LEARN, CALL_GETPPID),
        LEARN("learn-open-continue", "openat + close, unotifyd, CONTINUE", FILTER_NOTIFY,
              SUP_UNOTIFYD, REF_CONTINUE, CALL_OPEN_ALLOWED),
        LEARN("learn-open", "openat + close, unotifyd recording (learn: the path read), CONTINUE",
              FILTER_NOTIFY, SUP_UNOTIFYD, REF_LEARN, CALL_OPEN_ALLOWED),
        EMULATED("sysinfo-native", "sysinfo, no filter", FILTER_NONE, SUP_NONE, REF_CONTINUE,
                 CALL_SYSINFO),
        EMULATED("unotifyd-sysinfo-continue", "sysinfo, unotifyd, CONTINUE", FILTER_NOTIFY,
                 SUP_UNOTIFYD, REF_CONTINUE, CALL_SYSINFO),
        EMULATED("unotifyd-sysinfo-emulate", "sysinfo, unotifyd, sysinfo handler", FILTER_NOTIFY,
                 SUP_UNOTIFYD, REF_EMULATE_SYSINFO, CALL_SYSINFO),
        EMULATED("sched-native", "sched_setscheduler, privileged, no filter", FILTER_NONE, SUP_NONE,
                 REF_CONTINUE, CALL_SCHED),
        EMULATED("unotifyd-sched-continue", "sched_setscheduler, unotifyd, CONTINUE", FILTER_NOTIFY,
                 SUP_UNOTIFYD, REF_CONTINUE, CALL_SCHED),
        EMULATED("unotifyd-sched-emulate", "sched_setscheduler, unotifyd, sched handler",
                 FILTER_NOTIFY, SUP_UNOTIFYD, REF_EMULATE_SCHED, CALL_SCHED),
        EMULATED("mount-native", "tmpfs mount + umount2, privileged, no filter", FILTER_NONE,
                 SUP_NONE, REF_CONTINUE, CALL_MOUNT),
        EMULATED("unotifyd-mount-continue", "tmpfs mount + umount2, unotifyd, CONTINUE",
                 FILTER_NOTIFY, SUP_UNOTIFYD, REF_CONTINUE, CALL_MOUNT),
        EMULATED("unotifyd-mount-emulate", "tmpfs mount + umount2, unotifyd, mount handler",
                 FILTER_NOTIFY, SUP_UNOTIFYD, REF_EMULATE_MOUNT, CALL_MOUNT),
        EMULATED("xattr-native", "setxattr trusted.overlay.opaque, privileged, no filter",
                 FILTER_NONE, SUP_NONE, REF_CONTINUE, CALL_XATTR),
        EMULATED("unotifyd-xattr-continue", "setxattr trusted.overlay.opaque, unotifyd, CONTINUE",
                 FILTER_NOTIFY, SUP_UNOTIFYD, REF_CONTINUE, CALL_XATTR),
        EMULATED("unotifyd-xattr-emulate",
                 "setxattr trusted.overlay.opaque, unotifyd, xattr handler", FILTER_NOTIFY,
                 SUP_UNOTIFYD, REF_EMULATE_XATTR, CALL_XATTR),
        C("unotifyd-idle-continue", "scale", "unotifyd holding the idle listeners, CONTINUE",
          FILTER_NOTIFY, 1, 1, SUP_UNOTIFYD_IDLE, REF_CONTINUE),
        PLACED("refsync-same", "reference + SYNC_WAKE_UP, same CPU", SUP_REF_SYNC, PLACE_SAME_CPU),
        PLACED("refsync-split", "reference + SYNC_WAKE_UP, different CPUs", SUP_REF_SYNC,
               PLACE_SPLIT_CPUS),
        PLACED("ref-same", "reference, same CPU", SUP_REF, PLACE_SAME_CPU),
        PLACED("ref-split", "reference, different CPUs", SUP_REF, PLACE_SPLIT_CPUS),
        PLACED("unotifyd-same", "unotifyd, same CPU", SUP_UNOTIFYD, PLACE_SAME_CPU),
        PLACED("unotifyd-split", "unotifyd, different CPUs", SUP_UNOTIFYD, PLACE_SPLIT_CPUS),
        PLACED("unotifyd-nosync-same", "unotifyd --no-sync-wake-up, same CPU", SUP_UNOTIFYD_NOSYNC,
               PLACE_SAME_CPU),
        PLACED("unotifyd-nosync-split", "unotifyd --no-sync-wake-up, different CPUs",
               SUP_UNOTIFYD_NOSYNC, PLACE_SPLIT_CPUS),
#define CONC(n)                                                                                    \
        C("ref-t" #n, "threads", "reference, " #n " threads", FILTER_NOTIFY, n, 1, SUP_REF,        \
          REF_CONTINUE),                                                                           \
                C("refsync-t" #n, "threads", "reference + SYNC_WAKE_UP, " #n " threads",           \
                  FILTER_NOTIFY, n, 1, SUP_REF_SYNC, REF_CONTINUE),                                \
                C("unotifyd-t" #n, "threads", "unotifyd, " #n " threads", FILTER_NOTIFY, n, 1,     \
                  SUP_UNOTIFYD, REF_CONTINUE),                                                     \
                C("unotifyd-nosync-t" #n, "threads", "unotifyd --no-sync-wake-up, " #n " threads", \
                  FILTER_NOTIFY, n, 1, SUP_UNOTIFYD_NOSYNC, REF_CONTINUE),                         \
                C("refnice-t" #n, "threads", "reference at nice -10, " #n " threads",              \
                  FILTER_NOTIFY, n, 1, SUP_REF_NICE, REF_CONTINUE),                                \
                C("unotifyd-nice0-t" #n, "threads", "unotifyd --nice 0, " #n " threads",           \
                  FILTER_NOTIFY, n, 1, SUP_UNOTIFYD_NICE0, REF_CONTINUE)
        CONC(2),
        CONC(4),
        CONC(8),
        CONC(64),
        C("ref-l64", "listeners", "reference, 64 targets on 64 listeners", FILTER_NOTIFY, 64, 64,
          SUP_REF, REF_CONTINUE),
        C("refsync-l64", "listeners", "reference + SYNC_WAKE_UP, 64 targets on 64 listeners",
          FILTER_NOTIFY, 64, 64, SUP_REF_SYNC, REF_CONTINUE),
        C("unotifyd-l64", "listeners", "unotifyd, 64 targets on 64 listeners", FILTER_NOTIFY, 64,
          64, SUP_UNOTIFYD, REF_CONTINUE),
        C("refnice-l64", "listeners", "reference at nice -10, 64 targets on 64 listeners",
          FILTER_NOTIFY, 64, 64, SUP_REF_NICE, REF_CONTINUE),
        C("unotifyd-nice0-l64", "listeners", "unotifyd --nice 0, 64 targets on 64 listeners",
          FILTER_NOTIFY, 64, 64, SUP_UNOTIFYD_NICE0, REF_CONTINUE),
        FAIR("fair-open-idle", "openat + close emulated by unotifyd, no other listener busy",
             SUP_UNOTIFYD, REF_EMULATE_OPEN, CALL_OPEN_ALLOWED),
        FAIR("fair-open-hostile",
             "openat + close emulated by unotifyd, beside a hostile listener (80 FIFO "
             "opens, 6 getppid callers, nice 19)",
             SUP_UNOTIFYD_HOSTILE, REF_EMULATE_OPEN, CALL_OPEN_ALLOWED),
        FAIR("fair-getppid-idle", "getppid, unotifyd CONTINUE, no other listener busy",
             SUP_UNOTIFYD, REF_CONTINUE, CALL_GETPPID),
        FAIR("fair-getppid-hostile", "getppid, unotifyd CONTINUE, beside the hostile listener",
             SUP_UNOTIFYD_HOSTILE, REF_CONTINUE, CALL_GETPPID),
        /* Times are per run of the command, not per call (profile.h). */
        PROFILE("profile-none", "tar xf, unsandboxed", FILTER_NONE, SUP_NONE, CALL_TAR_XF),
        PROFILE("profile-oci", "tar xf, Docker's profile as runc loads it (own capabilities)",
                FILTER_OCI_OWN_CAPS, SUP_NONE, CALL_TAR_XF),
        PROFILE("profile-oci-runc-caps",
                "tar xf, Docker's profile as runc loads it (runc's default capabilities)",
                FILTER_OCI_RUNC_CAPS, SUP_NONE, CALL_TAR_XF),
        PROFILE("profile-unotifyd", "tar xf, unotify-run, unotifyd serving Docker's profile",
                FILTER_NOTIFY, SUP_UNOTIFYD_PROFILE, CALL_TAR_XF),
        PROFILE("profile-launch-none", "true, unsandboxed", FILTER_NONE, SUP_NONE, CALL_TRUE),
        PROFILE("profile-launch-oci", "true, Docker's profile as runc loads it (own capabilities)",
                FILTER_OCI_OWN_CAPS, SUP_NONE, CALL_TRUE),
        PROFILE("profile-launch-unotifyd", "true, unotify-run, unotifyd serving Docker's profile",
                FILTER_NOTIFY, SUP_UNOTIFYD_PROFILE, CALL_TRUE),
};

#define N_CONFIGS (sizeof(configs) / sizeof(configs[0]))

static const struct ratio ratios[] = {
        { "1 target, CONTINUE: unotifyd / reference + SYNC_WAKE_UP", "unotifyd-continue",
          "refsync-continue", "<= 1.05" },
        { "1 target, CONTINUE: unotifyd / plain reference", "unotifyd-continue", "ref-continue",
          "<= 0.70" },
        { "1 target, errno: unotifyd / reference + SYNC_WAKE_UP", "unotifyd-errno", "refsync-errno",
          "<= 1.20" },
        { "1 target, errno: unotifyd / plain reference", "unotifyd-errno", "ref-errno", "<= 0.70" },
        { "1 target, CONTINUE: unotifyd / unotifyd --no-sync-wake-up", "unotifyd-continue",
          "unotifyd-nosync-continue", "(SYNC_WAKE_UP's effect)" },
        { "8 threads: reference throughput / unotifyd throughput", "unotifyd-t8", "ref-t8",
          "<= 1.00" },
        { "64 threads: reference throughput / unotifyd throughput", "unotifyd-t64", "ref-t64",
          "<= 1.00" },
        { "64 listeners: reference throughput / unotifyd throughput", "unotifyd-l64", "ref-l64",
          "<= 1.00" },
        { "idle listeners: CONTINUE with them / without", "unotifyd-idle-continue",
          "unotifyd-continue", "<= 1.10" },
        { "1 target, path read + deny: unotifyd / reference + SYNC_WAKE_UP", "unotifyd-path",
          "refsync-path", "<= 1.25" },
        { "1 target, path read + deny: unotifyd / plain reference", "unotifyd-path", "ref-path",
          "(none set)" },
        { "openat denied by path: unotifyd / Landlock", "landlock-daemon", "landlock-kernel",
          "(what a Landlock rule saves)" },
        { "openat denied by Landlock / a failed openat, unsandboxed", "landlock-kernel",
          "landlock-none", "(Landlock's own cost)" },
        { "openat: emulated by unotifyd's open handler / reference that opens + ADDFD_FLAG_SEND",
          "unotifyd-open-emulate", "refsync-open-addfd", "<= 1.50" },
        { "openat: emulated by the open handler / CONTINUE (unotifyd)", "unotifyd-open-emulate",
          "unotifyd-open-continue", "(the cost of emulation)" },
        { "openat: emulated by the open handler / no filter", "unotifyd-open-emulate",
          "open-nofilter", "(the cost of emulation)" },
        { "sysinfo: emulated by the sysinfo handler / CONTINUE (unotifyd)",
          "unotifyd-sysinfo-emulate", "unotifyd-sysinfo-continue", "<= 2.00" },
        { "sysinfo: emulated / native, no filter", "unotifyd-sysinfo-emulate", "sysinfo-native",
          "(the cost of emulation)" },
        { "sched_setscheduler: emulated by the sched handler / CONTINUE (unotifyd)",
          "unotifyd-sched-emulate", "unotifyd-sched-continue", "(none set)" },
        { "sched_setscheduler: emulated / native, privileged", "unotifyd-sched-emulate",
          "sched-native", "(the cost of emulation)" },
        { "tmpfs mount + umount2: emulated by the mount handler / CONTINUE (unotifyd)",
          "unotifyd-mount-emulate", "unotifyd-mount-continue", "(none set)" },
        { "tmpfs mount + umount2: emulated / native, privileged", "unotifyd-mount-emulate",
          "mount-native", "(the cost of emulation)" },
        { "setxattr: emulated by the xattr handler / CONTINUE (unotifyd)", "unotifyd-xattr-emulate",
          "unotifyd-xattr-continue", "<= 2.00" },
        { "setxattr: emulated / native, privileged", "unotifyd-xattr-emulate", "xattr-native",
          "(the cost of emulation)" },
        { "64 threads: unotifyd / unotifyd --no-sync-wake-up", "unotifyd-t64",
          "unotifyd-nosync-t64", "(SYNC_WAKE_UP's effect)" },
        { "8 threads: unotifyd / unotifyd --nice 0", "unotifyd-t8", "unotifyd-nice0-t8",
          "(the priority's effect)" },
        { "64 threads: unotifyd / unotifyd --nice 0", "unotifyd-t64", "unotifyd-nice0-t64",
          "(the priority's effect)" },
        { "64 listeners: unotifyd / unotifyd --nice 0", "unotifyd-l64", "unotifyd-nice0-l64",
          "(the priority's effect)" },
        { "8 threads: reference at nice -10 throughput / unotifyd throughput", "unotifyd-t8",
          "refnice-t8", "<= 1.00" },
        { "64 threads: reference at nice -10 throughput / unotifyd throughput", "unotifyd-t64",
          "refnice-t64", "<= 1.00" },
        { "64 listeners: reference at nice -10 throughput / unotifyd throughput", "unotifyd-l64",
          "refnice-l64", "(same priority)" },
        { "fairness: emulated openat beside a hostile listener / alone", "fair-open-hostile",
          "fair-open-idle", "<= 2.00" },
        { "fairness: getppid beside a hostile listener / alone", "fair-getppid-hostile",
          "fair-getppid-idle", "(the loop's share)" },
        { "getppid: recorded by learn mode / CONTINUE (unotifyd)", "learn-getppid",
          "learn-continue", "(the cost of recording)" },
        { "openat: recorded by learn mode (path read) / CONTINUE (unotifyd)", "learn-open",
          "learn-open-continue", "(the cost of recording)" },
        { "getppid: recorded by learn mode / no filter", "learn-getppid", "learn-nofilter",
          "(what a user sees while recording)" },
        { "same CPU: unotifyd / reference + SYNC_WAKE_UP", "unotifyd-same", "refsync-same",
          "(placement)" },
        { "different CPUs: unotifyd / reference + SYNC_WAKE_UP", "unotifyd-split", "refsync-split",
          "(placement)" },
};

#define N_RATIOS (sizeof(ratios) / sizeof(ratios[0]))

static double samples[N_CONFIGS][MAX_ROUNDS];

const struct config *const report_configs = configs;
const size_t report_n_configs = N_CONFIGS;
const struct ratio *const report_ratios = ratios;
const size_t report_n_ratios = N_RATIOS;

int report_config_index(const char *key)
{
        for (size_t i = 0; i < N_CONFIGS; i++)
                if (!strcmp(configs[i].key, key))
                        return (int)i;
        return -1;
}

const char *report_ratio_group(const struct ratio *r)
{
        return configs[report_config_index(r->num)].group;
}

/* Median of the per-round ratios: each round ran both sides back to back. */
double report_ratio_value(const struct ratio *r, int rounds)
{
        int a = report_config_index(r->num), b = report_config_index(r->den);
        double v[MAX_ROUNDS];

        for (int i = 0; i < rounds; i++)
                v[i] = samples[a][i] / samples[b][i];
        return stats_median(v, rounds);
}

bool report_selects(const struct run_plan *plan, const char *group)
{
        size_t n = strlen(group);

        if (!plan->only)
                return true;
        for (const char *p = plan->only; *p;) {
                size_t len = strcspn(p, ",");

                if (len == n && strncmp(p, group, n) == 0)
                        return true;
                p += len + (p[len] == ',');
        }
        return false;
}

const char *report_unknown_group(const struct run_plan *plan)
{
        static char name[64];

        for (const char *p = plan->only; p && *p;) {
                size_t len = strcspn(p, ","), i;

                for (i = 0; i < N_CONFIGS; i++)
                        if ((strlen(configs[i].group) == len &&
                             !strncmp(p, configs[i].group, len)) ||
                            (strlen(configs[i].key) == len && !strncmp(p, configs[i].key, len)))
                                break;
                if (i == N_CONFIGS) {
                        snprintf(name, sizeof(name), "%.*s", (int)len, p);
                        return name;
                }
                p += len + (p[len] == ',');
        }
        return NULL;
}

bool report_group_runs(const struct run_plan *plan, const char *group)
{
        for (size_t i = 0; i < N_CONFIGS; i++)
                if (!strcmp(configs[i].group, group) &&
                    (report_selects(plan, group) || report_selects(plan, configs[i].key)))
                        return true;
        return false;
}

bool report_ran(size_t i)
{
        return samples[i][0] > 0;
}

const double *report_row(size_t i)
{
        return samples[i];
}

const double *report_samples(const char *key)
{
        int i = report_config_index(key);

        return i >= 0 && report_ran((size_t)i) ? samples[i] : NULL;
}

/* A group whose setup said it cannot run (the profile is missing, ...). */
static bool skipped(const struct run_plan *plan, const struct config *c)
{
        return !strcmp(c->group, "profile") && (!plan->profile || plan->profile_skipped);
}

bool report_ratio_ran(const struct ratio *r)
{
        return report_ran((size_t)report_config_index(r->num)) &&
               report_ran((size_t)report_config_index(r->den));
}

static uint64_t calls_for(const struct config *c, uint64_t calls)
{
        uint64_t n = c->threads > 2 ? calls * 2 / (uint64_t)c->threads : calls;

        return n < 100 ? 100 : n;
}

int report_rounds(const struct run_plan *plan, run_fn run)
{
        for (int r = 0; r < plan->rounds; r++) {
                fprintf(stderr, "unotify-bench: round %d/%d\n", r + 1, plan->rounds);
                for (size_t i = 0; i < N_CONFIGS; i++) {
                        if ((!report_selects(plan, configs[i].group) &&
                             !report_selects(plan, configs[i].key)) ||
                            skipped(plan, &configs[i]))
                                continue;
                        samples[i][r] = run(&configs[i], calls_for(&configs[i], plan->calls));
                        if (samples[i][r] <= 0) {
                                fprintf(stderr, "unotify-bench: %s failed\n", configs[i].key);
                                return 1;
                        }
                }
        }
        return 0;
}
