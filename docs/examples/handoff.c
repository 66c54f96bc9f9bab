/* A minimal launcher built on libunotify: run a command under a policy
 * that unotifyd serves, the way a container runtime written in C would.
 *
 *   cc -o handoff handoff.c $(pkg-config --cflags --libs unotify)
 *   ./handoff /run/unotifyd/handoff.sock deny-mkdir mkdir /tmp/x
 *   mkdir: cannot create directory '/tmp/x': Operation not permitted
 *
 * 1. Ask the daemon for the policy's filter: the kernel decides what it
 *    can (here mkdir's EPERM), the rest goes to the listener.
 * 2. Load it with a listener (seccomp(2), SECCOMP_FILTER_FLAG_NEW_LISTENER).
 * 3. Hand the listener to the daemon with the policy's name and the digest
 *    the daemon gave with the filter, then close our copy.
 * 4. exec the command: from now on the daemon answers its notified calls.
 *
 * Steps 3 and 4 run under the filter already: this only works for policies
 * that do not notify or deny what the handoff itself calls (socket,
 * connect, sendmsg, read, close, execve, ...). unotify-run installs the
 * filter from a helper thread and hands the listener over from an
 * unfiltered parent, which lifts that limit (docs/protocol.md). */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <unotify/unotify.h>

static int load_filter(const struct unotify_reply *policy, int *ret_listener)
{
        struct sock_fprog prog = { .len = (unsigned short)policy->filter_len,
                                   .filter = policy->filter };
        long fd;

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
        if (fd < 0)
                return -errno;
        *ret_listener = (int)fd;
        return 0;
}

int main(int argc, char **argv)
{
        struct unotify_reply policy, answer;
        struct unotify_handoff h = { .pid = getpid() };
        int listener = -1, r;

        if (argc < 4) {
                fprintf(stderr, "usage: %s SOCKET POLICY COMMAND [ARG...]\n", argv[0]);
                return 64;
        }
        r = unotify_query_policy(argv[1], argv[2], &policy);
        if (r < 0) {
                fprintf(stderr, "query: %s%s%s\n", strerror(-r), policy.error ? ": " : "",
                        policy.error ? policy.error : "");
                unotify_reply_clear(&policy);
                return 69;
        }
        r = load_filter(&policy, &listener);
        if (r < 0) {
                fprintf(stderr, "seccomp: %s\n", strerror(-r));
                unotify_reply_clear(&policy);
                return 71;
        }
        h.policy = argv[2];
        h.syscalls_digest = policy.digest;
        r = unotify_handoff_send(argv[1], listener, &h, &answer);
        close(listener);
        unotify_reply_clear(&policy);
        if (r < 0) {
                /* Nobody answers our notified calls now: do not run. */
                fprintf(stderr, "handoff: %s%s%s\n", strerror(-r), answer.error ? ": " : "",
                        answer.error ? answer.error : "");
                unotify_reply_clear(&answer);
                return 69;
        }
        unotify_reply_clear(&answer);
        execvp(argv[3], argv + 3);
        fprintf(stderr, "%s: %s\n", argv[3], strerror(errno));
        return 127;
}
