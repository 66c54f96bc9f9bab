/* Work that may block for as long as a target wants, run on a helper
 * thread so that the event loop waits for it at most a bounded time.
 *
 * Reading target memory is such work: a read that faults on a page the
 * target pages in itself (a userfaultfd(2)-registered range, a mapping of
 * a file on a FUSE filesystem it serves) waits in the kernel, killably
 * only, until the target resolves the fault or dies. A signal cannot cut
 * that wait short; leaving the thread behind can. */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How long the loop waits for one job, and how many abandoned jobs may
 * still be running before new ones are refused outright. */
#define OFFLOAD_TIMEOUT_NS (1000ull * 1000 * 1000)
#define OFFLOAD_STUCK_MAX 8
/* How long each side checks for the other before it sleeps. */
#define OFFLOAD_SPIN_NS (50ull * 1000)

/* Whether *word left `value` within ns (one round of 64 checks at
 * least), checked without sleeping, with a sched_yield() between rounds
 * so a thread waiting for this CPU runs: a hand-over that a sleep and a
 * wake-up would cost ~2 switches (tens of us on a VM) takes well under
 * one when both sides are awake. */
bool offload_spin_while(_Atomic uint32_t *word, uint32_t value, uint64_t ns);

/* Run fn on a copy of job (size bytes) on the helper thread (every signal
 * blocked; started at the first job, and again after one is abandoned),
 * and wait up to timeout_ns for it. Called from any thread but the main
 * one (the loop's), fn just runs there: such threads may block. job is
 * borrowed: on success the copy, as fn left it, is copied back into it.
 * fn must not touch anything but its copy: when the wait times out the
 * thread is left to finish on its own, and frees the copy then.
 * Returns 0; -ETIMEDOUT (abandoned); -EAGAIN when OFFLOAD_STUCK_MAX jobs
 * are still running abandoned (fn was not run); -ENOMEM or the -errno of
 * pthread_create. */
int offload_run(void (*fn)(void *job), void *job, size_t size, uint64_t timeout_ns);

/* Abandoned jobs still running. */
unsigned offload_stuck(void);
