#include "runtime.h"

#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/magic.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RUNTIME_TIMEOUT_MS 30000

static const char *const applets[] = { "sh", "mkdir", "echo",   "cat",  "sleep",  "true",
                                       "ls", "mount", "umount", "free", "uptime", "grep" };

static bool find_in_path(const char *name, char *buf, size_t size)
{
        static const char *const dirs[] = { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
                                            "/usr/bin",        "/sbin",          "/bin" };

        for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
                snprintf(buf, size, "%s/%s", dirs[i], name);
                if (access(buf, X_OK) == 0)
                        return true;
        }
        return false;
}

static bool is_cgroup2(const char *path)
{
        struct statfs s;

        return statfs(path, &s) == 0 && s.f_type == CGROUP2_SUPER_MAGIC;
}

/* v1 controllers on /sys/fs/cgroup and a cgroup2 tree beside them. */
static bool cgroup_hybrid(void)
{
        return !is_cgroup2("/sys/fs/cgroup") && is_cgroup2("/sys/fs/cgroup/unified");
}

/* The rootfs holds nothing but busybox: it must not need a dynamic loader
 * (no PT_INTERP), which is what busybox-static guarantees. */
static bool is_static_elf(const char *path)
{
        Elf64_Ehdr eh;
        bool ok = false;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return false;
        if (pread(fd, &eh, sizeof(eh), 0) == sizeof(eh) && !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
            eh.e_ident[EI_CLASS] == ELFCLASS64) {
                ok = true;
                for (unsigned i = 0; ok && i < eh.e_phnum; i++) {
                        Elf64_Phdr ph;

                        if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * eh.e_phentsize)) !=
                                    sizeof(ph) ||
                            ph.p_type == PT_INTERP)
                                ok = false;
                }
        }
        close(fd);
        return ok;
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
        char buf[65536];
        int in = open(from, O_RDONLY | O_CLOEXEC);
        int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        ssize_t n;

        cr_assert(in >= 0 && out >= 0, "copy %s to %s: %s", from, to, strerror(errno));
        while ((n = read(in, buf, sizeof(buf))) > 0)
                cr_assert_eq(write(out, buf, (size_t)n), n);
        cr_assert_eq(n, 0);
        close(in);
        cr_assert_eq(close(out), 0);
}

static void build_rootfs(struct rt_env *e, const char *busybox)
{
        static const char *const dirs[] = { "", "/bin", "/proc", "/dev", "/sys", "/tmp" };
        char path[512];

        snprintf(e->rootfs, sizeof(e->rootfs), "%s/rootfs", e->dir);
        for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
                snprintf(path, sizeof(path), "%s%s", e->rootfs, dirs[i]);
                cr_assert_eq(mkdir(path, 0755), 0, "mkdir %s: %s", path, strerror(errno));
        }
        snprintf(path, sizeof(path), "%s/bin/busybox", e->rootfs);
        copy_file(busybox, path, 0755);
        for (size_t i = 0; i < sizeof(applets) / sizeof(applets[0]); i++) {
                snprintf(path, sizeof(path), "%s/bin/%s", e->rootfs, applets[i]);
                cr_assert_eq(symlink("busybox", path), 0);
        }
}

const char *rt_missing(const char *runtime)
{
        static char why[200];
        char path[256];

        if (geteuid() != 0)
                return "the runtime tests run containers: they need root";
        if (!find_in_path(runtime, path, sizeof(path))) {
                snprintf(why, sizeof(why),
                         "%s is not installed (apt-get install %s): the runtime tests need it",
                         runtime, runtime);
                return why;
        }
        if (!find_in_path("busybox", path, sizeof(path)) || !is_static_elf(path))
                return "no static busybox (apt-get install busybox-static): the containers' rootfs "
                       "needs it";
        return NULL;
}

void rt_env_init(struct rt_env *e, const char *runtime)
{
        const char *missing = rt_missing(runtime);
        char busybox[256];
        json_error_t jerr;

        memset(e, 0, sizeof(*e));
        if (missing)
                cr_skip_test("%s", missing);
        e->rt.name = runtime;
        find_in_path(runtime, e->rt.path, sizeof(e->rt.path));
        find_in_path("busybox", busybox, sizeof(busybox));
        e->rt.hide_unified_cgroup = strcmp(runtime, "crun") == 0 && cgroup_hybrid();
        strcpy(e->dir, "/tmp/unotify-rt.XXXXXX");
        cr_assert_not_null(mkdtemp(e->dir));
        cr_assert_eq(chmod(e->dir, 0755), 0);
        snprintf(e->state, sizeof(e->state), "%s/state", e->dir);
        cr_assert_eq(mkdir(e->state, 0700), 0);
        build_rootfs(e, busybox);
        e->base =
                json_load_file(UNOTIFY_SOURCE_DIR "/tests/runtimes/config-template.json", 0, &jerr);
        cr_assert_not_null(e->base, "config-template.json: %s", jerr.text);
}

void rt_install(struct rt_env *e, const char *path, const char *name)
{
        char to[512];

        cr_assert(is_static_elf(path), "%s is not a static executable", path);
        snprintf(to, sizeof(to), "%s/bin/%s", e->rootfs, name);
        copy_file(path, to, 0755);
}

/* ---- running the runtime ---- */

/* In the runtime's child, before exec: a mount namespace of its own in
 * which the cgroup2 tree is gone. MS_PRIVATE first, so the unmount never
 * propagates to the host. */
static void hide_unified_cgroup(void)
{
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            umount2("/sys/fs/cgroup/unified", MNT_DETACH) < 0) {
                dprintf(STDERR_FILENO, "test harness: hiding the cgroup2 mount: %s\n",
                        strerror(errno));
                _exit(125);
        }
}

static pid_t spawn(const struct rt_env *e, const char *const *argv, int out_err[2])
{
        int out[2] = { -1, -1 }, err[2] = { -1, -1 };
        pid_t pid;

        if (out_err) {
                cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
                cr_assert_eq(pipe2(err, O_CLOEXEC), 0);
        }
        pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);

                if (null < 0 || dup2(null, STDIN_FILENO) < 0 ||
                    dup2(out_err ? out[1] : null, STDOUT_FILENO) < 0 ||
                    dup2(out_err ? err[1] : null, STDERR_FILENO) < 0)
                        _exit(126);
                close_range(3, ~0u, 0);
                if (e->rt.hide_unified_cgroup)
                        hide_unified_cgroup();
                execv(e->rt.path, (char *const *)argv);
                _exit(127);
        }
        if (out_err) {
                close(out[1]);
                close(err[1]);
                out_err[0] = out[0];
                out_err[1] = err[0];
        }
        return pid;
}

static long long ms_now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int wait_status(pid_t pid)
{
        int status;

        cr_assert_eq(waitpid(pid, &status, 0), pid);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void rt_wait(pid_t pid, int out_err[2], struct cmd_result *ret)
{
        struct pollfd p[2] = { { .fd = out_err[0], .events = POLLIN },
                               { .fd = out_err[1], .events = POLLIN } };
        char *bufs[2] = { ret->out, ret->err };
        size_t sizes[2] = { sizeof(ret->out), sizeof(ret->err) }, lens[2] = { 0, 0 };
        long long deadline = ms_now() + RUNTIME_TIMEOUT_MS;

        memset(ret, 0, sizeof(*ret));
        while ((p[0].fd >= 0 || p[1].fd >= 0) && ms_now() < deadline) {
                if (poll(p, 2, 100) <= 0)
                        continue;
                for (int i = 0; i < 2; i++) {
                        ssize_t n;

                        if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP)))
                                continue;
                        n = read(p[i].fd, bufs[i] + lens[i], sizes[i] - 1 - lens[i]);
                        if (n > 0)
                                lens[i] += (size_t)n;
                        else
                                p[i].fd = -1; /* EOF, or full */
                }
        }
        if (ms_now() >= deadline)
                kill(pid, SIGKILL);
        close(out_err[0]);
        close(out_err[1]);
        ret->status = wait_status(pid);
        cr_assert_lt(ms_now(), deadline, "the runtime did not finish within %d ms:\n%s\n%s",
                     RUNTIME_TIMEOUT_MS, ret->out, ret->err);
}

static void run_argv(const struct rt_env *e, const char *const *argv, struct cmd_result *ret)
{
        int out_err[2];
        pid_t pid = spawn(e, argv, out_err);

        rt_wait(pid, out_err, ret);
}

pid_t rt_start(struct rt_env *e, const char *id, int out_err[2])
{
        char bundle[400];
        const char *argv[] = {
                e->rt.path, "--root", e->state, "run", "--bundle", bundle, id, NULL
        };

        snprintf(bundle, sizeof(bundle), "%s/%s", e->dir, id);
        return spawn(e, argv, out_err);
}

void rt_run(struct rt_env *e, const char *id, struct cmd_result *ret)
{
        int out_err[2];
        pid_t pid = rt_start(e, id, out_err);

        rt_wait(pid, out_err, ret);
}

void rt_run_detached(struct rt_env *e, const char *id)
{
        char bundle[400];
        const char *argv[] = { e->rt.path, "--root", e->state, "run", "-d",
                               "--bundle", bundle,   id,       NULL };
        int status;

        snprintf(bundle, sizeof(bundle), "%s/%s", e->dir, id);
        /* stdio on /dev/null: the container inherits it and outlives us. */
        status = wait_status(spawn(e, argv, NULL));
        cr_assert_eq(status, 0, "%s run -d %s exited %d", e->rt.name, id, status);
}

void rt_exec(struct rt_env *e, const char *id, const char *const *argv, struct cmd_result *ret)
{
        const char *full[32] = { e->rt.path, "--root", e->state, "exec", id };
        size_t n = 5;

        for (size_t i = 0; argv[i]; i++) {
                cr_assert_lt(n, sizeof(full) / sizeof(full[0]) - 1);
                full[n++] = argv[i];
        }
        full[n] = NULL;
        run_argv(e, full, ret);
}

static void delete_container(const struct rt_env *e, const char *id, struct cmd_result *ret)
{
        const char *argv[] = { e->rt.path, "--root", e->state, "delete", "-f", id, NULL };

        run_argv(e, argv, ret);
}

void rt_kill(struct rt_env *e, const char *id)
{
        const char *argv[] = { e->rt.path, "--root", e->state, "kill", id, "KILL", NULL };
        struct cmd_result r;

        run_argv(e, argv, &r);
        cr_assert_eq(r.status, 0, "%s kill %s: %s", e->rt.name, id, r.err);
        delete_container(e, id, &r);
        cr_assert_eq(r.status, 0, "%s delete -f %s: %s", e->rt.name, id, r.err);
}

/* ---- bundles ---- */

/* "CAP_A,CAP_B" of a NULL-ended list, in buf. */
static const char *join_caps(const char *const *caps, char *buf, size_t size)
{
        size_t n = 0;

        buf[0] = '\0';
        for (size_t i = 0; caps && caps[i]; i++) {
                n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? "," : "", caps[i]);
                cr_assert_lt(n, size, "too many capabilities");
        }
        return buf;
}

/* unotifyctl export-oci [-f FLAG] [--caps LIST] POLICY|--all against d's
 * policies. */
static json_t *export_oci(const struct test_daemon *d, const struct container *c)
{
        const char *argv[12] = { UNOTIFYCTL, "export-oci", "-p", d->policy_dir, "-s", d->socket };
        const char *what = c->policy ? c->policy : "--all";
        char caps[1024];
        size_t n = 6;
        struct cmd_result r;
        json_error_t jerr;
        json_t *section;

        if (c->flag) {
                argv[n++] = "-f";
                argv[n++] = c->flag;
        }
        if (c->export_caps) {
                argv[n++] = "--caps";
                argv[n++] = join_caps(c->caps, caps, sizeof(caps));
        }
        argv[n++] = what;
        argv[n] = NULL;
        run_cmd(argv, 10000, &r);
        cr_assert_eq(r.status, 0, "export-oci %s: %s", what, r.err);
        section = json_loads(r.out, 0, &jerr);
        cr_assert(json_is_object(section), "export-oci printed no JSON object: %s\n%s", jerr.text,
                  r.out);
        return section;
}

static json_t *string_array(const char *const *v)
{
        json_t *a = json_array();

        for (size_t i = 0; v && v[i]; i++)
                json_array_append_new(a, json_string(v[i]));
        return a;
}

static json_t *annotations(const char *const *kv)
{
        json_t *o = json_object();

        for (size_t i = 0; kv && kv[i]; i += 2) {
                cr_assert_not_null(kv[i + 1]);
                json_object_set_new(o, kv[i], json_string(kv[i + 1]));
        }
        return o;
}

/* The same list in each of process.capabilities' sets. */
static void set_caps(json_t *process, const char *const *caps)
{
        static const char *const sets[] = { "bounding", "effective", "permitted", "ambient" };
        json_t *o = json_object();

        for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
                json_object_set_new(o, sets[i], string_array(caps));
        json_object_set_new(process, "capabilities", o);
}

static json_t *seccomp_section(const struct test_daemon *d, const struct container *c)
{
        json_t *section;

        if (c->seccomp)
                return json_deep_copy(c->seccomp);
        cr_assert_not_null(d);
        section = export_oci(d, c);
        if (c->no_listener) {
                json_object_del(section, "listenerPath");
                json_object_del(section, "listenerMetadata");
        }
        return section;
}

/* A user namespace mapping 0..65535 to RT_USERNS_HOST_ROOT..; the
 * cgroup mount goes (v1 cannot be mounted in a user namespace). */
static void add_userns(json_t *config)
{
        json_t *lx = json_object_get(config, "linux"), *mounts = json_object_get(config, "mounts");
        json_t *map = json_pack("[{sisisi}]", "containerID", 0, "hostID", RT_USERNS_HOST_ROOT,
                                "size", 65536);
        size_t i;
        json_t *m;

        json_array_append_new(json_object_get(lx, "namespaces"), json_pack("{ss}", "type", "user"));
        json_object_set(lx, "uidMappings", map);
        json_object_set_new(lx, "gidMappings", map);
        json_array_foreach(mounts, i, m)
                if (!strcmp(json_string_value(json_object_get(m, "type")) ?: "", "cgroup")) {
                        json_array_remove(mounts, i);
                        break;
                }
}

static uid_t chown_to;

static int chown_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st, (void)flag, (void)ftw;
        return lchown(path, chown_to, chown_to);
}

void rt_chown_rootfs(struct rt_env *e, uid_t uid)
{
        chown_to = uid;
        cr_assert_eq(nftw(e->rootfs, chown_entry, 16, FTW_PHYS | FTW_MOUNT), 0);
}

const char *rt_bundle(struct rt_env *e, const struct test_daemon *d, const struct container *c)
{
        json_t *config = json_deep_copy(e->base);
        json_t *section = seccomp_section(d, c);
        json_t *process = json_object_get(config, "process");
        char *id, path[512];

        cr_assert_lt(e->n_ids, MAX_CONTAINERS);
        id = e->ids[e->n_ids++];
        snprintf(id, sizeof(e->ids[0]), "unotify-%s-%d-%zu", e->rt.name, (int)getpid(), e->n_ids);
        if (c->listener_path)
                json_object_set_new(section, "listenerPath", json_string(c->listener_path));
        json_object_set_new(json_object_get(config, "root"), "path", json_string(e->rootfs));
        json_object_set_new(process, "args", string_array(c->args));
        json_object_set_new(process, "noNewPrivileges", json_boolean(!c->privs));
        if (c->caps)
                set_caps(process, c->caps);
        json_object_set_new(config, "annotations", annotations(c->annotations));
        if (c->userns)
                add_userns(config);
        if (c->memory_limit)
                json_object_set_new(json_object_get(json_object_get(config, "linux"), "resources"),
                                    "memory",
                                    json_pack("{sI}", "limit", (json_int_t)c->memory_limit));
        json_object_set_new(json_object_get(config, "linux"), "seccomp", section);
        snprintf(path, sizeof(path), "%s/%s", e->dir, id);
        cr_assert_eq(mkdir(path, 0755), 0);
        strcat(path, "/config.json");
        cr_assert_eq(json_dump_file(config, path, JSON_INDENT(1)), 0);
        json_decref(config);
        return id;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)ftw;
        return flag == FTW_DP ? rmdir(path) : unlink(path);
}

void rt_env_cleanup(struct rt_env *e)
{
        struct cmd_result r;

        if (!e->dir[0])
                return; /* skipped */
        for (size_t i = 0; i < e->n_ids; i++)
                delete_container(e, e->ids[i], &r); /* fails for those already gone */
        nftw(e->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
        json_decref(e->base);
        e->dir[0] = '\0';
}
