/* CLOCK_MONOTONIC in nanoseconds: what the daemon's deadlines, rate
 * limits and answer times are measured in. One definition, inline so the
 * hot path pays only the vDSO call. */
#pragma once

#include <stdint.h>
#include <time.h>

static inline uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
