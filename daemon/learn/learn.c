#include "learn/learn.h"

#include <errno.h>
#include <ev.h> /* before seccomp.h: its linux/elf.h defines EV_NONE */
#include <limits.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loop/daemon.h"
#include "learn/learn_rec.h"
#include "notify/listener.h"
#include "service/log.h"
#include "notify/target.h"
#include "unotify/filter.h"
#include "unotify/macro.h"
#include "unotify/policy.h"

#define LEARN_NAME_MAX 64
#define NO_ENTRY 0xffff

static const char builtin_json[] =
        "{\"name\": \"" LEARN_BUILTIN_NAME "\", "
        "\"comment\": \"unotifyd's own: record every call, let it run\", "
        "\"defaultAction\": \"SCMP_ACT_ALLOW\", \"learn\": {}}";

/* One name's recording: what its ended listeners recorded. */
struct recording {
        struct list_node node;
        char *name;
        struct unotify_policy *policy; /* of its first listener; a reference */
        struct learn_rec *rec;
        uint64_t listeners;
};

/* Which recorded arguments a number has, per ABI slot: built once. */
struct learn_index {
        uint16_t arg[LEARN_ARCHES][LEARN_NR_MAX][2];
        uint16_t path[LEARN_ARCHES][LEARN_NR_MAX];
};

struct learn {
        struct unotify_policy *builtin;
        struct learn_index *index; /* at the first listener that learns */
        struct list_node recordings;
        size_t n_recordings;
        struct learn_budget budget; /* live listeners' recordings and kept ones */
};

static struct ratelimit learn_warnings = RATELIMIT_INIT(10ull * 1000000000u, 10);

int learn_init(struct daemon *d)
{
        struct unotify_diags diags = {};
        int r;

        d->learn = calloc(1, sizeof(*d->learn));
        if (!d->learn)
                return -ENOMEM;
        list_init(&d->learn->recordings);
        d->learn->budget.max = d->opts->limits.learn_bytes;
        r = unotify_policy_load_buffer(builtin_json, sizeof(builtin_json) - 1, "(built-in learn)",
                                       &d->learn->builtin, &diags);
        unotify_diags_clear(&diags);
        return r;
}

static void recording_free(struct learn *ln, struct recording *rc)
{
        list_del(&rc->node);
        ln->n_recordings--;
        learn_rec_free(rc->rec);
        unotify_policy_unref(rc->policy);
        free(rc->name);
        free(rc);
}

void learn_done(struct daemon *d)
{
        struct learn *ln = d->learn;

        if (!ln)
                return;
        while (!list_empty(&ln->recordings))
                recording_free(ln, container_of(ln->recordings.next, struct recording, node));
        unotify_policy_unref(ln->builtin);
        free(ln->index);
        free(ln);
        d->learn = NULL;
}

struct unotify_policy *learn_find_policy(struct daemon *d, const char *name)
{
        struct unotify_policy *p = unotify_policy_set_find(d->policies, name);

        if (p || !d->learn || strcmp(name, LEARN_BUILTIN_NAME) != 0)
                return p;
        return d->learn->builtin;
}

/* The value of the first line "key=VALUE" of metadata into buf; false
 * when there is none (or it does not fit). */
static bool meta_value(const char *metadata, const char *key, char *buf, size_t size)
{
        size_t k = strlen(key);

        for (const char *line = metadata; line && *line;) {
                const char *end = strchrnul(line, '\n');

                if ((size_t)(end - line) > k && strncmp(line, key, k) == 0 && line[k] == '=') {
                        size_t n = (size_t)(end - line) - k - 1;

                        if (n >= size)
                                return false;
                        memcpy(buf, line + k + 1, n);
                        buf[n] = '\0';
                        return true;
                }
                line = *end ? end + 1 : end;
        }
        return false;
}

struct unotify_policy *learn_select_builtin(struct daemon *d, const char *metadata)
{
        char name[UNOTIFY_POLICY_NAME_MAX];

        if (!d->learn || !meta_value(metadata, "policy", name, sizeof(name)) ||
            strcmp(name, LEARN_BUILTIN_NAME) != 0 || unotify_policy_set_find(d->policies, name))
                return NULL;
        return d->learn->builtin;
}

static int index_build(struct learn *ln)
{
        uint32_t tokens[LEARN_ARCHES] = {}, base[LEARN_ARCHES] = {};
        struct learn_index *x = malloc(sizeof(*x));

        if (!x)
                return -ENOMEM;
        memset(x, 0xff, sizeof(*x));
        tokens[0] = seccomp_arch_native();
        if (tokens[0] == SCMP_ARCH_X86_64) {
                tokens[1] = SCMP_ARCH_X86;
                tokens[2] = SCMP_ARCH_X32;
                base[2] = 0x40000000u;
        } else if (tokens[0] == SCMP_ARCH_AARCH64)
                tokens[1] = SCMP_ARCH_ARM;
        for (unsigned a = 0; a < LEARN_ARCHES; a++) {
                for (size_t i = 0; tokens[a] && learn_arg_at(i); i++) {
                        int nr =
                                seccomp_syscall_resolve_name_arch(tokens[a], learn_arg_at(i)->name);
                        uint32_t k;

                        if (nr < 0 || (uint32_t)nr < base[a] ||
                            (k = (uint32_t)nr - base[a]) >= LEARN_NR_MAX)
                                continue;
                        x->arg[a][k][x->arg[a][k][0] == NO_ENTRY ? 0 : 1] = (uint16_t)i;
                }
                for (size_t i = 0; tokens[a] && learn_path_arg_at(i); i++) {
                        int nr = seccomp_syscall_resolve_name_arch(tokens[a],
                                                                   learn_path_arg_at(i)->name);

                        if (nr >= 0 && (uint32_t)nr >= base[a] &&
                            (uint32_t)nr - base[a] < LEARN_NR_MAX)
                                x->path[a][(uint32_t)nr - base[a]] = (uint16_t)i;
                }
        }
        ln->index = x;
        return 0;
}

int learn_listener_begin(struct learn *ln, struct listener *l)
{
        const struct unotify_learn_limits *lim = unotify_policy_learn(l->policy);

        if (!lim || !ln)
                return 0;
        if (!ln->index && index_build(ln) < 0)
                return log_warning_errno(-ENOMEM, "listener %llu: cannot record",
                                         (unsigned long long)l->id);
        l->learn = learn_rec_new(lim, &ln->budget);
        if (!l->learn && errno == ENOSPC) {
                if (ratelimit_allow(&learn_warnings))
                        log_warning("listener %llu: not recording: the recordings hold %zu bytes, "
                                    "their cap (learn-bytes=%zu); save or drop some",
                                    (unsigned long long)l->id, ln->budget.used, ln->budget.max);
                return -ENOSPC;
        }
        if (!l->learn)
                return log_warning_errno(-ENOMEM, "listener %llu: cannot record",
                                         (unsigned long long)l->id);
        return 0;
}

static void record_value(struct listener *l, const struct seccomp_notif *req, uint16_t arg)
{
        const struct learn_arg *a = learn_arg_at(arg);
        uint64_t v = req->data.args[a->index];

        /* clone3's flags are the first member of the struct it points to. */
        if (a->in_memory &&
            (target_read(req->pid, v, &v, sizeof(v)) < 0 || target_id_valid(l->fd, req->id) < 0))
                return;
        learn_rec_value(l->learn, arg, v);
}

static void record_path(struct listener *l, const struct seccomp_notif *req, uint16_t group)
{
        const struct learn_path_arg *a = learn_path_arg_at(group);
        struct target_ctx ctx = { .listener_fd = l->fd, .req = req };
        char buf[PATH_MAX];

        /* A bad pointer is the target's business: the call fails by itself. */
        if (target_read_path(&ctx, a->index, a->dirfd, buf, sizeof(buf)) < 0)
                return;
        if (learn_rec_path(l->learn, group, buf) < 0 && ratelimit_allow(&learn_warnings))
                log_warning("listener %llu: out of memory recording a path",
                            (unsigned long long)l->id);
}

void learn_listener_record(struct learn *ln, struct listener *l, const struct seccomp_notif *req)
{
        const struct learn_index *x = ln->index;
        uint32_t nr;
        int slot = learn_arch_slot(req->data.arch, (uint32_t)req->data.nr, &nr);

        learn_rec_call(l->learn, slot < 0 ? LEARN_ARCHES : (unsigned)slot, nr);
        if (slot < 0 || nr >= LEARN_NR_MAX)
                return;
        for (int i = 0; i < 2 && x->arg[slot][nr][i] != NO_ENTRY; i++)
                record_value(l, req, x->arg[slot][nr][i]);
        if (x->path[slot][nr] != NO_ENTRY)
                record_path(l, req, x->path[slot][nr]);
}

/* The recording name of l: its metadata's, else its policy's. */
static void listener_name(const struct listener *l, char *buf, size_t size)
{
        if (l->metadata && meta_value(l->metadata, LEARN_META_NAME, buf, size) && buf[0] &&
            strspn(buf, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
                    strlen(buf))
                return;
        snprintf(buf, size, "%s", unotify_policy_name(l->policy));
}

static struct recording *recording_find(struct learn *ln, const char *name)
{
        for (struct list_node *n = ln->recordings.next; n != &ln->recordings; n = n->next) {
                struct recording *rc = container_of(n, struct recording, node);

                if (strcmp(rc->name, name) == 0)
                        return rc;
        }
        return NULL;
}

/* The first listener of a name: its recording becomes the name's, with
 * no copy (which the learn-bytes cap would have to hold twice). */
static struct recording *recording_new(struct learn *ln, const char *name, struct listener *l)
{
        struct recording *rc;

        if (ln->n_recordings >= LEARN_MAX_RECORDINGS)
                return NULL;
        rc = calloc(1, sizeof(*rc));
        if (!rc || !(rc->name = strdup(name))) {
                free(rc);
                return NULL;
        }
        rc->rec = TAKE_PTR(l->learn);
        rc->listeners = 1;
        rc->policy = unotify_policy_ref(l->policy);
        list_add_tail(&ln->recordings, &rc->node);
        ln->n_recordings++;
        return rc;
}

void learn_listener_end(struct learn *ln, struct listener *l)
{
        char name[LEARN_NAME_MAX];
        struct recording *rc;
        uint64_t calls;

        if (!l->learn || !ln) {
                l->learn = learn_rec_free(l->learn);
                return;
        }
        listener_name(l, name, sizeof(name));
        calls = learn_rec_calls(l->learn);
        rc = recording_find(ln, name);
        if (!rc && !recording_new(ln, name, l))
                log_warning("listener %llu: its recording \"%s\" is lost (too many recordings, or "
                            "out of memory: save or drop some)",
                            (unsigned long long)l->id, name);
        else if (rc && learn_rec_merge(rc->rec, l->learn) < 0)
                log_warning("listener %llu: its recording \"%s\" is lost (out of memory)",
                            (unsigned long long)l->id, name);
        else if (rc)
                rc->listeners++;
        log_info("listener %llu: recorded %llu calls into \"%s\"", (unsigned long long)l->id,
                 (unsigned long long)calls, name);
        l->learn = learn_rec_free(l->learn);
}

/* ---- the control command -------------------------------------------- */

/* Live listeners recording under name, and their calls. */
static size_t live_count(struct daemon *d, const char *name, uint64_t *calls, size_t *bytes)
{
        char own[LEARN_NAME_MAX];
        size_t n = 0;

        for (struct list_node *x = d->set->listeners.next; x != &d->set->listeners; x = x->next) {
                struct listener *l = container_of(x, struct listener, node);

                if (!l->learn)
                        continue;
                listener_name(l, own, sizeof(own));
                if (name && strcmp(own, name) != 0)
                        continue;
                n++;
                *calls += learn_rec_calls(l->learn);
                *bytes += learn_rec_bytes(l->learn);
        }
        return n;
}

static json_t *list_entry(const char *name, const struct unotify_policy *p, uint64_t ended,
                          size_t live, uint64_t calls, size_t bytes)
{
        return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "name", name, "policy",
                         unotify_policy_name(p), "listeners", (json_int_t)ended, "live",
                         (json_int_t)live, "notifications", (json_int_t)calls, "bytes",
                         (json_int_t)bytes);
}

/* Whether name is already in the list being built. */
static bool listed(const json_t *arr, const char *name)
{
        json_t *v;
        size_t i;

        json_array_foreach(arr, i, v)
                if (strcmp(json_string_value(json_object_get(v, "name")), name) == 0)
                        return true;
        return false;
}

/* The recordings of ended listeners, then the names only live ones have. */
static json_t *learn_list(struct daemon *d)
{
        json_t *arr = json_array();
        char own[LEARN_NAME_MAX];

        for (struct list_node *n = d->learn->recordings.next; arr && n != &d->learn->recordings;
             n = n->next) {
                struct recording *rc = container_of(n, struct recording, node);
                uint64_t calls = learn_rec_calls(rc->rec);
                size_t bytes = learn_rec_bytes(rc->rec);
                size_t live = live_count(d, rc->name, &calls, &bytes);

                json_array_append_new(
                        arr, list_entry(rc->name, rc->policy, rc->listeners, live, calls, bytes));
        }
        for (struct list_node *x = d->set->listeners.next; arr && x != &d->set->listeners;
             x = x->next) {
                struct listener *l = container_of(x, struct listener, node);
                uint64_t calls = 0;
                size_t bytes = 0, live;

                if (!l->learn)
                        continue;
                listener_name(l, own, sizeof(own));
                if (listed(arr, own))
                        continue;
                live = live_count(d, own, &calls, &bytes);
                json_array_append_new(arr, list_entry(own, l->policy, 0, live, calls, bytes));
        }
        return json_pack("{s:o*}", "recordings", arr);
}

/* The names the policy's own kernel rules let run without the daemon:
 * never recorded, and needed all the same (a runtime's own calls). */
static json_t *unrecorded(const struct unotify_policy *p)
{
        const struct unotify_kernel_plan *plan = unotify_policy_kernel_plan(p);
        json_t *arr = json_array();

        for (size_t i = 0; arr && plan && i < plan->n_entries; i++) {
                const struct unotify_kernel_entry *e = &plan->entries[i];

                if (e->kind == UNOTIFY_KERNEL_RULES && e->n_rules > 0 &&
                    e->rules[0].decision.action == UNOTIFY_ACTION_CONTINUE)
                        json_array_append_new(arr, json_string(e->name));
        }
        return arr;
}

/* The saved recording name: what has ended, and what is still live. */
static json_t *learn_save(struct daemon *d, const char *name, char *err, size_t size)
{
        struct recording *rc = recording_find(d->learn, name);
        struct learn_rec *all = NULL;
        struct unotify_policy *policy = rc ? rc->policy : NULL;
        uint64_t listeners = rc ? rc->listeners : 0;
        char own[LEARN_NAME_MAX];
        json_t *o;
        int r = 0;

        for (struct list_node *x = d->set->listeners.next; r >= 0 && x != &d->set->listeners;
             x = x->next) {
                struct listener *l = container_of(x, struct listener, node);

                if (!l->learn || (listener_name(l, own, sizeof(own)), strcmp(own, name) != 0))
                        continue;
                policy = policy ?: l->policy;
                if (!all && !(all = learn_rec_new(unotify_policy_learn(policy), NULL)))
                        r = -ENOMEM;
                if (r >= 0)
                        r = learn_rec_merge(all, l->learn);
                listeners++;
        }
        if (r >= 0 && rc && (all || (all = learn_rec_new(unotify_policy_learn(policy), NULL))))
                r = learn_rec_merge(all, rc->rec);
        if (!policy) {
                snprintf(err, size, "no recording \"%s\"", name);
                return NULL;
        }
        o = r >= 0 && all ? learn_rec_json(all) : NULL;
        learn_rec_free(all);
        if (!o)
                return NULL;
        json_object_set_new(o, "unotifyRecording", json_integer(1));
        json_object_set_new(o, "name", json_string(name));
        json_object_set_new(o, "policy", json_string(unotify_policy_name(policy)));
        json_object_set_new(o, "listeners", json_integer((json_int_t)listeners));
        json_object_set_new(o, "unrecorded", unrecorded(policy));
        return json_pack("{s:o}", "recording", o);
}

json_t *learn_control(struct daemon *d, const json_t *req, char *err, size_t size)
{
        const char *action = json_string_value(json_object_get(req, "action"));
        const char *name = json_string_value(json_object_get(req, "name"));
        struct recording *rc;

        if (!action || strcmp(action, "list") == 0)
                return learn_list(d);
        if (!name || !*name || strlen(name) >= LEARN_NAME_MAX) {
                snprintf(err, size, "\"name\" must be a recording's name (1..%d characters)",
                         LEARN_NAME_MAX - 1);
                return NULL;
        }
        if (strcmp(action, "save") == 0)
                return learn_save(d, name, err, size);
        if (strcmp(action, "drop") == 0) {
                rc = recording_find(d->learn, name);
                if (rc)
                        recording_free(d->learn, rc);
                return json_pack("{s:b}", "dropped", rc != NULL);
        }
        snprintf(err, size, "unknown action \"%s\" (list, save or drop)", action);
        return NULL;
}

size_t learn_budget_used(const struct daemon *d)
{
        return d->learn ? d->learn->budget.used : 0;
}

uint64_t learn_budget_capped(const struct daemon *d)
{
        return d->learn ? d->learn->budget.capped : 0;
}
