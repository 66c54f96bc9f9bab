/* Sockets: bound by us, or passed by systemd or by the process we
 * replaced. */
#include "activation.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "unotify/macro.h"

/* A socket file left behind by a daemon that died is removed; one that
 * still answers belongs to a running daemon and is kept. */
static int remove_stale_socket(const struct sockaddr_un *sa)
{
        struct stat st;
        int fd, r;

        if (lstat(sa->sun_path, &st) < 0)
                return errno == ENOENT ? 0 : negative_errno();
        if (!S_ISSOCK(st.st_mode))
                return log_error_errno(-EEXIST, "%s exists and is not a socket", sa->sun_path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negative_errno();
        r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
        safe_close(fd);
        if (r == 0)
                return log_error_errno(-EADDRINUSE, "%s: another daemon is serving it", sa->sun_path);
        if (unlink(sa->sun_path) < 0 && errno != ENOENT)
                return log_error_errno(negative_errno(), "%s: cannot remove the stale socket", sa->sun_path);
        return 0;
}

int activation_bind(const char *path, mode_t mode)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_(freep) char *dir = strdup(path);
        char *slash;
        int fd, r;

        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (slash && slash != dir) {
                *slash = '\0';
                if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                        return log_error_errno(negative_errno(), "cannot create %s", dir);
        }
        /* options_parse() checked that the path fits. */
        memcpy(sa.sun_path, path, strlen(path) + 1);
        r = remove_stale_socket(&sa);
        if (r < 0)
                return r;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return log_error_errno(negative_errno(), "socket");
        /* Bind under a umask that leaves no window with a wider mode. */
        mode_t old = umask(0777 & ~mode);
        r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
        umask(old);
        if (r < 0 || chmod(path, mode) < 0 || listen(fd, 128) < 0) {
                r = negative_errno();
                safe_close(fd);
                return log_error_errno(r, "cannot listen on %s", path);
        }
        return fd;
}

