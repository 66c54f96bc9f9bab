/* The emulation handler interface. A handler turns one notification into
 * an answer by doing the work in the supervisor: it runs in a worker
 * thread of the pool (pool.h), may block, reads what it needs from the
 * target, and fills the call's result, which the loop then sends
 * (emulate.c) — with the fd, when there is one, installed by
 * SECCOMP_IOCTL_NOTIF_ADDFD + SECCOMP_ADDFD_FLAG_SEND in one step.
 *
 * Which syscalls a handler serves and its options are checked by the
 * policy library at load (policy/parse/handlers.c); the handler may rely on
 * them. Adding a handler: a file here, a row in registry.c (and its
 * schema in policy/parse/handlers.c). */
#pragma once

#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "unotify/policy.h"

struct worker;
struct journal;

/* One emulated call, owned by the pool while it runs. */
struct emul_call {
        /* In; valid for the whole call. */
        struct seccomp_notif req;                   /* a copy */
        int listener_fd;                            /* borrowed (the job holds the listener) */
        const struct unotify_policy *policy;        /* borrowed, likewise */
        struct unotify_decision dec;                /* the EMULATE decision */
        const struct unotify_handler_options *opts; /* dec's rule's, borrowed */
        struct journal *journal;                    /* the listener's; NULL: none */

        /* Out, set by the handler. error < 0: fail the call with that
         * negative errno (the daemon's one contract). Else fd >= 0: inject
         * it (owned; closed after the answer) and return the target's fd
         * number; else return val. */
        int error;
        int64_t val;
        int fd;
        bool cloexec; /* the target's copy of fd gets O_CLOEXEC */
        /* Let the kernel run the call as the task asked (error and val
         * unused): only where its own checks decide and nothing the task
         * can change afterwards matters (the flags, in a register). */
        bool continue_call;
        /* The call changed something (created a node, a file): if its
         * answer is lost to a signal, the journal keeps the result for the
         * restarted call (emulate/preempt_journal.h). key_digest identifies the call. */
        bool side_effect;
        uint64_t key_digest;
        bool replayed;  /* the result came from the journal */
        bool journaled; /* journal_begin() noted it */
        /* Why the handler refused, for the log (static string); NULL. */
        const char *why;
};

struct handler {
        enum unotify_handler id;
        const char *name;
        /* The syscalls it serves (NULL: any); must be the policy
         * library's list (unotify_handler_syscalls), checked at start. */
        const char *const *syscalls;
        size_t n_syscalls;
        /* In a worker: do the work, fill the result. The worker's root,
         * cwd and credentials are the daemon's on entry and must be on
         * return (worker.h does both). */
        void (*run)(struct emul_call *c, struct worker *w);
};

/* registry.c: the handler for id, or NULL. */
const struct handler *handler_lookup(enum unotify_handler id);
/* registry.c: whether every handler the policy language knows is
 * registered and serves exactly the syscalls the loader lets reach it.
 * Returns 0, or -EINVAL with the first mismatch in *ret_why. */
int handlers_check(const char **ret_why);

/* The handlers (one file each). */
extern const struct handler handler_open;
extern const struct handler handler_mknod;
extern const struct handler handler_inject;
extern const struct handler handler_sysinfo;
extern const struct handler handler_sched;
extern const struct handler handler_mount;
extern const struct handler handler_xattr;
extern const struct handler handler_bpf;
