/* Container engines (podman, containerd's ctr, dockerd) driving runc or
 * crun against a real unotifyd: the engine's command with its own private
 * state, its daemon where it has one, profiles from `unotifyctl
 * export-oci`. Every helper asserts. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "harness.h"
#include "runtime.h"

#define ENG_MAX_OPTS 24

struct engine {
        struct rt_env rt;                /* busybox rootfs, the low-level runtime, scratch dir */
        char tool[256];                  /* the engine's command (podman, ctr, docker) */
        const char *argv0[ENG_MAX_OPTS]; /* tool and global options */
        size_t n0;
        char opts[ENG_MAX_OPTS][400];
        char profile[400]; /* the last eng_profile() */
        /* On a host with cgroup v1 controllers and a cgroup2 tree side by
         * side crun refuses to run (runtime.h): then the engine (or its
         * daemon) runs in a mount namespace without the cgroup2 mount,
         * held open by a process of ours. */
        pid_t ns_holder;
        int mnt_ns;   /* -1: the host's */
        pid_t daemon; /* a private containerd or dockerd, 0: none */
        char daemon_log[400];
};

/* Skips (with the install command) without root, the tool (looked up in
 * the system's bin dirs), the runtime or busybox-static; then prepares
 * the scratch dir and the rootfs (rt_env_init). */
void eng_init(struct engine *e, const char *tool, const char *package, const char *runtime);
/* name in the system's bin dirs, Debian's own before /usr/local. */
bool eng_find(const char *name, char *buf, size_t size);
/* Appends a global option to the tool's command line (printf format). */
void eng_opt(struct engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* `TOOL GLOBAL-OPTIONS ARGS...` in the engine's namespace, output captured. */
void eng_cmd(struct engine *e, const char *const *args, struct cmd_result *r);
/* Start a private engine daemon (argv, with env "K=V" set if not NULL),
 * output to e->daemon_log, and wait until it accepts on socket. */
void eng_daemon_start(struct engine *e, const char *const *argv, const char *env,
                      const char *socket);
/* SIGTERM, and SIGKILL if it has not exited within 30 s. */
void eng_daemon_stop(struct engine *e);
/* Stops the engine daemon and the namespace holder, waits for every
 * child (so stop the unotifyd first), removes the scratch dir. */
void eng_cleanup(struct engine *e);

/* How the profile reaches the daemon. */
enum eng_listener {
        ENG_AS_EXPORTED, /* listenerPath and listenerMetadata from export-oci */
        ENG_NO_LISTENER, /* neither: the socket comes from elsewhere (crun's annotation) */
        ENG_OTHER_PATH,  /* listenerPath replaced by `path` */
};

/* `unotifyctl export-oci POLICY` against d's policies, written to a file
 * in the scratch dir; returns its path (e->profile). */
const char *eng_profile(struct engine *e, const struct test_daemon *d, const char *policy,
                        enum eng_listener how, const char *path);
/* A unix socket bound to path and not listening: connecting to it is
 * refused (also once it is closed: the file stays). */
int bound_socket(const char *path);
/* A tar of the rootfs as it is now, in the scratch dir (static path). */
const char *eng_rootfs_tar(struct engine *e);

/* Assertions on the daemon's log (d), shared by the engine tests. */
void eng_assert_contains(const char *hay, const char *needle, const char *what);
int eng_count(const char *hay, const char *needle);
/* The listener line of container id names policy and how it was chosen
 * ("named by metadata", "selected by \"select\" of \"web\""; NULL:
 * any way). */
void eng_assert_bound(const struct test_daemon *d, const char *id, const char *policy,
                      const char *how);
