#include "sockets/handoff_msg.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unotify/macro.h"
#include "unotify/unotify.h"

#define JSON_SCAN_MAX_DEPTH 64

static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Advance over one byte inside the object; returns 1 when it closed it. */
static int scan_byte(struct json_scan *s, char c)
{
        if (s->in_string) {
                if (s->escape)
                        s->escape = false;
                else if (c == '\\')
                        s->escape = true;
                else if (c == '"')
                        s->in_string = false;
                return 0;
        }
        switch (c) {
        case '"':
                s->in_string = true;
                return 0;
        case '{':
        case '[':
                if (++s->depth > JSON_SCAN_MAX_DEPTH)
                        return -EBADMSG;
                return 0;
        case '}':
        case ']':
                if (s->depth == 0)
                        return -EBADMSG;
                return --s->depth == 0 ? 1 : 0;
        default:
                return 0;
        }
}

int json_scan_feed(struct json_scan *s, const char *buf, size_t len)
{
        if (s->end)
                return 1;
        for (; s->pos < len; s->pos++) {
                char c = buf[s->pos];
                int r;

                if (!s->started) {
                        if (is_space(c))
                                continue;
                        if (c != '{')
                                return -EBADMSG;
                        s->started = true;
                }
                r = scan_byte(s, c);
                if (r < 0)
                        return r;
                if (r > 0) {
                        s->end = ++s->pos;
                        return 1;
                }
        }
        return 0;
}

_printf_(3, 4) static int fail(char *err, size_t size, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(err, size, fmt, ap);
        va_end(ap);
        return -EBADMSG;
}

static int dup_string(json_t *v, size_t max, char **ret)
{
        size_t n = json_string_length(v);

        /* No NUL inside: json_loadb rejects \u0000 without JSON_ALLOW_NUL. */
        if (n == 0 || n > max)
                return -EBADMSG;
        *ret = strndup(json_string_value(v), n);
        return *ret ? 0 : -ENOMEM;
}

static int parse_fds(json_t *fds, size_t n_fds, struct handoff_msg *m, char *err, size_t size)
{
        size_t i;
        json_t *v;

        if (!json_is_array(fds))
                return fail(err, size, "\"fds\" must be an array of names");
        if (json_array_size(fds) != n_fds)
                return fail(err, size, "\"fds\" names %zu fds but %zu were received",
                            json_array_size(fds), n_fds);
        m->seccomp_fd_index = -1;
        json_array_foreach(fds, i, v) {
                if (!json_is_string(v))
                        return fail(err, size, "\"fds\"[%zu] is not a string", i);
                if (strcmp(json_string_value(v), UNOTIFY_SECCOMP_FD_NAME) != 0)
                        continue;
                if (m->seccomp_fd_index >= 0)
                        return fail(err, size, "\"fds\" names \"%s\" twice",
                                    UNOTIFY_SECCOMP_FD_NAME);
                m->seccomp_fd_index = (int)i;
        }
        m->n_fd_names = n_fds;
        if (m->seccomp_fd_index < 0)
                return fail(err, size, "no \"%s\" in \"fds\"", UNOTIFY_SECCOMP_FD_NAME);
        return 0;
}

static int parse_digest(const char *v, size_t n, uint64_t *ret)
{
        char buf[17], *end;

        if (n == 0 || n > 16)
                return -EBADMSG;
        memcpy(buf, v, n);
        buf[n] = '\0';
        errno = 0;
        *ret = strtoull(buf, &end, 16);
        return errno || *end ? -EBADMSG : 0;
}

/* One "KEY=VALUE" line of listenerMetadata. Keys we do not know are kept
 * for policy selection by later versions, so they are accepted. */
static int parse_metadata_line(const char *line, size_t n, struct handoff_msg *m, char *err,
                               size_t size)
{
        const char *eq = memchr(line, '=', n);
        size_t klen, vlen;
        const char *val;

        if (!eq || eq == line)
                return fail(err, size, "metadata line \"%.*s\" is not KEY=VALUE",
                            (int)(n > 64 ? 64 : n), line);
        klen = (size_t)(eq - line);
        val = eq + 1;
        vlen = n - klen - 1;
        if (klen == strlen(UNOTIFY_META_POLICY) && !memcmp(line, UNOTIFY_META_POLICY, klen)) {
                if (m->policy)
                        return fail(err, size, "metadata names \"%s\" twice", UNOTIFY_META_POLICY);
                if (vlen == 0)
                        return fail(err, size, "metadata \"%s\" is empty", UNOTIFY_META_POLICY);
                m->policy = strndup(val, vlen);
                return m->policy ? 0 : -ENOMEM;
        }
        if (klen == strlen(UNOTIFY_META_DIGEST) && !memcmp(line, UNOTIFY_META_DIGEST, klen)) {
                if (parse_digest(val, vlen, &m->digest) < 0)
                        return fail(err, size, "metadata \"%s\" is not 1-16 hex digits",
                                    UNOTIFY_META_DIGEST);
                m->has_digest = true;
        }
        if (klen == strlen(UNOTIFY_META_CAPS) && !memcmp(line, UNOTIFY_META_CAPS, klen)) {
                if (parse_digest(val, vlen, &m->caps) < 0)
                        return fail(err, size, "metadata \"%s\" is not 1-16 hex digits",
                                    UNOTIFY_META_CAPS);
                m->has_caps = true;
        }
        if (klen == strlen(UNOTIFY_META_SECCOMP_FLAGS) &&
            !memcmp(line, UNOTIFY_META_SECCOMP_FLAGS, klen)) {
                if (parse_digest(val, vlen, &m->seccomp_flags) < 0)
                        return fail(err, size, "metadata \"%s\" is not 1-16 hex digits",
                                    UNOTIFY_META_SECCOMP_FLAGS);
                m->has_seccomp_flags = true;
        }
        return 0;
}

static int parse_metadata(json_t *v, struct handoff_msg *m, char *err, size_t size)
{
        const char *s, *end;
        size_t n, lines = 0;

        if (!v)
                return 0;
        if (!json_is_string(v))
                return fail(err, size, "\"metadata\" must be a string");
        s = json_string_value(v);
        n = json_string_length(v);
        if (n > HANDOFF_METADATA_MAX)
                return fail(err, size, "\"metadata\" is longer than %d bytes",
                            HANDOFF_METADATA_MAX);
        m->metadata = strndup(s, n);
        if (!m->metadata)
                return -ENOMEM;
        for (end = s + n; s < end; s++) {
                const char *nl = memchr(s, '\n', (size_t)(end - s));
                size_t len = (nl ? nl : end) - s;
                int r;

                if (len > 0) {
                        if (++lines > HANDOFF_METADATA_LINES_MAX)
                                return fail(err, size, "\"metadata\" has more than %d lines",
                                            HANDOFF_METADATA_LINES_MAX);
                        r = parse_metadata_line(s, len, m, err, size);
                        if (r < 0)
                                return r;
                }
                s += len;
        }
        return 0;
}

static int parse_pid(json_t *v, const char *what, int64_t *ret, char *err, size_t size)
{
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > INT32_MAX)
                return fail(err, size, "\"%s\" must be a non-negative pid", what);
        *ret = json_integer_value(v);
        return 0;
}

/* state.annotations: a flat object of strings, kept for policy selection. */
static int parse_annotations(json_t *v, struct handoff_msg *m, char *err, size_t size)
{
        const char *key;
        json_t *val;
        size_t i = 0;

        if (!v)
                return 0;
        if (!json_is_object(v))
                return fail(err, size, "\"state.annotations\" must be an object");
        if (json_object_size(v) > HANDOFF_ANNOTATIONS_MAX)
                return fail(err, size, "more than %d annotations", HANDOFF_ANNOTATIONS_MAX);
        m->annotations = calloc(json_object_size(v) * 2 + 1, sizeof(char *));
        if (!m->annotations)
                return -ENOMEM;
        json_object_foreach(v, key, val) {
                if (!json_is_string(val))
                        return fail(err, size, "annotation \"%.64s\" is not a string", key);
                if (strlen(key) > HANDOFF_ANNOTATION_MAX ||
                    json_string_length(val) > HANDOFF_ANNOTATION_MAX)
                        return fail(err, size, "annotation \"%.64s\" is longer than %d bytes", key,
                                    HANDOFF_ANNOTATION_MAX);
                m->annotations[i] = strdup(key);
                m->annotations[i + 1] = strndup(json_string_value(val), json_string_length(val));
                m->n_annotations++;
                if (!m->annotations[i] || !m->annotations[i + 1])
                        return -ENOMEM;
                i += 2;
        }
        return 0;
}

/* state: the container's state; we need its id and annotations, and take
 * its pid when the top-level one is missing (both are 0 for crun exec). */
static int parse_container_state(json_t *state, struct handoff_msg *m, char *err, size_t size)
{
        json_t *id, *pid;
        int r;

        if (!json_is_object(state))
                return fail(err, size, "\"state\" must be an object");
        id = json_object_get(state, "id");
        if (!json_is_string(id))
                return fail(err, size, "\"state.id\" must be a string");
        r = dup_string(id, HANDOFF_ID_MAX, &m->container_id);
        if (r == -EBADMSG)
                return fail(err, size, "\"state.id\" must be 1-%d bytes", HANDOFF_ID_MAX);
        if (r < 0)
                return r;
        r = parse_annotations(json_object_get(state, "annotations"), m, err, size);
        if (r < 0)
                return r;
        pid = json_object_get(state, "pid");
        if (pid && m->pid == 0)
                return parse_pid(pid, "state.pid", &m->pid, err, size);
        return 0;
}

static int parse_state(json_t *root, size_t n_fds, struct handoff_msg *m, char *err, size_t size)
{
        json_t *v;
        int r;

        m->kind = HANDOFF_STATE;
        if (!json_is_string(json_object_get(root, "ociVersion")))
                return fail(err, size, "\"ociVersion\" must be a string");
        r = parse_fds(json_object_get(root, "fds"), n_fds, m, err, size);
        if (r < 0)
                return r;
        v = json_object_get(root, "pid");
        if (v) {
                r = parse_pid(v, "pid", &m->pid, err, size);
                if (r < 0)
                        return r;
        }
        r = parse_metadata(json_object_get(root, "metadata"), m, err, size);
        if (r < 0)
                return r;
        return parse_container_state(json_object_get(root, "state"), m, err, size);
}

static int parse_query(json_t *root, size_t n_fds, struct handoff_msg *m, char *err, size_t size)
{
        json_t *what = json_object_get(root, UNOTIFY_QUERY_KEY);
        json_t *name = json_object_get(root, "policy");
        int r;

        m->kind = HANDOFF_QUERY;
        if (n_fds > 0)
                return fail(err, size, "a query carries no fds");
        if (!json_is_string(what) || strcmp(json_string_value(what), "policy") != 0)
                return fail(err, size, "\"%s\" must be \"policy\"", UNOTIFY_QUERY_KEY);
        if (!json_is_string(name))
                return fail(err, size, "\"policy\" must be a string");
        r = dup_string(name, 256, &m->query_policy);
        if (r == -EBADMSG)
                return fail(err, size, "\"policy\" must be 1-256 bytes");
        return r;
}

int handoff_msg_parse(const char *buf, size_t len, size_t n_fds, struct handoff_msg *ret, char *err,
                      size_t err_size)
{
        _cleanup_(json_decrefp) json_t *root = NULL;
        struct handoff_msg m = { .seccomp_fd_index = -1 };
        json_error_t jerr;
        int r;

        root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root)
                return fail(err, err_size, "not valid JSON: %s (line %d, column %d)", jerr.text,
                            jerr.line, jerr.column);
        if (!json_is_object(root))
                return fail(err, err_size, "the message must be a JSON object");

        if (json_object_get(root, UNOTIFY_QUERY_KEY))
                r = parse_query(root, n_fds, &m, err, err_size);
        else
                r = parse_state(root, n_fds, &m, err, err_size);
        if (r < 0) {
                handoff_msg_clear(&m);
                return r;
        }
        *ret = m;
        return 0;
}

void handoff_msg_clear(struct handoff_msg *m)
{
        if (!m)
                return;
        free(m->container_id);
        free(m->metadata);
        free(m->policy);
        for (size_t i = 0; m->annotations && i < 2 * m->n_annotations; i++)
                free(m->annotations[i]);
        free(m->annotations);
        free(m->query_policy);
        *m = (struct handoff_msg){ .seccomp_fd_index = -1 };
}
