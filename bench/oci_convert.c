/* Docker's profile -> an OCI linux.seccomp section, as the Docker engine
 * converts it for the host it runs on: archMap's entry for the native
 * architecture becomes "architectures", and each rule is kept or dropped by
 * its includes/excludes (arches by Docker's short names, caps by name
 * against a capability set, minKernel "MAJOR.MINOR" against uname). */
#include <errno.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "oci_filter.h"
#include "unotify/macro.h"

#define CAP(name) [CAP_##name] = "CAP_" #name
static const char *const cap_names[] = {
        CAP(CHOWN),
        CAP(DAC_OVERRIDE),
        CAP(DAC_READ_SEARCH),
        CAP(FOWNER),
        CAP(FSETID),
        CAP(KILL),
        CAP(SETGID),
        CAP(SETUID),
        CAP(SETPCAP),
        CAP(LINUX_IMMUTABLE),
        CAP(NET_BIND_SERVICE),
        CAP(NET_BROADCAST),
        CAP(NET_ADMIN),
        CAP(NET_RAW),
        CAP(IPC_LOCK),
        CAP(IPC_OWNER),
        CAP(SYS_MODULE),
        CAP(SYS_RAWIO),
        CAP(SYS_CHROOT),
        CAP(SYS_PTRACE),
        CAP(SYS_PACCT),
        CAP(SYS_ADMIN),
        CAP(SYS_BOOT),
        CAP(SYS_NICE),
        CAP(SYS_RESOURCE),
        CAP(SYS_TIME),
        CAP(SYS_TTY_CONFIG),
        CAP(MKNOD),
        CAP(LEASE),
        CAP(AUDIT_WRITE),
        CAP(AUDIT_CONTROL),
        CAP(SETFCAP),
        CAP(MAC_OVERRIDE),
        CAP(MAC_ADMIN),
        CAP(SYSLOG),
        CAP(WAKE_ALARM),
        CAP(BLOCK_SUSPEND),
        CAP(AUDIT_READ),
        CAP(PERFMON),
        CAP(BPF),
        CAP(CHECKPOINT_RESTORE),
};
#undef CAP

/* The engine's names for the architecture it was built for (Go's GOARCH
 * through its goToNative/nativeToSeccomp maps). */
static const struct native {
        uint32_t token;
        const char *docker, *oci;
} natives[] = {
        { SCMP_ARCH_X86_64, "amd64", "SCMP_ARCH_X86_64" },
        { SCMP_ARCH_X86, "x86", "SCMP_ARCH_X86" },
        { SCMP_ARCH_AARCH64, "arm64", "SCMP_ARCH_AARCH64" },
        { SCMP_ARCH_ARM, "arm", "SCMP_ARCH_ARM" },
        { SCMP_ARCH_PPC64LE, "ppc64le", "SCMP_ARCH_PPC64LE" },
        { SCMP_ARCH_PPC64, "ppc64", "SCMP_ARCH_PPC64" },
        { SCMP_ARCH_S390X, "s390x", "SCMP_ARCH_S390X" },
        { SCMP_ARCH_S390, "s390", "SCMP_ARCH_S390" },
};

struct host {
        const struct native *arch;
        uint64_t caps;
        unsigned kernel, major;
};

static const char *const runc_default_caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL",
                                                 "CAP_NET_BIND_SERVICE" };

static int cap_number(const char *name)
{
        for (size_t i = 0; name && i < ELEMENTSOF(cap_names); i++)
                if (cap_names[i] && !strcmp(cap_names[i], name))
                        return (int)i;
        return -1;
}

static int own_effective(uint64_t *ret)
{
        _cleanup_(fclosep) FILE *f = fopen("/proc/self/status", "re");
        char line[256];
        unsigned long long mask;

        if (!f)
                return negative_errno();
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "CapEff: %llx", &mask) == 1) {
                        *ret = mask;
                        return 0;
                }
        return -ENODATA;
}

int oci_caps_mask(enum oci_caps which, uint64_t *ret)
{
        if (which == OCI_CAPS_OWN_EFFECTIVE)
                return own_effective(ret);
        *ret = 0;
        for (size_t i = 0; i < ELEMENTSOF(runc_default_caps); i++)
                *ret |= UINT64_C(1) << cap_number(runc_default_caps[i]);
        return 0;
}

/* A capability the set has; a name we do not know is not in it. */
static bool has_cap(uint64_t caps, const char *name)
{
        int n = cap_number(name);

        return n >= 0 && (caps >> n & 1);
}

static bool in_array(const json_t *arr, const char *s)
{
        size_t i;
        const json_t *v;

        json_array_foreach(arr, i, v)
                if (json_is_string(v) && !strcmp(json_string_value(v), s))
                        return true;
        return false;
}

/* 1 if the running kernel is "MAJOR.MINOR" or newer, 0 if older. */
static int kernel_at_least(const struct host *h, const char *version)
{
        unsigned k, m;

        if (sscanf(version, "%u.%u", &k, &m) != 2)
                return -EINVAL;
        return h->kernel > k || (h->kernel == k && h->major >= m);
}

/* 1 if an includes (or excludes) block keeps the rule on this host, 0 if
 * it drops it. */
static int filter_keeps(const json_t *f, bool includes, const struct host *h)
{
        const json_t *arches = json_object_get(f, "arches"), *caps = json_object_get(f, "caps");
        const json_t *min = json_object_get(f, "minKernel"), *c;
        size_t i;

        if (json_array_size(arches) && in_array(arches, h->arch->docker) != includes)
                return 0;
        json_array_foreach(caps, i, c)
                if (has_cap(h->caps, json_string_value(c)) != includes)
                        return 0;
        if (json_is_string(min) && *json_string_value(min)) {
                int r = kernel_at_least(h, json_string_value(min));

                if (r < 0 || (r == 1) != includes)
                        return r < 0 ? r : 0;
        }
        return 1;
}

static int convert_rule(const json_t *rule, const struct host *h, json_t *syscalls)
{
        const json_t *name = json_object_get(rule, "name"), *names = json_object_get(rule, "names");
        const json_t *args = json_object_get(rule, "args"),
                     *errno_ret = json_object_get(rule, "errnoRet");
        json_t *o;
        int r;

        r = filter_keeps(json_object_get(rule, "excludes"), false, h);
        if (r > 0)
                r = filter_keeps(json_object_get(rule, "includes"), true, h);
        if (r <= 0)
                return r;
        if (json_is_string(name) && json_array_size(names))
                return -EINVAL; /* the engine refuses both */
        o = json_pack("{s:o, s:O}", "names",
                      json_is_string(name) ? json_pack("[O]", name) : json_deep_copy(names),
                      "action", json_object_get(rule, "action"));
        if (!o)
                return -EINVAL;
        if (errno_ret)
                json_object_set(o, "errnoRet", (json_t *)errno_ret);
        if (json_array_size(args))
                json_object_set_new(o, "args", json_deep_copy(args));
        return json_array_append_new(syscalls, o) < 0 ? -ENOMEM : 0;
}

/* "architectures" as given, or archMap's entry for the native one with its
 * sub-architectures; the engine refuses both. */
static int architectures(const json_t *profile, const struct host *h, json_t *out)
{
        const json_t *given = json_object_get(profile, "architectures");
        const json_t *map = json_object_get(profile, "archMap"), *e, *sub;
        size_t i, j;

        if (json_array_size(given) && json_array_size(map))
                return -EINVAL;
        if (json_array_size(given))
                return json_array_extend(out, (json_t *)given) < 0 ? -ENOMEM : 0;
        json_array_foreach(map, i, e) {
                if (!json_is_string(json_object_get(e, "architecture")) ||
                    strcmp(json_string_value(json_object_get(e, "architecture")), h->arch->oci))
                        continue;
                json_array_append_new(out, json_string(h->arch->oci));
                json_array_foreach(json_object_get(e, "subArchitectures"), j, sub)
                        json_array_append(out, (json_t *)sub);
                break;
        }
        return 0;
}

static int host_of(uint64_t caps, struct host *ret)
{
        struct utsname u;

        *ret = (struct host){ .caps = caps };
        for (size_t i = 0; i < ELEMENTSOF(natives); i++)
                if (natives[i].token == seccomp_arch_native())
                        ret->arch = &natives[i];
        if (!ret->arch)
                return -EOPNOTSUPP;
        if (uname(&u) < 0)
                return negative_errno();
        return sscanf(u.release, "%u.%u", &ret->kernel, &ret->major) == 2 ? 0 : -EINVAL;
}

int oci_from_docker(const json_t *profile, uint64_t caps, json_t **ret)
{
        _cleanup_(json_decrefp) json_t *o = NULL;
        json_t *archs = json_array(), *syscalls = json_array();
        const json_t *rule, *def_errno = json_object_get(profile, "defaultErrnoRet");
        struct host h;
        size_t i;
        int r = host_of(caps, &h);

        o = json_pack("{s:O?, s:o, s:o}", "defaultAction",
                      json_object_get(profile, "defaultAction"), "architectures", archs, "syscalls",
                      syscalls);
        if (r < 0 || !o || !json_is_string(json_object_get(o, "defaultAction")))
                return r < 0 ? r : -EINVAL;
        if (def_errno)
                json_object_set(o, "defaultErrnoRet", (json_t *)def_errno);
        r = architectures(profile, &h, archs);
        json_array_foreach(json_object_get(profile, "syscalls"), i, rule)
                if (r >= 0)
                        r = convert_rule(rule, &h, syscalls);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

int oci_rule_count(const json_t *section)
{
        return (int)json_array_size(json_object_get(section, "syscalls"));
}
