#include "sockets/listen_addr.h"

#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>

/* "HOST:PORT" or "[HOST]:PORT" -> host and port strings in buf. */
static int split_address(const char *addr, char *buf, size_t size, const char **ret_host,
                         const char **ret_port)
{
        char *colon;

        if (strlen(addr) >= size)
                return -EINVAL;
        strcpy(buf, addr);
        colon = strrchr(buf, ':');
        if (!colon || colon == buf || !colon[1])
                return -EINVAL;
        *colon = '\0';
        *ret_port = colon + 1;
        *ret_host = buf;
        if (buf[0] == '[') {
                if (colon[-1] != ']')
                        return -EINVAL;
                colon[-1] = '\0';
                *ret_host = buf + 1;
        }
        return 0;
}

int listen_addr_resolve(const char *addr, struct addrinfo **ret)
{
        const struct addrinfo hints = {
                .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
                .ai_socktype = SOCK_STREAM,
        };
        const char *host, *port;
        char buf[128];

        if (split_address(addr, buf, sizeof(buf), &host, &port) < 0)
                return -EINVAL;
        /* Numeric only: no name service at start-up, no surprise address. */
        return getaddrinfo(host, port, &hints, ret) == 0 ? 0 : -EINVAL;
}

int listen_addr_check(const char *addr)
{
        struct addrinfo *ai = NULL;
        int r;

        if (addr[0] == '/')
                return strlen(addr) < 108 ? 0 : -EINVAL;
        r = listen_addr_resolve(addr, &ai);
        if (ai)
                freeaddrinfo(ai);
        return r;
}
