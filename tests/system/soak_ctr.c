#include "soak_ctr.h"

#include <criterion/criterion.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* clang-format off */
const struct test_policy soak_ctr_policy = {
        "soak-ctr.json",
        "{\"name\":\"soak-ctr\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
        "{\"names\":[\"mkdir\",\"mkdirat\"],\"notify\":true,\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":\"EPERM\"},"
        "{\"names\":[\"getppid\"],\"notify\":true,\"action\":\"UNOTIFY_ACT_RETURN\",\"returnValue\":4242}]}"
};
/* clang-format on */

static const char *const args[] = { "sh", "-c",
                                    "mkdir /tmp/soak-a; echo mkdir=$?; sleep 1; mkdir /tmp/soak-b; "
                                    "echo mkdir=$?; echo ppid=$PPID",
                                    NULL };

void soak_ctr_init(struct soak_ctr *c, const char *runtime, const struct test_daemon *d)
{
        memset(c, 0, sizeof(*c));
        c->missing = getenv("UNOTIFY_SOAK_NO_CONTAINERS") ? "UNOTIFY_SOAK_NO_CONTAINERS is set"
                                                          : rt_missing(runtime);
        if (c->missing)
                return;
        rt_env_init(&c->env, runtime);
        c->id = rt_bundle(&c->env, d, &(struct container){ .policy = "soak-ctr", .args = args });
}

static void assert_nothing_made(const struct soak_ctr *c)
{
        char path[600];

        snprintf(path, sizeof(path), "%s/tmp/soak-a", c->env.rootfs);
        cr_assert_eq(access(path, F_OK), -1, "%s: a denied mkdir was done", path);
        snprintf(path, sizeof(path), "%s/tmp/soak-b", c->env.rootfs);
        cr_assert_eq(access(path, F_OK), -1, "%s: a denied mkdir was done", path);
}

static void collect(struct soak_ctr *c)
{
        struct cmd_result *r = calloc(1, sizeof(*r));

        cr_assert_not_null(r);
        rt_wait(c->pid, c->out_err, r);
        c->pid = 0;
        cr_assert_eq(r->status, 0, "%s run %u: status %d\n%s\n%s", c->env.rt.name, c->runs,
                     r->status, r->out, r->err);
        cr_assert_str_eq(r->out, "mkdir=1\nmkdir=1\nppid=4242\n", "%s run %u: %s", c->env.rt.name,
                         c->runs, r->err);
        assert_nothing_made(c);
        c->runs++;
        free(r);
}

void soak_ctr_poll(struct soak_ctr *c, bool start)
{
        siginfo_t info = { 0 };

        if (c->missing)
                return;
        /* WNOWAIT: rt_wait reaps it, after reading its output. */
        if (c->pid && waitid(P_PID, (id_t)c->pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
            info.si_pid == c->pid)
                collect(c);
        if (!c->pid && start)
                c->pid = rt_start(&c->env, c->id, c->out_err);
}

bool soak_ctr_mid_run(const struct soak_ctr *c)
{
        struct pollfd p = { .fd = c->out_err[0], .events = POLLIN };

        return c->pid && poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

void soak_ctr_drain(struct soak_ctr *c)
{
        if (!c->missing && c->pid)
                collect(c);
}

void soak_ctr_cleanup(struct soak_ctr *c)
{
        if (c->missing)
                return;
        if (c->pid) {
                kill(c->pid, SIGKILL);
                waitpid(c->pid, NULL, 0);
                close(c->out_err[0]);
                close(c->out_err[1]);
                c->pid = 0;
        }
        rt_env_cleanup(&c->env);
}
