/* unotify-unpriv-probe: the calls busybox has no applet for, inside an
 * unprivileged container (test_unpriv_runtimes.c). Static: the busybox
 * rootfs has no libc. Prints "NAME=ok VALUE" or "NAME=ERRNO_NAME".
 *
 *   nice N        setpriority(PRIO_PROCESS, 0, N), the nice read back
 *   fifo PRIO     sched_setscheduler(0, SCHED_FIFO, PRIO)
 *   sysinfo       totalram in bytes, uptime
 *   setxattr PATH NAME VALUE
 *   fsmnt DIR SIZE  a tmpfs by the new mount API (fsopen, fsconfig size=SIZE,
 *                 CMD_CREATE, fsmount, move_mount to DIR): fsmnt=ok or STEP:ERRNO */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>
#include <sys/sysinfo.h>
#include <sys/xattr.h>

static const char *ename(int e)
{
        return e == EPERM    ? "EPERM"
               : e == EACCES ? "EACCES"
               : e == ESRCH  ? "ESRCH"
               : e == EINVAL ? "EINVAL"
                             : strerror(e);
}

static int fsmnt(const char *dir, const char *size)
{
        int fs = fsopen("tmpfs", FSOPEN_CLOEXEC), m = -1;
        const char *step = "fsopen";

        if (fs >= 0 && (step = "fsconfig") &&
            fsconfig(fs, FSCONFIG_SET_STRING, "size", size, 0) == 0 && (step = "create") &&
            fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0 && (step = "fsmount") &&
            (m = fsmount(fs, FSMOUNT_CLOEXEC, 0)) >= 0 && (step = "move_mount") &&
            move_mount(m, "", AT_FDCWD, dir, MOVE_MOUNT_F_EMPTY_PATH) == 0)
                printf("fsmnt=ok\n");
        else
                printf("fsmnt=%s:%s\n", step, ename(errno));
        if (fs >= 0)
                close(fs);
        if (m >= 0)
                close(m);
        return 0;
}

int main(int argc, char **argv)
{
        if (argc == 4 && !strcmp(argv[1], "fsmnt"))
                return fsmnt(argv[2], argv[3]);
        if (argc == 3 && !strcmp(argv[1], "nice")) {
                if (setpriority(PRIO_PROCESS, 0, atoi(argv[2])) < 0)
                        printf("nice=%s\n", ename(errno));
                else
                        printf("nice=ok %d\n", getpriority(PRIO_PROCESS, 0));
                return 0;
        }
        if (argc == 3 && !strcmp(argv[1], "fifo")) {
                struct sched_param p = { .sched_priority = atoi(argv[2]) };

                if (sched_setscheduler(0, SCHED_FIFO, &p) < 0)
                        printf("fifo=%s\n", ename(errno));
                else
                        printf("fifo=ok\n");
                return 0;
        }
        if (argc == 5 && !strcmp(argv[1], "setxattr")) {
                if (setxattr(argv[2], argv[3], argv[4], strlen(argv[4]), 0) < 0)
                        printf("setxattr=%s\n", ename(errno));
                else
                        printf("setxattr=ok\n");
                return 0;
        }
        if (argc == 2 && !strcmp(argv[1], "sysinfo")) {
                struct sysinfo si;

                if (sysinfo(&si) < 0)
                        printf("sysinfo=%s\n", ename(errno));
                else
                        printf("sysinfo=ok %llu %ld\n",
                               (unsigned long long)si.totalram * si.mem_unit, si.uptime);
                return 0;
        }
        fprintf(stderr, "usage: unotify-unpriv-probe nice N | fifo PRIO\n");
        return 2;
}
