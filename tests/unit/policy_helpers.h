/* Helpers shared by the policy library's unit tests. Policies are
 * written with ' for " so the tables stay readable; the loaders swap them
 * back. */
#pragma once

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdbool.h>
#include <stdint.h>

#include "rows.h"
#include "unotify/macro.h"
#include "unotify/policy.h"

#define CONTINUE UNOTIFY_ACTION_CONTINUE
#define ERRNO UNOTIFY_ACTION_ERRNO
#define X32_BIT 0x40000000

/* s with every ' replaced by ". malloc'ed. */
char *dq(const char *s);
/* Load sq (see dq) as "test.json" with opts (may be NULL). */
int load_opts(const char *sq, const struct unotify_load_options *opts, struct unotify_policy **ret,
              struct unotify_diags *diags);
/* Load sq and assert that it loads without any diagnostic. */
struct unotify_policy *load_ok(const char *sq);
/* Every diagnostic, formatted, one per line; malloc'ed. */
char *diags_text(const struct unotify_diags *diags);
/* Assert that sq is refused with exactly the diagnostics `expected`. */
void assert_refused(const char *sq, const struct unotify_load_options *opts, const char *expected);
/* unotify_policy_decide() on made-up seccomp_data. */
struct unotify_decision decide(const struct unotify_policy *p, uint32_t arch, int nr,
                               const uint64_t args[6]);
uint32_t native_arch(void);

/* A temporary directory (the suite's .init/.fini), and files in it. */
extern char tmpdir[];
void make_tmpdir(void);
void remove_tmpdir(void);
void write_file(const char *name, const char *sq);
/* s with every @ replaced by the temporary directory; malloc'ed. */
char *at_tmp(const char *s);
