/* The metrics endpoint: GET /metrics over HTTP/1.1 on a socket of its
 * own (systemd's unotifyd-metrics.socket, passed as "metrics", or
 * --metrics-listen), apart from the control socket. Read-only and
 * unauthenticated: it answers GET and HEAD of /metrics and nothing else.
 * Bounded: METRICS_HTTP_MAX_CONNS connections, HTTP_REQUEST_MAX bytes of
 * request, METRICS_HTTP_DEADLINE seconds from accept to the last byte;
 * every socket is non-blocking, so a slow client holds only its own slot. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct ev_loop;
struct inherited;
struct metrics;

#define METRICS_HTTP_MAX_CONNS 8
#define METRICS_HTTP_DEADLINE 10.0

struct metrics_http_hooks {
        void *userdata;
        /* The whole text exposition (malloc'd, *ret_len bytes), or NULL
         * when out of memory (the scrape gets a 503). */
        char *(*render)(void *userdata, size_t *ret_len);
};

struct metrics_http;

/* Take the "metrics" socket passed in (any listening stream socket), or
 * bind listen (--metrics-listen, borrowed: a unix socket's path is
 * unlinked by _free); neither: an endpoint that serves nothing
 * (metrics_http_fd() -1). m counts scrapes. Returns 0 or -errno (logged). */
int metrics_http_new(struct ev_loop *loop, const char *listen, struct inherited *in,
                     struct metrics *m, const struct metrics_http_hooks *hooks,
                     struct metrics_http **ret);
/* Close every connection and the socket; NULL is fine; returns NULL. */
struct metrics_http *metrics_http_free(struct metrics_http *h);

/* The listening socket or -1 (an upgrade passes it on). */
int metrics_http_fd(const struct metrics_http *h);
void metrics_http_start(struct metrics_http *h);
