/* The integration tests' supervisor thread and filtered children
 * (filter_sup.h). */
#include "filter_sup.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd_pass.h"
#include "unotify/filter.h"

static void sup_answer(struct sup *s, const struct seccomp_notif *req,
                       struct seccomp_notif_resp *resp, size_t resp_size)
{
        struct record *rec = s->n_rec < MAX_RECORDS ? &s->rec[s->n_rec++] : NULL;

        if (rec)
                *rec = (struct record){ req->data.nr, req->data.arch, req->data.args[0], 0 };
        if (s->hold_nr >= 0 && req->data.nr == s->hold_nr) {
                char c;

                s->hold_nr = -1;
                (void)!write(s->held[1], &req->pid, sizeof(req->pid));
                (void)!read(s->release[0], &c, 1);
        }
        memset(resp, 0, resp_size);
        resp->id = req->id;
        if (s->deny)
                resp->error = -EPERM;
        else
                resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        if (ioctl(s->fd, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && rec)
                rec->send_result = errno;
}

/* RECV/SEND until no task uses the filter any more (POLLHUP). */
static void *sup_main(void *arg)
{
        struct sup *s = arg;
        struct seccomp_notif_sizes sz = { sizeof(struct seccomp_notif),
                                          sizeof(struct seccomp_notif_resp) };
        size_t req_size, resp_size;
        struct seccomp_notif *req;
        struct seccomp_notif_resp *resp;

        syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz);
        req_size = sz.seccomp_notif > sizeof(*req) ? sz.seccomp_notif : sizeof(*req);
        resp_size = sz.seccomp_notif_resp > sizeof(*resp) ? sz.seccomp_notif_resp : sizeof(*resp);
        req = calloc(1, req_size);
        resp = calloc(1, resp_size);
        for (;;) {
                struct pollfd p = { .fd = s->fd, .events = POLLIN };

                if (poll(&p, 1, 20000) <= 0 || !(p.revents & POLLIN))
                        break;
                memset(req, 0, req_size);
                if (ioctl(s->fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
                        if (errno == ENOENT || errno == EINTR)
                                continue;
                        break;
                }
                sup_answer(s, req, resp, resp_size);
        }
        free(req);
        free(resp);
        return NULL;
}

struct sup *sup_start(int listener, bool deny, int hold_nr)
{
        struct sup *s = calloc(1, sizeof(*s));

        cr_assert(s);
        s->fd = listener;
        s->deny = deny;
        s->hold_nr = hold_nr;
        cr_assert_eq(pipe2(s->held, O_CLOEXEC), 0);
        cr_assert_eq(pipe2(s->release, O_CLOEXEC), 0);
        cr_assert_eq(pthread_create(&s->thread, NULL, sup_main, s), 0);
        return s;
}

void sup_finish(struct sup *s)
{
        cr_assert_eq(pthread_join(s->thread, NULL), 0);
        close(s->fd);
        close(s->held[0]);
        close(s->held[1]);
        close(s->release[0]);
        close(s->release[1]);
}

size_t sup_count(const struct sup *s, int nr)
{
        size_t n = 0;

        for (size_t i = 0; i < s->n_rec; i++)
                n += s->rec[i].nr == nr;
        return n;
}

pid_t spawn_filtered(const char *const *names, size_t n, probe_fn probe, bool deny,
                     struct sup **ret_sup, int *ret_out)
{
        struct sock_fprog prog;
        int sv[2], out[2], listener;
        pid_t pid;

        cr_assert_eq(unotify_filter_build(names, n, &prog), 0);
        cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
        pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                int fd;

                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        _exit(91);
                fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                                  SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
                if (fd < 0)
                        _exit(92);
                if (fd_send(sv[1], fd) < 0)
                        _exit(90);
                close(fd);
                _exit(probe(out[1]));
        }
        unotify_filter_free(&prog);
        close(sv[1]);
        close(out[1]);
        listener = fd_recv(sv[0]);
        cr_assert_geq(listener, 0, "the child sent no listener");
        *ret_sup = sup_start(listener, deny, -1);
        close(sv[0]);
        *ret_out = out[0];
        return pid;
}

int wait_status(pid_t pid)
{
        int status;

        cr_assert_eq(waitpid(pid, &status, 0), pid);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void read_all(int fd, char *buf, size_t size)
{
        size_t len = 0;
        ssize_t n;

        while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
                len += (size_t)n;
        buf[len] = '\0';
        close(fd);
}
