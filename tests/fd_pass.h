/* One fd over a unix socket (SCM_RIGHTS), for the tests' children that
 * hand their seccomp listener to the test. */
#pragma once

/* Send fd with one byte: 0, or -1 with errno set. */
int fd_send(int sock, int fd);
/* The fd sent (close-on-exec), or -1. */
int fd_recv(int sock);
