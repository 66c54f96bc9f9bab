#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static int max_level = LOG_INFO;
static bool to_journal;

/* systemd sets JOURNAL_STREAM=dev:ino when stderr is connected to the
 * journal; only then are "<N>" priority prefixes understood. */
static bool stderr_is_journal(void)
{
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return st.st_dev == dev && st.st_ino == ino;
}

void log_setup(int level)
{
        max_level = level;
        to_journal = stderr_is_journal();
}

int log_get_max_level(void)
{
        return max_level;
}

static const char *level_name(int level)
{
        switch (level) {
        case LOG_EMERG:
        case LOG_ALERT:
        case LOG_CRIT:
        case LOG_ERR:
                return "error";
        case LOG_WARNING:
                return "warning";
        case LOG_NOTICE:
        case LOG_INFO:
                return "info";
        default:
                return "debug";
        }
}

int log_emit(int level, int error, const char *fmt, ...)
{
        char msg[2048];
        va_list ap;

        if (!log_enabled(level))
                return error;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);

        if (to_journal)
                fprintf(stderr, "<%d>%s%s%s\n", level, msg, error ? ": " : "",
                        error ? strerror(-error) : "");
        else
                fprintf(stderr, "unotifyd: %s: %s%s%s\n", level_name(level), msg,
                        error ? ": " : "", error ? strerror(-error) : "");
        return error;
}

uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool ratelimit_allow(struct ratelimit *rl)
{
        uint64_t now = now_ns();

        if (rl->begin_ns == 0 || now - rl->begin_ns > rl->interval_ns) {
                if (rl->suppressed)
                        log_warning("%llu similar messages suppressed",
                                    (unsigned long long)rl->suppressed);
                rl->begin_ns = now;
                rl->count = 0;
                rl->suppressed = 0;
        }
        if (rl->count < rl->burst) {
                rl->count++;
                return true;
        }
        rl->suppressed++;
        return false;
}
