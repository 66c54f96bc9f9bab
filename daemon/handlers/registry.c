/* The registration list: every handler the daemon implements. */
#include "handlers/handler.h"

#include <errno.h>
#include <string.h>

#include "unotify/macro.h"

static const struct handler *const handlers[] = {
        &handler_open,  &handler_mknod, &handler_inject, &handler_sysinfo,
        &handler_sched, &handler_mount, &handler_xattr,  &handler_bpf,
};

const struct handler *handler_lookup(enum unotify_handler id)
{
        for (size_t i = 0; i < ELEMENTSOF(handlers); i++)
                if (handlers[i]->id == id)
                        return handlers[i];
        return NULL;
}

static bool same_list(const char *const *a, size_t na, const char *const *b, size_t nb)
{
        if (na != nb)
                return false;
        for (size_t i = 0; i < na; i++)
                if (strcmp(a[i], b[i]) != 0)
                        return false;
        return true;
}

int handlers_check(const char **ret_why)
{
        for (enum unotify_handler id = UNOTIFY_HANDLER_NONE + 1; unotify_handler_name(id); id++) {
                const struct handler *h = handler_lookup(id);
                const char *const *served;
                size_t n;

                if (!h) {
                        *ret_why = unotify_handler_name(id);
                        return -EINVAL;
                }
                served = unotify_handler_syscalls(id, &n);
                if (!same_list(h->syscalls, h->n_syscalls, served, n)) {
                        *ret_why = h->name;
                        return -EINVAL;
                }
        }
        return 0;
}
