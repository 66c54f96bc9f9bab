/* Fuzz target for what a peer sends to the handoff socket: the incremental
 * JSON scanner and the message parser. Built for libFuzzer with
 * -DUNOTIFY_FUZZ=ON (clang); the same function runs in ctest through
 * fuzz_driver.c on seeds and deterministic mutations of them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemon/sockets/handoff_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct json_scan whole = {}, split = {};
        const char *buf = (const char *)data;
        struct handoff_msg m;
        char err[256];
        int r1, r2;

        r1 = json_scan_feed(&whole, buf, size);
        /* Fed in two parts, the scanner must agree with one pass. */
        r2 = json_scan_feed(&split, buf, size / 2);
        if (r2 == 0)
                r2 = json_scan_feed(&split, buf, size);
        if (r1 != r2 || (r1 == 1 && whole.end != split.end) || whole.end > size)
                abort();

        if (r1 == 1 && handoff_msg_parse(buf, whole.end, size % 3, &m, err, sizeof(err)) == 0) {
                if (m.kind == HANDOFF_STATE && (m.seccomp_fd_index < 0 || !m.container_id))
                        abort();
                if (m.kind == HANDOFF_QUERY && !m.query_policy)
                        abort();
                handoff_msg_clear(&m);
        } else if (r1 == 1 && strnlen(err, sizeof(err)) == 0) {
                abort(); /* every refusal must say why */
        }
        return 0;
}
