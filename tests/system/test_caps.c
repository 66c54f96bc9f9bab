/* The caps on listeners (in total and per peer uid), learn-mode memory
 * and control request length: each refusal happens at the cap, with a
 * clear reason, is counted in `unotifyctl stats` (JSON and Prometheus),
 * and the daemon goes on serving everyone else. */
#include <criterion/criterion.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "policies.h"
#include "rawclient.h"
#include "sandbox.h"
#include "users.h"

#define LEARN_BIG_POLICY                                                                       \
        "{\"name\":\"learnbig\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"learn\":{\"maxPaths\":" \
        "4096}}"

static const struct test_policy policies[] = {
        { "demo.json", DEMO_POLICY },
        { "learnbig.json", LEARN_BIG_POLICY },
        {},
};

static struct test_daemon d;

static void stop(void)
{
        daemon_stop(&d);
}

TestSuite(caps, .fini = stop, .timeout = 90);

static void start(const char *limit)
{
        d.extra_arg = limit;
        daemon_start(&d, policies, false);
}

static const char *prometheus(void)
{
        static struct cmd_result r;
        const char *argv[] = { UNOTIFYCTL, "stats", "--socket", d.control, "--prometheus", NULL };

        run_cmd(argv, 10000, &r);
        cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
        return r.out;
}

static void assert_metric(const char *line)
{
        const char *text = prometheus();

        cr_assert(strstr(text, line), "no \"%s\" in:\n%s", line, text);
}

static void start_box(struct sandbox *b, const char *policy, const char *name)
{
        char path[400];

        snprintf(path, sizeof(path), "%s/%s", d.dir, name);
        sandbox_start_run(b, d.socket, policy, path);
}

static void wait_stat(const char *name, long long want)
{
        for (int i = 0; i < 500 && daemon_stat(&d, name) != want; i++)
                poll(NULL, 0, 10);
        cr_assert_eq(daemon_stat(&d, name), want, "%s", name);
}

/* listeners=3: the fourth handoff is refused with the reason, its task's
 * notified calls fail with ENOSYS (nobody took its listener), the three
 * go on being answered, and once one leaves a new one gets in. */
Test(caps, listeners_in_total)
{
        struct sandbox box[3];
        char path[400];
        const char *rep;

        start("--limit=listeners=3");
        snprintf(path, sizeof(path), "%s/late", d.dir);
        for (int i = 0; i < 3; i++) {
                start_box(&box[i], "demo", "x");
                cr_assert_str_eq(sandbox_mkdir(&box[i]), "EPERM");
        }
        rep = filtered_child_handoff(d.socket, "demo", 0, path);
        cr_assert(strstr(rep, "ok=0") &&
                          strstr(rep, "the daemon serves 3 listeners, its cap (listeners=3)"),
                  "%s", rep);
        cr_assert(strstr(rep, "mkdir=Function not implemented"), "%s", rep);
        cr_assert_eq(daemon_stat(&d, "listeners_refused"), 1);
        assert_metric("unotifyd_caps_refused_total{cap=\"listeners\"} 1\n");
        assert_metric("unotifyd_handoffs_refused_total{reason=\"listeners\"} 1\n");
        for (int i = 0; i < 3; i++)
                cr_assert_str_eq(sandbox_mkdir(&box[i]), "EPERM");
        sandbox_stop(&box[2]);
        wait_stat("listeners", 2);
        rep = filtered_child_handoff(d.socket, "demo", 0, path);
        cr_assert(strstr(rep, "ok=1") && strstr(rep, "mkdir=Operation not permitted"), "%s", rep);
        cr_assert_eq(daemon_stat(&d, "listeners_refused"), 1);
        printf("caps: listeners=3: the 4th handoff refused (counted 1), the 3 served, a new one in "
               "after one left\n");
        sandbox_stop(&box[0]);
        sandbox_stop(&box[1]);
}

/* listeners-per-uid=2 on a daemon run by an unprivileged user: root (a
 * peer allowed to hand over) gets 2, its third is refused, and the
 * daemon's own user still gets in. */
Test(caps, listeners_per_uid)
{
        struct test_user owner;
        struct sandbox box[2];
        struct cmd_result r;
        char path[400];
        const char *rep;

        test_user_get("unotify-rl1", &owner);
        d = (struct test_daemon){ .wrapper = as_user_wrapper(&owner),
                                  .owner = owner.uid,
                                  .owner_gid = owner.gid,
                                  .extra_arg = "--limit=listeners-per-uid=2" };
        daemon_start(&d, policies, false);
        snprintf(path, sizeof(path), "%s/late", d.dir);
        for (int i = 0; i < 2; i++) {
                start_box(&box[i], "demo", "x");
                cr_assert_str_eq(sandbox_mkdir(&box[i]), "EPERM");
        }
        rep = filtered_child_handoff(d.socket, "demo", 0, path);
        cr_assert(strstr(rep, "ok=0") &&
                          strstr(rep, "uid 0 handed over 2 listeners being served, its cap "
                                      "(listeners-per-uid=2)"),
                  "%s", rep);
        cr_assert_eq(daemon_stat(&d, "listeners_refused"), 1);
        run_as(&owner,
               (const char *const[]){ UNOTIFY_RUN, "--socket", d.socket, "--policy", "demo", "--",
                                      PROBE, "mkdir", "/tmp/unotify-caps-x", NULL },
               &r);
        cr_assert(strstr(r.out, "EPERM") || strstr(r.err, "EPERM") ||
                          strstr(r.out, "not permitted"),
                  "the daemon's own user was not served: %d %s %s", r.status, r.out, r.err);
        cr_assert_eq(daemon_stat(&d, "listeners_refused"), 1);
        for (int i = 0; i < 2; i++)
                cr_assert_str_eq(sandbox_mkdir(&box[i]), "EPERM");
        printf("caps: listeners-per-uid=2: root's 3rd handoff refused (counted 1), the owner's "
               "went through\n");
        sandbox_stop(&box[0]);
        sandbox_stop(&box[1]);
}

/* learn-bytes=600000: a recording with maxPaths 4096 holds a 256 KiB
 * table, so two fit and the third listener runs unrecorded (its calls
 * still answered); the bytes held never pass the cap. */
Test(caps, learn_bytes)
{
        struct sandbox box[3];
        long long held;

        start("--limit=learn-bytes=600000");
        for (int i = 0; i < 3; i++) {
                start_box(&box[i], "learnbig", "y");
                cr_assert_neq(strcmp(sandbox_mkdir(&box[i]), "ENOSYS"), 0);
        }
        held = daemon_stat(&d, "learn_bytes");
        cr_assert_gt(held, 2 * 262144);
        cr_assert_leq(held, 600000);
        cr_assert_geq(daemon_stat(&d, "learn_bytes_capped"), 1);
        cr_assert(strstr(daemon_log(&d), "not recording: the recordings hold"), "%s",
                  daemon_log(&d));
        assert_metric("unotifyd_learn_bytes ");
        for (int i = 0; i < 3; i++)
                cr_assert_neq(strcmp(sandbox_mkdir(&box[i]), "ENOSYS"), 0);
        printf("caps: learn-bytes=600000: %lld bytes held by 2 recordings, the 3rd refused "
               "(counted %lld), "
               "its calls answered\n",
               held, daemon_stat(&d, "learn_bytes_capped"));
        for (int i = 0; i < 3; i++)
                sandbox_stop(&box[i]);
        /* Ended listeners' recordings are kept (the first one's taken over,
         * not copied): still within the cap. */
        cr_assert_leq(daemon_stat(&d, "learn_bytes"), 600000);
}

/* control-request-bytes=256: a longer request is refused and counted,
 * the next client is answered. */
Test(caps, control_request_bytes)
{
        char req[400];
        const char *reply;
        int fd;

        start("--limit=control-request-bytes=256");
        memset(req, ' ', sizeof(req));
        memcpy(req, "{\"command\":\"status\"", 19);
        memcpy(req + sizeof(req) - 2, "}\n", 2);
        fd = raw_connect(d.control);
        raw_send(fd, req, sizeof(req), NULL, 0);
        reply = raw_reply(fd, 5000);
        cr_assert(strstr(reply, "request longer than 256 bytes (control-request-bytes)"), "%s",
                  reply);
        close(fd);
        cr_assert_eq(daemon_stat(&d, "control_requests_too_large"), 1);
        /* 255 bytes with the newline: within the cap. */
        fd = raw_connect(d.control);
        raw_send(fd, req, 19, NULL, 0);
        raw_send(fd, req + 19, 254 - 19 - 1, NULL, 0);
        raw_send(fd, "}\n", 2, NULL, 0);
        reply = raw_reply(fd, 5000);
        cr_assert(strstr(reply, "\"ok\":true"), "%s", reply);
        close(fd);
        assert_metric("unotifyd_caps_refused_total{cap=\"control-request-bytes\"} 1\n");
        printf("caps: control-request-bytes=256: a 400-byte request refused (counted 1), a "
               "255-byte one answered\n");
}
