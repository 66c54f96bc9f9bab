#include "ctl_msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <sysexits.h>

static void vmessage(const char *who, const char *kind, const char *fmt, va_list ap)
{
        fprintf(stderr, "%s: %s", who, kind);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
}

int ctl_fail(const char *who, int code, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vmessage(who, "", fmt, ap);
        va_end(ap);
        if (code == EX_USAGE)
                fprintf(stderr, "Try '%s --help'.\n", who);
        return code;
}

void ctl_warn(const char *who, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vmessage(who, "warning: ", fmt, ap);
        va_end(ap);
}
