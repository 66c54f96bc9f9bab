/* Filter synthesis: the BPF program of a kernel plan (kernel.c) for the
 * native ABI and its compat ABIs: the plan's rules and defaultAction in
 * the kernel, SECCOMP_RET_USER_NOTIF for what the daemon decides. We only
 * export the program; the launcher loads it itself, with seccomp(2) flags
 * (TSYNC_ESRCH, WAIT_KILLABLE_RECV) that libseccomp 2.5.4 does not know. */
#include "unotify/filter.h"

#include <errno.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compile/compile.h"
#include "unotify/macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(scmp_filter_ctx, seccomp_release);

/* The ABIs the filter covers: the native one and the compat ABIs a task
 * can switch to with one instruction (int $0x80, x32 syscall numbers,
 * AArch32 tasks) — a filter that ignored them would be bypassed through
 * them. Returns how many were written to arches[]. */
static size_t filter_arches(uint32_t arches[static 3])
{
        uint32_t native = seccomp_arch_native();
        size_t n = 0;

        arches[n++] = native;
        if (native == SCMP_ARCH_X86_64) {
                arches[n++] = SCMP_ARCH_X86;
                arches[n++] = SCMP_ARCH_X32;
        } else if (native == SCMP_ARCH_AARCH64)
                arches[n++] = SCMP_ARCH_ARM;
        return n;
}

static int add_compat_arches(scmp_filter_ctx ctx)
{
        uint32_t arches[3];
        size_t n = filter_arches(arches);

        for (size_t i = 1; i < n; i++) {
                int r = seccomp_arch_add(ctx, arches[i]);

                if (r < 0 && r != -EEXIST)
                        return r;
        }
        return 0;
}

/* Is the name a real syscall on at least one ABI of the filter? libseccomp
 * returns negative pseudo numbers (__PNR_*) for names that exist only on
 * other architectures. */
static bool resolves_somewhere(const char *name)
{
        uint32_t arches[3];
        size_t n = filter_arches(arches);

        for (size_t i = 0; i < n; i++) {
                if (seccomp_syscall_resolve_name_arch(arches[i], name) >= 0)
                        return true;
                /* libseccomp multiplexes these itself ("send" exists only
                 * as socketcall(SYS_SEND) on x86). */
                if (arches[i] == SCMP_ARCH_X86 && mux_lookup(name))
                        return true;
        }
        return false;
}

/* libseccomp matches ipc's call number with the whole of argument 0, but
 * the kernel takes only its low 16 bits (the rest is a version): ipc(
 * SHMGET | 1 << 16, ...) would run unnotified. Notify every ipc call whose
 * low bits name it as well. The pseudo number of "ipc" makes libseccomp
 * add the rule on x86 only. */
static int add_ipc_versions(scmp_filter_ctx ctx, uint32_t action, const char *name)
{
        const struct mux_entry *e = mux_lookup(name);
        int nr;

        if (!e || e->via != MUX_IPC)
                return 0;
        nr = seccomp_syscall_resolve_name("ipc");
        if (nr == __NR_SCMP_ERROR)
                return 0;
        return seccomp_rule_add(ctx, action, nr, 1, SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffff, e->call));
}

/* One NOTIFY rule for the name, on every ABI of ctx where it exists.
 * seccomp_rule_add() takes the native (or pseudo) number and translates it
 * by name for each ABI, skipping those that lack it and using socketcall/
 * ipc multiplexing on x86 where needed. */
static int add_rule(scmp_filter_ctx ctx, const char *name)
{
        int nr, r;

        if (!name || !*name || !resolves_somewhere(name))
                return -EINVAL;
        nr = seccomp_syscall_resolve_name(name);
        if (nr == __NR_SCMP_ERROR)
                return -EINVAL;
        /* See filter.h: the launcher's helper thread must be able to end
         * with exit(MAGIC) once its own filter notifies exit. */
        if (strcmp(name, "exit") == 0)
                return seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 1,
                                        SCMP_A0(SCMP_CMP_NE, UNOTIFY_LAUNCH_EXIT_MAGIC));
        r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 0);
        if (r < 0)
                return r;
        return add_ipc_versions(ctx, SCMP_ACT_NOTIFY, name);
}

/* Export through a memfd: libseccomp 2.5 can only write BPF to an fd. */
static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *ret)
{
        _cleanup_(closep) int fd = -1;
        _cleanup_(freep) struct sock_filter *insns = NULL;
        struct stat st;
        size_t size;
        ssize_t n;
        int r;

        fd = memfd_create("unotify-filter", MFD_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        size = (size_t)st.st_size;
        if (size == 0 || size % sizeof(struct sock_filter) != 0)
                return -EIO;
        /* The kernel takes at most BPF_MAXINSNS; sock_fprog.len is 16 bits. */
        if (size / sizeof(struct sock_filter) > BPF_MAXINSNS)
                return -E2BIG;
        insns = malloc(size);
        if (!insns)
                return -ENOMEM;
        n = pread(fd, insns, size, 0);
        if (n < 0)
                return negative_errno();
        if ((size_t)n != size)
                return -EIO;
        ret->len = (unsigned short)(size / sizeof(struct sock_filter));
        ret->filter = TAKE_PTR(insns);
        return 0;
}

/* libseccomp's action for a decision the kernel makes. */
static uint32_t scmp_action(const struct unotify_decision *d)
{
        switch (d->action) {
        case UNOTIFY_ACTION_CONTINUE:
                return d->log ? SCMP_ACT_LOG : SCMP_ACT_ALLOW;
        case UNOTIFY_ACTION_ERRNO:
                return SCMP_ACT_ERRNO((uint32_t)d->error);
        case UNOTIFY_ACTION_KILL_PROCESS:
                return SCMP_ACT_KILL_PROCESS;
        case UNOTIFY_ACTION_KILL_THREAD:
                return SCMP_ACT_KILL_THREAD;
        case UNOTIFY_ACTION_RETURN:
        case UNOTIFY_ACTION_EMULATE:
                break;
        }
        return SCMP_ACT_NOTIFY; /* not a kernel decision: kernel.c never plans it */
}

static int add_kernel_rule(scmp_filter_ctx ctx, int nr, const char *name,
                           const struct unotify_kernel_rule *k)
{
        struct scmp_arg_cmp cmps[6];
        uint32_t action = scmp_action(&k->decision);
        int r;

        for (unsigned i = 0; i < k->n_conds; i++)
                cmps[i] = (struct scmp_arg_cmp){ .arg = k->conds[i].index,
                                                 .op = (enum scmp_compare)k->conds[i].op,
                                                 .datum_a = k->conds[i].value,
                                                 .datum_b = k->conds[i].value_two };
        r = seccomp_rule_add_array(ctx, action, nr, k->n_conds, cmps);
        if (r < 0 || k->n_conds)
                return r;
        /* kernel.c plans multiplexed names without conditions only. */
        return add_ipc_versions(ctx, action, name);
}

static bool plain_allow(const struct unotify_decision *d)
{
        return d->action == UNOTIFY_ACTION_CONTINUE && !d->log;
}

/* The launcher's helper thread ends with exit(MAGIC) (filter.h): an
 * unconditional rule on exit that does not let it through gets the
 * condition "not MAGIC" (kernel.c notifies exit when its rules have
 * conditions), and add_launcher_exit() lets MAGIC through. */
static struct unotify_kernel_rule launcher_exit_rule(const struct unotify_kernel_rule *k)
{
        struct unotify_kernel_rule x = *k;

        if (x.n_conds == 0 && !plain_allow(&x.decision))
                x.conds[x.n_conds++] = (struct unotify_kernel_cond){
                        .index = 0, .op = SCMP_CMP_NE, .value = UNOTIFY_LAUNCH_EXIT_MAGIC
                };
        return x;
}

static int add_entry(scmp_filter_ctx ctx, const struct unotify_kernel_entry *e, bool launcher,
                     bool notify_default)
{
        bool exit_rule = launcher && strcmp(e->name, "exit") == 0;
        int nr, r = 0;

        if (e->kind == UNOTIFY_KERNEL_NOTIFY && notify_default)
                return 0; /* the default: libseccomp refuses a rule that repeats it */
        if (e->kind == UNOTIFY_KERNEL_NOTIFY)
                return add_rule(ctx, e->name);
        if (e->kind == UNOTIFY_KERNEL_DEFAULT || !resolves_somewhere(e->name))
                return 0;
        nr = seccomp_syscall_resolve_name(e->name);
        if (nr == __NR_SCMP_ERROR)
                return -EINVAL;
        for (size_t i = 0; i < e->n_rules && r >= 0; i++) {
                struct unotify_kernel_rule k =
                        exit_rule ? launcher_exit_rule(&e->rules[i]) : e->rules[i];

                r = add_kernel_rule(ctx, nr, e->name, &k);
        }
        return r;
}

/* Let exit(MAGIC) through where the plan does not already. */
static int add_launcher_exit(scmp_filter_ctx ctx, const struct unotify_kernel_plan *plan)
{
        const struct unotify_kernel_entry *e = unotify_kernel_plan_find(plan, "exit");

        /* add_rule() notifies exit but MAGIC, which defaultAction decides. */
        if (e && e->kind == UNOTIFY_KERNEL_NOTIFY && !plan->notify_default &&
            plain_allow(&plan->default_decision))
                return 0;
        if (e && e->kind == UNOTIFY_KERNEL_RULES && plain_allow(&e->rules[0].decision))
                return 0;
        if ((!e || e->kind == UNOTIFY_KERNEL_DEFAULT) && plain_allow(&plan->default_decision) &&
            !plan->notify_default)
                return 0;
        return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(exit), 1,
                                SCMP_A0(SCMP_CMP_EQ, UNOTIFY_LAUNCH_EXIT_MAGIC));
}

static int new_ctx(uint32_t default_action, scmp_filter_ctx *ret)
{
        scmp_filter_ctx ctx = seccomp_init(default_action);
        int r;

        if (!ctx)
                return -ENOMEM;
        r = add_compat_arches(ctx);
        /* A binary tree instead of a linear list of compares: every syscall
         * the target makes runs this program. */
        if (r >= 0)
                r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
        if (r < 0) {
                seccomp_release(ctx);
                return r;
        }
        *ret = ctx;
        return 0;
}

int unotify_filter_build_plan(const struct unotify_kernel_plan *plan, bool launcher,
                              struct sock_fprog *ret)
{
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
        int r;

        if (!plan || !ret)
                return -EINVAL;
        /* A policy that learns: what no kernel rule decides is notified. */
        r = new_ctx(plan->notify_default ? SCMP_ACT_NOTIFY : scmp_action(&plan->default_decision),
                    &ctx);
        if (r < 0)
                return r;
        for (size_t i = 0; i < plan->n_entries; i++) {
                r = add_entry(ctx, &plan->entries[i], launcher, plan->notify_default);
                if (r < 0)
                        return r;
        }
        if (launcher) {
                r = add_launcher_exit(ctx, plan);
                if (r < 0)
                        return r;
        }
        return export_bpf(ctx, ret);
}

int unotify_policy_launcher_filter(struct unotify_policy *p, const struct sock_fprog **ret)
{
        int r;

        if (!p || !ret)
                return -EINVAL;
        if (!p->launcher_filter.filter) {
                r = unotify_filter_build_plan(p->plan, true, &p->launcher_filter);
                if (r < 0)
                        return r;
        }
        *ret = &p->launcher_filter;
        return 0;
}

int unotify_filter_build(const char *const *names, size_t count, struct sock_fprog *ret)
{
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
        int r;

        if (!ret || (count > 0 && !names))
                return -EINVAL;
        r = new_ctx(SCMP_ACT_ALLOW, &ctx);
        if (r < 0)
                return r;
        for (size_t i = 0; i < count; i++) {
                r = add_rule(ctx, names[i]);
                if (r < 0)
                        return r;
        }
        return export_bpf(ctx, ret);
}

void unotify_filter_free(struct sock_fprog *prog)
{
        if (!prog)
                return;
        free(prog->filter);
        prog->filter = NULL;
        prog->len = 0;
}

void unotify_filter_assume_user_notif(void)
{
        if (seccomp_api_get() < 6)
                (void)seccomp_api_set(6);
}
