/* Kernel interfaces newer than Debian 12's 6.1 uapi headers, defined once
 * here (guarded) so the rest of the code can use them unconditionally, and
 * how the listener's ioctls are made (seccomp_notify_ioctl). */
#pragma once

#include <errno.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5) /* Linux 5.19 */
#endif

#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4) /* Linux 5.7 */
#endif

#ifndef SECCOMP_ADDFD_FLAG_SEND
#define SECCOMP_ADDFD_FLAG_SEND (1UL << 1) /* Linux 5.14 */
#endif

/* Linux 6.6: wake the other side of a synchronous pair on this CPU. */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

/* What readlink(2) shows for a seccomp listener fd under /proc/PID/fd. */
#define UNOTIFY_LISTENER_LINK "anon_inode:seccomp notify"

/* SEND, ID_VALID and ADDFD take the filter's notify_lock interruptibly: a
 * signal while they wait for it (the loop's streak timer, a worker's wake
 * signal) fails them with EINTR before they did anything. Taken for an
 * answer not sent, or a task gone, the notification would be lost and its
 * task left waiting for good: they are made again. Not for RECV, whose
 * EINTR is how a streak ends, nor ADDFD with ADDFD_FLAG_SEND, whose wait
 * may end in EINTR after the answer counted (EINPROGRESS on a retry). */
static inline int seccomp_notify_ioctl(int fd, unsigned long request, void *arg)
{
        int r;

        do
                r = ioctl(fd, request, arg);
        while (r < 0 && errno == EINTR);
        return r;
}
