#include "sockets/control_parse.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

const char *const control_request_commands[] = { "status",  "list",    "stats", "reload",
                                                 "upgrade", "metrics", "learn", NULL };

const char *control_request_command_names(void)
{
        static char names[128];

        if (!names[0])
                for (size_t i = 0; control_request_commands[i]; i++)
                        snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
                                 i ? ", " : "", control_request_commands[i]);
        return names;
}

ssize_t control_next_line(const char *buf, size_t len, size_t max)
{
        const char *nl = memchr(buf, '\n', len < max ? len : max);

        if (nl)
                return nl - buf;
        return len < max ? -EAGAIN : -E2BIG;
}

static bool known_command(const char *name)
{
        for (size_t i = 0; control_request_commands[i]; i++)
                if (strcmp(control_request_commands[i], name) == 0)
                        return true;
        return false;
}

json_t *control_parse_request(const char *line, size_t len, const char **ret_name, char *err,
                              size_t err_size)
{
        json_error_t jerr;
        json_t *req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
        const char *name;

        if (!req) {
                snprintf(err, err_size, "not valid JSON: %s (column %d)", jerr.text, jerr.column);
                return NULL;
        }
        if (!json_is_object(req)) {
                snprintf(err, err_size, "a request is a JSON object");
                goto refuse;
        }
        name = json_string_value(json_object_get(req, "command"));
        if (!name) {
                snprintf(err, err_size, "\"command\" must be a string (one of %s)",
                         control_request_command_names());
                goto refuse;
        }
        /* A name with a NUL inside is not the name it starts with. */
        if (strlen(name) != json_string_length(json_object_get(req, "command")) ||
            !known_command(name)) {
                snprintf(err, err_size, "unknown command \"%.64s\" (one of %s)", name,
                         control_request_command_names());
                goto refuse;
        }
        *ret_name = name;
        return req;
refuse:
        json_decref(req);
        return NULL;
}
