/* Random mutations of the shipped example policies, fed to the loader:
 * it must never crash, and must either load or name an error. The seed is
 * fixed so a failure can be replayed; the iteration counts bound the time.
 * Two kinds of mutation: bytes of the text (mostly syntax errors), and
 * values of the parsed document (mostly semantic errors, which is where
 * the checks are). */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "policy_helpers.h"

#define EXAMPLES UNOTIFY_SOURCE_DIR "/policy/examples"
#define SEED 0x756e6f74u /* "unot" */

struct rng {
        uint64_t s;
};

static uint32_t next(struct rng *r)
{
        /* xorshift64*: small, fast, and the same everywhere. */
        r->s ^= r->s >> 12;
        r->s ^= r->s << 25;
        r->s ^= r->s >> 27;
        return (uint32_t)((r->s * 0x2545f4914f6cdd1dULL) >> 32);
}

static size_t below(struct rng *r, size_t n)
{
        return n ? next(r) % n : 0;
}

/* The examples' texts. */
struct corpus {
        char *text[16];
        size_t len[16];
        size_t n;
};

static void read_examples(struct corpus *c)
{
        DIR *d = opendir(EXAMPLES);
        struct dirent *de;

        cr_assert_not_null(d);
        while ((de = readdir(d)) && c->n < 16) {
                _cleanup_(freep) char *path = NULL;
                FILE *f;
                size_t cap = 1 << 16;

                if (!strstr(de->d_name, ".json"))
                        continue;
                cr_assert(asprintf(&path, "%s/%s", EXAMPLES, de->d_name) > 0);
                f = fopen(path, "re");
                cr_assert_not_null(f);
                c->text[c->n] = malloc(cap);
                c->len[c->n] = fread(c->text[c->n], 1, cap, f);
                fclose(f);
                c->n++;
        }
        closedir(d);
        cr_assert_geq(c->n, 5);
}

/* Each example parsed (they all parse), for the structure-aware tests. */
static void parse_examples(const struct corpus *c, json_t *docs[])
{
        for (size_t k = 0; k < c->n; k++) {
                docs[k] = json_loadb(c->text[k], c->len[k], 0, NULL);
                cr_assert_not_null(docs[k]);
        }
}

/* The texts, and their parsed documents unless docs is NULL. */
static void free_examples(struct corpus *c, json_t *docs[])
{
        for (size_t k = 0; k < c->n; k++) {
                if (docs)
                        json_decref(docs[k]);
                free(c->text[k]);
        }
}

/* The verdict must be one of the two, with its reasons. Returns whether
 * the policy loaded. */
static bool check(const char *buf, size_t len, unsigned iteration)
{
        struct unotify_diags diags = {};
        struct unotify_policy *p = NULL;
        int r = unotify_policy_load_buffer(buf, len, "fuzz.json", &p, &diags);

        if (r == 0) {
                cr_assert_not_null(p, "iteration %u", iteration);
                cr_assert_eq(unotify_diags_errors(&diags), 0, "iteration %u", iteration);
                /* Whatever loaded can be decided and dumped. */
                free(unotify_policy_to_json(p));
                unotify_policy_unref(p);
                unotify_diags_clear(&diags);
                return true;
        } else {
                cr_assert_eq(r, -EINVAL, "iteration %u: %d", iteration, r);
                cr_assert_gt(unotify_diags_errors(&diags), 0, "iteration %u", iteration);
        }
        for (size_t i = 0; i < diags.count; i++)
                cr_assert(diags.items[i].message && diags.items[i].message[0],
                          "iteration %u: empty message", iteration);
        unotify_diags_clear(&diags);
        return false;
}

static const char *const tokens[] = {
        "\"SCMP_ACT_ALLOW\"",
        "\"SCMP_ACT_LOG\"",
        "\"UNOTIFY_ACT_RETURN\"",
        "\"paths\"",
        "\"include\"",
        "\"select\"",
        "\"args\"",
        "\"index\"",
        "\"prefix\"",
        "\"/\"",
        "-1",
        "18446744073709551615",
        "\"0xffffffffffffffff\"",
        "null",
        "[]",
        "{}",
        "true",
        ",",
        ":",
        "\"",
        "\\u0000",
        "\"caps\"",
        "\"CAP_SYS_ADMIN\"",
        "\"minKernel\"",
        "\"5.10\"",
};

static void mutate_bytes(struct rng *r, char *buf, size_t *len, size_t cap)
{
        size_t pos = below(r, *len + 1), n;
        const char *t;

        switch (below(r, 4)) {
        case 0: /* flip a byte */
                if (*len)
                        buf[below(r, *len)] ^= (char)(1 << below(r, 8));
                break;
        case 1: /* delete a range */
                n = below(r, 16);
                if (pos + n > *len)
                        n = *len - pos;
                memmove(buf + pos, buf + pos + n, *len - pos - n);
                *len -= n;
                break;
        case 2: /* insert a token */
                t = tokens[below(r, ELEMENTSOF(tokens))];
                n = strlen(t);
                if (*len + n > cap)
                        break;
                memmove(buf + pos + n, buf + pos, *len - pos);
                memcpy(buf + pos, t, n);
                *len += n;
                break;
        default: /* duplicate a range */
                n = below(r, 32);
                if (pos + n > *len || *len + n > cap)
                        break;
                memmove(buf + pos + n, buf + pos, *len - pos);
                *len += n;
                break;
        }
}

Test(fuzz, bytes, .timeout = 120)
{
        struct corpus c = {};
        struct rng r = { SEED };
        size_t cap = 1 << 17;
        _cleanup_(freep) char *buf = malloc(cap);

        read_examples(&c);
        unsigned loaded = 0;

        for (unsigned i = 0; i < 4000; i++) {
                size_t k = below(&r, c.n), len = c.len[k];

                memcpy(buf, c.text[k], len);
                for (unsigned m = 1 + below(&r, 4); m > 0; m--)
                        mutate_bytes(&r, buf, &len, cap);
                loaded += check(buf, len, i);
        }
        /* Both verdicts are exercised. */
        cr_log_info("bytes: %u of 4000 loaded", loaded);
        cr_assert(loaded > 0 && loaded < 4000, "%u", loaded);
        free_examples(&c, NULL);
}

/* ---- structure-aware -------------------------------------------------- */

static json_t *random_value(struct rng *r)
{
        static const char *const strings[] = {
                "SCMP_ACT_ERRNO",
                "SCMP_ACT_KILL",
                "UNOTIFY_ACT_EMULATE",
                "open",
                "EPERM",
                "mkdir",
                "socket",
                "/etc",
                "etc",
                "",
                "x86",
                "SCMP_ARCH_X86_64",
                "CAP_MKNOD",
                "5.10",
                "SCMP_CMP_MASKED_EQ",
                "0x10",
                "demo",
                "default",
                "ci-*",
                "a\nb",
                "policy",
        };

        switch (below(r, 8)) {
        case 0:
                return json_integer((json_int_t)below(r, 10) - 2);
        case 1:
                return json_integer((json_int_t)next(r) << 31);
        case 2:
                return json_string(strings[below(r, ELEMENTSOF(strings))]);
        case 3:
                return json_array();
        case 4:
                return json_object();
        case 5:
                return json_boolean(below(r, 2));
        case 6:
                return json_null();
        default:
                return json_real(0.5);
        }
}

static const char *const keys[] = {
        "names",
        "action",
        "errnoRet",
        "errno",
        "returnValue",
        "handler",
        "args",
        "paths",
        "includes",
        "excludes",
        "comment",
        "index",
        "value",
        "valueTwo",
        "op",
        "dirfd",
        "exact",
        "prefix",
        "glob",
        "arches",
        "caps",
        "minKernel",
        "include",
        "select",
        "default",
        "metadata",
        "annotations",
        "containerId",
        "name",
        "defaultAction",
        "defaultErrnoRet",
        "syscalls",
};

/* A random node of the tree (objects and arrays included). */
static json_t *pick(struct rng *r, json_t *v, unsigned depth)
{
        json_t *child = NULL;
        size_t n;

        if (depth > 6 || below(r, 3) == 0)
                return v;
        if (json_is_array(v) && (n = json_array_size(v)))
                child = json_array_get(v, below(r, n));
        else if (json_is_object(v) && (n = json_object_size(v))) {
                void *it = json_object_iter(v);

                for (size_t i = below(r, n); i > 0; i--)
                        it = json_object_iter_next(v, it);
                child = json_object_iter_value(it);
        }
        return child ? pick(r, child, depth + 1) : v;
}

static void mutate_tree(struct rng *r, json_t *root)
{
        json_t *node = pick(r, root, 0);
        const char *key = keys[below(r, ELEMENTSOF(keys))];

        if (json_is_object(node)) {
                switch (below(r, 3)) {
                case 0:
                        json_object_del(node, key);
                        break;
                default:
                        json_object_set_new(node, key, random_value(r));
                        break;
                }
        } else if (json_is_array(node)) {
                if (below(r, 2) && json_array_size(node))
                        json_array_remove(node, below(r, json_array_size(node)));
                else
                        json_array_append_new(node, below(r, 2) ? random_value(r)
                                                                : json_deep_copy(pick(r, root, 0)));
        }
}

Test(fuzz, tree, .timeout = 120)
{
        struct corpus c = {};
        struct rng r = { SEED ^ 0x5a5a };
        json_t *docs[16];
        unsigned loaded = 0;

        read_examples(&c);
        parse_examples(&c, docs);
        for (unsigned i = 0; i < 4000; i++) {
                json_t *doc = json_deep_copy(docs[below(&r, c.n)]);
                char *text;

                for (unsigned m = 1 + below(&r, 3); m > 0; m--)
                        mutate_tree(&r, doc);
                text = json_dumps(doc, JSON_ENCODE_ANY);
                cr_assert_not_null(text);
                loaded += check(text, strlen(text), i);
                free(text);
                json_decref(doc);
        }
        cr_log_info("tree: %u of 4000 loaded", loaded);
        cr_assert(loaded > 400 && loaded < 3600, "%u", loaded);
        free_examples(&c, docs);
}

/* ---- directories: include and select across files --------------------- */

TestSuite(fuzzdir, .init = make_tmpdir, .fini = remove_tmpdir, .timeout = 120);

static const char *const set_names[] = { "a", "b", "c", "d" };

/* Policy i of a directory, with random includes and selectors. */
static json_t *random_member(struct rng *r, json_t *base, size_t i)
{
        json_t *doc = json_deep_copy(base), *inc = json_array(), *sel = json_object(),
               *meta = json_object();

        json_object_set_new(doc, "name", json_string(set_names[i]));
        /* Mostly a DAG (later names), sometimes a cycle. */
        for (size_t j = 0; j < ELEMENTSOF(set_names); j++)
                if (j > i ? below(r, 3) == 0 : below(r, 20) == 0)
                        json_array_append_new(inc, json_string(set_names[j]));
        if (json_array_size(inc))
                json_object_set_new(doc, "include", inc);
        else
                json_decref(inc);
        json_object_set_new(meta, "tier", json_string(set_names[below(r, 4)]));
        if (below(r, 2))
                json_object_set_new(sel, "metadata", meta);
        else
                json_decref(meta);
        if (below(r, 2))
                json_object_set_new(sel, "containerId", json_string(below(r, 2) ? "c-*" : "*-d"));
        if (json_object_size(sel))
                json_object_set_new(doc, "select", sel);
        else
                json_decref(sel);
        json_object_set_new(doc, "default", json_boolean(below(r, 6) == 0));
        if (below(r, 4) == 0)
                mutate_tree(r, doc);
        return doc;
}

Test(fuzzdir, sets)
{
        struct corpus c = {};
        struct rng r = { SEED ^ 0xa5a5 };
        json_t *docs[16];
        unsigned loaded = 0;

        read_examples(&c);
        parse_examples(&c, docs);
        for (unsigned i = 0; i < 1000; i++) {
                struct unotify_policy_set *s = NULL;
                struct unotify_diags diags = {};
                int ret;

                for (size_t m = 0; m < ELEMENTSOF(set_names); m++) {
                        _cleanup_(freep) char *path = NULL;
                        json_t *doc = random_member(&r, docs[below(&r, c.n)], m);

                        cr_assert(asprintf(&path, "%s/%s.json", tmpdir, set_names[m]) > 0);
                        cr_assert_eq(json_dump_file(doc, path, 0), 0);
                        json_decref(doc);
                }
                ret = unotify_policy_set_load_dir(tmpdir, &s, &diags);
                if (ret == 0) {
                        loaded++;
                        cr_assert_eq(unotify_diags_errors(&diags), 0, "iteration %u", i);
                        for (size_t m = 0; m < unotify_policy_set_count(s); m++)
                                free(unotify_policy_to_json(unotify_policy_set_at(s, m)));
                } else {
                        cr_assert_eq(ret, -EINVAL, "iteration %u", i);
                        cr_assert_gt(unotify_diags_errors(&diags), 0, "iteration %u", i);
                }
                for (size_t m = 0; m < diags.count; m++)
                        cr_assert(diags.items[m].message[0], "iteration %u", i);
                if (getenv("FUZZ_DEBUG") && diags.count)
                        fprintf(stderr, "%s\n", diags.items[0].message);
                unotify_diags_clear(&diags);
                unotify_policy_set_free(s);
        }
        cr_log_info("sets: %u of 1000 loaded", loaded);
        cr_assert(loaded > 0 && loaded < 1000, "%u", loaded);
        free_examples(&c, docs);
}
