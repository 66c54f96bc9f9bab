/* Sockets: bound by us, or passed by systemd or by the process we
 * replaced. */
#include "service/activation.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "service/log.h"
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
                return log_error_errno(-EADDRINUSE, "%s: another daemon is serving it",
                                       sa->sun_path);
        if (unlink(sa->sun_path) < 0 && errno != ENOENT)
                return log_error_errno(negative_errno(), "%s: cannot remove the stale socket",
                                       sa->sun_path);
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
        if (r < 0 || chmod(path, mode) < 0 || listen(fd, SOMAXCONN) < 0) {
                r = negative_errno();
                safe_close(fd);
                return log_error_errno(r, "cannot listen on %s", path);
        }
        return fd;
}

static int inherited_add(struct inherited *in, int fd, const char *name)
{
        struct inherited_fd *n = realloc(in->fds, (in->n + 1) * sizeof(*n));

        if (!n)
                return -ENOMEM;
        in->fds = n;
        n[in->n].fd = fd;
        n[in->n].name = strdup(name);
        if (!n[in->n].name)
                return -ENOMEM;
        in->n++;
        return 0;
}

/* "12:handoff 13:control 14:listener-3", written by upgrade.c. */
static int collect_upgrade(const char *spec, struct inherited *in)
{
        _cleanup_(freep) char *copy = strdup(spec);
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        in->upgrade = true;
        for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
                char *colon = strchr(t, ':'), *end;
                long fd;
                int r;

                errno = 0;
                fd = colon ? strtol(t, &end, 10) : -1;
                if (!colon || errno || end != colon || fd < 3 || fd > 1 << 20 ||
                    fcntl((int)fd, F_GETFD) < 0)
                        return log_error_errno(-EBADF, "%s: bad entry \"%s\"", UNOTIFYD_UPGRADE_ENV,
                                               t);
                if (fcntl((int)fd, F_SETFD, FD_CLOEXEC) < 0)
                        return negative_errno();
                r = inherited_add(in, (int)fd, colon + 1);
                if (r < 0)
                        return safe_close((int)fd), r;
        }
        return 0;
}

int activation_collect(struct inherited *ret)
{
        const char *upgrade = getenv(UNOTIFYD_UPGRADE_ENV);
        char **names = NULL;
        int n, r = 0;

        *ret = (struct inherited){};
        if (upgrade) {
                r = collect_upgrade(upgrade, ret);
                ret->own_sockets = getenv("UNOTIFYD_UPGRADE_OWN_SOCKETS") != NULL;
                unsetenv(UNOTIFYD_UPGRADE_ENV);
                unsetenv("UNOTIFYD_UPGRADE_OWN_SOCKETS");
                if (r == 0)
                        log_info("%zu fds passed by the process we replaced", ret->n);
                return r;
        }
        /* Sets FD_CLOEXEC on each and unsets LISTEN_*: nothing leaks into
         * what we may exec later. */
        n = sd_listen_fds_with_names(1, &names);
        if (n < 0)
                return log_error_errno(n, "sd_listen_fds_with_names");
        for (int i = 0; i < n; i++) {
                if (r == 0)
                        r = inherited_add(ret, SD_LISTEN_FDS_START + i,
                                          names && names[i] ? names[i] : "unknown");
                if (r < 0)
                        safe_close(SD_LISTEN_FDS_START + i);
                free(names ? names[i] : NULL);
        }
        free(names);
        if (n > 0)
                log_info("%d fds passed by the service manager", n);
        return r;
}

int activation_take(struct inherited *in, const char *name)
{
        for (size_t i = 0; i < in->n; i++)
                if (in->fds[i].fd >= 0 && strcmp(in->fds[i].name, name) == 0)
                        return TAKE_FD(in->fds[i].fd);
        return -1;
}

int activation_take_socket(struct inherited *in, const char *name)
{
        int fd = activation_take(in, name);
        int flags;

        if (fd < 0)
                return -ENOENT;
        if (sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) <= 0) {
                safe_close(fd);
                return log_error_errno(
                        -EINVAL, "the fd named \"%s\" is not a listening unix stream socket", name);
        }
        flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
                int r = negative_errno();

                safe_close(fd);
                return log_error_errno(r, "\"%s\" socket: O_NONBLOCK", name);
        }
        return fd;
}

void activation_done(struct inherited *in)
{
        for (size_t i = 0; i < in->n; i++) {
                if (in->fds[i].fd >= 0) {
                        log_warning("closing fd %d passed as \"%s\": not ours to use",
                                    in->fds[i].fd, in->fds[i].name);
                        safe_close(in->fds[i].fd);
                }
                free(in->fds[i].name);
        }
        free(in->fds);
        *in = (struct inherited){};
}
