#include "learn/learn_rec.h"

#include <errno.h>
#include <linux/audit.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "unotify/macro.h"

/* x32 tasks report AUDIT_ARCH_X86_64 with this bit in the number. */
#define X32_SYSCALL_BIT 0x40000000u

static const struct learn_arg args[] = {
        { "clone", 0, true, false },         { "clone3", 0, true, true },
        { "socket", 0, false, false },       { "socket", 1, false, false },
        { "personality", 0, false, false },  { "ioctl", 1, false, false },
        { "prctl", 0, false, false },        { "mmap", 2, true, false },
        { "mmap2", 2, true, false },         { "mprotect", 2, true, false },
        { "pkey_mprotect", 2, true, false }, { "open", 1, true, false },
        { "openat", 2, true, false },
};

static const struct learn_path_arg path_args[] = {
        { "open", 0, -1 },      { "openat", 1, 0 },    { "openat2", 1, 0 },
        { "creat", 0, -1 },     { "execve", 0, -1 },   { "execveat", 1, 0 },
        { "stat", 0, -1 },      { "lstat", 0, -1 },    { "newfstatat", 1, 0 },
        { "statx", 1, 0 },      { "access", 0, -1 },   { "faccessat", 1, 0 },
        { "faccessat2", 1, 0 }, { "readlink", 0, -1 }, { "readlinkat", 1, 0 },
        { "mkdir", 0, -1 },     { "mkdirat", 1, 0 },   { "unlink", 0, -1 },
        { "unlinkat", 1, 0 },   { "rmdir", 0, -1 },    { "chdir", 0, -1 },
        { "truncate", 0, -1 },  { "chmod", 0, -1 },    { "fchmodat", 1, 0 },
        { "chown", 0, -1 },     { "lchown", 0, -1 },   { "fchownat", 1, 0 },
        { "rename", 0, -1 },    { "renameat", 1, 0 },  { "renameat2", 1, 0 },
        { "mknod", 0, -1 },     { "mknodat", 1, 0 },   { "symlink", 1, -1 },
        { "symlinkat", 2, 1 },  { "link", 1, -1 },     { "linkat", 3, 2 },
        { "utimensat", 1, 0 },  { "statfs", 0, -1 },   { "mount", 1, -1 },
        { "umount2", 0, -1 },   { "chroot", 0, -1 },   { "pivot_root", 0, -1 },
};

const struct learn_arg *learn_arg_at(size_t i)
{
        return i < ELEMENTSOF(args) ? &args[i] : NULL;
}

const struct learn_path_arg *learn_path_arg_at(size_t i)
{
        return i < ELEMENTSOF(path_args) ? &path_args[i] : NULL;
}

struct value_set {
        uint64_t *v; /* sorted */
        unsigned n;
        uint64_t bits; /* the union of every value seen, also past the cap */
        bool capped;
};

struct path_entry {
        char *s; /* NULL: empty slot */
        uint32_t hash;
        uint16_t group;
        bool prefix;
};

struct learn_rec {
        struct unotify_learn_limits lim;
        uint64_t calls, out_of_range;
        uint64_t seen[LEARN_ARCHES][LEARN_NR_MAX / 64];
        struct value_set values[ELEMENTSOF(args)];
        uint64_t values_capped; /* values dropped */
        struct path_entry *paths;
        size_t paths_size; /* slots, a power of two */
        unsigned n_exact, n_prefix;
        uint64_t paths_folded, paths_capped;
        size_t bytes;
        struct learn_budget *budget;
};

/* n more bytes for r: false (counted) when its budget has no room. */
static bool charge(struct learn_rec *r, size_t n)
{
        struct learn_budget *b = r->budget;

        if (b && (b->used + n > b->max || b->used + n < b->used)) {
                b->capped++;
                return false;
        }
        if (b)
                b->used += n;
        r->bytes += n;
        return true;
}

struct learn_rec *learn_rec_new(const struct unotify_learn_limits *limits,
                                struct learn_budget *budget)
{
        struct learn_rec *r = calloc(1, sizeof(*r));
        size_t size = 16;

        if (!r)
                return NULL;
        r->lim = *limits;
        r->budget = budget;
        /* Exact paths and prefixes, each up to max_paths, at most half full. */
        while (size < 4 * (size_t)limits->max_paths)
                size *= 2;
        if (!charge(r, sizeof(*r) + size * sizeof(*r->paths))) {
                learn_rec_free(r);
                errno = ENOSPC;
                return NULL;
        }
        r->paths_size = size;
        r->paths = calloc(size, sizeof(*r->paths));
        if (!r->paths) {
                learn_rec_free(r);
                errno = ENOMEM;
                return NULL;
        }
        return r;
}

struct learn_rec *learn_rec_free(struct learn_rec *r)
{
        if (!r)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(args); i++)
                free(r->values[i].v);
        for (size_t i = 0; r->paths && i < r->paths_size; i++)
                free(r->paths[i].s);
        free(r->paths);
        if (r->budget)
                r->budget->used -= r->bytes;
        free(r);
        return NULL;
}

void learn_rec_call(struct learn_rec *r, unsigned arch, uint32_t nr)
{
        r->calls++;
        if (arch >= LEARN_ARCHES || nr >= LEARN_NR_MAX) {
                r->out_of_range++;
                return;
        }
        r->seen[arch][nr / 64] |= UINT64_C(1) << (nr % 64);
}

void learn_rec_value(struct learn_rec *r, size_t arg, uint64_t v)
{
        struct value_set *s;
        unsigned lo = 0, hi;

        if (arg >= ELEMENTSOF(args))
                return;
        s = &r->values[arg];
        s->bits |= v;
        hi = s->n;
        while (lo < hi) {
                unsigned mid = (lo + hi) / 2;

                if (s->v[mid] == v)
                        return;
                if (s->v[mid] < v)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (s->n >= r->lim.max_values) {
                s->capped = true;
                r->values_capped++;
                return;
        }
        if (!s->v) {
                /* Allocated whole at the first value: no growth on the hot path. */
                if (!charge(r, r->lim.max_values * sizeof(*s->v))) {
                        s->capped = true;
                        r->values_capped++;
                        return;
                }
                s->v = calloc(r->lim.max_values, sizeof(*s->v));
                if (!s->v) {
                        s->capped = true;
                        return;
                }
        }
        memmove(s->v + lo + 1, s->v + lo, (s->n - lo) * sizeof(*s->v));
        s->v[lo] = v;
        s->n++;
}

static uint32_t path_hash(size_t group, bool prefix, const char *s)
{
        uint32_t h = 2166136261u ^ (uint32_t)(group * 2 + prefix);

        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 16777619u;
        return h;
}

/* The slot of (group, prefix, s): its entry, or the empty slot it goes in. */
static struct path_entry *path_slot(const struct learn_rec *r, size_t group, bool prefix,
                                    const char *s, uint32_t h)
{
        size_t mask = r->paths_size - 1;

        for (size_t i = h & mask;; i = (i + 1) & mask) {
                struct path_entry *e = &r->paths[i];

                if (!e->s || (e->hash == h && e->group == group && e->prefix == prefix &&
                              strcmp(e->s, s) == 0))
                        return e;
        }
}

/* The first depth components of path into buf (size > strlen(path)). */
static void fold(const char *path, unsigned depth, char *buf)
{
        size_t n = 0;
        unsigned seen = 0;

        buf[n++] = '/';
        for (const char *p = path + 1; *p; p++) {
                if (*p == '/' && ++seen >= depth)
                        break;
                buf[n++] = *p;
        }
        buf[n] = '\0';
}

static int path_put(struct learn_rec *r, size_t group, bool prefix, const char *s)
{
        uint32_t h = path_hash(group, prefix, s);
        struct path_entry *e = path_slot(r, group, prefix, s, h);
        unsigned *count = prefix ? &r->n_prefix : &r->n_exact;
        size_t n;

        if (e->s)
                return 0;
        if (*count >= r->lim.max_paths)
                return -ENOSPC;
        n = strlen(s);
        if (!charge(r, n + 1))
                return -ENOSPC;
        e->s = strndup(s, n);
        if (!e->s)
                return -ENOMEM;
        e->hash = h;
        e->group = (uint16_t)group;
        e->prefix = prefix;
        (*count)++;
        return 0;
}

int learn_rec_path(struct learn_rec *r, size_t group, const char *path)
{
        char folded[LEARN_PATH_KEEP_MAX + 1];
        size_t n = strlen(path);
        int k;

        if (group >= ELEMENTSOF(path_args) || path[0] != '/')
                return 0;
        k = n <= LEARN_PATH_KEEP_MAX ? path_put(r, group, false, path) : -ENOSPC;
        if (k != -ENOSPC)
                return k;
        /* Too many paths (or too long): keep its first components. */
        if (n >= sizeof(folded))
                n = sizeof(folded) - 1;
        memcpy(folded, path, n);
        folded[n] = '\0';
        fold(folded, r->lim.path_depth, folded);
        r->paths_folded++;
        k = path_put(r, group, true, folded);
        if (k == -ENOSPC) {
                r->paths_capped++;
                return 0;
        }
        return k;
}

int learn_rec_merge(struct learn_rec *into, const struct learn_rec *from)
{
        into->calls += from->calls;
        into->out_of_range += from->out_of_range;
        for (size_t a = 0; a < LEARN_ARCHES; a++)
                for (size_t i = 0; i < LEARN_NR_MAX / 64; i++)
                        into->seen[a][i] |= from->seen[a][i];
        for (size_t i = 0; i < ELEMENTSOF(args); i++) {
                const struct value_set *s = &from->values[i];

                for (unsigned k = 0; k < s->n; k++)
                        learn_rec_value(into, i, s->v[k]);
                into->values[i].bits |= s->bits;
                into->values[i].capped |= s->capped;
        }
        into->values_capped += from->values_capped;
        into->paths_folded += from->paths_folded;
        into->paths_capped += from->paths_capped;
        for (size_t i = 0; i < from->paths_size; i++) {
                const struct path_entry *e = &from->paths[i];
                int k;

                if (!e->s)
                        continue;
                k = e->prefix ? path_put(into, e->group, true, e->s)
                              : learn_rec_path(into, e->group, e->s);
                if (k == -ENOSPC)
                        into->paths_capped++;
                else if (k < 0)
                        return k;
        }
        return 0;
}

/* The ABIs a filter covers (policy/compile/filter.c): native, then compat. */
static uint32_t arch_token(unsigned slot)
{
        uint32_t native = seccomp_arch_native();

        if (slot == 0)
                return native;
        if (native == SCMP_ARCH_X86_64)
                return slot == 1 ? SCMP_ARCH_X86 : SCMP_ARCH_X32;
        if (native == SCMP_ARCH_AARCH64 && slot == 1)
                return SCMP_ARCH_ARM;
        return 0;
}

int learn_arch_slot(uint32_t audit_arch, uint32_t nr, uint32_t *ret_nr)
{
        uint32_t native = seccomp_arch_native();

        *ret_nr = nr;
        if (native == SCMP_ARCH_X86_64 && audit_arch == AUDIT_ARCH_X86_64 &&
            (nr & X32_SYSCALL_BIT)) {
                *ret_nr = nr & ~X32_SYSCALL_BIT;
                return 2;
        }
        for (unsigned s = 0; s < LEARN_ARCHES; s++)
                if (arch_token(s) && arch_token(s) == audit_arch)
                        return (int)s;
        return -1;
}

static const char *arch_oci_name(uint32_t token)
{
        switch (token) {
        case SCMP_ARCH_X86_64:
                return "SCMP_ARCH_X86_64";
        case SCMP_ARCH_X86:
                return "SCMP_ARCH_X86";
        case SCMP_ARCH_X32:
                return "SCMP_ARCH_X32";
        case SCMP_ARCH_AARCH64:
                return "SCMP_ARCH_AARCH64";
        case SCMP_ARCH_ARM:
                return "SCMP_ARCH_ARM";
        default:
                return NULL;
        }
}

static json_t *syscalls_json(const struct learn_rec *r)
{
        json_t *o = json_object();

        for (unsigned a = 0; o && a < LEARN_ARCHES; a++) {
                uint32_t token = arch_token(a), base = a == 2 ? X32_SYSCALL_BIT : 0;
                const char *arch = arch_oci_name(token);
                json_t *names = NULL;

                for (uint32_t nr = 0; arch && nr < LEARN_NR_MAX; nr++) {
                        char *name;

                        if (!(r->seen[a][nr / 64] >> (nr % 64) & 1))
                                continue;
                        name = seccomp_syscall_resolve_num_arch(token, (int)(nr + base));
                        if (!names)
                                names = json_array();
                        if (names && name)
                                json_array_append_new(names, json_string(name));
                        free(name);
                }
                if (names)
                        json_object_set_new(o, arch, names);
        }
        return o;
}

static json_t *values_json(const struct learn_rec *r)
{
        json_t *arr = json_array();

        for (size_t i = 0; arr && i < ELEMENTSOF(args); i++) {
                const struct value_set *s = &r->values[i];
                json_t *vals = json_array();

                if (!vals || (s->n == 0 && !s->capped)) {
                        json_decref(vals);
                        continue;
                }
                /* The spec's values are u64; JSON's integers i64: the bits. */
                for (unsigned k = 0; k < s->n; k++)
                        json_array_append_new(vals, json_integer((json_int_t)s->v[k]));
                json_array_append_new(arr, json_pack("{s:s, s:i, s:b, s:o, s:I, s:b}", "name",
                                                     args[i].name, "index", (int)args[i].index,
                                                     "flags", args[i].flags, "values", vals, "bits",
                                                     (json_int_t)s->bits, "capped", s->capped));
        }
        return arr;
}

static json_t *paths_json(const struct learn_rec *r)
{
        json_t *groups[ELEMENTSOF(path_args)][2] = {};
        json_t *arr = json_array();

        for (size_t i = 0; arr && i < r->paths_size; i++) {
                const struct path_entry *e = &r->paths[i];
                json_t **slot;

                if (!e->s)
                        continue;
                slot = &groups[e->group][e->prefix];
                if (!*slot)
                        *slot = json_array();
                if (*slot)
                        json_array_append_new(*slot, json_string(e->s));
        }
        for (size_t g = 0; g < ELEMENTSOF(path_args); g++) {
                if (!groups[g][0] && !groups[g][1])
                        continue;
                json_array_append_new(
                        arr,
                        json_pack("{s:s, s:i, s:i, s:o, s:o}", "name", path_args[g].name, "index",
                                  (int)path_args[g].index, "dirfd", path_args[g].dirfd, "exact",
                                  groups[g][0] ? groups[g][0] : json_array(), "prefix",
                                  groups[g][1] ? groups[g][1] : json_array()));
        }
        return arr;
}

json_t *learn_rec_json(const struct learn_rec *r)
{
        return json_pack("{s:I, s:{s:i, s:i, s:i}, s:{s:I, s:I, s:I, s:I}, s:o*, s:o*, s:o*}",
                         "notifications", (json_int_t)r->calls, "limits", "pathDepth",
                         (int)r->lim.path_depth, "maxValues", (int)r->lim.max_values, "maxPaths",
                         (int)r->lim.max_paths, "capped", "values", (json_int_t)r->values_capped,
                         "paths", (json_int_t)r->paths_capped, "pathsFolded",
                         (json_int_t)r->paths_folded, "callsOutOfRange",
                         (json_int_t)r->out_of_range, "syscalls", syscalls_json(r), "args",
                         values_json(r), "paths", paths_json(r));
}

uint64_t learn_rec_calls(const struct learn_rec *r)
{
        return r->calls;
}

size_t learn_rec_bytes(const struct learn_rec *r)
{
        return r->bytes;
}
