/* The policy's "landlock" section, enforced by the kernel: unotify-run
 * restricts the command with a Landlock ruleset before exec. Denied files
 * stay denied with the daemon stopped, and the daemon never sees those
 * calls; what Landlock cannot express stays with the daemon. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static char dir[64], probe[128], allowed[128], denied[128];
static struct test_daemon d;

struct task {
        pid_t pid;
        int in;
        FILE *out;
};

static void need_landlock(void)
{
        long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

        if (abi < 1)
                cr_skip_test("this kernel has no Landlock (%s)", strerror(errno));
}

/* The test's directory: the probe (which must be executable under the
 * ruleset), a file it may read; and a file outside it that it may not. */
static void make_dir(void)
{
        char cmd[512];

        strcpy(dir, "/tmp/unotify-landlock.XXXXXX");
        cr_assert_not_null(mkdtemp(dir));
        snprintf(probe, sizeof(probe), "%s/probe", dir);
        snprintf(cmd, sizeof(cmd), "cp %s %s", PROBE, probe);
        cr_assert_eq(system(cmd), 0);
        snprintf(allowed, sizeof(allowed), "%s/allowed", dir);
        write_file(allowed, "yes\n");
        snprintf(denied, sizeof(denied), "%s.denied", dir);
        write_file(denied, "no\n");
}

static void remove_dir(void)
{
        char cmd[256];

        snprintf(cmd, sizeof(cmd), "rm -rf %s %s", dir, denied);
        (void)!system(cmd);
}

/* Reads under /usr, /lib, /etc/hostname and the test's directory, and
 * nothing else for file access; mkdir answered by the daemon. */
static void policy_ll(char *buf, size_t size)
{
        snprintf(buf, size,
                 "{\"name\":\"ll\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"landlock\":{\"allow\":["
                 "{\"path\":\"/usr\",\"access\":[\"read_file\",\"read_dir\",\"execute\"]},"
                 "{\"path\":\"/lib\",\"access\":[\"read_file\",\"read_dir\",\"execute\"]},"
                 "{\"path\":\"/etc/hostname\",\"access\":[\"read_file\"]},"
                 "{\"path\":\"%s\",\"access\":[\"read_file\",\"read_dir\",\"execute\"]}]},"
                 "\"syscalls\":[{\"names\":[\"mkdir\"],\"notify\":true,\"action\":\"SCMP_ACT_"
                 "ERRNO\","
                 "\"errnoRet\":\"EPERM\"}]}",
                 dir);
}

/* The same section, and rules Landlock cannot express: a path rule with
 * its own errno, an argument condition. */
static void policy_mixed(char *buf, size_t size)
{
        snprintf(
                buf, size,
                "{\"name\":\"mixed\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"landlock\":{\"allow\":["
                "{\"path\":\"/usr\",\"access\":[\"read_file\",\"read_dir\",\"execute\"]},"
                "{\"path\":\"/lib\",\"access\":[\"read_file\",\"read_dir\",\"execute\"]},"
                "{\"path\":\"%s\",\"access\":[\"read_file\",\"read_dir\",\"execute\"]}]},"
                "\"syscalls\":["
                "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":\"EROFS\","
                "\"paths\":[{\"index\":0,\"prefix\":\"%s\"}]},"
                "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":\"EPERM\"},"
                "{\"names\":[\"umask\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":\"EACCES\","
                "\"args\":[{\"index\":0,\"value\":511,\"op\":\"SCMP_CMP_EQ\"}]}]}",
                dir, dir);
}

static void start(void)
{
        static char ll[2048], mixed[2048];

        need_landlock();
        make_dir();
        policy_ll(ll, sizeof(ll));
        policy_mixed(mixed, sizeof(mixed));
        d = (struct test_daemon){};
        daemon_start(&d,
                     (const struct test_policy[]){ { "ll.json", ll }, { "mixed.json", mixed }, {} },
                     false);
}

static void task_start(struct task *t, const char *policy)
{
        int pin[2], pout[2], pid = 0;
        char line[64] = "";

        cr_assert_eq(pipe2(pin, O_CLOEXEC), 0);
        cr_assert_eq(pipe2(pout, O_CLOEXEC), 0);
        t->pid = fork();
        cr_assert_geq(t->pid, 0);
        if (t->pid == 0) {
                dup2(pin[0], STDIN_FILENO);
                dup2(pout[1], STDOUT_FILENO);
                close_range(3, ~0u, 0);
                execl(UNOTIFY_RUN, UNOTIFY_RUN, "--socket", d.socket, "--policy", policy, "--",
                      probe, "open-each", NULL);
                _exit(127);
        }
        close(pin[0]);
        close(pout[1]);
        t->in = pin[1];
        t->out = fdopen(pout[0], "r");
        cr_assert(fgets(line, sizeof(line), t->out) && sscanf(line, "ready %d", &pid) == 1,
                  "the task did not start: \"%s\"", line);
}

/* One open(path) in the task: "ok", "EACCES", ... (static). */
static const char *task_open(struct task *t, const char *path)
{
        static char line[64];

        cr_assert(dprintf(t->in, "%s\n", path) > 0);
        cr_assert_not_null(fgets(line, sizeof(line), t->out), "the task is gone");
        line[strcspn(line, "\n")] = '\0';
        return strncmp(line, "open: ", 6) == 0 ? line + 6 : line;
}

static void task_stop(struct task *t)
{
        int status;

        close(t->in);
        fclose(t->out);
        cr_assert_eq(waitpid(t->pid, &status, 0), t->pid);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status 0x%x", status);
}

static void check_opens(struct task *t)
{
        cr_assert_str_eq(task_open(t, "/etc/hostname"), "ok");
        cr_assert_str_eq(task_open(t, "/usr/lib/os-release"), "ok");
        cr_assert_str_eq(task_open(t, allowed), "ok");
        cr_assert_str_eq(task_open(t, denied), "EACCES");
        cr_assert_str_eq(task_open(t, "/etc/passwd"), "EACCES");
        cr_assert_str_eq(task_open(t, "/tmp"), "EACCES");
}

Test(landlock, kernel_enforces_without_the_daemon, .timeout = 60)
{
        struct task t;
        long long before;

        start();
        before = daemon_stat(&d, "notifications_received");
        task_start(&t, "ll");
        check_opens(&t);
        /* Not one of those calls reached the daemon. */
        cr_assert_eq(daemon_stat(&d, "notifications_received"), before);
        daemon_stop(&d);
        /* The daemon is gone; the kernel still decides. */
        check_opens(&t);
        task_stop(&t);
        remove_dir();
}

Test(landlock, daemon_keeps_what_landlock_cannot_express, .timeout = 60)
{
        const char *show[] = { UNOTIFYCTL, "show", "--policy-dir", d.policy_dir, "mixed", NULL };
        char inside[128];
        struct cmd_result r;
        json_t *j, *ll, *rules;
        long long before;

        start();
        snprintf(inside, sizeof(inside), "%s/sub", dir);
        before = daemon_stat(&d, "notifications_received");
        run_sandboxed(&d, "mixed", (const char *const[]){ probe, "mkdir", inside, NULL }, &r);
        cr_assert_str_eq(r.out, "mkdir: errno 30\n", "%s%s", r.out, r.err); /* EROFS */
        run_sandboxed(&d, "mixed", (const char *const[]){ probe, "mkdir", "/tmp/x", NULL }, &r);
        cr_assert_str_eq(r.out, "mkdir: EPERM\n", "%s%s", r.out, r.err);
        run_sandboxed(&d, "mixed", (const char *const[]){ probe, "umask", "0777", NULL }, &r);
        cr_assert_str_eq(r.out, "umask: EACCES\n", "%s%s", r.out, r.err);
        cr_assert_eq(daemon_stat(&d, "notifications_received"), before + 2,
                     "the path rules' mkdirs are the daemon's, umask the filter's");

        run_cmd(show, 10000, &r);
        cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
        j = json_loads(r.out, 0, NULL);
        ll = json_object_get(j, "landlock");
        cr_assert_not_null(ll, "%s", r.out);
        cr_assert_eq(json_array_size(json_object_get(ll, "allow")), 3);
        rules = json_object_get(ll, "pathRulesWithDaemon");
        cr_assert_eq(json_array_size(rules), 1, "%s", r.out);
        cr_assert_str_eq(json_string_value(json_object_get(json_array_get(rules, 0), "pointer")),
                         "/syscalls/0");
        json_decref(j);
        daemon_stop(&d);
        remove_dir();
}
