/* Integration: the handoff client (unotify/unotify.h) against a fake
 * daemon on a real unix socket: the OCI state sent with the fd, the
 * daemon's refusals and replies, unreachable daemons. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "unotify/unotify.h"
#include "rows.h"

struct fake {
        char dir[64], path[128];
        int sock;
        const char *reply; /* sent back verbatim */
        char got[4096];    /* what the client sent */
        int fds[4];
        size_t n_fds;
        ino_t first_fd_ino;
        bool fds_with_first_bytes;
        pthread_t thread;
};

/* Accept one connection, read until EOF, answer, close. */
static void *fake_main(void *arg)
{
        struct fake *f = arg;
        struct stat st;
        size_t len = 0;
        int c = accept4(f->sock, NULL, NULL, SOCK_CLOEXEC);

        for (;;) {
                char control[CMSG_SPACE(sizeof(int) * 4)] = {};
                struct iovec iov = { .iov_base = f->got + len,
                                     .iov_len = sizeof(f->got) - 1 - len };
                struct msghdr msg = { .msg_iov = &iov,
                                      .msg_iovlen = 1,
                                      .msg_control = control,
                                      .msg_controllen = sizeof(control) };
                ssize_t n = recvmsg(c, &msg, MSG_CMSG_CLOEXEC);

                if (n <= 0)
                        break;
                for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
                        size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

                        if (len == 0)
                                f->fds_with_first_bytes = true;
                        memcpy(f->fds + f->n_fds, CMSG_DATA(cm), k * sizeof(int));
                        f->n_fds += k;
                }
                len += (size_t)n;
        }
        f->got[len] = '\0';
        if (f->n_fds > 0 && fstat(f->fds[0], &st) == 0)
                f->first_fd_ino = st.st_ino;
        (void)!write(c, f->reply, strlen(f->reply));
        close(c);
        return NULL;
}

static struct fake *fake_start(const char *reply)
{
        struct fake *f = calloc(1, sizeof(*f));
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        cr_assert(f);
        strcpy(f->dir, "/tmp/unotify-test.XXXXXX");
        cr_assert(mkdtemp(f->dir));
        snprintf(f->path, sizeof(f->path), "%s/s", f->dir);
        strcpy(sa.sun_path, f->path);
        f->reply = reply;
        f->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        cr_assert_eq(bind(f->sock, (struct sockaddr *)&sa, sizeof(sa)), 0);
        cr_assert_eq(listen(f->sock, 4), 0);
        cr_assert_eq(pthread_create(&f->thread, NULL, fake_main, f), 0);
        return f;
}

static void fake_finish(struct fake *f)
{
        cr_assert_eq(pthread_join(f->thread, NULL), 0);
        for (size_t i = 0; i < f->n_fds; i++)
                close(f->fds[i]);
        close(f->sock);
        unlink(f->path);
        rmdir(f->dir);
}

Test(handoff, sends_the_oci_state_with_the_fd, .timeout = 30)
{
        struct fake *f = fake_start("{\"ok\":true,\"policy\":\"deny-mkdir\",\"listener\":7}\n");
        struct unotify_handoff h = { .pid = 1234,
                                     .policy = "deny-mkdir",
                                     .syscalls_digest = 0x0123456789abcdefull,
                                     .extra_metadata = "x=y\n" };
        struct unotify_reply r;
        struct stat st;
        int p[2];

        cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
        cr_assert_eq(unotify_handoff_send(f->path, p[0], &h, &r), 0, "%s", r.error ? r.error : "");
        fake_finish(f);
        cr_assert_str_eq(f->got, "{\"ociVersion\":\"1.0.2\",\"fds\":[\"seccompFd\"],\"pid\":1234,"
                                 "\"metadata\":\"policy=deny-mkdir\\nunotify.syscalls-digest="
                                 "0123456789abcdef\\nx=y\\n\","
                                 "\"state\":{\"ociVersion\":\"1.0.2\",\"id\":\"unotify-1234\","
                                 "\"status\":\"creating\","
                                 "\"pid\":1234,\"bundle\":\"/\",\"annotations\":{}}}");
        cr_assert_eq(f->n_fds, 1);
        cr_assert(f->fds_with_first_bytes);
        cr_assert(fstat(p[0], &st) == 0 && st.st_ino == f->first_fd_ino, "another fd arrived");
        cr_assert(r.ok);
        cr_assert_str_eq(r.policy, "deny-mkdir");
        cr_assert_eq(r.listener_id, 7);
        unotify_reply_clear(&r);
        free(f);
}

Test(handoff, refusal_carries_the_daemons_reason, .timeout = 30)
{
        struct fake *f = fake_start("{\"ok\":false,\"error\":\"policy \\\"demo\\\" changed\"}\n");
        struct unotify_handoff h = { .pid = 42, .container_id = "c1" };
        struct unotify_reply r;
        int p[2];

        cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
        cr_assert_eq(unotify_handoff_send(f->path, p[0], &h, &r), -EREMOTEIO);
        fake_finish(f);
        cr_assert(strstr(f->got, "\"id\":\"c1\""), "%s", f->got);
        cr_assert_null(strstr(f->got, "metadata"), "no field set, no metadata: %s", f->got);
        cr_assert(!r.ok);
        cr_assert_str_eq(r.error, "policy \"demo\" changed");
        unotify_reply_clear(&r);
        free(f);
}

struct query_case {
        const char *reply;
        int want;
};

static const struct query_case query_cases[] = {
        { "{\"ok\":true,\"policy\":\"demo\",\"syscalls\":[\"mkdir\",\"mkdirat\"],\"filter\":"
          "\"0600000000000000\",\"digest\":"
          "\"0123456789abcdef\"}\n",
          0 },
        { "{\"ok\":true,\"policy\":\"demo\",\"syscalls\":[],\"filter\":\"0600000000000000\","
          "\"digest\":\"0123456789abcdef\"}",
          0 },
        { "{\"ok\":false,\"error\":\"unknown policy \\\"demo\\\"\"}\n", -EREMOTEIO },
        { "{\"ok\":true,\"policy\":\"demo\",\"syscalls\":[\"mkdir\"],\"filter\":"
          "\"0600000000000000\",\"digest\":"
          "\"0123456789ABCDEF\"}\n",
          -EBADMSG },
        { "{\"ok\":true,\"policy\":\"demo\",\"syscalls\":[\"mkdir\"],\"filter\":"
          "\"0600000000000000\",\"digest\":"
          "\"0123456789abcde\"}\n",
          -EBADMSG },
        { "{\"ok\":true,\"policy\":\"demo\",\"syscalls\":[\"mkdir\"]}\n", -EBADMSG },
        { "{\"ok\":true,\"policy\":\"other\",\"syscalls\":[],\"filter\":\"0600000000000000\","
          "\"digest\":\"0123456789abcdef\"}\n",
          -EBADMSG },
        { "{\"ok\":true,\"policy\":\"demo\",\"syscalls\":\"mkdir\",\"filter\":\"0600000000000000\","
          "\"digest\":\"0123456789abcdef\"}"
          "\n",
          -EBADMSG },
        { "{\"ok\":true,\"policy\":\"demo\",\"syscalls\":[1],\"filter\":\"0600000000000000\","
          "\"digest\":\"0123456789abcdef\"}\n",
          -EBADMSG },
        { "{\"ok\":true,\"policy\":\"demo\",\"syscalls\":[\"a "
          "b\"],\"filter\":\"0600000000000000\",\"digest\":\"0123456789abcdef\"}\n",
          -EBADMSG },
        { "{\"ok\":1,\"policy\":\"demo\",\"syscalls\":[],\"filter\":\"0600000000000000\","
          "\"digest\":\"0123456789abcdef\"}\n",
          -EBADMSG },
        { "{\"ok\":false}\n", -EBADMSG },
        { "{\"ok\":true,\"ok\":true}\n", -EBADMSG },
        { "[]\n", -EBADMSG },
        { "garbage\n", -EBADMSG },
        { "", -EBADMSG },
        /* The filter: whole 8-byte instructions, lower-case hex, required. */
        { "{\"ok\":true,\"policy\":\"demo\",\"syscalls\":[],\"digest\":\"0123456789abcdef\"}\n",
          -EBADMSG },
        { "{\"ok\":true,\"policy\":\"demo\",\"syscalls\":[],\"filter\":\"06000000000000\","
          "\"digest\":\"0123456789abcdef\"}\n",
          -EBADMSG },
        { "{\"ok\":true,\"policy\":\"demo\",\"syscalls\":[],\"filter\":\"060000000000000g\","
          "\"digest\":\"0123456789abcdef\"}\n",
          -EBADMSG },
};

/* Criterion re-executes the worker: pass row numbers, not pointers. */
ROWS(handoff, query_replies_are_validated, query_cases)

ParameterizedTest(size_t *row, handoff, query_replies_are_validated, .timeout = 30)
{
        const struct query_case *c = &query_cases[*row];
        struct fake *f = fake_start(c->reply);
        struct unotify_reply r;
        int k = unotify_query_policy(f->path, "demo", &r);

        fake_finish(f);
        cr_assert_str_eq(f->got, "{\"unotifyQuery\":\"policy\",\"policy\":\"demo\"}");
        cr_assert_eq(f->n_fds, 0);
        cr_assert_eq(k, c->want, "reply %s: got %d", c->reply, k);
        if (k == 0) {
                cr_assert(r.ok);
                cr_assert_eq(r.digest, 0x0123456789abcdefull);
                cr_assert_str_eq(r.policy, "demo");
                cr_assert_eq(r.filter_len, 1);
                cr_assert_eq(r.filter[0].code, 6); /* BPF_RET | BPF_K, little-endian */
        } else if (k == -EREMOTEIO) {
                cr_assert_str_eq(r.error, "unknown policy \"demo\"");
        } else {
                cr_assert(!r.ok && !r.error && !r.policy && !r.syscalls,
                          "a malformed reply left data behind");
        }
        unotify_reply_clear(&r);
        free(f);
}

Test(handoff, too_many_syscalls_are_refused, .timeout = 30)
{
        size_t size = 64 + 4097 * 9;
        char *reply = malloc(size), *p = reply;
        struct fake *f;
        struct unotify_reply r;

        p += sprintf(
                p,
                "{\"ok\":true,\"policy\":\"demo\",\"digest\":\"0123456789abcdef\",\"syscalls\":[");
        for (int i = 0; i < 4097; i++)
                p += sprintf(p, "%s\"s%04d\"", i ? "," : "", i);
        strcpy(p, "]}\n");
        f = fake_start(reply);
        cr_assert_eq(unotify_query_policy(f->path, "demo", &r), -EBADMSG);
        fake_finish(f);
        free(f);
        free(reply);
}

Test(handoff, unreachable_daemon_is_an_errno, .timeout = 10)
{
        struct unotify_reply r;
        struct unotify_handoff h = { .pid = 1 };

        cr_assert_eq(unotify_query_policy("/nonexistent/unotify.sock", "demo", &r), -ENOENT);
        cr_assert(!r.ok && !r.error);
        cr_assert_eq(unotify_handoff_send("/nonexistent/unotify.sock", -1, &h, &r), -EBADF);
        cr_assert_eq(unotify_query_policy("/nonexistent/unotify.sock", "", &r), -EINVAL);
}
