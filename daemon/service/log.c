#include "service/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

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

/* One structured entry; false when the journal cannot be reached. */
static bool journal_send(int level, int error, const char *message_id, pid_t object_pid,
                         const char *msg)
{
        char message[2200], priority[16], errno_field[24], mid[48], opid[32];
        struct iovec iov[6];
        int n = 0;

        snprintf(message, sizeof(message), "MESSAGE=%s%s%s", msg, error ? ": " : "",
                 error ? strerror(-error) : "");
        snprintf(priority, sizeof(priority), "PRIORITY=%d", level);
        iov[n++] = (struct iovec){ message, strlen(message) };
        iov[n++] = (struct iovec){ priority, strlen(priority) };
        iov[n++] = (struct iovec){ (char *)"SYSLOG_IDENTIFIER=unotifyd", 26 };
        if (error) {
                snprintf(errno_field, sizeof(errno_field), "ERRNO=%d", -error);
                iov[n++] = (struct iovec){ errno_field, strlen(errno_field) };
        }
        if (message_id) {
                snprintf(mid, sizeof(mid), "MESSAGE_ID=%s", message_id);
                iov[n++] = (struct iovec){ mid, strlen(mid) };
        }
        if (object_pid > 0) {
                snprintf(opid, sizeof(opid), "OBJECT_PID=%d", (int)object_pid);
                iov[n++] = (struct iovec){ opid, strlen(opid) };
        }
        return sd_journal_sendv(iov, n) >= 0;
}

/* The line in one write (atomic on a pipe), again after EINTR: a
 * streak's timer signal (streak.h) may interrupt a write to a full pipe. */
static void write_line(const char *line, size_t len)
{
        while (len > 0) {
                ssize_t n = write(STDERR_FILENO, line, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return;
                line += n;
                len -= (size_t)n;
        }
}

static int vemit(int level, int error, const char *message_id, pid_t object_pid, const char *fmt,
                 va_list ap)
{
        char msg[2048], line[2400];
        int len;

        if (!log_enabled(level))
                return error;
        vsnprintf(msg, sizeof(msg), fmt, ap);
        if (to_journal && journal_send(level, error, message_id, object_pid, msg))
                return error;
        if (to_journal) /* the stream still reaches journald: priority prefix */
                len = snprintf(line, sizeof(line), "<%d>%s%s%s\n", level, msg, error ? ": " : "",
                               error ? strerror(-error) : "");
        else
                len = snprintf(line, sizeof(line), "unotifyd: %s: %s%s%s\n", level_name(level), msg,
                               error ? ": " : "", error ? strerror(-error) : "");
        if (len <= 0)
                return error;
        if ((size_t)len >= sizeof(line)) { /* cut: still one line */
                len = sizeof(line) - 1;
                line[len - 1] = '\n';
        }
        write_line(line, (size_t)len);
        return error;
}

int log_emit(int level, int error, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vemit(level, error, NULL, 0, fmt, ap);
        va_end(ap);
        return r;
}

int log_emit_id(int level, int error, const char *message_id, pid_t object_pid, const char *fmt,
                ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vemit(level, error, message_id, object_pid, fmt, ap);
        va_end(ap);
        return r;
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
