/* Fuzz target for what anyone who can connect to the metrics endpoint
 * sends: the HTTP request-head parser. Built for libFuzzer with
 * -DUNOTIFY_FUZZ=ON (clang); in ctest it runs through fuzz_driver.c on
 * seeds and deterministic mutations of them. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemon/sockets/http_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct http_request *r, size_t len)
{
        size_t n = strnlen(r->target, sizeof(r->target));

        if (n == sizeof(r->target) || n == 0 || r->target[0] != '/' || r->path_len > n)
                abort();
        if (r->head_len == 0 || r->head_len > len || r->head_len > HTTP_REQUEST_MAX)
                abort();
        if ((r->minor != 0 && r->minor != 1) || r->method < HTTP_GET || r->method > HTTP_OTHER)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *buf = (const char *)data;
        struct http_request whole, part;
        int r = http_request_parse(buf, size, &whole), rp;

        if (r != 1 && r != 0 && r != -EMSGSIZE && r != -ENAMETOOLONG && r != -EPROTONOSUPPORT &&
            r != -EBADMSG)
                abort();
        if (r == 0 && size >= HTTP_REQUEST_MAX)
                abort(); /* never waits for more beyond the limit */
        if (r == 1)
                check(&whole, size);
        /* A prefix of what was sent: the same verdict once the head is in,
         * "more" or the same error before. */
        rp = http_request_parse(buf, size / 2, &part);
        if (r == 1 && size / 2 >= whole.head_len && (rp != 1 || part.head_len != whole.head_len))
                abort();
        if (r == 1 && size / 2 < whole.head_len && rp != 0)
                abort();
        if (r < 0 && r != -EMSGSIZE && rp != 0 && rp != r)
                abort();
        return 0;
}
