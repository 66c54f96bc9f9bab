/* The daemon's lifecycle and wiring: the loop, the signals, and the
 * objects below it (the listener set, the handoff, control and metrics
 * servers, the restart store), each told what it needs from the others
 * through the hooks declared in its own header. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "service/activation.h"
#include "sockets/control.h"
#include "sockets/control_cmds.h"
#include "loop/daemon.h"
#include "restart/fdstore.h"
#include "emulate/emulate.h"
#include "sockets/handoff.h"
#include "learn/learn.h"
#include "loop/reload.h"
#include "notify/listener_set.h"
#include "restart/inflight.h"
#include "service/log.h"
#include "sockets/metrics_http.h"
#include "metrics/metrics_text.h"
#include "loop/privilege.h"
#include "service/sdnotify.h"
#include "loop/testhook.h"
#include "restart/upgrade.h"
#include "unotify/filter.h"
#include "unotify/macro.h"

/* Once no handoff is being read (handoff_quiesce): the listeners those
 * handed over are in the fd store too. */
static void finish_exit(void *userdata)
{
        struct daemon *d = userdata;

        /* Nobody left waiting: what is pending gets its answer now. The
         * listeners themselves stay in the fd store for the next start. */
        listener_set_drain(d->set);
        ev_break(d->loop, EVBREAK_ALL);
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
        struct daemon *d = w->data;

        (void)loop;
        (void)revents;
        if (w->signum == SIGHUP) {
                char err[512];

                (void)daemon_reload(d, err, sizeof(err));
                return;
        }
        if (d->stopping)
                return; /* exiting already, within handoff-timeout-ms */
        log_notice("%s received; exiting", strsignal(w->signum));
        d->stopping = true;
        sdnotify_stopping(d);
        /* Replaces an upgrade waiting for the same handoffs. */
        handoff_quiesce(d->handoff, finish_exit, d);
}

static void start_signal(struct daemon *d, ev_signal *w, int signum)
{
        ev_signal_init(w, on_signal, signum);
        w->data = d;
        ev_signal_start(d->loop, w);
}

/* A socket passed by systemd or by the process we replaced, else our own. */
static int take_or_bind(struct inherited *in, const char *name, const char *path, mode_t mode,
                        bool *ret_own)
{
        int fd = activation_take_socket(in, name);

        if (fd != -ENOENT) {
                if (fd >= 0)
                        log_info("%s socket passed in (%s)", name,
                                 in->upgrade ? "upgrade" : "socket activation");
                *ret_own = fd >= 0 && in->upgrade && in->own_sockets;
                return fd;
        }
        *ret_own = true;
        return activation_bind(path, mode);
}

/* The listener set's hooks (listener_set.h): what it asks the rest of the
 * daemon, wired here so that notify/ knows nothing of emulate/, learn/ or
 * restart/. */
static int hook_emulate(void *userdata, struct listener *l, const struct seccomp_notif *req,
                        const struct unotify_decision *dec, uint64_t recv_ns, bool shared)
{
        return emulate_start(userdata, l, req, dec, recv_ns, shared);
}

static void hook_added(void *userdata, struct listener *l)
{
        struct daemon *d = userdata;

        (void)learn_listener_begin(d->learn, l);
}

static void hook_removed(void *userdata, struct listener *l)
{
        struct daemon *d = userdata;

        learn_listener_end(d->learn, l);
}

static void hook_record(void *userdata, struct listener *l, const struct seccomp_notif *req)
{
        struct daemon *d = userdata;

        learn_listener_record(d->learn, l, req);
}

static void hook_gone(void *userdata, struct listener *l)
{
        struct daemon *d = userdata;

        if (d->store)
                restart_store_gone(d->store, l);
}

static int set_up_listeners(struct daemon *d)
{
        const struct listener_hooks hooks = {
                .userdata = d,
                .emulate = hook_emulate,
                .added = hook_added,
                .removed = hook_removed,
                .record = hook_record,
                .gone = hook_gone,
        };
        int r = listener_set_new(d->loop, d->opts->sync_wake_up, &d->stats, &d->metrics, &hooks,
                                 &d->set);

        if (r < 0)
                return log_error_errno(r, "cannot set up the listener set");
        r = emulate_init(d);
        if (r < 0)
                return r;
        r = priority_init(&d->set->priority, d->opts->nice);
        if (r < 0)
                /* Not fatal: at its own priority the loop still answers. */
                log_notice(
                        "cannot raise the loop's priority to nice %d under load (%s); it stays at "
                        "nice %d. Give it CAP_SYS_NICE or RLIMIT_NICE (systemd: LimitNICE=%d), "
                        "or --nice 0 to not ask",
                        d->opts->nice, strerror(-r), d->set->priority.base, d->opts->nice);
        return 0;
}

/* The other objects' hooks: a policy by name, as learn mode knows them
 * (its built-in one too), for a query and for a resumed listener. */
static struct unotify_policy *hook_find_policy(void *userdata, const char *name)
{
        return learn_find_policy(userdata, name);
}

static int hook_select_policy(void *userdata, const char *metadata,
                              const struct unotify_selector *sel, struct unotify_policy **ret,
                              char *how, size_t size)
{
        struct daemon *d = userdata;
        struct unotify_policy *p = learn_select_builtin(d, metadata);

        if (!p)
                return unotify_policy_set_select(d->policies, sel, ret, how, size);
        snprintf(how, size, "metadata policy=%s (built in)", LEARN_BUILTIN_NAME);
        *ret = p;
        return 0;
}

static void hook_handed_over(void *userdata, struct listener *l)
{
        struct daemon *d = userdata;

        restart_store_added(d->store, l);
}

static json_t *hook_control(void *userdata, const char *name, const json_t *req, char *err,
                            size_t err_size)
{
        const struct control_command *cmd = control_command_find(name);

        if (!cmd) /* control_parse_request knows every command: not reached */
                return snprintf(err, err_size, "unknown command"), NULL;
        return cmd->run(userdata, req, err, err_size);
}

static char *hook_metrics(void *userdata, size_t *ret_len)
{
        return metrics_text(userdata, ret_len);
}

/* The handoff, control and metrics sockets: passed in or bound. */
static int set_up_sockets(struct daemon *d, struct inherited *in)
{
        const struct options *opts = d->opts;
        const struct handoff_config cfg = {
                .opts = opts, .deny_all = d->deny_all, .stats = &d->stats, .metrics = &d->metrics
        };
        const struct handoff_hooks handoff = { .userdata = d,
                                               .find_policy = hook_find_policy,
                                               .select_policy = hook_select_policy,
                                               .added = hook_handed_over };
        const struct control_hooks control = { .userdata = d, .run = hook_control };
        const struct metrics_http_hooks metrics = { .userdata = d, .render = hook_metrics };
        bool own;
        int fd, r;

        fd = take_or_bind(in, "handoff", opts->socket_path, opts->socket_mode, &own);
        if (fd < 0)
                return fd;
        r = handoff_server_new(d->loop, fd, own, d->set, &cfg, &handoff, &d->handoff);
        if (r < 0)
                return log_error_errno(r, "out of memory");
        fd = take_or_bind(in, "control", opts->control_path, 0600, &own);
        if (fd < 0)
                return fd;
        r = control_server_new(d->loop, fd, own, opts->control_path, &opts->limits, &d->stats,
                               &control, &d->control);
        if (r < 0)
                return log_error_errno(r, "out of memory");
        return metrics_http_new(d->loop, opts->metrics_listen, in, &d->metrics, &metrics,
                                &d->metrics_http);
}

int daemon_init(struct daemon *d, const struct options *opts, struct unotify_policy_set *policies,
                struct inherited *in)
{
        const struct restart_hooks restart = { .userdata = d, .find_policy = hook_find_policy };
        int r;

        *d = (struct daemon){ .opts = opts };
        d->started_ns = now_ns();
        d->loop = ev_default_loop(EVFLAG_AUTO | EVFLAG_NOENV);
        if (!d->loop)
                return log_error_errno(-ENOMEM, "cannot create the event loop");
        r = unotify_policy_new_deny_all("(deny-all)", EPERM, &d->deny_all);
        if (r < 0)
                return log_error_errno(-ENOMEM, "out of memory");
        r = learn_init(d);
        if (r < 0)
                return log_error_errno(r, "cannot make the built-in policy \"learn\"");
        r = set_up_listeners(d);
        if (r < 0)
                return r;
        /* A target that dies with our answer unsent must not kill us. */
        signal(SIGPIPE, SIG_IGN);
        r = set_up_sockets(d, in);
        if (r < 0)
                return r;
        d->policies = policies;
        r = emulate_ensure(d, policies);
        if (r < 0)
                return r;
        r = restart_store_new(d->set, in, d->deny_all, &restart, &d->store);
        if (r < 0)
                return r;
        start_signal(d, &d->sigterm, SIGTERM);
        start_signal(d, &d->sigint, SIGINT);
        start_signal(d, &d->sighup, SIGHUP);
        handoff_start(d->handoff);
        control_start(d->control);
        metrics_http_start(d->metrics_http);
        testhook_start(d);
        return 0;
}

void daemon_run(struct daemon *d)
{
        ev_run(d->loop, 0);
}

void daemon_done(struct daemon *d)
{
        log_notice("stats: %llu listeners, %llu notifications received, %llu answered, "
                   "%llu gone before RECV, %llu gone before SEND, %llu handoffs refused",
                   (unsigned long long)d->stats.listeners_added,
                   (unsigned long long)d->stats.received, (unsigned long long)d->stats.answered,
                   (unsigned long long)d->stats.recv_gone, (unsigned long long)d->stats.send_gone,
                   (unsigned long long)d->stats.handoffs_refused);
        /* The sockets first: nobody new comes in while the rest goes. */
        d->handoff = handoff_server_free(d->handoff);
        d->control = control_server_free(d->control);
        d->metrics_http = metrics_http_free(d->metrics_http);
        if (d->loop) {
                upgrade_stop(d);
                testhook_stop(d);
                /* First: the pool hands back every job, which may hold
                 * the last reference to a listener. */
                emulate_done(d);
                /* Before the set: it detaches its journal from it. */
                d->store = restart_store_free(d->store);
                d->set = listener_set_free(d->set);
                learn_done(d);
                ev_signal_stop(d->loop, &d->sigterm);
                ev_signal_stop(d->loop, &d->sigint);
                ev_signal_stop(d->loop, &d->sighup);
                /* Exiting already: a second SIGTERM (an impatient admin, a
                 * test) must not cut the clean-up short. */
                signal(SIGTERM, SIG_IGN);
                signal(SIGINT, SIG_IGN);
                signal(SIGHUP, SIG_IGN);
        }
        d->deny_all = unotify_policy_unref(d->deny_all);
        d->policies = unotify_policy_set_free(d->policies);
        metrics_done(&d->metrics);
        if (d->loop)
                ev_loop_destroy(d->loop);
        d->loop = NULL;
}
