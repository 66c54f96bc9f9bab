/* A path a task names, made absolute as the task sees it, from strings
 * only: what the /proc/PID links say and what the task wrote. target.c
 * reads them; the fuzz targets call these alone. */
#pragma once

#include <stddef.h>

/* dir (what /proc/PID/cwd or /proc/PID/fd/N says) without the leading part
 * that is root (what /proc/PID/root says: a chroot, a container's root),
 * in place; "/" when nothing is left. Returns 0, or -ENOTDIR when dir is
 * not a path (a pipe, a socket, an anon inode). */
int target_path_strip_root(char *dir, const char *root);

/* rel against dir (absolute): rel itself when absolute, else dir + "/" +
 * rel, into buf of size bytes. Returns the length or -ENAMETOOLONG. */
int target_path_join(const char *dir, const char *rel, char *buf, size_t size);
