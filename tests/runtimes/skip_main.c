/* main() for the runtime test binaries: Criterion's own exits 0 when every
 * test skipped, so ctest would say "Passed" for a runtime that is not
 * installed. This one exits SKIP_EXIT_CODE then (the tests' SKIP_RETURN_CODE
 * in tests/CMakeLists.txt), so ctest says "Not Run (Skipped)". */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdbool.h>

#define SKIP_EXIT_CODE 77

static bool all_skipped;

#ifdef UNOTIFY_SKIP_IF_ANY
/* A binary one of whose tests skips a part it could not run (the soak's
 * containers): that part is reported, though the rest passed. A test left
 * out by --filter does not count (it never ran). */
ReportHook(POST_TEST)(struct criterion_test_stats *stats)
{
        all_skipped |= stats->test_status == CR_STATUS_SKIPPED;
}
#endif

/* Runs in the runner process, after the last test. */
ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
        all_skipped |= stats->nb_tests > 0 && stats->tests_skipped == stats->nb_tests;
}

int main(int argc, char *argv[])
{
        struct criterion_test_set *tests = criterion_initialize();
        int status = 0;

        if (criterion_handle_args(argc, argv, true))
                status = criterion_run_all_tests(tests) ? 0 : 1;
        criterion_finalize(tests);
        if (status == 0 && all_skipped)
                return SKIP_EXIT_CODE;
        return status;
}
