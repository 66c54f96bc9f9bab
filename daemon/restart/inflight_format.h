/* The layout of the in-flight journal memfd (inflight.c), shared with the
 * tests that play the part of a process that died mid-notification. Native
 * endianness and struct layout: only ever read by the same machine. */
#pragma once

#include <linux/seccomp.h>
#include <stdint.h>

#define INFLIGHT_MAGIC "UNJRNL01"
#define INFLIGHT_SLOTS 256

struct inflight_slot {
        uint64_t listener_id;       /* 0: free */
        struct seccomp_notif notif; /* as RECV returned it: id, pid, data */
};

struct inflight_file {
        char magic[8];
        uint32_t slot_size; /* sizeof(struct inflight_slot) of the writer */
        uint32_t n_slots;
        struct inflight_slot slots[INFLIGHT_SLOTS];
};
