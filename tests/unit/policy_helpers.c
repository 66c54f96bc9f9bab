#include "policy_helpers.h"

#include <ftw.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>

char *dq(const char *s)
{
        char *r = strdup(s);

        cr_assert_not_null(r);
        for (char *c = r; *c; c++)
                if (*c == '\'')
                        *c = '"';
        return r;
}

int load_opts(const char *sq, const struct unotify_load_options *opts, struct unotify_policy **ret,
              struct unotify_diags *diags)
{
        _cleanup_(freep) char *json = dq(sq);

        return unotify_policy_load_buffer_full(json, strlen(json), "test.json", opts, ret, diags);
}

struct unotify_policy *load_ok(const char *sq)
{
        struct unotify_diags diags = {};
        struct unotify_policy *p = NULL;
        _cleanup_(freep) char *text = NULL;
        int r = load_opts(sq, NULL, &p, &diags);

        text = diags_text(&diags);
        cr_assert_eq(r, 0, "policy refused (%d): %s", r, text);
        cr_assert_eq(diags.count, 0, "unexpected diagnostics: %s", text);
        unotify_diags_clear(&diags);
        return p;
}

char *diags_text(const struct unotify_diags *diags)
{
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        cr_assert_not_null(f);
        for (size_t i = 0; i < diags->count; i++) {
                char line[2048];

                unotify_diag_format(&diags->items[i], line, sizeof(line));
                fprintf(f, "%s%s", i ? "\n" : "", line);
        }
        fclose(f);
        return text;
}

void assert_refused(const char *sq, const struct unotify_load_options *opts, const char *expected)
{
        struct unotify_policy *p = (struct unotify_policy *)0x1;
        struct unotify_diags diags = {};
        _cleanup_(freep) char *text = NULL;

        cr_assert_eq(load_opts(sq, opts, &p, &diags), -EINVAL, "accepted: %s", sq);
        cr_assert_eq(p, (struct unotify_policy *)0x1, "ret must be untouched on failure");
        text = diags_text(&diags);
        cr_assert_str_eq(text, expected, "got\n%s\nexpected\n%s", text, expected);
        cr_assert_gt(unotify_diags_errors(&diags), 0);
        unotify_diags_clear(&diags);
        /* The same verdict without anyone to tell. */
        cr_assert_eq(load_opts(sq, opts, &p, NULL), -EINVAL, "accepted without diags");
}

struct unotify_decision decide(const struct unotify_policy *p, uint32_t arch, int nr,
                               const uint64_t args[6])
{
        struct seccomp_data data = { .nr = nr, .arch = arch };
        struct unotify_decision d = {};

        for (int i = 0; args && i < 6; i++)
                data.args[i] = args[i];
        unotify_policy_decide(p, &data, &d);
        return d;
}

uint32_t native_arch(void)
{
        return seccomp_arch_native();
}

char tmpdir[] = "/tmp/unotify-policy-test.XXXXXX";

void make_tmpdir(void)
{
        cr_assert_not_null(mkdtemp(tmpdir), "mkdtemp: %m");
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st, (void)flag, (void)ftw;
        return remove(path);
}

void remove_tmpdir(void)
{
        nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void write_file(const char *name, const char *sq)
{
        _cleanup_(freep) char *path = NULL, *json = dq(sq);
        FILE *f;

        cr_assert(asprintf(&path, "%s/%s", tmpdir, name) > 0);
        f = fopen(path, "we");
        cr_assert_not_null(f, "%s: %m", path);
        fputs(json, f);
        cr_assert_eq(fclose(f), 0);
}

char *at_tmp(const char *s)
{
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        cr_assert_not_null(f);
        for (; *s; s++)
                if (*s == '@')
                        fputs(tmpdir, f);
                else
                        fputc(*s, f);
        fclose(f);
        return text;
}
