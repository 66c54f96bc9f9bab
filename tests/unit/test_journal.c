/* The preemption journal (daemon/emulate/preempt_journal.h): a restarted call
 * gets the first one's result, the same open file, and the journal stays
 * bounded. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "handlers/handler.h"
#include "emulate/preempt_journal.h"

static struct emul_call call(pid_t tid, uint64_t path_arg, const char *path)
{
        struct emul_call c = { .fd = -1 };

        c.req.pid = (uint32_t)tid;
        c.req.data.nr = 133;
        c.req.data.args[0] = path_arg;
        c.key_digest = journal_digest(&c.req, path, strlen(path));
        return c;
}

Test(journal, restarted_call_gets_the_result_once_made, .timeout = 60)
{
        struct journal *j = journal_new();
        struct emul_call first = call(10, 0x1000, "/a"), again = call(10, 0x1000, "/a");
        struct emul_call other_thread = call(11, 0x1000, "/a"), other_path = call(10, 0x1000, "/b");

        cr_assert_not(journal_begin(j, &first), "nothing recorded yet");
        first.side_effect = true;
        first.val = 0;
        journal_end(j, &first);
        cr_assert(journal_begin(j, &again), "the restart is answered from the journal");
        cr_assert(again.replayed);
        cr_assert_eq(again.error, 0);
        cr_assert_not(journal_begin(j, &other_thread), "another thread's call is its own");
        journal_end(j, &other_thread);
        cr_assert_not(journal_begin(j, &other_path), "another path is another call");
        journal_end(j, &other_path);
        cr_assert_eq(journal_size(j), 1, "calls without a side effect are forgotten");
        journal_free(j);
}

Test(journal, an_fd_result_is_the_same_open_file, .timeout = 60)
{
        struct journal *j = journal_new();
        struct emul_call first = call(10, 0x1000, "/x"), again = call(10, 0x1000, "/x");
        struct stat a, b;

        cr_assert_not(journal_begin(j, &first));
        first.fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        first.side_effect = true;
        journal_end(j, &first);
        cr_assert(journal_begin(j, &again));
        cr_assert_geq(again.fd, 0);
        cr_assert_neq(again.fd, first.fd, "a copy: the first is closed after its answer");
        cr_assert_eq(fstat(first.fd, &a), 0);
        cr_assert_eq(fstat(again.fd, &b), 0);
        cr_assert(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
        close(first.fd);
        close(again.fd);
        journal_free(j); /* closes its own copy */
}

Test(journal, bounded, .timeout = 60)
{
        struct journal *j = journal_new();
        char path[32];

        for (int i = 0; i < 3 * JOURNAL_MAX; i++) {
                struct emul_call c;

                snprintf(path, sizeof(path), "/n%d", i);
                c = call(10, 0x1000, path);
                cr_assert_not(journal_begin(j, &c));
                c.fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                c.side_effect = true;
                journal_end(j, &c);
                journal_answered(j, &c);
                close(c.fd);
        }
        cr_assert_eq(journal_size(j), JOURNAL_MAX);
        journal_free(j);
}
