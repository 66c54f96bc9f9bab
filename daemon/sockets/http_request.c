/* An HTTP/1.x request head, checked byte by byte (RFC 9112 sections 2-5:
 * request-line, field lines, CRLF). */
#include "sockets/http_request.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

/* tchar of RFC 9110 5.6.2. */
static bool is_tchar(unsigned char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* VCHAR, SP, HTAB and obs-text: what a field value may hold. */
static bool is_field_char(unsigned char c)
{
        return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int parse_method(const char *s, size_t n, enum http_method *ret)
{
        if (n == 0 || n > 16)
                return -EBADMSG;
        for (size_t i = 0; i < n; i++)
                if (!is_tchar((unsigned char)s[i]))
                        return -EBADMSG;
        if (n == 3 && memcmp(s, "GET", 3) == 0)
                *ret = HTTP_GET;
        else if (n == 4 && memcmp(s, "HEAD", 4) == 0)
                *ret = HTTP_HEAD;
        else
                *ret = HTTP_OTHER;
        return 0;
}

/* origin-form only ("/path?query"): all we serve. */
static int parse_target(const char *s, size_t n, struct http_request *r)
{
        if (n == 0 || s[0] != '/')
                return -EBADMSG;
        if (n >= HTTP_TARGET_MAX)
                return -ENAMETOOLONG;
        r->path_len = n;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];

                if (c <= 0x20 || c >= 0x7f)
                        return -EBADMSG;
                if (c == '?' && r->path_len == n)
                        r->path_len = i;
        }
        memcpy(r->target, s, n);
        r->target[n] = '\0';
        return 0;
}

static int parse_version(const char *s, size_t n, int *ret)
{
        if (n != 8 || memcmp(s, "HTTP/", 5) != 0 || s[6] != '.' || s[5] < '0' || s[5] > '9' ||
            s[7] < '0' || s[7] > '9')
                return -EBADMSG;
        if (s[5] != '1' || s[7] > '1')
                return -EPROTONOSUPPORT;
        *ret = s[7] - '0';
        return 0;
}

/* METHOD SP TARGET SP HTTP/1.x, exactly one space between. */
static int parse_request_line(const char *s, size_t n, struct http_request *r)
{
        const char *sp1 = memchr(s, ' ', n), *sp2;
        int e;

        if (!sp1)
                return -EBADMSG;
        sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - s));
        if (!sp2)
                return -EBADMSG;
        e = parse_method(s, (size_t)(sp1 - s), &r->method);
        if (e == 0)
                e = parse_target(sp1 + 1, (size_t)(sp2 - sp1 - 1), r);
        if (e == 0)
                e = parse_version(sp2 + 1, n - (size_t)(sp2 + 1 - s), &r->minor);
        return e;
}

/* name ":" OWS value OWS; no obs-fold (a line starting with whitespace). */
static int parse_field_line(const char *s, size_t n)
{
        size_t i = 0;

        while (i < n && is_tchar((unsigned char)s[i]))
                i++;
        if (i == 0 || i == n || s[i] != ':')
                return -EBADMSG;
        for (i++; i < n; i++)
                if (!is_field_char((unsigned char)s[i]))
                        return -EBADMSG;
        return 0;
}

int http_request_parse(const char *buf, size_t len, struct http_request *ret)
{
        size_t limit = len < HTTP_REQUEST_MAX ? len : HTTP_REQUEST_MAX;
        struct http_request r = {};
        size_t pos = 0;
        int e;

        for (bool first = true;; first = false) {
                const char *nl = memchr(buf + pos, '\n', limit - pos);
                size_t n;

                if (!nl)
                        return len >= HTTP_REQUEST_MAX ? -EMSGSIZE : 0;
                n = (size_t)(nl - (buf + pos));
                if (n > 0 && buf[pos + n - 1] == '\r')
                        n--;
                if (memchr(buf + pos, '\r', n) || memchr(buf + pos, '\0', n))
                        return -EBADMSG; /* a CR only right before LF; no NULs */
                if (first)
                        e = parse_request_line(buf + pos, n, &r);
                else if (n == 0) {
                        r.head_len = (size_t)(nl - buf) + 1;
                        *ret = r;
                        return 1;
                } else
                        e = parse_field_line(buf + pos, n);
                if (e < 0)
                        return e;
                pos = (size_t)(nl - buf) + 1;
        }
}

bool http_request_is(const struct http_request *r, const char *path)
{
        return strlen(path) == r->path_len && memcmp(r->target, path, r->path_len) == 0;
}
