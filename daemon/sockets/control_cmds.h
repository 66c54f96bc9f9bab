/* The control socket's commands: what each request does and answers. */
#pragma once

#include <jansson.h>
#include <stddef.h>

struct daemon;

struct control_command {
        const char *name;
        /* The reply object ("ok" is added by the caller), or NULL with err
         * set (empty err: out of memory). req is borrowed. */
        json_t *(*run)(struct daemon *d, const json_t *req, char *err, size_t err_size);
};

/* The command called name, or NULL. */
const struct control_command *control_command_find(const char *name);
