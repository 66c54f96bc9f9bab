/* Warnings about a policy's filter as a whole, once it is compiled: what
 * it sends to the daemon that costs more than a round trip. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "compile/compile.h"

/* What runc and crun call between installing the filter and handing the
 * listener off, or exec: while the daemon is slow or gone, a container
 * whose filter notifies them cannot start (crun #1002, runc #4328). */
static const char *const runtime_syscalls[] = { "close", "fcntl",   "fcntl64",
                                                "read",  "sendmsg", "write" };

/* A notified call waiting for its answer returns EINTR to the task when
 * a signal comes, unless the filter has SECCOMP_FILTER_FLAG_WAIT_KILLABLE_
 * RECV; the kernel's own fork never does, and shells give up on it
 * ("can't fork: Interrupted system call"). runc and crun do not set the
 * flag unless told to. */
static const char *const process_syscalls[] = { "clone", "clone3", "fork",
                                                "vfork", "wait4",  "waitid" };

/* The file and JSON pointer of the first rule that names name. */
static const char *where(const struct unotify_policy *p, const char *name, char *pointer,
                         size_t size)
{
        for (size_t k = 0; k < p->n_rules; k++)
                for (size_t j = 0; j < p->info[k].n_names; j++)
                        if (strcmp(p->info[k].names[j], name) == 0) {
                                snprintf(pointer, size, "/syscalls/%" PRIu32 "/names/%zu",
                                         p->info[k].index, j);
                                return p->sources[p->info[k].source].origin;
                        }
        pointer[0] = '\0';
        return p->origin;
}

/* Returns 1 when it warned, 0 when not, or -ENOMEM. */
static int warn_entry(const struct unotify_policy *p, const struct unotify_kernel_entry *e,
                      bool strict, struct unotify_diags *diags)
{
        enum unotify_diag_severity sev = strict ? UNOTIFY_DIAG_ERROR : UNOTIFY_DIAG_WARNING;
        char pointer[64];
        const char *file = where(p, e->name, pointer, sizeof(pointer));
        int r = 0;

        if (in_list(e->name, runtime_syscalls, ELEMENTSOF(runtime_syscalls)))
                r = diag_add_severity(
                        diags, sev, file, 0, 0, pointer[0] ? pointer : NULL,
                        "\"%s\" goes to the supervisor (%s): container runtimes need it between "
                        "installing the filter and exec, so containers cannot start while the "
                        "daemon is slow or stopped (crun #1002, runc #4328)",
                        e->name, e->why);
        else if (in_list(e->name, process_syscalls, ELEMENTSOF(process_syscalls)))
                r = diag_add_severity(
                        diags, sev, file, 0, 0, pointer[0] ? pointer : NULL,
                        "\"%s\" goes to the supervisor (%s): under a runtime that installs the "
                        "filter without SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (runc and crun by "
                        "default), a signal during the wait fails it with EINTR, which shells "
                        "report as \"can't fork: Interrupted system call\"; unotify-run sets the "
                        "flag, export-oci -f SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV asks crun to",
                        e->name, e->why);
        else
                return 0;
        return r < 0 ? r : 1;
}

int policy_check_plan(const struct unotify_policy *p, bool strict, struct unotify_diags *diags)
{
        bool warned = false;

        for (size_t i = 0; p->plan && i < p->plan->n_entries; i++) {
                const struct unotify_kernel_entry *e = &p->plan->entries[i];
                int r;

                if (e->kind != UNOTIFY_KERNEL_NOTIFY)
                        continue;
                r = warn_entry(p, e, strict, diags);
                if (r < 0)
                        return r;
                warned = warned || r > 0;
        }
        return strict && warned ? -EINVAL : 0;
}
