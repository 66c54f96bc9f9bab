/* The soak's other actions and handlers, one job at a time beside the
 * sandboxes (so across the reloads, the upgrade and the restart):
 * alternately a multi-threaded target under unotify-run whose threads the
 * kernel kills (SCMP_ACT_KILL_THREAD) while it goes on, with calls the
 * daemon logs (SCMP_ACT_LOG) and files it injects (inject), some killed
 * by the daemon at the end (KILL_THREAD notified: the whole process); and
 * a target in a user namespace (unotify-utarget) using the sysinfo,
 * sched, mount (a tmpfs made and unmounted) and xattr handlers, or the
 * bpf handler (a device program below its cgroup). Some are SIGKILLed
 * mid-run. Every helper asserts. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "harness.h"

/* Rounds of a threads job: each a thread killed, a logged getgid and an
 * injected memfd. */
#define SOAK_MIX_ROUNDS 20

struct soak_mix_job {
        pid_t pid; /* 0: free */
        int out;
        unsigned n;
        char dir[160];
        char buf[2048];
        size_t len;
        long long kill_at_ms; /* 0: runs to its end */
        bool killed, killme, unpriv, bpf;
        bool storm; /* under a SIGUSR1 storm (soaktarget's UNOTIFY_SOAK_STORM) */
};

struct soak_mix {
        const struct test_daemon *d;
        char t[128];
        struct soak_mix_job job;
        bool clean; /* no kills: the exact-count batch */
        unsigned started, killed_mid_run;
        unsigned threads_jobs, threads_killed, logged, injected, policy_kills;
        unsigned stormed;                 /* threads jobs checked under a storm */
        unsigned long long storm_signals; /* SIGUSR1s their handlers caught */
        unsigned unpriv_jobs, mounts, umounts, xattrs, sysinfos, nices;
        char cg[200]; /* the bpf jobs' cgroup v2; "" none */
        unsigned bpf_jobs;
        char fifo[160];
        pid_t fifo_pid;
        int fifo_out;
        unsigned fifo_across; /* FIFO opens in flight across a stop */
};

/* The two policies, for the daemon's policy dir: t is the soak's
 * directory (the inject file and the mount targets are under it). */
void soak_mix_policies(const char *t, struct test_policy ret[2]);
void soak_mix_init(struct soak_mix *m, const char *t, const struct test_daemon *d);
/* Collects a finished job (asserting what it saw and did) and starts
 * the next when `start`. */
void soak_mix_poll(struct soak_mix *m, bool start);
void soak_mix_drain(struct soak_mix *m);
void soak_mix_kill(struct soak_mix *m);
/* The notifications a clean (unkilled) job of each kind makes. */
long long soak_mix_calls(bool unpriv, bool killme);
/* Alone: a threads job killed by the daemon at its end and a user
 * namespace job, their kills and the daemon's decisions of each action
 * asserted exactly. Returns the notifications they made. */
long long soak_mix_clean(struct soak_mix *m);
/* A FIFO open emulated by the open handler, left blocked in the daemon's
 * worker (no writer yet): across an upgrade or a restart, whose new
 * process must run it again from the in-flight journal. */
void soak_mix_fifo_start(struct soak_mix *m);
/* Opens the FIFO for writing and asserts the open got its answer. */
void soak_mix_fifo_finish(struct soak_mix *m);
/* Prints the tally and asserts each kind ran. */
void soak_mix_report(const struct soak_mix *m);
/* The daemon's decisions of policy "soak-mix" with that action label
 * (unotifyctl stats --prometheus). */
long long soak_mix_decisions(const struct test_daemon *d, const char *action);
