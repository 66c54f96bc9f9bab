/* libunotify: hand a seccomp listener to unotifyd and ask it about
 * policies. One unix stream connection per request; the wire format is in
 * docs/protocol.md. Library code: never prints, returns -errno. */
#include "unotify/unotify.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <linux/filter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "landlock_parse.h"
#include "unotify/landlock.h"
#include "unotify/macro.h"

/* The shared library is built with hidden visibility: export only the API. */
#define _public_ __attribute__((visibility("default")))

#define OCI_VERSION "1.0.2"
/* A query's answer carries the filter, at most BPF_MAXINSNS (4096)
 * instructions of 8 bytes, in hex, and a Landlock section of at most
 * about 20 KiB (landlock_parse.h). */
#define REPLY_MAX (128 * 1024)
#define REPLY_TIMEOUT_SEC 10
#define QUERY_MAX_SYSCALLS 4096
#define SYSCALL_NAME_MAX 64
#define QUERY_NAME_MAX 256

_public_ void unotify_reply_clear(struct unotify_reply *r)
{
        if (!r)
                return;
        free(r->error);
        free(r->policy);
        for (size_t i = 0; i < r->n_syscalls; i++)
                free(r->syscalls[i]);
        free(r->syscalls);
        free(r->filter);
        unotify_landlock_clear(r->landlock);
        free(r->landlock);
        *r = (struct unotify_reply){};
}

/* ---- the connection ---- */

static int set_timeouts(int fd)
{
        /* SO_SNDTIMEO also bounds connect() on a unix socket whose backlog
         * is full; SO_RCVTIMEO bounds the wait for the answer. */
        struct timeval tv = { .tv_sec = REPLY_TIMEOUT_SEC };

        if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
                return negative_errno();
        return 0;
}

static int connect_daemon(const char *path, int *ret_fd)
{
        _cleanup_(closep) int fd = -1;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        size_t len;
        int r;

        if (!path || !*path)
                return -EINVAL;
        len = strlen(path);
        if (len >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, path, len);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negative_errno();
        r = set_timeouts(fd);
        if (r < 0)
                return r;
        /* An interrupted AF_UNIX connect leaves the socket unconnected
         * (unix_stream_connect frees the half-made peer): just retry. */
        while (connect(fd, (struct sockaddr *)&sa,
                       offsetof(struct sockaddr_un, sun_path) + len + 1) < 0) {
                if (errno == EINTR)
                        continue;
                return errno == EAGAIN ? -ETIMEDOUT : negative_errno();
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* Send the whole buffer; the fd (if >= 0) rides in SCM_RIGHTS of the first
 * sendmsg, which also carries the first bytes: the daemon refuses fds that
 * come after data. Partial writes continue without the fd. */
static int send_message(int sock, const char *buf, size_t len, int fd)
{
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        bool fd_sent = fd < 0;
        size_t done = 0;

        while (done < len) {
                struct iovec iov = { .iov_base = (char *)buf + done, .iov_len = len - done };
                struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
                ssize_t n;

                if (!fd_sent) {
                        struct cmsghdr *cm;

                        msg.msg_control = control.buf;
                        msg.msg_controllen = sizeof(control.buf);
                        cm = CMSG_FIRSTHDR(&msg);
                        cm->cmsg_level = SOL_SOCKET;
                        cm->cmsg_type = SCM_RIGHTS;
                        cm->cmsg_len = CMSG_LEN(sizeof(int));
                        memcpy(CMSG_DATA(cm), &fd, sizeof(int));
                }
                n = sendmsg(sock, &msg, MSG_NOSIGNAL);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return errno == EAGAIN ? -ETIMEDOUT : negative_errno();
                }
                fd_sent = true;
                done += (size_t)n;
        }
        /* End of request: a peer that reads until EOF needs it, one that
         * parses the JSON value as it arrives does not mind it. */
        if (shutdown(sock, SHUT_WR) < 0)
                return negative_errno();
        return 0;
}

/* Read one line (without its '\n') until '\n' or EOF, at most REPLY_MAX
 * bytes. *ret is malloc'ed and NUL-terminated. */
static int read_line(int sock, char **ret, size_t *ret_len)
{
        _cleanup_(freep) char *buf = malloc(REPLY_MAX + 1);
        size_t len = 0;

        if (!buf)
                return -ENOMEM;
        for (;;) {
                char *nl;
                ssize_t n = read(sock, buf + len, REPLY_MAX - len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return errno == EAGAIN ? -ETIMEDOUT : negative_errno();
                }
                if (n == 0)
                        break;
                nl = memchr(buf + len, '\n', (size_t)n);
                len += (size_t)n;
                if (nl) {
                        len = (size_t)(nl - buf);
                        break;
                }
                if (len == REPLY_MAX)
                        return -EBADMSG;
        }
        buf[len] = '\0';
        *ret_len = len;
        *ret = TAKE_PTR(buf);
        return 0;
}

/* ---- replies ---- */

static int dup_json_string(json_t *v, size_t max, char **ret)
{
        size_t n;

        if (!json_is_string(v))
                return -EBADMSG;
        n = json_string_length(v);
        if (n > max || strlen(json_string_value(v)) != n) /* no embedded NUL */
                return -EBADMSG;
        *ret = strdup(json_string_value(v));
        return *ret ? 0 : -ENOMEM;
}

static int parse_digest(json_t *v, uint64_t *ret)
{
        const char *s = json_string_value(v);

        if (!s || json_string_length(v) != 16 || strspn(s, "0123456789abcdef") != 16)
                return -EBADMSG;
        *ret = strtoull(s, NULL, 16);
        return 0;
}

static bool syscall_name_valid(const char *s, size_t n)
{
        return n > 0 && n <= SYSCALL_NAME_MAX &&
               strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

static int parse_syscalls(json_t *v, struct unotify_reply *r)
{
        size_t n = json_array_size(v), i;
        json_t *e;

        if (!json_is_array(v) || n > QUERY_MAX_SYSCALLS)
                return -EBADMSG;
        r->syscalls = calloc(n ? n : 1, sizeof(char *));
        if (!r->syscalls)
                return -ENOMEM;
        json_array_foreach(v, i, e) {
                const char *s = json_string_value(e);

                if (!s || !syscall_name_valid(s, json_string_length(e)))
                        return -EBADMSG;
                r->syscalls[i] = strdup(s);
                if (!r->syscalls[i])
                        return -ENOMEM;
                r->n_syscalls = i + 1;
        }
        return 0;
}

static int hex_digit(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

/* "filter": the BPF program in hex, whole sock_filter instructions. */
static int parse_filter(json_t *v, struct unotify_reply *r)
{
        const char *s = json_string_value(v);
        size_t n = json_string_length(v), insn = 2 * sizeof(struct sock_filter);
        unsigned char *bytes;

        if (!s || n == 0 || n % insn != 0 || n / insn > BPF_MAXINSNS)
                return -EBADMSG;
        bytes = malloc(n / 2);
        if (!bytes)
                return -ENOMEM;
        for (size_t i = 0; i < n / 2; i++) {
                int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);

                if (hi < 0 || lo < 0) {
                        free(bytes);
                        return -EBADMSG;
                }
                bytes[i] = (unsigned char)(hi << 4 | lo);
        }
        r->filter = (struct sock_filter *)bytes;
        r->filter_len = n / insn;
        return 0;
}

/* {"ok":false,"error":"..."}: the daemon said no. */
static int parse_refusal(json_t *root, struct unotify_reply *r)
{
        int k = dup_json_string(json_object_get(root, "error"), REPLY_MAX, &r->error);

        return k < 0 ? k : -EREMOTEIO;
}

/* {"ok":true,"policy":NAME,"listener":N}; both optional, typed when there:
 * a runtime-compatible daemon may answer just {"ok":true}. */
static int parse_handoff_ok(json_t *root, struct unotify_reply *r)
{
        json_t *policy = json_object_get(root, "policy"), *id = json_object_get(root, "listener");
        int k;

        if (policy) {
                k = dup_json_string(policy, REPLY_MAX, &r->policy);
                if (k < 0)
                        return k;
        }
        if (id) {
                if (!json_is_integer(id) || json_integer_value(id) < 0)
                        return -EBADMSG;
                r->listener_id = (uint64_t)json_integer_value(id);
        }
        return 0;
}

/* {"ok":true,"policy":NAME,"syscalls":[...],"digest":"16 hex","filter":
 * "hex"}: all required, and it must describe the policy we asked about. */
static int parse_query_ok(json_t *root, const char *name, struct unotify_reply *r)
{
        int k;

        k = dup_json_string(json_object_get(root, "policy"), QUERY_NAME_MAX, &r->policy);
        if (k < 0)
                return k;
        if (strcmp(r->policy, name) != 0)
                return -EBADMSG;
        k = parse_digest(json_object_get(root, "digest"), &r->digest);
        if (k < 0)
                return k;
        k = parse_filter(json_object_get(root, "filter"), r);
        if (k < 0)
                return k;
        k = landlock_parse(json_object_get(root, "landlock"), &r->landlock);
        if (k < 0)
                return k;
        return parse_syscalls(json_object_get(root, "syscalls"), r);
}

static int parse_reply(const char *line, size_t len, const char *query_name,
                       struct unotify_reply *r)
{
        _cleanup_(json_decrefp) json_t *root = NULL;
        json_t *ok;

        root = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object(root))
                return -EBADMSG;
        ok = json_object_get(root, "ok");
        if (!json_is_boolean(ok))
                return -EBADMSG;
        if (!json_is_true(ok))
                return parse_refusal(root, r);
        r->ok = true;
        return query_name ? parse_query_ok(root, query_name, r) : parse_handoff_ok(root, r);
}

/* One request, one answer. fd: sent in SCM_RIGHTS when >= 0. query_name:
 * the policy asked about for a query, NULL for a handoff. */
static int exchange(const char *socket_path, const char *msg, int fd, const char *query_name,
                    struct unotify_reply *ret)
{
        _cleanup_(closep) int sock = -1;
        _cleanup_(freep) char *line = NULL;
        size_t len;
        int r, sent;

        r = connect_daemon(socket_path, &sock);
        if (r < 0)
                return r;
        sent = send_message(sock, msg, strlen(msg), fd);
        /* A daemon that refuses us at once (peer credentials) answers and
         * closes before reading: our send fails, but its answer is there. */
        if (sent < 0 && sent != -EPIPE && sent != -ECONNRESET)
                return sent;
        r = read_line(sock, &line, &len);
        if (r < 0)
                return sent < 0 ? sent : r;
        r = parse_reply(line, len, query_name, ret);
        if (r == -EREMOTEIO || (r == 0 && sent == 0))
                return r;
        /* Nothing half-parsed leaks out of a malformed answer. */
        unotify_reply_clear(ret);
        if (sent < 0)
                return sent;
        return r == -ENOMEM ? r : -EBADMSG;
}

/* ---- requests ---- */

/* "policy=NAME\nunotify.syscalls-digest=HEX\n" + extra_metadata: only the
 * lines whose field is set; "" when none is. */
static int build_metadata(const struct unotify_handoff *h, char **ret)
{
        char digest[64] = "", flags[64] = "";

        /* A newline in the name would forge another metadata line. */
        if (h->policy && (!*h->policy || strchr(h->policy, '\n')))
                return -EINVAL;
        if (h->syscalls_digest)
                snprintf(digest, sizeof(digest), UNOTIFY_META_DIGEST "=%016" PRIx64 "\n",
                         h->syscalls_digest);
        if (h->seccomp_flags)
                snprintf(flags, sizeof(flags), UNOTIFY_META_SECCOMP_FLAGS "=%" PRIx64 "\n",
                         h->seccomp_flags);
        if (asprintf(ret, "%s%s%s%s%s%s", h->policy ? UNOTIFY_META_POLICY "=" : "", h->policy ?: "",
                     h->policy ? "\n" : "", digest, flags, h->extra_metadata ?: "") < 0)
                return -ENOMEM;
        return 0;
}

/* The OCI runtime-spec "container process state", compact, keys in the
 * order runc and crun write them. */
static int build_state(const struct unotify_handoff *h, char **ret)
{
        _cleanup_(json_decrefp) json_t *root = NULL, *state = NULL;
        _cleanup_(freep) char *meta = NULL, *s = NULL;
        char default_id[32];
        const char *id = h->container_id;
        int r;

        if (h->pid <= 0 || (id && !*id))
                return -EINVAL;
        if (!id) {
                snprintf(default_id, sizeof(default_id), "unotify-%d", (int)h->pid);
                id = default_id;
        }
        r = build_metadata(h, &meta);
        if (r < 0)
                return r;
        state = json_pack("{s:s, s:s, s:s, s:I, s:s, s:{}}", "ociVersion", OCI_VERSION, "id", id,
                          "status", "creating", "pid", (json_int_t)h->pid, "bundle", "/",
                          "annotations");
        root = json_pack("{s:s, s:[s], s:I}", "ociVersion", OCI_VERSION, "fds",
                         UNOTIFY_SECCOMP_FD_NAME, "pid", (json_int_t)h->pid);
        if (!state || !root)
                return -ENOMEM; /* or invalid UTF-8 in id: both unusual */
        if (*meta && json_object_set_new(root, "metadata", json_string(meta)) < 0)
                return -EINVAL; /* not UTF-8 */
        if (json_object_set(root, "state", state) < 0)
                return -ENOMEM;
        s = json_dumps(root, JSON_COMPACT);
        if (!s)
                return -ENOMEM;
        /* The daemon would refuse it anyway. */
        if (strlen(s) > UNOTIFY_HANDOFF_MAX_MESSAGE)
                return -EMSGSIZE;
        *ret = TAKE_PTR(s);
        return 0;
}

_public_ int unotify_handoff_send(const char *socket_path, int listener_fd,
                                  const struct unotify_handoff *h, struct unotify_reply *ret)
{
        _cleanup_(freep) char *msg = NULL;
        int r;

        if (ret)
                *ret = (struct unotify_reply){};
        if (!ret || !h)
                return -EINVAL;
        if (listener_fd < 0)
                return -EBADF;
        r = build_state(h, &msg);
        if (r < 0)
                return r;
        return exchange(socket_path, msg, listener_fd, NULL, ret);
}

_public_ int unotify_query_policy(const char *socket_path, const char *name,
                                  struct unotify_reply *ret)
{
        _cleanup_(json_decrefp) json_t *q = NULL;
        _cleanup_(freep) char *msg = NULL;

        if (ret)
                *ret = (struct unotify_reply){};
        if (!ret || !name || !*name || strlen(name) > QUERY_NAME_MAX)
                return -EINVAL;
        q = json_pack("{s:s, s:s}", UNOTIFY_QUERY_KEY, "policy", "policy", name);
        if (!q)
                return -EINVAL; /* name is not UTF-8 */
        msg = json_dumps(q, JSON_COMPACT);
        if (!msg)
                return -ENOMEM;
        return exchange(socket_path, msg, -1, name, ret);
}
