/* The soak's other actions and handlers, one job at a time beside the
 * sandboxes (so across the reloads, the upgrade and the restart):
 * alternately a multi-threaded target under unotify-run whose threads the
 * kernel kills (SCMP_ACT_KILL_THREAD) while it goes on, with calls the
 * daemon logs (SCMP_ACT_LOG) and files it injects (inject), some killed
 * by the daemon at the end (KILL_THREAD notified: the whole process); and
 * a target in a user namespace (unotify-utarget) using the sysinfo,
 * sched, mount (a tmpfs made and unmounted) and xattr handlers, or the
 * bpf handler (a device program below its cgroup). Some are SIGKILLed
 * mid-run; some run under a SIGUSR1 storm (storm.h), some user-namespace
 * and bpf ones with a filter without WAIT_KILLABLE_RECV. Every helper
 * asserts. */
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
        bool storm;    /* under a SIGUSR1 storm (UNOTIFY_SOAK_STORM, storm.h) */
        bool killable; /* its filter has WAIT_KILLABLE_RECV */
};

/* The checked jobs of one kind under a storm, and the signals caught. */
struct soak_storms {
        unsigned jobs;
        unsigned long long signals;
};

struct soak_mix {
        const struct test_daemon *d;
        char t[128];
        struct soak_mix_job job;
        bool clean; /* no kills: the exact-count batch */
        unsigned started, killed_mid_run;
        unsigned threads_jobs, threads_killed, logged, injected, policy_kills;
        /* Checked under a storm: threads; user-namespace and bpf with and
         * without WAIT_KILLABLE_RECV. */
        struct soak_storms st_threads, st_unpriv, st_unpriv_nokill, st_bpf, st_bpf_nokill;
        unsigned nokill_started; /* user-namespace and bpf jobs without it */
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
/* soak_mix_storm.c: a checked job's storm, "NAME signals N" in its
 * output (N > 0 asserted), added to st. */
void soak_mix_storm_check(const struct soak_mix_job *j, const char *name, struct soak_storms *st);
/* Prints the storms' tally, with what the daemon logged of the listeners
 * without WAIT_KILLABLE_RECV, and asserts each kind had its storms. */
void soak_mix_storm_report(const struct soak_mix *m);
/* The daemon's decisions of policy "soak-mix" with that action label
 * (unotifyctl stats --prometheus). */
long long soak_mix_decisions(const struct test_daemon *d, const char *action);
