/* What the open handler makes of a call's flags and mode, without the
 * task: open(2)/openat(2)/creat(2)'s registers, or the struct open_how an
 * openat2(2) caller points to, decoded and checked as the kernel does
 * before it walks any path (the fuzz targets call these alone). */
#pragma once

#include <linux/openat2.h>
#include <stddef.h>
#include <stdint.h>

/* The kernel's values where glibc's differ (glibc's O_TMPFILE includes
 * O_DIRECTORY; its O_LARGEFILE is 0 on 64-bit ABIs). */
#define K_O_TMPFILE 020000000
#if defined(__aarch64__)
#define K_O_LARGEFILE 0400000
#else
#define K_O_LARGEFILE 0100000
#endif
#define OPEN_HOW_SIZE_VER0 24
#define OPEN_HOW_SIZE_MAX 4096 /* copy_struct_from_user(): at most a page */

/* open(2) and openat(2): unknown flags ignored, O_PATH beats the rest, the
 * mode only counts for a file created. */
struct open_how open_how_legacy(uint64_t flags, uint64_t mode);

/* Whether openat2's size argument can be read: -EINVAL below VER0,
 * -E2BIG above a page, else 0. */
int open_how_size_check(uint64_t size);

/* openat2: size bytes of buf (the task's struct, size checked above) into
 * *ret: a tail beyond our struct must be zero (-E2BIG), then every check
 * openat2(2) makes of the struct: unknown flags, resolve bits or mode bits,
 * a mode without O_CREAT/O_TMPFILE, O_PATH with other flags, a bad
 * O_TMPFILE, O_CREAT with O_DIRECTORY, RESOLVE_BENEATH with
 * RESOLVE_IN_ROOT (-EINVAL); RESOLVE_CACHED with O_CREAT, O_TRUNC or
 * O_TMPFILE (-EAGAIN). Returns 0 or that error. */
int open_how_decode(const unsigned char *buf, uint64_t size, struct open_how *ret);
