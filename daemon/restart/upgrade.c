#include "restart/upgrade.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "service/activation.h"
#include "loop/daemon.h"
#include "emulate/emulate.h"
#include "restart/fdstore.h"
#include "sockets/control.h"
#include "sockets/handoff.h"
#include "sockets/metrics_http.h"
#include "notify/listener_set.h"
#include "service/log.h"
#include "service/sdnotify.h"
#include "unotify/macro.h"

#define UPGRADE_OWN_SOCKETS_ENV "UNOTIFYD_UPGRADE_OWN_SOCKETS"

struct passed {
        int *fds;
        size_t n;
        char *spec;
        size_t len, cap;
};

static int add(struct passed *p, int fd, const char *name)
{
        int n;

        if (fd < 0)
                return 0;
        if (p->len + 96 > p->cap) {
                size_t cap = p->cap ? 2 * p->cap : 1024;
                char *s = realloc(p->spec, cap);

                if (!s)
                        return -ENOMEM;
                p->spec = s;
                p->cap = cap;
        }
        n = snprintf(p->spec + p->len, p->cap - p->len, "%s%d:%s", p->len ? " " : "", fd, name);
        p->len += (size_t)n;
        p->fds[p->n++] = fd;
        return 0;
}

static void set_cloexec(const struct passed *p, bool on)
{
        for (size_t i = 0; i < p->n; i++)
                (void)fcntl(p->fds[i], F_SETFD, on ? FD_CLOEXEC : 0);
}

static int collect(struct daemon *d, struct passed *p)
{
        int metrics_fd = metrics_http_fd(d->metrics_http);
        struct restart_fds fds;
        int r;

        restart_store_fds(d->store, &fds);
        /* handoff, control, metrics (when there is one), state, inflight,
         * mounts, then the listeners. */
        p->fds = calloc(d->set->n_listeners + 6, sizeof(int));
        if (!p->fds)
                return -ENOMEM;
        r = add(p, handoff_server_fd(d->handoff, NULL), "handoff");
        if (r == 0)
                r = add(p, control_server_fd(d->control, NULL), "control");
        if (r == 0 && metrics_fd >= 0)
                r = add(p, metrics_fd, "metrics");
        if (r == 0)
                r = add(p, fds.state, "state");
        if (r == 0)
                r = add(p, fds.inflight, "inflight");
        if (r == 0)
                r = add(p, fds.mounts, "mounts");
        for (struct list_node *n = d->set->listeners.next; r == 0 && n != &d->set->listeners;
             n = n->next) {
                struct listener *l = container_of(n, struct listener, node);
                char name[48];

                snprintf(name, sizeof(name), "listener-%" PRIu64, l->id);
                r = add(p, l->fd, name);
        }
        return r;
}

/* Whether we bound both sockets ourselves (then the next process
 * unlinks them at exit). */
static bool own_sockets(const struct daemon *d)
{
        bool handoff, control;

        (void)handoff_server_fd(d->handoff, &handoff);
        (void)control_server_fd(d->control, &control);
        return handoff && control;
}

static void upgrade_now(void *userdata)
{
        struct daemon *d = userdata;

        struct passed p = {};
        int r;

        /* Emulations queued or running are this process's threads: exec
         * would end them unanswered, their tasks waiting for good (none can
         * be received again). Run and answer them first. */
        emulate_done(d);
        r = collect(d, &p);
        if (r == 0)
                r = restart_store_write_state(d->store);
        if (r < 0) {
                log_error_errno(r, "upgrade: cannot prepare the handover; still running");
                emulate_ensure(d, d->policies);
                handoff_resume(d->handoff);
                goto out;
        }
        log_emit_id(LOG_NOTICE, 0, LOG_MID_UPGRADE, 0, "upgrade: exec %s with %zu listeners",
                    d->self_exe, d->set->n_listeners);
        sdnotify_reloading(d);
        /* Only what is named in the variable crosses exec; everything else
         * (epoll set, connections) is O_CLOEXEC and goes away. */
        set_cloexec(&p, false);
        setenv(UNOTIFYD_UPGRADE_ENV, p.spec, 1);
        if (own_sockets(d))
                setenv(UPGRADE_OWN_SOCKETS_ENV, "1", 1);
        /* The new process starts at this thread's nice value and takes it
         * for the one it was started with. */
        priority_follow(&d->set->priority, false);
        execv(d->self_exe, d->argv);
        r = negative_errno();
        set_cloexec(&p, true);
        unsetenv(UNOTIFYD_UPGRADE_ENV);
        unsetenv(UPGRADE_OWN_SOCKETS_ENV);
        log_error_errno(r, "upgrade: exec %s failed; still running", d->self_exe);
        emulate_ensure(d, d->policies);
        handoff_resume(d->handoff);
        sdnotify_ready(d);
out:
        free(p.fds);
        free(p.spec);
}

/* A handoff being read does not cross exec (its connection and the bytes
 * read so far are this process's): finish reading those first, then exec.
 * Connections not accepted yet wait in the socket's backlog for the new
 * process. */
static void on_upgrade_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
        struct daemon *d = container_of(w, struct daemon, upgrade_timer);

        (void)loop;
        (void)revents;
        if (!d->stopping && !handoff_server_quiescing(d->handoff))
                handoff_quiesce(d->handoff, upgrade_now, d);
}

static void on_sigusr2(struct ev_loop *loop, ev_signal *w, int revents)
{
        (void)loop;
        (void)revents;
        log_notice("SIGUSR2 received; upgrading");
        upgrade_request(container_of(w, struct daemon, sigusr2));
}

int upgrade_setup(struct daemon *d, char **argv)
{
        char path[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

        if (n < 0)
                return log_error_errno(negative_errno(), "readlink /proc/self/exe");
        path[n] = '\0';
        d->self_exe = strdup(path);
        if (!d->self_exe)
                return -ENOMEM;
        d->argv = argv;
        ev_timer_init(&d->upgrade_timer, on_upgrade_timer, 0., 0.);
        ev_signal_init(&d->sigusr2, on_sigusr2, SIGUSR2);
        ev_signal_start(d->loop, &d->sigusr2);
        return 0;
}

void upgrade_request(struct daemon *d)
{
        if (!ev_is_active(&d->upgrade_timer))
                ev_timer_start(d->loop, &d->upgrade_timer);
}

void upgrade_stop(struct daemon *d)
{
        if (!d->loop)
                return;
        ev_signal_stop(d->loop, &d->sigusr2);
        ev_timer_stop(d->loop, &d->upgrade_timer);
        free(d->self_exe);
        d->self_exe = NULL;
}
