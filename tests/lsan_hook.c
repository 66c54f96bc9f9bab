/* Linked into every Criterion test binary. Criterion 2.4.1's runner leaks
 * a 48-byte BoxFort timeout request when timed tests end together
 * (bxfi_cancel_timeout's list handling). The runner runs none of our code,
 * so excuse libcriterion there only; in the workers (BoxFort sets BXFI_MAP)
 * every leak still counts. Only read by LeakSanitizer builds. */
#include <stdlib.h>

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
        return getenv("BXFI_MAP") ? "" : "leak:libcriterion.so\n";
}
