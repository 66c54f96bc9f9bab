/* A rootless daemon (a user's own unotifyd) serves everything that needs
 * no privilege; what does is refused here, at load, with the reason:
 * mknod, mount, xattr, bpf and sched do privileged work for the task. */
#include "loop/privilege.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "service/log.h"

static bool effective_cap(unsigned cap)
{
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2] = {};

        if (syscall(SYS_capget, &h, d) < 0)
                return false;
        return d[cap / 32].effective & (1u << (cap % 32));
}

/* The initial user namespace maps every uid to itself; a capability held
 * in another one does not count for device nodes. */
static bool in_initial_userns(void)
{
        FILE *f = fopen("/proc/self/uid_map", "re");
        unsigned long inside, outside, count;
        bool initial;

        if (!f)
                return false;
        initial = fscanf(f, "%lu %lu %lu", &inside, &outside, &count) == 3 && inside == 0 &&
                  outside == 0 && count == 4294967295ul;
        fclose(f);
        return initial;
}

/* What each privileged handler does with its privilege, and the
 * capability the kernel checks for it. The kernel checks these against the
 * initial user namespace (device nodes, trusted.* names on the host's
 * filesystems, BPF programs, raising priorities) or needs them to join the
 * task's mount namespace and build a mount there. */
static const struct need {
        enum unotify_handler handler;
        unsigned cap;
        const char *cap_name;
        const char *what;
} needs[] = {
        { UNOTIFY_HANDLER_MKNOD, CAP_MKNOD, "CAP_MKNOD", "to make device nodes for the task" },
        { UNOTIFY_HANDLER_MOUNT, CAP_SYS_ADMIN, "CAP_SYS_ADMIN",
          "to build mounts (fsopen, open_tree, mount_setattr) and attach them in the task's mount "
          "namespace" },
        { UNOTIFY_HANDLER_XATTR, CAP_SYS_ADMIN, "CAP_SYS_ADMIN",
          "to set trusted.* names on the task's files" },
        { UNOTIFY_HANDLER_BPF, CAP_SYS_ADMIN, "CAP_SYS_ADMIN",
          "to load and attach device-cgroup BPF programs" },
        { UNOTIFY_HANDLER_SCHED, CAP_SYS_NICE, "CAP_SYS_NICE",
          "to raise a thread's priority beyond what the task may itself" },
};

/* Why this daemon cannot run handler h, in buf, or NULL when it can. */
static const char *cannot_run(enum unotify_handler h, char *buf, size_t size)
{
        for (size_t i = 0; i < sizeof(needs) / sizeof(needs[0]); i++) {
                const struct need *n = &needs[i];

                if (n->handler != h)
                        continue;
                if (!effective_cap(n->cap))
                        snprintf(buf, size, "needs %s %s, and this unotifyd does not have it",
                                 n->cap_name, n->what);
                else if (!in_initial_userns())
                        snprintf(buf, size,
                                 "needs %s in the initial user namespace %s, and this unotifyd "
                                 "runs in another one",
                                 n->cap_name, n->what);
                else
                        return NULL;
                return buf;
        }
        return NULL;
}

static int check_policy(const struct unotify_policy *p)
{
        int r = 0;

        for (size_t i = 0; i < unotify_policy_rule_count(p); i++) {
                enum unotify_handler h = unotify_policy_rule_handler(p, (int)i);
                char buf[256];
                const char *why = cannot_run(h, buf, sizeof(buf)), *origin;
                unsigned index;

                if (!why || unotify_policy_rule_source(p, (int)i, NULL, &origin, &index) < 0)
                        continue;
                log_error("%s: /syscalls/%u: handler \"%s\" %s (uid %u): its calls could not be "
                          "served. Run the daemon as root (the system unit), or leave the rule out "
                          "of "
                          "policy \"%s\"",
                          origin, index, unotify_handler_name(h), why, (unsigned)geteuid(),
                          unotify_policy_name(p));
                r = -EPERM;
        }
        return r;
}

int privilege_check_policies(const struct unotify_policy_set *set)
{
        int r = 0;

        for (size_t i = 0; i < unotify_policy_set_count(set); i++)
                if (check_policy(unotify_policy_set_at(set, i)) < 0)
                        r = -EPERM;
        return r;
}
