/* The parser's shared helpers: JSON pointers, diagnostics, type checks. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"

size_t ptr_push(struct parser *p, const char *segment, size_t index)
{
        size_t mark = strlen(p->ptr);

        snprintf(p->ptr + mark, sizeof(p->ptr) - mark, "/%s/%zu", segment, index);
        return mark;
}

size_t ptr_push_key(struct parser *p, const char *key)
{
        size_t mark = strlen(p->ptr);

        snprintf(p->ptr + mark, sizeof(p->ptr) - mark, "/%s", key);
        return mark;
}

void ptr_pop(struct parser *p, size_t mark)
{
        p->ptr[mark] = '\0';
}

_printf_(4, 0) static void report(struct parser *p, enum unotify_diag_severity severity,
                                  const char *key, const char *fmt, va_list ap)
{
        _cleanup_(freep) char *msg = NULL;
        char pointer[sizeof(p->ptr) + 32];

        if (severity == UNOTIFY_DIAG_ERROR)
                p->n_errors++;
        if (vasprintf(&msg, fmt, ap) < 0) {
                msg = NULL;
                p->oom = -ENOMEM;
                return;
        }
        snprintf(pointer, sizeof(pointer), "%s%s%s", p->ptr, key ? "/" : "", key ? key : "");
        if (diag_add_severity(p->diags, severity, p->origin, 0, 0, pointer, "%s", msg) < 0)
                p->oom = -ENOMEM;
}

void fail(struct parser *p, const char *key, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        report(p, UNOTIFY_DIAG_ERROR, key, fmt, ap);
        va_end(ap);
}

void warn(struct parser *p, const char *key, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        report(p, p->strict ? UNOTIFY_DIAG_ERROR : UNOTIFY_DIAG_WARNING, key, fmt, ap);
        va_end(ap);
}

const char *type_name(const json_t *v)
{
        switch (json_typeof(v)) {
        case JSON_OBJECT:
                return "an object";
        case JSON_ARRAY:
                return "an array";
        case JSON_STRING:
                return "a string";
        case JSON_INTEGER:
                return "an integer";
        case JSON_REAL:
                return "a real number";
        case JSON_TRUE:
                return "true";
        case JSON_FALSE:
                return "false";
        case JSON_NULL:
                return "null";
        }
        return "an unknown JSON value";
}

const char *join(const char *const *list, size_t n, char *buf, size_t size)
{
        size_t len = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < n && len < size; i++)
                len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "", list[i]);
        return buf;
}

void check_keys(struct parser *p, json_t *obj, const char *const *known, size_t n)
{
        char expected[256];

        for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
                const char *key = json_object_iter_key(it);
                const char *close;

                if (in_list(key, known, n))
                        continue;
                close = suggest_word(key, known, n);
                if (close)
                        fail(p, NULL, "unknown key \"%s\" (did you mean \"%s\"?)", key, close);
                else
                        fail(p, NULL, "unknown key \"%s\" (expected one of %s)", key,
                             join(known, n, expected, sizeof(expected)));
        }
}

json_t *member(struct parser *p, json_t *obj, const char *key, bool required)
{
        json_t *v = json_object_get(obj, key);

        if (!v && required)
                fail(p, NULL, "missing required key \"%s\"", key);
        return v;
}

void parse_comment(struct parser *p, json_t *obj)
{
        json_t *v = json_object_get(obj, "comment");

        if (v && !json_is_string(v))
                fail(p, "comment", "expected a string, got %s", type_name(v));
}

const char *expect_string(struct parser *p, const char *key, json_t *v, const char *what)
{
        if (json_is_string(v))
                return json_string_value(v);
        fail(p, key, "expected %s, got %s", what, type_name(v));
        return NULL;
}

bool expect_array(struct parser *p, const char *key, json_t *v, const char *many, const char *one)
{
        if (!json_is_array(v)) {
                fail(p, key, "expected an array of %s, got %s", many, type_name(v));
                return false;
        }
        if (json_array_size(v) == 0) {
                fail(p, key, "expected at least one %s, got an empty array", one);
                return false;
        }
        return true;
}

/* "0x" and 1..16 hex digits: how values above INT64_MAX are written,
 * since jansson's integers are int64_t. */
bool parse_hex(const char *s, uint64_t *ret)
{
        uint64_t value = 0;
        size_t n;

        if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
                return false;
        s += 2;
        n = strlen(s);
        if (n == 0 || n > 16 || strspn(s, "0123456789abcdefABCDEF") != n)
                return false;
        for (; *s; s++)
                value = value << 4 | (uint64_t)(*s <= '9' ? *s - '0' : (*s | 0x20) - 'a' + 10);
        *ret = value;
        return true;
}

static bool parse_number(const char **s, unsigned *ret)
{
        unsigned n = 0;

        if (**s < '0' || **s > '9')
                return false;
        for (; **s >= '0' && **s <= '9'; (*s)++) {
                n = n * 10 + (unsigned)(**s - '0');
                if (n > 0xffff)
                        return false;
        }
        *ret = n;
        return true;
}

int parse_kernel_version(const char *s, bool whole, uint32_t *ret)
{
        unsigned major, minor;

        if (!parse_number(&s, &major) || *s++ != '.' || !parse_number(&s, &minor) || major == 0)
                return -EINVAL;
        /* A release goes on ("6.1.0-13-amd64"); a minKernel does not. */
        if (whole && *s)
                return -EINVAL;
        *ret = major << 16 | minor;
        return 0;
}
