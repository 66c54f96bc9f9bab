/* The daemon's lifecycle: policies, the handoff socket, signals, the loop. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "service/activation.h"
#include "sockets/control.h"
#include "loop/daemon.h"
#include "restart/fdstore.h"
#include "emulate/emulate.h"
#include "sockets/handoff.h"
#include "learn/learn.h"
#include "notify/listener.h"
#include "service/log.h"
#include "sockets/metrics_http.h"
#include "loop/privilege.h"
#include "service/sdnotify.h"
#include "loop/testhook.h"
#include "restart/upgrade.h"
#include "unotify/filter.h"
#include "unotify/macro.h"

/* Build every launcher filter now, so that no launch waits for
 * libseccomp, and a policy whose filter cannot be built is named at load. */
static void build_launcher_filters(struct unotify_policy_set *set)
{
        for (size_t i = 0; i < unotify_policy_set_count(set); i++) {
                struct unotify_policy *p = unotify_policy_set_at(set, i);
                const struct sock_fprog *prog;
                int r = unotify_policy_launcher_filter(p, &prog);

                if (r < 0)
                        log_warning("policy \"%s\": its filter cannot be built (%s); launches under it "
                                    "will be refused", unotify_policy_name(p), strerror(-r));
        }
}

int daemon_load_policies(const struct options *o, struct unotify_policy_set **ret)
{
        struct unotify_load_options lo = { .strict = o->strict };
        struct unotify_diags diags = {};
        struct utsname u;
        size_t errors;
        int r;

        /* minKernel is evaluated against the running kernel. */
        if (uname(&u) == 0)
                lo.kernel_release = u.release;
        r = unotify_policy_set_load_dir_full(o->policy_dir, &lo, ret, &diags);
        errors = unotify_diags_errors(&diags);
        for (size_t i = 0; i < diags.count; i++) {
                bool warning = diags.items[i].severity == UNOTIFY_DIAG_WARNING;
                char line[1024], *tag;

                unotify_diag_format(&diags.items[i], line, sizeof(line));
                /* Our log line already says "warning:". */
                tag = warning ? strstr(line, "warning: ") : NULL;
                if (tag)
                        memmove(tag, tag + 9, strlen(tag + 9) + 1);
                log_emit(warning ? LOG_WARNING : LOG_ERR, 0, "%s", line);
        }
        unotify_diags_clear(&diags);
        if (r == -EINVAL) {
                log_error("%s: %zu error%s in the policies", o->policy_dir, errors, errors == 1 ? "" : "s");
                return r;
        }
        if (r < 0)
                return log_error_errno(r, "%s: cannot load policies", o->policy_dir);
        if (privilege_check_policies(*ret) < 0) {
                *ret = unotify_policy_set_free(*ret);
                log_error("%s: the daemon cannot serve every policy (above)", o->policy_dir);
                return -EINVAL;
        }
        build_launcher_filters(*ret);
        return 0;
}

int daemon_reload(struct daemon *d, char *err, size_t err_size)
{
        struct unotify_policy_set *set;
        int r;

        log_notice("reloading policies from %s", d->opts->policy_dir);
        sdnotify_reloading(d);
        r = daemon_load_policies(d->opts, &set);
        /* Either way the service is ready again: the old or the new set. */
        if (r < 0) {
                sdnotify_ready(d);
                d->reload_failures++;
                snprintf(err, err_size, "%s: the policies have errors (see the daemon's log); "
                         "the policies loaded before stay in force", d->opts->policy_dir);
                log_emit_id(LOG_ERR, 0, LOG_MID_RELOAD_FAILED, 0,
                            "reload failed; the policies loaded before stay in force");
                return r;
        }
        r = emulate_ensure(d, set);
        if (r < 0) {
                unotify_policy_set_free(set);
                sdnotify_ready(d);
                d->reload_failures++;
                snprintf(err, err_size, "%s: cannot start the emulation workers its policies need; "
                         "the policies loaded before stay in force", d->opts->policy_dir);
                return r;
        }
        /* Listeners hold their own references: they keep the policy they
         * were given, and in-flight decisions finish under it. */
        unotify_policy_set_free(d->policies);
        d->policies = set;
        d->reloads++;
        log_notice("%zu policies loaded", unotify_policy_set_count(set));
        sdnotify_ready(d);
        return 0;
}

/* Once no handoff is being read (handoff_quiesce): the listeners those
 * handed over are in the fd store too. */
static void finish_exit(struct daemon *d)
{
        /* Nobody left waiting: what is pending gets its answer now. The
         * listeners themselves stay in the fd store for the next start. */
        listener_set_drain(d);
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
        handoff_quiesce(d, finish_exit);
}

static void start_signal(struct daemon *d, ev_signal *w, int signum)
{
        ev_signal_init(w, on_signal, signum);
        w->data = d;
        ev_signal_start(d->loop, w);
}

/* A socket passed by systemd or by the process we replaced, else our own. */
static int take_or_bind(struct inherited *in, const char *name, const char *path, mode_t mode, bool *ret_own)
{
        int fd = activation_take_socket(in, name);

        if (fd != -ENOENT) {
                if (fd >= 0)
                        log_info("%s socket passed in (%s)", name, in->upgrade ? "upgrade" : "socket activation");
                *ret_own = fd >= 0 && in->upgrade && in->own_sockets;
                return fd;
        }
        *ret_own = true;
        return activation_bind(path, mode);
}

int daemon_init(struct daemon *d, const struct options *opts, struct unotify_policy_set *policies,
                struct inherited *in)
{
        int r;

        *d = (struct daemon){ .opts = opts, .socket_fd = -1, .control_fd = -1, .listeners_epfd = -1,
                              .state_fd = -1, .inflight_fd = -1, .metrics_fd = -1, .mounts_fd = -1 };
        d->started_ns = now_ns();
        list_init(&d->listeners);
        list_init(&d->conns);
        list_init(&d->ctl_conns);
        list_init(&d->metrics_conns);
        d->loop = ev_default_loop(EVFLAG_AUTO | EVFLAG_NOENV);
        if (!d->loop)
                return log_error_errno(-ENOMEM, "cannot create the event loop");
        r = unotify_policy_new_deny_all("(deny-all)", EPERM, &d->deny_all);
        if (r < 0)
                return log_error_errno(-ENOMEM, "out of memory");
        r = learn_init(d);
        if (r < 0)
                return log_error_errno(r, "cannot make the built-in policy \"learn\"");
        r = listener_set_init(d);
        if (r < 0)
                return log_error_errno(r, "cannot set up the listener set");
        r = priority_init(&d->priority, opts->nice);
        if (r < 0)
                /* Not fatal: at its own priority the loop still answers. */
                log_notice("cannot raise the loop's priority to nice %d under load (%s); it stays at "
                           "nice %d. Give it CAP_SYS_NICE or RLIMIT_NICE (systemd: LimitNICE=%d), "
                           "or --nice 0 to not ask",
                           opts->nice, strerror(-r), d->priority.base, opts->nice);
        /* A target that dies with our answer unsent must not kill us. */
        signal(SIGPIPE, SIG_IGN);
        d->socket_fd = take_or_bind(in, "handoff", opts->socket_path, opts->socket_mode, &d->own_socket);
        if (d->socket_fd < 0)
                return d->socket_fd;
        d->control_fd = take_or_bind(in, "control", opts->control_path, 0600, &d->own_control);
        if (d->control_fd < 0)
                return d->control_fd;
        r = metrics_http_open(d, in);
        if (r < 0)
                return r;
        d->policies = policies;
        r = emulate_ensure(d, policies);
        if (r < 0)
                return r;
        r = fdstore_init(d, in);
        if (r < 0)
                return r;
        start_signal(d, &d->sigterm, SIGTERM);
        start_signal(d, &d->sigint, SIGINT);
        start_signal(d, &d->sighup, SIGHUP);
        handoff_start(d);
        control_start(d);
        metrics_http_start(d);
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
                   (unsigned long long)d->stats.listeners_added, (unsigned long long)d->stats.received,
                   (unsigned long long)d->stats.answered, (unsigned long long)d->stats.recv_gone,
                   (unsigned long long)d->stats.send_gone, (unsigned long long)d->stats.handoffs_refused);
        if (d->loop) {
                handoff_stop(d);
                control_stop(d);
                metrics_http_stop(d);
                upgrade_stop(d);
                testhook_stop(d);
                listener_set_done(d);
                learn_done(d);
                fdstore_done(d);
                ev_signal_stop(d->loop, &d->sigterm);
                ev_signal_stop(d->loop, &d->sigint);
                ev_signal_stop(d->loop, &d->sighup);
                /* Exiting already: a second SIGTERM (an impatient admin, a
                 * test) must not cut the clean-up short. */
                signal(SIGTERM, SIG_IGN);
                signal(SIGINT, SIG_IGN);
                signal(SIGHUP, SIG_IGN);
        }
        if (d->socket_fd >= 0 && d->own_socket)
                unlink(d->opts->socket_path);
        d->socket_fd = safe_close(d->socket_fd);
        if (d->control_fd >= 0 && d->own_control)
                unlink(d->opts->control_path);
        d->control_fd = safe_close(d->control_fd);
        metrics_http_close(d);
        d->deny_all = unotify_policy_unref(d->deny_all);
        d->policies = unotify_policy_set_free(d->policies);
        metrics_done(&d->metrics);
        if (d->loop)
                ev_loop_destroy(d->loop);
        d->loop = NULL;
}
