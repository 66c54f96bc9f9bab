#include "sockets/handoff_answer.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loop/options.h"
#include "metrics/stats.h"
#include "notify/listener_set.h"
#include "service/log.h"
#include "sockets/handoff_conn.h"
#include "sockets/landlock_reply.h"
#include "unotify/filter.h"
#include "unotify/landlock.h"
#include "unotify/policy.h"

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

void handoff_answer(struct conn *c)
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
