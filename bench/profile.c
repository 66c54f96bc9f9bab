/* The "profile" group: the system tar extracts a tarball of PROFILE_FILES
 * small files (made once) into a fresh directory, timed from fork to wait:
 * unsandboxed; under Docker's default profile as a plain filter (converted
 * as the engine converts it, loaded as runc loads it, in the child before
 * exec); and under unotify-run with an unotifyd whose policy directory
 * holds the profile file unmodified, counting the daemon's notifications. */
#include <errno.h>
#include <ftw.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci_filter.h"
#include "profile.h"
#include "unotify/macro.h"

static struct {
        char dir[64]; /* the workspace: src/, the tarball, the extractions */
        char tarball[96];
        json_t *oci_own, *oci_runc;
        struct bench_daemon daemon;
        const char *unotify_run;
        struct profile_info *info;
} state;

/* 512 to 4095 bytes: small files of different sizes. */
static long file_size(int i)
{
        return 512 + (long)i * 7919 % 3584;
}

static void file_path(char *buf, size_t size, const char *root, int i)
{
        snprintf(buf, size, "%s/d%02d/f%04d", root, i % PROFILE_DIRS, i);
}

static int make_files(const char *src, long long *bytes)
{
        char path[160], content[4096 + 64]; /* a file starts at i % 64 */

        for (size_t k = 0; k < sizeof(content); k++)
                content[k] = (char)('a' + (k * 31 + k / 7) % 26);
        if (mkdir(src, 0755) < 0)
                return negative_errno();
        for (int d = 0; d < PROFILE_DIRS; d++) {
                snprintf(path, sizeof(path), "%s/d%02d", src, d);
                if (mkdir(path, 0755) < 0)
                        return negative_errno();
        }
        *bytes = 0;
        for (int i = 0; i < PROFILE_FILES; i++) {
                _cleanup_(fclosep) FILE *f = NULL;

                file_path(path, sizeof(path), src, i);
                f = fopen(path, "we");
                if (!f ||
                    fwrite(content + i % 64, 1, (size_t)file_size(i), f) != (size_t)file_size(i))
                        return -EIO;
                *bytes += file_size(i);
        }
        return 0;
}

/* argv[0] from PATH; 0 when it exits 0. */
static int run_wait(char *const argv[])
{
        int status;
        pid_t pid = fork();

        if (pid == 0) {
                execvp(argv[0], argv);
                _exit(127);
        }
        if (pid < 0 || waitpid(pid, &status, 0) != pid)
                return negative_errno();
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

static int make_tarball(struct profile_info *info)
{
        char src[96];
        struct stat st = {};
        int r;

        snprintf(src, sizeof(src), "%s/src", state.dir);
        snprintf(state.tarball, sizeof(state.tarball), "%s/files.tar", state.dir);
        r = make_files(src, &info->bytes);
        if (r >= 0)
                r = run_wait((char *const[]){ "tar", "cf", state.tarball, "-C", src, ".", NULL });
        if (r >= 0 && stat(state.tarball, &st) < 0)
                r = negative_errno();
        info->files = PROFILE_FILES;
        info->tarball_bytes = r >= 0 ? (long long)st.st_size : 0;
        return r;
}

static int remove_entry(const char *path, _unused_ const struct stat *st, _unused_ int flag,
                        _unused_ struct FTW *ftw)
{
        return remove(path) < 0 ? -1 : 0;
}

static void remove_tree(const char *path)
{
        if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
                fprintf(stderr, "unotify-bench: could not remove %s\n", path);
}

/* In the child: the configuration's filter, then tar xf (or true), under
 * unotify-run for the daemon's configurations. */
static _Noreturn void exec_config(const struct config *c, const char *into)
{
        char *tar[] = { "tar", "xf", state.tarball, "-C", (char *)into, NULL },
             *true_cmd[] = { "true", NULL };
        char **cmd = c->call == CALL_TRUE ? true_cmd : tar;
        char *argv[16] = { (char *)state.unotify_run,
                           "--socket",
                           state.daemon.socket,
                           "--policy",
                           PROFILE_POLICY,
                           "--" };
        const json_t *section = c->filter == FILTER_OCI_OWN_CAPS    ? state.oci_own
                                : c->filter == FILTER_OCI_RUNC_CAPS ? state.oci_runc
                                                                    : NULL;
        int r;

        if (section && (r = oci_filter_load(section)) < 0) {
                fprintf(stderr, "unotify-bench: loading the OCI filter: %s\n", strerror(-r));
                _exit(71);
        }
        if (c->sup == SUP_UNOTIFYD_PROFILE) {
                for (size_t i = 0; cmd[i]; i++)
                        argv[6 + i] = cmd[i];
                execv(argv[0], argv);
        } else {
                execvp(cmd[0], cmd);
        }
        _exit(127);
}

/* The last file is there with its size: tar got to the end. */
static int check_extracted(const char *into)
{
        char path[200];
        struct stat st;

        file_path(path, sizeof(path), into, PROFILE_FILES - 1);
        if (stat(path, &st) < 0)
                return negative_errno();
        return st.st_size == file_size(PROFILE_FILES - 1) ? 0 : -EIO;
}

/* One run (an extraction into a fresh directory, or true); ns from fork
 * to wait. */
static int run_way(const struct config *c, uint64_t *ns)
{
        char into[96];
        uint64_t start;
        int status, r = 0;
        pid_t pid;

        snprintf(into, sizeof(into), "%s/x.XXXXXX", state.dir);
        if (!mkdtemp(into))
                return negative_errno();
        start = bench_now_ns();
        pid = fork();
        if (pid == 0)
                exec_config(c, into);
        if (pid < 0 || waitpid(pid, &status, 0) != pid)
                r = negative_errno();
        *ns = bench_now_ns() - start;
        if (r == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
                fprintf(stderr, "unotify-bench: %s: %s %s %d\n", c->key,
                        c->call == CALL_TRUE ? "true" : "tar",
                        WIFEXITED(status) ? "exited with" : "died of signal",
                        WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
                r = -ECHILD;
        }
        if (r == 0 && c->call == CALL_TAR_XF && (r = check_extracted(into)) < 0)
                fprintf(stderr, "unotify-bench: %s: the files are not all there\n", c->key);
        remove_tree(into);
        return r;
}

/* A counter of the daemon's `stats` (docs/control.md), from its control
 * socket, the one next to its handoff socket. */
static int daemon_counter(const char *name, uint64_t *ret)
{
        static const char request[] = "{\"command\":\"stats\"}\n";
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_(closep) int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        _cleanup_(json_decrefp) json_t *reply = NULL;
        char buf[4096];
        size_t len = 0;
        ssize_t n = 1;
        json_t *v;

        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/control.sock", state.daemon.dir);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
            write(fd, request, sizeof(request) - 1) != (ssize_t)sizeof(request) - 1)
                return negative_errno();
        while (n > 0 && len < sizeof(buf) - 1 && !memchr(buf, '\n', len)) {
                n = read(fd, buf + len, sizeof(buf) - 1 - len);
                len += n > 0 ? (size_t)n : 0;
        }
        buf[len] = '\0';
        reply = json_loads(buf, JSON_DISABLE_EOF_CHECK, NULL);
        v = json_object_get(json_object_get(reply, "stats"), name);
        if (!json_is_integer(v))
                return -EBADMSG;
        *ret = (uint64_t)json_integer_value(v);
        return 0;
}

double profile_run(const struct config *c)
{
        const bool daemon = c->sup == SUP_UNOTIFYD_PROFILE && c->call == CALL_TAR_XF;
        struct profile_info *info = state.info;
        uint64_t ns, before = 0, after = 0;

        if (daemon && daemon_counter("notifications_received", &before) < 0)
                return -1;
        if (run_way(c, &ns) < 0)
                return -1;
        if (daemon) {
                if (daemon_counter("notifications_received", &after) < 0 ||
                    daemon_counter("filter_mismatches", &info->filter_mismatches) < 0)
                        return -1;
                if (info->notified_runs < MAX_ROUNDS)
                        info->notifications[info->notified_runs++] = after - before;
        }
        return (double)ns;
}

/* The plain filter does deny: a syscall the profile never names fails with
 * EPERM, and unshare works only if the capability set had CAP_SYS_ADMIN. */
static int check_oci(const json_t *section, bool may_unshare)
{
        int status;
        pid_t pid = fork();

        if (pid == 0) {
                bool ok = oci_filter_load(section) >= 0;

#ifdef SYS_uselib
                ok = ok && syscall(SYS_uselib, NULL) < 0 && errno == EPERM;
#endif
                ok = ok && (syscall(SYS_unshare, 0) == 0) == may_unshare;
                _exit(ok ? 0 : 1);
        }
        if (pid < 0 || waitpid(pid, &status, 0) != pid)
                return negative_errno();
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EPROTO;
}

static int convert(const char *path, struct profile_info *info)
{
        _cleanup_(json_decrefp) json_t *profile = json_load_file(path, 0, NULL);
        uint64_t own, runc;
        int r;

        if (!profile)
                return -EINVAL;
        r = oci_caps_mask(OCI_CAPS_OWN_EFFECTIVE, &own);
        if (r >= 0)
                r = oci_caps_mask(OCI_CAPS_RUNC_DEFAULT, &runc);
        if (r >= 0)
                r = oci_from_docker(profile, own, &state.oci_own);
        if (r >= 0)
                r = oci_from_docker(profile, runc, &state.oci_runc);
        if (r >= 0)
                r = check_oci(state.oci_own, own >> CAP_SYS_ADMIN & 1);
        if (r >= 0)
                r = check_oci(state.oci_runc, runc >> CAP_SYS_ADMIN & 1);
        info->rules_own = r >= 0 ? oci_rule_count(state.oci_own) : 0;
        info->rules_runc = r >= 0 ? oci_rule_count(state.oci_runc) : 0;
        return r;
}

/* One untimed run of each way: warm caches, and a way that fails is found
 * before the rounds. */
static int warm_up(void)
{
        static const struct config ways[] = {
                { .key = "profile-none",
                  .filter = FILTER_NONE,
                  .sup = SUP_NONE,
                  .call = CALL_TAR_XF },
                { .key = "profile-oci",
                  .filter = FILTER_OCI_OWN_CAPS,
                  .sup = SUP_NONE,
                  .call = CALL_TAR_XF },
                { .key = "profile-oci-runc-caps",
                  .filter = FILTER_OCI_RUNC_CAPS,
                  .sup = SUP_NONE,
                  .call = CALL_TAR_XF },
                { .key = "profile-unotifyd",
                  .filter = FILTER_NOTIFY,
                  .sup = SUP_UNOTIFYD_PROFILE,
                  .call = CALL_TAR_XF },
                { .key = "profile-launch-unotifyd",
                  .filter = FILTER_NOTIFY,
                  .sup = SUP_UNOTIFYD_PROFILE,
                  .call = CALL_TRUE },
        };
        uint64_t ns;
        int r = 0;

        for (size_t i = 0; i < ELEMENTSOF(ways) && r >= 0; i++)
                r = run_way(&ways[i], &ns);
        return r;
}

static int skip(struct profile_info *info, int r, const char *why)
{
        snprintf(info->skipped, sizeof(info->skipped), "%s", why);
        fprintf(stderr, "unotify-bench: profile: %s: the group is skipped\n", why);
        return r;
}

/* The workspace: a new directory under dir. */
static int make_workspace(const char *dir, struct profile_info *info)
{
        struct statfs fs;

        if (snprintf(state.dir, sizeof(state.dir), "%s/unotify-bench-tar.XXXXXX", dir) >=
            (int)sizeof(state.dir))
                return -ENAMETOOLONG;
        if (!mkdtemp(state.dir)) {
                state.dir[0] = '\0';
                return negative_errno();
        }
        info->dir_tmpfs = statfs(state.dir, &fs) == 0 && fs.f_type == TMPFS_MAGIC;
        return 0;
}

int profile_setup(const struct profile_options *o, struct profile_info *info)
{
        const char *path = o->path;
        char why[256];
        int r;

        *info = (struct profile_info){ .path = path, .dir = o->dir };
        state.info = info;
        state.unotify_run = o->unotify_run;
        if (access(path, R_OK) < 0) {
                snprintf(why, sizeof(why), "%s: %s (package %s)", path, strerror(errno),
                         PROFILE_PACKAGE);
                return skip(info, 1, why);
        }
        if ((r = convert(path, info)) < 0)
                return skip(info, r,
                            r == -EPROTO ? "the plain filter made from the profile does not deny "
                                           "as the profile says"
                                         : "the profile could not be converted to an OCI section");
        r = make_workspace(o->dir, info);
        if (r < 0 || (r = make_tarball(info)) < 0)
                return skip(info, r, "the tarball could not be made");
        r = bench_daemon_start(o->unotifyd, NULL, path, &state.daemon);
        if (r < 0) {
                snprintf(why, sizeof(why),
                         "unotifyd did not start with %s in its policy directory (%s)", path,
                         r == -ECHILD ? "it exited: its errors are above" : strerror(-r));
                return skip(info, r, why);
        }
        if ((r = warm_up()) < 0)
                return skip(info, r, "a warm-up run failed (above)");
        return 0;
}

void profile_teardown(void)
{
        if (state.daemon.dir[0])
                bench_daemon_stop(&state.daemon);
        if (state.dir[0])
                remove_tree(state.dir);
        json_decref(state.oci_own);
        json_decref(state.oci_runc);
        state.oci_own = state.oci_runc = NULL;
}
