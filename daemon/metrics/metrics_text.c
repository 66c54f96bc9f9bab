/* The Prometheus text exposition (format 0.0.4) of the daemon's figures:
 * what GET /metrics and `unotifyctl stats --prometheus` print. Built in
 * the loop, from the loop's own counters: a consistent snapshot. */
#include "metrics/metrics_text.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loop/daemon.h"
#include "learn/learn.h"
#include "service/log.h"
#include "unotify/macro.h"

struct text {
        char *buf;
        size_t len, cap;
        bool failed;
};

_printf_(2, 3) static void put(struct text *t, const char *fmt, ...)
{
        va_list ap;
        int n;

        if (t->failed)
                return;
        for (;;) {
                va_start(ap, fmt);
                n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
                va_end(ap);
                if (n < 0) {
                        t->failed = true;
                        return;
                }
                if ((size_t)n < t->cap - t->len) {
                        t->len += (size_t)n;
                        return;
                }
                size_t cap =
                        t->cap * 2 > t->len + (size_t)n + 1 ? t->cap * 2 : t->len + (size_t)n + 1;
                char *b = realloc(t->buf, cap);

                if (!b) {
                        t->failed = true;
                        return;
                }
                t->buf = b;
                t->cap = cap;
        }
}

/* A label value: backslash, double quote and newline escaped. The names
 * are the admin's (policy files), but a scrape must never break. */
static void put_label(struct text *t, const char *key, const char *value, bool first)
{
        put(t, "%s%s=\"", first ? "" : ",", key);
        for (const char *p = value; *p; p++) {
                if (*p == '\\' || *p == '"')
                        put(t, "\\%c", *p);
                else if (*p == '\n')
                        put(t, "\\n");
                else
                        put(t, "%c", *p);
        }
        put(t, "\"");
}

static void family(struct text *t, const char *name, const char *type, const char *help)
{
        put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample(struct text *t, const char *name, uint64_t value)
{
        put(t, "%s %" PRIu64 "\n", name, value);
}

static void sample1(struct text *t, const char *name, const char *key, const char *value,
                    uint64_t v)
{
        put(t, "%s{", name);
        put_label(t, key, value, true);
        put(t, "} %" PRIu64 "\n", v);
}

static void counter(struct text *t, const char *name, const char *help, uint64_t value)
{
        family(t, name, "counter", help);
        sample(t, name, value);
}

static void gauge(struct text *t, const char *name, const char *help, uint64_t value)
{
        family(t, name, "gauge", help);
        sample(t, name, value);
}

static void seconds(struct text *t, uint64_t ns)
{
        put(t, "%" PRIu64 ".%09" PRIu64, ns / 1000000000u, ns % 1000000000u);
}

/* One histogram series: cumulative buckets, sum, count. */
static void histogram(struct text *t, const char *name, const char *key, const char *value,
                      const struct histogram *h)
{
        uint64_t cumulative = 0;

        for (size_t i = 0; i <= METRICS_BUCKETS; i++) {
                cumulative += h->counts[i];
                put(t, "%s_bucket{", name);
                put_label(t, key, value, true);
                if (i < METRICS_BUCKETS)
                        put(t, ",le=\"%g\"} %" PRIu64 "\n", (double)metrics_bucket_ns[i] / 1e9,
                            cumulative);
                else
                        put(t, ",le=\"+Inf\"} %" PRIu64 "\n", cumulative);
        }
        put(t, "%s_sum{", name);
        put_label(t, key, value, true);
        put(t, "} ");
        seconds(t, h->sum_ns);
        put(t, "\n%s_count{", name);
        put_label(t, key, value, true);
        put(t, "} %" PRIu64 "\n", h->count);
}

static void daemon_info(struct text *t, const struct daemon *d)
{
        struct timespec real;
        uint64_t up = now_ns() - d->started_ns;

        clock_gettime(CLOCK_REALTIME, &real);
        family(t, "unotifyd_build_info", "gauge",
               "The version of unotifyd running, as a label; always 1.");
        sample1(t, "unotifyd_build_info", "version", UNOTIFY_VERSION, 1);
        family(t, "unotifyd_start_time_seconds", "gauge",
               "When the daemon started, in seconds since the Unix epoch.");
        put(t, "unotifyd_start_time_seconds ");
        seconds(t, (uint64_t)real.tv_sec * 1000000000u + (uint64_t)real.tv_nsec - up);
        put(t, "\n");
        gauge(t, "unotifyd_policies", "Policies loaded now.",
              unotify_policy_set_count(d->policies));
        family(t, "unotifyd_policy_reloads_total", "counter",
               "Policy reloads (SIGHUP, unotifyctl reload) by result: ok, or failed (the policies "
               "loaded before stayed in force).");
        sample1(t, "unotifyd_policy_reloads_total", "result", "ok", d->reloads);
        sample1(t, "unotifyd_policy_reloads_total", "result", "failed", d->reload_failures);
}

static void listeners(struct text *t, const struct daemon *d)
{
        const struct daemon_stats *s = &d->stats;

        gauge(t, "unotifyd_listeners", "Seccomp listeners being served now.", d->set->n_listeners);
        counter(t, "unotifyd_listeners_added_total",
                "Seccomp listeners taken into service (handed over, or resumed after a restart).",
                s->listeners_added);
        counter(t, "unotifyd_listeners_closed_total",
                "Seccomp listeners let go: no task used the filter any more, or the daemon "
                "stopped.",
                s->listeners_freed);
        counter(t, "unotifyd_sync_wake_up_listeners_total",
                "Listeners taken into service on which the kernel wakes targets on the daemon's "
                "CPU "
                "(SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, Linux 6.6).",
                s->sync_wake_up);
        family(t, "unotifyd_handoffs_refused_total", "counter",
               "Handoff connections refused, by reason: peer (uid not allowed), malformed, "
               "too_large, "
               "timeout, not_listener, policy (none found: served by deny-all, or a bad query), "
               "no_memory, busy (too many pending), listeners (over the listeners caps).");
        for (int r = 0; r < METRICS_REFUSALS; r++)
                sample1(t, "unotifyd_handoffs_refused_total", "reason", metrics_refusal_name(r),
                        d->metrics.refusals[r]);
}

static void notifications(struct text *t, const struct daemon *d)
{
        const struct daemon_stats *s = &d->stats;

        counter(t, "unotifyd_notifications_received_total",
                "Notifications read from listeners (SECCOMP_IOCTL_NOTIF_RECV).", s->received);
        counter(t, "unotifyd_notifications_answered_total",
                "Notifications answered (SECCOMP_IOCTL_NOTIF_SEND or ADDFD with SEND succeeded).",
                s->answered);
        family(t, "unotifyd_notifications_gone_total", "counter",
               "Notifications whose task went away or was interrupted: before RECV read them "
               "(stage=before_recv) or before the answer (stage=before_send).");
        sample1(t, "unotifyd_notifications_gone_total", "stage", "before_recv", s->recv_gone);
        sample1(t, "unotifyd_notifications_gone_total", "stage", "before_send", s->send_gone);
        counter(t, "unotifyd_notifications_stale_total",
                "Notifications dropped unanswered: their ID was no longer valid after the target's "
                "memory was read.",
                s->stale);
        counter(t, "unotifyd_notifications_journal_answered_total",
                "Notifications the previous process received and left unanswered, answered by "
                "this one from the in-flight journal.",
                s->journal_answered);
        counter(t, "unotifyd_filter_mismatches_total",
                "Notifications of calls that the policy's own filter decides in the kernel (the "
                "filter in front of the listener was not made from its policy).",
                s->mismatch);
}

static void decisions(struct text *t, const struct daemon *d)
{
        const struct metrics *m = &d->metrics;
        const struct metrics_policy *other = m->other.name ? &m->other : NULL;

        family(t, "unotifyd_decisions_total", "counter",
               "Decisions by policy, action and syscall (the syscalls the policy names; \"other\" "
               "for "
               "the rest); series appear at their first decision.");
        for (size_t i = 0; i <= m->n_policies; i++) {
                const struct metrics_policy *mp = i < m->n_policies ? m->policies[i] : other;

                for (size_t row = 0; mp && row <= mp->n_syscalls; row++)
                        for (int a = 0; a < METRICS_ACTIONS; a++) {
                                if (!mp->decisions[row][a])
                                        continue;
                                put(t, "unotifyd_decisions_total{");
                                put_label(t, "policy", mp->name, true);
                                put_label(t, "action", metrics_action_name(a), false);
                                put_label(t, "syscall", row ? mp->syscalls[row - 1] : "other",
                                          false);
                                put(t, "} %" PRIu64 "\n", mp->decisions[row][a]);
                        }
        }
        family(t, "unotifyd_decision_duration_seconds", "histogram",
               "Time from reading a notification (RECV) to its answer (SEND, or ADDFD with SEND), "
               "by "
               "action; answered notifications only.");
        for (int a = 0; a < METRICS_ACTIONS; a++)
                if (m->decision_time[a].count)
                        histogram(t, "unotifyd_decision_duration_seconds", "action",
                                  metrics_action_name(a), &m->decision_time[a]);
}

static void handlers(struct text *t, const struct daemon *d)
{
        const struct metrics *m = &d->metrics;

        family(t, "unotifyd_handler_calls_total", "counter",
               "Emulated calls by handler and result: fd (an fd installed in the task), value, "
               "errno, "
               "gone (the task went away first), failed (the answer could not be sent).");
        for (int h = 1; h < METRICS_HANDLERS; h++)
                for (int r = 0; r < METRICS_RESULTS; r++) {
                        const char *name = unotify_handler_name(h);

                        if (!name || !m->handler_results[h][r])
                                continue;
                        put(t, "unotifyd_handler_calls_total{");
                        put_label(t, "handler", name, true);
                        put_label(t, "result", metrics_result_name(r), false);
                        put(t, "} %" PRIu64 "\n", m->handler_results[h][r]);
                }
        family(t, "unotifyd_handler_duration_seconds", "histogram",
               "Time from reading an emulated call (RECV) to its answer, by handler; answered "
               "calls "
               "only.");
        for (int h = 1; h < METRICS_HANDLERS; h++)
                if (m->handler_time[h].count && unotify_handler_name(h))
                        histogram(t, "unotifyd_handler_duration_seconds", "handler",
                                  unotify_handler_name(h), &m->handler_time[h]);
}

static void loop(struct text *t, const struct daemon *d)
{
        const struct daemon_stats *s = &d->stats;

        counter(t, "unotifyd_streaks_total",
                "Runs of RECVs on one busy listener without asking epoll in between.", s->streaks);
        counter(t, "unotifyd_streak_waits_total",
                "Streaks ended by their timer in a RECV that found nothing queued.",
                s->streak_waits);
        put(t,
            "# HELP unotifyd_loop_nice The event loop's nice value now (raised while many threads "
            "call in).\n# TYPE unotifyd_loop_nice gauge\nunotifyd_loop_nice %d\n",
            d->set->priority.raised ? d->set->priority.busy : d->set->priority.base);
        counter(t, "unotifyd_loop_priority_switches_total",
                "Times the loop changed its nice value with the load.", d->set->priority.switches);
        counter(t, "unotifyd_metrics_scrapes_total", "Scrapes answered on the metrics endpoint.",
                d->metrics.scrapes);
        counter(t, "unotifyd_metrics_connections_refused_total",
                "Metrics endpoint connections closed unanswered: too many open, a request too "
                "large "
                "or malformed, or no complete request in time.",
                d->metrics.scrapes_refused);
}

/* Every refusal or eviction a cap made (peer_limits.h), by cap; the
 * per-uid shares count with their total. */
static void caps(struct text *t, const struct daemon *d)
{
        const struct daemon_stats *s = &d->stats;
        const struct {
                const char *cap;
                uint64_t n;
        } rows[] = {
                { "handoff-conns", s->handoff_conns_evicted },
                { "handoff-timeout-ms", s->handoff_timeouts },
                { "control-conns", s->control_conns_evicted },
                { "control-request-bytes", s->control_requests_too_large },
                { "listener-queue", s->emulations_refused },
                { "listeners", s->listeners_refused },
                { "learn-bytes", learn_budget_capped(d) },
        };

        family(t, "unotifyd_caps_refused_total", "counter",
               "What the caps (unotifyd --limit) refused or closed, by cap: handoff and control "
               "connections closed to make room, handoffs timed out, control requests too long, "
               "emulations answered EAGAIN, handoffs over the listeners caps, recording memory "
               "refused.");
        for (size_t i = 0; i < ELEMENTSOF(rows); i++)
                sample1(t, "unotifyd_caps_refused_total", "cap", rows[i].cap, rows[i].n);
        gauge(t, "unotifyd_learn_bytes", "Bytes the learn-mode recordings hold (cap: learn-bytes).",
              learn_budget_used(d));
}

char *metrics_text(const struct daemon *d, size_t *ret_len)
{
        struct text t = { .cap = 16384 };

        t.buf = malloc(t.cap);
        if (!t.buf)
                return NULL;
        daemon_info(&t, d);
        listeners(&t, d);
        notifications(&t, d);
        decisions(&t, d);
        handlers(&t, d);
        loop(&t, d);
        caps(&t, d);
        if (t.failed) {
                free(t.buf);
                return NULL;
        }
        *ret_len = t.len;
        return t.buf;
}
