/* The hot path of a plain answer (errno, CONTINUE, a fixed value) makes no
 * heap allocation: the daemon runs with a counting allocator preloaded
 * (alloc_count.c), twice, with 20x more notifications the second time;
 * the two totals must not differ by the number of extra notifications. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define ALLOC_SHIM BIN("tests/libunotify-alloc-count.so")

static const struct test_policy policies[] = {
        { "hot-errno.json",
          "{\"name\":\"hot-errno\",\"defaultAction\":\"SCMP_ACT_ALLOW\","
          "\"syscalls\":[{\"names\":[\"mkdir\"],"
          "\"notify\":true,\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":\"EPERM\"}]}" },
        { "hot-continue.json", "{\"name\":\"hot-continue\",\"defaultAction\":\"SCMP_ACT_ALLOW\","
                               "\"syscalls\":[{\"names\":[\"mkdir\"],"
                               "\"notify\":true,\"action\":\"SCMP_ACT_ALLOW\"}]}" },
        { "hot-return.json",
          "{\"name\":\"hot-return\",\"defaultAction\":\"SCMP_ACT_ALLOW\","
          "\"syscalls\":[{\"names\":[\"mkdir\"],"
          "\"notify\":true,\"action\":\"UNOTIFY_ACT_RETURN\",\"returnValue\":0}]}" },
        {},
};

/* One daemon run: each policy, one thread then 32 threads (a busy
 * listener, answered with one answer held), `iterations` mkdir calls per
 * thread. Returns the daemon's allocation count. */
static unsigned long allocations_for(int iterations)
{
        static const char *const names[] = { "hot-errno", "hot-continue", "hot-return" };
        char count_file[] = "/tmp/unotify-allocs.XXXXXX", iter[16], path[320];
        struct test_daemon d = { .default_log_level =
                                         true }; /* -v would log (and allocate) per call */
        struct cmd_result res;
        unsigned long n = 0;
        FILE *f;
        int fd = mkstemp(count_file);

        cr_assert_geq(fd, 0);
        close(fd);
        setenv("LD_PRELOAD", ALLOC_SHIM, 1);
        setenv("UNOTIFY_ALLOC_COUNT_FILE", count_file, 1);
        daemon_start(&d, policies, false);
        unsetenv("LD_PRELOAD");
        unsetenv("UNOTIFY_ALLOC_COUNT_FILE");
        snprintf(iter, sizeof(iter), "%d", iterations);
        snprintf(path, sizeof(path), "%s/exists", d.dir);
        write_file(path, "");
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                for (int threads = 1; threads <= 32; threads += 31) {
                        char nthreads[8];

                        snprintf(nthreads, sizeof(nthreads), "%d", threads);
                        run_sandboxed(&d, names[i],
                                      (const char *const[]){ PROBE, "threads", nthreads, iter, path,
                                                             NULL },
                                      &res);
                        cr_assert_eq(res.status, 0, "%s: %s", names[i], res.err);
                        cr_assert(strstr(res.out, "threads:"), "%s", res.out);
                }
        }
        daemon_stop(&d);
        f = fopen(count_file, "re");
        cr_assert_not_null(f);
        cr_assert_eq(fscanf(f, "%lu", &n), 1);
        fclose(f);
        unlink(count_file);
        return n;
}

Test(hotpath, no_allocation_per_plain_answer, .timeout = 120)
{
        /* 3 policies x 33 threads x (1000 - 50) = 94,050 more notifications */
        unsigned long few = allocations_for(50), many = allocations_for(1000);

        cr_log_info("allocations: %lu with 50 calls per thread, %lu with 1000", few, many);
        cr_assert_gt(few, 0, "the counting allocator was not loaded");
        cr_assert_lt(many > few ? many - few : few - many, 100,
                     "%lu allocations with 50 calls a thread, %lu with 1000", few, many);
}
