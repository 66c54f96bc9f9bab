/* The one HTTP/1.x request the metrics endpoint understands: a request
 * line and headers, no body. Pure: no I/O, no allocation, no logging;
 * everything here comes from whoever can connect, so every byte is
 * checked. Written here rather than taken from a library because the
 * endpoint needs so little of HTTP (GET and HEAD of one path, then close)
 * that a parser of ~150 lines, fuzzed, is less to trust than a server. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* A request head (request line and headers, up to the empty line) longer
 * than this is refused. */
#define HTTP_REQUEST_MAX 4096
#define HTTP_TARGET_MAX 256

enum http_method {
        HTTP_GET = 1,
        HTTP_HEAD,
        HTTP_OTHER, /* a valid token we do not serve: 405 */
};

struct http_request {
        enum http_method method;
        char target[HTTP_TARGET_MAX]; /* NUL-terminated, as sent */
        size_t path_len;              /* bytes of target before any '?' */
        int minor;                    /* HTTP/1.minor: 0 or 1 */
        size_t head_len;              /* bytes up to and including the empty line */
};

/* Parse buf[0..len), what the peer sent so far. Lines end in CRLF (a bare
 * LF is taken too). Returns 1 with *ret filled when the head is complete,
 * 0 when more bytes are needed, -EMSGSIZE when no head ends within
 * HTTP_REQUEST_MAX bytes, -ENAMETOOLONG for a target of HTTP_TARGET_MAX
 * bytes or more, -EPROTONOSUPPORT
 * for an HTTP version other than 1.0 and 1.1, -EBADMSG for anything else
 * malformed. ret is written only on success. */
int http_request_parse(const char *buf, size_t len, struct http_request *ret);

/* Whether r asks for path (the target without its query). */
bool http_request_is(const struct http_request *r, const char *path);
