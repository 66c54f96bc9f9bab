/* The metrics endpoint: GET /metrics over HTTP/1.1 on a socket of its
 * own (systemd's unotifyd-metrics.socket, passed as "metrics", or
 * --metrics-listen), apart from the control socket. Read-only and
 * unauthenticated: it answers GET and HEAD of /metrics and nothing else.
 * Bounded: METRICS_HTTP_MAX_CONNS connections, HTTP_REQUEST_MAX bytes of
 * request, METRICS_HTTP_DEADLINE seconds from accept to the last byte;
 * every socket is non-blocking, so a slow client holds only its own slot. */
#pragma once

#include <stdbool.h>

struct daemon;
struct inherited;

#define METRICS_HTTP_MAX_CONNS 8
#define METRICS_HTTP_DEADLINE 10.0

/* Take the "metrics" socket passed in (any listening stream socket), or
 * bind opts->metrics_listen; neither: no endpoint (d->metrics_fd -1).
 * Returns 0 or -errno (logged). */
int metrics_http_open(struct daemon *d, struct inherited *in);

/* Start and stop serving d->metrics_fd (stop closes every connection;
 * the socket itself is closed by metrics_http_close). */
void metrics_http_start(struct daemon *d);
void metrics_http_stop(struct daemon *d);
void metrics_http_close(struct daemon *d);
