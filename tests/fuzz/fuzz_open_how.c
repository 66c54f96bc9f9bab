/* Fuzz target for the open handler's decoding of what a task passes:
 * openat2's struct open_how (any size, any bytes) and open/openat's flags
 * and mode (daemon/handlers/open_how.h), and the joins that make the
 * task's path absolute (daemon/notify/target_path.h).
 *
 * The struct is checked against the running kernel: the same bytes go to
 * a real openat2() on a path that does not exist, which fails with
 * EINVAL, E2BIG or EAGAIN exactly when the kernel refuses the struct
 * itself, else with ENOENT. The daemon must refuse what the kernel
 * refuses, with the same errno, and accept the rest.
 *
 * Input: byte 0 picks the case, the rest is the struct (or the flags and
 * mode, or three NUL-separated strings for the joins). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../daemon/handlers/open_how.h"
#include "../../daemon/notify/target_path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char missing[] = "/nonexistent-unotify-fuzz/x";

static int kernel_verdict(const void *how, size_t size)
{
        long r = syscall(SYS_openat2, AT_FDCWD, missing, how, size);

        if (r >= 0) {
                close((int)r);
                abort(); /* cannot exist */
        }
        return errno == EINVAL || errno == E2BIG || errno == EAGAIN ? -errno : 0;
}

static void check_openat2(const uint8_t *data, size_t size)
{
        struct open_how how, raw = {};
        int ours = open_how_decode(data, size, &how);
        int theirs = kernel_verdict(data, size);

        memcpy(&raw, data, size < sizeof(raw) ? size : sizeof(raw));
        /* RESOLVE_CACHED may fail a lookup with EAGAIN too (nothing cached). */
        if (ours == 0 && theirs == -EAGAIN && (raw.resolve & RESOLVE_CACHED))
                return;
        if (ours != theirs)
                abort();
        if (ours == 0 && size >= sizeof(how) && memcmp(&how, data, sizeof(how)))
                abort();
}

static void check_legacy(const uint8_t *data, size_t size)
{
        uint64_t v[2] = { 0, 0 };
        struct open_how how;

        memcpy(v, data, size < sizeof(v) ? size : sizeof(v));
        how = open_how_legacy(v[0], v[1]);
        /* What open() makes of any flags is a struct openat2 accepts, but
         * for the combinations open() tolerates and openat2 refuses. */
        if (how.resolve || (how.mode & ~07777ull))
                abort();
        if ((how.flags & O_PATH) &&
            (how.flags & ~(uint64_t)(O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC)))
                abort();
        if (how.mode && !(how.flags & (O_CREAT | K_O_TMPFILE)))
                abort();
}

static void check_join(const uint8_t *data, size_t size)
{
        char s[3][4097] = { "", "", "" };
        char buf[4096];
        size_t k = 0, len = 0, cap = size ? data[0] % sizeof(buf) + 1 : 1;
        int r;

        for (size_t i = 1; i < size && k < 3; i++) {
                if (data[i] == '\0' || len == sizeof(s[k]) - 1) {
                        k++, len = 0;
                        continue;
                }
                s[k][len++] = (char)data[i];
        }
        /* s[0]: what the task wrote; s[1]: its cwd link; s[2]: its root link. */
        if (target_path_strip_root(s[1], s[2]) < 0) {
                if (s[1][0] == '/')
                        abort();
                return;
        }
        if (s[1][0] != '/')
                abort();
        r = target_path_join(s[1], s[0], buf, cap);
        if (r == -ENAMETOOLONG)
                return;
        if (r < 0 || (size_t)r >= cap || strlen(buf) != (size_t)r)
                abort();
        if (s[0][0] == '/' ? strcmp(buf, s[0]) != 0 : strncmp(buf, s[1], strlen(s[1])) != 0)
                abort();
        if (s[0][0] != '/' && strcmp(buf + r - strlen(s[0]), s[0]) != 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size == 0)
                return 0;
        switch (data[0] % 3) {
        case 0:
                check_openat2(data + 1, size - 1);
                break;
        case 1:
                check_legacy(data + 1, size - 1);
                break;
        default:
                check_join(data + 1, size - 1);
                break;
        }
        return 0;
}
