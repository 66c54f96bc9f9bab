/* unotify-htarget's "flip" scenario: a task whose root, cwd and
 * effective uid change between opens, each open checked against the state
 * it was made in (the daemon must not answer from what it saw before). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

int do_flip(int n, const char *dir);

/* open(path) must give want: the file's first line or the errno's name. */
static void check_read(const char *path, const char *want, unsigned *ok)
{
        long fd = syscall(SYS_open, path, O_RDONLY);
        char got[64] = "";
        ssize_t n;

        if (fd < 0)
                snprintf(got, sizeof(got), "%s", strerrorname_np(errno));
        else {
                n = read((int)fd, got, sizeof(got) - 1);
                got[n > 0 ? n : 0] = '\0';
                got[strcspn(got, "\n")] = '\0';
                close((int)fd);
        }
        if (strcmp(got, want) == 0)
                ++*ok;
        else
                printf("wrong: %s gave %s, want %s\n", path, got, want);
}

/* Back to the root the target started in (top: its fd). */
static int unchroot(int top)
{
        return fchdir(top) < 0 || chroot(".") < 0 ? -1 : 0;
}

static int flip_round(const char *dir, int top, unsigned *ok)
{
        char a[400], b[400], af[400], bf[400], root_only[400];

        snprintf(a, sizeof(a), "%s/a", dir);
        snprintf(b, sizeof(b), "%s/b", dir);
        snprintf(af, sizeof(af), "%s/a/f", dir);
        snprintf(bf, sizeof(bf), "%s/b/f", dir);
        snprintf(root_only, sizeof(root_only), "%s/root-only", dir);
        if (chdir(a) < 0)
                return -1;
        check_read("f", "A", ok);
        check_read(bf, "B", ok);
        if (chdir(b) < 0)
                return -1;
        check_read("f", "B", ok);
        if (chroot(a) < 0 || chdir("/") < 0)
                return -1;
        check_read("/f", "A", ok);
        check_read("f", "A", ok);
        check_read(af, "ENOENT", ok); /* dir is not inside a */
        if (unchroot(top) < 0 || chroot(b) < 0 || chdir("/") < 0)
                return -1;
        check_read("/f", "B", ok);
        if (unchroot(top) < 0 || chdir("/") < 0)
                return -1;
        check_read(af, "A", ok);
        if (setresuid((uid_t)-1, 1000, (uid_t)-1) < 0)
                return -1;
        check_read(root_only, "EACCES", ok);
        if (setresuid((uid_t)-1, 0, (uid_t)-1) < 0)
                return -1;
        check_read(root_only, "ROOT", ok);
        return 0;
}

static const char *a_dir(const char *dir)
{
        static char p[400];

        snprintf(p, sizeof(p), "%s/a", dir);
        return p;
}

static const char *a_file(const char *dir)
{
        static char p[400];

        snprintf(p, sizeof(p), "%s/a/f", dir);
        return p;
}

int do_flip(int n, const char *dir)
{
        long top = syscall(SYS_open, "/", O_RDONLY | O_DIRECTORY);
        unsigned ok = 0;

        if (top < 0)
                return perror("open /"), 1;
        for (int i = 0; i < n; i++)
                if (flip_round(dir, (int)top, &ok) < 0)
                        return perror("flip"), 1;
        /* Last, the same root directory in a mount namespace of its own,
         * with a tmpfs over a: the daemon must see the task's mounts. */
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            chdir("/") < 0 || mount("tmpfs", a_dir(dir), "tmpfs", 0, NULL) < 0)
                return perror("mount namespace"), 1;
        check_read(a_file(dir), "ENOENT", &ok);
        printf("flip: %u ok\n", ok);
        return 0;
}
