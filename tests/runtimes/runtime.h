/* Real OCI runtimes (runc, crun) running busybox containers whose seccomp
 * section comes from `unotifyctl export-oci`, against a real unotifyd
 * (tests/system/harness.h). Every helper asserts. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "harness.h"

#define UNOTIFYCTL BIN("client/unotifyctl")
#define MAX_CONTAINERS 32

struct runtime {
        const char *name; /* "runc", "crun" */
        char path[256];
        /* crun 1.8 refuses hosts that mount cgroup v1 controllers and a
         * cgroup2 "unified" tree side by side ("cgroups in hybrid mode not
         * supported"): such a host runs it in a private mount namespace
         * without the cgroup2 mount, which leaves pure v1. */
        bool hide_unified_cgroup;
};

/* One test's scratch: a busybox rootfs, the runtime's state dir, bundles. */
struct rt_env {
        struct runtime rt;
        char dir[256];
        char rootfs[300];
        char state[300];
        json_t *base; /* tests/runtimes/config-template.json */
        char ids[MAX_CONTAINERS][64];
        size_t n_ids;
};

/* Why the runtime cannot run containers here (not root, the runtime or
 * busybox-static missing, with the install command), or NULL. */
const char *rt_missing(const char *runtime);
/* Skips the test (cr_skip_test) with the install command when the runtime
 * or busybox-static is missing, or when we are not root. */
void rt_env_init(struct rt_env *e, const char *runtime);
/* Force-deletes every container it started, removes the scratch dir. */
void rt_env_cleanup(struct rt_env *e);
/* Copy a static executable of the host to the rootfs's /bin/NAME. */
void rt_install(struct rt_env *e, const char *path, const char *name);

struct container {
        const char *policy;             /* export-oci POLICY; NULL: --all */
        const char *const *annotations; /* key, value, ..., NULL; may be NULL */
        const char *const *args;        /* the container's command */
        bool privs;                     /* "noNewPrivileges": false */
        const char *listener_path;      /* instead of the daemon's socket */
        const char *flag;               /* a seccomp flag (export-oci -f) */
        const char *const *caps;        /* process.capabilities (each set), NULL-ended;
                                         * NULL: the template's */
        bool export_caps;               /* export-oci --caps with caps */
        const json_t *seccomp;          /* this section instead of export-oci's */
        bool no_listener;               /* export-oci's section without listenerPath
                                         * and listenerMetadata: a plain filter */
        bool userns;                    /* a user namespace, 0..65535 mapped to host
                                         * RT_USERNS_HOST_ROOT..: no capability over the
                                         * host (the rootfs must be that root's: rt_chown_rootfs) */
        long long memory_limit;         /* linux.resources.memory.limit; 0: none */
};

#define RT_USERNS_HOST_ROOT 100000
/* The rootfs (and everything in it) owned by uid/gid. */
void rt_chown_rootfs(struct rt_env *e, uid_t uid);

/* Write a bundle for c (seccomp from export-oci against d's policies,
 * or c->seccomp; d may be NULL then); returns the new container's id
 * (static in e). */
const char *rt_bundle(struct rt_env *e, const struct test_daemon *d, const struct container *c);

/* `RT run --bundle B ID`, output captured. Returns the runtime's pid;
 * rt_wait collects it. */
pid_t rt_start(struct rt_env *e, const char *id, int out_err[2]);
void rt_wait(pid_t pid, int out_err[2], struct cmd_result *ret);
void rt_run(struct rt_env *e, const char *id, struct cmd_result *ret);
/* `RT run -d`: the container keeps running with stdio on /dev/null. */
void rt_run_detached(struct rt_env *e, const char *id);
/* `RT exec ID argv...` */
void rt_exec(struct rt_env *e, const char *id, const char *const *argv, struct cmd_result *ret);
/* `RT kill ID KILL` then `RT delete -f ID`. */
void rt_kill(struct rt_env *e, const char *id);
