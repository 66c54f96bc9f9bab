#include "soak_ctr.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
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
const struct test_policy soak_ctr_kill_policy = {
        "soak-ctr-kill.json",
        "{\"name\":\"soak-ctr-kill\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
        "{\"names\":[\"mkdir\",\"mkdirat\"],\"notify\":true,\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":\"EPERM\"},"
        "{\"names\":[\"open\",\"openat\"],\"notify\":true,\"action\":\"UNOTIFY_ACT_EMULATE\",\"handler\":\"open\"}]}"
};
/* clang-format on */

/* A storm run: its shell traps SIGUSR1 and a background subshell of it
 * sends it one after another, from inside the container, across its
 * notified calls; it prints how many traps ran. */
static const char *const storm_args[] = {
        "sh", "-c",
        "n=0; trap 'n=$((n+1))' USR1; (while kill -USR1 $$ 2>/dev/null; do :; done) & "
        "mkdir /tmp/soak-a; echo mkdir=$?; sleep 1; mkdir /tmp/soak-b; echo mkdir=$?; "
        "echo ppid=$PPID; kill $!; echo storm=$n",
        NULL
};

static const char *const args[] = { "sh", "-c",
                                    "mkdir /tmp/soak-a; echo mkdir=$?; sleep 1; mkdir /tmp/soak-b; "
                                    "echo mkdir=$?; echo ppid=$PPID",
                                    NULL };

void soak_ctr_init(struct soak_ctr *c, const char *runtime, const struct test_daemon *d)
{
        char path[400];

        memset(c, 0, sizeof(*c));
        c->missing = getenv("UNOTIFY_SOAK_NO_CONTAINERS") ? "UNOTIFY_SOAK_NO_CONTAINERS is set"
                                                          : rt_missing(runtime);
        if (c->missing)
                return;
        rt_env_init(&c->env, runtime);
        c->id = rt_bundle(&c->env, d, &(struct container){ .policy = "soak-ctr", .args = args });
        c->storm_id = rt_bundle(&c->env, d,
                                &(struct container){ .policy = "soak-ctr", .args = storm_args });
        /* Killed in its open of a FIFO nobody writes: a call in flight, its
         * emulation blocked in a worker of the daemon. The name is this
         * test's and runtime's alone, to find that cat among the host's. */
        snprintf(c->fifo, sizeof(c->fifo), "/fifo-%s-%d", runtime, (int)getpid());
        snprintf(c->kill_cmd, sizeof(c->kill_cmd), "mkdir /tmp/soak-a; echo mkdir=$?; cat %s",
                 c->fifo);
        c->kill_id = rt_bundle(&c->env, d,
                               &(struct container){ .policy = "soak-ctr-kill",
                                                    .args = (const char *const[]){
                                                            "sh", "-c", c->kill_cmd, NULL } });
        snprintf(path, sizeof(path), "%s%s", c->env.rootfs, c->fifo);
        cr_assert_eq(mkfifo(path, 0666), 0, "%s: %s", path, strerror(errno));
}

static long long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000;
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
        if (c->kill_run) {
                /* Its init SIGKILLed while cat waited in the daemon. */
                cr_assert(c->kill_sent, "%s: a kill run ended by itself: %s", c->env.rt.name,
                          r->out);
                cr_assert_str_eq(r->out, "mkdir=1\n", "%s kill run: %s", c->env.rt.name, r->err);
                assert_nothing_made(c);
                c->killed_mid_call++;
                c->kill_run = c->kill_sent = false;
                free(r);
                return;
        }
        cr_assert_eq(r->status, 0, "%s run %u: status %d\n%s\n%s", c->env.rt.name, c->runs,
                     r->status, r->out, r->err);
        if (c->storm_run) {
                unsigned traps = 0;

                cr_assert_eq(sscanf(r->out, "mkdir=1\nmkdir=1\nppid=4242\nstorm=%u", &traps), 1,
                             "%s storm run %u: %s\n%s", c->env.rt.name, c->runs, r->out, r->err);
                cr_assert_gt(traps, 0, "%s storm run: no SIGUSR1 trapped: %s", c->env.rt.name,
                             r->out);
                c->stormed++;
                c->storm_traps += traps;
                c->storm_run = false;
        } else
                cr_assert_str_eq(r->out, "mkdir=1\nmkdir=1\nppid=4242\n", "%s run %u: %s",
                                 c->env.rt.name, c->runs, r->err);
        assert_nothing_made(c);
        c->runs++;
        free(r);
}

/* The pid of the kill run's cat when it waits for the daemon (its open
 * received, in a worker), or 0. */
static pid_t cat_in_seccomp(const struct soak_ctr *c)
{
        char want[80];
        size_t len = (size_t)snprintf(want, sizeof(want), "cat%c%s", '\0', c->fifo) + 1;

        DIR *proc = opendir("/proc");
        struct dirent *de;
        pid_t found = 0;

        while (proc && !found && (de = readdir(proc))) {
                char p[300], buf[64] = "";
                ssize_t n;
                int fd;

                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                snprintf(p, sizeof(p), "/proc/%s/cmdline", de->d_name);
                if ((fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
                        continue;
                n = read(fd, buf, sizeof(buf) - 1);
                close(fd);
                if (n != (ssize_t)len || memcmp(buf, want, len))
                        continue;
                snprintf(p, sizeof(p), "/proc/%s/wchan", de->d_name);
                if ((fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
                        continue;
                n = read(fd, buf, sizeof(buf) - 1);
                close(fd);
                buf[n > 0 ? n : 0] = '\0';
                if (strstr(buf, "seccomp"))
                        found = (pid_t)atoi(de->d_name);
        }
        if (proc)
                closedir(proc);
        return found;
}

/* cat SIGKILLed with its open in flight: the container's last process
 * (busybox sh execs its last command, so cat is its init), and the
 * runtime's run ends. */
static void kill_mid_call(struct soak_ctr *c)
{
        long long now = now_ms();
        pid_t cat;

        if (now < c->next_look_ms || !soak_ctr_mid_run(c))
                return;
        c->next_look_ms = now + 20;
        if (!(cat = cat_in_seccomp(c)))
                return;
        usleep(50000); /* the worker in its open */
        if (kill(cat, SIGKILL) == 0)
                c->kill_sent = true;
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
        if (c->pid && c->kill_run && !c->kill_sent)
                kill_mid_call(c);
        if (!c->pid && start) {
                c->kill_run = !c->clean && ++c->started % 4 == 0;
                c->storm_run = !c->clean && c->started % 4 == 2;
                c->pid = rt_start(&c->env,
                                  c->kill_run    ? c->kill_id
                                  : c->storm_run ? c->storm_id
                                                 : c->id,
                                  c->out_err);
        }
}

bool soak_ctr_mid_run(const struct soak_ctr *c)
{
        struct pollfd p = { .fd = c->out_err[0], .events = POLLIN };

        return c->pid && poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

void soak_ctr_drain(struct soak_ctr *c)
{
        long long until = now_ms() + 30000;

        while (!c->missing && c->pid && c->kill_run && !c->kill_sent && now_ms() < until) {
                kill_mid_call(c);
                usleep(5000);
        }
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

/* What the daemon logged of the flags each container listener's filter
 * was loaded with: the line it writes once per listener, when the
 * handoff adds it ("listener N: container unotify-RT-... ...;
 * WAIT_KILLABLE_RECV yes", "no" or "unknown"). */
void soak_ctr_report_flags(const struct soak_ctr *c, const struct test_daemon *d)
{
        static const char *const what[] = { "yes", "no", "unknown" };
        unsigned n[3] = { 0 };
        char id[64], *line = NULL;
        size_t cap = 0;
        FILE *f;

        if (c->missing || !(f = fopen(d->log, "re")))
                return;
        snprintf(id, sizeof(id), ": container unotify-%s-", c->env.rt.name);
        while (getline(&line, &cap, f) > 0) {
                char *w = strstr(line, "WAIT_KILLABLE_RECV ");

                for (size_t i = 0; w && strstr(line, id) && i < 3; i++)
                        n[i] += !strncmp(w + 19, what[i], strlen(what[i])) &&
                                (w[19 + strlen(what[i])] == '\n' || !w[19 + strlen(what[i])]);
        }
        free(line);
        fclose(f);
        printf("soak: %s listeners' WAIT_KILLABLE_RECV as the daemon logged it: %u yes, %u no, "
               "%u unknown\n",
               c->env.rt.name, n[0], n[1], n[2]);
        fflush(stdout);
}
