/* Fuzz target for the daemon's reading of a string from a task's memory
 * (target_read_string, daemon/target.c): the path, mount and xattr
 * arguments every decision and handler starts from. The task is this
 * process: the bytes are placed so that they end right before a PROT_NONE
 * page, at any alignment, and read back through process_vm_readv page by
 * page, as from a sandboxed task.
 *
 * Checked on every input: the result is what the bytes say (the length up
 * to the first NUL within size bytes, -ENAMETOOLONG when there is none
 * and every byte is readable, else -EFAULT), the same as the fake reader
 * the handler fuzz targets use (fake_mem.h), and the same as the kernel's
 * own copy of the string: a PATH_MAX buffer against openat(2) of that
 * path, a 256-byte one against getxattr(2) of that name.
 *
 * Input: byte 0 picks the case and the buffer size (with bytes 1-2), the
 * rest is the memory before the unmapped page. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../daemon/notify/target.h"
#include "fake_mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define XATTR_BUF 256 /* what getxattr(2) copies at most, the NUL included */

/* What the bytes say: the string's length, or -ENAMETOOLONG, -EFAULT. */
static ssize_t expected(const uint8_t *mem, size_t len, size_t size)
{
        size_t limit = size < len ? size : len;
        const uint8_t *nul = limit ? memchr(mem, '\0', limit) : NULL;

        if (size == 0)
                return -EFAULT;
        if (nul)
                return nul - mem;
        return len >= size ? -ENAMETOOLONG : -EFAULT;
}

/* The kernel's getname(): EFAULT, ENAMETOOLONG, or the path looked up. */
static void check_path_kernel(uint64_t addr, ssize_t ours, const char *buf)
{
        long fd = syscall(SYS_openat, AT_FDCWD, (const char *)(uintptr_t)addr,
                          O_PATH | O_NOFOLLOW | O_CLOEXEC);
        int e = fd < 0 ? errno : 0;
        bool long_component = false;

        if (fd >= 0)
                close((int)fd);
        if (ours == -EFAULT || ours == -ENAMETOOLONG) {
                if (e != -ours)
                        fuzz_fail(__LINE__);
                return;
        }
        /* A name over NAME_MAX is the walk's ENAMETOOLONG, not the copy's. */
        for (const char *p = buf, *slash; *p; p = slash + 1) {
                slash = strchrnul(p, '/');
                long_component |= slash - p > NAME_MAX;
                if (!*slash)
                        break;
        }
        if (e == EFAULT || (e == ENAMETOOLONG && !long_component))
                fuzz_fail(__LINE__);
}

/* getxattr(2): ERANGE for an empty name or one without a NUL in 256 bytes. */
static void check_xattr_kernel(uint64_t addr, ssize_t ours)
{
        long r = syscall(SYS_getxattr, "/", (const char *)(uintptr_t)addr, NULL, 0);
        int e = r < 0 ? errno : 0;

        if (ours == -EFAULT                      ? e != EFAULT
            : ours == -ENAMETOOLONG || ours == 0 ? e != ERANGE
                                                 : e == ERANGE || e == EFAULT)
                fuzz_fail(__LINE__);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static char *buf, *fake_buf;
        struct fake_mem f;
        size_t bufsize, len;
        uint64_t addr;
        ssize_t ours, fake, want;

        if (size < 3)
                return 0;
        switch (data[0] % 3) {
        case 0:
                bufsize = (size_t)(data[1] | data[2] << 8) % (PATH_MAX + 64);
                break;
        case 1:
                bufsize = PATH_MAX;
                break;
        default:
                bufsize = XATTR_BUF;
                break;
        }
        data += 3, size -= 3;
        len = size < FAKE_MEM_SIZE ? size : FAKE_MEM_SIZE;
        if (!buf && (!(buf = malloc(PATH_MAX + 64)) || !(fake_buf = malloc(PATH_MAX + 64))))
                abort();
        addr = fake_mem_place(&f, data, len, NULL, 0);
        want = expected((const uint8_t *)(uintptr_t)addr, len, bufsize);
        ours = target_read_string(getpid(), addr, buf, bufsize);
        fake = bufsize ? fake_read_string(&f.mem, addr, fake_buf, bufsize) : -EFAULT;
        if (ours != want || fake != want)
                fuzz_fail(__LINE__);
        if (ours >= 0 && memcmp(buf, (const void *)(uintptr_t)addr, (size_t)ours + 1))
                fuzz_fail(__LINE__);
        if (ours == -ENAMETOOLONG && buf[bufsize - 1] != '\0')
                fuzz_fail(__LINE__);
        if (bufsize == PATH_MAX)
                check_path_kernel(addr, ours, buf);
        if (bufsize == XATTR_BUF)
                check_xattr_kernel(addr, ours);
        return 0;
}
