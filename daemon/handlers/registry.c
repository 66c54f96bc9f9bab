/* The registration list: every handler the daemon implements. */
#include "handler.h"

#include "unotify/macro.h"

static const struct handler *const handlers[] = {
        &handler_open,
        &handler_mknod,
        &handler_inject,
};

const struct handler *handler_lookup(enum unotify_handler id)
{
        for (size_t i = 0; i < ELEMENTSOF(handlers); i++)
                if (handlers[i]->id == id)
                        return handlers[i];
        return NULL;
}
