#include "sockets/handoff.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockets/conn_share.h"
#include "sockets/acceptor.h"
#include "loop/options.h"
#include "metrics/metrics.h"
#include "metrics/stats.h"
#include "unotify/policy.h"
#include "sockets/landlock_reply.h"
#include "notify/listener_set.h"
#include "service/log.h"
#include "sockets/handoff_msg.h"
#include "unotify/filter.h"
#include "unotify/landlock.h"
#include "unotify/macro.h"
#include "unotify/unotify.h"

#define HANDOFF_ACCEPT_BURST 16

struct handoff_server {
        struct ev_loop *loop;
        int fd;
        bool own; /* a socket we bound: unlinked at the end */
        struct acceptor accept;
        struct listener_set *set;
        struct handoff_config cfg;
        struct handoff_hooks hooks;
        struct list_node conns; /* struct conn.node */
        size_t n_conns;
        /* handoff_quiesce(): what runs once no handoff is being read. */
        void (*quiesce_done)(void *userdata);
        void *quiesce_userdata;
        ev_timer quiesce_timer;
};

struct conn {
        ev_io io; /* first: libev hands us &io */
        ev_timer timer;
        struct handoff_server *s;
        struct list_node node;
        int fd;
        struct ucred peer;
        char *buf;
        size_t len, cap;
        int fds[UNOTIFY_HANDOFF_MAX_FDS];
        size_t n_fds;
        bool got_data;
        struct json_scan scan;
};

static struct ratelimit refusals = RATELIMIT_INIT(10ull * 1000000000u, 20);

static void conn_free(struct conn *c)
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

/* Best effort: a runtime may never read the answer, and must not be able
 * to stall us by not reading it. */
static void conn_reply(struct conn *c, json_t *reply)
{
        _cleanup_(freep) char *s = json_dumps(reply, JSON_COMPACT);
        size_t n;

        if (!s)
                return;
        n = strlen(s);
        s[n] = '\n'; /* replaces the NUL; we send n + 1 bytes */
        (void)!send(c->fd, s, n + 1, MSG_NOSIGNAL | MSG_DONTWAIT);
}

_printf_(3, 4) static void conn_refuse(struct conn *c, enum metrics_refusal reason, const char *fmt,
                                       ...)
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

/* The launcher's filter in hex: a few KiB, sent once per launch. */
static char *filter_hex(struct unotify_policy *p)
{
        static const char digits[] = "0123456789abcdef";
        const struct sock_fprog *prog;
        const unsigned char *bytes;
        size_t n;
        char *hex;

        if (unotify_policy_launcher_filter(p, &prog) < 0)
                return NULL;
        bytes = (const unsigned char *)prog->filter;
        n = prog->len * sizeof(struct sock_filter);
        hex = malloc(2 * n + 1);
        if (!hex)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                hex[2 * i] = digits[bytes[i] >> 4];
                hex[2 * i + 1] = digits[bytes[i] & 0xf];
        }
        hex[2 * n] = '\0';
        return hex;
}

static void answer_query(struct conn *c, const struct handoff_msg *m)
{
        _cleanup_(json_decrefp) json_t *reply = NULL, *names = NULL;
        struct unotify_policy *p = c->s->hooks.find_policy(c->s->hooks.userdata, m->query_policy);
        const struct unotify_kernel_plan *plan;
        _cleanup_(freep) char *hex = NULL;
        char digest[17];

        if (!p) {
                conn_refuse(c, METRICS_REFUSED_POLICY, "unknown policy \"%s\" (not in %s)",
                            m->query_policy, c->s->cfg.opts->policy_dir);
                return;
        }
        hex = filter_hex(p);
        if (!hex) {
                conn_refuse(c, METRICS_REFUSED_POLICY, "policy \"%s\": cannot build its filter",
                            unotify_policy_name(p));
                return;
        }
        plan = unotify_policy_kernel_plan(p);
        names = json_array();
        for (size_t i = 0; names && i < plan->n_entries; i++)
                if (plan->entries[i].kind == UNOTIFY_KERNEL_NOTIFY)
                        json_array_append_new(names, json_string(plan->entries[i].name));
        snprintf(digest, sizeof(digest), "%016" PRIx64, unotify_policy_syscalls_digest(p));
        reply = json_pack("{s:b, s:s, s:O, s:s, s:s}", "ok", 1, "policy", unotify_policy_name(p),
                          "syscalls", names, "digest", digest, "filter", hex);
        if (reply && unotify_policy_landlock(p) &&
            json_object_set_new(reply, "landlock", landlock_reply(p)) < 0) {
                conn_refuse(c, METRICS_REFUSED_NO_MEMORY, "policy \"%s\": out of memory",
                            unotify_policy_name(p));
                return;
        }
        if (reply)
                conn_reply(c, reply);
}

/* The digest of the filter the policy makes: for the capabilities the
 * sender says it was made for, if it says (export-oci --caps). 0 when
 * that plan cannot be made (ENOMEM): no digest matches then. */
static uint64_t expected_digest(const struct unotify_policy *p, const struct handoff_msg *m)
{
        struct unotify_kernel_plan *plan = NULL;
        uint64_t digest;

        if (!m->has_caps)
                return unotify_policy_syscalls_digest(p);
        if (unotify_kernel_plan_new(p, &m->caps, &plan) < 0)
                return 0;
        digest = plan->digest;
        unotify_kernel_plan_free(plan);
        return digest;
}

/* The policy a new listener gets, or NULL with *why set: then it is served
 * by deny-all, so a mistake never turns into a silent allow. Selection is
 * the library's: "policy=NAME" metadata, then "select" blocks (metadata,
 * annotations, container id), then "default": true, then --default-policy. */
static struct unotify_policy *select_policy(struct conn *c, const struct handoff_msg *m, char *why,
                                            size_t size)
{
        struct unotify_annotation ann[HANDOFF_ANNOTATIONS_MAX];
        struct unotify_selector sel = {
                .metadata = m->metadata,
                .annotations = ann,
                .n_annotations = m->n_annotations,
                .container_id = m->container_id,
                .fallback_name = c->s->cfg.opts->default_policy,
        };
        struct unotify_policy *p;
        char how[256];

        for (size_t i = 0; i < m->n_annotations; i++)
                ann[i] = (struct unotify_annotation){ m->annotations[2 * i],
                                                      m->annotations[2 * i + 1] };
        if (c->s->hooks.select_policy(c->s->hooks.userdata, m->metadata, &sel, &p, how,
                                      sizeof(how)) < 0) {
                snprintf(why, size, "%s; the listener is served by deny-all", how);
                return NULL;
        }
        if (m->has_digest && m->digest != expected_digest(p, m)) {
                snprintf(why, size,
                         "policy \"%s\" changed since the filter was built (kernel plan %016" PRIx64
                         ", filter %016" PRIx64 "); the listener is served by deny-all",
                         unotify_policy_name(p), expected_digest(p, m), m->digest);
                return NULL;
        }
        snprintf(why, size, "%s", how);
        return p;
}

/* "; annotations K=V K=V" for the log, cut at size, control characters as
 * '?': selection may have used them, and an admin wants to see which pod a
 * listener belongs to. */
static void format_annotations(const struct handoff_msg *m, char *buf, size_t size)
{
        size_t len = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < m->n_annotations && len < size; i++) {
                int n = snprintf(buf + len, size - len, "%s%s=%s", i ? " " : "; annotations ",
                                 m->annotations[2 * i], m->annotations[2 * i + 1]);

                if (n < 0)
                        break;
                len += (size_t)n;
        }
        if (len >= size && size > 4)
                memcpy(buf + size - 4, "...", 4);
        /* The sender chose these bytes: no forged log lines. */
        for (char *p = buf; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        *p = '?';
}

/* The listeners caps (peer_limits.h): 0, or -EUSERS with why set. */
static int listener_room(struct conn *c, char *why, size_t size)
{
        const struct limits *lim = &c->s->cfg.opts->limits;
        size_t mine = 0;

        if (c->s->set->n_listeners >= lim->listeners) {
                snprintf(why, size, "the daemon serves %zu listeners, its cap (listeners=%u)",
                         c->s->set->n_listeners, lim->listeners);
                return -EUSERS;
        }
        for (struct list_node *n = c->s->set->listeners.next; n != &c->s->set->listeners;
             n = n->next)
                mine += container_of(n, struct listener, node)->peer_uid == c->peer.uid;
        if (mine >= lim->listeners_per_uid) {
                snprintf(why, size,
                         "uid %u handed over %zu listeners being served, its cap "
                         "(listeners-per-uid=%u)",
                         c->peer.uid, mine, lim->listeners_per_uid);
                return -EUSERS;
        }
        return 0;
}

static void bind_listener(struct conn *c, const struct handoff_msg *m)
{
        _cleanup_(json_decrefp) json_t *reply = NULL;
        int fd = TAKE_FD(c->fds[m->seccomp_fd_index]);
        struct unotify_policy *p;
        struct listener *l;
        char why[512], annotations[512];
        int r;

        if (!listener_fd_is_seccomp(fd)) {
                safe_close(fd);
                conn_refuse(c, METRICS_REFUSED_NOT_LISTENER,
                            "the \"%s\" fd is not a seccomp listener", UNOTIFY_SECCOMP_FD_NAME);
                return;
        }
        if (listener_room(c, why, sizeof(why)) < 0) {
                /* Closed: the task's notified calls fail (ENOSYS), as
                 * when no supervisor took its listener. */
                safe_close(fd);
                c->s->cfg.stats->listeners_refused++;
                conn_refuse(c, METRICS_REFUSED_LISTENERS, "%s", why);
                return;
        }
        p = select_policy(c, m, why, sizeof(why));
        r = listener_set_add(c->s->set, fd, unotify_policy_ref(p ? p : c->s->cfg.deny_all),
                             m->container_id, (pid_t)m->pid, 0, &l);
        if (r < 0) {
                conn_refuse(c, METRICS_REFUSED_NO_MEMORY, "out of memory");
                return;
        }
        l->peer_uid = c->peer.uid;
        listener_note_seccomp_flags(l, m->has_seccomp_flags, m->seccomp_flags);
        if (listener_keep_origin(l, m->metadata, m->annotations, m->n_annotations) < 0)
                log_warning("listener %llu: out of memory keeping its metadata",
                            (unsigned long long)l->id);
        if (c->s->hooks.added)
                c->s->hooks.added(c->s->hooks.userdata, l);
        format_annotations(m, annotations, sizeof(annotations));
        log_emit_id(LOG_NOTICE, 0, LOG_MID_LISTENER_ADDED, m->pid > 0 ? (pid_t)m->pid : 0,
                    "listener %llu: container %s pid %lld policy %s (%s; from pid %d uid %u%s); "
                    "WAIT_KILLABLE_RECV %s",
                    (unsigned long long)l->id, m->container_id, (long long)m->pid,
                    unotify_policy_name(l->policy), p ? why : "refused", (int)c->peer.pid,
                    c->peer.uid, annotations, listener_wait_killable_str(l));
        if (!p) {
                conn_refuse(c, METRICS_REFUSED_POLICY, "%s", why);
                return;
        }
        reply = json_pack("{s:b, s:s, s:I}", "ok", 1, "policy", unotify_policy_name(p), "listener",
                          (json_int_t)l->id);
        if (reply)
                conn_reply(c, reply);
}

static void conn_process(struct conn *c)
{
        struct handoff_msg m;
        char err[512];
        int r;

        for (size_t i = c->scan.end; i < c->len; i++)
                if (!strchr(" \t\r\n", c->buf[i]) || c->buf[i] == '\0') {
                        conn_refuse(c, METRICS_REFUSED_MALFORMED,
                                    "unexpected data after the JSON value");
                        return;
                }
        r = handoff_msg_parse(c->buf, c->scan.end, c->n_fds, &m, err, sizeof(err));
        if (r == -ENOMEM) {
                conn_refuse(c, METRICS_REFUSED_NO_MEMORY, "out of memory");
                return;
        }
        if (r < 0) {
                conn_refuse(c, METRICS_REFUSED_MALFORMED, "%s", err);
                return;
        }
        if (m.kind == HANDOFF_QUERY)
                answer_query(c, &m);
        else
                bind_listener(c, &m);
        handoff_msg_clear(&m);
}

/* Keep the fds of the first message; any later fd is a protocol error. */
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

/* Read what is there. Returns 1 when a whole JSON value is in, 0 for more
 * later, -ENODATA when the peer closed without sending anything, -errno
 * with err set when the connection must be refused. */
static int conn_read(struct conn *c, char *err, size_t size)
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

static void on_conn_io(struct ev_loop *loop, ev_io *w, int revents)
{
        struct conn *c = container_of(w, struct conn, io);
        char err[256];
        int r;

        (void)loop;
        (void)revents;
        r = conn_read(c, err, sizeof(err));
        if (r == 0)
                return;
        if (r == -ENODATA)
                /* crun connects to the agent before it sets the process up
                 * and closes without a word when that fails (cgroups, exec
                 * of a missing file): nothing to refuse. */
                log_info("handoff connection from pid %d closed without a message",
                         (int)c->peer.pid);
        else if (r < 0)
                conn_refuse(c,
                            r == -EMSGSIZE ? METRICS_REFUSED_TOO_LARGE
                            : r == -ENOMEM ? METRICS_REFUSED_NO_MEMORY
                                           : METRICS_REFUSED_MALFORMED,
                            "%s", err);
        else
                conn_process(c);
        conn_free(c);
}

static void on_conn_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
        struct conn *c = container_of(w, struct conn, timer);

        (void)loop;
        (void)revents;
        c->s->cfg.stats->handoff_timeouts++;
        conn_refuse(c, METRICS_REFUSED_TIMEOUT,
                    "no complete message within %u ms (%zu bytes received)",
                    c->s->cfg.opts->limits.handoff_timeout_ms, c->len);
        conn_free(c);
}

/* Only root and the daemon's own user may hand over listeners: a listener
 * decides what another process's syscalls return. */
static bool peer_allowed(const struct ucred *peer)
{
        return peer->uid == 0 || peer->uid == geteuid();
}

static void conn_new(struct handoff_server *s, int fd, const struct ucred *peer, bool peer_known)
{
        struct conn *c = calloc(1, sizeof(*c));

        if (!c) {
                safe_close(fd);
                return;
        }
        c->s = s;
        c->fd = fd;
        if (peer_known)
                c->peer = *peer;
        list_add_tail(&s->conns, &c->node);
        s->n_conns++;
        if (!peer_known || !peer_allowed(&c->peer)) {
                conn_refuse(c, METRICS_REFUSED_PEER, "uid %u may not hand over listeners",
                            c->peer.uid);
                conn_free(c);
                return;
        }
        ev_io_init(&c->io, on_conn_io, fd, EV_READ);
        ev_io_start(s->loop, &c->io);
        ev_timer_init(&c->timer, on_conn_timeout, s->cfg.opts->limits.handoff_timeout_ms / 1000.0,
                      0.);
        ev_timer_start(s->loop, &c->timer);
}

/* Room for one more connection of peer (conn_share.h): the connection
 * closed for it, if any, is told why. */
static void make_room(struct handoff_server *s, const struct ucred *peer)
{
        static struct ratelimit full = RATELIMIT_INIT(10ull * 1000000000u, 5);
        const struct limits *lim = &s->cfg.opts->limits;
        struct list_node *victim = conn_share_victim(
                &s->conns, s->n_conns,
                (ptrdiff_t)offsetof(struct conn, peer) - (ptrdiff_t)offsetof(struct conn, node),
                peer->uid, lim->handoff_conns, lim->handoff_conns_per_uid);
        struct conn *c;

        if (!victim)
                return;
        c = container_of(victim, struct conn, node);
        s->cfg.stats->handoff_conns_evicted++;
        if (ratelimit_allow(&full))
                log_warning("%zu handoff connections pending (uid %u holds its share of %u, or all "
                            "%u are taken): closing the oldest of uid %u",
                            s->n_conns, peer->uid, lim->handoff_conns_per_uid, lim->handoff_conns,
                            c->peer.uid);
        conn_refuse(c, METRICS_REFUSED_BUSY,
                    "closed to make room: too many handoff connections pending");
        conn_free(c);
}

static void on_accept(struct acceptor *a, int fd, const struct ucred *peer, bool known)
{
        struct handoff_server *s = container_of(a, struct handoff_server, accept);

        /* Only a peer that may hand over can make room. */
        if (known && peer_allowed(peer))
                make_room(s, peer);
        conn_new(s, fd, peer, known);
}

/* A timer, not a call from conn_free: the last connection may end deep in
 * a callback that still uses the daemon's state. */
static void on_quiesced(struct ev_loop *loop, ev_timer *w, int revents)
{
        struct handoff_server *s = container_of(w, struct handoff_server, quiesce_timer);
        void (*done)(void *userdata) = s->quiesce_done;

        (void)loop;
        (void)revents;
        s->quiesce_done = NULL;
        if (done)
                done(s->quiesce_userdata);
}

int handoff_server_new(struct ev_loop *loop, int fd, bool own, struct listener_set *set,
                       const struct handoff_config *cfg, const struct handoff_hooks *hooks,
                       struct handoff_server **ret)
{
        struct handoff_server *s = calloc(1, sizeof(*s));

        if (!s) {
                safe_close(fd);
                return -ENOMEM;
        }
        *s = (struct handoff_server){
                .loop = loop, .fd = fd, .own = own, .set = set, .cfg = *cfg, .hooks = *hooks
        };
        list_init(&s->conns);
        acceptor_init(&s->accept, fd, "handoff", HANDOFF_ACCEPT_BURST, true, on_accept);
        ev_timer_init(&s->quiesce_timer, on_quiesced, 0., 0.);
        *ret = s;
        return 0;
}

int handoff_server_fd(const struct handoff_server *s, bool *own)
{
        if (own)
                *own = s->own;
        return s->fd;
}

size_t handoff_server_pending(const struct handoff_server *s)
{
        return s->n_conns;
}

bool handoff_server_quiescing(const struct handoff_server *s)
{
        return s->quiesce_done != NULL;
}

void handoff_start(struct handoff_server *s)
{
        acceptor_start(s->loop, &s->accept);
}

void handoff_quiesce(struct handoff_server *s, void (*done)(void *userdata), void *userdata)
{
        acceptor_stop(s->loop, &s->accept);
        s->quiesce_done = done;
        s->quiesce_userdata = userdata;
        if (s->n_conns == 0) {
                ev_timer_start(s->loop, &s->quiesce_timer);
                return;
        }
        log_notice("%zu handoff%s being read: finishing %s first (at most %u ms)", s->n_conns,
                   s->n_conns == 1 ? "" : "s", s->n_conns == 1 ? "it" : "them",
                   s->cfg.opts->limits.handoff_timeout_ms);
}

void handoff_resume(struct handoff_server *s)
{
        s->quiesce_done = NULL;
        ev_timer_stop(s->loop, &s->quiesce_timer);
        acceptor_start(s->loop, &s->accept);
}

struct handoff_server *handoff_server_free(struct handoff_server *s)
{
        if (!s)
                return NULL;
        s->quiesce_done = NULL;
        ev_timer_stop(s->loop, &s->quiesce_timer);
        acceptor_stop(s->loop, &s->accept);
        while (!list_empty(&s->conns))
                conn_free(container_of(s->conns.next, struct conn, node));
        if (s->fd >= 0 && s->own)
                unlink(s->cfg.opts->socket_path);
        safe_close(s->fd);
        free(s);
        return NULL;
}
