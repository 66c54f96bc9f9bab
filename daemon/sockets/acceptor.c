#include "sockets/acceptor.h"

#include <errno.h>
#include <sys/socket.h>

#include "unotify/macro.h"

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
        struct acceptor *a = container_of(w, struct acceptor, io);

        (void)loop;
        (void)revents;
        for (unsigned i = 0; i < a->burst; i++) {
                int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                struct ucred peer = {};
                socklen_t len = sizeof(peer);
                bool known = false;

                if (fd < 0) {
                        if (errno == ECONNABORTED || errno == EINTR)
                                continue;
                        if (errno != EAGAIN && ratelimit_allow(&a->warnings))
                                log_warning_errno(negative_errno(), "accept on the %s socket",
                                                  a->what);
                        return;
                }
                if (a->want_peer)
                        known = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) == 0;
                a->accepted(a, fd, &peer, known);
        }
}

void acceptor_init(struct acceptor *a, int fd, const char *what, unsigned burst, bool want_peer,
                   acceptor_fn accepted)
{
        *a = (struct acceptor){
                .what = what,
                .burst = burst,
                .want_peer = want_peer,
                .accepted = accepted,
                .warnings = RATELIMIT_INIT(10ull * 1000000000u, 5),
        };
        ev_io_init(&a->io, on_accept, fd, EV_READ);
}

void acceptor_start(struct ev_loop *loop, struct acceptor *a)
{
        ev_io_start(loop, &a->io);
}

void acceptor_stop(struct ev_loop *loop, struct acceptor *a)
{
        ev_io_stop(loop, &a->io);
}
