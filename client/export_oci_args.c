/* unotifyctl export-oci's options: --help, the flags the runtime-spec
 * knows, and the checks between options. */
#include "export_oci_args.h"
#include "ctl_msg.h"
#include "ctl_policy.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "unotify/macro.h"

/* The seccomp.flags values of the runtime-spec that make sense with a
 * listener (TSYNC does not: the kernel wants TSYNC_ESRCH with it, which
 * the spec has no name for). runc 1.1 refuses every flag. */
static const char *const known_flags[] = {
        "SECCOMP_FILTER_FLAG_LOG",
        "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
};

static const char WHO[] = "unotifyctl export-oci";

bool export_oci_known_flag(const char *flag)
{
        for (size_t i = 0; i < ELEMENTSOF(known_flags); i++)
                if (strcmp(flag, known_flags[i]) == 0)
                        return true;
        return false;
}

static void print_help(void)
{
        printf("Usage: unotifyctl export-oci [OPTIONS] POLICY\n"
               "       unotifyctl export-oci [OPTIONS] --all\n"
               "\n"
               "Print the \"linux.seccomp\" section of an OCI config.json (JSON) that hands\n"
               "the container's listener to unotifyd. The kernel decides what it can: the\n"
               "policy's defaultAction, and every rule BPF can express as the policy means\n"
               "it (the same filter unotify-run installs); SCMP_ACT_NOTIFY sends the rest\n"
               "to the daemon (paths, capabilities, RETURN, emulation, \"notify\": true;\n"
               "`unotifyd -T` says why for each). listenerMetadata names the policy and\n"
               "the digest of that filter (one exported from another version of the\n"
               "policy is refused by the daemon and served by deny-all).\n"
               "\n"
               "  -p, --policy-dir DIR  the policies (default %s)\n"
               "  -s, --socket PATH     listenerPath (default %s)\n"
               "  -a, --all             notify every policy's syscalls and name no policy:\n"
               "                        the daemon selects by annotations, metadata or id;\n"
               "                        the kernel allows what no policy names\n"
               "  -C, --caps LIST       the container's capabilities (CAP_A,CAP_B; \"\" for\n"
               "                        none): decide \"caps\" conditions now, as container\n"
               "                        engines do, instead of notifying those syscalls\n"
               "  -k, --kernel RELEASE  the kernel release the container runs on, for\n"
               "                        minKernel (default: uname -r; the daemon uses its own)\n"
               "  -f, --flag FLAG       add a seccomp flag (repeatable): %s, %s, %s;\n"
               "                        runc 1.1 refuses every flag, crun accepts them\n"
               "      --no-digest       leave the digest out of listenerMetadata\n"
               "  -c, --config FILE     print FILE (a config.json) with this section as\n"
               "                        its linux.seccomp instead\n"
               "      --config-caps     with --config: the capabilities are FILE's\n"
               "                        process.capabilities.effective (as --caps)\n"
               "      --if-confined     with --config: print FILE as it is when it has no\n"
               "                        linux.seccomp (privileged, seccomp=unconfined)\n"
               "  -L, --learn-name NAME name the recording of a policy that learns\n"
               "                        (listenerMetadata unotify.learn=NAME; docs/learn.md)\n"
               "  -j, --json            accepted; the output is always JSON\n"
               "  -h, --help            show this help\n"
               "\n"
               "Exit status: 0 printed; 64 usage; 65 FILE is not a JSON object; 66 FILE\n"
               "cannot be read; 78 the policies have errors or POLICY is not there.\n",
               CTL_DEFAULT_POLICY_DIR, EXPORT_OCI_DEFAULT_SOCKET, known_flags[0], known_flags[1],
               known_flags[2]);
}

static int add_flag(struct export_opts *e, const char *flag)
{
        if (!export_oci_known_flag(flag))
                return ctl_fail(WHO, EX_USAGE,
                                "unknown or unusable seccomp flag \"%s\" (expected %s, %s or %s)",
                                flag, known_flags[0], known_flags[1], known_flags[2]);
        for (size_t i = 0; i < e->n_flags; i++)
                if (strcmp(e->flags[i], flag) == 0)
                        return ctl_fail(WHO, EX_USAGE, "flag \"%s\" given twice", flag);
        e->flags[e->n_flags++] = flag; /* at most one of each: fits */
        return 0;
}

/* Returns 0 to go on, 1 after --help, or an exit code. Long because it
 * is the option table and one short case per option, read as one list. */
int export_oci_parse_args(int argc, char **argv, struct export_opts *e)
{
        static const struct option opts[] = {
                { "policy-dir", required_argument, NULL, 'p' },
                { "socket", required_argument, NULL, 's' },
                { "all", no_argument, NULL, 'a' },
                { "flag", required_argument, NULL, 'f' },
                { "no-digest", no_argument, NULL, 'D' },
                { "caps", required_argument, NULL, 'C' },
                { "kernel", required_argument, NULL, 'k' },
                { "config", required_argument, NULL, 'c' },
                { "config-caps", no_argument, NULL, 'K' },
                { "if-confined", no_argument, NULL, 'I' },
                { "learn-name", required_argument, NULL, 'L' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c, r;

        while ((c = getopt_long(argc, argv, "+p:s:af:C:k:c:L:jh", opts, NULL)) >= 0) {
                r = 0;
                switch (c) {
                case 'p':
                        e->dir = optarg;
                        break;
                case 's':
                        e->socket = optarg;
                        if (optarg[0] != '/')
                                r = ctl_fail(WHO, EX_USAGE,
                                             "--socket must be an absolute path, got \"%s\"",
                                             optarg);
                        break;
                case 'a':
                        e->all = true;
                        break;
                case 'f':
                        r = add_flag(e, optarg);
                        break;
                case 'D':
                        e->digest = false;
                        break;
                case 'C':
                        r = ctl_parse_caps(WHO, "--caps: ", optarg, &e->caps);
                        e->has_caps = true;
                        break;
                case 'k':
                        e->kernel = optarg;
                        break;
                case 'c':
                        e->config = optarg;
                        break;
                case 'K':
                        e->config_caps = true;
                        break;
                case 'I':
                        e->if_confined = true;
                        break;
                case 'L':
                        e->learn_name = optarg;
                        if (!*optarg || strlen(optarg) > 63 ||
                            strspn(optarg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                           "0123456789._-") != strlen(optarg))
                                r = ctl_fail(WHO, EX_USAGE,
                                             "--learn-name: 1..63 of A-Z a-z 0-9 . _ -");
                        break;
                case 'j':
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
        if ((e->config_caps || e->if_confined) && !e->config)
                return ctl_fail(WHO, EX_USAGE, "--config-caps and --if-confined need --config");
        if (e->config_caps && e->has_caps)
                return ctl_fail(WHO, EX_USAGE, "--config-caps or --caps, not both");
        if (e->all && (e->has_caps || e->config_caps))
                return ctl_fail(WHO, EX_USAGE, "--caps needs one POLICY, not --all");
        if (e->all && argc - optind != 0)
                return ctl_fail(WHO, EX_USAGE, "--all takes no POLICY");
        if (!e->all && argc - optind != 1)
                return ctl_fail(WHO, EX_USAGE, "export-oci needs one POLICY (or --all)");
        e->policy = e->all ? NULL : argv[optind];
        return 0;
}
