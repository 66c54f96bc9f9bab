/* "Did you mean ...?" for misspelt keys and syscall names. Error path
 * only: nothing here is fast, and none of it runs for a valid policy. */
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define SUGGEST_MAX_LEN 64
#define SUGGEST_MAX_DISTANCE 2
/* Enough for every ABI libseccomp knows whose numbers start near 0. */
#define SUGGEST_MAX_NR 1024

static unsigned min3(unsigned a, unsigned b, unsigned c)
{
        unsigned m = a < b ? a : b;

        return m < c ? m : c;
}

/* Optimal string alignment distance: insertions, deletions, substitutions
 * and swaps of two neighbours ("mkdri" -> "mkdir") cost one each. */
static unsigned distance(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b);
        unsigned d[SUGGEST_MAX_LEN + 1][SUGGEST_MAX_LEN + 1];

        /* Each edit changes the length by one at most. */
        if (la > SUGGEST_MAX_LEN || lb > SUGGEST_MAX_LEN || la + SUGGEST_MAX_DISTANCE < lb ||
            lb + SUGGEST_MAX_DISTANCE < la)
                return SUGGEST_MAX_DISTANCE + 1;
        for (size_t i = 0; i <= la; i++)
                d[i][0] = (unsigned)i;
        for (size_t j = 0; j <= lb; j++)
                d[0][j] = (unsigned)j;
        for (size_t i = 1; i <= la; i++)
                for (size_t j = 1; j <= lb; j++) {
                        unsigned cost = a[i - 1] != b[j - 1];

                        d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
                        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                            d[i - 2][j - 2] + 1 < d[i][j])
                                d[i][j] = d[i - 2][j - 2] + 1;
                }
        return d[la][lb];
}

/* A suggestion must be close, and closer than retyping the word. */
static bool close_enough(const char *s, const char *candidate, unsigned *best)
{
        unsigned dist = distance(s, candidate);

        if (dist > SUGGEST_MAX_DISTANCE || dist >= strlen(s) || dist >= *best)
                return false;
        *best = dist;
        return true;
}

const char *suggest_word(const char *s, const char *const *candidates, size_t n)
{
        unsigned best = SUGGEST_MAX_DISTANCE + 1;
        const char *found = NULL;

        for (size_t i = 0; i < n; i++)
                if (close_enough(s, candidates[i], &best))
                        found = candidates[i];
        return found;
}

/* libseccomp cannot list its names, so ask it for every number instead.
 * Once per file, and only when a name was not found. */
int suggest_syscall_names(const struct policy_arch *arches, size_t n_arches, char ***ret,
                          size_t *ret_count)
{
        char **names = calloc(n_arches * SUGGEST_MAX_NR, sizeof(*names));
        size_t n = 0;

        if (!names)
                return -ENOMEM;
        for (size_t a = 0; a < n_arches; a++)
                for (uint32_t nr = 0; nr < SUGGEST_MAX_NR; nr++) {
                        char *name = seccomp_syscall_resolve_num_arch(
                                arches[a].token, (int)(arches[a].nr_base + nr));

                        if (name)
                                names[n++] = name;
                }
        *ret = names;
        *ret_count = n;
        return 0;
}

void suggest_free_names(char **names, size_t count)
{
        for (size_t i = 0; i < count; i++)
                free(names[i]);
        free(names);
}
