#include "sockets/peer_limits.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unotify/macro.h"

static const struct {
        const char *name;
        size_t offset;
        unsigned min, max;
} table[] = {
        { "handoff-conns", offsetof(struct limits, handoff_conns), 1, 65536 },
        { "handoff-conns-per-uid", offsetof(struct limits, handoff_conns_per_uid), 1, 65536 },
        { "handoff-timeout-ms", offsetof(struct limits, handoff_timeout_ms), 10, 600000 },
        { "control-conns", offsetof(struct limits, control_conns), 1, 65536 },
        { "control-conns-per-uid", offsetof(struct limits, control_conns_per_uid), 1, 65536 },
        { "workers", offsetof(struct limits, workers), 2, 16 },
        { "listener-workers", offsetof(struct limits, listener_workers), 1, 16 },
        { "listener-queue", offsetof(struct limits, listener_queue), 0, 65536 },
        { "listeners", offsetof(struct limits, listeners), 1, 1u << 20 },
        { "listeners-per-uid", offsetof(struct limits, listeners_per_uid), 1, 1u << 20 },
        { "learn-bytes", offsetof(struct limits, learn_bytes), 65536, UINT_MAX },
        { "control-request-bytes", offsetof(struct limits, control_request_bytes), 256, 1u << 20 },
};

const char *limits_names(void)
{
        static char names[512];

        if (!names[0])
                for (size_t i = 0; i < ELEMENTSOF(table); i++)
                        snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
                                 i ? ", " : "", table[i].name);
        return names;
}

int limits_parse(const char *arg, struct limits *l, char *err, size_t err_size)
{
        const char *eq = strchr(arg, '=');
        char *end;
        unsigned long v;

        for (size_t i = 0; eq && i < ELEMENTSOF(table); i++) {
                if (strlen(table[i].name) != (size_t)(eq - arg) ||
                    strncmp(table[i].name, arg, (size_t)(eq - arg)))
                        continue;
                errno = 0;
                v = strtoul(eq + 1, &end, 10);
                if (errno || end == eq + 1 || *end || eq[1] == '-' || v < table[i].min ||
                    v > table[i].max) {
                        snprintf(err, err_size, "%s: not a number from %u to %u: %s", table[i].name,
                                 table[i].min, table[i].max, eq + 1);
                        return -EINVAL;
                }
                *(unsigned *)((char *)l + table[i].offset) = (unsigned)v;
                return 0;
        }
        snprintf(err, err_size, "not NAME=N with NAME one of %s: %s", limits_names(), arg);
        return -EINVAL;
}
