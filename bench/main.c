/* unotify-bench: ns per notified getppid(2) under the reference supervisor
 * and under unotifyd, run in the same invocation, alternating, several
 * rounds; medians and spreads to docs/benchmarks.{md,json,png}.
 *   unotify-bench [--quick] [--rounds N] [--out DIR] [--unotifyd PATH] */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "report.h"

static struct bench_daemon daemon_, daemon_nosync;

/* Hand the listeners to the configuration's supervisor. Returns the
 * reference's pid, 0 for unotifyd or none, or -errno. */
static pid_t supervise(const struct config *c, struct target *t, int procs)
{
        int fds[MAX_PROCS];
        int r = 0;

        for (int i = 0; i < procs; i++)
                fds[i] = t[i].listener;
        if (c->sup == SUP_UNOTIFYD || c->sup == SUP_UNOTIFYD_NOSYNC) {
                const struct bench_daemon *d = c->sup == SUP_UNOTIFYD ? &daemon_ : &daemon_nosync;

                for (int i = 0; i < procs && r == 0; i++)
                        r = bench_daemon_hand(d, fds[i],
                                              c->mode == REF_ERRNO ? "bench-errno" : "bench-continue");
                return r;
        }
        if (c->sup == SUP_NONE)
                return 0;
        return reference_spawn(fds, (size_t)procs, c->mode, c->sup == SUP_REF_SYNC);
}

/* One run of one configuration: ns per call (wall time / calls; with
 * several threads that is the inverse of throughput). */
static double run_once(const struct config *c, uint64_t calls)
{
        struct target t[MAX_PROCS];
        struct target_result res;
        uint64_t total = 0, wall = 0, failed = 0;
        int procs = c->procs, ok = 1;
        pid_t ref;

        for (int i = 0; i < procs; i++)
                if (target_spawn(c->filter, c->threads / procs, calls, &t[i]) < 0)
                        return -1;
        ref = supervise(c, t, procs);
        for (int i = 0; i < procs; i++)
                target_start(&t[i]);
        for (int i = 0; i < procs; i++) {
                ok &= target_wait(&t[i], &res) == 0;
                total += res.calls;
                failed += res.failed;
                wall = res.wall_ns > wall ? res.wall_ns : wall;
        }
        if (ref > 0)
                reference_stop(ref);
        if (failed)
                fprintf(stderr, "unotify-bench: %s: %llu calls got a wrong answer\n", c->key,
                        (unsigned long long)failed);
        return ok && ref >= 0 && total ? (double)wall / (double)total : -1;
}

static void usage(void)
{
        printf("Usage: unotify-bench [--quick] [--rounds N] [--out DIR] [--unotifyd PATH]\n"
               "Writes DIR/benchmarks.md, DIR/benchmarks.json and DIR/benchmarks.png\n"
               "(default DIR: docs of the source tree).\n");
}

int main(int argc, char **argv)
{
        static const struct option longopts[] = {
                { "quick", no_argument, NULL, 'q' },     { "rounds", required_argument, NULL, 'r' },
                { "out", required_argument, NULL, 'o' }, { "unotifyd", required_argument, NULL, 'u' },
                { "help", no_argument, NULL, 'h' },      {},
        };
        struct run_plan plan = { .rounds = 9, .calls = 20000, .out = UNOTIFY_SOURCE_DIR "/docs" };
        const char *unotifyd = UNOTIFY_BUILD_DIR "/daemon/unotifyd";
        int c;

        while ((c = getopt_long(argc, argv, "qr:o:u:h", longopts, NULL)) >= 0) {
                switch (c) {
                case 'q':
                        plan.quick = true;
                        plan.rounds = 3;
                        plan.calls = 2000;
                        break;
                case 'r':
                        plan.rounds = atoi(optarg);
                        break;
                case 'o':
                        plan.out = optarg;
                        break;
                case 'u':
                        unotifyd = optarg;
                        break;
                case 'h':
                        usage();
                        return 0;
                default:
                        usage();
                        return 64;
                }
        }
        if (plan.rounds < 1 || plan.rounds > MAX_ROUNDS) {
                fprintf(stderr, "unotify-bench: --rounds must be 1..%d\n", MAX_ROUNDS);
                return 64;
        }
        if (bench_daemon_start(unotifyd, NULL, &daemon_) < 0 ||
            bench_daemon_start(unotifyd, "--no-sync-wake-up", &daemon_nosync) < 0) {
                fprintf(stderr, "unotify-bench: cannot start %s\n", unotifyd);
                return 69;
        }
        c = report_run(&plan, run_once);
        bench_daemon_stop(&daemon_);
        bench_daemon_stop(&daemon_nosync);
        return c;
}
