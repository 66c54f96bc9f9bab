/* "include" across the files of a directory: resolving names, finding
 * cycles, and the order in which included rules come. */
#include <stdio.h>
#include <string.h>

#include "load.h"

enum { WHITE, GRAY, BLACK };

static int find(const struct unit *units, size_t n, const char *name)
{
        /* The first file with the name: later ones are refused as duplicates. */
        for (size_t i = 0; i < n; i++)
                if (units[i].draft.name && strcmp(units[i].draft.name, name) == 0)
                        return (int)i;
        return -1;
}

/* An error about element j of unit u's "include". */
_printf_(4, 5) static int fail_include(const struct unit *u, size_t j, struct unotify_diags *diags,
                                       const char *fmt, ...)
{
        _cleanup_(freep) char *msg = NULL;
        char pointer[32];
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;
        snprintf(pointer, sizeof(pointer), "/include/%zu", j);
        return diag_add(diags, u->path, 0, 0, pointer, "%s", msg) < 0 ? -ENOMEM : -EINVAL;
}

static int resolve(struct unit *units, size_t n, size_t i, struct unotify_diags *diags)
{
        struct unit *u = &units[i];
        int r = 0;

        u->includes = calloc(u->draft.n_includes ?: 1, sizeof(*u->includes));
        if (!u->includes)
                return -ENOMEM;
        for (size_t j = 0; j < u->draft.n_includes; j++) {
                u->includes[j] = find(units, n, u->draft.includes[j]);
                if (u->includes[j] >= 0)
                        continue;
                r = fail_include(u, j, diags,
                                 "unknown policy \"%s\" (no file of this directory has that name)",
                                 u->draft.includes[j]);
                if (r == -ENOMEM)
                        return r;
        }
        return r;
}

/* "a -> b -> a": the stack from where the cycle starts, then its start. */
static int fail_cycle(struct unit *units, const size_t *stack, size_t depth, size_t start, size_t j,
                      struct unotify_diags *diags)
{
        char text[1024];
        size_t len = 0;

        text[0] = '\0';
        for (size_t k = start; k < depth && len < sizeof(text); k++)
                len += (size_t)snprintf(text + len, sizeof(text) - len, "%s -> ",
                                        units[stack[k]].draft.name);
        if (len < sizeof(text))
                snprintf(text + len, sizeof(text) - len, "%s", units[stack[start]].draft.name);
        for (size_t k = start; k < depth; k++)
                units[stack[k]].ok = false;
        return fail_include(&units[stack[depth - 1]], j, diags, "include cycle: %s", text);
}

/* Depth-first: each back edge, hence each cycle, is found once. */
static int walk(struct unit *units, size_t i, size_t *stack, size_t depth,
                struct unotify_diags *diags)
{
        struct unit *u = &units[i];
        int r = 0, k;

        u->mark = GRAY;
        stack[depth++] = i;
        for (size_t j = 0; j < u->draft.n_includes; j++) {
                int e = 0;

                k = u->includes[j];
                if (k < 0)
                        continue;
                if (units[k].mark == GRAY) {
                        size_t start = depth;

                        while (stack[start - 1] != (size_t)k)
                                start--;
                        e = fail_cycle(units, stack, depth, start - 1, j, diags);
                } else if (units[k].mark == WHITE)
                        e = walk(units, (size_t)k, stack, depth, diags);
                if (e == -ENOMEM)
                        return e;
                r = r ?: e;
        }
        u->mark = BLACK;
        return r;
}

/* A policy that includes a refused one cannot be compiled either; the
 * refused one has said why. */
static void propagate(struct unit *units, size_t n)
{
        bool changed = true;

        while (changed) {
                changed = false;
                for (size_t i = 0; i < n; i++)
                        for (size_t j = 0; units[i].ok && j < units[i].draft.n_includes; j++) {
                                int k = units[i].includes[j];

                                if (k < 0 || !units[k].ok) {
                                        units[i].ok = false;
                                        changed = true;
                                }
                        }
        }
}

int units_link(struct unit *units, size_t n, struct unotify_diags *diags)
{
        _cleanup_(freep) size_t *stack = calloc(n ?: 1, sizeof(*stack));
        int r = 0, e;

        if (!stack)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                units[i].mark = WHITE;
                if (!units[i].draft.name)
                        continue; /* not parsed: nothing to resolve */
                e = resolve(units, n, i, diags);
                if (e == -ENOMEM)
                        return e;
                r = r ?: e;
        }
        for (size_t i = 0; i < n; i++) {
                if (!units[i].includes || units[i].mark != WHITE)
                        continue;
                e = walk(units, i, stack, 0, diags);
                if (e == -ENOMEM)
                        return e;
                r = r ?: e;
        }
        propagate(units, n);
        return r;
}

static void expand(struct unit *units, size_t i, struct compile_part *parts, size_t *count)
{
        struct unit *u = &units[i];

        if (u->mark)
                return;
        u->mark = 1;
        for (size_t j = 0; j < u->draft.n_includes; j++)
                expand(units, (size_t)u->includes[j], parts, count);
        parts[(*count)++] = (struct compile_part){ .draft = &u->draft, .origin = u->path };
}

size_t units_expand(struct unit *units, size_t n, size_t i, struct compile_part *parts)
{
        size_t count = 0;

        for (size_t k = 0; k < n; k++)
                units[k].mark = 0;
        expand(units, i, parts, &count);
        return count;
}
