#include "report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

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

struct ratio {
        const char *name;
        const char *num, *den; /* config keys: ns per call of num / den */
        const char *target;
};

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

static int config_index(const char *key)
{
        for (size_t i = 0; i < N_CONFIGS; i++)
                if (!strcmp(configs[i].key, key))
                        return (int)i;
        return -1;
}

/* Median of the per-round ratios: each round ran both sides back to back. */
static double ratio_value(const struct ratio *r, int rounds)
{
        int a = config_index(r->num), b = config_index(r->den);
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

static bool ran(size_t i)
{
        return samples[i][0] > 0;
}

const double *report_samples(const char *key)
{
        int i = config_index(key);

        return i >= 0 && ran((size_t)i) ? samples[i] : NULL;
}

/* A group whose setup said it cannot run (the profile is missing, ...). */
static bool skipped(const struct run_plan *plan, const struct config *c)
{
        return !strcmp(c->group, "profile") && (!plan->profile || plan->profile_skipped);
}

static bool ratio_ran(const struct ratio *r)
{
        return ran((size_t)config_index(r->num)) && ran((size_t)config_index(r->den));
}

static uint64_t calls_for(const struct config *c, uint64_t calls)
{
        uint64_t n = c->threads > 2 ? calls * 2 / (uint64_t)c->threads : calls;

        return n < 100 ? 100 : n;
}

static int run_rounds(const struct run_plan *plan, run_fn run)
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

static void machine(char *buf, size_t size)
{
        struct utsname u;

        uname(&u);
        snprintf(buf, size, "Linux %s %s, %ld CPUs", u.release, u.machine,
                 sysconf(_SC_NPROCESSORS_ONLN));
}

static FILE *open_out(const struct run_plan *plan, const char *name)
{
        char path[512];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", plan->out, name);
        f = fopen(path, "we");
        if (!f)
                fprintf(stderr, "unotify-bench: %s: %s\n", path, strerror(errno));
        return f;
}

/* 0 without idle listeners (an --only run without the scale group). */
static double idle_bytes_per_listener(const struct run_plan *plan)
{
        if (!plan->idle_listeners)
                return 0;
        return (double)(plan->idle_rss_after_kib - plan->idle_rss_before_kib) * 1024.0 /
               (double)plan->idle_listeners;
}

static void write_scale(FILE *f, const struct run_plan *plan)
{
        fprintf(f,
                "## Scale\n\n%d idle listeners (one thread with a filter of its own each) were "
                "handed "
                "to one daemon before the rounds. Its RSS went from %ld KiB to %ld KiB: **%.0f "
                "bytes "
                "per idle listener** beyond the kernel's own (target: under 4096). \"idle "
                "listeners\" "
                "below compares that daemon with one that holds none, side by side.\n\n",
                plan->idle_listeners, plan->idle_rss_before_kib, plan->idle_rss_after_kib,
                idle_bytes_per_listener(plan));
}

/* Tables only for what ran: an --only run may have none of them. */
static void write_ratios(FILE *f, const struct run_plan *plan)
{
        bool first = true;

        for (size_t i = 0; i < N_RATIOS; i++) {
                if (!ratio_ran(&ratios[i]))
                        continue;
                if (first)
                        fprintf(f,
                                "## Ratios\n\n| comparison | ratio | target |\n|---|---:|---|\n");
                fprintf(f, "| %s | %.2f | %s |\n", ratios[i].name,
                        ratio_value(&ratios[i], plan->rounds), ratios[i].target);
                first = false;
        }
        if (!first)
                fprintf(f, "\n");
}

/* The profile group's configurations are in its own section. */
static void write_configs(FILE *f, const struct run_plan *plan)
{
        bool first = true;

        for (size_t i = 0; i < N_CONFIGS; i++) {
                double med = stats_median(samples[i], plan->rounds);

                if (!ran(i) || !strcmp(configs[i].group, "profile"))
                        continue;
                if (first)
                        fprintf(f, "## All configurations\n\nns per call is wall time divided by "
                                   "calls (with "
                                   "several threads, the inverse of throughput).\n\n| "
                                   "configuration | median "
                                   "ns/call | min | max | calls/s |\n|---|---:|---:|---:|---:|\n");
                fprintf(f, "| %s | %.0f | %.0f | %.0f | %.0f |\n", configs[i].label, med,
                        stats_min(samples[i], plan->rounds), stats_max(samples[i], plan->rounds),
                        1e9 / med);
                first = false;
        }
        if (!first)
                fprintf(f, "\n");
}

static void write_markdown(FILE *f, const struct run_plan *plan)
{
        char m[256];

        machine(m, sizeof(m));
        fprintf(f,
                "# Benchmarks\n\nGenerated by `unotify-bench%s%s%s` on %s: %d rounds, "
                "configurations "
                "interleaved within each round; `getppid(2)` is the notified call (`openat(2)` in "
                "the "
                "path scenario; the profile section times whole commands). Only the ratios (each "
                "the median of per-round ratios) mean something "
                "across machines.\n\n",
                plan->quick ? " --quick" : "", plan->only ? " --only " : "",
                plan->only ? plan->only : "", m, plan->rounds);
        write_ratios(f, plan);
        if (plan->idle_listeners)
                write_scale(f, plan);
        if (plan->profile_markdown)
                plan->profile_markdown(f, plan);
        write_configs(f, plan);
        fprintf(f, "![ns per call vs concurrency](benchmarks.png)\n\nWhere the time goes, and what "
                   "was "
                   "changed because of these figures: [performance.md](performance.md).\n");
}

static void write_json(FILE *f, const struct run_plan *plan)
{
        char m[256];

        machine(m, sizeof(m));
        fprintf(f, "{\n  \"machine\": \"%s\",\n  \"rounds\": %d,\n  \"quick\": %s,\n", m,
                plan->rounds, plan->quick ? "true" : "false");
        fprintf(f,
                "  \"idle_listeners\": %d,\n  \"idle_rss_before_kib\": %ld,\n  "
                "\"idle_rss_after_kib\": %ld,\n"
                "  \"idle_bytes_per_listener\": %.0f,\n",
                plan->idle_listeners, plan->idle_rss_before_kib, plan->idle_rss_after_kib,
                idle_bytes_per_listener(plan));
        if (plan->profile_json)
                plan->profile_json(f, plan);
        fprintf(f, "  \"configs\": [\n");
        for (size_t i = 0, first = 1; i < N_CONFIGS; i++) {
                if (!ran(i))
                        continue;
                fprintf(f,
                        "%s    {\"key\": \"%s\", \"label\": \"%s\", \"threads\": %d, "
                        "\"listeners\": %d, "
                        "\"median_ns\": %.1f, \"samples_ns\": [",
                        first ? "" : ",\n", configs[i].key, configs[i].label, configs[i].threads,
                        configs[i].procs, stats_median(samples[i], plan->rounds));
                for (int r = 0; r < plan->rounds; r++)
                        fprintf(f, "%s%.1f", r ? ", " : "", samples[i][r]);
                fprintf(f, "]}");
                first = 0;
        }
        fprintf(f, "\n  ],\n  \"ratios\": [\n");
        for (size_t i = 0, first = 1; i < N_RATIOS; i++) {
                if (!ratio_ran(&ratios[i]))
                        continue;
                fprintf(f, "%s    {\"name\": \"%s\", \"value\": %.3f, \"target\": \"%s\"}",
                        first ? "" : ",\n", ratios[i].name, ratio_value(&ratios[i], plan->rounds),
                        ratios[i].target);
                first = 0;
        }
        fprintf(f, "\n  ]\n}\n");
}

/* Latency vs concurrency for the three supervisors, drawn by gnuplot. */
static void write_plot(const struct run_plan *plan)
{
        static const char *const sups[] = { "ref",      "refsync",         "refnice",
                                            "unotifyd", "unotifyd-nosync", "unotifyd-nice0" };
        static const int threads[] = { 1, 2, 4, 8, 64 };
        char cmd[600];
        FILE *g;

        snprintf(cmd, sizeof(cmd), "gnuplot > '%s/benchmarks.png'", plan->out);
        g = popen(cmd, "w");
        if (!g)
                return;
        fprintf(g,
                "set terminal png size 800,500\nset logscale x 2\nset xlabel 'threads on one "
                "listener'\n"
                "set ylabel 'ns per notified getppid (median)'\nset key top right\nset grid\n"
                "plot '-' with linespoints title 'reference', '-' with linespoints title "
                "'reference + SYNC\\_WAKE\\_UP', '-' with linespoints title 'reference at nice "
                "-10', "
                "'-' with linespoints title 'unotifyd', '-' with linespoints title "
                "'unotifyd --no-sync-wake-up', '-' with linespoints title 'unotifyd --nice 0'\n");
        for (size_t s = 0; s < sizeof(sups) / sizeof(sups[0]); s++) {
                for (size_t t = 0; t < sizeof(threads) / sizeof(threads[0]); t++) {
                        char key[32];

                        if (threads[t] == 1)
                                snprintf(key, sizeof(key), "%s-continue", sups[s]);
                        else
                                snprintf(key, sizeof(key), "%s-t%d", sups[s], threads[t]);
                        fprintf(g, "%d %.0f\n", threads[t],
                                stats_median(samples[config_index(key)], plan->rounds));
                }
                fprintf(g, "e\n");
        }
        if (pclose(g) != 0)
                fprintf(stderr,
                        "unotify-bench: gnuplot failed (apt-get install gnuplot-nox); no plot\n");
}

int report_run(const struct run_plan *plan, run_fn run)
{
        FILE *md, *js;

        if (run_rounds(plan, run))
                return 1;
        if (!plan->out) { /* --only without --out: the table on stdout only */
                write_markdown(stdout, plan);
                return 0;
        }
        md = open_out(plan, "benchmarks.md");
        js = open_out(plan, "benchmarks.json");
        if (!md || !js)
                return 73;
        write_markdown(md, plan);
        write_json(js, plan);
        fclose(md);
        fclose(js);
        if (!plan->only)
                write_plot(plan);
        write_markdown(stdout, plan);
        return 0;
}
