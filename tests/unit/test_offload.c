/* daemon/emulate/offload.c: jobs that finish are copied back; jobs that block are
 * abandoned after the timeout, counted until they end, and bounded. */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "emulate/offload.h"

#define SHORT_NS (20ull * 1000 * 1000)

struct job {
        int fd; /* read one byte from it first; -1: do not */
        int value;
        char text[32];
};

static void run_job(void *p)
{
        struct job *j = p;
        char c;

        if (j->fd >= 0 && read(j->fd, &c, 1) != 1)
                return;
        j->value *= 2;
        strcpy(j->text, "done");
}

static void wait_stuck(unsigned want)
{
        for (int i = 0; i < 5000 && offload_stuck() != want; i++)
                poll(NULL, 0, 1);
        cr_assert_eq(offload_stuck(), want);
}

Test(offload, finished_job_is_copied_back, .timeout = 60)
{
        struct job j = { .fd = -1, .value = 21 };

        cr_assert_eq(offload_run(run_job, &j, sizeof(j), OFFLOAD_TIMEOUT_NS), 0);
        cr_assert_eq(j.value, 42);
        cr_assert_str_eq(j.text, "done");
        cr_assert_eq(offload_stuck(), 0);
}

/* A job that blocks until we let it go: the caller gets -ETIMEDOUT and its
 * own copy untouched; the job is counted until it ends. */
Test(offload, blocked_job_is_abandoned, .timeout = 60)
{
        int p[2];
        struct job j;

        cr_assert_eq(pipe(p), 0);
        j = (struct job){ .fd = p[0], .value = 21 };
        cr_assert_eq(offload_run(run_job, &j, sizeof(j), SHORT_NS), -ETIMEDOUT);
        cr_assert_eq(j.value, 21);
        cr_assert_eq(offload_stuck(), 1);
        cr_assert_eq(write(p[1], "x", 1), 1);
        wait_stuck(0);
        close(p[0]);
        close(p[1]);
}

/* At most OFFLOAD_STUCK_MAX abandoned jobs; then new ones are refused
 * without running, until one ends. */
Test(offload, abandoned_jobs_are_bounded, .timeout = 60)
{
        int p[2];
        struct job j;

        cr_assert_eq(pipe(p), 0);
        for (unsigned i = 0; i < OFFLOAD_STUCK_MAX; i++) {
                j = (struct job){ .fd = p[0], .value = 1 };
                cr_assert_eq(offload_run(run_job, &j, sizeof(j), SHORT_NS), -ETIMEDOUT, "job %u",
                             i);
        }
        j = (struct job){ .fd = -1, .value = 1 };
        cr_assert_eq(offload_run(run_job, &j, sizeof(j), OFFLOAD_TIMEOUT_NS), -EAGAIN);
        cr_assert_eq(j.value, 1, "a refused job must not run");
        cr_assert_eq(write(p[1], "x", 1), 1);
        wait_stuck(OFFLOAD_STUCK_MAX - 1);
        cr_assert_eq(offload_run(run_job, &j, sizeof(j), OFFLOAD_TIMEOUT_NS), 0);
        cr_assert_eq(j.value, 2);
        cr_assert_eq(write(p[1], "xxxxxxx", OFFLOAD_STUCK_MAX - 1), OFFLOAD_STUCK_MAX - 1);
        wait_stuck(0);
        close(p[0]);
        close(p[1]);
}
