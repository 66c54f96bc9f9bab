/* The names a learning policy's export-oci section notifies
 * (export_learn.c). */
#pragma once

#include <jansson.h>

struct unotify_kernel_plan;

/* Every syscall of the filter's ABIs but those its kernel rules decide,
 * sorted. NULL: out of memory. */
json_t *export_learn_names(const struct unotify_kernel_plan *plan);
