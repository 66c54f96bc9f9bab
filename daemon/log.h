/* Logging for the daemon: plain lines on stderr, with sd-daemon priority
 * prefixes when stderr is the journal. Library code never logs; the daemon
 * logs once, where an error is decided. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

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

#define RATELIMIT_INIT(interval, b) { .interval_ns = (interval), .burst = (b) }

/* True when a message may be logged now. */
bool ratelimit_allow(struct ratelimit *rl);

uint64_t now_ns(void);
