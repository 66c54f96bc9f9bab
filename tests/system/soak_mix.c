#include "soak_mix.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define SOAKTARGET BIN("tests/unotify-soaktarget")
#define UTARGET BIN("tests/unotify-utarget")
#define HTARGET BIN("tests/unotify-htarget")
#define HOST_ROOT 100000 /* utarget's uid 0 on the host */
#define STR_(x) #x
#define SOAK_MIX_STR(x) STR_(x)

static char mix_policy[1024], u_policy[2048];

void soak_mix_policies(const char *t, struct test_policy ret[2])
{
        snprintf(mix_policy, sizeof(mix_policy),
                 "{\"name\":\"soak-mix\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                 "{\"names\":[\"times\"],\"action\":\"SCMP_ACT_KILL_THREAD\"},"
                 "{\"names\":[\"open\"],\"notify\":true,\"action\":\"UNOTIFY_ACT_EMULATE\","
                 "\"handler\":\"open\"},"
                 "{\"names\":[\"getgid\"],\"notify\":true,\"action\":\"SCMP_ACT_LOG\"},"
                 "{\"names\":[\"getsid\"],\"notify\":true,\"action\":\"SCMP_ACT_KILL_THREAD\"},"
                 "{\"names\":[\"memfd_create\"],\"notify\":true,\"action\":\"UNOTIFY_ACT_EMULATE\","
                 "\"handler\":\"inject\",\"handlerOptions\":{\"path\":\"%s/injected\"}}]}",
                 t);
        snprintf(
                u_policy, sizeof(u_policy),
                "{\"name\":\"soak-u\",\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                "{\"names\":[\"sysinfo\"],\"action\":\"UNOTIFY_ACT_EMULATE\",\"handler\":"
                "\"sysinfo\"},"
                "{\"names\":[\"setpriority\",\"sched_setattr\"],\"action\":\"UNOTIFY_ACT_EMULATE\","
                "\"handler\":\"sched\",\"handlerOptions\":{\"minNice\":-10}},"
                "{\"names\":[\"mount\",\"umount2\"],\"action\":\"UNOTIFY_ACT_EMULATE\","
                "\"handler\":\"mount\",\"handlerOptions\":{\"types\":[\"tmpfs\"],\"targets\":"
                "[\"%s/u\"],\"options\":[\"size\"],\"maxSize\":\"4m\",\"forceFlags\":"
                "[\"nosuid\",\"nodev\"]}},"
                "{\"names\":[\"setxattr\",\"removexattr\"],\"action\":\"UNOTIFY_ACT_EMULATE\","
                "\"handler\":\"xattr\"},"
                "{\"names\":[\"bpf\"],\"action\":\"UNOTIFY_ACT_EMULATE\",\"handler\":\"bpf\"}]}",
                t);
        ret[0] = (struct test_policy){ "soak-mix.json", mix_policy };
        ret[1] = (struct test_policy){ "soak-u.json", u_policy };
}

static long long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000;
}

/* A cgroup v2 of the container's root for the bpf jobs; none (and no bpf
 * job) without a cgroup2 hierarchy. */
static void make_cgroup(struct soak_mix *m)
{
        static const char *const roots[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
        static const char *const files[] = { "", "/cgroup.procs", "/cgroup.threads",
                                             "/cgroup.subtree_control" };
        char p[300];

        for (size_t i = 0; i < 2 && !m->cg[0]; i++) {
                snprintf(p, sizeof(p), "%s/cgroup.controllers", roots[i]);
                if (access(p, F_OK) < 0)
                        continue;
                snprintf(m->cg, sizeof(m->cg), "%s/unotify-soak-%d", roots[i], (int)getpid());
                if (mkdir(m->cg, 0755) < 0) {
                        m->cg[0] = '\0';
                        continue;
                }
                for (size_t k = 0; k < 4; k++) {
                        snprintf(p, sizeof(p), "%s%s", m->cg, files[k]);
                        (void)!chown(p, HOST_ROOT, HOST_ROOT);
                }
        }
}

void soak_mix_init(struct soak_mix *m, const char *t, const struct test_daemon *d)
{
        char p[200];

        memset(m, 0, sizeof(*m));
        m->d = d;
        snprintf(m->t, sizeof(m->t), "%s", t);
        snprintf(p, sizeof(p), "%s/injected", t);
        write_file(p, "INJECTED\n");
        snprintf(m->fifo, sizeof(m->fifo), "%s/fifo", t);
        cr_assert_eq(mkfifo(m->fifo, 0666), 0);
        snprintf(p, sizeof(p), "%s/u", t);
        cr_assert_eq(mkdir(p, 0755), 0);
        cr_assert_eq(chown(p, HOST_ROOT, HOST_ROOT), 0);
        make_cgroup(m);
}

long long soak_mix_calls(bool unpriv, bool killme)
{
        /* sysinfo, setpriority, sched_setattr, mount, umount2, setxattr;
         * or the first getgid, then per round a getgid and a memfd_create,
         * and the getsid that kills. */
        return unpriv ? 6 : 1 + 2 * SOAK_MIX_ROUNDS + killme;
}

/* A utarget job: the user-namespace one uses each handler once, the
 * tmpfs counted made once and gone (a mount done twice would stay
 * stacked); the bpf one its device program scenario. */
_Noreturn static void exec_utarget(const struct soak_mix *m, const struct soak_mix_job *j)
{
        const char *argv[40] = { UTARGET, m->d->socket, "soak-u" };
        const char *unpriv[] = { "sysinfo", "+",
                                 "nice",    "-5",
                                 "+",       "attr",
                                 "-3",      "+",
                                 "mount",   "tmpfs",
                                 "none",    j->dir,
                                 "size=1m", "+",
                                 "mounts",  j->dir,
                                 "+",       "umount",
                                 j->dir,    "+",
                                 "mounts",  j->dir,
                                 "+",       "setxattr",
                                 j->dir,    "trusted.overlay.opaque",
                                 "y" };
        const char *bpf[] = { "--cgroup", m->cg, "bpf-dev", m->cg };
        const char **scenario = j->bpf ? bpf : unpriv;
        size_t n = 3,
               len = j->bpf ? sizeof(bpf) / sizeof(bpf[0]) : sizeof(unpriv) / sizeof(unpriv[0]);

        if (!j->killable)
                argv[n++] = "--no-killable";
        for (size_t i = 0; i < len; i++)
                argv[n++] = scenario[i];
        argv[n] = NULL;
        execv(UTARGET, (char **)argv);
        _exit(127);
}

_Noreturn static void exec_job(const struct soak_mix *m, const struct soak_mix_job *j)
{
        if (j->storm)
                setenv("UNOTIFY_SOAK_STORM", "1", 1);
        if (j->unpriv || j->bpf)
                exec_utarget(m, j);
        execl(UNOTIFY_RUN, UNOTIFY_RUN, "--socket", m->d->socket, "--policy", "soak-mix", "--",
              SOAKTARGET, "threads", SOAK_MIX_STR(SOAK_MIX_ROUNDS), j->killme ? "KILLME" : NULL,
              (char *)NULL);
        _exit(127);
}

/* kind: 0 threads, 1 user namespace, 2 bpf (not killed mid-run: its
 * program would stay attached to the child cgroup). */
static void start(struct soak_mix *m, int kind, bool killme)
{
        struct soak_mix_job *j = &m->job;
        unsigned n = m->started++;
        int out[2];

        j->n = n;
        j->unpriv = kind == 1;
        j->bpf = kind == 2;
        j->killme = killme;
        j->kill_at_ms = !m->clean && !j->bpf && n % 5 == 4 ? now_ms() + 5 + n % 40 : 0;
        j->killed = false;
        /* Every other job outside the exact-count batch: a signal storm.
         * unotify-run's filter (threads) has WAIT_KILLABLE_RECV; every
         * other stormed user-namespace or bpf job's lacks it, so a signal
         * can interrupt a call the daemon received, and the journal must
         * keep its mount, umount, attach or detach from being done twice. */
        j->storm = !m->clean && n % 2 == 0;
        j->killable = !(j->storm && kind > 0 && n % 4 == 2);
        m->nokill_started += !j->killable;
        j->len = 0;
        snprintf(j->dir, sizeof(j->dir), "%s/u/j%u", m->t, n);
        cr_assert_eq(mkdir(j->dir, 0755), 0);
        cr_assert_eq(chown(j->dir, HOST_ROOT, HOST_ROOT), 0);
        cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
        fcntl(out[0], F_SETFL, O_NONBLOCK);
        j->pid = fork();
        cr_assert_geq(j->pid, 0);
        if (j->pid == 0) {
                setpgid(0, 0);
                dup2(out[1], STDOUT_FILENO);
                exec_job(m, j);
        }
        setpgid(j->pid, j->pid);
        close(out[1]);
        j->out = out[0];
}

static bool mounted_in(pid_t pid, const char *dir)
{
        char p[64], line[4096], mp[4096];
        bool found = false;
        FILE *f;

        snprintf(p, sizeof(p), "/proc/%d/mountinfo", (int)pid);
        f = fopen(p, "re");
        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 && !strcmp(mp, dir))
                        found = true;
        if (f)
                fclose(f);
        return found;
}

/* Each handler's answer in order, and its side effect exactly once: the
 * tmpfs made once then gone (in the container's namespace, never on the
 * host's or the daemon's), the attribute set on the host's inode. */
static void unpriv_check(struct soak_mix *m, const struct soak_mix_job *j, int status)
{
        static const char *const want[] = { "sysinfo: ok ",    "\nnice: ok -5\n",
                                            "\nattr: ok -3\n", "\nmount: ok rw,nosuid,nodev,",
                                            "\nmounts: 1\n",   "\numount: ok\n",
                                            "\nmounts: 0\n",   "\nsetxattr: ok\n" };
        const char *at = j->buf;
        char value[8] = "";

        cr_assert(!mounted_in(getpid(), j->dir) && !mounted_in(m->d->pid, j->dir),
                  "%s: a container's tmpfs on the host", j->dir);
        if (j->killed)
                return;
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: status %d: %s", j->dir,
                  status, j->buf);
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
                const char *p = strstr(at, want[i]);

                cr_assert(p, "%s: no \"%s\" after what came before in:\n%s", j->dir, want[i],
                          j->buf);
                at = p + 1;
        }
        cr_assert_eq(getxattr(j->dir, "trusted.overlay.opaque", value, sizeof(value) - 1), 1,
                     "%s: the attribute: %s", j->dir, strerror(errno));
        cr_assert_str_eq(value, "y");
        if (j->storm)
                soak_mix_storm_check(j, "\nstorm: signals ",
                                     j->killable ? &m->st_unpriv : &m->st_unpriv_nokill);
        m->unpriv_jobs++;
        m->sysinfos++, m->nices += 2, m->mounts++, m->umounts++, m->xattrs++;
}

/* The device program loaded and attached below the container's cgroup,
 * denying its child /dev/null writes, refused outside, detached: then
 * the child cgroup is gone (the scenario removes it). */
static void bpf_check(struct soak_mix *m, const struct soak_mix_job *j, int status)
{
        static const char *const want[] = { "load-socket-filter: EPERM\n",
                                            "load: ok\nattach: ok\n",
                                            "child-write-null: EPERM\nchild-read-zero: ok\n",
                                            "parent-write-null: ok\n",
                                            "attach-outside: EPERM\n",
                                            "detach: ok\n" };
        char child[300];

        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "bpf: status %d: %s", status,
                  j->buf);
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
                cr_assert(strstr(j->buf, want[i]), "bpf: no \"%s\" in:\n%s", want[i], j->buf);
        snprintf(child, sizeof(child), "%s/c", m->cg);
        cr_assert_neq(access(child, F_OK), 0, "%s left behind", child);
        if (j->storm)
                soak_mix_storm_check(j, "\nstorm: signals ",
                                     j->killable ? &m->st_bpf : &m->st_bpf_nokill);
        m->bpf_jobs++;
}

static void threads_check(struct soak_mix *m, const struct soak_mix_job *j, int status)
{
        unsigned rounds, killed, logged, injected;

        if (j->killed)
                return;
        if (j->killme) {
                cr_assert((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) ||
                                  (WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGKILL),
                          "%s: not killed by the policy: status %d: %s", j->dir, status, j->buf);
                cr_assert_null(strstr(j->buf, "survived"), "%s: %s", j->dir, j->buf);
                m->policy_kills++;
        } else
                cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: status %d: %s",
                          j->dir, status, j->buf);
        cr_assert_eq(sscanf(j->buf, "threads: rounds %u killed %u logged %u injected %u", &rounds,
                            &killed, &logged, &injected),
                     4, "%s: %s", j->dir, j->buf);
        cr_assert_eq(rounds, SOAK_MIX_ROUNDS, "%s", j->buf);
        cr_assert_eq(killed, rounds, "a thread not killed by the filter: %s", j->buf);
        cr_assert_eq(logged, rounds, "a logged getgid not continued: %s", j->buf);
        cr_assert_eq(injected, rounds, "not the policy's file: %s", j->buf);
        if (j->storm)
                soak_mix_storm_check(j, " signals ", &m->st_threads);
        m->threads_jobs++;
        m->threads_killed += killed;
        m->logged += logged;
        m->injected += injected;
}

static void collect(struct soak_mix *m, int status)
{
        struct soak_mix_job *j = &m->job;
        ssize_t n;

        kill(-j->pid, SIGKILL); /* what is left of a killed one */
        while ((n = read(j->out, j->buf + j->len, sizeof(j->buf) - 1 - j->len)) > 0)
                j->len += (size_t)n;
        close(j->out);
        j->buf[j->len] = '\0';
        j->pid = 0;
        m->killed_mid_run += j->killed;
        if (j->bpf)
                bpf_check(m, j, status);
        else if (j->unpriv)
                unpriv_check(m, j, status);
        else
                threads_check(m, j, status);
}

void soak_mix_poll(struct soak_mix *m, bool start_next)
{
        struct soak_mix_job *j = &m->job;
        int status;
        ssize_t n;

        if (j->pid) {
                if (j->kill_at_ms && !j->killed && now_ms() >= j->kill_at_ms) {
                        kill(-j->pid, SIGKILL);
                        j->killed = true;
                }
                while ((n = read(j->out, j->buf + j->len, sizeof(j->buf) - 1 - j->len)) > 0)
                        j->len += (size_t)n;
                if (waitpid(j->pid, &status, WNOHANG) == j->pid)
                        collect(m, status);
        }
        if (!j->pid && start_next) {
                int kind = (int)(m->started % 3);

                start(m, kind == 2 && !m->cg[0] ? 1 : kind, kind == 0 && m->started % 2);
        }
}

void soak_mix_drain(struct soak_mix *m)
{
        long long until = now_ms() + 60000;
        int status;

        while (m->job.pid) {
                soak_mix_poll(m, false);
                if (m->job.pid && now_ms() > until)
                        break;
                usleep(2000);
        }
        if (!m->job.pid)
                return;
        kill(-m->job.pid, SIGKILL);
        waitpid(m->job.pid, &status, 0);
        cr_assert_fail("%s did not end within 60 s: %s", m->job.dir, m->job.buf);
}

void soak_mix_kill(struct soak_mix *m)
{
        if (m->cg[0]) {
                char child[300];

                snprintf(child, sizeof(child), "%s/c", m->cg);
                rmdir(child);
        }
        if (m->fifo_pid > 0) {
                kill(m->fifo_pid, SIGKILL);
                waitpid(m->fifo_pid, NULL, 0);
                m->fifo_pid = 0;
        }
        if (m->job.pid) {
                kill(-m->job.pid, SIGKILL);
                waitpid(m->job.pid, NULL, 0);
                close(m->job.out);
                m->job.pid = 0;
        }
        if (m->cg[0] && rmdir(m->cg) == 0)
                m->cg[0] = '\0';
}

long long soak_mix_decisions(const struct test_daemon *d, const char *action)
{
        const char *argv[] = { UNOTIFYCTL, "stats", "--socket", d->control, "--prometheus", NULL };
        struct cmd_result *r = calloc(1, sizeof(*r));
        char label[64];
        long long sum = 0;

        cr_assert_not_null(r);
        snprintf(label, sizeof(label), "action=\"%s\"", action);
        run_cmd(argv, 10000, r);
        cr_assert_eq(r->status, 0, "unotifyctl stats: %s", r->err);
        for (char *line = strtok(r->out, "\n"); line; line = strtok(NULL, "\n")) {
                char *v = strrchr(line, ' ');

                if (!strncmp(line, "unotifyd_decisions_total{", 25) &&
                    strstr(line, "policy=\"soak-mix\"") && strstr(line, label) && v)
                        sum += atoll(v + 1);
        }
        free(r);
        return sum;
}

long long soak_mix_clean(struct soak_mix *m)
{
        long long log = soak_mix_decisions(m->d, "log");
        long long kills = soak_mix_decisions(m->d, "kill_thread");
        long long emulated = soak_mix_decisions(m->d, "emulate");
        unsigned policy_kills = m->policy_kills, unpriv = m->unpriv_jobs;

        soak_mix_drain(m);
        m->clean = true;
        start(m, 0, true);
        soak_mix_drain(m);
        start(m, 1, false);
        soak_mix_drain(m);
        m->clean = false;
        cr_assert_eq(m->policy_kills, policy_kills + 1);
        cr_assert_eq(m->unpriv_jobs, unpriv + 1);
        /* The daemon's decisions, by action: the test's count exactly. */
        cr_assert_eq(soak_mix_decisions(m->d, "log") - log, 1 + SOAK_MIX_ROUNDS);
        cr_assert_eq(soak_mix_decisions(m->d, "kill_thread") - kills, 1);
        cr_assert_eq(soak_mix_decisions(m->d, "emulate") - emulated, SOAK_MIX_ROUNDS);
        return soak_mix_calls(false, true) + soak_mix_calls(true, false);
}

/* Whether pid waits in a FIFO open (the daemon's worker, for it). */
static bool in_seccomp_wait(pid_t pid)
{
        char p[64], buf[64] = "";
        FILE *f;

        snprintf(p, sizeof(p), "/proc/%d/wchan", (int)pid);
        f = fopen(p, "re");
        if (f) {
                (void)!fgets(buf, sizeof(buf), f);
                fclose(f);
        }
        return strstr(buf, "seccomp") != NULL;
}

void soak_mix_fifo_start(struct soak_mix *m)
{
        int out[2];

        cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
        m->fifo_pid = fork();
        cr_assert_geq(m->fifo_pid, 0);
        if (m->fifo_pid == 0) {
                dup2(out[1], STDOUT_FILENO);
                execl(HTARGET, HTARGET, m->d->socket, "soak-mix", "fifo", m->fifo, (char *)NULL);
                _exit(127);
        }
        close(out[1]);
        m->fifo_out = out[0];
        /* Its open received, the worker blocked in it: no writer yet. */
        for (int i = 0; i < 500; i++) {
                if (in_seccomp_wait(m->fifo_pid))
                        break;
                usleep(10000);
        }
        cr_assert(in_seccomp_wait(m->fifo_pid), "the FIFO open is not waiting for the daemon");
        usleep(100000); /* RECV'd and in the worker's open */
}

void soak_mix_fifo_finish(struct soak_mix *m)
{
        char buf[128] = "";
        int fd = -1, status;
        ssize_t n;

        /* A writer once the (new) daemon's worker opened it for reading. */
        for (int i = 0; i < 1000 && fd < 0; i++)
                if ((fd = open(m->fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
                        usleep(10000);
        cr_assert_geq(fd, 0, "nobody opened the FIFO for reading: %s", strerror(errno));
        cr_assert_eq(write(fd, "hi\n", 3), 3);
        close(fd);
        n = read(m->fifo_out, buf, sizeof(buf) - 1);
        close(m->fifo_out);
        buf[n > 0 ? n : 0] = '\0';
        cr_assert_eq(waitpid(m->fifo_pid, &status, 0), m->fifo_pid);
        m->fifo_pid = 0;
        /* The open, blocked across the stop, finished by the new process:
         * not EINTR, which no signal of its own caused. */
        cr_assert_str_eq(buf, "fifo: ok hi\n", "the FIFO open across the stop");
        m->fifo_across++;
}

void soak_mix_report(const struct soak_mix *m)
{
        printf("soak: mixed: %u jobs (%u killed mid-run); %u multi-threaded targets: %u threads "
               "killed by the filter with their process going on (%u under a SIGUSR1 storm, %llu "
               "signals caught, filter with WAIT_KILLABLE_RECV), %u logged calls, %u injected "
               "files, %u killed by the daemon's KILL_THREAD; %u user-namespace targets: %u "
               "sysinfo, %u sched, %u tmpfs mounted and %u unmounted (none left on the host or "
               "in the daemon), %u xattrs set, each once; %u device programs attached below their "
               "cgroup, denying, detached; %u FIFO opens in flight across the "
               "upgrade and the restart, finished by the new process\n",
               m->started, m->killed_mid_run, m->threads_jobs, m->threads_killed,
               m->st_threads.jobs, m->st_threads.signals, m->logged, m->injected, m->policy_kills,
               m->unpriv_jobs, m->sysinfos, m->nices, m->mounts, m->umounts, m->xattrs, m->bpf_jobs,
               m->fifo_across);
        fflush(stdout);
        cr_assert_gt(m->threads_jobs, 1);
        cr_assert_gt(m->unpriv_jobs, 1);
        cr_assert_gt(m->policy_kills, 0);
        cr_assert_eq(m->mounts, m->umounts);
        cr_assert_eq(m->fifo_across, 2);
        cr_assert(!m->cg[0] || m->bpf_jobs > 0, "no bpf job ran");
        soak_mix_storm_report(m);
}
