/* Fuzz target for what a peer sends to the control socket: the line
 * framing and the request parser, fed the bytes as one stream the way the
 * daemon reads them (daemon/sockets/control_parse.h). Built for libFuzzer with
 * -DUNOTIFY_FUZZ=ON; ctest runs it through fuzz_driver.c. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemon/sockets/control_parse.h"

#define MAX_LINE 4096 /* as the daemon's CONTROL_MAX_LINE */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_request(const char *line, size_t len)
{
        const char *name = NULL;
        char err[512] = "";
        json_t *req = control_parse_request(line, len, &name, err, sizeof(err));
        bool known = false;

        if (!req) {
                if (strnlen(err, sizeof(err)) == 0)
                        abort(); /* every refusal says why */
                return;
        }
        if (!name || !json_is_object(req) ||
            strcmp(json_string_value(json_object_get(req, "command")), name))
                abort();
        for (size_t i = 0; control_request_commands[i]; i++)
                known = known || strcmp(control_request_commands[i], name) == 0;
        if (!known)
                abort();
        json_decref(req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *buf = (const char *)data;
        size_t off = 0;

        for (;;) {
                ssize_t line = control_next_line(buf + off, size - off, MAX_LINE);

                if (line == -EAGAIN) {
                        if (size - off >= MAX_LINE || memchr(buf + off, '\n', size - off))
                                abort();
                        return 0;
                }
                if (line == -E2BIG) {
                        if (size - off < MAX_LINE || memchr(buf + off, '\n', MAX_LINE))
                                abort();
                        return 0; /* the daemon answers once and hangs up */
                }
                if (line < 0 || (size_t)line >= MAX_LINE || buf[off + (size_t)line] != '\n' ||
                    memchr(buf + off, '\n', (size_t)line))
                        abort();
                check_request(buf + off, (size_t)line);
                off += (size_t)line + 1;
        }
}
