/* Names of syscall argument values for `unotifyctl test`. */
#pragma once

#include <stdint.h>

/* The value of a kernel header symbol (O_CREAT, AF_VSOCK, CLONE_NEWUSER,
 * SIGCHLD, PER_LINUX32, ...). Returns 0, or -ENOENT for an unknown name. */
int symbol_value(const char *name, uint64_t *ret);
/* An argument's value: symbols and numbers joined by | ("O_WRONLY|O_CREAT",
 * "0x2a", "-100", "S_IFCHR|0600"). Returns 0, -EINVAL or -ENOMEM. */
int symbol_parse_value(const char *s, uint64_t *ret);
