/* unotifyctl export-oci's command line (export_oci_args.c): what was
 * asked, checked for consistency before anything is loaded. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The handoff socket written into listenerPath: the system daemon's (a
 * runtime runs containers as root), whoever runs export-oci. */
#define EXPORT_OCI_DEFAULT_SOCKET "/run/unotifyd/handoff.sock"
#define EXPORT_OCI_MAX_FLAGS 4

struct export_opts {
        const char *dir;
        const char *socket;
        const char *config;  /* a config.json to print with the section in it */
        json_t *config_json; /* config, loaded */
        bool config_caps;    /* --config-caps: caps from config's process */
        bool if_confined;    /* --if-confined: a config without seccomp stays so */
        const char *flags[EXPORT_OCI_MAX_FLAGS];
        size_t n_flags;
        bool all;    /* every policy's syscalls, the daemon selects */
        bool digest; /* send unotify.syscalls-digest */
        bool has_caps;
        uint64_t caps; /* --caps: the container's capabilities */
        const char *policy;
        const char *kernel;     /* minKernel is decided for this release */
        const char *learn_name; /* --learn-name: the recording's name */
};

/* Fills e from argv (e's defaults set by the caller): 0 to go on, 1
 * after --help, or an exit status (said on stderr). */
int export_oci_parse_args(int argc, char **argv, struct export_opts *e);
/* Whether flag is one of the runtime-spec's seccomp.flags that go with a
 * listener. */
bool export_oci_known_flag(const char *flag);
