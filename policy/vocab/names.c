/* The vocabulary's fixed tables: action, handler, arch and capability
 * names; and the ABIs of this machine that policies are compiled for. */
#include <linux/audit.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <string.h>

#include "internal.h"

/* OCI/libseccomp names as they are; the supervisor's own actions carry
 * another prefix so nobody mistakes them for something libseccomp does.
 * SCMP_ACT_KILL is libseccomp's old name of SCMP_ACT_KILL_THREAD. */
static const struct action_name actions[] = {
        { "SCMP_ACT_ALLOW", UNOTIFY_ACTION_CONTINUE, false },
        { "SCMP_ACT_LOG", UNOTIFY_ACTION_CONTINUE, true },
        { "SCMP_ACT_ERRNO", UNOTIFY_ACTION_ERRNO, false },
        { "SCMP_ACT_KILL_PROCESS", UNOTIFY_ACTION_KILL_PROCESS, false },
        { "SCMP_ACT_KILL_THREAD", UNOTIFY_ACTION_KILL_THREAD, false },
        { "SCMP_ACT_KILL", UNOTIFY_ACTION_KILL_THREAD, false },
        { "UNOTIFY_ACT_RETURN", UNOTIFY_ACTION_RETURN, false },
        { "UNOTIFY_ACT_EMULATE", UNOTIFY_ACTION_EMULATE, false },
};

const char *const action_names[] = {
        "SCMP_ACT_ALLOW",       "SCMP_ACT_LOG",  "SCMP_ACT_ERRNO",     "SCMP_ACT_KILL_PROCESS",
        "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL", "UNOTIFY_ACT_RETURN", "UNOTIFY_ACT_EMULATE",
};
const size_t n_action_names = ELEMENTSOF(action_names);

const struct action_name *action_by_name(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(actions); i++)
                if (strcmp(actions[i].name, name) == 0)
                        return &actions[i];
        return NULL;
}

const char *unotify_action_to_string(enum unotify_action a)
{
        switch (a) {
        case UNOTIFY_ACTION_CONTINUE:
                return "SCMP_ACT_ALLOW";
        case UNOTIFY_ACTION_ERRNO:
                return "SCMP_ACT_ERRNO";
        case UNOTIFY_ACTION_KILL_PROCESS:
                return "SCMP_ACT_KILL_PROCESS";
        case UNOTIFY_ACTION_KILL_THREAD:
                return "SCMP_ACT_KILL_THREAD";
        case UNOTIFY_ACTION_RETURN:
                return "UNOTIFY_ACT_RETURN";
        case UNOTIFY_ACTION_EMULATE:
                return "UNOTIFY_ACT_EMULATE";
        }
        return "(invalid action)";
}

const char *unotify_decision_action_name(const struct unotify_decision *d)
{
        if (d->action == UNOTIFY_ACTION_CONTINUE && d->log)
                return "SCMP_ACT_LOG";
        return unotify_action_to_string(d->action);
}

/* Indexed by enum unotify_handler. */
const char *const handler_names[] = { "open",  "mknod", "inject", "sysinfo",
                                      "sched", "mount", "xattr",  "bpf" };
const size_t n_handler_names = ELEMENTSOF(handler_names);

enum unotify_handler handler_by_name(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(handler_names); i++)
                if (strcmp(handler_names[i], name) == 0)
                        return (enum unotify_handler)(i + 1);
        return UNOTIFY_HANDLER_NONE;
}

const char *unotify_handler_name(enum unotify_handler h)
{
        if (h <= UNOTIFY_HANDLER_NONE || (size_t)h > ELEMENTSOF(handler_names))
                return NULL;
        return handler_names[h - 1];
}

/* OCI's names (runtime-spec "architectures") first; the short names of
 * Docker profiles and Go ("amd64") and of libseccomp ("x86_64") are
 * accepted too, so that rules can be pasted. */
static const struct arch_name arches[] = {
        { "SCMP_ARCH_X86", "x86", NULL, SCMP_ARCH_X86 },
        { "SCMP_ARCH_X86_64", "amd64", "x86_64", SCMP_ARCH_X86_64 },
        { "SCMP_ARCH_X32", "x32", NULL, SCMP_ARCH_X32 },
        { "SCMP_ARCH_ARM", "arm", NULL, SCMP_ARCH_ARM },
        { "SCMP_ARCH_AARCH64", "arm64", "aarch64", SCMP_ARCH_AARCH64 },
        { "SCMP_ARCH_MIPS", "mips", NULL, SCMP_ARCH_MIPS },
        { "SCMP_ARCH_MIPS64", "mips64", NULL, SCMP_ARCH_MIPS64 },
        { "SCMP_ARCH_MIPS64N32", "mips64n32", NULL, SCMP_ARCH_MIPS64N32 },
        { "SCMP_ARCH_MIPSEL", "mipsel", NULL, SCMP_ARCH_MIPSEL },
        { "SCMP_ARCH_MIPSEL64", "mipsel64", NULL, SCMP_ARCH_MIPSEL64 },
        { "SCMP_ARCH_MIPSEL64N32", "mipsel64n32", NULL, SCMP_ARCH_MIPSEL64N32 },
        { "SCMP_ARCH_PPC", "ppc", NULL, SCMP_ARCH_PPC },
        { "SCMP_ARCH_PPC64", "ppc64", NULL, SCMP_ARCH_PPC64 },
        { "SCMP_ARCH_PPC64LE", "ppc64le", NULL, SCMP_ARCH_PPC64LE },
        { "SCMP_ARCH_S390", "s390", NULL, SCMP_ARCH_S390 },
        { "SCMP_ARCH_S390X", "s390x", NULL, SCMP_ARCH_S390X },
        { "SCMP_ARCH_PARISC", "parisc", NULL, SCMP_ARCH_PARISC },
        { "SCMP_ARCH_PARISC64", "parisc64", NULL, SCMP_ARCH_PARISC64 },
        { "SCMP_ARCH_RISCV64", "riscv64", NULL, SCMP_ARCH_RISCV64 },
};

int arch_by_name(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(arches); i++)
                if (strcmp(arches[i].oci, name) == 0 || strcmp(arches[i].name, name) == 0 ||
                    (arches[i].alias && strcmp(arches[i].alias, name) == 0))
                        return (int)i;
        return -1;
}

const struct arch_name *arch_at(size_t i)
{
        return i < ELEMENTSOF(arches) ? &arches[i] : NULL;
}

uint32_t arch_bit(uint32_t token)
{
        for (size_t i = 0; i < ELEMENTSOF(arches); i++)
                if (arches[i].token == token)
                        return 1u << i;
        return 0;
}

#define C(x) [x] = #x

/* linux/capability.h as of 6.1; CapEff in /proc/PID/status is a mask of
 * these bits. */
static const char *const cap_names[] = {
        C(CAP_CHOWN),
        C(CAP_DAC_OVERRIDE),
        C(CAP_DAC_READ_SEARCH),
        C(CAP_FOWNER),
        C(CAP_FSETID),
        C(CAP_KILL),
        C(CAP_SETGID),
        C(CAP_SETUID),
        C(CAP_SETPCAP),
        C(CAP_LINUX_IMMUTABLE),
        C(CAP_NET_BIND_SERVICE),
        C(CAP_NET_BROADCAST),
        C(CAP_NET_ADMIN),
        C(CAP_NET_RAW),
        C(CAP_IPC_LOCK),
        C(CAP_IPC_OWNER),
        C(CAP_SYS_MODULE),
        C(CAP_SYS_RAWIO),
        C(CAP_SYS_CHROOT),
        C(CAP_SYS_PTRACE),
        C(CAP_SYS_PACCT),
        C(CAP_SYS_ADMIN),
        C(CAP_SYS_BOOT),
        C(CAP_SYS_NICE),
        C(CAP_SYS_RESOURCE),
        C(CAP_SYS_TIME),
        C(CAP_SYS_TTY_CONFIG),
        C(CAP_MKNOD),
        C(CAP_LEASE),
        C(CAP_AUDIT_WRITE),
        C(CAP_AUDIT_CONTROL),
        C(CAP_SETFCAP),
        C(CAP_MAC_OVERRIDE),
        C(CAP_MAC_ADMIN),
        C(CAP_SYSLOG),
        C(CAP_WAKE_ALARM),
        C(CAP_BLOCK_SUSPEND),
        C(CAP_AUDIT_READ),
        C(CAP_PERFMON),
        C(CAP_BPF),
        C(CAP_CHECKPOINT_RESTORE),
};

int cap_by_name(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(cap_names); i++)
                if (cap_names[i] && strcmp(cap_names[i], name) == 0)
                        return (int)i;
        return -1;
}

int unotify_capability_from_name(const char *name)
{
        int cap = name ? cap_by_name(name) : -1;

        return cap >= 0 ? cap : -EINVAL;
}

const char *cap_name(unsigned cap)
{
        return cap < ELEMENTSOF(cap_names) ? cap_names[cap] : NULL;
}

const char *const *cap_table(size_t *ret_count)
{
        *ret_count = ELEMENTSOF(cap_names);
        return cap_names;
}

size_t arch_oci_names(const char *ret[static ARCH_NAMES_MAX])
{
        _Static_assert(ELEMENTSOF(arches) <= ARCH_NAMES_MAX, "ARCH_NAMES_MAX");
        for (size_t i = 0; i < ELEMENTSOF(arches); i++)
                ret[i] = arches[i].oci;
        return ELEMENTSOF(arches);
}

/* x32 tasks report AUDIT_ARCH_X86_64 and set this bit in the syscall
 * number (arch/x86/include/uapi/asm/unistd.h); libseccomp's x32 numbers
 * include it too. Not in the uapi headers of other architectures. */
#define X32_SYSCALL_BIT 0x40000000u

/* libseccomp's SCMP_ARCH_* tokens are the AUDIT_ARCH_* values the kernel
 * puts in seccomp_data.arch, except x32 (see above). */
size_t policy_arches(struct policy_arch ret[static POLICY_MAX_ARCHES])
{
        uint32_t native = seccomp_arch_native();
        size_t n = 0;

        ret[n++] = (struct policy_arch){ .token = native, .audit_arch = native };
        if (native == SCMP_ARCH_X86_64) {
                ret[n++] = (struct policy_arch){ .token = SCMP_ARCH_X86,
                                                 .audit_arch = AUDIT_ARCH_I386 };
                ret[n++] = (struct policy_arch){ .token = SCMP_ARCH_X32,
                                                 .audit_arch = AUDIT_ARCH_X86_64,
                                                 .nr_base = X32_SYSCALL_BIT };
        } else if (native == SCMP_ARCH_AARCH64) {
                ret[n++] = (struct policy_arch){ .token = SCMP_ARCH_ARM,
                                                 .audit_arch = AUDIT_ARCH_ARM };
        }
        return n;
}

bool in_list(const char *s, const char *const *list, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(s, list[i]) == 0)
                        return true;
        return false;
}

const char *const policy_op_names[COND_MASKED_EQ + 1] = {
        [COND_NE] = "SCMP_CMP_NE",
        [COND_LT] = "SCMP_CMP_LT",
        [COND_LE] = "SCMP_CMP_LE",
        [COND_EQ] = "SCMP_CMP_EQ",
        [COND_GE] = "SCMP_CMP_GE",
        [COND_GT] = "SCMP_CMP_GT",
        [COND_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
};
