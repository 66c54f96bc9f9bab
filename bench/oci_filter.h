/* Docker's seccomp profile turned into an OCI linux.seccomp section the way
 * the Docker engine does it, and that section loaded as a plain kernel
 * filter the way runc does it. The bench's baseline for a profile. */
#pragma once

#include <jansson.h>
#include <stdint.h>

/* The capabilities includes/excludes "caps" are checked against (the
 * engine uses the container's bounding set). */
enum oci_caps {
        OCI_CAPS_OWN_EFFECTIVE, /* this process's effective set (CapEff) */
        OCI_CAPS_RUNC_DEFAULT,  /* `runc spec`'s: AUDIT_WRITE, KILL, NET_BIND_SERVICE */
};

/* A bit per capability number. */
int oci_caps_mask(enum oci_caps which, uint64_t *ret);

/* The OCI section for this machine: architectures from archMap for the
 * native one, each rule kept or dropped by its includes/excludes (arches
 * against the native one, caps against the mask, minKernel against the
 * running kernel), names/action/errnoRet/args copied. */
int oci_from_docker(const json_t *profile, uint64_t caps, json_t **ret);

/* In the process that then execs: seccomp_init(defaultAction), the
 * architectures, a rule per name (names libseccomp does not know are
 * skipped, rules with the default action too), seccomp_load. */
int oci_filter_load(const json_t *section);

/* The rules (syscall entries) of a section. */
int oci_rule_count(const json_t *section);
