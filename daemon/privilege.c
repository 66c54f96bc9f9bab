/* A rootless daemon (a user's own unotifyd) serves everything that needs
 * no privilege; what does is refused here, at load, with the reason. Only
 * mknod does privileged work today: it creates device nodes, which
 * vfs_mknod() allows only with CAP_MKNOD in the initial user namespace. */
#include "privilege.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"

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

/* Why this daemon cannot run handler h, or NULL when it can. */
static const char *cannot_run(enum unotify_handler h)
{
        if (h != UNOTIFY_HANDLER_MKNOD)
                return NULL;
        if (!effective_cap(CAP_MKNOD))
                return "needs CAP_MKNOD to make device nodes for the task, and this unotifyd "
                       "does not have it";
        if (!in_initial_userns())
                return "needs CAP_MKNOD in the initial user namespace to make device nodes, "
                       "and this unotifyd runs in another one";
        return NULL;
}

static int check_policy(const struct unotify_policy *p)
{
        int r = 0;

        for (size_t i = 0; i < unotify_policy_rule_count(p); i++) {
                enum unotify_handler h = unotify_policy_rule_handler(p, (int)i);
                const char *why = cannot_run(h), *origin;
                unsigned index;

                if (!why || unotify_policy_rule_source(p, (int)i, NULL, &origin, &index) < 0)
                        continue;
                log_error("%s: /syscalls/%u: handler \"%s\" %s (uid %u): the devices it is "
                          "for could not be made. Run the daemon as root (the system unit), or leave the rule out "
                          "of policy \"%s\"",
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
