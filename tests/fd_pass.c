/* One fd over a unix socket (fd_pass.h). */
#include "fd_pass.h"

#include <string.h>
#include <sys/socket.h>

/* Room for one fd, aligned for the cmsghdr in it. */
union control {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
};

static struct msghdr message(struct iovec *iov, union control *u)
{
        return (struct msghdr){ .msg_iov = iov,
                                .msg_iovlen = 1,
                                .msg_control = u->buf,
                                .msg_controllen = sizeof(u->buf) };
}

int fd_send(int sock, int fd)
{
        char c = 'L';
        struct iovec iov = { .iov_base = &c, .iov_len = 1 };
        union control u = {};
        struct msghdr msg = message(&iov, &u);
        struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &fd, sizeof(int));
        /* No SIGPIPE when the test is gone: the child then just fails. */
        return sendmsg(sock, &msg, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

int fd_recv(int sock)
{
        char c;
        struct iovec iov = { .iov_base = &c, .iov_len = 1 };
        union control u = {};
        struct msghdr msg = message(&iov, &u);
        struct cmsghdr *cm;
        int fd = -1;

        if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
                return -1;
        cm = CMSG_FIRSTHDR(&msg);
        if (cm && cm->cmsg_type == SCM_RIGHTS)
                memcpy(&fd, CMSG_DATA(cm), sizeof(int));
        return fd;
}
