/* The daemon's caps on what its peers can make it hold, each set with
 * --limit NAME=N (docs/security.md, "Caps"): connections pending on the
 * handoff and control sockets, in total and per peer uid, how long a
 * handoff may take, the emulation workers, and one listener's share of
 * them and of the work queued for them, the listeners served, the bytes
 * learn mode's recordings hold, and a control request's length. */
#pragma once

#include <stddef.h>

struct limits {
        unsigned handoff_conns;         /* pending handoff connections */
        unsigned handoff_conns_per_uid; /* of them, one peer uid's */
        unsigned handoff_timeout_ms;    /* a handoff's whole message */
        unsigned control_conns;         /* open control connections */
        unsigned control_conns_per_uid;
        unsigned workers;               /* emulation worker threads (when a policy emulates) */
        unsigned listener_workers;      /* workers one listener holds at once */
        unsigned listener_queue;        /* its emulations waiting for a worker */
        unsigned listeners;             /* listeners served at once */
        unsigned listeners_per_uid;     /* of them, handed over by one peer uid */
        unsigned learn_bytes;           /* held by every recording together (learn.h) */
        unsigned control_request_bytes; /* one control request line */
};

#define LIMITS_DEFAULT                                  \
        ((struct limits){ .handoff_conns = 256,         \
                          .handoff_conns_per_uid = 192, \
                          .handoff_timeout_ms = 5000,   \
                          .control_conns = 64,          \
                          .control_conns_per_uid = 48,  \
                          .workers = 4,                 \
                          .listener_workers = 3,        \
                          .listener_queue = 64,         \
                          .listeners = 32768,           \
                          .listeners_per_uid = 24576,   \
                          .learn_bytes = 64u << 20,     \
                          .control_request_bytes = 4096 })

/* "NAME=N" into *l. Returns 0, or -EINVAL with err saying why. */
int limits_parse(const char *arg, struct limits *l, char *err, size_t err_size);
/* "handoff-conns, ..." for --help and messages. */
const char *limits_names(void);
