/* The soak's containers: a real runc or crun runs a short-lived busybox
 * container again and again, its listener handed to the soak's daemon
 * through listenerPath (the seccomp section from `unotifyctl export-oci`).
 * Each run makes two denied mkdirs a second apart and reads $PPID
 * (getppid answered 4242), so a daemon restart or upgrade can fall
 * between its calls. Every helper asserts. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "harness.h"
#include "runtime.h"

/* Notifications one run makes: 2 mkdirs and 1 getppid. */
#define SOAK_CTR_CALLS 3

struct soak_ctr {
        struct rt_env env;
        const char *missing; /* why the runtime cannot run here, or NULL */
        const char *id;      /* the one bundle, run again and again */
        pid_t pid;           /* the runtime of the run in progress, 0: none */
        int out_err[2];
        unsigned runs;
        /* Every fourth run (not when clean) is killed mid-call: its init
         * SIGKILLed while its cat waits in an emulated open of a FIFO. */
        const char *kill_id;
        char fifo[64], kill_cmd[128];
        unsigned started, killed_mid_call;
        bool clean, kill_run, kill_sent;
        long long next_look_ms;
        /* Every fourth run, two after a kill run (not when clean): under a
         * SIGUSR1 storm from inside the container (its shell traps it). */
        const char *storm_id;
        bool storm_run;
        unsigned stormed;
        unsigned long long storm_traps;
};

/* The policy file the containers use, for the daemon's policy dir. */
extern const struct test_policy soak_ctr_policy, soak_ctr_kill_policy;

/* Prepares runtime's bundle against d's policies, or notes why it cannot
 * (c->missing: then every other call does nothing); also when
 * UNOTIFY_SOAK_NO_CONTAINERS is set. */
void soak_ctr_init(struct soak_ctr *c, const char *runtime, const struct test_daemon *d);
/* Collects a finished run (asserting its output and that the rootfs holds
 * no denied directory) and starts the next one when `start`. */
void soak_ctr_poll(struct soak_ctr *c, bool start);
/* True once the run in progress has had its first mkdir answered. */
bool soak_ctr_mid_run(const struct soak_ctr *c);
/* Waits for the run in progress. */
void soak_ctr_drain(struct soak_ctr *c);
void soak_ctr_cleanup(struct soak_ctr *c);
/* Prints how many of its listeners the daemon logged with and without
 * WAIT_KILLABLE_RECV. */
void soak_ctr_report_flags(const struct soak_ctr *c, const struct test_daemon *d);
