#include "loop/testhook.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loop/daemon.h"
#include "service/log.h"

static void on_freeze(struct ev_loop *loop, ev_signal *w, int revents)
{
        (void)loop;
        (void)w;
        (void)revents;
        log_warning("test hook: SIGRTMIN+1 received; the loop stops here for good");
        for (;;)
                pause();
}

void testhook_start(struct daemon *d)
{
        const char *hooks = getenv("UNOTIFYD_TEST_HOOKS");

        if (!hooks || !strstr(hooks, "freeze"))
                return;
        ev_signal_init(&d->sigfreeze, on_freeze, SIGRTMIN + 1);
        ev_signal_start(d->loop, &d->sigfreeze);
        log_warning("test hooks on (UNOTIFYD_TEST_HOOKS=%s): SIGRTMIN+1 freezes the loop", hooks);
}

void testhook_stop(struct daemon *d)
{
        if (d->loop && ev_is_active(&d->sigfreeze))
                ev_signal_stop(d->loop, &d->sigfreeze);
}
