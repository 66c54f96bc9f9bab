/* The metrics endpoint's --metrics-listen address, read without binding
 * anything: "HOST:PORT" with a numeric IPv4 host, "[IPv6]:PORT", or an
 * absolute unix socket path. Apart from metrics_http.c so that the option
 * parser checks it without the endpoint. */
#pragma once

struct addrinfo;

/* Returns 0 or -EINVAL. */
int listen_addr_check(const char *addr);
/* A numeric HOST:PORT as getaddrinfo(3) gives it (AI_PASSIVE; freed with
 * freeaddrinfo). Returns 0 or -EINVAL. */
int listen_addr_resolve(const char *addr, struct addrinfo **ret);
