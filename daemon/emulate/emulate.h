/* UNOTIFY_ACT_EMULATE: a decision handed to its handler in the worker
 * pool, and the answer sent when it is done — an fd with
 * SECCOMP_IOCTL_NOTIF_ADDFD + SECCOMP_ADDFD_FLAG_SEND (installed and
 * answered in one step, so the task never gets one without the other),
 * anything else with SECCOMP_IOCTL_NOTIF_SEND. A side effect whose answer
 * is lost goes to the listener's preemption journal (preempt_journal.h). */
#pragma once

#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>

#include "unotify/policy.h"

struct daemon;
struct listener;

/* Check that this build's handlers and the kernel's structs agree.
 * Returns 0 or -errno. */
int emulate_init(struct daemon *d);
/* Start the worker pool (--limit workers=N threads) the first time set
 * has a rule that emulates: a daemon whose policies emulate nothing runs
 * no worker thread. Returns 0 or -errno. */
int emulate_ensure(struct daemon *d, const struct unotify_policy_set *set);
/* Stop it: every job still in it is answered (ENOSYS if it did not run). */
void emulate_done(struct daemon *d);

/* Hand req, decided dec (EMULATE), to its handler; recv_ns is when RECV
 * returned it (CLOCK_MONOTONIC, for the metrics); shared: the loop serves
 * other listeners too (pool.h, struct job's spin_after). The listener set's
 * emulate hook (listener_set.h). Returns LISTENER_EMULATE_STARTED when the
 * answer follows from the pool (the job holds a reference to l until it
 * is counted); LISTENER_EMULATE_OVER_SHARE when the listener has its
 * share of the pool already (peer_limits.h: counted, the caller answers
 * EAGAIN); -errno when it cannot start (the caller answers dec->error). */
int emulate_start(struct daemon *d, struct listener *l, const struct seccomp_notif *req,
                  const struct unotify_decision *dec, uint64_t recv_ns, bool shared);
