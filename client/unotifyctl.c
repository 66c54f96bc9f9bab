/* unotifyctl: the admin's tool.
 *
 *   unotifyctl test [OPTIONS] POLICY SYSCALL [ARG...]
 *   unotifyctl show [--policy-dir DIR] POLICY
 *   unotifyctl status|list|stats|reload|upgrade [--socket PATH] [--json]
 *   unotifyctl export-oci [OPTIONS] POLICY
 *
 * "test" is a dry run: it loads the policy directory as the daemon does and
 * decides one made-up notification with the library's own matching code
 * (unotify_policy_decide_target), so what it prints is what the daemon
 * would answer. No daemon is needed. The verbs that talk to a running
 * daemon (status, list, stats, reload) are in control_client.c. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <linux/audit.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sysexits.h>

#include "control_client.h"
#include "ctl_msg.h"
#include "ctl_policy.h"
#include "symbols.h"
#include "export_oci.h"
#include "learn.h"
#include "unotify/filter.h"
#include "unotify/macro.h"
#include "unotify/policy.h"

#define MAX_ARGS 6
/* Where a path argument "points": recognisable in --json output, never a
 * real address of ours. */
#define FAKE_POINTER(i) (UINT64_C(0x7ffd00000000) + (uint64_t)(i)*0x1000)

struct test {
        const char *dir;
        const char *cwd;
        const char *kernel;
        const char *arch_name;
        uint32_t token, audit_arch;
        uint64_t caps;
        bool json, strict;
        const char *policy;
        const char *syscall;
        int nr;
        uint64_t args[MAX_ARGS];
        const char *paths[MAX_ARGS]; /* the quoted arguments */
        int n_args;
};

static const char WHO[] = "unotifyctl";

static void print_help(void)
{
        printf("Usage: unotifyctl COMMAND [OPTIONS] ...\n"
               "\n"
               "Commands:\n"
               "  test [OPTIONS] POLICY SYSCALL [ARG...]\n"
               "        Decide one call as the daemon would, without a daemon: print which\n"
               "        rule matches (its JSON pointer) and the answer.\n"
               "  show [--policy-dir DIR] POLICY\n"
               "        Print the effective policy (includes expanded, numbers per arch).\n"
               "  status [--socket PATH] [--json]\n"
               "        The running daemon: version, sockets, policies, listeners.\n"
               "  list [--socket PATH] [--json]\n"
               "        Each listener: id, container, pid, policy, annotations, counts.\n"
               "  stats [--socket PATH] [--json | --prometheus]\n"
               "        The daemon's counters; --prometheus: its full Prometheus exposition,\n"
               "        the same text as its metrics endpoint (GET /metrics).\n"
               "  reload [--socket PATH] [--json]\n"
               "        Reload the policies (like SIGHUP); on errors the old ones stay.\n"
               "  upgrade [--socket PATH] [--json]\n"
               "        Re-exec the daemon's binary (like SIGUSR2), keeping every listener.\n"
               "  export-oci [OPTIONS] POLICY\n"
               "        Print the linux.seccomp section of an OCI config.json for runc or\n"
               "        crun (unotifyctl export-oci --help).\n"
               "  learn [OPTIONS] --out FILE -- CMD [ARG...]\n"
               "        Record what CMD does through the daemon and write its least-privilege\n"
               "        profile; learn list|save|drop|export|merge|diff (unotifyctl learn "
               "--help).\n"
               "\n"
               "POLICY is a policy name in the policy directory, or the path of one of\n"
               "its files (then its directory is loaded). ARGs are numbers (42, 0x2a,\n"
               "052, -100), symbols joined by | (O_WRONLY|O_CREAT, AT_FDCWD, every AF_*,\n"
               "SOCK_*, CLONE_NEWUSER|SIGCHLD, PER_LINUX32, S_IFCHR|0600, PROT_*, ...),\n"
               "or paths for pointer arguments: a quoted string '\"/etc/shadow\"' or\n"
               "anything starting with /.\n"
               "\n"
               "Options of test:\n"
               "  -p, --policy-dir DIR  the policies (default %s)\n"
               "  -a, --arch ARCH       x86_64, x86 or x32 (default: this machine's)\n"
               "  -c, --caps CAPS       the target's effective capabilities: CAP_X,CAP_Y\n"
               "  -k, --kernel RELEASE  the kernel release for minKernel (default: uname -r)\n"
               "  -C, --cwd DIR         the target's cwd for relative paths (default /)\n"
               "  -s, --strict          policy warnings are errors\n"
               "  -j, --json            machine-readable output\n"
               "  -h, --help            show this help\n"
               "  -V, --version         show the version\n"
               "\n"
               "The daemon verbs talk to the control socket (default %s).\n"
               "\n"
               "Exit status: 0 done; 64 usage error; 65 unknown syscall; 69 the daemon\n"
               "cannot be reached or refused; 76 malformed reply; 78 the policies have\n"
               "errors or POLICY is not there.\n",
               CTL_DEFAULT_POLICY_DIR, UNOTIFYCTL_DEFAULT_CONTROL_SOCKET);
}

/* ---- arguments -------------------------------------------------------- */

/* A quoted string, or anything that starts with '/', is a path. */
static const char *as_path(const char *s)
{
        size_t n = strlen(s);

        if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
                return strndup(s + 1, n - 2);
        return s[0] == '/' ? strdup(s) : NULL;
}

static int parse_call_args(struct test *t, char **argv, int argc)
{
        if (argc > MAX_ARGS)
                return ctl_fail(WHO, EX_USAGE, "at most %d syscall arguments, got %d", MAX_ARGS,
                                argc);
        for (int i = 0; i < argc; i++) {
                t->paths[i] = as_path(argv[i]);
                if (t->paths[i]) {
                        t->args[i] = FAKE_POINTER(i);
                        continue;
                }
                if (symbol_parse_value(argv[i], &t->args[i]) < 0)
                        return ctl_fail(WHO, EX_USAGE,
                                        "argument %d: \"%s\" is not a number, a known symbol or a "
                                        "path",
                                        i, argv[i]);
        }
        t->n_args = argc;
        return 0;
}

static int parse_arch(struct test *t, const char *name)
{
        static const struct {
                const char *name;
                uint32_t token, audit;
        } arches[] = {
                { "x86_64", SCMP_ARCH_X86_64, AUDIT_ARCH_X86_64 },
                { "x86", SCMP_ARCH_X86, AUDIT_ARCH_I386 },
                { "x32", SCMP_ARCH_X32, AUDIT_ARCH_X86_64 },
        };

        for (size_t i = 0; i < ELEMENTSOF(arches); i++)
                if (strcmp(arches[i].name, name) == 0) {
                        t->arch_name = arches[i].name;
                        t->token = arches[i].token;
                        t->audit_arch = arches[i].audit;
                        return 0;
                }
        return ctl_fail(WHO, EX_USAGE, "unknown architecture \"%s\" (expected x86_64, x86 or x32)",
                        name);
}

/* libseccomp has no number by name for x86's multiplexed calls (socket
 * is 359 there), but knows their names by number. */
static int resolve_syscall(const struct test *t, const char *name)
{
        uint32_t base = t->token == SCMP_ARCH_X32 ? 0x40000000u : 0;
        int nr = seccomp_syscall_resolve_name_arch(t->token, name);

        if (nr >= 0)
                return nr;
        for (uint32_t n = 0; n < 1024; n++) {
                _cleanup_(freep) char *s =
                        seccomp_syscall_resolve_num_arch(t->token, (int)(base + n));

                if (s && strcmp(s, name) == 0)
                        return (int)(base + n);
        }
        return -ENOENT;
}

static int parse_test_options(int argc, char **argv, struct test *t)
{
        static const struct option opts[] = {
                { "policy-dir", required_argument, NULL, 'p' },
                { "arch", required_argument, NULL, 'a' },
                { "caps", required_argument, NULL, 'c' },
                { "kernel", required_argument, NULL, 'k' },
                { "cwd", required_argument, NULL, 'C' },
                { "strict", no_argument, NULL, 's' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c, r;

        while ((c = getopt_long(argc, argv, "+p:a:c:k:C:sjh", opts, NULL)) >= 0) {
                r = 0;
                switch (c) {
                case 'p':
                        t->dir = optarg;
                        break;
                case 'a':
                        r = parse_arch(t, optarg);
                        break;
                case 'c':
                        r = ctl_parse_caps(WHO, "", optarg, &t->caps);
                        break;
                case 'k':
                        t->kernel = optarg;
                        break;
                case 'C':
                        t->cwd = optarg;
                        break;
                case 's':
                        t->strict = true;
                        break;
                case 'j':
                        t->json = true;
                        break;
                case 'h':
                        print_help();
                        return 1;
                default:
                        return EX_USAGE;
                }
                if (r)
                        return r;
        }
        return 0;
}

/* ---- the dry run ------------------------------------------------------ */

/* What the daemon's reader does, from the command line: absolute paths as
 * they are, relative ones against --cwd unless a dirfd other than AT_FDCWD
 * is given (we have no fds to look at: EBADF). */
static int read_path(void *userdata, unsigned index, int dirfd, char *buf, size_t size)
{
        const struct test *t = userdata;
        const char *path = index < MAX_ARGS ? t->paths[index] : NULL;
        int n;

        if (!path)
                return -EFAULT;
        if (path[0] == '/')
                n = snprintf(buf, size, "%s", path);
        else if (dirfd >= 0 && (int)t->args[dirfd] != AT_FDCWD)
                return -EBADF;
        else
                n = snprintf(buf, size, "%s/%s", t->cwd, path);
        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : n;
}

/* "/syscalls/2", "base:/syscalls/0" for an included rule, "/defaultAction". */
static void rule_pointer(const struct unotify_policy *p, int rule, char *buf, size_t size,
                         const char **ret_from)
{
        const char *from = NULL;
        unsigned index = 0;

        *ret_from = unotify_policy_name(p);
        if (unotify_policy_rule_source(p, rule, &from, NULL, &index) < 0) {
                snprintf(buf, size, "/defaultAction");
                return;
        }
        *ret_from = from;
        if (strcmp(from, unotify_policy_name(p)) == 0)
                snprintf(buf, size, "/syscalls/%u", index);
        else
                snprintf(buf, size, "%s:/syscalls/%u", from, index);
}

static void answer_text(const struct unotify_decision *d, char *buf, size_t size)
{
        const char *action = unotify_decision_action_name(d);
        const char *name = unotify_errno_name(d->error);

        switch (d->action) {
        case UNOTIFY_ACTION_ERRNO:
                if (name)
                        snprintf(buf, size, "%s %s", action, name);
                else
                        snprintf(buf, size, "%s %d", action, d->error);
                break;
        case UNOTIFY_ACTION_RETURN:
                snprintf(buf, size, "%s %" PRId64, action, d->val);
                break;
        case UNOTIFY_ACTION_EMULATE:
                snprintf(buf, size, "%s %s", action, unotify_handler_name(d->handler));
                break;
        case UNOTIFY_ACTION_CONTINUE:
        case UNOTIFY_ACTION_KILL_PROCESS:
        case UNOTIFY_ACTION_KILL_THREAD:
                snprintf(buf, size, "%s", action);
                break;
        }
}

static json_t *json_args(const struct test *t)
{
        json_t *arr = json_array();

        for (int i = 0; arr && i < t->n_args; i++)
                json_array_append_new(arr, t->paths[i] ? json_string(t->paths[i])
                                                       : json_integer((json_int_t)t->args[i]));
        return arr;
}

static int print_json(const struct test *t, const struct unotify_policy *p, bool sent,
                      const struct unotify_decision *d, int read_error)
{
        _cleanup_(json_decrefp) json_t *o = NULL;
        const char *from = NULL;
        char pointer[128], answer[128];

        rule_pointer(p, d->rule, pointer, sizeof(pointer), &from);
        answer_text(d, answer, sizeof(answer));
        o = json_pack("{s:s, s:s, s:s, s:i, s:o, s:b}", "policy", unotify_policy_name(p), "arch",
                      t->arch_name, "syscall", t->syscall, "nr", t->nr, "args", json_args(t),
                      "notified", sent);
        if (!o)
                return EX_OSERR;
        json_object_set_new(o, "decidedBy", json_string(sent ? "daemon" : "kernel"));
        {
                json_object_set_new(o, "rule", d->rule >= 0 ? json_integer(d->rule) : json_null());
                json_object_set_new(o, "policyOfRule", json_string(from));
                json_object_set_new(o, "pointer", json_string(strchr(pointer, '/')));
                json_object_set_new(o, "action", json_string(unotify_decision_action_name(d)));
                json_object_set_new(o, "answer", json_string(answer));
                if (d->action == UNOTIFY_ACTION_ERRNO)
                        json_object_set_new(o, "errnoRet", json_integer(d->error));
                if (read_error)
                        json_object_set_new(o, "readError", json_string(strerror(-read_error)));
        }
        if (json_dumpf(o, stdout, JSON_INDENT(2)) < 0)
                return EX_IOERR;
        putchar('\n');
        return 0;
}

static int print_result(const struct test *t, const struct unotify_policy *p, bool sent,
                        const struct unotify_decision *d, int read_error)
{
        char pointer[128], answer[128];
        const char *from;

        if (t->json)
                return print_json(t, p, sent, d, read_error);
        rule_pointer(p, d->rule, pointer, sizeof(pointer), &from);
        answer_text(d, answer, sizeof(answer));
        /* The policy's own filter decides it: the same answer, from BPF. */
        if (!sent)
                printf("kernel: %s -> %s\n", pointer, answer);
        else if (read_error)
                printf("%s -> %s (a path could not be read: %s)\n", pointer, answer,
                       strerror(-read_error));
        else
                printf("%s -> %s\n", pointer, answer);
        return 0;
}

static int run_test(struct test *t)
{
        _cleanup_(unotify_policy_set_freep) struct unotify_policy_set *set = NULL;
        struct unotify_load_options o = { .kernel_release = t->kernel, .strict = t->strict };
        struct unotify_target_view view = { .caps_effective = t->caps,
                                            .read_path = read_path,
                                            .userdata = t };
        struct seccomp_data data = { .arch = t->audit_arch };
        struct unotify_decision d = {};
        struct unotify_policy *p = NULL;
        bool sent;
        int r;

        r = ctl_load_policy(WHO, t->dir, t->policy, &o, &set, &p);
        if (r)
                return r;
        data.nr = t->nr;
        memcpy(data.args, t->args, sizeof(data.args));
        sent = unotify_policy_notifies(p, &data);
        r = unotify_policy_decide_target(p, &data, &view, &d);
        return print_result(t, p, sent, &d, r);
}

static int cmd_test(int argc, char **argv)
{
        static struct utsname uts;
        struct test t = { .dir = CTL_DEFAULT_POLICY_DIR, .cwd = "/" };
        int r;

        /* The native ABI: libseccomp's tokens are its AUDIT_ARCH_* value. */
        t.arch_name = "native";
        t.token = t.audit_arch = seccomp_arch_native();
        if (t.token == SCMP_ARCH_X86_64)
                t.arch_name = "x86_64";
        if (uname(&uts) == 0)
                t.kernel = uts.release;
        r = parse_test_options(argc, argv, &t);
        if (r)
                return r == 1 ? 0 : r;
        if (argc - optind < 2)
                return ctl_fail(WHO, EX_USAGE, "test needs POLICY and SYSCALL");
        t.policy = argv[optind];
        t.syscall = argv[optind + 1];
        r = parse_call_args(&t, argv + optind + 2, argc - optind - 2);
        if (r)
                return r;
        t.nr = resolve_syscall(&t, t.syscall);
        if (t.nr < 0)
                return ctl_fail(WHO, EX_DATAERR, "unknown syscall \"%s\" on %s", t.syscall,
                                t.arch_name);
        r = run_test(&t);
        for (int i = 0; i < MAX_ARGS; i++)
                free((char *)t.paths[i]);
        return r;
}

static int cmd_show(int argc, char **argv)
{
        _cleanup_(unotify_policy_set_freep) struct unotify_policy_set *set = NULL;
        struct test t = { .dir = CTL_DEFAULT_POLICY_DIR };
        struct unotify_policy *p = NULL;
        _cleanup_(freep) char *text = NULL;
        int r;

        r = parse_test_options(argc, argv, &t);
        if (r)
                return r == 1 ? 0 : r;
        if (argc - optind != 1)
                return ctl_fail(WHO, EX_USAGE, "show needs POLICY");
        r = ctl_load_policy(
                WHO, t.dir, argv[optind],
                &(struct unotify_load_options){ .kernel_release = t.kernel, .strict = t.strict },
                &set, &p);
        if (r)
                return r;
        text = unotify_policy_to_json(p);
        if (!text)
                return ctl_fail(WHO, EX_OSERR, "out of memory");
        puts(text);
        return 0;
}

/* Every verb, in one place. Each gets its own argv (argv[0] is the verb). */
static const struct verb {
        const char *name;
        int (*run)(int argc, char **argv);
} verbs[] = {
        { "test", cmd_test },
        { "show", cmd_show },
        { "status", unotifyctl_status },
        { "list", unotifyctl_list },
        { "stats", unotifyctl_stats },
        { "reload", unotifyctl_reload },
        { "upgrade", unotifyctl_upgrade },
        { "export-oci", cmd_export_oci },
        { "learn", cmd_learn },
};

int main(int argc, char **argv)
{
        const char *verb = argc > 1 ? argv[1] : NULL;

        if (!verb)
                return ctl_fail(WHO, EX_USAGE, "missing command");
        if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
                print_help();
                return 0;
        }
        if (strcmp(verb, "--version") == 0 || strcmp(verb, "-V") == 0) {
                printf("unotifyctl %s\n", UNOTIFY_VERSION);
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(verb, verbs[i].name) == 0)
                        return verbs[i].run(argc - 1, argv + 1);
        return ctl_fail(WHO, EX_USAGE, "unknown command \"%s\"", verb);
}
