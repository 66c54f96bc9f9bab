/* The metrics endpoint against a real daemon answering real sandboxed
 * tasks: GET /metrics over HTTP on loopback TCP (--metrics-listen, and a
 * socket passed as systemd's unotifyd-metrics.socket would), checked by
 * promtool; the labels and histograms the traffic must have produced; the
 * same exposition from unotifyctl stats --prometheus; a real Prometheus
 * scraping it; the endpoint's refusals and bounds, and that a slow client
 * holds nobody up. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "policies.h"
#include "rawclient.h"
#include "sandbox.h"
#include "service.h"

#define EMULATE_POLICY                                                          \
        "{\"name\":\"emu\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[" \
        "{\"names\":[\"openat\"],\"action\":\"UNOTIFY_ACT_EMULATE\",\"handler\":\"open\"}]}"

static const struct test_policy metrics_policies[] = {
        { "demo.json", DEMO_POLICY },
        { "emu.json", EMULATE_POLICY },
        {},
};

static struct test_daemon d;
static char listen_arg[64];
static int port;

/* A loopback port nobody listens on now (the daemon binds it next). */
static int free_port(void)
{
        struct sockaddr_in sa = { .sin_family = AF_INET,
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(sa);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        cr_assert_geq(fd, 0);
        cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
        close(fd);
        return ntohs(sa.sin_port);
}

static void setup(void)
{
        port = free_port();
        snprintf(listen_arg, sizeof(listen_arg), "--metrics-listen=127.0.0.1:%d", port);
        d = (struct test_daemon){ .extra_arg = listen_arg };
        daemon_start(&d, metrics_policies, false);
}

static void teardown(void)
{
        daemon_stop(&d);
}

TestSuite(metrics, .init = setup, .fini = teardown, .timeout = 60);

static int tcp_connect(int to_port)
{
        struct sockaddr_in sa = { .sin_family = AF_INET,
                                  .sin_port = htons((uint16_t)to_port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        cr_assert_geq(fd, 0);
        cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "connect: %s",
                     strerror(errno));
        return fd;
}

/* Everything the peer sends until it closes (or 5 s pass). */
static char *read_all(int fd, size_t *ret_len)
{
        static char buf[1 << 20];
        size_t len = 0;

        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t n;

                cr_assert_eq(poll(&p, 1, 5000), 1, "no answer within 5 s (%zu bytes so far)", len);
                n = read(fd, buf + len, sizeof(buf) - 1 - len);
                if (n <= 0)
                        break;
                len += (size_t)n;
        }
        buf[len] = '\0';
        *ret_len = len;
        return buf;
}

/* Send request on a new connection to port; the whole response. */
static char *http(int to_port, const char *request, size_t *ret_len)
{
        int fd = tcp_connect(to_port);
        char *r;

        cr_assert_eq(write(fd, request, strlen(request)), (ssize_t)strlen(request));
        r = read_all(fd, ret_len);
        close(fd);
        return r;
}

/* GET /metrics: asserts 200 and the length; returns the body (static). */
static const char *scrape(int to_port)
{
        size_t len;
        char *r =
                http(to_port,
                     "GET /metrics HTTP/1.1\r\nHost: localhost\r\nUser-Agent: test\r\n\r\n", &len);
        char *body = strstr(r, "\r\n\r\n");
        const char *cl = strstr(r, "\r\nContent-Length: ");

        cr_assert(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", r);
        cr_assert(strstr(r, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"), "%s",
                  r);
        cr_assert(body && cl && cl < body, "%s", r);
        body += 4;
        cr_assert_eq(strtoul(cl + 18, NULL, 10), len - (size_t)(body - r), "Content-Length");
        return body;
}

/* The value of the sample line starting with `series ` (-1: none). */
static long long value_of(const char *text, const char *series)
{
        size_t n = strlen(series);

        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strncmp(p, series, n) == 0 && p[n] == ' ')
                        return strtoll(p + n + 1, NULL, 10);
        return -1;
}

static bool have_promtool(void)
{
        struct cmd_result r;
        const char *argv[] = { "/bin/sh", "-c", "command -v promtool", NULL };

        run_cmd(argv, 10000, &r);
        return r.status == 0;
}

/* promtool check metrics on text: asserts it passes without a word. */
static void promtool_check(const char *text, const char *what)
{
        char path[400], script[600];
        struct cmd_result r;
        const char *argv[] = { "/bin/sh", "-c", script, NULL };

        snprintf(path, sizeof(path), "%s/%s.prom", d.dir, what);
        write_file(path, text);
        snprintf(script, sizeof(script), "promtool check metrics < %s", path);
        run_cmd(argv, 30000, &r);
        cr_assert_eq(r.status, 0, "promtool on %s: %s%s\n%s", what, r.out, r.err, text);
        cr_assert_str_eq(r.out, "", "promtool on %s: %s", what, r.out);
        cr_assert_str_eq(r.err, "", "promtool on %s: %s", what, r.err);
}

/* Sandboxed traffic: 20 mkdir denied and an uname allowed (demo), files
 * opened by the open handler (emu), one malformed handoff. */
static void make_traffic(void)
{
        struct sandbox s;
        struct cmd_result r;
        char path[400], file[400];
        const char *uname_argv[] = { "uname", "-s", NULL };
        const char *cat_argv[] = { "cat", file, NULL };

        snprintf(path, sizeof(path), "%s/x", d.dir);
        sandbox_start_run(&s, d.socket, "demo", path);
        cr_assert_str_eq(sandbox_mkdir_burst(&s, 20), "EPERM");
        sandbox_stop(&s);
        run_sandboxed(&d, "demo", uname_argv, &r);
        cr_assert_eq(r.status, 0, "%s", r.err);
        snprintf(file, sizeof(file), "%s/hello.txt", d.dir);
        write_file(file, "hello\n");
        run_sandboxed(&d, "emu", cat_argv, &r);
        cr_assert_eq(r.status, 0, "%s", r.err);
        cr_assert_str_eq(r.out, "hello\n");
        cr_assert(strstr(raw_exchange(d.socket, "[1,2]", NULL, 0), "\"ok\":false"));
}

Test(metrics, scrape_after_real_traffic_passes_promtool)
{
        const char *m;
        long long errno_count;

        if (!have_promtool())
                cr_skip_test("promtool is not installed (Debian: apt-get install prometheus)");
        make_traffic();
        m = scrape(port);
        promtool_check(m, "scrape");

        cr_assert_geq(value_of(m, "unotifyd_decisions_total{policy=\"demo\",action=\"errno\","
                                  "syscall=\"mkdir\"}"),
                      20, "%s", m);
        cr_assert_geq(value_of(m, "unotifyd_decisions_total{policy=\"demo\",action=\"allow\","
                                  "syscall=\"uname\"}"),
                      1, "%s", m);
        cr_assert_geq(value_of(m, "unotifyd_decisions_total{policy=\"emu\",action=\"emulate\","
                                  "syscall=\"openat\"}"),
                      1, "%s", m);
        /* Every denied mkdir was answered: in the histogram, below 1 s. */
        errno_count = value_of(m, "unotifyd_decision_duration_seconds_count{action=\"errno\"}");
        cr_assert_geq(errno_count, 20, "%s", m);
        cr_assert_eq(
                value_of(m,
                         "unotifyd_decision_duration_seconds_bucket{action=\"errno\",le=\"+Inf\"}"),
                errno_count, "%s", m);
        cr_assert_eq(
                value_of(m, "unotifyd_decision_duration_seconds_bucket{action=\"errno\",le=\"1\"}"),
                errno_count, "%s", m);
        cr_assert_geq(
                value_of(
                        m,
                        "unotifyd_decision_duration_seconds_bucket{action=\"errno\",le=\"5e-06\"}"),
                0, "the 5 us bucket: %s", m);
        cr_assert_geq(value_of(m, "unotifyd_handler_calls_total{handler=\"open\",result=\"fd\"}"),
                      1, "%s", m);
        cr_assert_geq(value_of(m, "unotifyd_handler_duration_seconds_count{handler=\"open\"}"), 1,
                      "%s", m);
        cr_assert_eq(value_of(m, "unotifyd_handoffs_refused_total{reason=\"malformed\"}"), 1, "%s",
                     m);
        cr_assert_eq(value_of(m, "unotifyd_handoffs_refused_total{reason=\"peer\"}"), 0, "%s", m);
        cr_assert_eq(value_of(m, "unotifyd_listeners"), 0, "%s", m);
        cr_assert_geq(value_of(m, "unotifyd_listeners_added_total"), 3, "%s", m);
        cr_assert(strstr(m, "# HELP unotifyd_decision_duration_seconds Time from reading a "
                            "notification"),
                  "%s", m);
        cr_assert(strstr(m, "# TYPE unotifyd_decision_duration_seconds histogram\n"), "%s", m);
        /* No unlabelled leftovers of the old exposition, no _total on a gauge. */
        cr_assert_null(strstr(m, "unotifyd_listeners_total"), "%s", m);
        cr_assert_null(strstr(m, "unotifyd_loop_nice_total"), "%s", m);
}

Test(metrics, unotifyctl_prints_the_same_exposition)
{
        const char *argv[] = { UNOTIFYCTL, "stats", "--prometheus", "--socket", d.control, NULL };
        static struct cmd_result r;
        const char *series =
                "unotifyd_decisions_total{policy=\"demo\",action=\"errno\",syscall=\"mkdir\"}";
        const char *m;

        if (!have_promtool())
                cr_skip_test("promtool is not installed (Debian: apt-get install prometheus)");
        make_traffic();
        m = scrape(port);
        run_cmd(argv, 10000, &r);
        cr_assert_eq(r.status, 0, "%s", r.err);
        promtool_check(r.out, "unotifyctl");
        cr_assert_geq(value_of(r.out, series), 20, "%s", r.out);
        cr_assert_eq(value_of(r.out, series), value_of(m, series));
        /* One more scrape was answered since the first. */
        cr_assert_eq(value_of(r.out, "unotifyd_metrics_scrapes_total"), 1, "%s", r.out);
}

Test(metrics, refuses_what_it_does_not_serve)
{
        static char big[6000];
        size_t len;

        cr_assert(strstr(http(port, "GET / HTTP/1.1\r\n\r\n", &len), "HTTP/1.1 404 Not Found\r\n"));
        cr_assert(strstr(http(port, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", &len),
                         "HTTP/1.1 405 Method Not Allowed\r\n"));
        cr_assert(strstr(http(port, "POST /metrics HTTP/1.1\r\n\r\n", &len),
                         "\r\nAllow: GET, HEAD\r\n"));
        cr_assert(strstr(http(port, "hello\r\n\r\n", &len), "HTTP/1.1 400 Bad Request\r\n"));
        cr_assert(strstr(http(port, "GET /metrics HTTP/2.0\r\n\r\n", &len), "HTTP/1.1 505 "));
        memset(big, 'a', sizeof(big) - 1);
        memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
        cr_assert(strstr(http(port, big, &len), "HTTP/1.1 431 "));
        /* HEAD: the head of the 200, no body. */
        char *r = http(port, "HEAD /metrics HTTP/1.0\r\n\r\n", &len);
        cr_assert(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", r);
        cr_assert_eq(strstr(r, "\r\n\r\n") + 4, r + len, "HEAD got a body: %s", r);
        cr_assert_geq(value_of(scrape(port), "unotifyd_metrics_connections_refused_total"), 6);
}

Test(metrics, slow_clients_hold_nobody_up_and_connections_are_bounded)
{
        int idle[8];
        struct sandbox s;
        char path[400];
        size_t len;
        int extra;

        snprintf(path, sizeof(path), "%s/x", d.dir);
        sandbox_start_run(&s, d.socket, "demo", path);
        /* Half a request, then nothing: others are served meanwhile. */
        idle[0] = tcp_connect(port);
        cr_assert_eq(write(idle[0], "GET /met", 8), 8);
        scrape(port);
        cr_assert_str_eq(sandbox_mkdir(&s), "EPERM");
        /* Eight open: the ninth is closed unanswered. */
        for (int i = 1; i < 8; i++)
                idle[i] = tcp_connect(port);
        poll(NULL, 0, 200); /* accepted by now */
        extra = tcp_connect(port);
        read_all(extra, &len);
        cr_assert_eq(len, 0, "a ninth connection was answered");
        close(extra);
        cr_assert_str_eq(sandbox_mkdir(&s), "EPERM");
        for (int i = 0; i < 8; i++)
                close(idle[i]);
        /* Their slots come back as the daemon sees them close. */
        for (int waited = 0;; waited += 50) {
                char *r = http(port, "GET /metrics HTTP/1.1\r\n\r\n", &len);

                if (len > 0) {
                        cr_assert(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", r);
                        break;
                }
                cr_assert_lt(waited, 3000, "no slot freed after the idle clients closed");
                poll(NULL, 0, 50);
        }
        sandbox_stop(&s);
}

/* A client that trickles its request is cut off at the deadline, however
 * often it sends: the deadline counts from accept. */
Test(metrics, trickling_client_is_cut_off_at_the_deadline, .timeout = 30)
{
        const char *request = "GET /metrics HTTP/1.1\r\nX: aaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        int fd = tcp_connect(port);
        struct timespec t0, t1;
        size_t len;
        double waited;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (size_t i = 0; i < strlen(request); i++) {
                struct pollfd p = { .fd = fd, .events = POLLIN };

                if (send(fd, request + i, 1, MSG_NOSIGNAL) != 1 || poll(&p, 1, 500) == 1)
                        break; /* closed (or answered) already */
        }
        read_all(fd, &len);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        close(fd);
        waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        cr_assert_eq(len, 0, "a trickled request was answered");
        cr_assert(waited > 9.0 && waited < 12.0, "closed after %.1f s, not at the 10 s deadline",
                  waited);
        cr_assert_eq(value_of(scrape(port), "unotifyd_metrics_connections_refused_total"), 1);
}

/* Prometheus itself (Debian's prometheus), scraping the endpoint every
 * second: the target is up and the labelled series are in its database. */
Test(metrics, a_real_prometheus_scrapes_it, .timeout = 60)
{
        char dir[400], config[500], arg_config[520], arg_tsdb[520], arg_listen[64], yml[300];
        int prom_port = free_port();
        bool up = false, found = false;
        pid_t prom;
        size_t len;

        if (access("/usr/bin/prometheus", X_OK) != 0)
                cr_skip_test("prometheus is not installed (Debian: apt-get install prometheus)");
        make_traffic();
        snprintf(dir, sizeof(dir), "%s/prometheus", d.dir);
        cr_assert_eq(mkdir(dir, 0700), 0);
        snprintf(config, sizeof(config), "%s/prometheus.yml", dir);
        snprintf(yml, sizeof(yml),
                 "global: {scrape_interval: 1s, scrape_timeout: 1s}\n"
                 "scrape_configs:\n"
                 "  - job_name: unotifyd\n"
                 "    static_configs: [{targets: [\"127.0.0.1:%d\"]}]\n",
                 port);
        write_file(config, yml);
        snprintf(arg_config, sizeof(arg_config), "--config.file=%s", config);
        snprintf(arg_tsdb, sizeof(arg_tsdb), "--storage.tsdb.path=%s/data", dir);
        snprintf(arg_listen, sizeof(arg_listen), "--web.listen-address=127.0.0.1:%d", prom_port);
        prom = fork();
        cr_assert_geq(prom, 0);
        if (prom == 0) {
                int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

                dup2(null, 1);
                dup2(null, 2);
                execl("/usr/bin/prometheus", "prometheus", arg_config, arg_tsdb, arg_listen,
                      "--log.level=error", (char *)NULL);
                _exit(127);
        }
        /* Up within 20 s: started, scraped once, queryable. */
        for (int waited = 0; waited < 20000 && !found; waited += 250) {
                int fd;

                poll(NULL, 0, 250);
                fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                struct sockaddr_in sa = { .sin_family = AF_INET,
                                          .sin_port = htons((uint16_t)prom_port),
                                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
                bool listening = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;

                close(fd);
                if (!listening)
                        continue;
                if (!up)
                        up = strstr(http(prom_port, "GET /api/v1/query?query=up HTTP/1.0\r\n\r\n",
                                         &len),
                                    "\"job\":\"unotifyd\"},\"value\":[") &&
                             strstr(http(prom_port,
                                         "GET /api/v1/query?query=up%3D%3D1 HTTP/1.0\r\n\r\n",
                                         &len),
                                    "\"job\":\"unotifyd\"");
                if (up)
                        found = strstr(http(prom_port,
                                            "GET /api/v1/query?query=unotifyd_decisions_total "
                                            "HTTP/1.0\r\n\r\n",
                                            &len),
                                       "\"action\":\"errno\"");
        }
        kill(prom, SIGTERM);
        waitpid(prom, NULL, 0);
        cr_assert(up, "Prometheus never saw the target up");
        cr_assert(found, "unotifyd_decisions_total{action=\"errno\"} is not in Prometheus");
}

/* A "metrics" fd that is no listening socket: the daemon does not start
 * (69), and says why. */
Test(metrics_activation, a_metrics_fd_that_is_no_listening_socket_is_refused, .timeout = 60)
{
        const char *names[] = { "handoff", "control", "metrics" };
        static struct svc s;
        int fds[3], pair[2], status;

        svc_prepare(&s, metrics_policies);
        fds[0] = svc_listen(s.d.socket);
        fds[1] = svc_listen(s.d.control);
        cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
        fds[2] = pair[0];
        svc_exec(&s, fds, names, 3, NULL);
        cr_assert_eq(waitpid(s.d.pid, &status, 0), s.d.pid);
        s.d.pid = 0;
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 69, "status %#x: %s", status,
                  daemon_log(&s.d));
        cr_assert(strstr(daemon_log(&s.d),
                         "the fd named \"metrics\" is not a listening stream socket"),
                  "%s", daemon_log(&s.d));
        for (int i = 0; i < 3; i++)
                close(fds[i]);
        close(pair[1]);
        svc_cleanup(&s);
}

/* --metrics-listen PATH: the same endpoint on a unix socket, removed at exit. */
Test(metrics_unix, served_on_a_unix_socket, .timeout = 60)
{
        static struct test_daemon u;
        static char arg[400];
        char path[340];
        struct stat st;
        size_t len;
        char *r;
        int fd;

        u = (struct test_daemon){ .extra_arg = arg };
        /* The harness makes the temp dir in daemon_start: a path of our own. */
        snprintf(path, sizeof(path), "/tmp/unotify-metrics-%d.sock", (int)getpid());
        snprintf(arg, sizeof(arg), "--metrics-listen=%s", path);
        daemon_start(&u, metrics_policies, false);
        cr_assert_eq(stat(path, &st), 0);
        cr_assert_eq(st.st_mode & 0777, 0666, "anyone may read the figures: %o", st.st_mode & 0777);
        fd = raw_connect(path);
        const char *get = "GET /metrics HTTP/1.0\r\n\r\n";

        cr_assert_eq(write(fd, get, strlen(get)), (ssize_t)strlen(get));
        r = read_all(fd, &len);
        close(fd);
        cr_assert(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", r);
        cr_assert(strstr(r, "\nunotifyd_policies 2\n"), "%s", r);
        daemon_stop(&u);
        cr_assert_neq(stat(path, &st), 0, "the socket it bound is removed at exit");
}

/* As unotifyd-metrics.socket: a loopback TCP socket passed as "metrics". */
Test(metrics_activation, tcp_socket_passed_as_metrics, .timeout = 60)
{
        struct sockaddr_in sa = { .sin_family = AF_INET,
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(sa);
        const char *names[] = { "handoff", "control", "metrics" };
        static struct svc s;
        int fds[3];

        svc_prepare(&s, metrics_policies);
        fds[0] = svc_listen(s.d.socket);
        fds[1] = svc_listen(s.d.control);
        fds[2] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        cr_assert_eq(bind(fds[2], (struct sockaddr *)&sa, sizeof(sa)), 0);
        cr_assert_eq(listen(fds[2], 16), 0);
        cr_assert_eq(getsockname(fds[2], (struct sockaddr *)&sa, &len), 0);
        svc_exec(&s, fds, names, 3, NULL);
        for (int i = 0; i < 3; i++)
                close(fds[i]);
        svc_wait_message(&s, "READY=1", 10000);
        cr_assert_geq(value_of(scrape(ntohs(sa.sin_port)), "unotifyd_policies"), 2);
        cr_assert(strstr(daemon_log(&s.d), "metrics socket passed in (socket activation)"), "%s",
                  daemon_log(&s.d));
        svc_stop(&s, SIGTERM);
        svc_cleanup(&s);
}
