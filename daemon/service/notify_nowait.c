#include "service/notify_nowait.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "unotify/macro.h"

#define NOTIFY_MAX_FDS 16

/* NOTIFY_SOCKET is a path, or "@name" for the abstract namespace. */
static int notify_address(struct sockaddr_un *sa, socklen_t *len)
{
        const char *e = getenv("NOTIFY_SOCKET");
        size_t n;

        if (!e || !*e)
                return 0;
        n = strlen(e);
        if ((e[0] != '/' && e[0] != '@') || n >= sizeof(sa->sun_path))
                return -EAFNOSUPPORT; /* vsock: and the like: not ours to reach */
        memset(sa, 0, sizeof(*sa));
        sa->sun_family = AF_UNIX;
        memcpy(sa->sun_path, e, n);
        if (e[0] == '@')
                sa->sun_path[0] = '\0';
        *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (e[0] == '/'));
        return 1;
}

int notify_nowait(const char *msg, const int *fds, size_t n)
{
        char control[CMSG_SPACE(sizeof(int) * NOTIFY_MAX_FDS)] = {};
        struct iovec iov = { .iov_base = (void *)msg, .iov_len = strlen(msg) };
        struct sockaddr_un sa;
        struct msghdr mh = { .msg_name = &sa, .msg_iov = &iov, .msg_iovlen = 1 };
        socklen_t len;
        ssize_t sent;
        int fd, r = notify_address(&sa, &len);

        if (r <= 0)
                return r;
        if (n > NOTIFY_MAX_FDS)
                return -E2BIG;
        mh.msg_namelen = len;
        if (n > 0) {
                struct cmsghdr *cm;

                mh.msg_control = control;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
                cm = CMSG_FIRSTHDR(&mh);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
                memcpy(CMSG_DATA(cm), fds, sizeof(int) * n);
        }
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return negative_errno();
        sent = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        r = sent < 0 ? negative_errno() : 1;
        safe_close(fd);
        return r == -EWOULDBLOCK ? -EAGAIN : r;
}
