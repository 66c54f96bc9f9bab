/* The daemon's plain counters: one struct, owned by the daemon, that the
 * listener set, the emulation, the sockets and the control socket count
 * into (the loop thread only: no locks). Shown by unotifyctl stats and the
 * metrics endpoint. */
#pragma once

#include <stdint.h>

struct daemon_stats {
        uint64_t listeners_added;
        uint64_t listeners_freed;
        uint64_t handoffs_refused;
        uint64_t received;
        uint64_t answered;
        uint64_t recv_gone; /* RECV ENOENT: the target went away first */
        uint64_t send_gone; /* SEND ENOENT: interrupted or killed after RECV */
        uint64_t stale;     /* dropped: ID invalid after reading the target */
        /* received by the previous process, answered by this one from the
         * in-flight journal (not in received) */
        uint64_t journal_answered;
        uint64_t mismatch;     /* calls the policy's own filter would not have notified */
        uint64_t denied;       /* answered with an errno or a kill by a rule or defaultAction */
        uint64_t sync_wake_up; /* listeners with SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP */
        uint64_t streaks;      /* runs of RECVs without epoll in between (streak.h) */
        uint64_t streak_waits; /* streaks ended by the timer in a RECV that found nothing */
        /* The caps (peer_limits.h): what was refused or closed to keep them. */
        uint64_t handoff_conns_evicted; /* closed to make room (conn_share.h) */
        uint64_t handoff_timeouts;      /* no complete message in time */
        uint64_t control_conns_evicted;
        uint64_t emulations_refused; /* over the listener's share: EAGAIN */
        uint64_t listeners_refused;  /* handoffs over the listeners caps */
        uint64_t control_requests_too_large;
};
