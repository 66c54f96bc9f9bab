/* Fuzz target for the xattr handler's decoding (daemon/handlers/
 * xattr_args.h): the name, value size and flags a task passes, read from
 * a fake address space, and the name against a rule's list.
 *
 * Checked against the running kernel: the same pointers and numbers go to
 * a real setxattr/lsetxattr/removexattr/lremovexattr of a path that does
 * not exist, which fails with ENOENT exactly when the kernel took the
 * arguments themselves. The daemon must give the kernel's errno, in the
 * kernel's order, and accept the rest. An allowed name must match an
 * entry (a prefix when it ends in ".").
 *
 * Input: byte 0 the call (0..5), 4 bytes flags, 4 bytes size, byte 9 how
 * the name is placed (0: NUL-terminated, 1: NULL, 2: no terminator before
 * an unmapped page), then "entry\nentry\n...\0name". */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../daemon/handlers/xattr_args.h"
#include "fake_mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char missing[] = "/nonexistent-unotify-fuzz/x";
static char value[XATTR_VALUE_MAX + 4096];

static int kernel_verdict(int which, uint64_t name, uint64_t vsize, unsigned flags)
{
        static const long nr[] = { SYS_setxattr, SYS_lsetxattr, 0, SYS_removexattr,
                                   SYS_lremovexattr };
        long r = which < 3
                         ? syscall(nr[which], missing, (void *)(uintptr_t)name, value, vsize, flags)
                         : syscall(nr[which], missing, (void *)(uintptr_t)name);

        if (r == 0)
                fuzz_fail(__LINE__); /* cannot exist */
        return errno == ENOENT ? 0 : -errno;
}

/* Entries as the loader takes them: trusted. or user., then more. */
static size_t entries(char *list, const char **ret, size_t max)
{
        size_t n = 0;

        for (char *save = NULL, *e = strtok_r(list, "\n", &save); e && n < max;
             e = strtok_r(NULL, "\n", &save))
                if ((!strncmp(e, "trusted.", 8) && e[8]) || (!strncmp(e, "user.", 5) && e[5]))
                        ret[n++] = e;
        return n;
}

static void check_allowed(const struct unotify_handler_options *o, const char *name)
{
        bool match = false;

        for (size_t i = 0; i < o->n_xattr_names; i++) {
                size_t len = strlen(o->xattr_names[i]);

                match |= o->xattr_names[i][len - 1] == '.' ? !strncmp(name, o->xattr_names[i], len)
                                                           : !strcmp(name, o->xattr_names[i]);
        }
        if (!o->n_xattr_names)
                match = !strncmp(name, "trusted.overlay.", 16);
        if (xattr_name_allowed(o, name) != match)
                fuzz_fail(__LINE__);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct unotify_handler_options o = { .refuse_errno = EPERM };
        struct xattr_args x = {};
        struct fake_mem f;
        const char *list[8];
        char buf[8192], path[sizeof(missing)];
        __u64 args[6] = {};
        uint32_t flags, vsize;
        size_t body, nlen;
        char *name;
        int which, r;

        if (size < 10 || size - 10 >= sizeof(buf))
                return 0;
        which = data[0] % 6;
        memcpy(&flags, data + 1, 4);
        memcpy(&vsize, data + 5, 4);
        vsize %= XATTR_VALUE_MAX + 2048;
        body = size - 10;
        memcpy(buf, data + 10, body);
        buf[body] = '\0';
        name = memchr(buf, '\0', body) ? buf + strlen(buf) + 1 : buf + body;
        nlen = (size_t)(buf + body - name);
        o.n_xattr_names = entries(buf, list, 8);
        o.xattr_names = list;

        /* The name at the end of the guarded region (its NUL too, unless
         * mode 2); the path beside it, the value in the second region. */
        memcpy(path, missing, sizeof(missing));
        {
                char placed[8192 + sizeof(missing)];
                size_t n = nlen + (data[9] % 3 == 2 ? 0 : 1);
                uint64_t at;

                memcpy(placed, path, sizeof(path));
                memcpy(placed + sizeof(path), name, nlen);
                placed[sizeof(path) + nlen] = '\0';
                at = fake_mem_place(&f, placed, sizeof(path) + n, value, sizeof(value));
                args[0] = which == 2 || which == 5 ? 3 : at;
                args[1] = data[9] % 3 == 1 ? 0 : at + sizeof(path);
        }
        args[2] = (uint64_t)(uintptr_t)value;
        args[3] = vsize;
        args[4] = flags;

        r = xattr_args_read(&f.mem, which, args, &x);
        if (which != 2 && which != 5) {
                int theirs = kernel_verdict(which, args[1], vsize, flags);

                if (r != theirs) {
                        fprintf(stderr, "ours %d kernel's %d (call %d, name %zu bytes)\n", r,
                                theirs, which, nlen);
                        fuzz_fail(__LINE__);
                }
        }
        if (r == 0) {
                if (!x.name[0] || strlen(x.name) > XATTR_NAME_MAX_LEN ||
                    (x.set && x.size > XATTR_VALUE_MAX))
                        fuzz_fail(__LINE__);
                check_allowed(&o, x.name);
        }
        xattr_args_done(&x);
        return 0;
}
