/* The control socket's input, parsed without the daemon: where a request
 * line ends and what the request asks. Everything a control peer sends
 * goes through these two functions first (the fuzz targets call them
 * alone). */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

/* The length of the first line in buf[0..len) (without its '\n');
 * -EAGAIN when there is no '\n' yet and fewer than max bytes;
 * -E2BIG when max bytes hold no '\n' (the request is too long). */
ssize_t control_next_line(const char *buf, size_t len, size_t max);

/* line[0..len) as a request: a JSON object whose "command" is one of
 * control_request_commands. Returns the request (its "command" in
 * *ret_name, borrowed from it) or NULL with err saying why. */
json_t *control_parse_request(const char *line, size_t len, const char **ret_name, char *err,
                              size_t err_size);

/* The command names control_parse_request accepts, NULL-terminated. */
extern const char *const control_request_commands[];
/* "status, list, ..." for messages. */
const char *control_request_command_names(void);
