/* unotifyctl export-oci (export_oci.c). */
#pragma once

/* argv[0] is "export-oci". Prints the OCI seccomp section (or a whole
 * config.json with it) on stdout; returns the exit status (sysexits). */
int cmd_export_oci(int argc, char **argv);
