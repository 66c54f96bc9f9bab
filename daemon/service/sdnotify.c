#include "service/sdnotify.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "loop/daemon.h"
#include "service/notify_nowait.h"
#include "service/log.h"

/* STATUS= is refreshed at most this often when nothing else sends it. */
#define STATUS_PERIOD 5.0 /* seconds */

static void format_status(const struct daemon *d, char *buf, size_t size)
{
        snprintf(buf, size,
                 "STATUS=%zu listeners, %" PRIu64 " notifications answered, %zu policies",
                 d->set->n_listeners, d->stats.answered, unotify_policy_set_count(d->policies));
}

void sdnotify_status(struct daemon *d)
{
        char status[160];

        if (d->notified_listeners == d->set->n_listeners &&
            d->notified_answered == d->stats.answered && d->notified_once)
                return;
        d->notified_listeners = d->set->n_listeners;
        d->notified_answered = d->stats.answered;
        d->notified_once = true;
        format_status(d, status, sizeof(status));
        /* Figures and keep-alives may be dropped; the loop must not wait
         * on a full queue (notify_nowait.h). READY, RELOADING and STOPPING
         * below must arrive, and are rare. */
        (void)notify_nowait(status, NULL, 0);
}

static void on_heartbeat(struct ev_loop *loop, ev_timer *w, int revents)
{
        struct daemon *d = container_of(w, struct daemon, heartbeat);

        (void)loop;
        (void)revents;
        /* The loop turning is what the watchdog vouches for. */
        if (d->watchdog_usec)
                (void)notify_nowait("WATCHDOG=1", NULL, 0);
        sdnotify_status(d);
}

static void heartbeat_start(struct daemon *d)
{
        uint64_t usec = 0;
        double period = STATUS_PERIOD;

        if (ev_is_active(&d->heartbeat))
                return;
        /* > 0 only when WATCHDOG_USEC is set for us (WATCHDOG_PID, if
         * set, is our pid). */
        if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
                d->watchdog_usec = usec;
                if (usec / 2e6 < period)
                        period = usec / 2e6;
                log_info("watchdog: every %.3f s", period);
        }
        ev_timer_init(&d->heartbeat, on_heartbeat, period, period);
        ev_timer_start(d->loop, &d->heartbeat);
}

void sdnotify_ready(struct daemon *d)
{
        char msg[200];

        d->notified_once = false;
        format_status(d, msg + 8, sizeof(msg) - 8);
        memcpy(msg, "READY=1\n", 8);
        (void)sd_notify(0, msg);
        heartbeat_start(d);
}

void sdnotify_reloading(struct daemon *d)
{
        char msg[96];

        (void)d;
        snprintf(msg, sizeof(msg), "RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC=%" PRIu64,
                 now_ns() / 1000u);
        (void)sd_notify(0, msg);
}

void sdnotify_stopping(struct daemon *d)
{
        if (d->loop && ev_is_active(&d->heartbeat))
                ev_timer_stop(d->loop, &d->heartbeat);
        (void)sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}
