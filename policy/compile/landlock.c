/* A policy's "landlock" section once loaded: its copy, its share of the
 * plan digest, its dump, and the one combination the loader refuses. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile/compile.h"

/* The rights the daemon itself exercises for a task when it emulates a
 * call: Landlock does not restrict the daemon, so a section that handles
 * them would not hold for those calls. */
#define OPEN_RIGHTS                                                                  \
        (UINT64_C(1) << 1 | UINT64_C(1) << 2 | UINT64_C(1) << 3 | UINT64_C(1) << 8 | \
         UINT64_C(1) << 14) /* write_file, read_file, read_dir, make_reg, truncate */
#define MKNOD_RIGHTS                                                                  \
        (UINT64_C(1) << 6 | UINT64_C(1) << 8 | UINT64_C(1) << 9 | UINT64_C(1) << 10 | \
         UINT64_C(1) << 11) /* make_char, make_reg, make_sock, make_fifo, make_block */

void landlock_free(struct unotify_landlock *ll)
{
        unotify_landlock_clear(ll);
        free(ll);
}

int landlock_compile(struct unotify_policy *p, const struct draft *d)
{
        struct unotify_landlock *ll;

        if (!d->has_landlock)
                return 0;
        ll = calloc(1, sizeof(*ll));
        if (!ll)
                return -ENOMEM;
        p->landlock = ll;
        ll->handled = d->landlock.handled;
        ll->min_abi = d->landlock.min_abi;
        ll->rules = calloc(d->landlock.n_rules ?: 1, sizeof(*ll->rules));
        if (!ll->rules)
                return -ENOMEM;
        for (size_t i = 0; i < d->landlock.n_rules; i++) {
                ll->rules[i].access = d->landlock.rules[i].access;
                ll->rules[i].path = strdup(d->landlock.rules[i].path);
                if (!ll->rules[i].path)
                        return -ENOMEM;
                ll->n_rules++;
        }
        return 0;
}

const struct unotify_landlock *unotify_policy_landlock(const struct unotify_policy *p)
{
        return p->landlock;
}

/* A launcher with an older section is refused at handoff like one with an
 * older filter: the section is part of what the digest covers. Nothing is
 * added without a section, so the digests of other policies stay. */
uint64_t landlock_digest(uint64_t h, const struct unotify_landlock *ll)
{
        char buf[64];

        if (!ll)
                return h;
        snprintf(buf, sizeof(buf), "landlock %" PRIx64 " %u %zu", ll->handled, ll->min_abi,
                 ll->n_rules);
        h = digest_add(h, buf);
        for (size_t i = 0; i < ll->n_rules; i++) {
                snprintf(buf, sizeof(buf), "%" PRIx64, ll->rules[i].access);
                h = digest_add(digest_add(h, ll->rules[i].path), buf);
        }
        return h;
}

static const char *conflict(const struct rule *r, uint64_t handled, uint64_t *ret_rights)
{
        if (r->decision.action != UNOTIFY_ACTION_EMULATE)
                return NULL;
        if (r->decision.handler == UNOTIFY_HANDLER_OPEN && (handled & OPEN_RIGHTS)) {
                *ret_rights = handled & OPEN_RIGHTS;
                return "open";
        }
        if (r->decision.handler == UNOTIFY_HANDLER_MKNOD && (handled & MKNOD_RIGHTS)) {
                *ret_rights = handled & MKNOD_RIGHTS;
                return "mknod";
        }
        return NULL;
}

static void names_of(uint64_t mask, char *buf, size_t size)
{
        size_t len = 0;

        buf[0] = '\0';
        for (unsigned i = 0; i < UNOTIFY_LANDLOCK_RIGHTS && len < size; i++)
                if (mask & (UINT64_C(1) << i))
                        len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? ", " : "",
                                                unotify_landlock_right_name(i));
}

int policy_check_landlock(const struct unotify_policy *p, struct unotify_diags *diags)
{
        int ret = 0;

        for (size_t i = 0; p->landlock && i < p->n_rules; i++) {
                const struct policy_source *s = &p->sources[p->info[i].source];
                uint64_t rights = 0;
                const char *handler = conflict(&p->rules[i], p->landlock->handled, &rights);
                char pointer[32], names[256];

                if (!handler)
                        continue;
                snprintf(pointer, sizeof(pointer), "/syscalls/%" PRIu32, p->info[i].index);
                names_of(rights, names, sizeof(names));
                if (diag_add(diags, s->origin, 0, 0, pointer,
                             "this rule has the daemon do the call for the task (handler \"%s\"), "
                             "and Landlock restricts the task, not the daemon: policy \"%s\"'s "
                             "\"landlock\" section, which handles %s, would not hold for these "
                             "calls. Leave those rights out of /landlock/handledAccess, or do not "
                             "emulate",
                             handler, p->name, names) < 0)
                        return -ENOMEM;
                ret = -EINVAL;
        }
        return ret;
}

static json_t *rights_json(uint64_t mask)
{
        json_t *a = json_array();

        for (unsigned i = 0; a && i < UNOTIFY_LANDLOCK_RIGHTS; i++)
                if ((mask & (UINT64_C(1) << i)) &&
                    json_array_append_new(a, json_string(unotify_landlock_right_name(i))) < 0)
                        return json_decref(a), NULL;
        return a;
}

/* The handled rights an ABI older than theirs cannot restrict. */
static json_t *needs_abi_json(uint64_t handled)
{
        json_t *o = json_object();

        for (unsigned i = 0; o && i < UNOTIFY_LANDLOCK_RIGHTS; i++)
                if ((handled & (UINT64_C(1) << i)) && unotify_landlock_right_abi(i) > 1 &&
                    json_object_set_new(o, unotify_landlock_right_name(i),
                                        json_integer(unotify_landlock_right_abi(i))) < 0)
                        return json_decref(o), NULL;
        return o;
}

static json_t *allow_json(const struct unotify_landlock *ll)
{
        json_t *a = json_array();

        for (size_t i = 0; a && i < ll->n_rules; i++)
                if (json_array_append_new(a, json_pack("{s:s, s:o*}", "path", ll->rules[i].path,
                                                       "access",
                                                       rights_json(ll->rules[i].access))) < 0)
                        return json_decref(a), NULL;
        return a;
}

/* Rules that decide by a path stay with the daemon: Landlock only grants. */
static json_t *with_daemon_json(const struct unotify_policy *p)
{
        json_t *a = json_array();

        for (size_t i = 0; a && i < p->n_rules; i++) {
                char pointer[32];

                if (!p->rules[i].n_paths)
                        continue;
                snprintf(pointer, sizeof(pointer), "/syscalls/%" PRIu32, p->info[i].index);
                if (json_array_append_new(
                            a,
                            json_pack("{s:s, s:s, s:s}", "policy",
                                      p->sources[p->info[i].source].name, "pointer", pointer, "why",
                                      "a path condition: Landlock can only grant access "
                                      "beneath a path, not carve a path out of an allowed "
                                      "tree, pick an errno or emulate")) < 0)
                        return json_decref(a), NULL;
        }
        return a;
}

json_t *landlock_dump(const struct unotify_policy *p)
{
        const struct unotify_landlock *ll = p->landlock;

        return json_pack("{s:o*, s:i, s:o*, s:o*, s:s, s:o*}", "handledAccess",
                         rights_json(ll->handled), "minAbi", (int)ll->min_abi, "allow",
                         allow_json(ll), "needsAbi", needs_abi_json(ll->handled), "enforcedBy",
                         "the kernel (Landlock), set up by the launcher before exec: a handled "
                         "right outside the allowed paths fails with EACCES, whether the daemon "
                         "runs or not; the rules of \"syscalls\" stay with the filter and the "
                         "daemon",
                         "pathRulesWithDaemon", with_daemon_json(p));
}
