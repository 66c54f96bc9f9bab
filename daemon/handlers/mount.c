/* The "mount" handler (work in progress): refuses every call with the
 * rule's errno until the mount path is implemented. */
#include <errno.h>

#include "handler.h"
#include "unotify/macro.h"

static const char *const served[] = { "mount", "umount2" };

static void mount_run(struct emul_call *c, struct worker *w)
{
        (void)w;
        c->error = c->opts ? c->opts->refuse_errno : EPERM;
        c->why = "mount emulation is not implemented yet";
}

const struct handler handler_mount = {
        .id = UNOTIFY_HANDLER_MOUNT,
        .name = "mount",
        .syscalls = served,
        .n_syscalls = ELEMENTSOF(served),
        .run = mount_run,
};
