/* Parsing what arrives on the handoff socket: the OCI runtime-spec
 * "container process state" (a listener handoff) or a unotify query.
 * Pure: no I/O, no logging. Everything here is attacker-controlled input,
 * so every field is checked for type and size. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HANDOFF_ID_MAX 1024
#define HANDOFF_METADATA_MAX 16384
#define HANDOFF_METADATA_LINES_MAX 256
#define HANDOFF_ANNOTATIONS_MAX 256
#define HANDOFF_ANNOTATION_MAX 4096 /* bytes of one key or value */

/* Where the first complete JSON value of a byte stream ends, found
 * incrementally so a half-sent message never blocks anything and we never
 * wait for EOF (runc keeps the connection open until the container exits). */
struct json_scan {
        size_t pos; /* bytes consumed so far */
        size_t end; /* one past the closing brace, once complete */
        unsigned depth;
        bool started;
        bool in_string;
        bool escape;
};

/* Feed the whole buffer received so far (buf[0..len)); scanning resumes at
 * s->pos. Returns 1 when the value is complete (s->end set), 0 when more
 * bytes are needed, -EBADMSG when the stream cannot be a JSON object or is
 * nested deeper than 64 levels. */
int json_scan_feed(struct json_scan *s, const char *buf, size_t len);

enum handoff_kind {
        HANDOFF_STATE = 1, /* a listener handoff */
        HANDOFF_QUERY,     /* {"unotifyQuery":"policy","policy":NAME} */
};

struct handoff_msg {
        enum handoff_kind kind;
        /* HANDOFF_STATE */
        int seccomp_fd_index; /* index of "seccompFd" in fds, -1 if absent */
        size_t n_fd_names;
        int64_t pid; /* state.pid if set, else pid; 0 for crun exec */
        char *container_id;
        char *metadata;       /* listenerMetadata as sent ("KEY=VALUE" lines), NULL if none */
        char *policy;         /* "policy" metadata, NULL if none */
        char **annotations;   /* state.annotations: key, value, key, value, ... */
        size_t n_annotations; /* pairs */
        bool has_digest;
        uint64_t digest; /* "unotify.syscalls-digest" metadata */
        bool has_caps;
        uint64_t caps; /* "unotify.caps" metadata */
        bool has_seccomp_flags;
        uint64_t seccomp_flags; /* "unotify.seccomp-flags" metadata: what the sender says */
        /* HANDOFF_QUERY */
        char *query_policy;
};

/* Parse one message: buf[0..len) is exactly the JSON value (trailing
 * whitespace allowed), n_fds the number of fds received with it.
 * ret: written only on success. err: a message for the sender on failure.
 * Returns 0, -EBADMSG (err says why) or -ENOMEM. */
int handoff_msg_parse(const char *buf, size_t len, size_t n_fds, struct handoff_msg *ret, char *err,
                      size_t err_size);

void handoff_msg_clear(struct handoff_msg *m);
