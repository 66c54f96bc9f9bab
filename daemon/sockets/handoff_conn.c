/* One handoff connection: reading its message and its fds without ever
 * blocking, replying, refusing, and freeing it (handoff_conn.h). */
#include "sockets/handoff_conn.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics/stats.h"
#include "service/log.h"

static struct ratelimit refusals = RATELIMIT_INIT(10ull * 1000000000u, 20);

void conn_free(struct conn *c)
{
        ev_io_stop(c->s->loop, &c->io);
        ev_timer_stop(c->s->loop, &c->timer);
        for (size_t i = 0; i < c->n_fds; i++)
                safe_close(c->fds[i]);
        safe_close(c->fd);
        list_del(&c->node);
        c->s->n_conns--;
        if (c->s->quiesce_done && c->s->n_conns == 0)
                ev_timer_start(c->s->loop, &c->s->quiesce_timer);
        free(c->buf);
        free(c);
}

void conn_reply(struct conn *c, json_t *reply)
{
        _cleanup_(freep) char *s = json_dumps(reply, JSON_COMPACT);
        size_t n;

        if (!s)
                return;
        n = strlen(s);
        s[n] = '\n'; /* replaces the NUL; we send n + 1 bytes */
        (void)!send(c->fd, s, n + 1, MSG_NOSIGNAL | MSG_DONTWAIT);
}

void conn_refuse(struct conn *c, enum metrics_refusal reason, const char *fmt, ...)
{
        _cleanup_(json_decrefp) json_t *reply = NULL;
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        c->s->cfg.stats->handoffs_refused++;
        c->s->cfg.metrics->refusals[reason]++;
        if (ratelimit_allow(&refusals))
                log_warning("handoff from pid %d uid %u refused: %s", (int)c->peer.pid, c->peer.uid,
                            msg);
        reply = json_pack("{s:b, s:s}", "ok", 0, "error", msg);
        if (reply)
                conn_reply(c, reply);
}

static int take_fds(struct conn *c, struct msghdr *msg, char *err, size_t size)
{
        int r = 0;

        for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
                size_t n;
                int *fds;

                if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
                        continue;
                n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                fds = (int *)CMSG_DATA(cm);
                for (size_t i = 0; i < n; i++) {
                        if (c->got_data || c->n_fds >= UNOTIFY_HANDOFF_MAX_FDS) {
                                safe_close(fds[i]);
                                r = -EBADMSG;
                                continue;
                        }
                        c->fds[c->n_fds++] = fds[i];
                }
        }
        if (r < 0)
                snprintf(err, size,
                         c->got_data ? "fds must come with the first bytes of the message"
                                     : "more than %d fds",
                         UNOTIFY_HANDOFF_MAX_FDS);
        else if (msg->msg_flags & MSG_CTRUNC) {
                snprintf(err, size, "more than %d fds", UNOTIFY_HANDOFF_MAX_FDS);
                r = -EBADMSG;
        }
        return r;
}

static int conn_grow(struct conn *c)
{
        size_t cap;
        char *b;

        if (c->len < c->cap)
                return 0;
        cap = c->cap ? c->cap * 2 : 4096;
        if (cap > UNOTIFY_HANDOFF_MAX_MESSAGE + 1)
                cap = UNOTIFY_HANDOFF_MAX_MESSAGE + 1;
        b = realloc(c->buf, cap);
        if (!b)
                return -ENOMEM;
        c->buf = b;
        c->cap = cap;
        return 0;
}

int conn_read(struct conn *c, char *err, size_t size)
{
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int) * UNOTIFY_HANDOFF_MAX_FDS)];
        } control;
        struct iovec iov;
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
        ssize_t n;
        int r;

        if (conn_grow(c) < 0)
                return snprintf(err, size, "out of memory"), -ENOMEM;
        iov = (struct iovec){ .iov_base = c->buf + c->len, .iov_len = c->cap - c->len };
        msg.msg_control = control.buf;
        msg.msg_controllen = sizeof(control.buf);
        n = recvmsg(c->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                        return 0;
                r = negative_errno();
                return snprintf(err, size, "receive failed: %s", strerror(-r)), r;
        }
        r = take_fds(c, &msg, err, size);
        if (r < 0)
                return r;
        if (n == 0 && c->len == 0)
                return -ENODATA; /* see on_conn_io */
        if (n == 0)
                return snprintf(err, size,
                                "connection closed after %zu bytes, before the JSON value was "
                                "complete",
                                c->len),
                       -EPIPE;
        c->got_data = true;
        c->len += (size_t)n;
        if (c->len > UNOTIFY_HANDOFF_MAX_MESSAGE)
                return snprintf(err, size, "message longer than %d bytes",
                                UNOTIFY_HANDOFF_MAX_MESSAGE),
                       -EMSGSIZE;
        r = json_scan_feed(&c->scan, c->buf, c->len);
        if (r < 0)
                return snprintf(err, size, "not a JSON object"), r;
        return r;
}
