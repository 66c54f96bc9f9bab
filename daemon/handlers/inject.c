/* The "inject" handler: answers any syscall with an fd of a file the
 * policy names, opened by the supervisor with its own rights (the admin
 * chose the file), e.g. a random source or a socket the task may not
 * open itself. Nothing is read from the task. */
#include <errno.h>
#include <fcntl.h>

#include "handlers/handler.h"
#include "notify/target.h"
#include "unotify/macro.h"

static void inject_run(struct emul_call *c, struct worker *w)
{
        int fd;

        (void)w;
        if (!c->opts || !c->opts->inject_path) {
                c->error = -ENOSYS;
                return;
        }
        fd = open(c->opts->inject_path, c->opts->inject_access | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                c->error = -errno;
                c->why = "the file to inject cannot be opened";
                return;
        }
        c->fd = fd;
        c->cloexec = c->opts->inject_cloexec;
}

const struct handler handler_inject = {
        .id = UNOTIFY_HANDLER_INJECT,
        .name = "inject",
        .run = inject_run,
};
