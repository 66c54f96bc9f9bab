/* What each control command does. Replies are built from the daemon's
 * state only; nothing a peer sends reaches them except the command name. */
#include "sockets/control_cmds.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "loop/daemon.h"
#include "loop/reload.h"
#include "learn/learn.h"
#include "notify/listener.h"
#include "service/log.h"
#include "metrics/metrics_text.h"
#include "unotify/macro.h"
#include "restart/upgrade.h"

static json_t *figures(const struct daemon *d)
{
        const struct daemon_stats *s = &d->stats;

        return json_pack(
                "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
                "s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
                "listeners", (json_int_t)d->set->n_listeners, "listeners_added",
                (json_int_t)s->listeners_added, "listeners_freed", (json_int_t)s->listeners_freed,
                "handoffs_refused", (json_int_t)s->handoffs_refused, "notifications_received",
                (json_int_t)s->received, "notifications_answered", (json_int_t)s->answered,
                "gone_before_recv", (json_int_t)s->recv_gone, "gone_before_send",
                (json_int_t)s->send_gone, "stale_dropped", (json_int_t)s->stale, "journal_answered",
                (json_int_t)s->journal_answered, "filter_mismatches", (json_int_t)s->mismatch,
                "notifications_denied", (json_int_t)s->denied, "sync_wake_up_listeners",
                (json_int_t)s->sync_wake_up, "streaks", (json_int_t)s->streaks, "streak_waits",
                (json_int_t)s->streak_waits, "loop_nice",
                (json_int_t)(d->set->priority.raised ? d->set->priority.busy
                                                     : d->set->priority.base),
                "priority_switches", (json_int_t)d->set->priority.switches, "policies",
                (json_int_t)unotify_policy_set_count(d->policies), "reloads",
                (json_int_t)d->reloads, "reload_failures", (json_int_t)d->reload_failures,
                "handoff_conns_evicted", (json_int_t)s->handoff_conns_evicted, "handoff_timeouts",
                (json_int_t)s->handoff_timeouts, "control_conns_evicted",
                (json_int_t)s->control_conns_evicted, "emulations_refused",
                (json_int_t)s->emulations_refused, "listeners_refused",
                (json_int_t)s->listeners_refused, "control_requests_too_large",
                (json_int_t)s->control_requests_too_large, "learn_bytes",
                (json_int_t)learn_budget_used(d), "learn_bytes_capped",
                (json_int_t)learn_budget_capped(d));
}

static json_t *cmd_status(struct daemon *d, const json_t *req, char *err, size_t size)
{
        (void)req;
        (void)err;
        (void)size;
        return json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:I, s:I, s:I}", "version",
                         UNOTIFY_VERSION, "pid", (json_int_t)getpid(), "uptime_seconds",
                         (json_int_t)((now_ns() - d->started_ns) / 1000000000u), "handoff_socket",
                         d->opts->socket_path, "control_socket", d->opts->control_path,
                         "policy_dir", d->opts->policy_dir, "policies",
                         (json_int_t)unotify_policy_set_count(d->policies), "listeners",
                         (json_int_t)d->set->n_listeners, "notifications_answered",
                         (json_int_t)d->stats.answered);
}

static json_t *listener_json(const struct listener *l)
{
        json_t *ann = json_object();
        json_t *o;

        for (size_t i = 0; ann && i < l->n_annotations; i++)
                json_object_set_new(ann, l->annotations[2 * i],
                                    json_string(l->annotations[2 * i + 1]));
        o = json_pack(
                "{s:I, s:s, s:I, s:s, s:s?, s:o*, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
                "s:s, "
                "s:b, s:b}",
                "id", (json_int_t)l->id, "container_id", l->container_id, "pid", (json_int_t)l->pid,
                "policy", unotify_policy_name(l->policy), "metadata", l->metadata, "annotations",
                ann, "received", (json_int_t)l->received, "answered",
                (json_int_t)l->counters.answered, "gone_before_send", (json_int_t)l->send_gone,
                "gone_before_recv", (json_int_t)l->counters.recv_gone, "stale_dropped",
                (json_int_t)l->counters.stale, "efault", (json_int_t)l->counters.efault,
                "filter_mismatches", (json_int_t)l->counters.mismatch, "emulations_refused",
                (json_int_t)l->counters.emulations_refused, "denied",
                (json_int_t)l->counters.denied, "wait_killable_recv", listener_wait_killable_str(l),
                "sync_wake_up", l->wakeup.on, "learning", l->learn != NULL);
        return o;
}

static json_t *cmd_list(struct daemon *d, const json_t *req, char *err, size_t size)
{
        json_t *list = json_array();

        (void)req;
        (void)err;
        (void)size;
        for (struct list_node *n = d->set->listeners.next; list && n != &d->set->listeners;
             n = n->next)
                if (json_array_append_new(
                            list, listener_json(container_of(n, struct listener, node))) < 0) {
                        json_decref(list);
                        return NULL;
                }
        return json_pack("{s:o*}", "listeners", list);
}

static json_t *cmd_stats(struct daemon *d, const json_t *req, char *err, size_t size)
{
        (void)req;
        (void)err;
        (void)size;
        return json_pack("{s:o*}", "stats", figures(d));
}

/* The same exposition as GET /metrics, for unotifyctl stats --prometheus. */
static json_t *cmd_metrics(struct daemon *d, const json_t *req, char *err, size_t size)
{
        _cleanup_(freep) char *text = NULL;
        size_t len;

        (void)req;
        (void)err;
        (void)size;
        text = metrics_text(d, &len);
        return text ? json_pack("{s:s%}", "exposition", text, len) : NULL;
}

static json_t *cmd_reload(struct daemon *d, const json_t *req, char *err, size_t size)
{
        (void)req;
        if (daemon_reload(d, err, size) < 0)
                return NULL;
        return json_pack("{s:I}", "policies", (json_int_t)unotify_policy_set_count(d->policies));
}

static json_t *cmd_upgrade(struct daemon *d, const json_t *req, char *err, size_t size)
{
        (void)req;
        (void)err;
        (void)size;
        /* After this reply is written: the loop runs the timer next. */
        upgrade_request(d);
        return json_pack("{s:I, s:s}", "pid", (json_int_t)getpid(), "exec", d->self_exe);
}

static json_t *cmd_learn(struct daemon *d, const json_t *req, char *err, size_t size)
{
        return learn_control(d, req, err, size);
}

static const struct control_command commands[] = {
        { "status", cmd_status }, { "list", cmd_list },       { "stats", cmd_stats },
        { "reload", cmd_reload }, { "upgrade", cmd_upgrade }, { "metrics", cmd_metrics },
        { "learn", cmd_learn },
};

const struct control_command *control_command_find(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (strcmp(commands[i].name, name) == 0)
                        return &commands[i];
        return NULL;
}
