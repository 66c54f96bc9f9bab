/* Logging for the daemon: plain lines on stderr, or structured journal
 * entries (sd_journal_send: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER, ERRNO,
 * MESSAGE_ID, OBJECT_PID) when stderr is connected to the journal. Library
 * code never logs; the daemon logs once, where an error is decided. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <syslog.h>

#include "unotify/clock.h"
#include "unotify/macro.h"

void log_setup(int max_level);
int log_get_max_level(void);

static inline bool log_enabled(int level)
{
        return level <= log_get_max_level();
}

/* Log and return `error` (a negative errno, or 0 when there is none) so
 * callers can write `return log_error_errno(r, "...")`. */
int log_emit(int level, int error, const char *fmt, ...) _printf_(3, 4);

/* MESSAGE_IDs, documented in contrib/systemd/unotifyd.catalog. */
#define LOG_MID_READY "535dbac5627747aa91c22eb93500d414"
#define LOG_MID_LISTENER_ADDED "0798160cdc28415685f9c10b8e2283b2"
#define LOG_MID_LISTENER_RESUMED "cb9e10770e2e49b3ab0347ebddb15475"
#define LOG_MID_ORPHAN_ANSWERED "00da1dc712fd44deba6a60a1e80c2347"
#define LOG_MID_RELOAD_FAILED "d329d9acbd884c7a8d0e9f21d700315b"
#define LOG_MID_UPGRADE "1f8b4a1959a04c30a77fe3876993bd38"

/* The same with a MESSAGE_ID (NULL: none) and the pid of the target the
 * message is about (OBJECT_PID; 0: none). Plain lines show neither. */
int log_emit_id(int level, int error, const char *message_id, pid_t object_pid, const char *fmt,
                ...) _printf_(5, 6);

#define log_debug(...) (log_enabled(LOG_DEBUG) ? log_emit(LOG_DEBUG, 0, __VA_ARGS__) : 0)
#define log_info(...) log_emit(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) log_emit(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_emit(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_emit(LOG_ERR, 0, __VA_ARGS__)
#define log_warning_errno(r, ...) log_emit(LOG_WARNING, (r), __VA_ARGS__)
#define log_error_errno(r, ...) log_emit(LOG_ERR, (r), __VA_ARGS__)

/* At most `burst` messages per `interval_ns`; the rest are counted and
 * reported with the next message that gets through. For warnings a
 * hostile or broken peer can trigger at will. */
struct ratelimit {
        uint64_t interval_ns;
        unsigned burst;
        uint64_t begin_ns;
        unsigned count;
        uint64_t suppressed;
};

#define RATELIMIT_INIT(interval, b)                     \
        {                                               \
                .interval_ns = (interval), .burst = (b) \
        }

/* True when a message may be logged now. */
bool ratelimit_allow(struct ratelimit *rl);
