/* Fuzz target for the mount handler's decoding of a mount(2) call against
 * a rule (daemon/handlers/mount_opts.h): the MS_* flags, the type and the
 * options string, under a rule made from the input too.
 *
 * Whatever the input, an accepted call must keep the rule: every forced
 * flag set (devpts may drop nodev), nothing beyond the allowed and forced
 * flags and the type's own, only options of the rule and the type, a
 * tmpfs size= within the cap (always one, when there is a cap),
 * overlay layers with no separator or escape and its redirect_dir and
 * metacopy turned off. A refusal says why, with the rule's errno.
 *
 * Input: 8 bytes flags, 2 types, 2 options, 1 allowed and 1 forced
 * attribute set, 4 bytes maxSize, then "type\0data". */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "../../daemon/handlers/mount_opts.h"
#include "fake_mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint64_t attr_bits[] = { MOUNT_ATTR_RDONLY,     MOUNT_ATTR_NOSUID,
                                      MOUNT_ATTR_NODEV,      MOUNT_ATTR_NOEXEC,
                                      MOUNT_ATTR_NOATIME,    MOUNT_ATTR_NODIRATIME,
                                      MOUNT_ATTR_NOSYMFOLLOW };
static const char *const option_names[] = { "size",     "mode",        "nr_inodes", "hidepid",
                                            "subset",   "newinstance", "ptmxmode",  "gid",
                                            "lowerdir", "upperdir",    "workdir" };

static uint64_t attrs_of(uint8_t b)
{
        uint64_t a = 0;

        for (unsigned i = 0; i < 7; i++)
                if (b & 1u << i)
                        a |= attr_bits[i];
        return a;
}

/* The size syntax, written again: digits, one of kKmMgG, nothing else. */
static int size_of(const char *s, uint64_t *ret)
{
        uint64_t v = 0;
        unsigned shift = 0;

        if (*s < '0' || *s > '9')
                return -1;
        for (; *s >= '0' && *s <= '9'; s++) {
                uint64_t d = (uint64_t)(*s - '0');

                if (v > (UINT64_MAX - d) / 10) /* exact: UINT64_MAX itself fits */
                        return -1;
                v = v * 10 + d;
        }
        if (*s && strchr("kKmMgG", *s))
                shift = strchr("kK", *s) ? 10 : strchr("mM", *s) ? 20 : 30, s++;
        if (*s || v > UINT64_MAX >> shift)
                return -1;
        *ret = v << shift;
        return 0;
}

static int option_index(const char *key)
{
        for (int i = 0; i < (int)(sizeof(option_names) / sizeof(*option_names)); i++)
                if (!strcmp(key, option_names[i]))
                        return i;
        return -1;
}

static void check_accepted(const struct mount_args *m, const struct unotify_handler_options *o)
{
        const struct mount_plan *p = &m->plan;
        uint64_t forced = o->mount_force_attrs, bytes;
        unsigned sizes = 0, redirect = 0, metacopy = 0;

        if (m->flags & (MS_REMOUNT | MS_MOVE | MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE))
                fuzz_fail(__LINE__);
        if (m->asked_attrs & ~(o->mount_allow_attrs | o->mount_force_attrs))
                fuzz_fail(__LINE__);
        if (!p->bind && m->fs_type == UNOTIFY_MOUNT_DEVPTS)
                forced &= ~MOUNT_ATTR_NODEV | m->asked_attrs;
        if ((p->attrs & forced) != forced)
                fuzz_fail(__LINE__);
        if (p->attrs & ~(o->mount_allow_attrs | o->mount_force_attrs | MOUNT_ATTR_NOSUID |
                         MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC))
                fuzz_fail(__LINE__);
        if (!(o->mount_types & 1u << (p->bind ? UNOTIFY_MOUNT_BIND : m->fs_type)))
                fuzz_fail(__LINE__);
        if (p->bind && (p->n_fs || m->n_layers))
                fuzz_fail(__LINE__);
        if (m->n_options > MOUNT_FS_OPTIONS_MAX || p->n_fs > 16 || m->n_layers > MOUNT_LAYERS_MAX)
                fuzz_fail(__LINE__);
        for (unsigned i = 0; i < p->n_fs; i++) {
                int k = option_index(p->fs_keys[i]);

                if (!strcmp(p->fs_keys[i], "redirect_dir") &&
                    !strcmp(p->fs_values[i], "nofollow")) {
                        redirect++;
                        continue;
                }
                if (!strcmp(p->fs_keys[i], "metacopy") && !strcmp(p->fs_values[i], "off")) {
                        metacopy++;
                        continue;
                }
                if (k < 0 || (k != 0 && !(o->mount_options & 1u << k)))
                        fuzz_fail(__LINE__); /* size= may be the handler's own default */
                if (k == 0) {
                        sizes++;
                        if (size_of(p->fs_values[i], &bytes) < 0 ||
                            (o->mount_max_size && bytes > o->mount_max_size))
                                fuzz_fail(__LINE__);
                        if (!(o->mount_options & 1u) && bytes != o->mount_max_size)
                                fuzz_fail(__LINE__);
                }
                if (k == UNOTIFY_MOUNT_OPT_GID && m->gid_index != (int)i)
                        fuzz_fail(__LINE__);
        }
        if (m->fs_type == UNOTIFY_MOUNT_TMPFS && !p->bind && o->mount_max_size && sizes < 1)
                fuzz_fail(__LINE__);
        if (m->fs_type == UNOTIFY_MOUNT_OVERLAY && !p->bind && (redirect != 1 || metacopy != 1))
                fuzz_fail(__LINE__);
        for (unsigned i = 0; i < m->n_layers; i++)
                if (!m->layer_paths[i][0] || strpbrk(m->layer_paths[i], ",:\\"))
                        fuzz_fail(__LINE__);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct unotify_handler_options o = { .refuse_errno = EPERM };
        char buf[4200], *type, *opts;
        const char *why = NULL;
        struct mount_args m;
        uint64_t flags;
        uint32_t max;
        int r;

        if (size < 18 || size - 18 >= sizeof(buf))
                return 0;
        memcpy(&flags, data, 8);
        o.mount_types = (uint32_t)(data[8] | data[9] << 8) & ((1u << _UNOTIFY_MOUNT_TYPE_MAX) - 1);
        o.mount_options =
                (uint32_t)(data[10] | data[11] << 8) & ((1u << _UNOTIFY_MOUNT_OPT_MAX) - 1);
        o.mount_allow_attrs = attrs_of(data[12]);
        o.mount_force_attrs = attrs_of(data[13]);
        memcpy(&max, data + 14, 4);
        o.mount_max_size = (uint64_t)max << 8;
        memcpy(buf, data + 18, size - 18);
        buf[size - 18] = '\0';
        type = buf;
        opts = memchr(buf, '\0', size - 18) ? buf + strlen(buf) + 1 : NULL;
        if (opts && opts > buf + (size - 18))
                opts = NULL;

        mount_args_init(&m, (unsigned long)flags);
        r = mount_check_flags(&m, &o, &why);
        if (r >= 0)
                r = mount_check_type(&m, &o, type, &why);
        if (r >= 0 && !m.plan.bind)
                r = mount_check_data(&m, &o, opts, &why);
        if (r == -EPERM) {
                if (!why)
                        fuzz_fail(__LINE__);
        } else if (r == 0) {
                check_accepted(&m, &o);
        } else if (r != -E2BIG) {
                fuzz_fail(__LINE__);
        }
        return 0;
}
