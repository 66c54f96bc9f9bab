/* A real seccomp listener for the unit tests (seccomp_child.h). */
#include "seccomp_child.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd_pass.h"

/* In the child: install the filter, send its listener, then either wait
 * to be killed or, on the parent's go, make the one call. */
static _Noreturn void child(int sock, bool call_once)
{
        struct sock_filter insns[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = { .len = sizeof(insns) / sizeof(insns[0]), .filter = insns };
        char go;
        long r;
        int fd;

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                _exit(3);
        fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
                          &prog);
        if (fd < 0 || fd_send(sock, fd) < 0)
                _exit(3);
        if (!call_once)
                for (;;)
                        pause();
        close(fd);
        /* Wait for the go, so the call comes after the parent has the fd. */
        if (read(sock, &go, 1) != 1)
                _exit(3);
        r = syscall(SYS_getppid);
        _exit(r >= 0 ? 1 : errno == EPERM ? 0 : 2);
}

static int start(pid_t *ret_pid, bool call_once)
{
        bool went = !call_once;
        int sv[2], fd;

        cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        *ret_pid = fork();
        cr_assert_geq(*ret_pid, 0);
        if (*ret_pid == 0) {
                close(sv[0]);
                child(sv[1], call_once);
        }
        close(sv[1]);
        fd = fd_recv(sv[0]);
        if (fd >= 0 && call_once)
                went = write(sv[0], "g", 1) == 1;
        close(sv[0]);
        cr_assert_geq(fd, 0, "no listener from the child");
        cr_assert(went, "no go sent to the child");
        return fd;
}

int seccomp_child_listener(pid_t *ret_pid)
{
        return start(ret_pid, false);
}

int seccomp_child_caller(pid_t *ret_pid)
{
        return start(ret_pid, true);
}

void seccomp_child_kill(pid_t pid)
{
        kill(pid, SIGKILL);
        cr_assert_eq(waitpid(pid, NULL, 0), pid);
}
