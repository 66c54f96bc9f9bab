/* unotify-utarget's scenarios for the new mount API (utarget.c lists them):
 * what a program in the container does with fsopen, fsconfig, fsmount,
 * move_mount, open_tree and mount_setattr, each step's result printed;
 * and how many mounts are stacked at a directory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

const char *ename(int e);
void mountinfo_line(const char *dir, char *buf, size_t size);
int mountapi_scenario(int argc, char **argv);

static int count_own_fds(void)
{
        DIR *d = opendir("/proc/self/fd");
        int n = 0;

        while (d && readdir(d))
                n++;
        if (d)
                closedir(d);
        return n;
}

static void said(const char *what, long r)
{
        printf("%s: %s\n", what, r < 0 ? ename(errno) : "ok");
}

static unsigned long attrs_of(const char *s)
{
        unsigned long a = 0;

        a |= strstr(s, "rdonly") ? MOUNT_ATTR_RDONLY : 0;
        a |= strstr(s, "nosuid") ? MOUNT_ATTR_NOSUID : 0;
        a |= strstr(s, "nodev") ? MOUNT_ATTR_NODEV : 0;
        a |= strstr(s, "noexec") ? MOUNT_ATTR_NOEXEC : 0;
        a |= strstr(s, "strictatime") ? MOUNT_ATTR_STRICTATIME : 0;
        return a;
}

/* fsopen(type) with opts "k=v,k2" ("-": none) set, created, mounted with
 * attrs, moved to dir: "fsmnt: ok MOUNTINFO" or "fsmnt: STEP ERRNO". */
static int do_fsmnt(const char *type, const char *dir, const char *opts, const char *attrs)
{
        int before = count_own_fds(), fs, m = -1;
        char buf[1024], line[2048], *save = NULL;
        const char *step = "fsopen";
        long r;

        fs = fsopen(type, FSOPEN_CLOEXEC);
        r = fs;
        snprintf(buf, sizeof(buf), "%s", strcmp(opts, "-") ? opts : "");
        for (char *o = strtok_r(buf, ",", &save); r >= 0 && o; o = strtok_r(NULL, ",", &save)) {
                char *v = strchr(o, '=');

                if (v)
                        *v++ = '\0';
                step = "fsconfig";
                r = fsconfig(fs, v ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, o, v, 0);
        }
        if (r >= 0 && (step = "create"))
                r = fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0);
        if (r >= 0 && (step = "fsmount"))
                r = m = fsmount(fs, FSMOUNT_CLOEXEC, (unsigned)attrs_of(attrs));
        if (r >= 0 && (step = "move_mount"))
                r = move_mount(m, "", AT_FDCWD, dir, MOVE_MOUNT_F_EMPTY_PATH);
        if (r < 0) {
                printf("fsmnt: %s %s\n", step, ename(errno));
        } else {
                mountinfo_line(dir, line, sizeof(line));
                printf("fsmnt: ok %s\n", line);
        }
        if (fs >= 0)
                close(fs);
        if (m >= 0)
                close(m);
        printf("fds: %+d\n", count_own_fds() - before);
        return 0;
}

/* open_tree(src, OPEN_TREE_CLONE) moved to dir. */
static int do_treemnt(const char *src, const char *dir)
{
        char line[2048];
        int m = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

        if (m < 0 || move_mount(m, "", AT_FDCWD, dir, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
                printf("treemnt: %s %s\n", m < 0 ? "open_tree" : "move_mount", ename(errno));
        } else {
                mountinfo_line(dir, line, sizeof(line));
                printf("treemnt: ok %s\n", line);
        }
        if (m >= 0)
                close(m);
        return 0;
}

/* A created, mounted tmpfs (detached), or -1. */
static int detached_tmpfs(void)
{
        int fs = fsopen("tmpfs", FSOPEN_CLOEXEC), m = -1;

        if (fs >= 0 && fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
                m = fsmount(fs, FSMOUNT_CLOEXEC, 0);
        if (fs >= 0)
                close(fs);
        return m;
}

/* The context fd given to a child in a user namespace of its own: another
 * container as far as the daemon is concerned. */
static void nested_userns(int fs)
{
        pid_t pid = fork();
        int status;

        if (pid == 0) {
                if (unshare(CLONE_NEWUSER) < 0)
                        printf("nested-userns: unshare %s\n", ename(errno));
                else
                        said("nested-userns", fsconfig(fs, FSCONFIG_SET_STRING, "size", "1m", 0));
                fflush(stdout);
                _exit(0);
        }
        waitpid(pid, &status, 0);
}

/* Forged and misused fds, bad arguments; the last lines a good mount at
 * dir and its umount. */
static int do_fsforge(const char *dir)
{
        int before = count_own_fds(), file = open("/", O_RDONLY | O_CLOEXEC);
        int fs = fsopen("tmpfs", FSOPEN_CLOEXEC), m, plain;
        char big[400];
        struct mount_attr at = { .attr_clr = MOUNT_ATTR_NOSUID };

        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        said("fsopen-badflags", fsopen("tmpfs", 0x100));
        said("fsopen-badptr", syscall(SYS_fsopen, (void *)1, 0));
        said("fsopen-type", fsopen("ramfs", 0));
        said("fsconfig-file", fsconfig(file, FSCONFIG_SET_FLAG, "ro", NULL, 0));
        said("fsconfig-badfd", fsconfig(987, FSCONFIG_SET_FLAG, "ro", NULL, 0));
        said("fsconfig-nullkey", fsconfig(fs, FSCONFIG_SET_STRING, NULL, "x", 0));
        said("fsconfig-badptr", fsconfig(fs, FSCONFIG_SET_STRING, (const char *)1, "x", 0));
        said("fsconfig-longvalue", fsconfig(fs, FSCONFIG_SET_STRING, "mode", big, 0));
        said("fsconfig-unknown", fsconfig(fs, FSCONFIG_SET_STRING, "huge", "always", 0));
        said("fsconfig-uid", fsconfig(fs, FSCONFIG_SET_STRING, "uid", "0", 0));
        said("fsconfig-binary", fsconfig(fs, FSCONFIG_SET_BINARY, "size", "1m", 2));
        said("fsconfig-bigsize", fsconfig(fs, FSCONFIG_SET_STRING, "size", "1g", 0));
        said("fsconfig-size", fsconfig(fs, FSCONFIG_SET_STRING, "size", "1m", 0));
        nested_userns(fs);
        said("fsmount-uncreated", fsmount(fs, FSMOUNT_CLOEXEC, 0));
        said("fsmount-file", fsmount(file, FSMOUNT_CLOEXEC, 0));
        plain = open_tree(AT_FDCWD, dir, OPEN_TREE_CLOEXEC);
        said("open_tree-plain", plain);
        said("move-notours", move_mount(plain, "", AT_FDCWD, dir, MOVE_MOUNT_F_EMPTY_PATH));
        m = detached_tmpfs();
        said("fsmount", m);
        said("setattr-clear-forced", mount_setattr(m, "", AT_EMPTY_PATH, &at, sizeof(at)));
        at = (struct mount_attr){ .attr_set = MOUNT_ATTR_RDONLY };
        said("setattr-bigsize", mount_setattr(m, "", AT_EMPTY_PATH, &at, 8192));
        said("setattr-rdonly", mount_setattr(m, "", AT_EMPTY_PATH, &at, sizeof(at)));
        at = (struct mount_attr){ .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)file };
        said("setattr-idmap", mount_setattr(m, "", AT_EMPTY_PATH, &at, sizeof(at)));
        said("move-outside", move_mount(m, "", AT_FDCWD, "/etc", MOVE_MOUNT_F_EMPTY_PATH));
        said("move-bypath", move_mount(AT_FDCWD, dir, AT_FDCWD, dir, 0));
        said("move", move_mount(m, "", AT_FDCWD, dir, MOVE_MOUNT_F_EMPTY_PATH));
        said("move-twice", move_mount(m, "", AT_FDCWD, dir, MOVE_MOUNT_F_EMPTY_PATH));
        said("umount", umount2(dir, 0));
        close(file);
        close(fs);
        close(plain);
        close(m);
        printf("fds: %+d\n", count_own_fds() - before);
        return 0;
}

/* A FUSE mount of type at dir on the device node dev (opened here, as a
 * FUSE server would), by mount(2) (api false) or the new API; opts are
 * added after fd=N ("-": none). Then its mountinfo line; the server side
 * is closed at once (nothing is read from the mount). */
static int do_fuse(bool api, const char *dev, const char *type, const char *dir, const char *opts)
{
        char data[512], line[2048];
        int fd = open(dev, O_RDWR | O_CLOEXEC), fs = -1, m = -1;
        const char *step = api ? "fsopen" : "mount";
        long r = fd;

        if (fd < 0) {
                printf("fuse: open %s\n", ename(errno));
                return 0;
        }
        snprintf(data, sizeof(data), "fd=%d,rootmode=40000,user_id=0,group_id=0%s%s", fd,
                 strcmp(opts, "-") ? "," : "", strcmp(opts, "-") ? opts : "");
        if (!api) {
                r = mount("none", dir, type, 0, data);
        } else {
                char *save = NULL;

                r = fs = fsopen(type, FSOPEN_CLOEXEC);
                for (char *o = strtok_r(data, ",", &save); r >= 0 && o;
                     o = strtok_r(NULL, ",", &save)) {
                        char *v = strchr(o, '=');

                        if (v)
                                *v++ = '\0';
                        step = "fsconfig";
                        r = fsconfig(fs, v ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, o, v, 0);
                }
                if (r >= 0 && (step = "create"))
                        r = fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0);
                if (r >= 0 && (step = "fsmount"))
                        r = m = fsmount(fs, FSMOUNT_CLOEXEC, 0);
                if (r >= 0 && (step = "move_mount"))
                        r = move_mount(m, "", AT_FDCWD, dir, MOVE_MOUNT_F_EMPTY_PATH);
        }
        if (r < 0) {
                printf("fuse: %s %s\n", step, ename(errno));
        } else {
                mountinfo_line(dir, line, sizeof(line));
                printf("fuse: ok %s\n", line);
        }
        close(fd);
        if (fs >= 0)
                close(fs);
        if (m >= 0)
                close(m);
        return 0;
}

/* -1: not one of these scenarios. */
/* The mounts at dir, each of a stack counted (a mount made twice: 2). */
static int do_mounts(const char *dir)
{
        FILE *f = fopen("/proc/self/mountinfo", "re");
        char line[4096], mp[4096];
        int n = 0;

        if (!f) {
                printf("mounts: %s\n", ename(errno));
                return 0;
        }
        while (fgets(line, sizeof(line), f))
                n += sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 && !strcmp(mp, dir);
        fclose(f);
        printf("mounts: %d\n", n);
        return 0;
}

int mountapi_scenario(int argc, char **argv)
{
        if (!strcmp(argv[0], "mounts") && argc >= 2)
                return do_mounts(argv[1]);
        if (!strcmp(argv[0], "fsmnt") && argc >= 5)
                return do_fsmnt(argv[1], argv[2], argv[3], argv[4]);
        if (!strcmp(argv[0], "treemnt") && argc >= 3)
                return do_treemnt(argv[1], argv[2]);
        if (!strcmp(argv[0], "fsforge") && argc >= 2)
                return do_fsforge(argv[1]);
        if (!strcmp(argv[0], "fuse") && argc >= 5)
                return do_fuse(false, argv[1], argv[2], argv[3], argv[4]);
        if (!strcmp(argv[0], "fusefs") && argc >= 5)
                return do_fuse(true, argv[1], argv[2], argv[3], argv[4]);
        if (!strcmp(argv[0], "fsabandon")) {
                said("fsabandon", fsopen("tmpfs", FSOPEN_CLOEXEC)); /* exits holding it */
                return 0;
        }
        return -1;
}
