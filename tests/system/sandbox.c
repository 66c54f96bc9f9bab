#include "sandbox.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "rawclient.h"

static void spawn(struct sandbox *s, void (*child)(const void *), const void *arg)
{
        int pin[2], pout[2];
        char line[64] = "";
        int task = 0;

        cr_assert_eq(pipe2(pin, O_CLOEXEC), 0);
        cr_assert_eq(pipe2(pout, O_CLOEXEC), 0);
        s->pid = fork();
        cr_assert_geq(s->pid, 0);
        if (s->pid == 0) {
                dup2(pin[0], STDIN_FILENO);
                dup2(pout[1], STDOUT_FILENO);
                close_range(3, ~0u, 0);
                child(arg);
                _exit(127);
        }
        close(pin[0]);
        close(pout[1]);
        s->in = pin[1];
        s->out = fdopen(pout[0], "r");
        cr_assert_not_null(s->out);
        cr_assert(fgets(line, sizeof(line), s->out) && sscanf(line, "ready %d", &task) == 1,
                  "the sandboxed task did not start: \"%s\"", line);
        s->task = task;
}

struct run_args {
        const char *socket, *policy, *path;
};

static void exec_run(const void *arg)
{
        const struct run_args *a = arg;

        execl(UNOTIFY_RUN, UNOTIFY_RUN, "--socket", a->socket, "--policy", a->policy, "--", PROBE,
              "repeat", a->path, NULL);
}

void sandbox_start_run(struct sandbox *s, const char *socket, const char *policy, const char *path)
{
        spawn(s, exec_run, &(struct run_args){ socket, policy, path });
}

struct raw_args {
        const char *socket, *state, *path;
};

/* The child: filter, handoff (the reply is the first line), then one
 * mkdir per line. */
static void raw_child(const void *arg)
{
        const struct raw_args *a = arg;
        int listener = raw_install_mkdir_filter();
        char line[16];

        if (listener < 0)
                _exit(126);
        int fd = raw_connect(a->socket);

        raw_send(fd, a->state, strlen(a->state), &listener, 1);
        if (!strstr(raw_reply(fd, 10000), "\"ok\":true"))
                _exit(125);
        close(fd);
        close(listener);
        setvbuf(stdout, NULL, _IOLBF, 0);
        printf("ready %d\n", (int)getpid());
        while (fgets(line, sizeof(line), stdin)) {
                long r = syscall(SYS_mkdir, a->path, 0700);

                printf("mkdir: %s\n", r == 0            ? "ok"
                                      : errno == EPERM  ? "EPERM"
                                      : errno == ENOSYS ? "ENOSYS"
                                                        : strerror(errno));
        }
        _exit(0);
}

void sandbox_start_raw(struct sandbox *s, const char *socket, const char *state, const char *path)
{
        spawn(s, raw_child, &(struct raw_args){ socket, state, path });
}

const char *sandbox_mkdir(struct sandbox *s)
{
        return sandbox_mkdir_burst(s, 1);
}

const char *sandbox_mkdir_burst(struct sandbox *s, int n)
{
        static char line[128];
        char req[16];
        int len = snprintf(req, sizeof(req), "%d\n", n);
        char *nl;

        cr_assert_eq(write(s->in, req, (size_t)len), len);
        cr_assert_not_null(fgets(line, sizeof(line), s->out), "the sandboxed task went away");
        nl = strchr(line, '\n');
        if (nl)
                *nl = '\0';
        return strncmp(line, "mkdir: ", 7) == 0 ? line + 7 : line;
}

void sandbox_stop(struct sandbox *s)
{
        int status;

        if (s->pid <= 0)
                return;
        close(s->in);
        cr_assert_eq(waitpid(s->pid, &status, 0), s->pid);
        fclose(s->out);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "sandboxed task status 0x%x",
                  status);
        s->pid = 0;
}
