/* Diagnostics: what the admin reads when a policy is refused. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void diag_done(struct unotify_diag *d)
{
        free(d->file);
        free(d->pointer);
        free(d->message);
}

void unotify_diags_clear(struct unotify_diags *diags)
{
        if (!diags)
                return;
        for (size_t i = 0; i < diags->count; i++)
                diag_done(&diags->items[i]);
        free(diags->items);
        diags->items = NULL;
        diags->count = 0;
}

static int strdup_or_null(const char *s, char **ret)
{
        *ret = NULL;
        if (!s)
                return 0;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

size_t unotify_diags_errors(const struct unotify_diags *diags)
{
        size_t n = 0;

        for (size_t i = 0; diags && i < diags->count; i++)
                if (diags->items[i].severity == UNOTIFY_DIAG_ERROR)
                        n++;
        return n;
}

_printf_(7, 0) static int diag_addv(struct unotify_diags *diags,
                                    enum unotify_diag_severity severity, const char *file, int line,
                                    int column, const char *pointer, const char *fmt, va_list ap)
{
        struct unotify_diag d = { .line = line, .column = column, .severity = severity };
        struct unotify_diag *items;

        if (!diags)
                return 0;
        if (vasprintf(&d.message, fmt, ap) < 0)
                return -ENOMEM;
        if (strdup_or_null(file, &d.file) < 0 || strdup_or_null(pointer, &d.pointer) < 0)
                goto oom;
        items = reallocarray(diags->items, diags->count + 1, sizeof(*items));
        if (!items)
                goto oom;
        items[diags->count++] = d;
        diags->items = items;
        return 0;
oom:
        diag_done(&d);
        return -ENOMEM;
}

int diag_add(struct unotify_diags *diags, const char *file, int line, int column,
             const char *pointer, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = diag_addv(diags, UNOTIFY_DIAG_ERROR, file, line, column, pointer, fmt, ap);
        va_end(ap);
        return r;
}

int diag_add_severity(struct unotify_diags *diags, enum unotify_diag_severity severity,
                      const char *file, int line, int column, const char *pointer, const char *fmt,
                      ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = diag_addv(diags, severity, file, line, column, pointer, fmt, ap);
        va_end(ap);
        return r;
}

/* The root's pointer is "" (RFC 6901): then the message follows the file
 * name directly, "file: : message" would only confuse. */
void unotify_diag_format(const struct unotify_diag *d, char *buf, size_t size)
{
        const char *file = d->file ? d->file : "(unknown)";
        const char *message = d->message ? d->message : "";
        const char *level = d->severity == UNOTIFY_DIAG_WARNING ? "warning: " : "";

        if (size == 0)
                return;
        if (d->line > 0)
                snprintf(buf, size, "%s:%d:%d: %s%s", file, d->line, d->column, level, message);
        else if (d->pointer && d->pointer[0])
                snprintf(buf, size, "%s: %s: %s%s", file, d->pointer, level, message);
        else
                snprintf(buf, size, "%s: %s%s", file, level, message);
}
