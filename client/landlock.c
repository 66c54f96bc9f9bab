/* libunotify: a policy's Landlock section, from the daemon's reply to the
 * kernel (landlock_create_ruleset(2), landlock_add_rule(2),
 * landlock_restrict_self(2)). Library code: never prints. */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "landlock_parse.h"
#include "unotify/macro.h"

#define _public_ __attribute__((visibility("default")))

static int parse_mask(json_t *v, uint64_t *ret)
{
        if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
            ((uint64_t)json_integer_value(v) & ~UNOTIFY_LANDLOCK_ALL))
                return -EBADMSG;
        *ret = (uint64_t)json_integer_value(v);
        return 0;
}

static int parse_rule(json_t *e, uint64_t handled, struct unotify_landlock_rule *ret)
{
        json_t *path = json_object_get(e, "path");
        const char *s = json_string_value(path);
        size_t n = json_string_length(path);

        if (!json_is_object(e) || !s || n == 0 || n >= UNOTIFY_LANDLOCK_PATH_MAX ||
            strlen(s) != n || s[0] != '/')
                return -EBADMSG;
        if (parse_mask(json_object_get(e, "access"), &ret->access) < 0 || (ret->access & ~handled))
                return -EBADMSG;
        ret->path = strdup(s);
        return ret->path ? 0 : -ENOMEM;
}

static int parse_section(json_t *v, struct unotify_landlock *ll)
{
        json_t *min = json_object_get(v, "minAbi"), *allow = json_object_get(v, "allow"), *e;
        size_t i;
        int r;

        if (!json_is_object(v) || parse_mask(json_object_get(v, "handled"), &ll->handled) < 0)
                return -EBADMSG;
        if (!json_is_integer(min) || json_integer_value(min) < 0 ||
            json_integer_value(min) > UNOTIFY_LANDLOCK_ABI_MAX)
                return -EBADMSG;
        ll->min_abi = (unsigned)json_integer_value(min);
        if (!json_is_array(allow) || json_array_size(allow) > UNOTIFY_LANDLOCK_MAX_RULES)
                return -EBADMSG;
        ll->rules = calloc(json_array_size(allow) ?: 1, sizeof(*ll->rules));
        if (!ll->rules)
                return -ENOMEM;
        json_array_foreach(allow, i, e) {
                r = parse_rule(e, ll->handled, &ll->rules[i]);
                if (r < 0)
                        return r;
                ll->n_rules = i + 1;
        }
        return 0;
}

int landlock_parse(json_t *v, struct unotify_landlock **ret)
{
        struct unotify_landlock *ll;
        int r;

        if (!v)
                return 0;
        ll = calloc(1, sizeof(*ll));
        if (!ll)
                return -ENOMEM;
        r = parse_section(v, ll);
        if (r < 0) {
                unotify_landlock_clear(ll);
                free(ll);
                return r;
        }
        *ret = ll;
        return 0;
}

_public_ int unotify_landlock_abi(void)
{
        long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

        if (abi >= 0)
                return (int)abi;
        /* Not built in (ENOSYS), or not enabled at boot (EOPNOTSUPP). */
        if (errno == ENOSYS || errno == EOPNOTSUPP)
                return 0;
        return negative_errno();
}

/* Beneath a directory every right counts; on a file only the file ones
 * (landlock_add_rule(2) refuses the others there). */
static int add_rule(int ruleset, const struct unotify_landlock_rule *rule, uint64_t handled)
{
        struct landlock_path_beneath_attr attr = { .parent_fd = -1 };
        _cleanup_(closep) int fd = open(rule->path, O_PATH | O_CLOEXEC);
        struct stat st;

        if (fd < 0 || fstat(fd, &st) < 0)
                return -ENOENT;
        attr.allowed_access = rule->access & handled;
        if (!S_ISDIR(st.st_mode))
                attr.allowed_access &= UNOTIFY_LANDLOCK_FILE_RIGHTS;
        if (!attr.allowed_access)
                return 0;
        attr.parent_fd = fd;
        if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &attr, 0) < 0)
                return negative_errno();
        return 0;
}

_public_ int unotify_landlock_ruleset(const struct unotify_landlock *ll, int abi,
                                      struct unotify_landlock_report *report, int *ret_fd)
{
        struct unotify_landlock_report dummy;
        struct landlock_ruleset_attr attr = {};
        _cleanup_(closep) int fd = -1;
        int r;

        if (!report)
                report = &dummy;
        *report = (struct unotify_landlock_report){ .abi = abi };
        if (!ll || !ret_fd || !ll->handled || (ll->handled & ~UNOTIFY_LANDLOCK_ALL))
                return -EINVAL;
        if (abi < (int)ll->min_abi || abi <= 0)
                return -EOPNOTSUPP;
        attr.handled_access_fs = ll->handled & unotify_landlock_abi_rights(abi);
        report->dropped = ll->handled & ~attr.handled_access_fs;
        if (!attr.handled_access_fs) {
                *ret_fd = -1; /* nothing this kernel can restrict */
                return 0;
        }
        fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
        if (fd < 0)
                return negative_errno();
        for (size_t i = 0; i < ll->n_rules; i++) {
                r = add_rule(fd, &ll->rules[i], attr.handled_access_fs);
                if (r == -ENOENT)
                        report->missing[report->n_missing++] = i;
                else if (r < 0)
                        return r;
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

_public_ int unotify_landlock_enforce(int ruleset_fd)
{
        if (syscall(SYS_landlock_restrict_self, ruleset_fd, 0) < 0)
                return negative_errno();
        return 0;
}
