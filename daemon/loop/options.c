#include "loop/options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/un.h>
#include <sysexits.h>

#include "sockets/listen_addr.h"
#include "notify/priority.h"
#include "unotify/paths.h"

/* /run/unotifyd/handoff.sock, or $XDG_RUNTIME_DIR/unotifyd/handoff.sock
 * for a user's own daemon (unotify/paths.h). */
static const char *default_socket(void)
{
        static char buf[108];

        return unotify_default_socket("handoff.sock", buf, sizeof(buf)) ?: UNOTIFYD_DEFAULT_SOCKET;
}

static void print_help(void)
{
        printf("Usage: unotifyd [OPTIONS]\n"
               "\n"
               "Answer seccomp user notifications of the listeners handed to it, from JSON\n"
               "policies.\n"
               "\n"
               "  -s, --socket PATH          handoff socket (default %s)\n"
               "  -p, --policy-dir DIR       directory of *.json policies (default %s)\n"
               "  -d, --default-policy NAME  policy for listeners that name none and that no\n"
               "                             policy selects, unless one has \"default\": true\n"
               "                             (default \"%s\"; if it is not loaded they are "
               "denied)\n"
               "  -m, --socket-mode MODE     octal mode of the handoff socket (default 0600)\n"
               "  -c, --control-socket PATH  control socket for unotifyctl (mode 0600; default\n"
               "                             %s next to the handoff socket)\n"
               "      --metrics-listen ADDR  serve GET /metrics (Prometheus) on ADDR: a numeric\n"
               "                             HOST:PORT (e.g. 127.0.0.1:9477, [::1]:9477) or a "
               "unix\n"
               "                             socket path; a socket passed as \"metrics\" "
               "(systemd's\n"
               "                             unotifyd-metrics.socket) is used instead\n"
               "      --no-sync-wake-up      do not ask the kernel (6.6+) to wake targets on\n"
               "                             the daemon's CPU (for benchmarks)\n"
               "      --nice N               nice value of the loop while many threads call in,\n"
               "                             -20 to 0 (default %d); one not below the nice\n"
               "                             value it was started at: never switch\n"
               "      --limit NAME=N         a cap on what peers can make the daemon hold\n"
               "                             (repeatable; docs/security.md): handoff-conns\n"
               "                             (256), handoff-conns-per-uid (192),\n"
               "                             handoff-timeout-ms (5000), control-conns (64),\n"
               "                             control-conns-per-uid (48), workers (4),\n"
               "                             listener-workers (3), listener-queue (64),\n"
               "                             listeners (32768), listeners-per-uid (24576),\n"
               "                             learn-bytes (67108864),\n"
               "                             control-request-bytes (4096)\n"
               "  -t, --test-config          load every policy, report errors, exit (0 or 78)\n"
               "  -T, --dump-config          print the effective policies as JSON, exit\n"
               "      --strict               policy warnings are errors\n"
               "  -v, --verbose              log every decision (twice: debug)\n"
               "  -q, --quiet                log warnings and errors only\n"
               "  -h, --help                 show this help\n"
               "  -V, --version              show the version\n"
               "\n"
               "Signals: SIGHUP reloads the policies (the old ones stay on any error),\n"
               "SIGTERM/SIGINT stop the daemon.\n",
               default_socket(), UNOTIFYD_DEFAULT_POLICY_DIR, UNOTIFYD_DEFAULT_POLICY,
               UNOTIFYD_CONTROL_SOCKET_NAME, UNOTIFYD_DEFAULT_NICE);
}

static int parse_nice(const char *s, int *ret)
{
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < -20 || v > 0)
                return -EINVAL;
        *ret = (int)v;
        return 0;
}

static int parse_mode(const char *s, mode_t *ret)
{
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 8);
        if (errno || end == s || *end || v > 07777)
                return -EINVAL;
        *ret = (mode_t)v;
        return 0;
}

/* DIR/handoff.sock -> DIR/control.sock; a bare name -> control.sock. */
static int default_control_path(struct options *o)
{
        const char *slash = strrchr(o->socket_path, '/');
        int dir_len = slash ? (int)(slash - o->socket_path + 1) : 0;
        int n = snprintf(o->control_buf, sizeof(o->control_buf), "%.*s%s", dir_len, o->socket_path,
                         UNOTIFYD_CONTROL_SOCKET_NAME);

        if (n < 0 || (size_t)n >= sizeof(o->control_buf))
                return -ENAMETOOLONG;
        o->control_path = o->control_buf;
        return 0;
}

/* One option into o: 0 to go on, 1 after --help or --version, or
 * EX_USAGE (said on stderr). Long because it is one case per option, each
 * a line or a call: split up, the options would no longer read as a list. */
static int apply_option(int c, const char *arg, struct options *o)
{
        char err[256];

        switch (c) {
        case 's':
                o->socket_path = arg;
                break;
        case 'c':
                o->control_path = arg;
                break;
        case 'p':
                o->policy_dir = arg;
                break;
        case 'd':
                o->default_policy = arg;
                break;
        case 'm':
                if (parse_mode(arg, &o->socket_mode) < 0) {
                        fprintf(stderr, "unotifyd: --socket-mode: not an octal mode: %s\n", arg);
                        return EX_USAGE;
                }
                break;
        case 't':
                o->test_config = true;
                break;
        case 'T':
                o->dump_config = true;
                break;
        case 'S':
                o->strict = true;
                break;
        case 'W':
                o->sync_wake_up = false;
                break;
        case 'N':
                if (parse_nice(arg, &o->nice) < 0) {
                        fprintf(stderr, "unotifyd: --nice: not a nice value from -20 to 0: %s\n",
                                arg);
                        return EX_USAGE;
                }
                break;
        case 'M':
                if (listen_addr_check(arg) < 0) {
                        fprintf(stderr,
                                "unotifyd: --metrics-listen: not a numeric HOST:PORT, "
                                "[IPv6]:PORT or absolute socket path: %s\n",
                                arg);
                        return EX_USAGE;
                }
                o->metrics_listen = arg;
                break;
        case 'L':
                if (limits_parse(arg, &o->limits, err, sizeof(err)) < 0) {
                        fprintf(stderr, "unotifyd: --limit: %s\n", err);
                        return EX_USAGE;
                }
                break;
        case 'v':
                o->log_level = o->log_level < LOG_INFO ? LOG_INFO : LOG_DEBUG;
                break;
        case 'q':
                o->log_level = LOG_WARNING;
                break;
        case 'h':
                print_help();
                return 1;
        case 'V':
                printf("unotifyd %s\n", UNOTIFY_VERSION);
                return 1;
        default:
                fprintf(stderr, "Try 'unotifyd --help'.\n");
                return EX_USAGE;
        }
        return 0;
}

/* The socket paths fit a sockaddr_un: 0 or EX_USAGE (said on stderr). */
static int check_socket_paths(struct options *o)
{
        if (strlen(o->socket_path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
                fprintf(stderr, "unotifyd: --socket: path longer than 107 bytes: %s\n",
                        o->socket_path);
                return EX_USAGE;
        }
        if (!o->control_path && default_control_path(o) < 0) {
                fprintf(stderr,
                        "unotifyd: the control socket next to %s would be longer than 107 bytes; "
                        "use --control-socket\n",
                        o->socket_path);
                return EX_USAGE;
        }
        if (strlen(o->control_path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
                fprintf(stderr, "unotifyd: --control-socket: path longer than 107 bytes: %s\n",
                        o->control_path);
                return EX_USAGE;
        }
        return 0;
}

int options_parse(int argc, char **argv, struct options *ret)
{
        static const struct option longopts[] = {
                { "socket", required_argument, NULL, 's' },
                { "policy-dir", required_argument, NULL, 'p' },
                { "default-policy", required_argument, NULL, 'd' },
                { "socket-mode", required_argument, NULL, 'm' },
                { "control-socket", required_argument, NULL, 'c' },
                { "test-config", no_argument, NULL, 't' },
                { "no-sync-wake-up", no_argument, NULL, 'W' },
                { "nice", required_argument, NULL, 'N' },
                { "metrics-listen", required_argument, NULL, 'M' },
                { "limit", required_argument, NULL, 'L' },
                { "dump-config", no_argument, NULL, 'T' },
                { "strict", no_argument, NULL, 'S' },
                { "verbose", no_argument, NULL, 'v' },
                { "quiet", no_argument, NULL, 'q' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        struct options o = {
                .socket_path = default_socket(),
                .policy_dir = UNOTIFYD_DEFAULT_POLICY_DIR,
                .default_policy = UNOTIFYD_DEFAULT_POLICY,
                .socket_mode = 0600,
                .log_level = LOG_NOTICE,
                .sync_wake_up = true,
                .nice = UNOTIFYD_DEFAULT_NICE,
                .limits = LIMITS_DEFAULT,
        };
        int c, r;

        while ((c = getopt_long(argc, argv, "s:p:d:m:c:tTvqhV", longopts, NULL)) >= 0)
                if ((r = apply_option(c, optarg, &o)) != 0)
                        return r;
        if (optind < argc) {
                fprintf(stderr, "unotifyd: unexpected argument: %s\nTry 'unotifyd --help'.\n",
                        argv[optind]);
                return EX_USAGE;
        }
        if ((r = check_socket_paths(&o)) != 0)
                return r;
        *ret = o;
        if (o.control_path == o.control_buf)
                ret->control_path = ret->control_buf;
        return 0;
}
