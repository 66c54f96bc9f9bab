/* daemon/sockets/http_request.c: the metrics endpoint's request parser, on whole
 * requests, requests arriving in pieces, and what it must refuse. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <string.h>

#include "sockets/http_request.h"
#include "rows.h"

struct http_case {
        const char *row;
        const char *in;
        int result;
        enum http_method method; /* when result is 1 */
        const char *target;
        bool is_metrics;
        int minor;
};

static const struct http_case cases[] = {
        { "prometheus' scrape",
          "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9477\r\nAccept: text/plain;q=0.5\r\n"
          "X-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n",
          1, HTTP_GET, "/metrics", true, 1 },
        { "HTTP/1.0, bare LF", "GET /metrics HTTP/1.0\n\n", 1, HTTP_GET, "/metrics", true, 0 },
        { "HEAD with a query", "HEAD /metrics?name[]=x HTTP/1.1\r\n\r\n", 1, HTTP_HEAD,
          "/metrics?name[]=x", true, 1 },
        { "other path", "GET /metricsx HTTP/1.1\r\n\r\n", 1, HTTP_GET, "/metricsx", false, 1 },
        { "other method", "DELETE /metrics HTTP/1.1\r\n\r\n", 1, HTTP_OTHER, "/metrics", true, 1 },
        { "empty header value", "GET / HTTP/1.1\r\nX-Empty:\r\n\r\n", 1, HTTP_GET, "/", false, 1 },
        { "head not finished", "GET /metrics HTTP/1.1\r\nHost: x\r\n", 0 },
        { "request line not finished", "GET /metr", 0 },
        { "nothing yet", "", 0 },
        { "HTTP/2.0", "GET /metrics HTTP/2.0\r\n\r\n", -EPROTONOSUPPORT },
        { "HTTP/1.2", "GET /metrics HTTP/1.2\r\n\r\n", -EPROTONOSUPPORT },
        { "lower-case version", "GET /metrics http/1.1\r\n\r\n", -EBADMSG },
        { "two spaces", "GET  /metrics HTTP/1.1\r\n\r\n", -EBADMSG },
        { "no version", "GET /metrics\r\n\r\n", -EBADMSG },
        { "absolute form", "GET http://x/metrics HTTP/1.1\r\n\r\n", -EBADMSG },
        { "control byte in target", "GET /me\ttrics HTTP/1.1\r\n\r\n", -EBADMSG },
        { "bad method token", "G(T /metrics HTTP/1.1\r\n\r\n", -EBADMSG },
        { "header without colon", "GET / HTTP/1.1\r\nHost x\r\n\r\n", -EBADMSG },
        { "space before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", -EBADMSG },
        { "obs-fold", "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", -EBADMSG },
        { "CR alone", "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", -EBADMSG },
        { "control byte in a value", "GET / HTTP/1.1\r\nA: \x01\r\n\r\n", -EBADMSG },
        { "error seen before the head ends", "BLAH\r\nHost: x\r\n", -EBADMSG },
};

ROWS(http, parse, cases)

ParameterizedTest(size_t *row, http, parse, .timeout = 30)
{
        const struct http_case *c = &cases[*row];
        struct http_request r = { .minor = -1 };
        int got = http_request_parse(c->in, strlen(c->in), &r);

        cr_assert_eq(got, c->result, "%s: %d", c->row, got);
        if (got != 1) {
                cr_assert_eq(r.minor, -1, "%s: ret written on failure", c->row);
                return;
        }
        cr_assert_eq(r.method, c->method, "%s", c->row);
        cr_assert_str_eq(r.target, c->target, "%s", c->row);
        cr_assert_eq(http_request_is(&r, "/metrics"), c->is_metrics, "%s", c->row);
        cr_assert_eq(r.minor, c->minor, "%s", c->row);
        cr_assert_eq(r.head_len, strlen(c->in), "%s", c->row);
}

/* Byte by byte, as a slow client sends it: "more" until the last byte. */
Test(http, byte_by_byte, .timeout = 30)
{
        const char *in = "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\nEXTRA";
        size_t head = strlen(in) - 5;
        struct http_request r;

        for (size_t n = 0; n < head; n++)
                cr_assert_eq(http_request_parse(in, n, &r), 0, "at %zu bytes", n);
        cr_assert_eq(http_request_parse(in, head, &r), 1);
        cr_assert_eq(r.head_len, head);
        cr_assert_eq(http_request_parse(in, strlen(in), &r), 1,
                     "bytes after the head are not its business");
}

Test(http, limits, .timeout = 30)
{
        static char big[HTTP_REQUEST_MAX + 100];
        struct http_request r;
        size_t n;

        /* No end of head within the limit. */
        strcpy(big, "GET /metrics HTTP/1.1\r\nX: ");
        n = strlen(big);
        memset(big + n, 'a', sizeof(big) - n - 1);
        cr_assert_eq(http_request_parse(big, HTTP_REQUEST_MAX - 1, &r), 0);
        cr_assert_eq(http_request_parse(big, HTTP_REQUEST_MAX, &r), -EMSGSIZE);
        cr_assert_eq(http_request_parse(big, sizeof(big) - 1, &r), -EMSGSIZE);
        /* A target one byte too long, and one that just fits. */
        memset(big, 0, sizeof(big));
        strcpy(big, "GET /");
        memset(big + 5, 'a', HTTP_TARGET_MAX - 1);
        strcat(big, " HTTP/1.1\r\n\r\n");
        cr_assert_eq(http_request_parse(big, strlen(big), &r), -ENAMETOOLONG);
        memset(big, 0, sizeof(big));
        strcpy(big, "GET /");
        memset(big + 5, 'a', HTTP_TARGET_MAX - 2);
        strcat(big, " HTTP/1.1\r\n\r\n");
        cr_assert_eq(http_request_parse(big, strlen(big), &r), 1);
        cr_assert_eq(strlen(r.target), HTTP_TARGET_MAX - 1);
}
