/* The Prometheus text exposition of the daemon's figures. */
#pragma once

#include <stddef.h>

struct daemon;

/* Render every metric (text format 0.0.4). Returns a malloc'd buffer of
 * *ret_len bytes (NUL-terminated), or NULL when out of memory. */
char *metrics_text(const struct daemon *d, size_t *ret_len);
