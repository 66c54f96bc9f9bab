/* unotify-bench: ns per notified getppid(2) under the reference supervisor
 * and under unotifyd, run in the same invocation, alternating, several
 * rounds; medians and spreads to docs/benchmarks.{md,json,png}. And tar xf
 * under Docker's default profile three ways (profile.h).
 *   unotify-bench [--quick] [--rounds N] [--out DIR] [--unotifyd PATH] ... */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "profile.h"
#include "report.h"

static struct bench_daemon daemon_, daemon_nosync, daemon_nice0, daemon_idle;

/* Idle listeners held by daemon_idle: the 10,000; fewer with --quick. */
#define IDLE_LISTENERS 10000
#define IDLE_LISTENERS_QUICK 2000

static const struct bench_daemon *daemon_of(enum supervisor sup)
{
        switch (sup) {
        case SUP_UNOTIFYD:
                return &daemon_;
        case SUP_UNOTIFYD_NOSYNC:
                return &daemon_nosync;
        case SUP_UNOTIFYD_NICE0:
                return &daemon_nice0;
        case SUP_UNOTIFYD_IDLE:
                return &daemon_idle;
        case SUP_UNOTIFYD_HOSTILE:
                return &daemon_;
        case SUP_UNOTIFYD_PROFILE: /* profile.c's own */
        case SUP_NONE:
        case SUP_REF:
        case SUP_REF_SYNC:
        case SUP_REF_NICE:
                break;
        }
        return NULL;
}

static const char *policy_of(enum ref_mode mode)
{
        switch (mode) {
        case REF_ERRNO:
                return "bench-errno";
        case REF_PATHDENY:
                return "bench-path";
        case REF_EMULATE_OPEN:
                return "bench-open";
        case REF_LEARN:
                return "bench-learn";
        case REF_EMULATE_SYSINFO:
                return "bench-sysinfo";
        case REF_EMULATE_SCHED:
                return "bench-sched";
        case REF_EMULATE_MOUNT:
                return "bench-mount";
        case REF_EMULATE_XATTR:
                return "bench-xattr";
        case REF_CONTINUE:
        case REF_MEMREAD:
        case REF_OPEN_ADDFD:
                break;
        }
        return "bench-continue";
}

/* The supervisor's CPU: 0 when placed; the target's follows from it. */
static int supervisor_cpu(enum placement p)
{
        return p == PLACE_ANY ? -1 : 0;
}

static int target_cpu(enum placement p)
{
        return p == PLACE_ANY ? -1 : p == PLACE_SAME_CPU ? 0 : 1;
}

/* Hand the listeners to the configuration's supervisor. Returns the
 * reference's pid, 0 for unotifyd or none, or -errno. */
static pid_t supervise(const struct config *c, struct target *t, int procs)
{
        const struct bench_daemon *d = daemon_of(c->sup);
        int fds[MAX_PROCS];
        int r = 0;

        for (int i = 0; i < procs; i++)
                fds[i] = t[i].listener;
        if (d) {
                if (c->place != PLACE_ANY)
                        r = bench_pin(d->pid, supervisor_cpu(c->place), true);
                for (int i = 0; i < procs && r == 0; i++)
                        r = bench_daemon_hand(d, fds[i], policy_of(c->mode),
                                              target_seccomp_flags(c->call));
                return r;
        }
        if (c->sup == SUP_NONE)
                return 0;
        return reference_spawn(fds, (size_t)procs, c->mode, c->sup == SUP_REF_SYNC,
                               supervisor_cpu(c->place), c->sup == SUP_REF_NICE ? REF_NICE : 0);
}

/* One run of one configuration: ns per call (wall time / calls; with
 * several threads that is the inverse of throughput). */
static double run_once(const struct config *c, uint64_t calls)
{
        struct target t[MAX_PROCS];
        struct target_result res;
        uint64_t total = 0, wall = 0, failed = 0;
        struct hostile hostile = {};
        int procs = c->procs, ok = 1;
        pid_t ref;

        if (c->call == CALL_TAR_XF || c->call == CALL_TRUE)
                return profile_run(c);
        for (int i = 0; i < procs; i++)
                if (target_spawn(c->filter, c->call, c->threads / procs, calls,
                                 target_cpu(c->place), &t[i]) < 0)
                        return -1;
        ref = supervise(c, t, procs);
        if (c->sup == SUP_UNOTIFYD_HOSTILE && hostile_start(&daemon_, &hostile) < 0)
                ok = 0;
        for (int i = 0; i < procs; i++)
                target_start(&t[i]);
        for (int i = 0; i < procs; i++) {
                ok &= target_wait(&t[i], &res) == 0;
                total += res.calls;
                failed += res.failed;
                wall = res.wall_ns > wall ? res.wall_ns : wall;
        }
        if (c->sup == SUP_UNOTIFYD_HOSTILE)
                hostile_stop(&hostile);
        if (ref > 0)
                reference_stop(ref);
        if (daemon_of(c->sup) && c->place != PLACE_ANY)
                bench_pin(daemon_of(c->sup)->pid, -1, true);
        if (failed)
                fprintf(stderr, "unotify-bench: %s: %llu calls got a wrong answer\n", c->key,
                        (unsigned long long)failed);
        return ok && ref >= 0 && total ? (double)wall / (double)total : -1;
}

/* The rounds, while daemon_idle holds the idle listeners. */
static int with_idle_listeners(struct run_plan *plan)
{
        struct idle_farm farm = {};
        int r;

        if (!report_selects(plan, "scale"))
                return report_run(plan, run_once);
        plan->idle_listeners = plan->quick ? IDLE_LISTENERS_QUICK : IDLE_LISTENERS;
        plan->idle_rss_before_kib = bench_rss_kib(daemon_idle.pid);
        fprintf(stderr, "unotify-bench: handing %d idle listeners to unotifyd\n",
                plan->idle_listeners);
        if (idle_farm_start(&daemon_idle, plan->idle_listeners, &farm) < 0) {
                fprintf(stderr, "unotify-bench: could not set up the idle listeners\n");
                return 1;
        }
        plan->idle_rss_after_kib = bench_rss_kib(daemon_idle.pid);
        r = report_run(plan, run_once);
        idle_farm_stop(&farm);
        return r;
}

#define GROUPS                                                                                \
        "one, open, path, emulate, scale, placement, threads, listeners, profile, landlock, " \
        "fairness, learn"

static void usage(void)
{
        printf("Usage: unotify-bench [--quick] [--rounds N] [--out DIR] [--unotifyd PATH]\n"
               "                     [--only GROUP[,GROUP...]] [--docker-profile PATH]\n"
               "                     [--unotify-run PATH] [--profile-dir DIR]\n"
               "Writes DIR/benchmarks.md, DIR/benchmarks.json and DIR/benchmarks.png\n"
               "(default DIR: docs of the source tree).\n"
               "--only runs the configurations of these groups (" GROUPS ")\n"
               "or keys (e.g. ref-t8, unotifyd-t8, profile-oci: see benchmarks.json) and\n"
               "prints their table; it writes files only with --out, and never the plot.\n"
               "The profile group times tar xf of %d files unsandboxed, under Docker's\n"
               "profile as runc loads it, and under unotify-run with an unotifyd serving\n"
               "the profile file as it is (--docker-profile, default\n"
               "%s;\n"
               "the group is skipped if it is missing), extracting under --profile-dir\n"
               "(default %s).\n",
               PROFILE_FILES, PROFILE_DEFAULT_PATH, PROFILE_DEFAULT_DIR);
}

/* The daemons, the rounds, the report. */
static int run(struct run_plan *plan, const char *unotifyd, const struct profile_options *po)
{
        static struct profile_info profile;
        int r = 0, c;

        if (bench_daemon_start(unotifyd, NULL, NULL, &daemon_) < 0 ||
            bench_daemon_start(unotifyd, "--no-sync-wake-up", NULL, &daemon_nosync) < 0 ||
            bench_daemon_start(unotifyd, "--nice=0", NULL, &daemon_nice0) < 0 ||
            bench_daemon_start(unotifyd, NULL, NULL, &daemon_idle) < 0) {
                fprintf(stderr, "unotify-bench: cannot start %s\n", unotifyd);
                return 69;
        }
        if (report_group_runs(plan, "profile")) {
                r = profile_setup(po, &profile);
                plan->profile = &profile;
                plan->profile_skipped = profile.skipped[0] != '\0';
                plan->profile_markdown = profile_write_markdown;
                plan->profile_json = profile_write_json;
        }
        c = with_idle_listeners(plan);
        profile_teardown();
        bench_daemon_stop(&daemon_);
        bench_daemon_stop(&daemon_nosync);
        bench_daemon_stop(&daemon_nice0);
        bench_daemon_stop(&daemon_idle);
        /* A missing profile is a skip; a profile or daemon that fails is not. */
        return c == 0 && r < 0 ? 69 : c;
}

/* The command line into plan and po: -1 to go on, else the exit code.
 * Long because it is the option table and one short case per option. */
static int parse_args(int argc, char **argv, struct run_plan *plan, struct profile_options *po)
{
        static const struct option longopts[] = {
                { "quick", no_argument, NULL, 'q' },
                { "rounds", required_argument, NULL, 'r' },
                { "out", required_argument, NULL, 'o' },
                { "unotifyd", required_argument, NULL, 'u' },
                { "only", required_argument, NULL, 'O' },
                { "help", no_argument, NULL, 'h' },
                { "docker-profile", required_argument, NULL, 'd' },
                { "unotify-run", required_argument, NULL, 'R' },
                { "profile-dir", required_argument, NULL, 'D' },
                {},
        };
        bool out_given = false;
        int c;

        while ((c = getopt_long(argc, argv, "qr:o:u:O:hd:R:D:", longopts, NULL)) >= 0) {
                switch (c) {
                case 'q':
                        plan->quick = true;
                        plan->rounds = 3;
                        plan->calls = 2000;
                        break;
                case 'r':
                        plan->rounds = atoi(optarg);
                        break;
                case 'o':
                        plan->out = optarg;
                        out_given = true;
                        break;
                case 'O':
                        plan->only = optarg;
                        break;
                case 'u':
                        po->unotifyd = optarg;
                        break;
                case 'd':
                        po->path = optarg;
                        break;
                case 'R':
                        po->unotify_run = optarg;
                        break;
                case 'D':
                        po->dir = optarg;
                        break;
                case 'h':
                        usage();
                        return 0;
                default:
                        usage();
                        return 64;
                }
        }
        if (plan->only && !out_given)
                plan->out = NULL;
        return -1;
}

static bool plan_is_valid(const struct run_plan *plan)
{
        if (report_unknown_group(plan)) {
                fprintf(stderr,
                        "unotify-bench: --only: no group or configuration \"%s\" (groups: " GROUPS
                        ")\n",
                        report_unknown_group(plan));
                return false;
        }
        if (plan->rounds < 1 || plan->rounds > MAX_ROUNDS) {
                fprintf(stderr, "unotify-bench: --rounds must be 1..%d\n", MAX_ROUNDS);
                return false;
        }
        return true;
}

int main(int argc, char **argv)
{
        struct run_plan plan = { .rounds = 9, .calls = 20000, .out = UNOTIFY_SOURCE_DIR "/docs" };
        struct profile_options po = { .path = PROFILE_DEFAULT_PATH,
                                      .unotify_run = UNOTIFY_BUILD_DIR "/client/unotify-run",
                                      .unotifyd = UNOTIFY_BUILD_DIR "/daemon/unotifyd",
                                      .dir = PROFILE_DEFAULT_DIR };
        int rc = parse_args(argc, argv, &plan, &po);

        if (rc >= 0)
                return rc;
        if (!plan_is_valid(&plan))
                return 64;
        return run(&plan, po.unotifyd, &po);
}
