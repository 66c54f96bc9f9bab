/* unotifyctl's messages on stderr, the same for every verb. */
#pragma once

#include "unotify/macro.h"

/* "WHO: message"; with EX_USAGE also "Try 'WHO --help'.". Returns code. */
_printf_(3, 4) int ctl_fail(const char *who, int code, const char *fmt, ...);
/* "WHO: warning: message". */
_printf_(2, 3) void ctl_warn(const char *who, const char *fmt, ...);
