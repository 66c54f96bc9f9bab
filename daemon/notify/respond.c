#include "notify/respond.h"

#include <errno.h>
#include <ev.h> /* before seccomp.h: its linux/elf.h defines EV_NONE */
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "metrics/stats.h"
#include "notify/listener.h"
#include "service/log.h"
#include "notify/target.h"
#include "unotify/kernel.h"
#include "unotify/filter.h"
#include "unotify/macro.h"

static struct ratelimit view_errors = RATELIMIT_INIT(10ull * 1000000000u, 10);
static struct ratelimit unstarted = RATELIMIT_INIT(60ull * 1000000000u, 5);

/* A call the policy's own filter decides in the kernel reached us: the
 * filter in front of this listener was not made from its policy (a
 * runtime's own profile, an edited policy, export-oci --all). The answer
 * is the policy's all the same; say so once per listener, count the rest. */
static void note_mismatch(struct listener *l, const struct seccomp_notif *req)
{
        _cleanup_(freep) char *name = NULL;

        l->stats->mismatch++;
        if (l->counters.mismatch++)
                return;
        name = seccomp_syscall_resolve_num_arch(req->data.arch, req->data.nr);
        log_warning("listener %llu (policy %s): notified of %s (arch %#x, nr %d), which the "
                    "policy's own filter decides in the kernel: the filter in front of this "
                    "listener was not made from the policy, so the kernel may decide other calls "
                    "differently; answering from the policy, counting further ones "
                    "(filter_mismatches)",
                    (unsigned long long)l->id, unotify_policy_name(l->policy), name ?: "?",
                    req->data.arch, req->data.nr);
}

int respond_decide(struct listener *l, const struct seccomp_notif *req,
                   struct unotify_decision *ret)
{
        struct target_ctx ctx = { .listener_fd = l->fd, .req = req };
        const struct unotify_target_view view = {
                .read_caps = target_read_caps,
                .read_path = target_read_path,
                .userdata = &ctx,
        };
        int r;

        if (!unotify_policy_notifies(l->policy, &req->data))
                note_mismatch(l, req);
        /* The common case reads registers only: no /proc, no target memory. */
        if (!l->needs_view) {
                unotify_policy_decide(l->policy, &req->data, ret);
                return 0;
        }
        r = unotify_policy_decide_target(l->policy, &req->data, &view, ret);
        /* What the target did (a bad pointer or dirfd, a path too long) or
         * its going away is no daemon error: it gets the errno, we say nothing. */
        if (r < 0 && !target_error_is_targets(r) && ratelimit_allow(&view_errors))
                log_warning_errno(r, "listener %llu: pid %u: reading what rule %d needs",
                                  (unsigned long long)l->id, req->pid, ret->rule);
        return r < 0 ? r : 0;
}

/* Verbose only: names cost an allocation, the hot path stays free of them.
 * libseccomp's arch tokens are the AUDIT_ARCH_* values of seccomp_data. */
static void log_decision(int level, const struct listener *l, const struct seccomp_notif *req,
                         const struct unotify_decision *dec)
{
        const char *errname =
                dec->action == UNOTIFY_ACTION_ERRNO ? unotify_errno_name(dec->error) : NULL;
        _cleanup_(freep) char *name =
                seccomp_syscall_resolve_num_arch(req->data.arch, req->data.nr);
        char rule[160] = "defaultAction", extra[48] = "";
        const char *policy;
        unsigned index;

        /* With "include" the effective index counts the included rules
         * first: name the policy and the rule as written. */
        if (dec->rule >= 0 &&
            unotify_policy_rule_source(l->policy, dec->rule, &policy, NULL, &index) == 0)
                snprintf(rule, sizeof(rule), "%s /syscalls/%u", policy, index);
        if (errname)
                snprintf(extra, sizeof(extra), " %s", errname);
        else if (dec->action == UNOTIFY_ACTION_RETURN)
                snprintf(extra, sizeof(extra), " %lld", (long long)dec->val);
        else if (dec->action == UNOTIFY_ACTION_EMULATE)
                snprintf(extra, sizeof(extra), " %s", unotify_handler_name(dec->handler));
        log_emit(level, 0, "listener %llu (%s): pid %u %s -> %s%s (%s)", (unsigned long long)l->id,
                 l->container_id, req->pid, name ? name : "?", unotify_decision_action_name(dec),
                 extra, rule);
}

/* SIGKILL through a pidfd validated against the notification, so a reused
 * pid is never signalled. A signal ends the whole thread group: there is
 * no way to end one thread from outside, so KILL_THREAD does the same. */
static void kill_target(struct listener *l, const struct seccomp_notif *req)
{
        int fd = target_pidfd(l->fd, req);

        if (fd < 0)
                return; /* gone already */
        if (syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0) < 0)
                log_warning_errno(negative_errno(), "listener %llu: killing pid %u",
                                  (unsigned long long)l->id, req->pid);
        safe_close(fd);
}

void respond_fill(struct listener *l, const struct seccomp_notif *req,
                  const struct unotify_decision *dec, struct seccomp_notif_resp *resp)
{
        resp->id = req->id;
        if (dec->action == UNOTIFY_ACTION_ERRNO || dec->action == UNOTIFY_ACTION_KILL_PROCESS ||
            dec->action == UNOTIFY_ACTION_KILL_THREAD) {
                l->counters.denied++;
                l->stats->denied++;
        }
        switch (dec->action) {
        case UNOTIFY_ACTION_CONTINUE:
                /* Only for decisions on registers: the loader refuses ALLOW
                 * and LOG on rules that read target memory, since
                 * SECCOMP_USER_NOTIF_FLAG_CONTINUE lets the kernel read it
                 * again after us (seccomp_unotify(2): a TOCTOU race). */
                resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
                if (dec->log)
                        log_decision(LOG_NOTICE, l, req, dec);
                break;
        case UNOTIFY_ACTION_RETURN:
                resp->val = dec->val;
                break;
        case UNOTIFY_ACTION_KILL_PROCESS:
        case UNOTIFY_ACTION_KILL_THREAD:
                kill_target(l, req);
                resp->error = -dec->error;
                log_decision(LOG_NOTICE, l, req, dec);
                break;
        case UNOTIFY_ACTION_EMULATE:
                /* Only when emulate_start() could not hand it to its
                 * handler (out of memory): fail closed. */
                if (ratelimit_allow(&unstarted))
                        log_warning("listener %llu: handler \"%s\" could not start; answering %s",
                                    (unsigned long long)l->id, unotify_handler_name(dec->handler),
                                    unotify_errno_name(dec->error));
                resp->error = -dec->error;
                break;
        case UNOTIFY_ACTION_ERRNO:
        default:
                resp->error = -dec->error;
                break;
        }
        if (log_enabled(LOG_INFO) && !dec->log && dec->action != UNOTIFY_ACTION_KILL_PROCESS &&
            dec->action != UNOTIFY_ACTION_KILL_THREAD)
                log_decision(LOG_INFO, l, req, dec);
}
