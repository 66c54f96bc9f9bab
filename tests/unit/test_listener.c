/* The daemon's hot-path objects alone, on real kernel objects: a seccomp
 * listener from a real filter installed in a child (notify/listener.h),
 * the listener set answering it through respond.c
 * (notify/listener_set.h), and the in-flight journal
 * (restart/inflight.h), including a notification received by "a previous
 * process" and answered from the journal. No daemon, no sockets. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "metrics/metrics.h"
#include "metrics/stats.h"
#include "notify/listener.h"
#include "notify/listener_set.h"
#include "restart/inflight.h"
#include "restart/inflight_format.h"
#include "seccomp_child.h"
#include "unotify/policy.h"

/* A child whose getppid(2) goes to the listener it sent us; it makes the
 * call once, its exit status says how it went (seccomp_child_caller). */
struct target {
        pid_t pid;
        int listener;
};

static struct target target_start(void)
{
        struct target t;

        t.listener = seccomp_child_caller(&t.pid);
        return t;
}

/* The child's exit status (see seccomp_child.h). */
static int target_wait(struct target *t)
{
        int status;

        cr_assert_eq(waitpid(t->pid, &status, 0), t->pid);
        cr_assert(WIFEXITED(status), "child did not exit (status %#x)", status);
        return WEXITSTATUS(status);
}

static void target_kill(struct target *t)
{
        seccomp_child_kill(t->pid);
}

/* Every slot of the journal's memfd free (read through its own mapping). */
static bool journal_empty(const struct inflight *j)
{
        struct inflight_file *f = mmap(NULL, sizeof(*f), PROT_READ, MAP_SHARED, inflight_fd(j), 0);
        bool empty = true;

        cr_assert_neq(f, MAP_FAILED);
        cr_assert_eq(memcmp(f->magic, INFLIGHT_MAGIC, sizeof(f->magic)), 0);
        for (int i = 0; i < INFLIGHT_SLOTS; i++)
                empty = empty && f->slots[i].listener_id == 0;
        munmap(f, sizeof(*f));
        return empty;
}

static bool fd_open(int fd)
{
        return fcntl(fd, F_GETFD) >= 0;
}

static struct unotify_policy *deny_all(void)
{
        struct unotify_policy *p;

        cr_assert_eq(unotify_policy_new_deny_all("(deny-all)", EPERM, &p), 0);
        return p;
}

Test(listener, fd_is_seccomp)
{
        struct target t = target_start();
        int pipefd[2];

        cr_assert(listener_fd_is_seccomp(t.listener));
        cr_assert_eq(pipe(pipefd), 0);
        cr_assert_not(listener_fd_is_seccomp(pipefd[0]));
        close(pipefd[0]);
        close(pipefd[1]);
        target_kill(&t);
        close(t.listener);
}

Test(listener, last_unref_closes)
{
        struct target t = target_start();
        struct daemon_stats stats = {};
        struct listener *l;
        int fd = t.listener;

        cr_assert_eq(listener_new(fd, deny_all(), "c1", t.pid, 7, &stats, NULL, &l), 0);
        cr_assert_eq(l->refs, 1);
        cr_assert_eq(listener_ref(l), l);
        cr_assert_null(listener_unref(l));
        /* One reference left (an emulation's): the fd stays open. */
        cr_assert(fd_open(fd));
        cr_assert_eq(listener_keep_origin(l, "k=v", (char *const[]){ "a", "b" }, 1), 0);
        cr_assert_str_eq(l->annotations[1], "b");
        listener_unref(l);
        cr_assert_not(fd_open(fd), "the last unref must close the listener fd");
        target_kill(&t);
}

struct hooks_seen {
        int added, removed, gone;
};

static void seen_added(void *u, struct listener *l)
{
        (void)l;
        ((struct hooks_seen *)u)->added++;
}

static void seen_removed(void *u, struct listener *l)
{
        (void)l;
        ((struct hooks_seen *)u)->removed++;
}

static void seen_gone(void *u, struct listener *l)
{
        (void)l;
        ((struct hooks_seen *)u)->gone++;
}

/* Run the loop until the child has exited or the deadline. */
static int serve_until_exit(struct ev_loop *loop, struct target *t)
{
        for (int i = 0; i < 500; i++) {
                int status;
                pid_t r = waitpid(t->pid, &status, WNOHANG);

                if (r == t->pid)
                        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
                ev_run(loop, EVRUN_NOWAIT);
                usleep(10000);
        }
        return -2;
}

Test(listener_set, answers_by_policy_and_removes_on_hangup)
{
        struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
        struct daemon_stats stats = {};
        struct metrics metrics = {};
        struct hooks_seen seen = {};
        const struct listener_hooks hooks = {
                .userdata = &seen,
                .added = seen_added,
                .removed = seen_removed,
                .gone = seen_gone,
        };
        struct listener_set *s;
        struct inflight *j;
        struct listener *l;
        struct target t;
        int fd;

        cr_assert_eq(listener_set_new(loop, false, &stats, &metrics, &hooks, &s), 0);
        cr_assert_eq(inflight_new(-1, &j), 0);
        s->inflight = j;
        t = target_start();
        fd = t.listener;
        cr_assert_eq(listener_set_add(s, fd, deny_all(), "c1", t.pid, 0, &l), 0);
        cr_assert_eq(l->id, 1);
        cr_assert_eq(s->n_listeners, 1);
        cr_assert_eq(seen.added, 1);
        listener_ref(l); /* the test's own, to see the set let go */

        cr_assert_eq(serve_until_exit(loop, &t), 0, "the child's getppid did not fail with EPERM");
        cr_assert_eq(stats.received, 1);
        cr_assert_eq(stats.answered, 1);
        cr_assert_eq(stats.denied, 1);
        cr_assert_eq(l->counters.answered, 1);
        /* Answered: the journal forgot it. */
        cr_assert(journal_empty(j));

        /* The child is gone: EPOLLHUP, the set removes it and unrefs. */
        for (int i = 0; i < 100 && s->n_listeners; i++) {
                ev_run(loop, EVRUN_NOWAIT);
                usleep(10000);
        }
        cr_assert_eq(s->n_listeners, 0);
        cr_assert_eq(seen.gone, 1);
        cr_assert_eq(seen.removed, 1);
        cr_assert_eq(stats.listeners_freed, 1);
        cr_assert(fd_open(fd), "the test's reference keeps the fd");
        listener_unref(l);
        cr_assert_not(fd_open(fd));

        s->inflight = NULL;
        listener_set_free(s);
        inflight_free(j);
        metrics_done(&metrics);
        ev_loop_destroy(loop);
}

Test(inflight, slots_full_and_absent)
{
        struct seccomp_notif req = { .id = 42, .pid = 1 };
        struct inflight *j;
        int slot = -1;

        cr_assert_eq(inflight_begin(NULL, 1, &req), -EBADF);
        inflight_end(NULL, 3); /* no-op */
        cr_assert_eq(inflight_new(-1, &j), 0);
        cr_assert(inflight_created(j));
        for (int i = 0; i < INFLIGHT_SLOTS; i++) {
                slot = inflight_begin(j, 1, &req);
                cr_assert_eq(slot, i);
        }
        cr_assert_eq(inflight_begin(j, 1, &req), -ENOSPC);
        inflight_end(j, 17);
        cr_assert_eq(inflight_begin(j, 1, &req), 17, "a freed slot is taken again");
        inflight_free(j);
}

struct replayed {
        int n;
        uint64_t listener_id, id;
};

static void on_replay(void *u, uint64_t listener_id, const struct seccomp_notif *req)
{
        struct replayed *r = u;

        r->n++;
        r->listener_id = listener_id;
        r->id = req->id;
}

Test(inflight, survives_in_its_memfd)
{
        struct inflight *a, *b;
        struct replayed seen = {};
        int fd;

        cr_assert_eq(inflight_new(-1, &a), 0);
        cr_assert_geq(inflight_begin(a, 5, &(struct seccomp_notif){ .id = 100 }), 0);
        int done = inflight_begin(a, 6, &(struct seccomp_notif){ .id = 200 });
        inflight_end(a, done);
        fd = fcntl(inflight_fd(a), F_DUPFD_CLOEXEC, 0);
        a = inflight_free(a); /* the process dies; the memfd lives on */

        cr_assert_eq(inflight_new(fd, &b), 0);
        cr_assert_not(inflight_created(b), "a good memfd is adopted, not replaced");
        inflight_replay(b, on_replay, &seen);
        cr_assert_eq(seen.n, 1, "only the notification left unanswered");
        cr_assert_eq(seen.listener_id, 5);
        cr_assert_eq(seen.id, 100);
        seen.n = 0;
        inflight_replay(b, on_replay, &seen);
        cr_assert_eq(seen.n, 0, "a replayed slot is emptied");
        inflight_free(b);
}

Test(inflight, bad_memfd_replaced)
{
        int fd = memfd_create("not-a-journal", MFD_CLOEXEC);
        struct inflight *j;

        cr_assert_geq(fd, 0);
        cr_assert_eq(ftruncate(fd, sizeof(struct inflight_file)), 0); /* zeroes: no magic */
        cr_assert_eq(inflight_new(fd, &j), 0);
        cr_assert(inflight_created(j), "a memfd without the magic is replaced");
        cr_assert(journal_empty(j));
        inflight_free(j);
}

/* A notification the previous process received and never answered: the
 * journal has it, the new set answers it by the listener's policy. */
Test(listener_set, replays_what_the_previous_process_left)
{
        struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
        struct daemon_stats stats = {};
        struct metrics metrics = {};
        struct seccomp_notif req = {};
        struct listener_set *s;
        struct inflight *j;
        struct listener *l;
        struct target t = target_start();
        int recv_fd_copy = fcntl(t.listener, F_DUPFD_CLOEXEC, 0);

        /* "The previous process": RECV, journal, die without SEND. */
        cr_assert_eq(ioctl(recv_fd_copy, SECCOMP_IOCTL_NOTIF_RECV, &req), 0);
        cr_assert_eq(inflight_new(-1, &j), 0);
        cr_assert_geq(inflight_begin(j, 3, &req), 0);
        cr_assert_not(journal_empty(j));
        close(recv_fd_copy);

        cr_assert_eq(listener_set_new(loop, false, &stats, &metrics, NULL, &s), 0);
        s->inflight = j;
        cr_assert_eq(listener_set_add(s, t.listener, deny_all(), "c1", t.pid, 3, &l), 0);
        listener_set_replay(s);
        cr_assert_eq(target_wait(&t), 0, "the replayed answer is the policy's EPERM");
        cr_assert_eq(stats.answered, 1);
        cr_assert_eq(stats.received, 0, "nothing was received by this set");
        cr_assert(journal_empty(j), "the replayed slot is emptied");

        s->inflight = NULL;
        listener_set_free(s);
        inflight_free(j);
        metrics_done(&metrics);
        ev_loop_destroy(loop);
}
