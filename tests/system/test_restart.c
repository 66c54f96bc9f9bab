/* Sandboxed tasks keep running across daemon restarts: through the fd
 * store (fds handed back in LISTEN_FDS, as systemd does), through a
 * re-exec upgrade (SIGUSR2, unotifyctl upgrade), and a notification the
 * previous process received but never answered is answered from the
 * in-flight journal. Every call gets the policy's answer, never ENOSYS. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../daemon/restart/inflight_format.h"
#include "policies.h"
#include "rawclient.h"
#include "sandbox.h"
#include "service.h"

static struct svc s;

static void setup(void)
{
        svc_prepare(&s, standard_policies);
}

static void teardown(void)
{
        svc_cleanup(&s);
}

TestSuite(restart, .init = setup, .fini = teardown, .timeout = 60);

static void start_sandbox(struct sandbox *box)
{
        char path[400];

        snprintf(path, sizeof(path), "%s/x", s.d.dir);
        sandbox_start_run(box, s.d.socket, "demo", path);
}

/* The answer to a call made earlier with a bare write to box.in. */
static void assert_pending_answered(struct sandbox *box, const char *want)
{
        char line[64] = "";

        cr_assert_not_null(fgets(line, sizeof(line), box->out), "the pending call never returned");
        cr_assert_str_eq(line, want);
}

static void ctl(const char *verb, struct cmd_result *r)
{
        const char *argv[] = { UNOTIFYCTL, verb, "--socket", s.d.control, "--json", NULL };

        run_cmd(argv, 10000, r);
        cr_assert_eq(r->status, 0, "%s %s", r->out, r->err);
}

Test(restart, listeners_survive_through_the_fd_store)
{
        struct sandbox box;
        struct cmd_result r;

        svc_exec(&s, NULL, NULL, 0, NULL);
        svc_wait_message(&s, "READY=1", 10000);
        cr_assert_geq(svc_stored(&s, "state"), 0, "%s", s.messages);
        cr_assert_geq(svc_stored(&s, "inflight"), 0, "%s", s.messages);
        start_sandbox(&box);
        cr_assert_str_eq(sandbox_mkdir(&box), "EPERM");
        svc_wait_message(&s, "FDNAME=listener-1", 5000);
        cr_assert_geq(svc_stored(&s, "listener-1"), 0);

        svc_stop(&s, SIGTERM);
        /* The daemon is gone; the call waits for the next one. */
        cr_assert_eq(write(box.in, "\n", 1), 1);
        svc_exec(&s, NULL, NULL, 0, NULL);
        svc_wait_message(&s, "READY=1", 10000);
        assert_pending_answered(&box, "mkdir: EPERM\n");
        cr_assert(strstr(daemon_log(&s.d), "listener 1: container"), "%s", daemon_log(&s.d));
        cr_assert(strstr(daemon_log(&s.d), "resumed with policy demo"), "%s", daemon_log(&s.d));
        cr_assert_str_eq(sandbox_mkdir(&box), "EPERM");

        ctl("list", &r);
        cr_assert(strstr(r.out, "\"policy\": \"demo\""), "%s", r.out);
        cr_assert(strstr(r.out, "\"id\": 1,"), "%s", r.out);

        /* A second restart, and the task leaves: out of the store. */
        svc_stop(&s, SIGTERM);
        svc_exec(&s, NULL, NULL, 0, NULL);
        svc_wait_message(&s, "READY=1", 10000);
        cr_assert_str_eq(sandbox_mkdir(&box), "EPERM");
        sandbox_stop(&box);
        svc_wait_message(&s, "FDSTOREREMOVE=1", 5000);
        cr_assert_eq(svc_stored(&s, "listener-1"), -1);
        svc_stop(&s, SIGTERM);
}

/* The state memfd is a snapshot plus appended changes, compacted past
 * STATE_COMPACT_SLACK (64) changes: 70 listeners come and go around one
 * that stays, and the restarted daemon still knows the survivor. */
Test(restart, the_state_log_keeps_the_survivor_through_churn, .timeout = 120)
{
        struct sandbox keep, brief;
        struct cmd_result r;
        char id[32];

        svc_exec(&s, NULL, NULL, 0, NULL);
        svc_wait_message(&s, "READY=1", 10000);
        start_sandbox(&keep);
        cr_assert_str_eq(sandbox_mkdir(&keep), "EPERM");
        for (int i = 0; i < 70; i++) {
                start_sandbox(&brief);
                cr_assert_str_eq(sandbox_mkdir(&brief), "EPERM");
                sandbox_stop(&brief);
        }
        svc_stop(&s, SIGTERM);
        svc_exec(&s, NULL, NULL, 0, NULL);
        svc_wait_message(&s, "READY=1", 10000);
        cr_assert_str_eq(sandbox_mkdir(&keep), "EPERM");
        cr_assert(strstr(daemon_log(&s.d), "listener 1: container unotify-"), "%s",
                  daemon_log(&s.d));
        cr_assert(strstr(daemon_log(&s.d), "resumed with policy demo"), "%s", daemon_log(&s.d));
        cr_assert_null(strstr(daemon_log(&s.d), "not valid"), "%s", daemon_log(&s.d));
        cr_assert_null(strstr(daemon_log(&s.d), "torn"), "%s", daemon_log(&s.d));
        ctl("list", &r);
        snprintf(id, sizeof(id), "\"container_id\": \"unotify-%d\"", (int)keep.task);
        cr_assert(strstr(r.out, id), "%s", r.out);
        cr_assert_null(strstr(r.out, "\"id\": 2,"), "a listener that left came back: %s", r.out);
        sandbox_stop(&keep);
        svc_stop(&s, SIGTERM);
}

/* What the fd store buys: the same restart without it. */
Test(restart, without_the_store_the_task_gets_enosys)
{
        struct sandbox box;

        svc_exec(&s, NULL, NULL, 0, NULL);
        svc_wait_message(&s, "READY=1", 10000);
        start_sandbox(&box);
        cr_assert_str_eq(sandbox_mkdir(&box), "EPERM");
        svc_wait_message(&s, "FDNAME=listener-1", 5000);
        svc_stop(&s, SIGTERM);
        for (size_t i = 0; i < s.n_store; i++)
                close(s.store[i].fd);
        s.n_store = 0;
        cr_assert_str_eq(sandbox_mkdir(&box), "ENOSYS");
        sandbox_stop(&box);
}

static void upgrade_with(const char *how)
{
        struct sandbox box;
        struct cmd_result r;
        pid_t pid;

        svc_exec(&s, NULL, NULL, 0, NULL);
        svc_wait_message(&s, "READY=1", 10000);
        pid = s.d.pid;
        start_sandbox(&box);
        cr_assert_str_eq(sandbox_mkdir(&box), "EPERM");
        if (!strcmp(how, "signal")) {
                cr_assert_eq(kill(s.d.pid, SIGUSR2), 0);
        } else {
                ctl("upgrade", &r);
                cr_assert(strstr(r.out, "\"exec\""), "%s", r.out);
        }
        /* A call made during the exec waits for the new binary. */
        cr_assert_eq(write(box.in, "\n", 1), 1);
        svc_wait_message(&s, "RELOADING=1", 10000);
        svc_wait_message(&s, "READY=1", 10000);
        assert_pending_answered(&box, "mkdir: EPERM\n");
        cr_assert_eq(s.d.pid, pid);
        cr_assert(strstr(daemon_log(&s.d), "upgrade: exec "), "%s", daemon_log(&s.d));
        cr_assert(strstr(daemon_log(&s.d), "fds passed by the process we replaced"), "%s",
                  daemon_log(&s.d));
        cr_assert_str_eq(sandbox_mkdir(&box), "EPERM");
        ctl("list", &r);
        cr_assert(strstr(r.out, "\"policy\": \"demo\""), "%s", r.out);
        ctl("status", &r);
        cr_assert(strstr(r.out, "\"listeners\": 1"), "%s", r.out);
        sandbox_stop(&box);
        svc_stop(&s, SIGTERM);
        /* Sockets it bound before the exec are still its own: removed. */
        cr_assert_neq(access(s.d.socket, F_OK), 0);
}

Test(restart, reexec_upgrade_by_sigusr2)
{
        upgrade_with("signal");
}

Test(restart, reexec_upgrade_by_unotifyctl)
{
        upgrade_with("unotifyctl");
}

/* The child: filter, listener to the parent, then mkdir -> result. */
static void orphan_child(int sock, int out, const char *path)
{
        int listener = raw_install_mkdir_filter();
        long r;

        if (listener < 0)
                _exit(1);
        raw_send(sock, "L", 1, &listener, 1);
        close(listener);
        r = syscall(SYS_mkdir, path, 0700);
        dprintf(out, "mkdir: %s\n", r == 0 ? "ok" : errno == EPERM ? "EPERM" : strerror(errno));
        _exit(0);
}

static int recv_fd(int sock)
{
        union {
                struct cmsghdr align;
                char b[CMSG_SPACE(sizeof(int))];
        } control;
        char c;
        struct iovec iov = { &c, 1 };
        struct msghdr mh = { .msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = control.b,
                             .msg_controllen = sizeof(control.b) };
        int fd;

        cr_assert_eq(recvmsg(sock, &mh, MSG_CMSG_CLOEXEC), 1);
        memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof(int));
        return fd;
}

/* The test plays the previous process: it received the notification,
 * journalled it, and died without answering. */
Test(restart, a_notification_left_in_flight_is_answered_from_the_journal)
{
        static const char state[] = "{\"version\":1,\"listeners\":[{\"id\":5,\"policy\":\"demo\","
                                    "\"container_id\":\"orphan\",\"pid\":0}]}";
        struct seccomp_notif req = {};
        struct inflight_file *j;
        int sp[2], out[2], fds[3], listener, status;
        const char *names[] = { "listener-5", "state", "inflight" };
        char path[400], result[64] = "";
        FILE *f;
        pid_t child;

        snprintf(path, sizeof(path), "%s/x", s.d.dir);
        cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
        cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
        child = fork();
        cr_assert_geq(child, 0);
        if (child == 0)
                orphan_child(sp[1], out[1], path);
        close(sp[1]);
        close(out[1]);
        listener = recv_fd(sp[0]);
        cr_assert_eq(poll(&(struct pollfd){ .fd = listener, .events = POLLIN }, 1, 10000), 1);
        cr_assert_eq(ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req), 0, "RECV: %s",
                     strerror(errno));
        cr_assert_eq(req.data.nr, SYS_mkdir);

        fds[0] = listener;
        fds[1] = memfd_create("state", MFD_CLOEXEC);
        cr_assert_eq(write(fds[1], state, sizeof(state) - 1), (ssize_t)sizeof(state) - 1);
        fds[2] = memfd_create("inflight", MFD_CLOEXEC);
        cr_assert_eq(ftruncate(fds[2], sizeof(*j)), 0);
        j = mmap(NULL, sizeof(*j), PROT_READ | PROT_WRITE, MAP_SHARED, fds[2], 0);
        cr_assert_neq(j, MAP_FAILED);
        memcpy(j->magic, INFLIGHT_MAGIC, 8);
        j->slot_size = sizeof(struct inflight_slot);
        j->n_slots = INFLIGHT_SLOTS;
        j->slots[7].notif = req;
        j->slots[7].listener_id = 5;

        svc_exec(&s, fds, names, 3, NULL);
        svc_wait_message(&s, "READY=1", 10000);
        f = fdopen(out[0], "r");
        cr_assert_not_null(fgets(result, sizeof(result), f),
                           "the orphaned call was never answered");
        cr_assert_str_eq(result, "mkdir: EPERM\n");
        cr_assert(strstr(daemon_log(&s.d), "journal: answering notification"), "%s",
                  daemon_log(&s.d));
        cr_assert_eq(j->slots[7].listener_id, 0, "the slot is cleared once answered");
        /* Not received by this process: counted apart, so the sums hold. */
        cr_assert_eq(daemon_stat(&s.d, "journal_answered"), 1);
        cr_assert_eq(daemon_stat(&s.d, "notifications_received"), 0);
        cr_assert_eq(daemon_stat(&s.d, "notifications_answered"), 1);
        cr_assert_eq(waitpid(child, &status, 0), child);
        fclose(f);
        munmap(j, sizeof(*j));
        for (int i = 0; i < 3; i++)
                close(fds[i]);
        close(sp[0]);
        svc_stop(&s, SIGTERM);
}

Test(restart, sigterm_leaves_no_call_unanswered)
{
        struct sandbox box;

        svc_exec(&s, NULL, NULL, 0, NULL);
        svc_wait_message(&s, "READY=1", 10000);
        start_sandbox(&box);
        cr_assert_str_eq(sandbox_mkdir(&box), "EPERM");
        /* SIGTERM arrives while a call is pending; whichever the loop sees
         * first, the call gets the policy's answer before the exit. */
        cr_assert_eq(kill(s.d.pid, SIGSTOP), 0);
        cr_assert_eq(write(box.in, "\n", 1), 1);
        wait_parked_in_mkdir(box.task);
        cr_assert_eq(kill(s.d.pid, SIGTERM), 0);
        cr_assert_eq(kill(s.d.pid, SIGCONT), 0);
        assert_pending_answered(&box, "mkdir: EPERM\n");
        /* Only wait (signal 0): the first SIGTERM is already ending it, and a
         * second one during the exit would find the default action. */
        svc_stop(&s, 0);
        /* Without the store the next call has no one to answer it. */
        for (size_t i = 0; i < s.n_store; i++)
                close(s.store[i].fd);
        s.n_store = 0;
        sandbox_stop(&box);
}
