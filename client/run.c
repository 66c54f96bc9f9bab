/* unotify-run: run a command under a policy that unotifyd serves.
 *
 *   unotify-run [--socket PATH] --policy NAME [--verbose] -- CMD [ARGS...]
 *
 * Asks the daemon which syscalls the policy notifies, builds a filter for
 * exactly those, loads it in a child, hands the listener to the daemon and
 * only then lets the child exec CMD (launch.c). Exits with CMD's status. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "launch.h"
#include "run_landlock.h"
#include "unotify/filter.h"
#include "unotify/macro.h"
#include "unotify/paths.h"
#include "unotify/policy.h"
#include "unotify/unotify.h"

/* The daemon's default: the system's, or the user's own daemon's. */
#define SYSTEM_SOCKET UNOTIFY_SYSTEM_RUNTIME_DIR "/handoff.sock"

static const char *default_socket(void)
{
        static char buf[108];

        return unotify_default_socket("handoff.sock", buf, sizeof(buf)) ?: SYSTEM_SOCKET;
}

struct run {
        const char *socket;
        const char *policy;
        char *metadata; /* --metadata lines, "KEY=VALUE\n" each; NULL: none */
        bool verbose;
        char **argv;
        uint64_t digest;
        int landlock_fd;                    /* the policy's Landlock ruleset; -1: none */
        int exit_code;                      /* set by on_handoff when it has reported a failure */
        const struct launch_result *launch; /* flags are set when on_handoff runs */
};

static void print_help(void)
{
        printf("Usage: unotify-run [OPTIONS] --policy NAME [--] CMD [ARGS...]\n"
               "\n"
               "Run CMD with a seccomp filter that sends the syscalls of policy NAME to\n"
               "unotifyd, which answers them. CMD starts only once the daemon holds the\n"
               "filter's listener.\n"
               "\n"
               "  -s, --socket PATH   the daemon's handoff socket (default %s)\n"
               "  -p, --policy NAME   the policy to run under\n"
               "  -m, --metadata KEY=VALUE\n"
               "                      add a listenerMetadata line (repeatable), e.g.\n"
               "                      unotify.learn=NAME to name a recording\n"
               "  -v, --verbose       say which syscalls are notified and how the filter\n"
               "                      was installed\n"
               "  -h, --help          show this help\n"
               "  -V, --version       show the version\n"
               "\n"
               "Exit status: CMD's, or 128+N if it died of signal N; 64 usage error;\n"
               "69 daemon unreachable, it refused the listener, or Landlock is older than\n"
               "the policy needs; 71 the launch failed;\n"
               "78 unknown or changed policy; 126/127 CMD could not be executed.\n",
               default_socket());
}

/* One more "KEY=VALUE" line; the policy is chosen with --policy only.
 * Returns 0 or -EINVAL (reported). */
static int add_metadata(struct run *run, const char *line)
{
        const char *eq = strchr(line, '=');
        size_t old = run->metadata ? strlen(run->metadata) : 0;
        char *grown;

        if (!eq || eq == line || strchr(line, '\n') ||
            strncmp(line, UNOTIFY_META_POLICY "=", strlen(UNOTIFY_META_POLICY) + 1) == 0) {
                fprintf(stderr,
                        "unotify-run: --metadata wants KEY=VALUE on one line, and not "
                        "%s= (use --policy)\n",
                        UNOTIFY_META_POLICY);
                return -EINVAL;
        }
        grown = realloc(run->metadata, old + strlen(line) + 2);
        if (!grown)
                return -EINVAL;
        run->metadata = grown;
        sprintf(run->metadata + old, "%s\n", line);
        return 0;
}

/* Returns 1 to go on, 0 to exit successfully (--help), -EINVAL on a usage
 * error (reported). */
static int parse_args(int argc, char **argv, struct run *ret)
{
        static const struct option opts[] = {
                { "socket", required_argument, NULL, 's' },
                { "policy", required_argument, NULL, 'p' },
                { "metadata", required_argument, NULL, 'm' },
                { "verbose", no_argument, NULL, 'v' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        int c;

        ret->socket = default_socket();
        /* "+": stop at CMD, whose own options are not ours. */
        while ((c = getopt_long(argc, argv, "+s:p:m:vhV", opts, NULL)) >= 0) {
                switch (c) {
                case 's':
                        ret->socket = optarg;
                        break;
                case 'p':
                        ret->policy = optarg;
                        break;
                case 'm':
                        if (add_metadata(ret, optarg) < 0)
                                return -EINVAL;
                        break;
                case 'v':
                        ret->verbose = true;
                        break;
                case 'h':
                        print_help();
                        return 0;
                case 'V':
                        printf("unotify-run %s\n", UNOTIFY_VERSION);
                        return 0;
                default:
                        return -EINVAL; /* getopt said why */
                }
        }
        if (!ret->policy || !*ret->policy) {
                fprintf(stderr, "unotify-run: --policy NAME is required (see --help)\n");
                return -EINVAL;
        }
        if (optind >= argc) {
                fprintf(stderr, "unotify-run: no command given (see --help)\n");
                return -EINVAL;
        }
        ret->argv = argv + optind;
        return 1;
}

/* The daemon's reasons that are about the policy (unknown, changed since
 * we asked) rather than about us or the daemon. */
static bool is_policy_error(const char *error)
{
        return strncmp(error, "unknown policy", 14) == 0 || strncmp(error, "policy \"", 8) == 0;
}

/* Ask the daemon for the policy's filter. Returns 0 or an exit code
 * (reported). */
static int make_filter(struct run *run, struct sock_fprog *ret)
{
        _cleanup_(unotify_reply_clear) struct unotify_reply q = {};
        int r;

        r = unotify_query_policy(run->socket, run->policy, &q);
        if (r == -EREMOTEIO) {
                fprintf(stderr, "unotify-run: %s\n", q.error);
                return is_policy_error(q.error) ? EX_CONFIG : EX_UNAVAILABLE;
        }
        if (r == -EBADMSG) {
                fprintf(stderr, "unotify-run: %s: malformed answer from unotifyd\n", run->socket);
                return EX_UNAVAILABLE;
        }
        if (r < 0) {
                fprintf(stderr, "unotify-run: cannot ask unotifyd at %s: %s\n", run->socket,
                        strerror(-r));
                return EX_UNAVAILABLE;
        }
        /* The daemon builds the filter from its policy (the kernel decides
         * what it can, the rest is notified) and checks the digest at
         * handoff: a policy edited in between refuses the listener. */
        run->digest = q.digest;
        r = run_landlock_prepare(q.landlock, run->policy, run->verbose, &run->landlock_fd);
        if (r != 0)
                return r;
        ret->filter = TAKE_PTR(q.filter);
        ret->len = (unsigned short)q.filter_len;
        if (run->verbose) {
                fprintf(stderr,
                        "unotify-run: policy \"%s\" (digest %016" PRIx64
                        "): a filter of %zu instructions; the kernel decides all but %zu "
                        "syscall%s, which go to unotifyd:",
                        run->policy, q.digest, q.filter_len, q.n_syscalls,
                        q.n_syscalls == 1 ? "" : "s");
                for (size_t i = 0; i < q.n_syscalls; i++)
                        fprintf(stderr, " %s", q.syscalls[i]);
                fprintf(stderr, "\n");
        }
        return 0;
}

/* Said before the go, so that it never mixes with the command's output. */
static void report_flags(const struct run *run)
{
        if (!run->launch->wait_killable)
                fprintf(stderr, "unotify-run: filter installed without WAIT_KILLABLE_RECV "
                                "(Linux < 5.19): a signal may make unotifyd see a call twice\n");
        else if (run->verbose)
                fprintf(stderr,
                        "unotify-run: filter installed with WAIT_KILLABLE_RECV (flags %#lx)\n",
                        run->launch->flags);
}

/* launch_start's callback: the filter is loaded in the child. */
static int on_handoff(int listener_fd, pid_t pid, void *userdata)
{
        _cleanup_(unotify_reply_clear) struct unotify_reply reply = {};
        struct run *run = userdata;
        struct unotify_handoff h = { .pid = pid,
                                     .policy = run->policy,
                                     .syscalls_digest = run->digest,
                                     .seccomp_flags = run->launch->flags,
                                     .extra_metadata = run->metadata };
        int r;

        report_flags(run);
        r = unotify_handoff_send(run->socket, listener_fd, &h, &reply);
        if (r == -EREMOTEIO) {
                fprintf(stderr, "unotify-run: unotifyd refused the listener: %s\n", reply.error);
                run->exit_code = is_policy_error(reply.error) ? EX_CONFIG : EX_UNAVAILABLE;
                return r;
        }
        if (r < 0) {
                fprintf(stderr, "unotify-run: cannot hand the listener to unotifyd at %s: %s\n",
                        run->socket, r == -EBADMSG ? "malformed answer" : strerror(-r));
                run->exit_code = EX_UNAVAILABLE;
                return r;
        }
        if (run->verbose)
                fprintf(stderr,
                        "unotify-run: pid %d: listener %" PRIu64 " bound to policy \"%s\"\n",
                        (int)pid, reply.listener_id, reply.policy ? reply.policy : run->policy);
        return 0;
}

/* While the command runs we need only the pidfd: let go of stdio and any
 * inherited fd, so that a reader waiting for EOF on the command's output,
 * or a writer for it to close its input, is not kept waiting by us. */
static void drop_fds(int keep)
{
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);

        /* /dev/null rather than closed: a later open must not become fd 2. */
        for (int fd = 0; fd < 3; fd++) {
                if (null >= 0)
                        dup2(null, fd);
                else
                        close(fd);
        }
        if (keep > 3)
                close_range(3, (unsigned)keep - 1, 0);
        close_range((unsigned)keep + 1, ~0U, 0);
}

static int run_command(struct run *run, const struct sock_fprog *prog)
{
        struct launch_result lr;
        int r, status;

        run->launch = &lr;
        r = launch_start_landlocked(prog, run->landlock_fd, run->argv, on_handoff, run, &lr);
        run->landlock_fd = safe_close(run->landlock_fd);
        if (r < 0) {
                if (run->exit_code)
                        return run->exit_code;
                fprintf(stderr, "unotify-run: cannot %s: %s\n", lr.failed ?: "start the command",
                        strerror(-r));
                return EX_OSERR;
        }
        drop_fds(lr.pidfd);
        r = launch_wait(&lr, &status);
        return r < 0 ? EX_OSERR : status;
}

/* Started with stdin, stdout or stderr closed, our own fds (socket,
 * pidfd) would take those numbers and the child would inherit them there. */
static void ensure_stdio(void)
{
        for (int fd = 0; fd < 3; fd++)
                if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
                        exit(EX_OSERR);
}

int main(int argc, char **argv)
{
        struct run run = { .landlock_fd = -1 };
        struct sock_fprog prog = {};
        int r;

        ensure_stdio();
        r = parse_args(argc, argv, &run);
        if (r <= 0)
                return r < 0 ? EX_USAGE : EXIT_SUCCESS;
        /* Inherited SIG_IGN would have the kernel reap the child for us and
         * lose its status. */
        signal(SIGCHLD, SIG_DFL);
        r = make_filter(&run, &prog);
        if (r != 0)
                return r;
        r = run_command(&run, &prog);
        unotify_filter_free(&prog);
        free(run.metadata);
        return r;
}
