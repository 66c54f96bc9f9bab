/* unotifyctl export-oci (export_oci.c). */
#pragma once

/* argv[0] is "export-oci". Prints the OCI seccomp section (or a whole
 * config.json with it) on stdout; returns the exit status (sysexits). */
int cmd_export_oci(int argc, char **argv);

#include <jansson.h>
struct unotify_kernel_plan;
/* The names a learning policy's section notifies (export_learn.c): every
 * syscall of the filter's ABIs but those its kernel rules decide, sorted.
 * NULL: out of memory. */
json_t *export_learn_names(const struct unotify_kernel_plan *plan);
