/* Learn mode with real runtimes: runc and crun run a busybox container
 * whose seccomp section is export-oci of a policy that learns (its name
 * from --learn-name); the daemon's recording of it becomes a profile, and
 * the runtime enforces that profile by itself (pure BPF, no listener):
 * the same workload runs, one more mkdir is denied. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "runtime.h"

#define WORKLOAD "ls /; cat /etc/hostname; wget --help; date"

/* The runtime's own calls between installing the filter and handing the
 * listener off stay in the kernel, and so do the calls runc's Go runtime
 * makes in its threads at any time, which one run may make and the next
 * not (docs/learn.md): every profile exported allows them. */
static const struct test_policy policies[] = {
        { "learn-container.json",
          "{\"name\": \"learn-container\", \"defaultAction\": \"SCMP_ACT_ALLOW\", \"learn\": {},"
          " \"syscalls\": [{\"names\": [\"close\", \"fcntl\", \"read\", \"sendmsg\", \"write\","
          " \"futex\", \"nanosleep\", \"sched_yield\", \"getpid\", \"gettid\", \"tgkill\","
          " \"rt_sigreturn\", \"rt_sigprocmask\", \"sigaltstack\", \"epoll_pwait\"],"
          " \"action\": \"SCMP_ACT_ALLOW\"}]}" },
        {},
};

static struct rt_env env;
static struct test_daemon d;
static bool daemon_up;

static void teardown(void)
{
        rt_env_cleanup(&env);
        if (daemon_up)
                daemon_stop(&d);
        daemon_up = false;
}

TestSuite(learn_rt, .fini = teardown, .timeout = 120);

static json_t *run_json(const char *const *argv)
{
        struct cmd_result r;
        json_error_t e;
        json_t *v;

        run_cmd(argv, 20000, &r);
        cr_assert_eq(r.status, 0, "%s: %s%s", argv[1], r.out, r.err);
        v = json_loads(r.out, 0, &e);
        cr_assert_not_null(v, "%s: %s", e.text, r.out);
        return v;
}

static void learn_and_enforce(const char *runtime)
{
        const char *args[] = { "sh", "-c", WORKLOAD, NULL };
        const char *more[] = { "sh", "-c", WORKLOAD "; mkdir /tmp/x", NULL };
        char name[64], rec_path[400];
        struct cmd_result r;
        json_t *section, *rec, *profile;
        const char *id;

        rt_env_init(&env, runtime);
        daemon_start(&d, policies, false);
        daemon_up = true;
        snprintf(name, sizeof(name), "ctr-%s", runtime);
        {
                const char *argv[] = { UNOTIFYCTL, "export-oci", "-p", d.policy_dir,      "-s",
                                       d.socket,   "-L",         name, "learn-container", NULL };

                section = run_json(argv);
        }
        id = rt_bundle(&env, &d, &(struct container){ .seccomp = section, .args = args });
        rt_run(&env, id, &r);
        cr_assert_eq(r.status, 0, "%s run: %s%s", runtime, r.out, r.err);
        cr_assert(strstr(r.out, "Usage: wget") || strstr(r.err, "Usage: wget"), "%s%s", r.out,
                  r.err);
        {
                const char *argv[] = { UNOTIFYCTL, "learn", "save", "-c", d.control, name, NULL };

                rec = run_json(argv);
        }
        cr_assert_gt(json_integer_value(json_object_get(rec, "notifications")), 50);
        snprintf(rec_path, sizeof(rec_path), "%s/rec.json", env.dir);
        cr_assert_eq(json_dump_file(rec, rec_path, 0), 0);
        {
                const char *argv[] = { UNOTIFYCTL, "learn", "export", rec_path, NULL };

                profile = run_json(argv);
        }
        json_object_del(profile, "comment");
        /* The runtime enforces the profile alone: the daemon plays no part. */
        daemon_stop(&d);
        daemon_up = false;
        id = rt_bundle(&env, NULL, &(struct container){ .seccomp = profile, .args = args });
        rt_run(&env, id, &r);
        cr_assert_eq(r.status, 0, "%s enforced: %s%s", runtime, r.out, r.err);
        id = rt_bundle(&env, NULL, &(struct container){ .seccomp = profile, .args = more });
        rt_run(&env, id, &r);
        cr_assert_neq(r.status, 0, "%s%s", r.out, r.err);
        cr_assert(strstr(r.err, "can't create directory '/tmp/x': Operation not permitted"), "%s%s",
                  r.out, r.err);
        json_decref(section);
        json_decref(rec);
        json_decref(profile);
}

Test(learn_rt, runc)
{
        learn_and_enforce("runc");
}

Test(learn_rt, crun)
{
        learn_and_enforce("crun");
}
