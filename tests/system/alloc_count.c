/* LD_PRELOAD shim for the hot-path test: counts every heap allocation of
 * the process it is loaded into and writes the count to the file named by
 * UNOTIFY_ALLOC_COUNT_FILE when the process exits. glibc routes its own
 * internal allocations (strdup, fopen, ...) through these symbols too. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t align, size_t size);
extern void __libc_free(void *p);

static atomic_ulong allocations;

void *malloc(size_t size)
{
        atomic_fetch_add(&allocations, 1);
        return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
        atomic_fetch_add(&allocations, 1);
        return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
        atomic_fetch_add(&allocations, 1);
        return __libc_realloc(p, size);
}

void *memalign(size_t align, size_t size)
{
        atomic_fetch_add(&allocations, 1);
        return __libc_memalign(align, size);
}

void *aligned_alloc(size_t align, size_t size)
{
        return memalign(align, size);
}

int posix_memalign(void **ret, size_t align, size_t size)
{
        void *p = memalign(align, size);

        if (!p)
                return ENOMEM;
        *ret = p;
        return 0;
}

void free(void *p)
{
        __libc_free(p);
}

__attribute__((destructor)) static void write_count(void)
{
        const char *path = getenv("UNOTIFY_ALLOC_COUNT_FILE");
        char line[32];
        FILE *f;

        if (!path)
                return;
        snprintf(line, sizeof(line), "%lu\n", atomic_load(&allocations));
        f = fopen(path, "we");
        if (f) {
                fputs(line, f);
                fclose(f);
        }
}
