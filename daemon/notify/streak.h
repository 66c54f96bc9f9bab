/* Streaks: serving one hot listener with blocking RECVs, as a plain
 * supervisor loop would, without letting a RECV that finds nothing block
 * the loop for long.
 *
 * Between notifications an event loop asks the kernel whether another one
 * is queued (epoll_wait or poll) before it dares to RECV, since RECV on an
 * empty queue blocks. That is a third syscall per notification, and with
 * one listener doing all the work it is what separates the loop from a
 * blocking RECV -> SEND loop. During a streak the loop RECVs without
 * asking: a periodic timer aimed at the loop thread sends a signal whose
 * handler is installed without SA_RESTART, so a RECV that blocks on an
 * empty queue returns EINTR within a period, and the streak ends there.
 * The timer only runs during a streak; work another thread queues for the
 * loop ends a streak at once (streak_interrupt). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* The timer period: the longest the loop may sit in a RECV that found
 * nothing (twice that when the signal lands just before the RECV). Also
 * the longest one streak keeps other watchers waiting. */
#define STREAK_PERIOD_NS 1000000ull

/* Install the handler and make the timer; call on the loop thread.
 * Returns 0 or -errno (streaks are then never started). */
int streak_init(void);
void streak_done(void);

/* Start the timer for a streak; false when streaks are unavailable. */
bool streak_begin(void);
/* True once a period has passed since streak_begin, or something asked
 * for the loop (streak_interrupt): end the streak. */
bool streak_expired(void);
/* Stop the timer. */
void streak_end(void);

/* From any thread, after queueing work for the loop and before its
 * ev_async_send: the current streak ends (its RECV interrupted) and none
 * starts until the loop calls streak_interrupt_seen, before it takes the
 * work. Called after the send, the loop could take the work and clear
 * the flag in between, leaving it set with nothing queued. */
void streak_interrupt(void);
void streak_interrupt_seen(void);
