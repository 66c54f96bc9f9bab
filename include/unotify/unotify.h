/* libunotify: hand a seccomp listener to unotifyd, exactly as an OCI
 * runtime does for linux.seccomp.listenerPath, and ask the daemon what a
 * policy notifies.
 *
 * Protocol (docs/protocol.md): one unix stream connection per request.
 * A handoff is the OCI "container process state" JSON with the listener in
 * SCM_RIGHTS of the first message, named by "fds" ("seccompFd"). A query is
 * {"unotifyQuery":"policy","policy":NAME} without fds. The daemon answers
 * each with one JSON line: {"ok":true,...} or {"ok":false,"error":"..."}
 * (runtimes that do not read it lose nothing). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct sock_filter;      /* <linux/filter.h> */
struct unotify_landlock; /* "unotify/landlock.h" */

#ifdef __cplusplus
extern "C" {
#endif

#define UNOTIFY_SECCOMP_FD_NAME "seccompFd"
#define UNOTIFY_QUERY_KEY "unotifyQuery"
/* listenerMetadata keys ("KEY=VALUE" lines). */
#define UNOTIFY_META_POLICY "policy"
#define UNOTIFY_META_DIGEST "unotify.syscalls-digest"
/* The capability set (hex, bit n = capability n) a filter's kernel plan
 * was made for (unotifyctl export-oci --caps): the daemon checks the
 * digest against the plan for those capabilities. */
#define UNOTIFY_META_CAPS "unotify.caps"
/* The seccomp(2) flags the filter was installed with, in hex: tells the
 * daemon whether it has SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV. */
#define UNOTIFY_META_SECCOMP_FLAGS "unotify.seccomp-flags"

/* Bounds the daemon enforces on one connection. */
#define UNOTIFY_HANDOFF_MAX_MESSAGE (256 * 1024)
#define UNOTIFY_HANDOFF_MAX_FDS 8
#define UNOTIFY_HANDOFF_TIMEOUT_MS 5000

struct unotify_handoff {
        pid_t pid;                  /* process that installed the filter */
        const char *container_id;   /* state.id; NULL: "unotify-<pid>" */
        const char *policy;         /* written as "policy=NAME" metadata; may be NULL */
        uint64_t syscalls_digest;   /* 0: not sent; else see unotify_policy_syscalls_digest */
        const char *extra_metadata; /* more "KEY=VALUE\n" lines; may be NULL */
        uint64_t seccomp_flags;     /* 0: not sent; else the seccomp(2) flags of the filter */
};

/* The daemon's answer. Strings are malloc'ed; free with unotify_reply_clear. */
struct unotify_reply {
        bool ok;
        char *error;  /* set when !ok */
        char *policy; /* the policy the daemon bound or described */
        uint64_t listener_id;
        char **syscalls; /* query only: the names the filter notifies, sorted */
        size_t n_syscalls;
        uint64_t digest; /* query only: of the policy's kernel plan */
        /* query only: the policy's whole filter (its rules the kernel can
         * decide, defaultAction, SECCOMP_RET_USER_NOTIF for the rest), built
         * by the daemon for a launcher; filter_len instructions. */
        struct sock_filter *filter;
        size_t filter_len;
        /* query only: the policy's Landlock section (unotify/landlock.h),
         * for unotify_landlock_ruleset(); NULL when it has none. */
        struct unotify_landlock *landlock;
};

void unotify_reply_clear(struct unotify_reply *r);

/* Send listener_fd (borrowed: the caller closes its copy afterwards) with
 * the state of h to the daemon at socket_path and read its answer.
 * Returns 0 when the daemon accepted it (ret->ok), -EREMOTEIO when it
 * refused (ret->error says why), -EBADMSG on a malformed answer, or the
 * -errno of connecting/sending/receiving. ret is always initialised. */
int unotify_handoff_send(const char *socket_path, int listener_fd, const struct unotify_handoff *h,
                         struct unotify_reply *ret);

/* Ask for the filter of policy `name`. Same returns as above; on success
 * ret->filter, ret->filter_len, ret->syscalls, ret->n_syscalls and
 * ret->digest are set. */
int unotify_query_policy(const char *socket_path, const char *name, struct unotify_reply *ret);

#ifdef __cplusplus
}
#endif
